//! ouro-llm: the local language-model engine.
//!
//! It reads and writes GGUF files ([`gguf`]), knows the ggml tensor formats
//! ([`ggml_type`]), and (in later modules) tokenizes text, renders chat templates,
//! runs llama-family models on the CPU, and samples tokens ([`sampling`]).

pub mod ggml_type;
pub mod gguf;
pub mod sampling;

pub use ggml_type::GgmlType;
