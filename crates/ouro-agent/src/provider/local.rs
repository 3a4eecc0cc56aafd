//! The local engine as a provider: ouro's own model runtime (ouro-llm) in process, with
//! every tool call decoded under a grammar built from the tools' JSON schemas, so that even a
//! 135M model's calls always parse and validate.
//!
//! The conversation is rendered with the model's chat template. When the template has its
//! own tool-call protocol (Qwen2.5's `<tool_call>` markers, see [`super::local_tools`]), the
//! tools, calls and results go through the template as `llama-server --jinja` renders them
//! and the grammar constrains one call inside the markers. Otherwise (the plain protocol)
//! tools are described in the system message, and one reply is exactly one call,
//! `{"name": ..., "arguments": {...}}` (the grammar allows nothing else); the model's earlier
//! calls are shown to it in that same form and tool results come back as user messages.
//! The cache of the previous turn is reused for the shared prefix of the next one
//! ([`ChatSession`]).

use std::path::Path;

use ouro_llm::chat_template::ChatMessage;
use ouro_llm::constrained::{self, Grammar, SchemaLimits};
use ouro_llm::device::DeviceChoice;
use ouro_llm::engine::{ChatSession, Engine, GenerateOptions, StopReason};
use ouro_llm::sampling::SamplingConfig;
use serde_json::Value;

pub use super::local_tools::ToolProtocol;
use super::local_tools::{self, Chosen};
use super::{
    ChatRequest, ChatResponse, FinishReason, Message, Provider, ProviderError, StreamDelta,
    ToolCall, Usage,
};
use crate::tools::ToolSpec;

/// Settings of the local provider.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// Context size in tokens.
    pub n_ctx: usize,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// Tokens per reply when the request sets no limit.
    pub max_tokens: usize,
    /// Sampling seed.
    pub seed: u64,
    /// Where the model runs (auto: a CUDA GPU when one is usable, else the CPU).
    pub device: DeviceChoice,
    /// Bounds put on the tools' schemas so that calls stay short.
    pub limits: SchemaLimits,
    /// How tool calls are written (the variable `OURO_LOCAL_TOOL_PROTOCOL`, `auto`, `plain`,
    /// `template` or `thought`, overrides it when set).
    pub tool_protocol: ToolProtocol,
}

/// The variable that overrides [`LocalConfig::tool_protocol`].
pub const TOOL_PROTOCOL_VAR: &str = "OURO_LOCAL_TOOL_PROTOCOL";

impl Default for LocalConfig {
    fn default() -> Self {
        LocalConfig {
            n_ctx: 4096,
            threads: 0,
            max_tokens: 1024,
            seed: 0,
            device: DeviceChoice::Auto,
            // Short enough that a call always completes within `max_tokens`, even when a
            // small model repeats itself inside a string.
            limits: SchemaLimits {
                max_string_chars: 400,
                max_items: 16,
                ..SchemaLimits::default()
            },
            tool_protocol: ToolProtocol::default(),
        }
    }
}

/// ouro's engine running a GGUF model in this process.
pub struct LocalProvider {
    engine: Engine,
    session: ChatSession,
    model: String,
    config: LocalConfig,
    protocol: Chosen,
}

impl LocalProvider {
    /// Loads the GGUF model at `path`.
    pub fn load(path: &Path, config: LocalConfig) -> Result<LocalProvider, ProviderError> {
        let load_error =
            |e| ProviderError::Config(format!("cannot load the model {}: {e}", path.display()));
        let (engine, note) =
            Engine::load_on(path, config.threads, config.device).map_err(load_error)?;
        if let Some(note) = note {
            eprintln!("ouro: {note}");
        }
        let Some(template) = engine.template.as_ref() else {
            return Err(ProviderError::Config(format!(
                "{} has no chat template (tokenizer.chat_template): the agent needs a chat model",
                path.display()
            )));
        };
        let wanted = match std::env::var(TOOL_PROTOCOL_VAR) {
            Ok(text) if !text.trim().is_empty() => ToolProtocol::parse(&text).ok_or_else(|| {
                ProviderError::Config(format!(
                    "{TOOL_PROTOCOL_VAR}={text}: expected auto, plain, template or thought"
                ))
            })?,
            _ => config.tool_protocol,
        };
        let protocol = local_tools::choose(template, wanted);
        let session = engine.session(config.n_ctx).map_err(load_error)?;
        let model = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        Ok(LocalProvider {
            engine,
            session,
            model,
            config,
            protocol,
        })
    }

    /// Whether tool calls go through the chat template's own protocol.
    pub fn uses_template_tools(&self) -> bool {
        matches!(self.protocol, Chosen::Template { .. })
    }

