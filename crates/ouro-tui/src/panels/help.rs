//! The help overlay: every key and what it does.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::theme::Theme;

pub const TITLE: &str = "Help";

const KEYS: [(&str, &str); 10] = [
    ("q, Ctrl-C", "quit"),
    ("p", "pause or resume sampling"),
    ("t", "next colour theme"),
    ("h, ?", "this help (any key closes it)"),
    ("tab, →, ↓", "focus the next panel"),
    ("shift-tab, ←, ↑", "focus the previous panel"),
    ("↑ ↓ in Loop", "select a task"),
    ("enter in Loop", "the selected task's details"),
    ("r in Loop", "retry the selected failed task"),
    ("x in Loop", "cancel the selected running task"),
];

/// Draws the overlay centred in `area`.
pub fn render(theme: &Theme, area: Rect, buf: &mut Buffer) {
    let width = 56.min(area.width);
    let height = (KEYS.len() as u16 + 2).min(area.height);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    Clear.render(popup, buf);
    let lines: Vec<Line> = KEYS
        .iter()
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(format!(" {key:<16} "), theme.title_style(true)),
                Span::styled(*what, theme.text_style()),
            ])
        })
        .collect();
    Paragraph::new(lines)
        .block(
            Block::bordered()
                .border_style(theme.border_style(true))
                .title(Span::styled(format!(" {TITLE} "), theme.title_style(true))),
        )
        .render(popup, buf);
}
