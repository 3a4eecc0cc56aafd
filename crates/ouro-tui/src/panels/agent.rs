//! The agent panel: the running session's live transcript (messages, tool calls and their
//! results, permission decisions, notes and errors), newest at the bottom.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Widget};

use super::{frame, line, message};
use crate::data::{AgentStatus, FeedKind};
use crate::model::Model;
use crate::theme::Theme;

pub const TITLE: &str = "Agent";

pub fn render(model: &Model, theme: &Theme, focused: bool, area: Rect, buf: &mut Buffer) {
    let feed = match &model.agent {
        AgentStatus::Absent { reason } => {
            let inner = frame(TITLE, focused, theme, area, buf);
            message(reason, theme, inner, buf);
            return;
        }
        AgentStatus::Session(feed) => feed,
    };
    let inner = frame(
        &format!("{TITLE} · session {}", feed.session),
        focused,
        theme,
        area,
        buf,
    );
    let visible = usize::from(inner.height);
    let skip = feed.lines.len().saturating_sub(visible);
    let lines: Vec<_> = feed
        .lines
        .iter()
        .skip(skip)
        .map(|l| {
            let (prefix, color) = match l.kind {
                FeedKind::User => ("you  › ", theme.accent),
                FeedKind::Assistant => ("ouro › ", theme.text),
                FeedKind::ToolCall => ("tool ⚙ ", theme.warn),
                FeedKind::ToolResult => ("     ↳ ", theme.dim),
                FeedKind::PermissionAllowed => ("perm ✓ ", theme.good),
                FeedKind::PermissionDenied => ("perm ✗ ", theme.bad),
                FeedKind::Note => ("···· ", theme.dim),
                FeedKind::Error => ("err  ✗ ", theme.bad),
            };
            let first = l.text.lines().next().unwrap_or("");
            line(vec![
                Span::styled(prefix, Style::default().fg(color)),
                Span::styled(first.to_string(), theme.text_style()),
            ])
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}
