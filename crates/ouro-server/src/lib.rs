//! `ouro serve`: an OpenAI-compatible HTTP API on ouro's engine, so that any OpenAI client
//! (the `openai` Python package, aider, Continue, `ouro agent --provider openai`) can use it.
//!
//! - `POST /v1/chat/completions` (streamed as server-sent events or whole; tools with
//!   `tool_choice` auto / none / required / a named function, read back from the model's own
//!   call markers and, when forced, decoded under a grammar so every call parses and
//!   validates; `response_format` json_object / json_schema, constrained; `logprobs` with
//!   `top_logprobs`, [`logprobs`]), see [`request`];
//! - `POST /v1/embeddings` (the model's pooled embeddings, [`embeddings`]);
//! - `POST /v1/completions`, `GET /v1/models`, `GET /health`, `GET /metrics` ([`metrics`]).
//!
//! Every request goes through one [`Batcher`]: requests share the engine by continuous
//! batching, the queue is bounded (a full queue answers 429 with `Retry-After`), and a
//! client that disconnects mid-stream has its sequence cancelled. Bad input gets a 4xx with
//! an OpenAI-style error body naming the field ([`error`]). With an API key set, `/v1/*`
//! needs `Authorization: Bearer <key>`.

pub mod embeddings;
pub mod error;
mod logprobs;
pub mod metrics;
mod reply;
pub mod request;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ouro_llm::batch::{BatchLimits, Batcher};
use ouro_llm::engine::Engine;
use serde_json::json;

use error::ApiError;
use metrics::Metrics;

/// Largest request body accepted (bytes); larger ones get 413.
const MAX_BODY: usize = 8 << 20;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The model's name in the API (`model` in requests and `/v1/models`).
    pub model_id: String,
    /// The key clients must send, if any.
    pub api_key: Option<String>,
    /// The batcher's limits (places, queue, context).
    pub limits: BatchLimits,
}

/// What every handler shares.
pub struct AppState {
    engine: Arc<Engine>,
    batcher: Batcher,
    config: ServerConfig,
    metrics: Metrics,
    next_id: AtomicU64,
    created: u64,
}

impl AppState {
    /// The state for serving `engine` under `config`.
    pub fn new(engine: Arc<Engine>, config: ServerConfig) -> Arc<AppState> {
        let batcher = Batcher::start(engine.clone(), config.limits);
        Arc::new(AppState {
            engine,
            batcher,
            config,
            metrics: Metrics::default(),
            next_id: AtomicU64::new(1),
            created: unix_now(),
        })
    }

    /// A fresh response id with `prefix`.
    fn id(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// Checks the API key and the model named in a request.
    fn admit(&self, headers: &HeaderMap, model: Option<&str>) -> Result<(), ApiError> {
        self.authorize(headers)?;
        match model {
            Some(name) if !name.is_empty() && name != self.config.model_id => {
                Err(ApiError::unknown_model(name, &self.config.model_id))
            }
            _ => Ok(()),
        }
    }

    fn authorize(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(key) = &self.config.api_key else {
            return Ok(());
        };
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if sent.is_some_and(|s| constant_time_eq(s.as_bytes(), key.as_bytes())) {
            Ok(())
        } else {
            Err(ApiError::unauthorized())
        }
    }
}

/// Compares two secrets without an early exit on the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The API's routes over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/v1/models", get(models))
        .route("/metrics", get(metrics))
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/completions", post(completions))
        .route("/v1/embeddings", post(embed))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// Serves `router(state)` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds `addr` (port 0 picks a free one) and returns the listener and its address.
pub async fn bind(addr: SocketAddr) -> std::io::Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

async fn health() -> Response {
    axum::Json(json!({"status": "ok"})).into_response()
}

async fn not_found() -> Response {
    ApiError {
        status: StatusCode::NOT_FOUND,
        message: "no such endpoint".into(),
        param: None,
        retry_after: None,
    }
    .into_response()
}

async fn method_not_allowed() -> Response {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: "this endpoint does not take that method".into(),
        param: None,
        retry_after: None,
    }
    .into_response()
}

async fn models(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let result = app.authorize(&headers).map(|()| {
        axum::Json(json!({
            "object": "list",
            "data": [{
                "id": app.config.model_id,
                "object": "model",
                "created": app.created,
                "owned_by": "ouro",
            }],
        }))
        .into_response()
    });
    answer(&app, "models", result)
}

async fn metrics(State(app): State<Arc<AppState>>) -> Response {
    let text = app.metrics.render(app.batcher.stats());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Parses a JSON body, naming what is wrong.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("invalid request body: {e}"), None))
}

async fn chat_completions(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let body = body?;
        let req: request::ChatRequest = parse(&body)?;
        app.admit(&headers, req.model.as_deref())?;
        let prepared = request::prepare_chat(&app.engine, &req, app.config.limits.n_ctx)?;
        reply::run(app.clone(), prepared, reply::Kind::Chat).await
    }
    .await;
    answer(&app, "chat_completions", result)
}

async fn completions(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let body = body?;
        let req: request::CompletionRequest = parse(&body)?;
        app.admit(&headers, req.model.as_deref())?;
        let prepared = request::prepare_completion(&app.engine, &req, app.config.limits.n_ctx)?;
        reply::run(app.clone(), prepared, reply::Kind::Completion).await
    }
    .await;
    answer(&app, "completions", result)
}

async fn embed(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let body = body?;
        let req: embeddings::EmbeddingRequest = parse(&body)?;
        app.admit(&headers, req.model.as_deref())?;
        let (lists, base64, dimensions) =
            embeddings::prepare(&app.engine, &req, app.config.limits.n_ctx)?;
        let engine = app.engine.clone();
        let vectors = tokio::task::spawn_blocking(move || {
            lists
                .iter()
                .map(|tokens| {
                    engine
                        .embed(tokens)
                        .map(|v| (embeddings::shorten(v, dimensions), tokens.len()))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|e| ApiError::internal(format!("the embedding task failed: {e}")))?
        .map_err(|e| ApiError::internal(format!("the engine failed: {e}")))?;
        let tokens = vectors.iter().map(|(_, n)| n).sum();
        let vectors: Vec<Vec<f32>> = vectors.into_iter().map(|(v, _)| v).collect();
        let body = embeddings::body(&app.config.model_id, &vectors, base64, tokens);
        Ok(axum::Json(body).into_response())
    }
    .await;
    answer(&app, "embeddings", result)
}

/// Counts the answer and turns an error into its response.
fn answer(app: &AppState, endpoint: &'static str, result: Result<Response, ApiError>) -> Response {
    let response = result.unwrap_or_else(IntoResponse::into_response);
    app.metrics.request(endpoint, response.status().as_u16());
    response
}
