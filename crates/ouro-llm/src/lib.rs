//! ouro-llm: the local language-model engine.
//!
//! It reads and writes GGUF files ([`gguf`]), knows the ggml tensor formats
//! ([`ggml_type`]) and their quantized encodings ([`quant`]), multiplies quantized
//! matrices on a persistent thread pool ([`threadpool`]), writes random-weight models of
//! any size for tests and benchmarks ([`synth`]), and (in later modules) tokenizes
//! text, renders chat templates, runs llama-family models on the CPU and samples tokens.

pub mod ggml_type;
pub mod gguf;
pub mod quant;
pub mod synth;
pub mod threadpool;

pub use ggml_type::GgmlType;
