//! ouro-llm: the local language-model engine.
//!
//! It reads and writes GGUF files ([`gguf`]), knows the ggml tensor formats
//! ([`ggml_type`]), and (in later modules) tokenizes text, renders chat templates,
//! runs llama-family models on the CPU and samples tokens.

pub mod ggml_type;
pub mod gguf;
pub mod tokenizer;

pub use ggml_type::GgmlType;
pub use tokenizer::{Tokenizer, TokenizerError, Utf8Stream};