    /// The prompt and grammar of one request: the template's protocol when chosen and there
    /// are tools, else the plain one. The flag says whether the reply is a marked call.
    fn prompt(
        &self,
        req: &ChatRequest,
        specs: &[constrained::ToolSpec],
    ) -> Result<(String, Option<Grammar>, bool), ProviderError> {
        let template_error =
            |e: &dyn std::fmt::Display| ProviderError::Config(format!("chat template: {e}"));
        let grammar_error = |e| ProviderError::Config(format!("tool-call grammar: {e}"));
        if let (Chosen::Template { caps, thought }, false) = (self.protocol, specs.is_empty()) {
            let template =
                self.engine.template.as_ref().ok_or_else(|| {
                    ProviderError::Config("the model has no chat template".into())
                })?;
            let grammar =
                local_tools::grammar(specs, &self.config.limits, local_tools::call_mode(thought))
                    .map_err(grammar_error)?;
            let prompt = template
                .render_with_tools(
                    &local_tools::template_messages(&req.messages, thought),
                    &local_tools::template_tools(&req.tools),
                    caps,
                    true,
                )
                .map_err(|e| template_error(&e))?;
            return Ok((prompt, Some(grammar), true));
        }
        let grammar = if specs.is_empty() {
            None
        } else {
            Some(Grammar::tool_calls(specs, &self.config.limits).map_err(grammar_error)?)
        };
        let prompt = self
            .engine
            .chat_prompt(&chat_messages(&req.messages, &req.tools))
            .map_err(|e| template_error(&e))?;
        Ok((prompt, grammar, false))
    }

    fn options(&self, req: &ChatRequest, grammar: Option<Grammar>) -> GenerateOptions {
        let mut sampling = match req.temperature {
            Some(t) if t > 0.0 => SamplingConfig {
                temperature: t,
                ..SamplingConfig::default()
            },
            _ => SamplingConfig::greedy(),
        };
        sampling.seed = self.config.seed;
        GenerateOptions {
            max_tokens: req
                .max_tokens
                .map_or(self.config.max_tokens, |n| n as usize),
            sampling,
            stop: req.stop.clone(),
            ignore_eos: false,
            grammar,
            lookup: None,
            logprobs: None,
        }
    }
}

/// The tools as ouro-llm's constrained decoder sees them.
fn constrained_specs(tools: &[ToolSpec]) -> Vec<constrained::ToolSpec> {
    tools
        .iter()
        .map(|t| constrained::ToolSpec {
            name: t.name.clone(),
            description: t.description.clone(),
            parameters: t.parameters.clone(),
        })
        .collect()
}

/// How a call is written, in the prompt and by the grammar.
fn call_text(name: &str, arguments: &str) -> String {
    let arguments = serde_json::from_str::<Value>(arguments)
        .map_or_else(|_| arguments.to_string(), |v| v.to_string());
    format!(
        "{{\"name\": {}, \"arguments\": {arguments}}}",
        Value::from(name)
    )
}

/// The system message's part that tells the model how to call tools.
fn tools_instructions(tools: &[ToolSpec]) -> String {
    let mut out = String::from(
        "\n\n## Tools\nReply with exactly one tool call, a JSON object \
         {\"name\": TOOL, \"arguments\": {...}}, and nothing else. Its result comes back in \
         the next message. When the task is done, call `finish` with a summary.\n",
    );
    for tool in tools {
        out.push_str(&format!(
            "- {}: {} Arguments: {}\n",
            tool.name, tool.description, tool.parameters
        ));
    }
    out
}

/// The conversation as chat-template messages (see the module docs).
fn chat_messages(messages: &[Message], tools: &[ToolSpec]) -> Vec<ChatMessage> {
    let mut out: Vec<ChatMessage> = Vec::new();
    let instructions = (!tools.is_empty()).then(|| tools_instructions(tools));
    if let Some(text) = &instructions
        && !matches!(messages.first(), Some(Message::System { .. }))
    {
        out.push(ChatMessage::new("system", text.trim_start()));
    }
    for message in messages {
        let (role, content) = match message {
            Message::System { content } => (
                "system",
                format!("{content}{}", instructions.as_deref().unwrap_or("")),
            ),
            Message::User { content } => ("user", content.clone()),
            Message::Assistant {
                content,
                tool_calls,
            } => {
                let calls = tool_calls.iter().map(|c| call_text(&c.name, &c.arguments));
                let parts: Vec<String> = std::iter::once(content.clone())
                    .filter(|c| !c.trim().is_empty())
                    .chain(calls)
                    .collect();
                ("assistant", parts.join("\n"))
            }
            Message::Tool { name, content, .. } => {
                let text = format!("Result of `{name}`:\n{content}");
                // Results of one reply's calls share one user message.
                if let Some(last) = out.last_mut()
                    && last.role == "user"
                    && last.content.starts_with("Result of `")
                {
                    last.content.push_str("\n\n");
                    last.content.push_str(&text);
                    continue;
                }
                ("user", text)
            }
        };
        out.push(ChatMessage::new(role, content));
    }
    out
}

