//! The loop panel: queue counts by status, the running task and its attempt, recent results
//! with durations and verdicts; a selectable list, with the selected task's details on enter.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::{duration, frame, line, message};
use crate::app::AppState;
use crate::data::{LoopSnapshot, LoopStatus, TaskRef, TaskState, Verdict};
use crate::model::Model;
use crate::theme::Theme;

pub const TITLE: &str = "Loop";

pub fn render(
    model: &Model,
    state: &AppState,
    theme: &Theme,
    focused: bool,
    area: Rect,
    buf: &mut Buffer,
) {
    let inner = frame(TITLE, focused, theme, area, buf);
    match &model.loop_status {
        LoopStatus::Absent { reason } => message(reason, theme, inner, buf),
        LoopStatus::Running(snapshot) => {
            let tasks = snapshot.tasks();
            list(snapshot, &tasks, state, theme, focused, inner, buf);
            if state.details
                && let Some(task) = state.selected(&tasks)
            {
                details(snapshot, task, theme, inner, buf);
            }
        }
    }
}

/// The marker and colour of a task's state.
fn badge(state: TaskState, theme: &Theme) -> (&'static str, &'static str, Style) {
    let (mark, word, color) = match state {
        TaskState::Running => ("▶", "running", theme.accent),
        TaskState::Done(Verdict::Promoted) => ("✓", "promoted", theme.good),
        TaskState::Done(Verdict::Rejected) => ("✗", "rejected", theme.warn),
        TaskState::Done(Verdict::Failed) => ("✗", "failed", theme.bad),
        TaskState::Done(Verdict::Cancelled) => ("■", "cancelled", theme.dim),
    };
    (mark, word, Style::default().fg(color))
}

fn list(
    snapshot: &LoopSnapshot,
    tasks: &[TaskRef],
    state: &AppState,
    theme: &Theme,
    focused: bool,
    area: Rect,
    buf: &mut Buffer,
) {
    let mut counts = Vec::new();
    for (i, (status, n)) in snapshot.counts.iter().enumerate() {
        if i > 0 {
            counts.push(Span::styled(" · ", theme.dim_style()));
        }
        counts.push(Span::styled(format!("{status} "), theme.dim_style()));
        counts.push(Span::styled(n.to_string(), theme.text_style()));
    }
    let mut lines = vec![line(counts)];
    let visible = usize::from(area.height.saturating_sub(1));
    let first = state
        .selected_task
        .saturating_sub(visible.saturating_sub(1));
    for (i, t) in tasks.iter().enumerate().skip(first).take(visible) {
        let (mark, word, style) = badge(t.state, theme);
        let attempts = match (t.state, &snapshot.running) {
            (TaskState::Running, Some(r)) => match r.max_attempts {
                Some(max) => format!("attempt {}/{max}", r.attempt),
                None => format!("attempt {}", r.attempt),
            },
            _ => format!(
                "{} attempt{}",
                t.attempts,
                if t.attempts == 1 { "" } else { "s" }
            ),
        };
        let mut l = line(vec![
            Span::styled(format!("{mark} "), style),
            Span::styled(format!("#{:<4} ", t.id), theme.dim_style()),
            Span::styled(format!("{word:<9} "), style),
            Span::styled(
                format!("{:>7} ", duration(t.duration_ms)),
                theme.text_style(),
            ),
            Span::styled(format!("{attempts:<11} "), theme.dim_style()),
            Span::styled(t.title.clone(), theme.text_style()),
        ]);
        if focused && i == state.selected_task {
            l = l.style(Style::default().add_modifier(Modifier::REVERSED));
        }
        lines.push(l);
    }
    Paragraph::new(lines).render(area, buf);
}

/// The selected task's details, over the lower part of the panel.
fn details(snapshot: &LoopSnapshot, task: &TaskRef, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let height = area.height.min(7);
    let popup = Rect::new(area.x, area.bottom() - height, area.width, height);
    Clear.render(popup, buf);
    let (_, word, style) = badge(task.state, theme);
    let mut lines = vec![
        Line::from(Span::styled(task.title.clone(), theme.title_style(true))),
        line(vec![
            Span::styled("state ", theme.dim_style()),
            Span::styled(word, style),
            Span::styled("  time ", theme.dim_style()),
            Span::styled(duration(task.duration_ms), theme.text_style()),
        ]),
    ];
    let attempts = match (&snapshot.running, task.state) {
        (Some(r), TaskState::Running) => match r.max_attempts {
            Some(max) => format!("{} of {max}", r.attempt),
            None => r.attempt.to_string(),
        },
        _ => task.attempts.to_string(),
    };
    lines.push(line(vec![
        Span::styled("attempts ", theme.dim_style()),
        Span::styled(attempts, theme.text_style()),
    ]));
    let hint = match task.state {
        TaskState::Running => "x cancel · esc close",
        TaskState::Done(Verdict::Promoted) => "esc close",
        TaskState::Done(_) => "r retry · esc close",
    };
    lines.push(Line::from(Span::styled(hint, theme.dim_style())));
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .block(
            Block::bordered()
                .border_style(theme.border_style(true))
                .title(Span::styled(
                    format!(" task #{} ", task.id),
                    theme.title_style(true),
                )),
        )
        .render(popup, buf);
}
