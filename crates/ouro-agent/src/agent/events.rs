//! What the agent loop reports ([`AgentEvent`]) and the conversation those events build
//! ([`Conversation`]).
//!
//! The loop changes its conversation only by applying events, after writing them to the
//! session journal, so replaying the journal rebuilds exactly the conversation the loop had
//! (see [`crate::session`]). `assistant_delta` and `retry` events are shown to observers but
//! never journaled: the `assistant_message` that follows carries the whole reply.

use serde::{Deserialize, Serialize};

use crate::provider::{Message, ToolCall, Usage};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The model called `finish`.
    Finished,
    /// The model replied without calling a tool.
    Replied,
    /// The iteration limit was reached first.
    MaxIterations,
    /// The model kept sending the same call after being told it had just run.
    Repeating,
    /// Ctrl-C.
    Cancelled,
    /// The provider or the session failed.
    Failed,
}

impl Outcome {
    /// The process exit code for this outcome: 0 success, 1 failure, 130 cancelled.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Finished | Outcome::Replied => 0,
            Outcome::MaxIterations | Outcome::Repeating | Outcome::Failed => 1,
            Outcome::Cancelled => 130,
        }
    }
}

/// The final report of a run; counters cover the whole session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// How it ended.
    pub outcome: Outcome,
    /// The `finish` summary, the last reply, or what went wrong.
    pub summary: String,
    /// Model replies so far.
    pub iterations: u32,
    /// Tool calls so far.
    pub tool_calls: u32,
    /// Prompt tokens the provider reported.
    pub prompt_tokens: u64,
    /// Completion tokens the provider reported.
    pub completion_tokens: u64,
}

/// Something that happened in a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentEvent {
    /// A session started or resumed.
    SessionStart {
        /// The session id.
        session: String,
        /// The workspace root.
        workspace: String,
        /// The provider's name.
        provider: String,
        /// The model's name.
        model: String,
        /// Whether this continues an earlier run.
        resumed: bool,
    },
    /// The system prompt.
    System {
        /// Its text.
        content: String,
    },
    /// A task or message from the user.
    User {
        /// Its text.
        content: String,
    },
    /// A piece of the reply being streamed (not journaled).
    AssistantDelta {
        /// The text.
        text: String,
    },
    /// The provider is retrying a failed request (not journaled).
    Retry {
        /// Which retry.
        attempt: u32,
        /// The wait before it, in milliseconds.
        delay_ms: u64,
        /// What failed.
        error: String,
    },
    /// The model's whole reply.
    AssistantMessage {
        /// Its text.
        content: String,
        /// Its tool calls.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<ToolCall>,
        /// Tokens, when the provider reported them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        usage: Option<Usage>,
    },
    /// A tool call is about to run (journaled before it runs).
    ToolCall {
        /// The call.
        call: ToolCall,
    },
    /// The policy (or the approver) decided on an access of a call.
    PermissionDecision {
        /// The tool.
        tool: String,
        /// The action.
        action: String,
        /// The resource.
        resource: String,
        /// allow or deny.
        decision: String,
        /// Why.
        rule: String,
    },
    /// A tool call's result (or error) as sent to the model.
    ToolResult {
        /// The call it answers.
        call_id: String,
        /// The tool's name.
        name: String,
        /// Whether the call succeeded.
        ok: bool,
        /// The text sent to the model.
        content: String,
    },
    /// Messages `start..end` were replaced by one summary message.
    Compaction {
        /// The first message replaced.
        start: usize,
        /// One past the last message replaced.
        end: usize,
        /// The summary message's text.
        summary: String,
        /// Estimated tokens before.
        tokens_before: u64,
        /// Estimated tokens after.
        tokens_after: u64,
    },
    /// Something failed (the run may go on or end).
    Error {
        /// What.
        message: String,
    },
    /// A run ended.
    Finish(Summary),
}

impl AgentEvent {
    /// Whether the event goes to the journal (deltas and retries do not).
    pub fn is_journaled(&self) -> bool {
        !matches!(
            self,
            AgentEvent::AssistantDelta { .. } | AgentEvent::Retry { .. }
        )
    }
}

/// The conversation state built from events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// The messages sent to the model.
    pub messages: Vec<Message>,
    /// Model replies so far.
    pub iterations: u32,
    /// Tool calls started so far.
    pub tool_calls: u32,
    /// Tokens the provider reported, summed.
    pub usage: Usage,
    /// `(message count, tokens)` as of the last reported usage (for the context estimate).
    pub last_usage: Option<(usize, u64)>,
    /// Calls of the last reply that have no result yet.
    pub unanswered: Vec<ToolCall>,
    /// Ids of the unanswered calls whose intent was journaled (they may have run).
    pub started: Vec<String>,
    /// The last run's end, if the last run ended.
    pub finished: Option<Summary>,
}