impl Provider for LocalProvider {
    fn name(&self) -> &str {
        "local"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn complete(
        &mut self,
        req: &ChatRequest,
        on_delta: &mut dyn FnMut(&StreamDelta),
    ) -> Result<ChatResponse, ProviderError> {
        let specs = constrained_specs(&req.tools);
        let (prompt, grammar, marked) = self.prompt(req, &specs)?;
        let opts = self.options(req, grammar);
        let calling = opts.grammar.is_some();
        let mut on_text = |piece: &str| {
            on_delta(&if calling {
                StreamDelta::ToolCall {
                    index: 0,
                    name: None,
                    arguments: piece.to_string(),
                }
            } else {
                StreamDelta::Text(piece.to_string())
            })
        };
        let generation = self
            .session
            .generate(
                &self.engine,
                &prompt,
                &opts,
                req.cancel.flag(),
                &mut on_text,
            )
            .map_err(|e| ProviderError::Config(format!("local engine: {e}")))?;
        if generation.stop_reason == StopReason::Cancelled {
            return Err(ProviderError::Cancelled);
        }
        let usage = Some(Usage {
            prompt_tokens: generation.prompt_tokens as u64,
            completion_tokens: generation.tokens.len() as u64,
        });
        let finish_reason = match generation.stop_reason {
            StopReason::MaxTokens | StopReason::ContextFull => FinishReason::Length,
            StopReason::GrammarComplete => FinishReason::ToolCalls,
            _ => FinishReason::Stop,
        };
        if !calling {
            return Ok(ChatResponse {
                content: generation.text,
                tool_calls: Vec::new(),
                finish_reason,
                usage,
            });
        }
        if marked {
            return Ok(match local_tools::parse_reply(&generation.text, &specs) {
                Ok(reply) => ChatResponse {
                    content: reply.thought,
                    tool_calls: vec![ToolCall::from_value(
                        "local_call",
                        reply.call.name,
                        reply.call.arguments,
                    )],
                    finish_reason,
                    usage,
                },
                // Cut off by the token limit or the context: the loop reports it to the model.
                Err(e) => ChatResponse {
                    content: String::new(),
                    tool_calls: vec![ToolCall::unreadable(
                        "local_call",
                        generation.text,
                        format!("the tool call is incomplete ({e})"),
                    )],
                    finish_reason,
                    usage,
                },
            });
        }
        let call = match constrained::parse_tool_call(&generation.text, &specs) {
            Ok(call) => ToolCall::from_value("local_call", call.name, call.arguments),
            // Cut off by the token limit or the context: the loop reports it to the model.
            Err(e) => ToolCall::unreadable(
                "local_call",
                generation.text,
                format!("the tool call is incomplete ({e})"),
            ),
        };
        Ok(ChatResponse {
            content: String::new(),
            tool_calls: vec![call],
            finish_reason,
            usage,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(name: &str) -> ToolSpec {
        ToolSpec {
            name: name.into(),
            description: format!("does {name}."),
            parameters: json!({"type": "object", "properties": {}}),
        }
    }

    #[test]
    fn calls_and_results_are_rendered_as_the_grammar_writes_them() {
        let messages = vec![
            Message::system("You are a coder."),
            Message::user("Fix it."),
            Message::Assistant {
                content: String::new(),
                tool_calls: vec![ToolCall::new("c1", "read_file", "{\"path\": \"a.rs\"}")],
            },
            Message::Tool {
                tool_call_id: "c1".into(),
                name: "read_file".into(),
                content: "1: fn main() {}".into(),
            },
            Message::Tool {
                tool_call_id: "c2".into(),
                name: "list".into(),
                content: "a.rs".into(),
            },
        ];
        let chat = chat_messages(&messages, &[tool("read_file"), tool("finish")]);
        let roles: Vec<&str> = chat.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, ["system", "user", "assistant", "user"]);
        assert!(chat[0].content.starts_with("You are a coder.\n\n## Tools"));
        assert!(chat[0].content.contains("- finish: does finish."));
        assert_eq!(
            chat[2].content,
            "{\"name\": \"read_file\", \"arguments\": {\"path\":\"a.rs\"}}"
        );
        assert_eq!(
            chat[3].content,
            "Result of `read_file`:\n1: fn main() {}\n\nResult of `list`:\na.rs"
        );
    }

    #[test]
    fn tools_get_a_system_message_when_there_is_none() {
        let chat = chat_messages(&[Message::user("hi")], &[tool("finish")]);
        assert_eq!(chat[0].role, "system");
        assert!(chat[0].content.starts_with("## Tools"));
        let plain = chat_messages(&[Message::user("hi")], &[]);
        assert_eq!(plain.len(), 1);
    }
}
