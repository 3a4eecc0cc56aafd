//! The GPU panel: per device its name, backend, utilization, memory, temperature and power,
//! with utilization and memory histories; or why no GPU was found.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Widget};

use super::{bar, frame, gib, line, load_sparkline, message};
use crate::data::{GpuReading, GpuSample};
use crate::model::{GpuHistory, Model};
use crate::theme::Theme;

pub const TITLE: &str = "GPU";

pub fn render(model: &Model, theme: &Theme, focused: bool, area: Rect, buf: &mut Buffer) {
    let inner = frame(TITLE, focused, theme, area, buf);
    let devices = match &model.gpu {
        GpuReading::NoGpu { reason } => {
            message(&format!("no GPU found: {reason}"), theme, inner, buf);
            return;
        }
        GpuReading::Devices(devices) => devices,
    };
    if devices.is_empty() || inner.height == 0 {
        message(
            "no GPU found: the source listed no device",
            theme,
            inner,
            buf,
        );
        return;
    }
    let n = devices.len() as u16;
    let rows = (inner.height / n).clamp(1, 10);
    for (i, device) in devices.iter().enumerate() {
        let y = inner.y + i as u16 * rows;
        if y >= inner.bottom() {
            break;
        }
        let height = rows.min(inner.bottom() - y);
        let area = Rect::new(inner.x, y, inner.width, height);
        device_rows(
            device,
            model.gpu_history.get(&device.index),
            theme,
            area,
            buf,
        );
    }
}

fn opt(value: Option<f32>, unit: &str) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.0}{unit}"))
}

/// One device: a heading, a gauge line and (with room) the two sparklines.
fn device_rows(
    d: &GpuSample,
    history: Option<&GpuHistory>,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let heading = line(vec![
        Span::styled(format!("{} ", d.index), theme.dim_style()),
        Span::styled(d.name.clone(), theme.title_style(true)),
        Span::styled(format!(" · {}", d.backend), theme.dim_style()),
        Span::styled(
            format!(
                "  {}  {}/{}",
                opt(d.temperature_c, "°C"),
                opt(d.power_w, ""),
                opt(d.power_limit_w, " W")
            ),
            theme.text_style(),
        ),
    ]);
    let mem_pct = match (d.memory_used, d.memory_total) {
        (Some(u), Some(t)) if t > 0 => Some(u as f32 / t as f32 * 100.0),
        _ => None,
    };
    let gauge_w = (area.width.saturating_sub(34) / 2).clamp(4, 30);
    let mut gauges = vec![Span::styled("util ", theme.dim_style())];
    gauges.extend(bar(d.utilization_pct.unwrap_or(0.0), gauge_w, theme));
    gauges.push(Span::styled(
        format!(" {:>4} ", opt(d.utilization_pct, "%")),
        theme.text_style(),
    ));
    gauges.push(Span::styled("mem ", theme.dim_style()));
    gauges.extend(bar(mem_pct.unwrap_or(0.0), gauge_w, theme));
    let mem = match (d.memory_used, d.memory_total) {
        (Some(u), Some(t)) => format!(" {}/{} GiB", gib(u), gib(t)),
        _ => " n/a".to_string(),
    };
    gauges.push(Span::styled(mem, theme.text_style()));
    Paragraph::new(vec![heading, line(gauges)]).render(area, buf);
    if area.height > 2
        && let Some(h) = history
    {
        let half = area.width / 2;
        let spark_h = area.height - 2;
        let left = Rect::new(area.x, area.y + 2, half.saturating_sub(1), spark_h);
        let right = Rect::new(area.x + half, area.y + 2, area.width - half, spark_h);
        load_sparkline(
            &h.utilization.tail_scaled(left.width.into(), 1.0),
            theme,
            left,
            buf,
        );
        load_sparkline(
            &h.memory.tail_scaled(right.width.into(), 1.0),
            theme,
            right,
            buf,
        );
    }
}
