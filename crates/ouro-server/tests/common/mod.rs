//! What the server's integration tests share: a server on loopback over a tiny random-weight
//! model given Qwen2.5-Coder's tool-calling chat template, and a `ureq` client that reads
//! every status as an answer (never as an error).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ouro_llm::ChatTemplate;
use ouro_llm::batch::BatchLimits;
use ouro_llm::engine::Engine;
use ouro_llm::synth::{SynthArch, SynthSpec, write_synth_model};
use ouro_server::{AppState, ServerConfig};
use serde_json::Value;

const QWEN: &str =
    include_str!("../../../ouro-llm/tests/fixtures/chat_template/qwen2.5-coder-tools.jinja");

/// A server running on its own runtime until dropped.
pub struct Server {
    pub base: String,
    _runtime: tokio::runtime::Runtime,
}

/// Starts a server (its model file named after `name`), requiring `api_key` if given.
pub fn start(name: &str, api_key: Option<&str>) -> Server {
    let mut spec = SynthSpec::preset(SynthArch::Llama, "tiny").unwrap();
    spec.seed = 5;
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("serve_{name}.gguf"));
    write_synth_model(&spec, &path, &mut |_, _| {}).unwrap();
    let mut engine = Engine::load(&path, 2).unwrap();
    engine.template = Some(ChatTemplate::new(QWEN, "", "<|im_end|>").unwrap());
    let state = AppState::new(
        Arc::new(engine),
        ServerConfig {
            model_id: "tiny".into(),
            api_key: api_key.map(str::to_string),
            limits: BatchLimits {
                max_sequences: 4,
                max_queue: 16,
                n_ctx: 1024,
                prefill_chunk: 64,
            },
        },
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (listener, addr) = runtime
        .block_on(ouro_server::bind("127.0.0.1:0".parse().unwrap()))
        .unwrap();
    runtime.spawn(ouro_server::serve(listener, state, std::future::pending()));
    Server {
        base: format!("http://{addr}"),
        _runtime: runtime,
    }
}

/// A client that returns 4xx and 5xx answers instead of failing on them.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// POSTs a JSON `body` to `path`, with `key` as the bearer token if given.
pub fn post(server: &Server, path: &str, body: &str, key: Option<&str>) -> (u16, String) {
    let mut req = agent()
        .post(&format!("{}{path}", server.base))
        .header("Content-Type", "application/json");
    if let Some(key) = key {
        req = req.header("Authorization", &format!("Bearer {key}"));
    }
    let mut resp = req.send(body).unwrap();
    (
        resp.status().as_u16(),
        resp.body_mut().read_to_string().unwrap(),
    )
}

/// GETs `path`.
pub fn get(server: &Server, path: &str) -> (u16, String) {
    let mut resp = agent()
        .get(&format!("{}{path}", server.base))
        .call()
        .unwrap();
    (
        resp.status().as_u16(),
        resp.body_mut().read_to_string().unwrap(),
    )
}

/// `text` as JSON, or a panic that shows it.
pub fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}
