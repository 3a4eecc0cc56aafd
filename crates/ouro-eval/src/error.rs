//! Errors of `ouro eval`, each naming the task or file concerned.

use std::path::PathBuf;

/// Why a suite or one of its tasks could not be run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A file or folder could not be read or written.
    #[error("{context} {}: {source}", path.display())]
    Io {
        /// What was being done.
        context: String,
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The suite or a task is malformed.
    #[error("{}: {reason}", path.display())]
    Suite {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Building a task's repository failed (fetching its source, applying its bug, git).
    #[error("task {task}: {reason}")]
    Prepare {
        /// The task.
        task: String,
        /// What failed.
        reason: String,
    },
    /// The loop failed outside any one task's run.
    #[error("task {task}: the loop failed: {source}")]
    Loop {
        /// The task.
        task: String,
        /// The error.
        source: Box<ouro_loop::LoopError>,
    },
}

impl EvalError {
    pub(crate) fn io(context: &str, path: &std::path::Path, source: std::io::Error) -> EvalError {
        EvalError::Io {
            context: context.to_string(),
            path: path.to_path_buf(),
            source,
        }
    }
}
