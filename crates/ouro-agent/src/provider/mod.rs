//! Model providers behind one trait: the conversation types sent to a model, its streamed and
//! final replies, and the [`Provider`] trait that the agent loop drives.
//!
//! Two ways for a model to call tools ([`ToolCallMode`]):
//! - `Native`: the provider's own function-calling protocol (OpenAI `tools` / `tool_calls`,
//!   or grammar-constrained decoding in the local engine); calls come back already split out.
//! - `Text`: the tool list and the call format go into the system prompt, and calls are parsed
//!   out of the reply text ([`text_calls`]), for models and servers without function calling.
//!
//! Either way a call whose arguments do not parse still comes back as a [`ToolCall`] (with
//! the parse error in [`ToolCall::parsed`]) so the loop can send the error to the model.

pub mod local;
pub mod local_tools;
pub mod openai;
pub mod retry;
pub mod sse;
pub mod text_calls;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::tools::ToolSpec;

pub use local::{LocalConfig, LocalProvider, ToolProtocol};
pub use openai::{OpenAiConfig, OpenAiProvider};

/// One call the model made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "RawToolCall", into = "RawToolCall")]
pub struct ToolCall {
    /// The call's id (from the provider, or `call_<n>` when it gave none).
    pub id: String,
    /// The tool's name as the model wrote it (may name no tool).
    pub name: String,
    /// The arguments exactly as the model produced them.
    pub arguments: String,
    /// The arguments parsed as JSON, or why they could not be.
    pub parsed: Result<Value, String>,
}

/// The serialized form of a [`ToolCall`]: `parsed` is derived from `arguments` on load,
/// except for calls that could not be read, whose error is stored as it was.
#[derive(Serialize, Deserialize)]
struct RawToolCall {
    id: String,
    name: String,
    arguments: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl From<RawToolCall> for ToolCall {
    fn from(raw: RawToolCall) -> Self {
        match raw.error {
            Some(error) => ToolCall {
                id: raw.id,
                name: raw.name,
                arguments: raw.arguments,
                parsed: Err(error),
            },
            None => ToolCall::new(raw.id, raw.name, raw.arguments),
        }
    }
}

impl From<ToolCall> for RawToolCall {
    fn from(call: ToolCall) -> Self {
        RawToolCall {
            id: call.id,
            name: call.name,
            arguments: call.arguments,
            error: call.parsed.err(),
        }
    }
}

impl ToolCall {
    /// A call with raw `arguments`, parsed here (an empty string counts as `{}`).
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        let arguments = arguments.into();
        let parsed = if arguments.trim().is_empty() {
            Ok(Value::Object(Default::default()))
        } else {
            serde_json::from_str(&arguments)
                .map_err(|e| format!("the arguments are not valid JSON ({e}): {arguments}"))
        };
        Self {
            id: id.into(),
            name: name.into(),
            arguments,
            parsed,
        }
    }

    /// A call whose arguments are already a JSON value (grammar-constrained decoding).
    pub fn from_value(id: impl Into<String>, name: impl Into<String>, arguments: Value) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            arguments: arguments.to_string(),
            parsed: Ok(arguments),
        }
    }

    /// A call that could not be read at all (text mode): the loop reports `error` back.
    pub fn unreadable(id: impl Into<String>, raw: impl Into<String>, error: String) -> Self {
        Self {
            id: id.into(),
            name: String::new(),
            arguments: raw.into(),
            parsed: Err(error),
        }
    }
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Message {
    /// Instructions for the model.
    System {
        /// The text.
        content: String,
    },
    /// The user's task or a note from the loop.
    User {
        /// The text.
        content: String,
    },
    /// What the model said and the tools it called.
    Assistant {
        /// The reply text (may be empty when it only called tools).
        content: String,
        /// Its tool calls, in order.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<ToolCall>,
    },
    /// The result of one tool call.
    Tool {
        /// The id of the call it answers.
        tool_call_id: String,
        /// The tool's name.
        name: String,
        /// The output, or the error, as text for the model.
        content: String,
    },
}

