//! The tool-call protocol of Hermes-style chat templates (Qwen2.5, Hermes 2 Pro, ...), as
//! `llama-server --jinja` uses it: a call is `<tool_call>\n{"name": ..., "arguments": ...}\n
//! </tool_call>`, optionally after a short free-text thought. [`grammar`] constrains a reply
//! to one schema-valid call inside those markers; [`parse_reply`] reads one back. Used by
//! ouro-agent's local provider and by `ouro serve`.

use serde_json::{Value, json};

use super::{ConstrainedError, Grammar, SchemaLimits, ToolCall, ToolCallError, ToolSpec};
use super::{parse_tool_call, tool_call_schema};

/// The marker that opens a call in Hermes-style templates (Qwen2.5, Hermes 2 Pro, ...).
pub const CALL_OPEN: &str = "<tool_call>";
/// The marker that closes it.
pub const CALL_CLOSE: &str = "</tool_call>";

/// Longest thought before a call, in characters, when thoughts are allowed.
const THOUGHT_CHARS: usize = 300;

/// How a reply may use the tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallMode {
    /// Exactly one call.
    One,
    /// One call after a short free-text thought (without `<`), or the call alone.
    AfterThought,
    /// Free text, or one or more calls (`tool_choice` auto): a reply that starts with `<`
    /// must be a well-formed call, so a model cannot invent its own markers (`<tools>`).
    TextOrCalls,
}

/// The grammar of a reply calling `tools` as `mode` says: each call is `<tool_call>\n` + a
/// call to one of `tools` (the JSON layout of the template's `tojson`) + `\n</tool_call>`.
pub fn grammar(
    tools: &[ToolSpec],
    limits: &SchemaLimits,
    mode: CallMode,
) -> Result<Grammar, ConstrainedError> {
    let mut schema = tool_call_schema(tools, limits)?;
    if let Value::Object(map) = &mut schema {
        map.insert(
            "x-guidance".into(),
            json!({"whitespace_flexible": false, "item_separator": ", ", "key_separator": ": "}),
        );
    }
    let start = match mode {
        CallMode::One => "start: call_block\n".to_string(),
        CallMode::AfterThought => {
            format!("start: thought? call_block\nthought: /[^<]{{1,{THOUGHT_CHARS}}}/\n")
        }
        CallMode::TextOrCalls => "start: text | calls\n\
             text: /[^<\\s][\\s\\S]*/ | /\\s+[^<\\s][\\s\\S]*/\n\
             calls: call_block (\"\\n\" call_block)*\n"
            .to_string(),
    };
    let source = format!(
        "{start}call_block: {open} call {close}\ncall: %json {schema}\n",
        open = Value::from(format!("{CALL_OPEN}\n")),
        close = Value::from(format!("\n{CALL_CLOSE}")),
    );
    Ok(Grammar::lark(&source).named("tool-call grammar"))
}

/// Why a reply is not one marked call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("the reply has no {CALL_OPEN} block")]
    NoCall,
    #[error("the {CALL_OPEN} block is not closed with {CALL_CLOSE} (the reply was cut off)")]
    Unclosed,
    #[error(transparent)]
    Call(#[from] ToolCallError),
}

/// A reply read back: the text before the call (trimmed; empty without a thought) and the
/// validated call.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub thought: String,
    pub call: ToolCall,
}

/// Reads `text` as a thought followed by `<tool_call>\n{json}\n</tool_call>`; the call must
/// name one of `tools` and validate against its schema.
pub fn parse_reply(text: &str, tools: &[ToolSpec]) -> Result<Reply, ReplyError> {
    let start = text.find(CALL_OPEN).ok_or(ReplyError::NoCall)?;
    let body_start = start + CALL_OPEN.len();
    let body_len = text[body_start..]
        .find(CALL_CLOSE)
        .ok_or(ReplyError::Unclosed)?;
    let call = parse_tool_call(&text[body_start..body_start + body_len], tools)?;
    Ok(Reply {
        thought: text[..start].trim().to_string(),
        call,
    })
}
