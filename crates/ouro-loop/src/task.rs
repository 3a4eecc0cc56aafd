//! Tasks and their statuses: what the store holds and the CLI shows.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::LoopError;

/// Where a task is in its life: `pending → in_progress → done | failed | rejected | cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting to be claimed.
    Pending,
    /// Claimed by a worker that holds its lease.
    InProgress,
    /// Promoted to the target branch.
    Done,
    /// Its tests kept failing, or the run hit an error (see the task's `error`).
    Failed,
    /// The judge rejected every attempt.
    Rejected,
    /// Cancelled by a user.
    Cancelled,
}

impl Status {
    /// Every status, in life order.
    pub const ALL: [Status; 6] = [
        Status::Pending,
        Status::InProgress,
        Status::Done,
        Status::Failed,
        Status::Rejected,
        Status::Cancelled,
    ];

    /// The name used in the database, JSON and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::InProgress => "in_progress",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Rejected => "rejected",
            Status::Cancelled => "cancelled",
        }
    }

    /// Whether the task has ended (nothing more happens to it unless retried).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Done | Status::Failed | Status::Rejected | Status::Cancelled
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Status {
    type Err = LoopError;

    fn from_str(s: &str) -> Result<Status, LoopError> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| {
                LoopError::InvalidTask(format!(
                    "unknown status {s:?} (expected one of pending, in_progress, done, failed, rejected, cancelled)"
                ))
            })
    }
}

/// A task as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    /// Its id: letters, digits, `-` and `_` (it names branches and folders).
    pub id: String,
    /// One line saying what to do.
    pub title: String,
    /// More detail for the coder.
    pub description: String,
    /// Files (relative to the repository) the coder should start from.
    pub inputs: Vec<String>,
    /// Shell commands, run in the worktree, that must pass.
    pub tests: Vec<String>,
    /// Higher runs first.
    pub priority: i64,
    /// Where it is.
    pub status: Status,
    /// Why it failed or was rejected.
    pub error: Option<String>,
    /// How many times it was claimed (each claim is a run on its own branch).
    pub runs: u32,
    /// Coder attempts over all runs.
    pub attempts: u32,
    /// The commit that promoted it, once done.
    pub commit: Option<String>,
    /// Unix milliseconds.
    pub created_ms: i64,
    /// Unix milliseconds of the last change.
    pub updated_ms: i64,
    /// Unix milliseconds when it ended.
    pub finished_ms: Option<i64>,
    /// The worker holding its lease while in progress.
    pub lease_owner: Option<String>,
    /// When the lease runs out unless renewed (unix ms).
    pub lease_expires_ms: Option<i64>,
    /// The last heartbeat (unix ms).
    pub heartbeat_ms: Option<i64>,
}

/// The fields of a task to add.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewTask {
    /// Its id; `None` picks the next free number.
    pub id: Option<String>,
    /// One line saying what to do.
    pub title: String,
    /// More detail.
    pub description: String,
    /// Input files.
    pub inputs: Vec<String>,
    /// Test commands.
    pub tests: Vec<String>,
    /// Higher runs first.
    pub priority: i64,
    /// Initial status (`Pending` unless imported otherwise; never `InProgress`).
    pub status: Option<Status>,
}

/// Longest task id accepted.
pub const MAX_ID_LEN: usize = 64;

/// Checks that `id` can name a git branch and a folder: 1 to 64 of `[A-Za-z0-9_-]`,
/// not starting with `-`.
pub fn validate_id(id: &str) -> Result<(), LoopError> {
    let ok_chars = id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if id.is_empty() || id.len() > MAX_ID_LEN || !ok_chars || id.starts_with('-') {
        return Err(LoopError::InvalidTask(format!(
            "id {id:?} must be 1 to {MAX_ID_LEN} letters, digits, '-' or '_', not starting with '-'"
        )));
    }
    Ok(())
}

impl NewTask {
    /// Checks the fields: a valid id if given, a non-empty title, no in-progress status.
    pub fn validate(&self) -> Result<(), LoopError> {
        if let Some(id) = &self.id {
            validate_id(id)?;
        }
        if self.title.trim().is_empty() {
            return Err(LoopError::InvalidTask("the title is empty".into()));
        }
        if self.status == Some(Status::InProgress) {
            return Err(LoopError::InvalidTask(
                "a new task cannot start in_progress (no worker holds it)".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_by_name() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>().ok(), Some(status));
        }
        assert!("running".parse::<Status>().is_err());
    }

    #[test]
    fn ids_must_fit_branch_names() {
        for good in ["1", "fix-parser", "a_b-2"] {
            assert!(validate_id(good).is_ok(), "{good}");
        }
        let long = "x".repeat(MAX_ID_LEN + 1);
        for bad in ["", "-x", "a b", "a/b", "a..b", "ü", long.as_str()] {
            assert!(validate_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn new_task_needs_a_title() {
        let task = NewTask {
            title: "  ".into(),
            ..NewTask::default()
        };
        assert!(task.validate().is_err());
    }
}
