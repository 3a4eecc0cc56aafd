//! The engine panel: the local engine's tokens per second while it runs, with its history.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Widget};

use super::{frame, line, message, sparkline};
use crate::model::Model;
use crate::theme::Theme;

pub const TITLE: &str = "Engine";

pub fn render(model: &Model, theme: &Theme, focused: bool, area: Rect, buf: &mut Buffer) {
    let inner = frame(TITLE, focused, theme, area, buf);
    let Some(e) = &model.engine else {
        message("no engine running", theme, inner, buf);
        return;
    };
    let text = line(vec![
        Span::styled(e.model.clone(), theme.title_style(true)),
        Span::styled("  ", theme.dim_style()),
        Span::styled(format!("{:.1} tok/s", e.tokens_per_s), theme.text_style()),
        Span::styled(format!("  {} tokens", e.tokens_total), theme.dim_style()),
    ]);
    let text_w = (text.width() as u16 + 2).min(inner.width);
    Paragraph::new(text).render(
        Rect {
            width: text_w,
            ..inner
        },
        buf,
    );
    let spark = Rect {
        x: inner.x + text_w,
        width: inner.width - text_w,
        ..inner
    };
    if spark.width > 0 {
        // Tenths of a token per second, scaled to the window's own maximum.
        let values = model.engine_history.tail_scaled(spark.width.into(), 10.0);
        sparkline(&values, None, theme.accent, spark, buf);
    }
}
