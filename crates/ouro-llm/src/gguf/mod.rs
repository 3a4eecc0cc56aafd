//! GGUF files: the container format of llama.cpp models.
//!
//! [`GgufFile`] reads a file (memory-mapped) or a byte buffer: header, metadata
//! ([`MetaValue`]) and tensor infos, with every offset and count checked so that a
//! truncated or hostile file gives a [`GgufError`] naming what was wrong and where,
//! never a panic. [`GgufWriter`] writes version-3 files, streaming the tensor data.

mod error;
pub(crate) mod reader;
mod value;
mod writer;

pub use error::{GgufError, GgufWriteError};
pub use reader::{GgufFile, TensorInfo};
pub use value::{MetaType, MetaValue};
pub use writer::{GGUF_WRITE_VERSION, GgufWriter, TensorDataWriter};

/// The four bytes every GGUF file starts with.
pub const GGUF_MAGIC: [u8; 4] = *b"GGUF";
/// Alignment of the tensor data section when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;
