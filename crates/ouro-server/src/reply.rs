//! Running a prepared request through the batcher and shaping the answer: whole (one JSON
//! body) or streamed (server-sent events ending with `data: [DONE]`), tool calls read back
//! from the reply's `<tool_call>` markers. A client that goes away has its sequences
//! cancelled, streamed or not.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::response::sse::{Event as SseEvent, Sse};
use axum::response::{IntoResponse, Response};
use ouro_llm::batch::{BatchError, Canceller, Event, Handle, Request};
use ouro_llm::constrained::{ToolSpec, hermes};
use ouro_llm::engine::{Generation, StopReason};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::logprobs;
use crate::request::Prepared;

/// Which endpoint's shape the answer takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Chat,
    Completion,
}

impl Kind {
    fn id_prefix(self) -> &'static str {
        match self {
            Kind::Chat => "chatcmpl",
            Kind::Completion => "cmpl",
        }
    }
}

fn batch_error(e: BatchError) -> ApiError {
    match e {
        BatchError::QueueFull { .. } => ApiError::busy(e.to_string()),
        BatchError::PromptTooLong { .. } | BatchError::EmptyPrompt => {
            ApiError::invalid(e.to_string(), Some("messages"))
        }
        BatchError::Stopped | BatchError::Engine(_) => ApiError::internal(e.to_string()),
    }
}

/// Cancels the requests it holds when dropped, unless disarmed: a client that disconnects
/// drops the handler's future, and with it this guard.
struct CancelOnDrop(Vec<Canceller>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        for c in &self.0 {
            c.cancel();
        }
    }
}

/// Runs `prepared` and answers in `kind`'s shape.
pub async fn run(app: Arc<AppState>, prepared: Prepared, kind: Kind) -> Result<Response, ApiError> {
    let mut handles = Vec::with_capacity(prepared.choices);
    for i in 0..prepared.choices {
        let mut opts = prepared.opts.clone();
        opts.sampling.seed = opts.sampling.seed.wrapping_add(i as u64);
        let request = Request {
            prompt_tokens: prepared.prompt_tokens.clone(),
            opts,
        };
        handles.push(app.batcher.submit(request).map_err(batch_error)?);
    }
    if prepared.stream {
        let handle = handles
            .pop()
            .ok_or_else(|| ApiError::internal("no request"))?;
        return Ok(stream(app, prepared, kind, handle));
    }
    let mut guard = CancelOnDrop(handles.iter().map(Handle::canceller).collect());
    let started = Instant::now();
    let results = tokio::task::spawn_blocking(move || {
        handles
            .into_iter()
            .map(|h| wait_timed(h, started))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ApiError::internal(format!("the generation thread failed: {e}")))?;
    guard.0.clear();
    let mut choices = Vec::new();
    let (mut prompt_tokens, mut completion_tokens) = (0, 0);
    for (index, result) in results.into_iter().enumerate() {
        let (generation, first) = result?;
        app.metrics.generation(
            generation.prompt_tokens,
            generation.tokens.len(),
            first,
            generation.generation_time,
        );
        prompt_tokens = generation.prompt_tokens;
        completion_tokens += generation.tokens.len();
        let asked = prepared.opts.logprobs.is_some();
        choices.push(match kind {
            Kind::Chat => {
                let mut choice = chat_choice(index, &generation, &prepared.tools, &app);
                choice["logprobs"] = logprobs::chat(&app.engine, &generation, asked);
                choice
            }
            Kind::Completion => json!({
                "index": index,
                "text": generation.text,
                "logprobs": logprobs::completion(&app.engine, &generation, asked),
                "finish_reason": finish_reason(generation.stop_reason, false),
            }),
        });
    }
    let object = match kind {
        Kind::Chat => "chat.completion",
        Kind::Completion => "text_completion",
    };
    Ok(axum::Json(json!({
        "id": app.id(kind.id_prefix()),
        "object": object,
        "created": crate::unix_now(),
        "model": app.config.model_id,
        "choices": choices,
        "usage": usage(prompt_tokens, completion_tokens),
    }))
    .into_response())
}

fn usage(prompt: usize, completion: usize) -> Value {
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    })
}

/// Waits for a whole reply; also returns when its first text came.
fn wait_timed(
    handle: Handle,
    started: Instant,
) -> Result<(Generation, Option<Duration>), ApiError> {
    let mut first = None;
    loop {
        match handle.recv() {
            Some(Event::Text(_)) => {
                first.get_or_insert_with(|| started.elapsed());
            }
            Some(Event::Done(result)) => {
                return result
                    .map(|g| (g, first))
                    .map_err(|e| ApiError::internal(e.to_string()));
            }
            None => return Err(ApiError::internal("the batcher stopped")),
        }
    }
}

fn finish_reason(reason: StopReason, called: bool) -> &'static str {
    if called {
        return "tool_calls";
    }
    match reason {
        StopReason::MaxTokens | StopReason::ContextFull => "length",
        _ => "stop",
    }
}

/// The calls in `text` (each `<tool_call>` block that parses and validates against
/// `tools`) and the text before the first.
fn read_calls(text: &str, tools: &[ToolSpec], app: &AppState) -> (String, Vec<Value>) {
    if tools.is_empty() {
        return (text.to_string(), Vec::new());
    }
    let mut calls = Vec::new();
    let mut rest = text;
    let mut content = None;
    while let Ok(reply) = hermes::parse_reply(rest, tools) {
        content.get_or_insert(reply.thought.clone());
        calls.push(json!({
            "id": app.id("call"),
            "type": "function",
            "function": {
                "name": reply.call.name,
                "arguments": reply.call.arguments.to_string(),
            },
        }));
        match rest.find(hermes::CALL_CLOSE) {
            Some(end) => rest = &rest[end + hermes::CALL_CLOSE.len()..],
            None => break,
        }
    }
    match content {
        Some(thought) => (thought, calls),
        None => (text.to_string(), calls),
    }
}