impl Conversation {
    /// Applies one event; fails when the event cannot follow the state (a damaged or
    /// foreign journal).
    pub fn apply(&mut self, event: &AgentEvent) -> Result<(), String> {
        match event {
            AgentEvent::System { content } => self.messages.push(Message::system(content)),
            AgentEvent::User { content } => {
                self.messages.push(Message::user(content));
                self.finished = None;
            }
            AgentEvent::AssistantMessage {
                content,
                tool_calls,
                usage,
            } => {
                self.messages.push(Message::Assistant {
                    content: content.clone(),
                    tool_calls: tool_calls.clone(),
                });
                self.iterations += 1;
                if let Some(u) = usage {
                    self.usage.prompt_tokens += u.prompt_tokens;
                    self.usage.completion_tokens += u.completion_tokens;
                    self.last_usage =
                        Some((self.messages.len(), u.prompt_tokens + u.completion_tokens));
                }
                self.unanswered = tool_calls.clone();
                self.started.clear();
            }
            AgentEvent::ToolCall { call } => {
                if !self.unanswered.iter().any(|c| c.id == call.id) {
                    return Err(format!(
                        "tool call `{}` is not part of the last reply",
                        call.id
                    ));
                }
                self.tool_calls += 1;
                self.started.push(call.id.clone());
            }
            AgentEvent::ToolResult {
                call_id,
                name,
                content,
                ..
            } => {
                let Some(i) = self.unanswered.iter().position(|c| &c.id == call_id) else {
                    return Err(format!("result for `{call_id}`, which is not an open call"));
                };
                self.unanswered.remove(i);
                self.started.retain(|id| id != call_id);
                self.messages.push(Message::Tool {
                    tool_call_id: call_id.clone(),
                    name: name.clone(),
                    content: content.clone(),
                });
            }
            AgentEvent::Compaction {
                start,
                end,
                summary,
                ..
            } => {
                if start > end || *end > self.messages.len() {
                    return Err(format!(
                        "compaction of messages {start}..{end} but there are {}",
                        self.messages.len()
                    ));
                }
                self.messages
                    .splice(start..end, [Message::user(summary.clone())]);
                self.last_usage = None;
            }
            AgentEvent::Finish(summary) => self.finished = Some(summary.clone()),
            AgentEvent::SessionStart { .. }
            | AgentEvent::AssistantDelta { .. }
            | AgentEvent::Retry { .. }
            | AgentEvent::PermissionDecision { .. }
            | AgentEvent::Error { .. } => {}
        }
        Ok(())
    }

    /// The context size in tokens: the provider's last count plus chars/4 for what came
    /// after it, or chars/4 for everything when there is no count.
    pub fn estimated_tokens(&self) -> u64 {
        let chars = |ms: &[Message]| ms.iter().map(Message::text_len).sum::<usize>() as u64;
        match self.last_usage {
            Some((n, tokens)) if n <= self.messages.len() => {
                tokens + chars(&self.messages[n..]).div_ceil(4)
            }
            _ => chars(&self.messages).div_ceil(4),
        }
    }

    /// Whether the model should be called next (the last message is from the user or a
    /// tool, and every call of the last reply is answered).
    pub fn awaits_model(&self) -> bool {
        self.unanswered.is_empty()
            && matches!(
                self.messages.last(),
                Some(Message::User { .. } | Message::Tool { .. })
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(calls: Vec<ToolCall>) -> AgentEvent {
        AgentEvent::AssistantMessage {
            content: "ok".into(),
            tool_calls: calls,
            usage: Some(Usage {
                prompt_tokens: 100,
                completion_tokens: 10,
            }),
        }
    }

    #[test]
    fn events_build_messages_and_counters() {
        let mut c = Conversation::default();
        let call = ToolCall::new("c1", "list", "{}");
        for e in [
            AgentEvent::System {
                content: "s".into(),
            },
            AgentEvent::User {
                content: "task".into(),
            },
            reply(vec![call.clone()]),
            AgentEvent::ToolCall { call },
        ] {
            c.apply(&e).unwrap();
        }
        assert_eq!(c.started, ["c1"]);
        assert!(!c.awaits_model());
        c.apply(&AgentEvent::ToolResult {
            call_id: "c1".into(),
            name: "list".into(),
            ok: true,
            content: "a.txt".into(),
        })
        .unwrap();
        assert!(c.awaits_model() && c.unanswered.is_empty());
        assert_eq!((c.iterations, c.tool_calls, c.messages.len()), (1, 1, 4));
        assert_eq!(
            c.estimated_tokens(),
            110 + 9u64.div_ceil(4),
            "usage plus the tool result"
        );
        c.apply(&AgentEvent::Compaction {
            start: 2,
            end: 4,
            summary: "digest".into(),
            tokens_before: 0,
            tokens_after: 0,
        })
        .unwrap();
        assert_eq!(c.messages.len(), 3);
        assert_eq!(c.estimated_tokens(), 11u64.div_ceil(4));
    }

    #[test]
    fn events_that_cannot_follow_are_errors() {
        let mut c = Conversation::default();
        let orphan = AgentEvent::ToolResult {
            call_id: "x".into(),
            name: "list".into(),
            ok: true,
            content: String::new(),
        };
        assert!(c.apply(&orphan).is_err());
        let bad = AgentEvent::Compaction {
            start: 0,
            end: 5,
            summary: String::new(),
            tokens_before: 0,
            tokens_after: 0,
        };
        assert!(c.apply(&bad).is_err());
    }

    #[test]
    fn events_serialize_with_type_tags() {
        let e = AgentEvent::Finish(Summary {
            outcome: Outcome::Finished,
            summary: "done".into(),
            iterations: 1,
            tool_calls: 2,
            prompt_tokens: 3,
            completion_tokens: 4,
        });
        let json = serde_json::to_string(&e).unwrap();
        assert!(
            json.starts_with(r#"{"type":"finish","outcome":"finished""#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<AgentEvent>(&json).unwrap(), e);
        assert!(!AgentEvent::AssistantDelta { text: "x".into() }.is_journaled());
        assert_eq!(Outcome::Cancelled.exit_code(), 130);
    }
}
