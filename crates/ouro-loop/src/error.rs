//! The loop's error type: every failure names the task, file, command or setting involved.

use std::io;
use std::path::PathBuf;

use ouro_core::journal::JournalError;

/// Everything that can go wrong in the task store, the orchestrator or the supervisor.
#[derive(Debug, thiserror::Error)]
pub enum LoopError {
    /// The SQLite task store failed.
    #[error("task store {}: {context}: {source}", path.display())]
    Store {
        /// The database file.
        path: PathBuf,
        /// What was being done.
        context: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },

    /// A file-system operation failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },

    /// A command that runs the agent's work could not be confined as required.
    #[error("sandbox for a command in {}: {reason}", dir.display())]
    Sandbox {
        /// The worktree the command was to run in.
        dir: PathBuf,
        /// What is missing or failed.
        reason: String,
    },

    /// The loop journal failed.
    #[error(transparent)]
    Journal(#[from] JournalError),

    /// Another `ouro loop` already runs on this repository.
    #[error("another `ouro loop` is already running on {} (its journal is locked)", repo.display())]
    AlreadyRunning {
        /// The repository.
        repo: PathBuf,
    },

    /// `ouro.toml` is unreadable or a `[loop]` key is wrong.
    #[error("config {}: {reason}", path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// A task file (`auto_tasks.json`) is unreadable or malformed.
    #[error("task file {}: {reason}", path.display())]
    TaskFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the entry.
        reason: String,
    },

    /// A task's fields are unusable.
    #[error("invalid task: {0}")]
    InvalidTask(String),

    /// No task has this id.
    #[error("no task with id {0:?}")]
    NoSuchTask(String),

    /// The task's status does not allow the operation.
    #[error("task {id} is {status}: cannot {action} it")]
    BadTransition {
        /// The task.
        id: String,
        /// Its current status.
        status: String,
        /// What was asked.
        action: &'static str,
    },

    /// A task with this id exists already.
    #[error("a task with id {0:?} exists already")]
    DuplicateTask(String),

    /// A git command failed.
    #[error("git {args} (in {}) failed: {stderr}", dir.display())]
    Git {
        /// Its arguments.
        args: String,
        /// Where it ran.
        dir: PathBuf,
        /// What it printed on stderr (trimmed), or why it could not start.
        stderr: String,
    },

    /// A coder or judge could not do its work.
    #[error("{role}: {reason}")]
    Persona {
        /// "coder" or "judge".
        role: &'static str,
        /// Why.
        reason: String,
    },

    /// A JSON document could not be written or read.
    #[error("{context}: {source}")]
    Json {
        /// What it was.
        context: String,
        /// serde_json's error.
        source: serde_json::Error,
    },

    /// A worker panicked.
    #[error("worker {worker} panicked: {message}")]
    Panic {
        /// The worker's index.
        worker: usize,
        /// The panic message.
        message: String,
    },

    /// A thread panicked while holding shared state.
    #[error("a worker panicked while holding the {0}")]
    Poisoned(&'static str),

    /// Workers kept crashing: more restarts than the supervisor allows.
    #[error(
        "supervisor gave up: {restarts} worker restarts within {period_s} s (limit {max}); last error: {last}"
    )]
    RestartIntensity {
        /// Restarts counted in the period.
        restarts: usize,
        /// The limit.
        max: usize,
        /// The period in seconds.
        period_s: u64,
        /// The error that caused the last restart.
        last: String,
    },
}

impl LoopError {
    /// Whether the error is the loop's own (store, journal, a panic), as opposed to a
    /// problem of one task's run: such errors crash the worker instead of failing the task.
    pub fn is_infrastructure(&self) -> bool {
        matches!(
            self,
            LoopError::Store { .. }
                | LoopError::Journal(_)
                | LoopError::Poisoned(_)
                | LoopError::Panic { .. }
        )
    }

    /// An [`LoopError::Io`] for `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> LoopError {
        LoopError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
