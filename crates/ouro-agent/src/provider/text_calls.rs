//! Tool calls for models without function calling: the instructions that go into the system
//! prompt, the parser that finds calls in a reply, and the conversion of tool results into
//! plain messages.
//!
//! A call is a JSON object `{"tool": NAME, "arguments": {...}}`, preferably in a fenced
//! ```` ```json ```` block; a bare object in the reply is accepted too. The parser is lenient
//! in form (`name` for `tool`, `parameters` for `arguments`, arguments as a JSON string, a
//! block left unclosed at the end of the reply) but never guesses: an object that looks like a
//! call and does not parse becomes an unreadable [`ToolCall`] whose error goes back to the
//! model.

use serde_json::Value;

use super::{Message, ToolCall};
use crate::tools::ToolSpec;

/// The system-prompt section that lists the tools and explains the call format.
pub fn tools_prompt(tools: &[ToolSpec]) -> String {
    let mut out = String::from(
        "## Calling tools\n\
         To call a tool, reply with a fenced JSON block, exactly like this:\n\
         ```json\n{\"tool\": \"read_file\", \"arguments\": {\"path\": \"README.md\"}}\n```\n\
         Use one block per call; you may make several calls in one reply. The results come \
         back in the next user message, each starting with `Result of tool call`. When the \
         task is done, call `finish` with a summary.\n\n## Tools\n",
    );
    for tool in tools {
        out.push_str(&format!(
            "- `{}`: {}\n  arguments schema: {}\n",
            tool.name, tool.description, tool.parameters
        ));
    }
    out
}

/// A fenced block: its info string and its body.
struct Block<'a> {
    info: &'a str,
    body: String,
}

fn fenced_blocks(reply: &str) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
    let mut open: Option<Block<'_>> = None;
    for line in reply.lines() {
        let trimmed = line.trim();
        match &mut open {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    open = Some(Block {
                        info: info.trim(),
                        body: String::new(),
                    });
                }
            }
            Some(block) => {
                if trimmed == "```" {
                    blocks.extend(open.take());
                } else {
                    block.body.push_str(line);
                    block.body.push('\n');
                }
            }
        }
    }
    // A block left open at the end of the reply (the model stopped right after the object).
    blocks.extend(open);
    blocks
}

/// Whether `text` looks like an attempt at a call (so a parse failure must be reported).
fn looks_like_call(text: &str) -> bool {
    text.contains("\"tool\"") || (text.contains("\"name\"") && text.contains("\"arguments\""))
}

/// Reads a parsed JSON value as a call; `None` when it is not call-shaped.
fn call_from_value(id: String, value: &Value) -> Option<ToolCall> {
    let obj = value.as_object()?;
    let name = obj.get("tool").or_else(|| obj.get("name"))?;
    let Some(name) = name.as_str() else {
        return Some(ToolCall::unreadable(
            id,
            value.to_string(),
            format!("the tool name must be a string, got {name}"),
        ));
    };
    let call = match obj.get("arguments").or_else(|| obj.get("parameters")) {
        None => ToolCall::from_value(id, name, Value::Object(Default::default())),
        Some(Value::String(raw)) => ToolCall::new(id, name, raw.clone()),
        Some(args @ Value::Object(_)) => ToolCall::from_value(id, name, args.clone()),
        Some(other) => ToolCall {
            id,
            name: name.to_string(),
            arguments: other.to_string(),
            parsed: Err(format!("`arguments` must be a JSON object, got {other}")),
        },
    };
    Some(call)
}

/// Finds the tool calls in a reply, in order. Ids are `text_call_<n>`, counting from 1.
pub fn parse_calls(reply: &str) -> Vec<ToolCall> {
    let mut calls = Vec::new();
    let next_id = |calls: &Vec<ToolCall>| format!("text_call_{}", calls.len() + 1);
    for block in fenced_blocks(reply) {
        let body = block.body.trim();
        let jsonish = matches!(block.info, "" | "json" | "tool" | "tool_call" | "tool_code");
        if !jsonish && !body.starts_with('{') {
            continue;
        }
        match serde_json::from_str::<Value>(body) {
            Ok(value) => calls.extend(call_from_value(next_id(&calls), &value)),
            Err(e) if looks_like_call(body) => calls.push(ToolCall::unreadable(
                next_id(&calls),
                body,
                format!("the tool-call block is not valid JSON ({e})"),
            )),
            Err(_) => {}
        }
    }
    if !calls.is_empty() {
        return calls;
    }
    let mut first_error = None;
    let mut pos = 0;
    while let Some(offset) = reply[pos..].find('{') {
        let start = pos + offset;
        let mut stream = serde_json::Deserializer::from_str(&reply[start..]).into_iter::<Value>();
        match stream.next() {
            Some(Ok(value)) => {
                pos = start + stream.byte_offset();
                calls.extend(call_from_value(next_id(&calls), &value));
            }
            Some(Err(e)) => {
                first_error.get_or_insert(e);
                pos = start + 1;
            }
            None => break,
        }
    }
    if calls.is_empty()
        && looks_like_call(reply)
        && let Some(e) = first_error
    {
        calls.push(ToolCall::unreadable(
            next_id(&calls),
            reply.trim(),
            format!(
                "the reply looks like a tool call but holds no valid JSON call object ({e}); \
                 write {{\"tool\": NAME, \"arguments\": {{...}}}} in a ```json block"
            ),
        ));
    }
    calls
}