fn chat_choice(index: usize, generation: &Generation, tools: &[ToolSpec], app: &AppState) -> Value {
    let (content, calls) = read_calls(&generation.text, tools, app);
    let mut message = json!({"role": "assistant", "content": content});
    if !calls.is_empty() {
        if content.is_empty() {
            message["content"] = Value::Null;
        }
        message["tool_calls"] = Value::from(calls.clone());
    }
    json!({
        "index": index,
        "message": message,
        "logprobs": null,
        "finish_reason": finish_reason(generation.stop_reason, !calls.is_empty()),
    })
}

/// The reply as server-sent events.
fn stream(app: Arc<AppState>, prepared: Prepared, kind: Kind, handle: Handle) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<SseEvent>(64);
    let canceller = handle.canceller();
    tokio::task::spawn_blocking(move || {
        let chunks = Chunks::new(&app, kind);
        let send = |event: SseEvent| tx.blocking_send(event).is_ok();
        if kind == Kind::Chat
            && !send(chunks.chat(json!({"role": "assistant", "content": ""}), None))
        {
            canceller.cancel();
            return;
        }
        let started = Instant::now();
        let mut first = None;
        // With tools the reply is held back: its calls are known only at its end.
        let hold = !prepared.tools.is_empty();
        loop {
            match handle.recv() {
                Some(Event::Text(piece)) => {
                    first.get_or_insert_with(|| started.elapsed());
                    if !hold && !send(chunks.piece(&piece)) {
                        canceller.cancel();
                    }
                }
                Some(Event::Done(Ok(generation))) => {
                    app.metrics.generation(
                        generation.prompt_tokens,
                        generation.tokens.len(),
                        first,
                        generation.generation_time,
                    );
                    let mut called = false;
                    if hold {
                        let (content, calls) = read_calls(&generation.text, &prepared.tools, &app);
                        if !content.is_empty() {
                            send(chunks.piece(&content));
                        }
                        if !calls.is_empty() {
                            called = true;
                            let calls: Vec<Value> = calls
                                .into_iter()
                                .enumerate()
                                .map(|(i, mut c)| {
                                    c["index"] = Value::from(i);
                                    c
                                })
                                .collect();
                            send(chunks.chat(json!({"tool_calls": calls}), None));
                        }
                    }
                    let reason = finish_reason(generation.stop_reason, called);
                    // The reply's log-probabilities come whole, with its last chunk.
                    let asked = prepared.opts.logprobs.is_some();
                    let logprobs = match kind {
                        Kind::Chat => logprobs::chat(&app.engine, &generation, asked),
                        Kind::Completion => logprobs::completion(&app.engine, &generation, asked),
                    };
                    send(chunks.end(reason, logprobs));
                    if prepared.include_usage {
                        send(chunks.usage(generation.prompt_tokens, generation.tokens.len()));
                    }
                    send(SseEvent::default().data("[DONE]"));
                    return;
                }
                Some(Event::Done(Err(e))) => {
                    send(
                        SseEvent::default()
                            .data(ApiError::internal(e.to_string()).body().to_string()),
                    );
                    send(SseEvent::default().data("[DONE]"));
                    return;
                }
                None => return,
            }
        }
    });
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx))
    });
    Sse::new(events).into_response()
}

/// Builds the stream's chunks, all with the same id.
struct Chunks {
    id: String,
    model: String,
    created: u64,
    kind: Kind,
}

impl Chunks {
    fn new(app: &AppState, kind: Kind) -> Chunks {
        Chunks {
            id: app.id(kind.id_prefix()),
            model: app.config.model_id.clone(),
            created: crate::unix_now(),
            kind,
        }
    }

    fn event(&self, choices: Value, usage: Option<Value>) -> SseEvent {
        let object = match self.kind {
            Kind::Chat => "chat.completion.chunk",
            Kind::Completion => "text_completion",
        };
        let mut body = json!({
            "id": self.id,
            "object": object,
            "created": self.created,
            "model": self.model,
            "choices": choices,
        });
        if let Some(usage) = usage {
            body["usage"] = usage;
        }
        SseEvent::default().data(body.to_string())
    }

    fn chat(&self, delta: Value, finish: Option<&str>) -> SseEvent {
        self.event(
            json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]),
            None,
        )
    }

    fn piece(&self, text: &str) -> SseEvent {
        match self.kind {
            Kind::Chat => self.chat(json!({"content": text}), None),
            Kind::Completion => self.event(
                json!([{"index": 0, "text": text, "logprobs": null, "finish_reason": null}]),
                None,
            ),
        }
    }

    fn end(&self, reason: &str, logprobs: Value) -> SseEvent {
        let choice = match self.kind {
            Kind::Chat => {
                json!({"index": 0, "delta": {}, "logprobs": logprobs, "finish_reason": reason})
            }
            Kind::Completion => {
                json!({"index": 0, "text": "", "logprobs": logprobs, "finish_reason": reason})
            }
        };
        self.event(json!([choice]), None)
    }

    fn usage(&self, prompt: usize, completion: usize) -> SseEvent {
        self.event(json!([]), Some(usage(prompt, completion)))
    }
}
