//! Server-sent events from an OpenAI-compatible `chat/completions` stream: the line decoder
//! (`data:` lines, blank-line event ends, `[DONE]`) and the accumulator that merges chunk
//! deltas, tool-call pieces by index, the finish reason and the usage into one reply.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{ChatResponse, FinishReason, StreamDelta, ToolCall, Usage};

/// Splits an SSE byte stream (fed line by line) into event payloads.
#[derive(Debug, Default)]
pub struct SseDecoder {
    data: Option<String>,
}

impl SseDecoder {
    /// Feeds one line (without its line ending); returns an event's data when one ends.
    pub fn push_line(&mut self, line: &str) -> Option<String> {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            return self.data.take();
        }
        if let Some(value) = line.strip_prefix("data:") {
            let value = value.strip_prefix(' ').unwrap_or(value);
            match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            }
        }
        // Comments (`:`), `event:`, `id:` and `retry:` lines carry nothing we use.
        None
    }

    /// The data of an event the stream ended without closing.
    pub fn finish(&mut self) -> Option<String> {
        self.data.take()
    }
}

#[derive(Debug, Default)]
struct PartialCall {
    id: Option<String>,
    name: String,
    arguments: String,
}

/// Merges stream chunks into one [`ChatResponse`].
#[derive(Debug, Default)]
pub struct StreamAccumulator {
    content: String,
    calls: BTreeMap<usize, PartialCall>,
    finish: Option<String>,
    usage: Option<Usage>,
    done: bool,
    chunks: usize,
}

/// Reads `usage` from a chunk or response body.
pub fn parse_usage(body: &Value) -> Option<Usage> {
    let usage = body.get("usage")?;
    Some(Usage {
        prompt_tokens: usage.get("prompt_tokens")?.as_u64()?,
        completion_tokens: usage
            .get("completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0),
    })
}

/// The message of an `{"error": ...}` body, if it is one.
pub fn error_message(body: &Value) -> Option<String> {
    let error = body.get("error")?;
    Some(match error.get("message").and_then(Value::as_str) {
        Some(m) => m.to_string(),
        None => error.to_string(),
    })
}

impl StreamAccumulator {
    /// Whether `[DONE]` arrived.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// How many chunks were applied.
    pub fn chunks(&self) -> usize {
        self.chunks
    }

    /// Applies one event's data, calling `on_delta` with what it adds.
    pub fn apply(
        &mut self,
        data: &str,
        on_delta: &mut dyn FnMut(&StreamDelta),
    ) -> Result<(), String> {
        if data.trim() == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        let chunk: Value = serde_json::from_str(data)
            .map_err(|e| format!("stream chunk is not JSON ({e}): {}", excerpt(data)))?;
        if let Some(message) = error_message(&chunk) {
            return Err(format!(
                "the server reported an error mid-stream: {message}"
            ));
        }
        self.chunks += 1;
        if let Some(usage) = parse_usage(&chunk) {
            self.usage = Some(usage);
        }
        let Some(choice) = chunk
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
        else {
            return Ok(());
        };
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish = Some(reason.to_string());
        }
        let Some(delta) = choice.get("delta") else {
            return Ok(());
        };
        if let Some(text) = delta.get("content").and_then(Value::as_str)
            && !text.is_empty()
        {
            self.content.push_str(text);
            on_delta(&StreamDelta::Text(text.to_string()));
        }
        for (position, piece) in delta
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let index = piece
                .get("index")
                .and_then(Value::as_u64)
                .map_or(position, |i| i as usize);
            let call = self.calls.entry(index).or_default();
            if let Some(id) = piece.get("id").and_then(Value::as_str) {
                call.id = Some(id.to_string());
            }
            let function = piece.get("function");
            let name = function
                .and_then(|f| f.get("name"))
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty());
            if let Some(name) = name {
                call.name.push_str(name);
            }
            let arguments = function
                .and_then(|f| f.get("arguments"))
                .and_then(Value::as_str)
                .unwrap_or("");
            call.arguments.push_str(arguments);
            on_delta(&StreamDelta::ToolCall {
                index,
                name: name.map(str::to_string),
                arguments: arguments.to_string(),
            });
        }
        Ok(())
    }

    /// The merged reply.
    pub fn finish(self) -> ChatResponse {
        let tool_calls: Vec<ToolCall> = self
            .calls
            .into_iter()
            .map(|(index, c)| {
                ToolCall::new(
                    c.id.unwrap_or_else(|| format!("call_{index}")),
                    c.name,
                    c.arguments,
                )
            })
            .collect();
        let finish_reason = match self.finish {
            Some(reason) => FinishReason::parse(&reason),
            None if !tool_calls.is_empty() => FinishReason::ToolCalls,
            None => FinishReason::Other("none reported".into()),
        };
        ChatResponse {
            content: self.content,
            tool_calls,
            finish_reason,
            usage: self.usage,
        }
    }
}

