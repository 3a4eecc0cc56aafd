//! The model's own tool-call protocol for the local provider, as `llama-server --jinja` uses
//! it: when the chat template renders tools (Qwen2.5's and other Hermes-style templates: the
//! tool list inside `<tools></tools>` in the system prompt, calls as
//! `<tool_call>\n{"name": ..., "arguments": ...}\n</tool_call>`, results as `tool` messages
//! in `<tool_response>`), the tools, the earlier calls and the results go through the
//! template, and the grammar constrains the reply to one schema-valid call inside those
//! markers, optionally after a short free-text thought.
//!
//! Templates that do not render tools, or whose call markers ouro does not know, keep the
//! plain protocol (tools described in the system message, a bare JSON call; see
//! [`super::local`]).

use ouro_llm::ChatTemplate;
use ouro_llm::chat_template::{TemplateTool, TemplateToolCall, ToolCaps, ToolChatMessage};
pub use ouro_llm::constrained::hermes::{
    CALL_CLOSE, CALL_OPEN, CallMode, Reply, ReplyError, grammar, parse_reply,
};

/// The agent's replies are always one call, after a thought when `thought` is on.
pub fn call_mode(thought: bool) -> CallMode {
    if thought {
        CallMode::AfterThought
    } else {
        CallMode::One
    }
}

use super::Message;
use crate::tools::ToolSpec;

/// What the system message asks for when a short thought may precede each call.
const THOUGHT_NUDGE: &str = "\n\nBefore each tool call, write one short sentence on what you \
                             will do next and why.";

/// Which tool-call protocol the local provider uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ToolProtocol {
    /// The template's own protocol when the template supports it, else the plain one.
    #[default]
    Auto,
    /// Tools described in the system message, one bare JSON call per reply.
    Plain,
    /// The template's protocol (the plain one when the template lacks it), reply = the marked
    /// call only.
    Template,
    /// The template's protocol with a short free-text thought allowed before the call.
    TemplateThought,
}

impl ToolProtocol {
    /// Reads `plain`, `template`, `thought` or `auto` (the names of the
    /// `OURO_LOCAL_TOOL_PROTOCOL` variable).
    pub fn parse(text: &str) -> Option<ToolProtocol> {
        match text.trim() {
            "auto" => Some(ToolProtocol::Auto),
            "plain" => Some(ToolProtocol::Plain),
            "template" => Some(ToolProtocol::Template),
            "thought" | "template-thought" => Some(ToolProtocol::TemplateThought),
            _ => None,
        }
    }
}

/// The protocol chosen for one model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chosen {
    Plain,
    Template { caps: ToolCaps, thought: bool },
}

/// The protocol `wanted` for a model with `template`: the template's own when it renders
/// tools and calls and writes calls inside `<tool_call>` markers.
pub fn choose(template: &ChatTemplate, wanted: ToolProtocol) -> Chosen {
    if wanted == ToolProtocol::Plain {
        return Chosen::Plain;
    }
    let caps = template.tool_caps();
    let known_markers =
        template.source().contains(CALL_OPEN) && template.source().contains(CALL_CLOSE);
    if caps.tools && caps.tool_calls && known_markers {
        Chosen::Template {
            caps,
            thought: wanted == ToolProtocol::TemplateThought,
        }
    } else {
        Chosen::Plain
    }
}

/// The tools as the template sees them.
pub fn template_tools(tools: &[ToolSpec]) -> Vec<TemplateTool> {
    tools
        .iter()
        .map(|t| TemplateTool {
            name: t.name.clone(),
            description: t.description.clone(),
            parameters: t.parameters.clone(),
        })
        .collect()
}

