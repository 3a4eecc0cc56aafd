//! Off-screen frames: `--once` (one frame as text) and `--bench-frames` (render time at a
//! given size), both drawn on ratatui's `TestBackend` from real readings.

use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::AppState;
use crate::error::TuiError;
use crate::model::Model;
use crate::panels::status::FrameStats;
use crate::sources::Source;
use crate::ui::{View, buffer_text, render};

/// A terminal size in cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub cols: u16,
    pub rows: u16,
}

impl std::str::FromStr for Size {
    type Err = TuiError;

    /// Parses `COLSxROWS`, e.g. `200x60`.
    fn from_str(s: &str) -> Result<Size, TuiError> {
        let bad = || TuiError::BadSize(s.to_string());
        let (c, r) = s.split_once(['x', 'X']).ok_or_else(bad)?;
        let cols: u16 = c.trim().parse().map_err(|_| bad())?;
        let rows: u16 = r.trim().parse().map_err(|_| bad())?;
        if !(1..=1000).contains(&cols) || !(1..=1000).contains(&rows) {
            return Err(bad());
        }
        Ok(Size { cols, rows })
    }
}

/// An off-screen terminal of `size`.
fn test_terminal(size: Size) -> Terminal<TestBackend> {
    // TestBackend's error type is `Infallible`.
    match Terminal::new(TestBackend::new(size.cols, size.rows)) {
        Ok(t) => t,
        Err(never) => match never {},
    }
}

/// Draws one frame of `view` on `terminal`.
fn draw_on(terminal: &mut Terminal<TestBackend>, view: &View<'_>) {
    if let Err(never) = terminal.draw(|f| render(view, f.area(), f.buffer_mut())) {
        match never {}
    }
}

/// One frame as text: what the dashboard shows for `model` and `state` at `size`.
pub fn frame_text(
    model: &Model,
    state: &AppState,
    stats: FrameStats,
    refresh: Duration,
    size: Size,
) -> String {
    let view = View {
        model,
        state,
        stats,
        refresh,
    };
    let mut terminal = test_terminal(size);
    draw_on(&mut terminal, &view);
    buffer_text(terminal.backend().buffer())
}

/// Waits (up to 5 s) for every source to report, then one more `refresh` (at most 500 ms,
/// as CPU utilization is a delta), and renders one frame.
pub fn once(source: &mut dyn Source, refresh: Duration, size: Size) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !source.settled() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(refresh.min(Duration::from_millis(500)));
    let model = Model::new(source.read());
    let state = AppState::default();
    // The frame printed is the second: its status bar shows the first one's render time.
    let t0 = Instant::now();
    frame_text(&model, &state, FrameStats::default(), refresh, size);
    let stats = FrameStats {
        frames: 2,
        fps: 0.0,
        last_render: t0.elapsed(),
    };
    frame_text(&model, &state, stats, refresh, size)
}

/// Render times of a benchmark run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BenchReport {
    pub frames: u32,
    pub size: Size,
    pub mean: Duration,
    pub median: Duration,
    pub max: Duration,
}

/// Fills the histories with `readings` real readings 10 ms apart, then times `frames`
/// full redraws at `size` on one terminal, as the live dashboard redraws.
pub fn bench(source: &mut dyn Source, readings: u32, frames: u32, size: Size) -> BenchReport {
    std::thread::sleep(Duration::from_millis(10));
    let mut model = Model::new(source.read());
    for _ in 1..readings {
        std::thread::sleep(Duration::from_millis(10));
        model.ingest(source.read());
    }
    let state = AppState::default();
    let mut times = Vec::with_capacity(frames as usize);
    let mut stats = FrameStats::default();
    let mut terminal = test_terminal(size);
    for _ in 0..frames.max(1) {
        let view = View {
            model: &model,
            state: &state,
            stats,
            refresh: Duration::from_millis(100),
        };
        let t0 = Instant::now();
        draw_on(&mut terminal, &view);
        let took = t0.elapsed();
        stats.frames += 1;
        stats.last_render = took;
        times.push(took);
    }
    times.sort();
    let total: Duration = times.iter().sum();
    BenchReport {
        frames: times.len() as u32,
        size,
        mean: total / times.len() as u32,
        median: times[times.len() / 2],
        max: times[times.len() - 1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_bad_ones_are_named() {
        assert_eq!(
            "200x60".parse::<Size>().unwrap(),
            Size {
                cols: 200,
                rows: 60
            }
        );
        for bad in ["200", "0x10", "axb", "10x2000"] {
            let err = bad.parse::<Size>().unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
        }
    }
}
