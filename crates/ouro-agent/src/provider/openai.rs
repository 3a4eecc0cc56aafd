//! The OpenAI-compatible HTTP provider (llama.cpp's llama-server, vLLM, Ollama, LM Studio,
//! OpenAI): `POST {base}/v1/chat/completions` with `stream: true`, read as server-sent events.
//!
//! The request runs on a worker thread that forwards the response line by line over a
//! channel; the caller's thread decodes, streams deltas, enforces the read timeout and stops
//! as soon as the request is cancelled (the worker ends at its next read). Transient failures
//! (connection errors, 429, 5xx) are retried with backoff (see [`super::retry`]) as long as no
//! part of the reply was streamed yet; 4xx answers and malformed bodies are errors that name
//! the status and quote the body. A server that ignores `stream` and answers with one JSON
//! body is understood too.

use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use super::retry::{RetryPolicy, parse_retry_after, sleep_unless_cancelled};
use super::sse::{SseDecoder, StreamAccumulator, error_message, excerpt, parse_usage};
use super::text_calls::{parse_calls, to_plain_messages, tools_prompt};
use super::{
    ChatRequest, ChatResponse, FinishReason, Message, Provider, ProviderError, StreamDelta,
    ToolCall, ToolCallMode,
};

/// The most bytes of a non-streamed body (an error or a plain JSON reply) that are read.
const MAX_BODY_BYTES: u64 = 4 * 1024 * 1024;

/// The longest line of a streamed reply (a server that never ends a line cannot fill memory).
const MAX_LINE_BYTES: u64 = 1024 * 1024;

/// The most bytes of one streamed reply.
const MAX_STREAM_BYTES: u64 = 32 * 1024 * 1024;

/// How often a waiting request looks at the cancel flag.
const POLL: Duration = Duration::from_millis(50);

/// Settings of an [`OpenAiProvider`].
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAiConfig {
    /// The server, e.g. `http://127.0.0.1:8080` or `https://api.openai.com/v1`.
    pub base_url: String,
    /// The model name sent with each request.
    pub model: String,
    /// The bearer token, if the server needs one.
    pub api_key: Option<String>,
    /// Native function calling or the text fallback.
    pub tool_calls: ToolCallMode,
    /// The longest wait for a connection.
    pub connect_timeout: Duration,
    /// The longest wait for the next piece of the response.
    pub read_timeout: Duration,
    /// The longest a whole reply may take, however steadily it trickles in (keep-alive
    /// comments included).
    pub total_timeout: Duration,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
}

impl OpenAiConfig {
    /// Settings for `base_url` and `model` with default timeouts and retries.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            tool_calls: ToolCallMode::Native,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(300),
            total_timeout: Duration::from_secs(1800),
            retry: RetryPolicy::default(),
        }
    }

    /// Reads the API key from the environment variable `var` (which must be set).
    pub fn api_key_from_env(var: &str) -> Result<String, ProviderError> {
        std::env::var(var).map_err(|_| {
            ProviderError::Config(format!(
                "the API key variable `{var}` is not set (export it, or drop --api-key-env)"
            ))
        })
    }
}

/// A chat-completions client.
pub struct OpenAiProvider {
    config: OpenAiConfig,
    url: String,
    agent: ureq::Agent,
}

/// What the worker thread reports.
enum Wire {
    Head {
        status: u16,
        retry_after: Option<Duration>,
        json: bool,
    },
    Line(String),
    Body(String),
    Failed(String),
    /// The reply broke a size limit (not worth retrying).
    TooLarge(String),
    End,
}

