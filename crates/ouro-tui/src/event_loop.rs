//! The live dashboard: a tokio event loop over terminal input (crossterm's event stream), a
//! sampling tick and Unix signals; it redraws when a key changed something, on every tick
//! and on resize, and leaves the terminal as it found it however it ends.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use ratatui::crossterm::event::{
    Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers,
};
use tokio::signal::unix::{SignalKind, signal};
use tokio::time::MissedTickBehavior;

use crate::app::{Action, AppState, Key, update};
use crate::error::TuiError;
use crate::model::Model;
use crate::panels::status::FrameStats;
use crate::sources::Source;
use crate::terminal::TerminalGuard;
use crate::ui::{View, render};
use crate::usage::cpu_time;

/// Carries out the loop actions the keys ask for; returns the note for the status bar.
pub trait LoopControl {
    fn retry(&mut self, task: &str) -> String;
    fn cancel(&mut self, task: &str) -> String;
}

/// The control when no loop is attached: every action is refused, saying why.
#[derive(Debug, Clone)]
pub struct Unattached {
    pub repo: PathBuf,
}

impl LoopControl for Unattached {
    fn retry(&mut self, task: &str) -> String {
        format!(
            "cannot retry task {task}: no loop attached in {}",
            self.repo.display()
        )
    }

    fn cancel(&mut self, task: &str) -> String {
        format!(
            "cannot cancel task {task}: no loop attached in {}",
            self.repo.display()
        )
    }
}

/// What a run cost, for the report printed after the terminal is restored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunSummary {
    pub frames: u64,
    pub elapsed: Duration,
    /// CPU time the process used while the dashboard ran, where measurable.
    pub cpu: Option<Duration>,
}

impl RunSummary {
    /// CPU time as a percentage of one core over the run.
    pub fn cpu_pct(&self) -> Option<f64> {
        let cpu = self.cpu?;
        (self.elapsed > Duration::ZERO)
            .then(|| cpu.as_secs_f64() / self.elapsed.as_secs_f64() * 100.0)
    }
}

/// Frames drawn in the last second.
#[derive(Debug, Default)]
struct FpsCounter {
    recent: VecDeque<Instant>,
}

impl FpsCounter {
    fn record(&mut self, now: Instant) -> f32 {
        self.recent.push_back(now);
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(1))
        {
            self.recent.pop_front();
        }
        self.recent.len() as f32
    }
}

/// The dashboard's key for a terminal key press, if it has one.
pub fn key_of(event: KeyEvent) -> Option<Key> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    Some(match event.code {
        KeyCode::Char('c') if event.modifiers.contains(KeyModifiers::CONTROL) => Key::Interrupt,
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Tab => Key::Tab,
        KeyCode::BackTab => Key::BackTab,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        _ => return None,
    })
}

/// Runs the dashboard on this terminal until `q`, Ctrl-C, SIGINT, SIGTERM or SIGHUP.
pub fn run(
    source: &mut dyn Source,
    control: &mut dyn LoopControl,
    refresh: Duration,
) -> Result<RunSummary, TuiError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(TuiError::Runtime)?;
    let started = Instant::now();
    let cpu_before = cpu_time();
    let frames = runtime.block_on(event_loop(source, control, refresh))?;
    let cpu = cpu_time().zip(cpu_before).map(|(a, b)| a.saturating_sub(b));
    Ok(RunSummary {
        frames,
        elapsed: started.elapsed(),
        cpu,
    })
}

async fn event_loop(
    source: &mut dyn Source,
    control: &mut dyn LoopControl,
    refresh: Duration,
) -> Result<u64, TuiError> {
    let listen = |kind| signal(kind).map_err(TuiError::terminal("listening for signals"));
    let mut sigterm = listen(SignalKind::terminate())?;
    let mut sighup = listen(SignalKind::hangup())?;
    let mut sigint = listen(SignalKind::interrupt())?;
    let mut guard = TerminalGuard::enter()?;
    let mut events = EventStream::new();
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + refresh, refresh);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut model = Model::new(source.read());
    let mut state = AppState::default();
    let mut stats = FrameStats::default();
    let mut fps = FpsCounter::default();
    let mut dirty = true;
    loop {
        if dirty {
            let t0 = Instant::now();
            let view = View {
                model: &model,
                state: &state,
                stats,
                refresh,
            };
            guard
                .terminal
                .draw(|f| render(&view, f.area(), f.buffer_mut()))
                .map_err(TuiError::terminal("drawing a frame"))?;
            let now = Instant::now();
            stats.last_render = now - t0;
            stats.frames += 1;
            stats.fps = fps.record(now);
            dirty = false;
        }
        tokio::select! {
            _ = ticker.tick() => {
                if !state.paused {
                    model.ingest(source.read());
                }
                dirty = true;
            }
            event = events.next() => match event {
                Some(Ok(Event::Key(k))) => {
                    let Some(key) = key_of(k) else { continue };
                    let (next, action) = update(&state, key, &model.tasks());
                    dirty |= next != state;
                    state = next;
                    dirty |= action.is_some();
                    match action {
                        Some(Action::Quit) => break,
                        Some(Action::Retry(id)) => state.note = Some(control.retry(&id)),
                        Some(Action::Cancel(id)) => state.note = Some(control.cancel(&id)),
                        None => {}
                    }
                }
                Some(Ok(Event::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(TuiError::Terminal { what: "reading input", source: err }),
                None => break,
            },
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
            _ = sigint.recv() => break,
        }
    }
    Ok(stats.frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_and_ctrl_c_interrupts() {
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(key_of(ctrl_c), Some(Key::Interrupt));
        let c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(key_of(c), Some(Key::Char('c')));
        assert_eq!(
            key_of(KeyEvent::new(KeyCode::F(1), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn fps_counts_the_last_second() {
        let mut f = FpsCounter::default();
        let t = Instant::now();
        f.record(t);
        f.record(t + Duration::from_millis(500));
        assert_eq!(f.record(t + Duration::from_millis(1200)), 2.0);
    }

    #[test]
    fn cpu_share_of_one_core() {
        let s = RunSummary {
            frames: 10,
            elapsed: Duration::from_secs(10),
            cpu: Some(Duration::from_millis(100)),
        };
        assert!((s.cpu_pct().unwrap() - 1.0).abs() < 1e-9);
    }
}