/// The conversation as the template sees it: calls on the assistant messages, results as
/// `tool` messages. A call that could not be read is shown as the text the model wrote.
pub fn template_messages(messages: &[Message], thought: bool) -> Vec<ToolChatMessage> {
    let mut out = Vec::with_capacity(messages.len());
    for message in messages {
        out.push(match message {
            Message::System { content } => {
                let nudge = if thought { THOUGHT_NUDGE } else { "" };
                ToolChatMessage::new("system", format!("{content}{nudge}"))
            }
            Message::User { content } => ToolChatMessage::new("user", content.clone()),
            Message::Assistant {
                content,
                tool_calls,
            } => {
                let mut text = content.clone();
                let mut calls = Vec::new();
                for call in tool_calls {
                    match &call.parsed {
                        Ok(arguments) => calls.push(TemplateToolCall {
                            id: call.id.clone(),
                            name: call.name.clone(),
                            arguments: arguments.clone(),
                        }),
                        Err(_) => {
                            if !text.is_empty() {
                                text.push('\n');
                            }
                            text.push_str(&call.arguments);
                        }
                    }
                }
                ToolChatMessage {
                    tool_calls: calls,
                    ..ToolChatMessage::new("assistant", text)
                }
            }
            Message::Tool {
                tool_call_id,
                name,
                content,
            } => ToolChatMessage {
                tool_call_id: Some(tool_call_id.clone()),
                name: Some(name.clone()),
                ..ToolChatMessage::new("tool", content.clone())
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ToolCall;
    use ouro_llm::constrained::{self, SchemaLimits};
    use serde_json::json;

    fn specs() -> Vec<constrained::ToolSpec> {
        vec![
            constrained::ToolSpec {
                name: "read_file".into(),
                description: "Read a file.".into(),
                parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}),
            },
            constrained::ToolSpec {
                name: "finish".into(),
                description: "End.".into(),
                parameters: json!({"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}),
            },
        ]
    }

    const QWEN: &str =
        include_str!("../../../ouro-llm/tests/fixtures/chat_template/qwen2.5-coder-tools.jinja");

    #[test]
    fn marked_replies_parse_into_calls() {
        let reply = parse_reply(
            "<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a.rs\"}}\n</tool_call>",
            &specs(),
        )
        .unwrap();
        assert_eq!(reply.thought, "");
        assert_eq!(reply.call.name, "read_file");
        assert_eq!(reply.call.arguments, json!({"path": "a.rs"}));
        let reply = parse_reply(
            "I will read it.\n<tool_call>\n{\"name\": \"finish\", \"arguments\": {\"summary\": \"ok\"}}\n</tool_call>",
            &specs(),
        )
        .unwrap();
        assert_eq!(reply.thought, "I will read it.");
        assert_eq!(reply.call.name, "finish");
    }

    #[test]
    fn malformed_replies_are_clear_errors() {
        let cases = [
            ("just text", "has no <tool_call> block"),
            (
                "<tool_call>\n{\"name\": \"read_file\"",
                "not closed with </tool_call>",
            ),
            ("<tool_call>\n{\"name\": </tool_call>", "not JSON"),
            (
                "<tool_call>\n{\"name\": \"cat\", \"arguments\": {}}\n</tool_call>",
                "unknown tool `cat`",
            ),
            (
                "<tool_call>\n{\"name\": \"read_file\", \"arguments\": {}}\n</tool_call>",
                "missing required `path`",
            ),
            ("</tool_call><tool_call>", "not closed"),
            ("<tool_call>é</tool_call>", "not JSON"),
        ];
        for (text, want) in cases {
            let err = parse_reply(text, &specs()).unwrap_err().to_string();
            assert!(
                err.contains(want),
                "{text:?}: {err:?} should contain {want:?}"
            );
        }
    }

    #[test]
    fn grammars_compile_for_both_forms() {
        let limits = SchemaLimits::default();
        for thought in [false, true] {
            let g = grammar(&specs(), &limits, call_mode(thought)).unwrap();
            assert_eq!(g.describe(), "tool-call grammar");
        }
        assert!(grammar(&[], &limits, CallMode::One).is_err());
    }

    #[test]
    fn qwen_gets_the_template_protocol_and_others_the_plain_one() {
        let qwen = ChatTemplate::new(QWEN, "", "<|im_end|>").unwrap();
        assert!(matches!(
            choose(&qwen, ToolProtocol::Auto),
            Chosen::Template { thought: false, .. }
        ));
        assert!(matches!(
            choose(&qwen, ToolProtocol::TemplateThought),
            Chosen::Template { thought: true, .. }
        ));
        assert_eq!(choose(&qwen, ToolProtocol::Plain), Chosen::Plain);
        let plain = ChatTemplate::new(
            "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}",
            "",
            "",
        )
        .unwrap();
        assert_eq!(choose(&plain, ToolProtocol::Template), Chosen::Plain);
    }

    #[test]
    fn the_conversation_renders_through_the_template() {
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
            Message::Assistant {
                content: String::new(),
                tool_calls: vec![ToolCall::unreadable("c2", "{\"name\": \"fin", "cut".into())],
            },
            Message::Tool {
                tool_call_id: "c2".into(),
                name: String::new(),
                content: "error: cut".into(),
            },
        ];
        let tools: Vec<ToolSpec> = specs()
            .into_iter()
            .map(|s| ToolSpec {
                name: s.name,
                description: s.description,
                parameters: s.parameters,
            })
            .collect();
        let qwen = ChatTemplate::new(QWEN, "", "<|im_end|>").unwrap();
        let caps = qwen.tool_caps();
        let text = qwen
            .render_with_tools(
                &template_messages(&messages, false),
                &template_tools(&tools),
                caps,
                true,
            )
            .unwrap();
        let tail = "<|im_start|>user\nFix it.<|im_end|>\n\
                    <|im_start|>assistant\n<tool_call>\n\
                    {\"name\": \"read_file\", \"arguments\": {\"path\": \"a.rs\"}}\n\
                    </tool_call><|im_end|>\n\
                    <|im_start|>user\n<tool_response>\n1: fn main() {}\n</tool_response><|im_end|>\n\
                    <|im_start|>assistant\n{\"name\": \"fin<|im_end|>\n\
                    <|im_start|>user\n<tool_response>\nerror: cut\n</tool_response><|im_end|>\n\
                    <|im_start|>assistant\n";
        assert!(text.ends_with(tail), "{text}");
        assert!(text.starts_with("<|im_start|>system\nYou are a coder.\n\n# Tools\n"));
        assert!(text.contains("\n{\"type\": \"function\", \"function\": {\"name\": \"finish\""));
        let nudged = template_messages(&messages, true);
        assert!(nudged[0].content.ends_with(THOUGHT_NUDGE));
    }
}