/// Rewrites a conversation for a model without function calling: assistant messages keep
/// only their text (which holds the call blocks), and each run of tool results becomes one
/// user message.
pub fn to_plain_messages(messages: &[Message]) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::new();
    let mut results = String::new();
    for message in messages {
        if let Message::Tool {
            tool_call_id,
            name,
            content,
        } = message
        {
            if !results.is_empty() {
                results.push('\n');
            }
            results.push_str(&format!(
                "Result of tool call `{name}` ({tool_call_id}):\n{content}\n"
            ));
            continue;
        }
        if !results.is_empty() {
            out.push(Message::user(std::mem::take(&mut results)));
        }
        out.push(match message {
            Message::Assistant {
                content,
                tool_calls,
            } if content.trim().is_empty() && !tool_calls.is_empty() => Message::Assistant {
                content: tool_calls
                    .iter()
                    .map(|c| {
                        format!(
                            "```json\n{{\"tool\": {}, \"arguments\": {}}}\n```",
                            Value::from(c.name.clone()),
                            c.arguments
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                tool_calls: Vec::new(),
            },
            Message::Assistant { content, .. } => Message::Assistant {
                content: content.clone(),
                tool_calls: Vec::new(),
            },
            other => other.clone(),
        });
    }
    if !results.is_empty() {
        out.push(Message::user(results));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_fenced_calls_in_order() {
        let reply = "Let me look.\n```json\n{\"tool\": \"read_file\", \"arguments\": {\"path\": \"a\"}}\n```\nand\n```\n{\"name\": \"list\", \"parameters\": {}}\n```";
        let calls = parse_calls(reply);
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].id, "text_call_1");
        assert_eq!(calls[0].name, "read_file");
        assert_eq!(calls[0].parsed, Ok(json!({"path": "a"})));
        assert_eq!(calls[1].name, "list");
        assert_eq!(calls[1].parsed, Ok(json!({})));
    }

    #[test]
    fn accepts_bare_objects_string_arguments_and_unclosed_blocks() {
        let calls = parse_calls("{\"tool\": \"finish\", \"arguments\": {\"summary\": \"done\"}}");
        assert_eq!(calls[0].parsed, Ok(json!({"summary": "done"})));
        let calls = parse_calls(
            "I will call it: {\"tool\":\"grep\",\"arguments\":\"{\\\"pattern\\\":\\\"x\\\"}\"} ok",
        );
        assert_eq!(calls[0].name, "grep");
        assert_eq!(calls[0].parsed, Ok(json!({"pattern": "x"})));
        let calls = parse_calls("```json\n{\"tool\": \"list\", \"arguments\": {}}\n");
        assert_eq!(calls[0].name, "list");
    }

    #[test]
    fn plain_json_that_is_not_a_call_is_ignored() {
        assert!(parse_calls("Here is the config:\n```json\n{\"a\": 1}\n```").is_empty());
        assert!(parse_calls("No tools needed, {braces} are fine.").is_empty());
    }

    #[test]
    fn malformed_calls_become_errors_not_guesses() {
        let calls = parse_calls(
            "```json\n{\"tool\": \"write_file\", \"arguments\": {\"path\": \"a\",}\n```",
        );
        assert_eq!(calls.len(), 1);
        assert!(
            calls[0]
                .parsed
                .as_ref()
                .unwrap_err()
                .contains("not valid JSON")
        );
        let calls = parse_calls("{\"tool\": \"bash\" \"arguments\": {}}");
        assert_eq!(calls.len(), 1);
        assert!(
            calls[0]
                .parsed
                .as_ref()
                .unwrap_err()
                .contains("looks like a tool call")
        );
        let calls = parse_calls("{\"tool\": \"bash\", \"arguments\": [1]}");
        assert!(
            calls[0]
                .parsed
                .as_ref()
                .unwrap_err()
                .contains("must be a JSON object")
        );
        let calls = parse_calls("{\"tool\": 3}");
        assert!(
            calls[0]
                .parsed
                .as_ref()
                .unwrap_err()
                .contains("must be a string")
        );
    }

    #[test]
    fn tool_results_become_one_user_message() {
        let call = ToolCall::new("c1", "list", "{}");
        let messages = vec![
            Message::system("s"),
            Message::user("task"),
            Message::Assistant {
                content: String::new(),
                tool_calls: vec![call],
            },
            Message::Tool {
                tool_call_id: "c1".into(),
                name: "list".into(),
                content: "a.txt".into(),
            },
            Message::Tool {
                tool_call_id: "c2".into(),
                name: "grep".into(),
                content: "none".into(),
            },
        ];
        let plain = to_plain_messages(&messages);
        assert_eq!(plain.len(), 4);
        let Message::Assistant {
            content,
            tool_calls,
        } = &plain[2]
        else {
            panic!("{plain:?}")
        };
        assert!(tool_calls.is_empty() && content.contains("\"tool\": \"list\""));
        let Message::User { content } = &plain[3] else {
            panic!("{plain:?}")
        };
        assert!(content.contains("Result of tool call `list` (c1):\na.txt"));
        assert!(content.contains("`grep` (c2)"));
    }

    #[test]
    fn prompt_lists_every_tool() {
        let specs = crate::tools::ToolRegistry::standard().specs();
        let p = tools_prompt(&specs);
        for s in &specs {
            assert!(p.contains(&format!("`{}`", s.name)));
        }
    }
}