/// The first 300 characters of `text`, for error messages.
pub fn excerpt(text: &str) -> String {
    const MAX: usize = 300;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(lines: &[&str]) -> Vec<String> {
        let mut d = SseDecoder::default();
        let mut out: Vec<String> = lines.iter().filter_map(|l| d.push_line(l)).collect();
        out.extend(d.finish());
        out
    }

    #[test]
    fn decoder_joins_data_lines_and_skips_comments() {
        let events = decode(&[
            ": keep-alive",
            "",
            "event: x",
            "data: {\"a\":",
            "data: 1}\r",
            "",
            "data:[DONE]",
        ]);
        assert_eq!(events, ["{\"a\":\n1}", "[DONE]"]);
    }

    #[test]
    fn accumulator_merges_text_tool_calls_and_usage() {
        let chunks = [
            r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"lo"}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","type":"function","function":{"name":"read_file","arguments":"{\"pa"}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"b","function":{"name":"list","arguments":""}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"th\":\"x\"}"}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}"#,
            "[DONE]",
        ];
        let mut acc = StreamAccumulator::default();
        let mut text = String::new();
        let mut pieces = 0;
        for c in chunks {
            acc.apply(c, &mut |d| match d {
                StreamDelta::Text(t) => text.push_str(t),
                StreamDelta::ToolCall { .. } => pieces += 1,
                StreamDelta::Retrying { .. } => {}
            })
            .unwrap();
        }
        assert!(acc.is_done());
        assert_eq!((text.as_str(), pieces), ("Hello", 3));
        let r = acc.finish();
        assert_eq!(r.content, "Hello");
        assert_eq!(r.finish_reason, FinishReason::ToolCalls);
        assert_eq!(
            r.usage,
            Some(Usage {
                prompt_tokens: 12,
                completion_tokens: 5
            })
        );
        assert_eq!(r.tool_calls.len(), 2);
        assert_eq!(r.tool_calls[0].id, "a");
        assert_eq!(r.tool_calls[0].parsed, Ok(serde_json::json!({"path": "x"})));
        assert_eq!(r.tool_calls[1].parsed, Ok(serde_json::json!({})));
    }

    #[test]
    fn bad_chunks_and_stream_errors_are_reported() {
        let mut acc = StreamAccumulator::default();
        let err = acc.apply("{nope", &mut |_| {}).unwrap_err();
        assert!(err.contains("not JSON") && err.contains("{nope"), "{err}");
        let err = acc
            .apply(r#"{"error":{"message":"model overloaded"}}"#, &mut |_| {})
            .unwrap_err();
        assert!(err.contains("model overloaded"), "{err}");
    }

    #[test]
    fn excerpt_cuts_long_text_at_a_character() {
        let long = "é".repeat(400);
        assert_eq!(excerpt(&long).chars().count(), 303);
    }
}