impl OpenAiProvider {
    /// A provider with `config`; fails when the base URL is not http(s).
    pub fn new(config: OpenAiConfig) -> Result<Self, ProviderError> {
        let base = config.base_url.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ProviderError::Config(format!(
                "base URL `{}` must start with http:// or https://",
                config.base_url
            )));
        }
        let url = if base.ends_with("/v1") {
            format!("{base}/chat/completions")
        } else {
            format!("{base}/v1/chat/completions")
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_per_read(Some(config.read_timeout))
            .build()
            .new_agent();
        Ok(Self { config, url, agent })
    }

    /// The endpoint requests go to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The JSON body for `req`.
    pub fn request_body(&self, req: &ChatRequest) -> Value {
        let mut body = json!({
            "model": self.config.model,
            "stream": true,
            "stream_options": {"include_usage": true},
        });
        let messages: Vec<Value> = match self.config.tool_calls {
            ToolCallMode::Native => {
                if !req.tools.is_empty() {
                    body["tools"] = req
                        .tools
                        .iter()
                        .map(|t| {
                            json!({"type": "function", "function": {
                                "name": t.name, "description": t.description,
                                "parameters": t.parameters}})
                        })
                        .collect();
                }
                req.messages.iter().map(wire_message).collect()
            }
            ToolCallMode::Text => {
                let mut messages = to_plain_messages(&req.messages);
                if !req.tools.is_empty() {
                    let section = tools_prompt(&req.tools);
                    match messages.first_mut() {
                        Some(Message::System { content }) => {
                            content.push_str("\n\n");
                            content.push_str(&section);
                        }
                        _ => messages.insert(0, Message::system(section)),
                    }
                }
                messages.iter().map(wire_message).collect()
            }
        };
        body["messages"] = Value::Array(messages);
        if let Some(t) = req.temperature {
            body["temperature"] = json!(t);
        }
        if let Some(n) = req.max_tokens {
            body["max_tokens"] = json!(n);
        }
        if !req.stop.is_empty() {
            body["stop"] = json!(req.stop);
        }
        body
    }

    fn spawn(&self, body: String) -> Receiver<Wire> {
        let (tx, rx) = mpsc::channel();
        let agent = self.agent.clone();
        let url = self.url.clone();
        let key = self.config.api_key.clone();
        std::thread::spawn(move || worker(agent, url, key, body, tx));
        rx
    }

    fn malformed(&self, message: String) -> ProviderError {
        ProviderError::Malformed {
            url: self.url.clone(),
            message,
        }
    }

    /// One request; on failure also returns the server's `Retry-After`.
    fn attempt(
        &self,
        body: &str,
        req: &ChatRequest,
        on_delta: &mut dyn FnMut(&StreamDelta),
        streamed: &mut bool,
    ) -> Result<ChatResponse, (ProviderError, Option<Duration>)> {
        let started = Instant::now();
        let rx = self.spawn(body.to_string());
        let next = || -> Result<Wire, ProviderError> {
            let idle = Instant::now();
            loop {
                if req.cancel.is_cancelled() {
                    return Err(ProviderError::Cancelled);
                }
                if started.elapsed() > self.config.total_timeout {
                    return Err(ProviderError::Deadline {
                        url: self.url.clone(),
                        secs: self.config.total_timeout.as_secs(),
                    });
                }
                match rx.recv_timeout(POLL) {
                    Ok(wire) => return Ok(wire),
                    Err(RecvTimeoutError::Timeout) => {
                        if idle.elapsed() > self.config.read_timeout {
                            return Err(ProviderError::Timeout {
                                url: self.url.clone(),
                                secs: self.config.read_timeout.as_secs(),
                            });
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => {
                        return Err(ProviderError::Connection {
                            url: self.url.clone(),
                            message: "the request thread ended without a result".into(),
                        });
                    }
                }
            }
        };
        let (status, retry_after, json) = match next().map_err(|e| (e, None))? {
            Wire::Head {
                status,
                retry_after,
                json,
            } => (status, retry_after, json),
            Wire::Failed(message) => {
                let e = ProviderError::Connection {
                    url: self.url.clone(),
                    message,
                };
                return Err((e, None));
            }
            _ => return Err((self.malformed("no response status".into()), None)),
        };
        if !(200..300).contains(&status) || json {
            let text = match next().map_err(|e| (e, None))? {
                Wire::Body(text) => text,
                Wire::Failed(message) => {
                    let e = ProviderError::Connection {
                        url: self.url.clone(),
                        message: format!("reading the HTTP {status} body: {message}"),
                    };
                    return Err((e, retry_after));
                }
                _ => String::new(),
            };
            if !(200..300).contains(&status) {
                let e = ProviderError::Status {
                    url: self.url.clone(),
                    status,
                    body: excerpt(text.trim()),
                };
                return Err((e, retry_after));
            }
            return parse_completion(&text).map_err(|m| (self.malformed(m), None));
        }
        let mut decoder = SseDecoder::default();
        let mut acc = StreamAccumulator::default();
        let mut apply = |data: String, acc: &mut StreamAccumulator| {
            acc.apply(&data, &mut |d| {
                *streamed = true;
                on_delta(d);
            })
        };
        loop {
            match next().map_err(|e| (e, None))? {
                Wire::Line(line) => {
                    if let Some(data) = decoder.push_line(&line) {
                        apply(data, &mut acc).map_err(|m| (self.malformed(m), None))?;
                        if acc.is_done() {
                            break;
                        }
                    }
                }
                Wire::End => {
                    if let Some(data) = decoder.finish() {
                        apply(data, &mut acc).map_err(|m| (self.malformed(m), None))?;
                    }
                    if acc.chunks() == 0 && !acc.is_done() {
                        let e = self.malformed("the stream ended without any data".into());
                        return Err((e, None));
                    }
                    break;
                }
                Wire::Failed(message) => {
                    let e = ProviderError::Connection {
                        url: self.url.clone(),
                        message: format!("the stream broke: {message}"),
                    };
                    return Err((e, None));
                }
                Wire::TooLarge(message) => return Err((self.malformed(message), None)),
                Wire::Head { .. } | Wire::Body(_) => {}
            }
        }
        Ok(acc.finish())
    }
}

/// Runs one HTTP request and forwards the response over `tx` (stops when nobody listens).
fn worker(agent: ureq::Agent, url: String, key: Option<String>, body: String, tx: Sender<Wire>) {
    let mut request = agent
        .post(&url)
        .header("Content-Type", "application/json")
        .header("Accept", "text/event-stream");
    if let Some(key) = key {
        request = request.header("Authorization", format!("Bearer {key}"));
    }
    let response = match request.send(body) {
        Ok(r) => r,
        Err(e) => {
            let _ = tx.send(Wire::Failed(e.to_string()));
            return;
        }
    };
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let retry_after = header("retry-after").and_then(|v| parse_retry_after(&v, SystemTime::now()));
    let json = header("content-type").is_some_and(|t| t.contains("application/json"));
    if tx
        .send(Wire::Head {
            status,
            retry_after,
            json,
        })
        .is_err()
    {
        return;
    }
    let mut reader = BufReader::new(response.into_body().into_reader());
    if !(200..300).contains(&status) || json {
        let mut bytes = Vec::new();
        let wire = match reader.take(MAX_BODY_BYTES).read_to_end(&mut bytes) {
            Ok(_) => Wire::Body(String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) => Wire::Failed(e.to_string()),
        };
        let _ = tx.send(wire);
        return;
    }
    let mut line = Vec::new();
    let mut total = 0u64;
    loop {
        line.clear();
        let wire = match (&mut reader)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut line)
        {
            Ok(0) => Wire::End,
            Ok(n) => {
                total += n as u64;
                if n as u64 > MAX_LINE_BYTES {
                    Wire::TooLarge(format!(
                        "a line of the stream is longer than {MAX_LINE_BYTES} bytes"
                    ))
                } else if total > MAX_STREAM_BYTES {
                    Wire::TooLarge(format!(
                        "the streamed reply is longer than {MAX_STREAM_BYTES} bytes"
                    ))
                } else {
                    let text = String::from_utf8_lossy(&line);
                    Wire::Line(text.trim_end_matches(['\n', '\r']).to_string())
                }
            }
            Err(e) => Wire::Failed(e.to_string()),
        };
        let last = !matches!(wire, Wire::Line(_));
        if tx.send(wire).is_err() || last {
            return;
        }
    }
}