impl Message {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::System {
            content: content.into(),
        }
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::User {
            content: content.into(),
        }
    }

    /// The role name (`system`, `user`, `assistant`, `tool`).
    pub fn role(&self) -> &'static str {
        match self {
            Message::System { .. } => "system",
            Message::User { .. } => "user",
            Message::Assistant { .. } => "assistant",
            Message::Tool { .. } => "tool",
        }
    }

    /// The text, plus the raw tool calls of an assistant message.
    pub fn text_len(&self) -> usize {
        match self {
            Message::System { content } | Message::User { content } => content.len(),
            Message::Assistant {
                content,
                tool_calls,
            } => {
                content.len()
                    + tool_calls
                        .iter()
                        .map(|c| c.name.len() + c.arguments.len())
                        .sum::<usize>()
            }
            Message::Tool { content, name, .. } => content.len() + name.len(),
        }
    }
}

/// A cancellation flag shared between the loop, the provider and a Ctrl-C handler.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Wraps an existing flag (e.g. the one a Ctrl-C handler sets).
    pub fn from_flag(flag: Arc<AtomicBool>) -> Self {
        Self(flag)
    }

    /// Sets the flag.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Clears the flag (interactive mode, after a cancelled turn).
    pub fn reset(&self) {
        self.0.store(false, Ordering::SeqCst);
    }

    /// Whether the flag is set.
    /// The flag itself, for code that polls an `AtomicBool` (the local engine).
    pub fn flag(&self) -> &AtomicBool {
        &self.0
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// One request to a model.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    /// The conversation so far (system message first).
    pub messages: Vec<Message>,
    /// The tools the model may call.
    pub tools: Vec<ToolSpec>,
    /// Sampling temperature (`None`: the provider's default).
    pub temperature: Option<f32>,
    /// The most tokens to generate (`None`: the provider's default).
    pub max_tokens: Option<u32>,
    /// Stop sequences.
    pub stop: Vec<String>,
    /// Set to stop waiting and streaming; the provider then returns
    /// [`ProviderError::Cancelled`].
    pub cancel: Cancel,
}

/// A piece of a reply as it streams in.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamDelta {
    /// More reply text.
    Text(String),
    /// More of tool call number `index` (its id and name come with the first piece).
    ToolCall {
        /// The call's position in the reply.
        index: usize,
        /// Its name, when this piece carries it.
        name: Option<String>,
        /// More of its raw arguments.
        arguments: String,
    },
    /// The request failed transiently and is sent again after `delay`; any text streamed
    /// for the failed attempt is void.
    Retrying {
        /// Which retry this is (1 for the first).
        attempt: u32,
        /// The wait before it.
        delay: std::time::Duration,
        /// What failed.
        error: String,
    },
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// It finished its reply (or hit a stop sequence).
    Stop,
    /// It hit the token limit.
    Length,
    /// It stopped to call tools.
    ToolCalls,
    /// Anything else the provider reported (or nothing).
    Other(String),
}

impl FinishReason {
    /// Maps an OpenAI-style `finish_reason` string.
    pub fn parse(reason: &str) -> Self {
        match reason {
            "stop" => Self::Stop,
            "length" => Self::Length,
            "tool_calls" | "function_call" => Self::ToolCalls,
            other => Self::Other(other.to_string()),
        }
    }
}

/// Tokens used by one request, as the provider counted them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens of the prompt (the whole conversation sent).
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
}

/// A complete reply.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// The reply text (in text mode, with the tool-call blocks still in it).
    pub content: String,
    /// The tool calls, in order.
    pub tool_calls: Vec<ToolCall>,
    /// Why it stopped.
    pub finish_reason: FinishReason,
    /// Token counts, when the provider reports them.
    pub usage: Option<Usage>,
}

/// How tool calls travel between the loop and the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolCallMode {
    /// The provider's own function-calling protocol.
    #[default]
    Native,
    /// Tools described in the system prompt, calls parsed from the reply text.
    Text,
}

impl std::str::FromStr for ToolCallMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "native" => Ok(Self::Native),
            "text" => Ok(Self::Text),
            other => Err(format!(
                "unknown tool-call mode `{other}` (expected native or text)"
            )),
        }
    }
}

