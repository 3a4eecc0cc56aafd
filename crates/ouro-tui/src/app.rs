//! The dashboard's interactive state and the pure [`update`] that applies one key to it.
//! Keys that act on the loop (`r` retry, `x` cancel) come back as an [`Action`] for the
//! caller to execute; nothing here does input or output.

use crate::data::{TaskRef, TaskState, Verdict};
use crate::theme::THEMES;

/// The panels, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    Gpu,
    System,
    Loop,
    Agent,
    Engine,
}

impl Panel {
    pub const ALL: [Panel; 5] = [
        Panel::Gpu,
        Panel::System,
        Panel::Loop,
        Panel::Agent,
        Panel::Engine,
    ];

    fn position(self) -> usize {
        Panel::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    /// The next panel (`forward`) or the previous one, wrapping around.
    pub fn step(self, forward: bool) -> Panel {
        let n = Panel::ALL.len();
        let i = self.position();
        Panel::ALL[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

/// A key, as far as the dashboard cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    Enter,
    Esc,
    /// Ctrl-C: quits like `q` (raw mode turns it into a key).
    Interrupt,
}

/// What the caller must do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Quit,
    /// Queue the failed or rejected task again.
    Retry(String),
    /// Stop the running task.
    Cancel(String),
}

/// Everything the user can change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppState {
    pub focus: Panel,
    /// Index into [`THEMES`].
    pub theme: usize,
    /// Sampling stopped: the figures on screen stay as they were.
    pub paused: bool,
    pub help: bool,
    /// Index into the loop panel's task list.
    pub selected_task: usize,
    /// The selected task's details are open.
    pub details: bool,
    /// A one-line note for the status bar (the outcome of the last action).
    pub note: Option<String>,
}

impl Default for AppState {
    fn default() -> AppState {
        AppState {
            focus: Panel::Gpu,
            theme: 0,
            paused: false,
            help: false,
            selected_task: 0,
            details: false,
            note: None,
        }
    }
}

impl AppState {
    /// The selected task, if the list has one at that index.
    pub fn selected<'a>(&self, tasks: &'a [TaskRef]) -> Option<&'a TaskRef> {
        tasks.get(self.selected_task)
    }
}

