//! The status bar: theme, refresh interval, frame count, frames per second, the last frame's
//! render time, the paused flag and the last action's note.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Widget};

use super::line;
use crate::app::AppState;
use crate::theme::Theme;

/// Frame counters the event loop keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FrameStats {
    /// Frames drawn so far.
    pub frames: u64,
    /// Frames drawn over the last second.
    pub fps: f32,
    /// How long the previous frame took to draw.
    pub last_render: Duration,
}

pub fn render(
    state: &AppState,
    stats: &FrameStats,
    refresh: Duration,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let base = Style::default().bg(theme.bar).fg(theme.text);
    let sep = || Span::styled(" │ ", base.fg(theme.dim));
    let mut spans = vec![
        Span::styled(" ouro", base.add_modifier(Modifier::BOLD)),
        sep(),
        Span::styled(format!("theme {}", theme.name), base),
        sep(),
        Span::styled(format!("tick {} ms", refresh.as_millis()), base),
        sep(),
        Span::styled(format!("frame {}", stats.frames), base),
        sep(),
        Span::styled(format!("{:.1} fps", stats.fps), base),
        sep(),
        Span::styled(
            format!("{:.2} ms", stats.last_render.as_secs_f64() * 1000.0),
            base,
        ),
    ];
    if state.paused {
        spans.push(sep());
        spans.push(Span::styled(
            "PAUSED",
            base.fg(theme.warn).add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(note) = &state.note {
        spans.push(sep());
        spans.push(Span::styled(note.clone(), base.fg(theme.warn)));
    }
    // The key hint goes last and only where it fits.
    let hint = [sep(), Span::styled("h help · q quit", base.fg(theme.dim))];
    let width: usize = spans.iter().chain(&hint).map(Span::width).sum();
    if width <= usize::from(area.width) {
        spans.extend(hint);
    }
    Paragraph::new(line(spans)).style(base).render(area, buf);
}
