//! Errors from reading and writing GGUF files.

use std::path::PathBuf;

/// What went wrong reading a GGUF file; each variant says where.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("cannot open GGUF file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("not a GGUF file: the first four bytes are {found:?}, expected \"GGUF\"")]
    BadMagic { found: [u8; 4] },
    #[error("unsupported GGUF version {0} (ouro reads versions 2 and 3)")]
    UnsupportedVersion(u32),
    #[error(
        "GGUF file is truncated: needed {needed} bytes at offset {offset} for {what}, but the file has {len}"
    )]
    Truncated {
        what: String,
        offset: u64,
        needed: u64,
        len: u64,
    },
    #[error("GGUF {what} at offset {offset}: {reason}")]
    Malformed {
        what: String,
        offset: u64,
        reason: String,
    },
    #[error("tensor '{name}': {reason}")]
    BadTensor { name: String, reason: String },
    #[error("metadata key '{key}': {reason}")]
    BadMetadata { key: String, reason: String },
}

/// What went wrong building or writing a GGUF file; each variant names the key or tensor.
#[derive(Debug, thiserror::Error)]
pub enum GgufWriteError {
    #[error("writing GGUF {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("metadata key '{key}': {reason}")]
    BadMetadata { key: String, reason: String },
    #[error("tensor '{name}': {reason}")]
    BadTensor { name: String, reason: String },
    #[error("tensor '{name}' takes {expected} bytes, but {got} were supplied")]
    DataSize {
        name: String,
        expected: u64,
        got: u64,
    },
    #[error("{supplied} bytes of tensor data supplied after the last tensor was complete")]
    TooMuchData { supplied: u64 },
    #[error(
        "the file ended with tensor '{name}' incomplete ({written} of {expected} bytes written)"
    )]
    Incomplete {
        name: String,
        written: u64,
        expected: u64,
    },
}
