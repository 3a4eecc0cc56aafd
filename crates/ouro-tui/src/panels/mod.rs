//! The dashboard's panels, one module each, and the small drawing helpers they share.
//! Each panel renders plain data from the [`Model`](crate::model::Model) into a buffer area.

pub mod agent;
pub mod engine;
pub mod gpu;
pub mod help;
pub mod loop_panel;
pub mod status;
pub mod system;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Sparkline, Widget, Wrap};

use crate::theme::Theme;

/// A bordered panel with its title; returns the area inside the border.
pub fn frame(title: &str, focused: bool, theme: &Theme, area: Rect, buf: &mut Buffer) -> Rect {
    let block = Block::bordered()
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(theme.border_style(focused))
        .title(Span::styled(
            format!(" {title} "),
            theme.title_style(focused),
        ));
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

/// A wrapped, dimmed sentence: what a panel says when it has nothing to show.
pub fn message(text: &str, theme: &Theme, area: Rect, buf: &mut Buffer) {
    Paragraph::new(Span::styled(text.to_string(), theme.dim_style()))
        .wrap(Wrap { trim: true })
        .render(area, buf);
}

/// A horizontal bar `width` cells wide, filled to `pct` percent in the load colour.
pub fn bar(pct: f32, width: u16, theme: &Theme) -> Vec<Span<'static>> {
    let pct = pct.clamp(0.0, 100.0);
    let filled = ((pct / 100.0) * f32::from(width)).round() as usize;
    let empty = usize::from(width).saturating_sub(filled);
    vec![
        Span::styled("█".repeat(filled), theme.load_style(pct)),
        Span::styled("░".repeat(empty), theme.dim_style()),
    ]
}

/// A sparkline of `values` in `area`, newest at the right edge (older columns stay empty
/// until the history fills them); scaled to `max`, or to the largest value when `None`.
pub fn sparkline(values: &[u64], max: Option<u64>, color: Color, area: Rect, buf: &mut Buffer) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let pad = usize::from(area.width).saturating_sub(values.len());
    let bars = std::iter::repeat_n(None, pad).chain(values.iter().copied().map(Some));
    let mut spark = Sparkline::default()
        .data(bars.collect::<Vec<Option<u64>>>())
        .absent_value_symbol(" ")
        .style(Style::default().fg(color));
    if let Some(max) = max {
        spark = spark.max(max);
    }
    spark.render(area, buf);
}

/// A sparkline of percentages, coloured by the newest value's load.
pub fn load_sparkline(values: &[u64], theme: &Theme, area: Rect, buf: &mut Buffer) {
    let color = theme.load(values.last().copied().unwrap_or(0) as f32);
    sparkline(values, Some(100), color, area, buf);
}

/// Bytes as GiB with one decimal.
pub fn gib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1u64 << 30) as f64)
}

/// A duration in milliseconds the way a person reads it: `850ms`, `4.2s`, `3m05s`, `1h02m`.
pub fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match ms {
        0..1_000 => format!("{ms}ms"),
        1_000..60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        60_000..3_600_000 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// One line from spans.
pub fn line(spans: Vec<Span<'static>>) -> Line<'static> {
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::THEMES;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(850), "850ms");
        assert_eq!(duration(4_200), "4.2s");
        assert_eq!(duration(185_000), "3m05s");
        assert_eq!(duration(3_720_000), "1h02m");
    }

    #[test]
    fn bars_fill_in_proportion() {
        let spans = bar(50.0, 10, &THEMES[0]);
        assert_eq!(spans[0].content.chars().count(), 5);
        assert_eq!(spans[1].content.chars().count(), 5);
        let spans = bar(250.0, 4, &THEMES[0]);
        assert_eq!(spans[0].content.chars().count(), 4);
        assert_eq!(gib(3 << 29), "1.5");
    }
}