/// Why a request to a model failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The request could not be sent or the connection failed.
    #[error("{url}: connection failed: {message}")]
    Connection {
        /// The endpoint.
        url: String,
        /// What failed.
        message: String,
    },
    /// The server answered with an error status.
    #[error("{url}: HTTP {status}: {body}")]
    Status {
        /// The endpoint.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// The reply could not be understood.
    #[error("{url}: malformed response: {message}")]
    Malformed {
        /// The endpoint.
        url: String,
        /// What was wrong, with an excerpt.
        message: String,
    },
    /// No data arrived within the read timeout.
    #[error("{url}: no data for {secs} s (read timeout)")]
    Timeout {
        /// The endpoint.
        url: String,
        /// The timeout.
        secs: u64,
    },
    /// The whole reply took longer than the total time limit (data kept trickling in).
    #[error("{url}: the reply took longer than {secs} s (total time limit)")]
    Deadline {
        /// The endpoint.
        url: String,
        /// The limit.
        secs: u64,
    },
    /// Every attempt failed; `last` is the final failure.
    #[error("gave up after {attempts} attempts: {last}")]
    RetriesExhausted {
        /// How many requests were made.
        attempts: u32,
        /// The last error.
        last: Box<ProviderError>,
    },
    /// The provider is misconfigured or not available in this build.
    #[error("{0}")]
    Config(String),
    /// The request was cancelled (Ctrl-C).
    #[error("cancelled")]
    Cancelled,
}

impl ProviderError {
    /// Whether another attempt may succeed (connection errors, 429 and 5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            ProviderError::Connection { .. } | ProviderError::Timeout { .. } => true,
            ProviderError::Status { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

/// A model the agent loop can talk to.
///
/// `complete` sends the whole conversation and returns the whole reply, calling `on_delta`
/// with each piece as it streams in. It returns [`ProviderError::Cancelled`] soon after
/// `req.cancel` is set. Providers decide how tools reach the model (see [`ToolCallMode`]);
/// the calls they return need not be valid: the loop checks names and arguments and sends
/// errors back to the model.
pub trait Provider: Send {
    /// A short name for logs and the session record (`openai`, `local`).
    fn name(&self) -> &str;
    /// The model's name.
    fn model(&self) -> &str;
    /// Sends `req` and returns the reply.
    fn complete(
        &mut self,
        req: &ChatRequest,
        on_delta: &mut dyn FnMut(&StreamDelta),
    ) -> Result<ChatResponse, ProviderError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_calls_keep_raw_arguments_and_reparse_on_load() {
        let call = ToolCall::new("c1", "read_file", r#"{"path":"a"}"#);
        assert_eq!(call.parsed, Ok(serde_json::json!({"path": "a"})));
        let json = serde_json::to_string(&call).unwrap();
        assert_eq!(
            json,
            r#"{"id":"c1","name":"read_file","arguments":"{\"path\":\"a\"}"}"#
        );
        let back: ToolCall = serde_json::from_str(&json).unwrap();
        assert_eq!(back, call);
        let bad = ToolCall::new("c2", "x", "{not json");
        assert!(bad.parsed.as_ref().unwrap_err().contains("not valid JSON"));
        let back: ToolCall = serde_json::from_str(&serde_json::to_string(&bad).unwrap()).unwrap();
        assert_eq!(back, bad);
        let odd = ToolCall::unreadable("c4", "{\"tool\": 1}", "the name must be a string".into());
        let back: ToolCall = serde_json::from_str(&serde_json::to_string(&odd).unwrap()).unwrap();
        assert_eq!(back, odd, "the recorded error survives a round trip");
        assert_eq!(
            ToolCall::new("c3", "x", " ").parsed,
            Ok(serde_json::json!({}))
        );
    }

    #[test]
    fn messages_serialize_with_role_tags() {
        let m = Message::Assistant {
            content: "hi".into(),
            tool_calls: vec![],
        };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"role":"assistant","content":"hi"}"#
        );
        let t: Message =
            serde_json::from_str(r#"{"role":"tool","tool_call_id":"c","name":"n","content":"ok"}"#)
                .unwrap();
        assert_eq!(t.role(), "tool");
    }

    #[test]
    fn transient_errors_are_connection_429_and_5xx() {
        let status = |status| ProviderError::Status {
            url: "u".into(),
            status,
            body: String::new(),
        };
        assert!(status(429).is_transient());
        assert!(status(503).is_transient());
        assert!(!status(400).is_transient());
        assert!(!ProviderError::Cancelled.is_transient());
    }
}
