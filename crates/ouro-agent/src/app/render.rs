//! Showing events: JSON lines for machines (`--json`) or short human-readable lines
//! (reply text streamed on stdout, tool activity on stderr).

use std::io::Write;

use crate::agent::{AgentEvent, compaction};

/// Writes one event as a JSON line and flushes.
pub fn json_line(out: &mut dyn Write, event: &AgentEvent) -> std::io::Result<()> {
    let line = serde_json::to_string(event).map_err(std::io::Error::other)?;
    writeln!(out, "{line}")?;
    out.flush()
}

/// Renders events for a person; remembers whether the current reply was streamed.
#[derive(Debug, Default)]
pub struct HumanRenderer {
    streamed: bool,
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

impl HumanRenderer {
    /// Writes `event`: reply text to `out`, everything else to `err`.
    pub fn render(
        &mut self,
        event: &AgentEvent,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> std::io::Result<()> {
        match event {
            AgentEvent::SessionStart {
                session,
                provider,
                model,
                resumed,
                ..
            } => {
                let verb = if *resumed { "resumed" } else { "started" };
                writeln!(
                    err,
                    "ouro agent: session {session} {verb} ({provider}, model {model})"
                )?;
                writeln!(
                    err,
                    "  continue it later with: ouro agent --resume {session}"
                )?;
            }
            AgentEvent::System { .. } | AgentEvent::User { .. } => {}
            AgentEvent::AssistantDelta { text } => {
                self.streamed = true;
                write!(out, "{text}")?;
                out.flush()?;
            }
            AgentEvent::AssistantMessage { content, .. } => {
                if !self.streamed && !content.is_empty() {
                    write!(out, "{content}")?;
                }
                if self.streamed || !content.is_empty() {
                    writeln!(out)?;
                }
                self.streamed = false;
            }
            AgentEvent::Retry {
                attempt,
                delay_ms,
                error,
            } => writeln!(err, "  retry {attempt} in {delay_ms} ms: {error}")?,
            AgentEvent::ToolCall { call } => {
                let args = call.arguments.chars().take(120).collect::<String>();
                writeln!(err, "-> {}({args})", call.name)?;
            }
            AgentEvent::PermissionDecision {
                action,
                resource,
                decision,
                rule,
                ..
            } if decision != "allow" => {
                writeln!(err, "   {decision}: {action} {resource} ({rule})")?
            }
            AgentEvent::PermissionDecision { .. } => {}
            AgentEvent::ToolResult { ok, content, .. } => {
                if *ok {
                    writeln!(err, "   ok ({} lines)", content.lines().count())?;
                } else {
                    writeln!(err, "   {}", first_line(content))?;
                }
            }
            AgentEvent::Compaction {
                start,
                end,
                tokens_before,
                tokens_after,
                ..
            } => writeln!(
                err,
                "   compacted messages {start}..{end}: ~{tokens_before} -> ~{tokens_after} tokens ({})",
                compaction::SUMMARY_HEADER
            )?,
            AgentEvent::Error { message } => writeln!(err, "error: {message}")?,
            AgentEvent::Finish(s) => {
                writeln!(err, "\n{:?}: {}", s.outcome, s.summary)?;
                writeln!(
                    err,
                    "  {} iterations, {} tool calls, {} prompt + {} completion tokens",
                    s.iterations, s.tool_calls, s.prompt_tokens, s.completion_tokens
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{Outcome, Summary};
    use crate::provider::ToolCall;

    #[test]
    fn human_output_streams_text_and_summarizes_tools() {
        let mut r = HumanRenderer::default();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let events = [
            AgentEvent::AssistantDelta { text: "Hel".into() },
            AgentEvent::AssistantDelta { text: "lo".into() },
            AgentEvent::AssistantMessage {
                content: "Hello".into(),
                tool_calls: vec![],
                usage: None,
            },
            AgentEvent::ToolCall {
                call: ToolCall::new("c", "read_file", r#"{"path":".env"}"#),
            },
            AgentEvent::PermissionDecision {
                tool: "read_file".into(),
                action: "read".into(),
                resource: ".env".into(),
                decision: "deny".into(),
                rule: "built-in".into(),
            },
            AgentEvent::ToolResult {
                call_id: "c".into(),
                name: "read_file".into(),
                ok: false,
                content: "error: permission denied\nmore".into(),
            },
            AgentEvent::Finish(Summary {
                outcome: Outcome::Finished,
                summary: "done".into(),
                iterations: 1,
                tool_calls: 1,
                prompt_tokens: 0,
                completion_tokens: 0,
            }),
        ];
        for e in &events {
            r.render(e, &mut out, &mut err).unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), "Hello\n");
        let err = String::from_utf8(err).unwrap();
        assert!(err.contains("-> read_file({\"path\":\".env\"})"), "{err}");
        assert!(err.contains("deny: read .env (built-in)"), "{err}");
        assert!(err.contains("   error: permission denied\n"), "{err}");
        assert!(err.contains("Finished: done"), "{err}");
        let mut line = Vec::new();
        json_line(&mut line, &events[0]).unwrap();
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "{\"type\":\"assistant_delta\",\"text\":\"Hel\"}\n"
        );
    }
}
