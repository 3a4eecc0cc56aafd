//! The error types of the crate.

use std::path::PathBuf;

/// A program that is not valid: where (a JSON path such as `ops[3].width`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct ValidationError {
    /// Where in the program, e.g. `ops[3].color` or `canvas.width`; `$` for the whole file.
    pub path: String,
    /// What is wrong there.
    pub reason: String,
}

/// Everything that can go wrong while loading, rendering or writing pixel programs.
#[derive(Debug, thiserror::Error)]
pub enum PixelError {
    /// The program is not valid.
    #[error("invalid pixel program: {0}")]
    Invalid(ValidationError),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is larger than [`crate::limits::MAX_FILE_BYTES`].
    #[error("{}: file is {size} bytes, more than the limit of {limit}", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// PNG encoding or decoding failed.
    #[error("PNG {}: {reason}", path.display())]
    Png {
        /// The file.
        path: PathBuf,
        /// The cause.
        reason: String,
    },
    /// The GPU renderer could not run.
    #[error(transparent)]
    Gpu(#[from] crate::gpu::GpuError),
    /// Generating a program with a model failed.
    #[error(transparent)]
    Gen(Box<crate::generate::GenError>),
    /// An artifacts folder holds no pixel programs.
    #[error("no *.pixel.json artifacts in {}", dir.display())]
    NoArtifacts {
        /// The folder.
        dir: PathBuf,
    },
}

impl From<ValidationError> for PixelError {
    fn from(e: ValidationError) -> Self {
        PixelError::Invalid(e)
    }
}
