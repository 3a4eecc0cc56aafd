//! ouro-llm: the local language-model engine.
//!
//! It reads and writes GGUF files ([`gguf`]), knows the ggml tensor formats
//! ([`ggml_type`], [`quant`]), tokenizes text ([`tokenizer`]), renders chat templates
//! ([`chat_template`]), runs llama-family models on the CPU ([`model`]), samples tokens
//! ([`sampling`]) and generates text ([`engine`]), optionally under a grammar
//! ([`constrained`]); it scores text ([`score`]) and embeds it ([`embed`]); [`bench`]
//! measures its speed and
//! [`synth`] writes random-weight models of any size.

pub mod batch;
pub mod bench;
pub mod candidates;
pub mod chat_template;
pub mod compare;
pub mod constrained;
mod cpu;
mod decode;
pub mod device;
pub mod embed;
pub mod engine;
pub mod ggml_type;
pub mod gguf;
pub mod info;
pub mod lookup;
pub mod model;
pub mod quant;
pub mod sampling;
pub mod score;
pub mod synth;
pub mod threadpool;
pub mod tokenizer;

pub use chat_template::{
    ChatMessage, ChatTemplate, ChatTemplateError, TemplateTool, TemplateToolCall, ToolCaps,
    ToolChatMessage,
};
pub use ggml_type::GgmlType;
pub use tokenizer::{Tokenizer, TokenizerError, Utf8Stream};