/// A message in the OpenAI wire format.
fn wire_message(message: &Message) -> Value {
    match message {
        Message::System { content } => json!({"role": "system", "content": content}),
        Message::User { content } => json!({"role": "user", "content": content}),
        Message::Assistant {
            content,
            tool_calls,
        } if !tool_calls.is_empty() => json!({
            "role": "assistant",
            "content": if content.is_empty() { Value::Null } else { json!(content) },
            "tool_calls": tool_calls.iter().map(|c| json!({
                "id": c.id, "type": "function",
                "function": {"name": c.name, "arguments": c.arguments}})).collect::<Vec<_>>(),
        }),
        Message::Assistant { content, .. } => json!({"role": "assistant", "content": content}),
        Message::Tool {
            tool_call_id,
            name,
            content,
        } => {
            json!({"role": "tool", "tool_call_id": tool_call_id, "name": name, "content": content})
        }
    }
}

/// Reads a non-streamed chat completion body.
fn parse_completion(text: &str) -> Result<ChatResponse, String> {
    let body: Value = serde_json::from_str(text)
        .map_err(|e| format!("the body is not JSON ({e}): {}", excerpt(text)))?;
    if let Some(message) = error_message(&body) {
        return Err(format!("the server reported an error: {message}"));
    }
    let choice = body
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .ok_or_else(|| format!("no `choices` in the reply: {}", excerpt(text)))?;
    let message = choice
        .get("message")
        .ok_or_else(|| format!("no `message` in the first choice: {}", excerpt(text)))?;
    let content = message
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let tool_calls = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| {
            let id = c
                .get("id")
                .and_then(Value::as_str)
                .map_or(format!("call_{i}"), str::to_string);
            let function = c.get("function");
            let name = function
                .and_then(|f| f.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("");
            match function.and_then(|f| f.get("arguments")) {
                Some(Value::String(raw)) => ToolCall::new(id, name, raw.clone()),
                Some(args) => ToolCall::from_value(id, name, args.clone()),
                None => ToolCall::new(id, name, ""),
            }
        })
        .collect::<Vec<_>>();
    let finish_reason = match choice.get("finish_reason").and_then(Value::as_str) {
        Some(r) => FinishReason::parse(r),
        None => FinishReason::Other("none reported".into()),
    };
    Ok(ChatResponse {
        content,
        tool_calls,
        finish_reason,
        usage: parse_usage(&body),
    })
}

