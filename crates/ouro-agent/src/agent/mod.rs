//! The agent loop: send the conversation to the provider, stream the reply, run each tool
//! call through the [`ToolRunner`] (policy, approver, sandbox, audit), feed results back,
//! and stop on `finish`, on a reply without tool calls, at the iteration limit, on Ctrl-C or
//! on a provider failure.
//!
//! Every change goes through an [`AgentEvent`]: journaled in the [`Session`] first, then
//! applied to the [`Conversation`], then shown to the observer. Bad calls never crash the
//! loop: an unreadable call, an unknown tool or arguments that fail the tool's schema come
//! back to the model as an error result. When the estimated context outgrows the budget,
//! older turns are compacted into a digest ([`compaction`]).

pub mod compaction;
pub mod events;
pub mod prompt;

use crate::ToolRunner;
use crate::provider::{Cancel, ChatRequest, Provider, ProviderError, StreamDelta, ToolCall};
use crate::session::{Session, SessionError, unanswered_results};
use crate::tools::{ToolEffect, ToolError};
pub use events::{AgentEvent, Conversation, Outcome, Summary};

/// Limits and sampling settings of the loop.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentConfig {
    /// The most model replies per run (per task).
    pub max_iterations: u32,
    /// The context budget in tokens; above it older turns are compacted.
    pub context_tokens: u64,
    /// Turns kept whole when compacting.
    pub keep_turns: usize,
    /// Sampling temperature (`None`: the provider's default).
    pub temperature: Option<f32>,
    /// Tokens per reply (`None`: the provider's default).
    pub max_tokens: Option<u32>,
    /// Bytes of AGENTS.md and README.md put into the system prompt.
    pub context_file_bytes: usize,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            max_iterations: 50,
            context_tokens: 32_000,
            keep_turns: 4,
            temperature: None,
            max_tokens: None,
            context_file_bytes: 8 * 1024,
        }
    }
}

/// Why the loop could not go on recording (provider failures are outcomes, not errors).
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The session journal failed, so nothing further can be made durable.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// An event did not fit the conversation (a bug or a damaged journal).
    #[error("conversation state: {0}")]
    State(String),
}

/// Receives every event (the CLI prints them or writes JSON lines).
pub type Observer = Box<dyn FnMut(&AgentEvent) + Send>;

/// The journal, the conversation it builds and the observer, changed only together.
struct Log {
    session: Session,
    conversation: Conversation,
    observer: Observer,
}

impl Log {
    fn emit(&mut self, event: AgentEvent) -> Result<(), AgentError> {
        let lsn = self.session.record(&event)?;
        self.conversation.apply(&event).map_err(AgentError::State)?;
        if let (AgentEvent::Compaction { .. }, Some(lsn)) = (&event, lsn) {
            self.session.checkpoint(lsn, &self.conversation)?;
        }
        (self.observer)(&event);
        Ok(())
    }
}

/// One agent session: a provider, a tool runner and a journaled conversation.
pub struct Agent {
    provider: Box<dyn Provider>,
    runner: ToolRunner,
    log: Log,
    config: AgentConfig,
    cancel: Cancel,
    /// The last call run (its tool and arguments) and how many times in a row the model
    /// has sent it again since.
    last_call: Option<(String, String)>,
    repeats: u32,
}

/// Identical calls in a row, each answered with a nudge instead of being run, before the
/// session stops as failed.
const MAX_REPEATS: u32 = 3;

/// The answer to a call identical to the one just before it.
const REPEAT_NUDGE: &str = "error: this is the same call, with the same arguments, as your \
                            last one, so it was not run again: its result is above and would \
                            not change. Do something different with what it told you: read \
                            the file it points to, edit the code, or call finish.";

