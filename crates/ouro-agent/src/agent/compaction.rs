//! Context compaction: when the conversation outgrows its token budget, the turns between
//! the task and the last few are replaced by one deterministic digest of what was said,
//! called and returned.
//!
//! A turn starts at each assistant or user message after the first user message (the
//! task), so a reply and its tool results always stay together (providers reject tool
//! results whose call is gone).

use serde_json::Value;

use crate::provider::Message;

/// The digest's header; a digest of a range that holds an earlier digest includes it.
pub const SUMMARY_HEADER: &str = "[Summary of earlier steps, compacted to save context]";

/// Characters kept of each text in the digest.
const EXCERPT: usize = 160;

/// The range of messages to compact, keeping the system prompt, the task and the last
/// `keep_turns` turns; `None` when fewer than two messages would go.
pub fn plan(messages: &[Message], keep_turns: usize) -> Option<(usize, usize)> {
    let task = messages
        .iter()
        .position(|m| matches!(m, Message::User { .. }))?;
    let start = task + 1;
    let turns: Vec<usize> = (start..messages.len())
        .filter(|&i| {
            matches!(
                messages[i],
                Message::Assistant { .. } | Message::User { .. }
            )
        })
        .collect();
    let end = *turns.get(turns.len().checked_sub(keep_turns.max(1))?)?;
    (end >= start + 2).then_some((start, end))
}

fn excerpt(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(EXCERPT) {
        Some((cut, _)) => format!("{}...", &flat[..cut]),
        None => flat,
    }
}

/// A short argument list: `path="a.rs", start_line=3`.
fn args_excerpt(arguments: &Value) -> String {
    match arguments.as_object() {
        Some(obj) => excerpt(
            &obj.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        None => excerpt(&arguments.to_string()),
    }
}

/// The digest of `messages`: one line per reply, call and result, in order.
pub fn digest(messages: &[Message]) -> String {
    let mut out = format!("{SUMMARY_HEADER}\n");
    for message in messages {
        match message {
            Message::System { content } => {
                out.push_str(&format!("- system: {}\n", excerpt(content)))
            }
            Message::User { content } => match content.strip_prefix(SUMMARY_HEADER) {
                Some(earlier) => out.push_str(earlier.trim_start_matches('\n')),
                None => out.push_str(&format!("- user: {}\n", excerpt(content))),
            },
            Message::Assistant {
                content,
                tool_calls,
            } => {
                if !content.trim().is_empty() {
                    out.push_str(&format!("- assistant: {}\n", excerpt(content)));
                }
                for call in tool_calls {
                    let args = match &call.parsed {
                        Ok(v) => args_excerpt(v),
                        Err(_) => excerpt(&call.arguments),
                    };
                    out.push_str(&format!("- called {}({args})\n", call.name));
                }
            }
            Message::Tool { name, content, .. } => {
                out.push_str(&format!("  -> {name}: {}\n", excerpt(content)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ToolCall;

    fn turn(i: usize) -> Vec<Message> {
        vec![
            Message::Assistant {
                content: format!("step {i}"),
                tool_calls: vec![ToolCall::new(
                    format!("c{i}"),
                    "read_file",
                    r#"{"path":"a.rs"}"#,
                )],
            },
            Message::Tool {
                tool_call_id: format!("c{i}"),
                name: "read_file".into(),
                content: format!("contents {i}\nmore"),
            },
        ]
    }

    fn conversation(turns: usize) -> Vec<Message> {
        let mut m = vec![Message::system("sys"), Message::user("task")];
        for i in 0..turns {
            m.extend(turn(i));
        }
        m
    }

    #[test]
    fn plan_keeps_system_task_and_last_turns() {
        let m = conversation(5);
        assert_eq!(plan(&m, 2), Some((2, 8)));
        assert!(matches!(m[8], Message::Assistant { .. }));
        assert_eq!(plan(&m, 5), None);
        assert_eq!(plan(&conversation(2), 1), Some((2, 4)));
        assert_eq!(plan(&[Message::system("s")], 1), None);
    }

    #[test]
    fn digest_lists_calls_and_results_and_nests_earlier_digests() {
        let m = conversation(3);
        let first = digest(&m[2..4]);
        assert_eq!(
            first,
            format!(
                "{SUMMARY_HEADER}\n- assistant: step 0\n- called read_file(path=\"a.rs\")\n  -> read_file: contents 0 more\n"
            )
        );
        let mut again = vec![Message::user(first.clone())];
        again.extend(turn(1));
        let second = digest(&again);
        assert!(second.starts_with(&first), "{second}");
        assert!(second.contains("step 1"));
        assert_eq!(digest(&again), second, "deterministic");
    }
}