impl Provider for OpenAiProvider {
    fn name(&self) -> &str {
        "openai"
    }

    fn model(&self) -> &str {
        &self.config.model
    }

    fn complete(
        &mut self,
        req: &ChatRequest,
        on_delta: &mut dyn FnMut(&StreamDelta),
    ) -> Result<ChatResponse, ProviderError> {
        let body = self.request_body(req).to_string();
        let mut retry = 0;
        loop {
            let mut streamed = false;
            match self.attempt(&body, req, on_delta, &mut streamed) {
                Ok(mut response) => {
                    if self.config.tool_calls == ToolCallMode::Text
                        && response.tool_calls.is_empty()
                    {
                        response.tool_calls = parse_calls(&response.content);
                    }
                    return Ok(response);
                }
                Err((e, after)) if e.is_transient() && !streamed => {
                    if retry >= self.config.retry.max_retries {
                        return Err(if retry == 0 {
                            e
                        } else {
                            ProviderError::RetriesExhausted {
                                attempts: retry + 1,
                                last: Box::new(e),
                            }
                        });
                    }
                    let delay = self.config.retry.delay(retry, after);
                    retry += 1;
                    on_delta(&StreamDelta::Retrying {
                        attempt: retry,
                        delay,
                        error: e.to_string(),
                    });
                    if sleep_unless_cancelled(delay, &req.cancel) {
                        return Err(ProviderError::Cancelled);
                    }
                }
                Err((e, _)) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Cancel;

    fn request(messages: Vec<Message>) -> ChatRequest {
        ChatRequest {
            messages,
            tools: crate::tools::ToolRegistry::standard().specs(),
            temperature: Some(0.0),
            max_tokens: Some(64),
            stop: vec!["</s>".into()],
            cancel: Cancel::new(),
        }
    }

    #[test]
    fn url_gets_v1_unless_present() {
        let p = OpenAiProvider::new(OpenAiConfig::new("http://h:1/", "m")).unwrap();
        assert_eq!(p.url(), "http://h:1/v1/chat/completions");
        let p = OpenAiProvider::new(OpenAiConfig::new("https://api.x.com/v1", "m")).unwrap();
        assert_eq!(p.url(), "https://api.x.com/v1/chat/completions");
        assert!(OpenAiProvider::new(OpenAiConfig::new("h:1", "m")).is_err());
    }

    #[test]
    fn native_body_has_tools_stream_options_and_tool_messages() {
        let p = OpenAiProvider::new(OpenAiConfig::new("http://h", "m")).unwrap();
        let body = p.request_body(&request(vec![
            Message::system("sys"),
            Message::user("task"),
            Message::Assistant {
                content: String::new(),
                tool_calls: vec![ToolCall::new("c1", "list", "{}")],
            },
            Message::Tool {
                tool_call_id: "c1".into(),
                name: "list".into(),
                content: "a".into(),
            },
        ]));
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert_eq!(body["tools"][0]["function"]["name"], "read_file");
        assert_eq!(body["messages"][2]["content"], Value::Null);
        assert_eq!(
            body["messages"][2]["tool_calls"][0]["function"]["arguments"],
            "{}"
        );
        assert_eq!(body["messages"][3]["tool_call_id"], "c1");
        assert_eq!(body["max_tokens"], 64);
        assert_eq!(body["stop"][0], "</s>");
    }

    #[test]
    fn text_body_puts_tools_in_the_system_prompt() {
        let mut config = OpenAiConfig::new("http://h", "m");
        config.tool_calls = ToolCallMode::Text;
        let p = OpenAiProvider::new(config).unwrap();
        let body = p.request_body(&request(vec![Message::system("sys"), Message::user("t")]));
        assert!(body.get("tools").is_none());
        let system = body["messages"][0]["content"].as_str().unwrap();
        assert!(system.starts_with("sys\n\n## Calling tools"), "{system}");
    }

    #[test]
    fn plain_json_completions_are_understood() {
        let r = parse_completion(r#"{"choices":[{"message":{"content":null,"tool_calls":[{"id":"x","function":{"name":"list","arguments":{"path":"."}}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#).unwrap();
        assert_eq!(r.tool_calls[0].parsed, Ok(json!({"path": "."})));
        assert_eq!(r.finish_reason, FinishReason::ToolCalls);
        assert_eq!(r.usage.map(|u| u.completion_tokens), Some(4));
        assert!(parse_completion("<html>").unwrap_err().contains("not JSON"));
        assert!(
            parse_completion(r#"{"error":{"message":"bad model"}}"#)
                .unwrap_err()
                .contains("bad model")
        );
    }

    /// A server that answers one request with an SSE head and then writes `chunk` every
    /// `every` until the client goes away.
    fn endless_server(chunk: &'static [u8], every: Duration) -> String {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let mut buf = [0u8; 65536];
            let _ = std::io::Read::read(&mut stream, &mut buf);
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n";
            if stream.write_all(head.as_bytes()).is_err() {
                return;
            }
            while stream.write_all(chunk).is_ok() {
                std::thread::sleep(every);
            }
        });
        url
    }

    fn provider(url: &str, total: Duration) -> OpenAiProvider {
        let mut config = OpenAiConfig::new(url, "m");
        config.total_timeout = total;
        config.read_timeout = Duration::from_secs(5);
        config.retry.max_retries = 0;
        OpenAiProvider::new(config).unwrap()
    }

    #[test]
    fn keep_alives_cannot_stretch_a_reply_past_the_total_limit() {
        let url = endless_server(b": keep-alive\n\n", Duration::from_millis(50));
        let mut p = provider(&url, Duration::from_secs(1));
        let started = Instant::now();
        let err = p
            .complete(&request(vec![Message::user("hi")]), &mut |_| {})
            .unwrap_err();
        assert!(matches!(err, ProviderError::Deadline { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_line_without_end_is_refused_at_the_line_limit() {
        let url = endless_server(&[b'x'; 64 * 1024], Duration::ZERO);
        let mut p = provider(&url, Duration::from_secs(60));
        let err = p
            .complete(&request(vec![Message::user("hi")]), &mut |_| {})
            .unwrap_err();
        assert!(
            err.to_string().contains("longer than 1048576 bytes"),
            "{err}"
        );
    }

    #[test]
    fn a_reply_is_refused_at_the_stream_limit() {
        let url = endless_server(b": padding padding padding padding\n", Duration::ZERO);
        let mut p = provider(&url, Duration::from_secs(60));
        let err = p
            .complete(&request(vec![Message::user("hi")]), &mut |_| {})
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("reply is longer than 33554432 bytes"),
            "{err}"
        );
    }
}