impl Agent {
    /// Starts or resumes a session. `conversation` is what [`Session::resume`] rebuilt
    /// (empty for a new session, which then gets its system prompt); on resume, calls left
    /// without a result are answered as interrupted or not run.
    pub fn new(
        provider: Box<dyn Provider>,
        runner: ToolRunner,
        session: Session,
        conversation: Conversation,
        config: AgentConfig,
        cancel: Cancel,
        observer: Observer,
    ) -> Result<Self, AgentError> {
        let resumed = !conversation.messages.is_empty();
        let start = AgentEvent::SessionStart {
            session: session.id().to_string(),
            workspace: runner.context().workspace.root().display().to_string(),
            provider: provider.name().to_string(),
            model: provider.model().to_string(),
            resumed,
        };
        let mut agent = Self {
            provider,
            runner,
            log: Log {
                session,
                conversation,
                observer,
            },
            config,
            cancel,
            last_call: None,
            repeats: 0,
        };
        agent.log.emit(start)?;
        if resumed {
            for result in unanswered_results(&agent.log.conversation) {
                agent.log.emit(result)?;
            }
        } else {
            let root = agent.runner.context().workspace.root();
            let specs = agent.runner.registry().specs();
            let content = prompt::system_prompt(root, &specs, agent.config.context_file_bytes);
            agent.log.emit(AgentEvent::System { content })?;
        }
        Ok(agent)
    }

    /// The session id.
    pub fn session_id(&self) -> &str {
        self.log.session.id()
    }

    /// The conversation so far.
    pub fn conversation(&self) -> &Conversation {
        &self.log.conversation
    }

    /// Runs until the model finishes: with `task`, a new user message first; without, the
    /// loop continues a resumed session (or returns how it last ended).
    pub fn run(&mut self, task: Option<&str>) -> Result<Summary, AgentError> {
        if let Some(task) = task {
            self.log.emit(AgentEvent::User {
                content: task.to_string(),
            })?;
        } else if !self.log.conversation.awaits_model() {
            if let Some(done) = &self.log.conversation.finished {
                return Ok(done.clone());
            }
            let last = match self.log.conversation.messages.last() {
                Some(crate::provider::Message::Assistant { content, .. }) => content.clone(),
                _ => String::new(),
            };
            return self.finish(Outcome::Replied, last);
        }
        let mut iterations = 0;
        loop {
            if self.cancel.is_cancelled() {
                return self.finish(Outcome::Cancelled, "cancelled by the user".into());
            }
            if iterations >= self.config.max_iterations {
                let why =
                    format!("stopped after {iterations} iterations without finishing (the limit)");
                return self.finish(Outcome::MaxIterations, why);
            }
            self.compact_if_needed()?;
            let request = ChatRequest {
                messages: self.log.conversation.messages.clone(),
                tools: self.runner.registry().specs(),
                temperature: self.config.temperature,
                max_tokens: self.config.max_tokens,
                stop: Vec::new(),
                cancel: self.cancel.clone(),
            };
            let observer = &mut self.log.observer;
            let reply = self.provider.complete(&request, &mut |delta| match delta {
                StreamDelta::Text(text) => {
                    observer(&AgentEvent::AssistantDelta { text: text.clone() })
                }
                StreamDelta::Retrying {
                    attempt,
                    delay,
                    error,
                } => observer(&AgentEvent::Retry {
                    attempt: *attempt,
                    delay_ms: delay.as_millis() as u64,
                    error: error.clone(),
                }),
                StreamDelta::ToolCall { .. } => {}
            });
            let reply = match reply {
                Ok(r) => r,
                Err(ProviderError::Cancelled) => {
                    return self.finish(Outcome::Cancelled, "cancelled by the user".into());
                }
                Err(e) => {
                    let message = format!("{} provider: {e}", self.provider.name());
                    self.log.emit(AgentEvent::Error {
                        message: message.clone(),
                    })?;
                    return self.finish(Outcome::Failed, message);
                }
            };
            iterations += 1;
            let calls = reply.tool_calls.clone();
            self.log.emit(AgentEvent::AssistantMessage {
                content: reply.content.clone(),
                tool_calls: reply.tool_calls,
                usage: reply.usage,
            })?;
            if calls.is_empty() {
                return self.finish(Outcome::Replied, reply.content);
            }
            let mut finished = None;
            for call in calls {
                if self.cancel.is_cancelled() {
                    self.log.emit(AgentEvent::ToolResult {
                        call_id: call.id,
                        name: call.name,
                        ok: false,
                        content: "not run: cancelled by the user".into(),
                    })?;
                    continue;
                }
                if let Some(summary) = self.call_tool(call)? {
                    finished = Some(summary);
                }
            }
            if let Some(summary) = finished {
                return self.finish(Outcome::Finished, summary);
            }
            if self.repeats >= MAX_REPEATS {
                let why = format!(
                    "stopped: the model sent the same call {} times in a row",
                    self.repeats + 1
                );
                return self.finish(Outcome::Repeating, why);
            }
        }
    }

