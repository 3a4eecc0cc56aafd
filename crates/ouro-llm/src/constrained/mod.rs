//! Grammar-constrained decoding with llguidance: generated text that always matches a
//! grammar, so that a JSON reply parses and validates even from a 135M model.
//!
//! - [`Grammar`]: what to produce: [`Grammar::json_schema`], [`Grammar::lark`], or
//!   [`Grammar::tool_calls`] (one `{"name", "arguments"}` call to one of several tools).
//! - [`GenerateOptions::grammar`](crate::engine::GenerateOptions::grammar): set it and every
//!   generation path of the engine ([`Engine::generate`](crate::engine::Engine::generate),
//!   `generate_in`, [`ChatSession::generate`](crate::engine::ChatSession::generate)) decodes
//!   under it: each step the logits of the tokens the grammar does not allow are set to
//!   `-inf` before sampling (so greedy and every sampler work unchanged), the chosen token
//!   advances the grammar, and generation stops as soon as the grammar is complete
//!   ([`StopReason::GrammarComplete`](crate::engine::StopReason::GrammarComplete)).
//! - [`GrammarCompiler`] / [`Guide`]: the same machinery for callers with their own loop.
//! - [`bound_schema`]: tightens a schema so that every value it allows is short.
//! - [`validate`] and [`parse_tool_call`]: check decoded values independently of the grammar
//!   ([`validate`] is also what ouro-agent checks every tool call's arguments with).

mod grammar;
mod guide;
pub mod hermes;
mod limits;
mod schema;
mod tok_env;
mod tools;

pub use grammar::Grammar;
pub use guide::{GrammarCompiler, Guide};
pub use limits::{SchemaLimits, bound_schema};
pub use schema::{SchemaViolation, validate};
pub use tools::{ToolCall, ToolCallError, ToolSpec, parse_tool_call, tool_call_schema};

/// Errors of constrained decoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConstrainedError {
    /// The grammar cannot be built or compiled.
    #[error("invalid {what}: {reason}")]
    InvalidGrammar { what: String, reason: String },
    /// The model's vocabulary cannot be used for constrained decoding.
    #[error("cannot constrain this model's vocabulary: {reason}")]
    Vocabulary { reason: String },
    /// The grammar matcher failed during generation (after `step` tokens).
    #[error("grammar matcher failed after {step} tokens: {reason}")]
    Matcher { step: usize, reason: String },
}
