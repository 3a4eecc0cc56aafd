//! The system panel: total CPU, load and memory on one line, a bar per core, and the CPU and
//! memory histories below.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Widget};

use super::{bar, frame, gib, line, load_sparkline, message};
use crate::model::Model;
use crate::theme::Theme;

pub const TITLE: &str = "System";

/// Width of one core's cell: `NN ▕bar▏ NNN%`.
const CELL: u16 = 20;

pub fn render(model: &Model, theme: &Theme, focused: bool, area: Rect, buf: &mut Buffer) {
    let inner = frame(TITLE, focused, theme, area, buf);
    let Some(s) = &model.system else {
        message(
            "system figures unavailable: /proc/stat, /proc/meminfo or /proc/loadavg unreadable",
            theme,
            inner,
            buf,
        );
        return;
    };
    if inner.height == 0 {
        return;
    }
    let used = s.memory_total.saturating_sub(s.memory_available);
    let mem_pct = if s.memory_total > 0 {
        used as f32 / s.memory_total as f32 * 100.0
    } else {
        0.0
    };
    let cpu = vec![
        Span::styled("cpu ", theme.dim_style()),
        Span::styled(
            format!("{:.0}%", s.cpu_total),
            theme.load_style(s.cpu_total),
        ),
        Span::styled("  load ", theme.dim_style()),
        Span::styled(
            format!("{:.2} {:.2} {:.2}  ", s.load[0], s.load[1], s.load[2]),
            theme.text_style(),
        ),
    ];
    let mem = vec![
        Span::styled("mem ", theme.dim_style()),
        Span::styled(
            format!("{}/{} GiB", gib(used), gib(s.memory_total)),
            theme.load_style(mem_pct),
        ),
        Span::styled("  swap ", theme.dim_style()),
        Span::styled(
            format!(
                "{}/{} GiB",
                gib(s.swap_total.saturating_sub(s.swap_free)),
                gib(s.swap_total)
            ),
            theme.text_style(),
        ),
    ];
    // One summary line when it fits, else cpu and memory on a line each.
    let (cpu_w, mem_w) = (line(cpu.clone()).width(), line(mem.clone()).width());
    let summary = if cpu_w + mem_w <= usize::from(inner.width) {
        vec![line(cpu.into_iter().chain(mem).collect())]
    } else {
        vec![line(cpu), line(mem)]
    };
    let summary_h = (summary.len() as u16).min(inner.height);
    Paragraph::new(summary).render(
        Rect {
            height: summary_h,
            ..inner
        },
        buf,
    );

    let cols = (inner.width / CELL).max(1);
    let cores = s.cpu_per_core.len() as u16;
    let core_rows = cores.div_ceil(cols).min(inner.height - summary_h);
    let bar_w = CELL - 9;
    for (i, pct) in s.cpu_per_core.iter().enumerate() {
        let (row, col) = (i as u16 / cols, i as u16 % cols);
        if row >= core_rows {
            break;
        }
        let mut spans = vec![Span::styled(format!("{i:>2} "), theme.dim_style())];
        spans.extend(bar(*pct, bar_w, theme));
        spans.push(Span::styled(format!("{pct:>4.0}%"), theme.text_style()));
        let cell = Rect::new(inner.x + col * CELL, inner.y + summary_h + row, CELL, 1);
        if cell.right() <= inner.right() {
            Paragraph::new(line(spans)).render(cell, buf);
        }
    }

    let top = inner.y + summary_h + core_rows;
    if top < inner.bottom() {
        let height = inner.bottom() - top;
        let half = inner.width / 2;
        let left = Rect::new(inner.x, top, half.saturating_sub(1), height);
        let right = Rect::new(inner.x + half, top, inner.width - half, height);
        load_sparkline(
            &model.cpu_history.tail_scaled(left.width.into(), 1.0),
            theme,
            left,
            buf,
        );
        load_sparkline(
            &model.memory_history.tail_scaled(right.width.into(), 1.0),
            theme,
            right,
            buf,
        );
    }
}