    /// Whether `call` repeats the call just before it (same tool, same arguments once
    /// parsed); remembers it as the last call otherwise.
    fn is_repeat(&mut self, call: &ToolCall) -> bool {
        let arguments = match &call.parsed {
            Ok(value) => value.to_string(),
            Err(_) => call.arguments.clone(),
        };
        let key = (call.name.clone(), arguments);
        if self.last_call.as_ref() == Some(&key) {
            self.repeats += 1;
            return true;
        }
        self.last_call = Some(key);
        self.repeats = 0;
        false
    }

    /// Journals the intent, runs one call and journals its result; returns the `finish`
    /// summary when the call was a successful `finish`.
    fn call_tool(&mut self, call: ToolCall) -> Result<Option<String>, AgentError> {
        self.log.emit(AgentEvent::ToolCall { call: call.clone() })?;
        let mut journal_error = None;
        let result = match &call.parsed {
            _ if self.is_repeat(&call) => Err(REPEAT_NUDGE.to_string()),
            Err(e) => Err(format!("error: could not read this tool call: {e}")),
            Ok(args) => {
                let log = &mut self.log;
                let outcome = self
                    .runner
                    .call_observed(&call.name, args.clone(), &mut |r| {
                        let decision = AgentEvent::PermissionDecision {
                            tool: r.tool.clone(),
                            action: r.action.clone(),
                            resource: r.resource.clone(),
                            decision: r.decision.clone(),
                            rule: r.rule.clone(),
                        };
                        if let Err(e) = log.emit(decision) {
                            journal_error.get_or_insert(e);
                        }
                    });
                outcome.map_err(|e| self.describe_error(&e))
            }
        };
        if let Some(e) = journal_error {
            return Err(e);
        }
        let (ok, content, finish) = match result {
            Ok(out) => {
                let finish = match out.effect {
                    Some(ToolEffect::Finish { summary }) => Some(summary),
                    _ => None,
                };
                (true, out.content, finish)
            }
            Err(message) => (false, message, None),
        };
        self.log.emit(AgentEvent::ToolResult {
            call_id: call.id,
            name: call.name,
            ok,
            content,
        })?;
        Ok(finish)
    }

    /// The error text sent to the model for a failed call.
    fn describe_error(&self, error: &ToolError) -> String {
        match error {
            ToolError::UnknownTool(_) => format!(
                "error: {error}; the tools are: {}",
                self.runner.registry().names().join(", ")
            ),
            _ => format!("error: {error}"),
        }
    }

    /// Compacts older turns when the estimated context is over budget.
    fn compact_if_needed(&mut self) -> Result<(), AgentError> {
        let conversation = &self.log.conversation;
        let before = conversation.estimated_tokens();
        if before <= self.config.context_tokens {
            return Ok(());
        }
        let messages = &conversation.messages;
        let Some((start, end)) = compaction::plan(messages, self.config.keep_turns) else {
            return Ok(());
        };
        let summary = compaction::digest(&messages[start..end]);
        let removed: usize = messages[start..end].iter().map(|m| m.text_len()).sum();
        let after = before.saturating_sub(removed as u64 / 4) + (summary.len() as u64).div_ceil(4);
        // The last call's result may be gone from the context now: sending it again is
        // no longer a repeat.
        self.last_call = None;
        self.log.emit(AgentEvent::Compaction {
            start,
            end,
            summary,
            tokens_before: before,
            tokens_after: after,
        })
    }

    fn finish(&mut self, outcome: Outcome, summary: String) -> Result<Summary, AgentError> {
        let c = &self.log.conversation;
        let summary = Summary {
            outcome,
            summary,
            iterations: c.iterations,
            tool_calls: c.tool_calls,
            prompt_tokens: c.usage.prompt_tokens,
            completion_tokens: c.usage.completion_tokens,
        };
        self.log.emit(AgentEvent::Finish(summary.clone()))?;
        Ok(summary)
    }
}