/// Applies `key` given the tasks the loop panel lists; returns the new state and the action
/// the caller must take, if any.
pub fn update(state: &AppState, key: Key, tasks: &[TaskRef]) -> (AppState, Option<Action>) {
    let mut s = state.clone();
    s.note = None;
    if s.help {
        // The overlay takes every key: h, Esc or q close it; Ctrl-C still quits.
        return match key {
            Key::Interrupt => (s, Some(Action::Quit)),
            _ => {
                s.help = false;
                (s, None)
            }
        };
    }
    let loop_focused = s.focus == Panel::Loop;
    let mut action = None;
    match key {
        Key::Char('q') | Key::Interrupt => action = Some(Action::Quit),
        Key::Char('p') => s.paused = !s.paused,
        Key::Char('t') => s.theme = (s.theme + 1) % THEMES.len(),
        Key::Char('h') | Key::Char('?') => s.help = true,
        Key::Esc => s.details = false,
        Key::Tab | Key::Right => s.focus = s.focus.step(true),
        Key::BackTab | Key::Left => s.focus = s.focus.step(false),
        Key::Up if loop_focused => s.selected_task = s.selected_task.saturating_sub(1),
        Key::Down if loop_focused => {
            s.selected_task = (s.selected_task + 1).min(tasks.len().saturating_sub(1));
        }
        Key::Up => s.focus = s.focus.step(false),
        Key::Down => s.focus = s.focus.step(true),
        Key::Enter if loop_focused => match s.selected(tasks) {
            Some(_) => s.details = !s.details,
            None => s.note = Some("no task to show".into()),
        },
        Key::Char('r') if loop_focused => match s.selected(tasks) {
            Some(t) if matches!(t.state, TaskState::Done(v) if v != Verdict::Promoted) => {
                action = Some(Action::Retry(t.id.clone()));
            }
            Some(t) => s.note = Some(format!("task {} has not failed: nothing to retry", t.id)),
            None => s.note = Some("no task selected".into()),
        },
        Key::Char('x') if loop_focused => match s.selected(tasks) {
            Some(t) if t.state == TaskState::Running => action = Some(Action::Cancel(t.id.clone())),
            Some(t) => s.note = Some(format!("task {} is not running: nothing to cancel", t.id)),
            None => s.note = Some("no task selected".into()),
        },
        Key::Enter | Key::Char('r') | Key::Char('x') => {
            s.note = Some("focus the loop panel (tab) to act on tasks".into());
        }
        Key::Char(_) => {}
    }
    if s.selected_task >= tasks.len() {
        s.selected_task = tasks.len().saturating_sub(1);
        if tasks.is_empty() {
            s.details = false;
        }
    }
    (s, action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: u64, state: TaskState) -> TaskRef {
        TaskRef {
            id: id.to_string(),
            title: format!("task {id}"),
            state,
            attempts: 1,
            duration_ms: 1000,
        }
    }

    fn press(state: &AppState, keys: &[Key], tasks: &[TaskRef]) -> (AppState, Vec<Action>) {
        let mut s = state.clone();
        let mut actions = Vec::new();
        for k in keys {
            let (next, a) = update(&s, *k, tasks);
            s = next;
            actions.extend(a);
        }
        (s, actions)
    }

    #[test]
    fn global_keys() {
        let s = AppState::default();
        let (s2, a) = press(&s, &[Key::Char('p'), Key::Char('t')], &[]);
        assert!(s2.paused);
        assert_eq!(s2.theme, 1);
        assert!(a.is_empty());
        let (_, a) = update(&s, Key::Char('q'), &[]);
        assert_eq!(a, Some(Action::Quit));
        let (_, a) = update(&s, Key::Interrupt, &[]);
        assert_eq!(a, Some(Action::Quit));
        let (s3, _) = press(&s, &[Key::Char('t'); 4], &[]);
        assert_eq!(s3.theme, 0, "themes wrap around");
    }

    #[test]
    fn help_overlay_takes_the_next_key() {
        let (s, _) = update(&AppState::default(), Key::Char('h'), &[]);
        assert!(s.help);
        let (s, a) = update(&s, Key::Char('q'), &[]);
        assert!(!s.help);
        assert_eq!(a, None, "q closes the overlay first");
    }

    #[test]
    fn focus_cycles_both_ways() {
        let s = AppState::default();
        let (s, _) = press(&s, &[Key::Tab, Key::Tab], &[]);
        assert_eq!(s.focus, Panel::Loop);
        let (s, _) = press(&s, &[Key::BackTab, Key::Left, Key::Left], &[]);
        assert_eq!(s.focus, Panel::Engine);
    }

    #[test]
    fn loop_keys_select_open_retry_and_cancel() {
        let tasks = [
            task(7, TaskState::Running),
            task(5, TaskState::Done(Verdict::Failed)),
            task(4, TaskState::Done(Verdict::Promoted)),
        ];
        let s = AppState {
            focus: Panel::Loop,
            ..AppState::default()
        };
        let (s1, a) = press(&s, &[Key::Char('x')], &tasks);
        assert_eq!(a, vec![Action::Cancel("7".into())]);
        let (s2, a) = press(&s1, &[Key::Down, Key::Char('r'), Key::Enter], &tasks);
        assert_eq!(a, vec![Action::Retry("5".into())]);
        assert!(s2.details);
        let (s3, a) = press(&s2, &[Key::Down, Key::Down, Key::Char('r')], &tasks);
        assert_eq!(s3.selected_task, 2, "selection stops at the last task");
        assert!(a.is_empty());
        assert!(s3.note.as_deref().unwrap_or("").contains("has not failed"));
        let (s4, _) = press(&s3, &[Key::Esc], &tasks);
        assert!(!s4.details);
    }

    #[test]
    fn task_keys_without_tasks_only_explain() {
        let s = AppState {
            focus: Panel::Loop,
            ..AppState::default()
        };
        let (s, a) = press(&s, &[Key::Char('r')], &[]);
        assert!(a.is_empty());
        assert_eq!(s.note.as_deref(), Some("no task selected"));
    }
}
