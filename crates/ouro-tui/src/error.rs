//! Why the dashboard could not run.

/// A failure of the terminal or the runtime, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("terminal: {what}: {source}")]
    Terminal {
        what: &'static str,
        source: std::io::Error,
    },
    #[error("the async runtime could not start: {0}")]
    Runtime(std::io::Error),
    #[error("bad terminal size {0:?}: expected COLSxROWS, e.g. 200x60, each 1..=1000")]
    BadSize(String),
}

impl TuiError {
    /// Wraps an I/O error from the terminal with what was being done.
    pub fn terminal(what: &'static str) -> impl FnOnce(std::io::Error) -> TuiError {
        move |source| TuiError::Terminal { what, source }
    }
}
