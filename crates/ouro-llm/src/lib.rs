//! ouro-llm: the local language-model engine.
//!
//! It reads and writes GGUF files ([`gguf`]), knows the ggml tensor formats
//! ([`ggml_type`]), tokenizes text ([`tokenizer`]), renders chat templates ([`chat_template`]),
//! and (in later modules) runs llama-family models on the CPU and samples tokens.

pub mod chat_template;
pub mod ggml_type;
pub mod gguf;
pub mod tokenizer;

pub use chat_template::{ChatMessage, ChatTemplate, ChatTemplateError};
pub use ggml_type::GgmlType;
pub use tokenizer::{Tokenizer, TokenizerError, Utf8Stream};
