//! The whole screen: panels laid out in a grid above the engine strip and the status bar,
//! with the help overlay on top; and the plain-text dump of a drawn buffer.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::{AppState, Panel};
use crate::model::Model;
use crate::panels::status::FrameStats;
use crate::panels::{agent, engine, gpu, help, loop_panel, status, system};
use crate::theme::Theme;

/// Everything one frame shows.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub model: &'a Model,
    pub state: &'a AppState,
    pub stats: FrameStats,
    pub refresh: Duration,
}

/// Draws the dashboard into `area` of `buf`.
pub fn render(view: &View<'_>, area: Rect, buf: &mut Buffer) {
    let theme = Theme::at(view.state.theme);
    let [main, engine_area, status_area] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(main);
    let halves = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]);
    let [gpu_area, system_area] = halves.areas(top);
    let [loop_area, agent_area] = halves.areas(bottom);
    let (model, state) = (view.model, view.state);
    let focused = |p: Panel| state.focus == p;
    gpu::render(model, theme, focused(Panel::Gpu), gpu_area, buf);
    system::render(model, theme, focused(Panel::System), system_area, buf);
    loop_panel::render(model, state, theme, focused(Panel::Loop), loop_area, buf);
    agent::render(model, theme, focused(Panel::Agent), agent_area, buf);
    engine::render(model, theme, focused(Panel::Engine), engine_area, buf);
    status::render(state, &view.stats, view.refresh, theme, status_area, buf);
    if state.help {
        help::render(theme, main, buf);
    }
}

/// The buffer's characters, one line per row, trailing spaces trimmed.
pub fn buffer_text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut row = String::new();
        for x in area.left()..area.right() {
            row.push_str(buf[(x, y)].symbol());
        }
        out.push_str(row.trim_end());
        out.push('\n');
    }
    out
}
