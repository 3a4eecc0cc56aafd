//! `ouro serve`: the OpenAI-compatible server ([`ouro_server`]) on a model loaded once.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Args;
use ouro_llm::batch::BatchLimits;
use ouro_llm::device::DeviceChoice;
use ouro_llm::engine::Engine;
use ouro_server::{AppState, ServerConfig};

/// Serve a model over an OpenAI-compatible HTTP API.
#[derive(Args)]
pub struct ServeArgs {
    /// The GGUF model (default: the default coding model under models/).
    #[arg(short, long)]
    model: Option<PathBuf>,
    /// The model's name in the API (default: the file name without `.gguf`).
    #[arg(long)]
    name: Option<String>,
    /// Address to listen on (loopback by default; anything else exposes the model).
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Name of an environment variable holding the API key clients must send as
    /// `Authorization: Bearer <key>` (default: no key).
    #[arg(long, value_name = "VAR")]
    api_key_env: Option<String>,
    /// Sequences decoded together (continuous batching).
    #[arg(long, default_value_t = 8)]
    parallel: usize,
    /// Requests waiting beyond those; more get 429.
    #[arg(long, default_value_t = 64)]
    queue: usize,
    /// Context size of each sequence in tokens.
    #[arg(short = 'c', long, default_value_t = 4096)]
    ctx: usize,
    /// Worker threads (default: all cores).
    #[arg(short, long, default_value_t = 0)]
    threads: usize,
    /// Where to run: auto (a CUDA GPU when usable, else the CPU), cpu, or cuda:N.
    #[arg(long, default_value = "auto")]
    device: DeviceChoice,
}

pub fn run(args: ServeArgs) -> Result<()> {
    if args.parallel == 0 || args.ctx < 16 {
        bail!("--parallel must be at least 1 and --ctx at least 16");
    }
    let api_key = match &args.api_key_env {
        None => None,
        Some(var) => Some(
            std::env::var(var)
                .ok()
                .filter(|k| !k.is_empty())
                .with_context(|| format!("--api-key-env {var}: the variable is not set"))?,
        ),
    };
    let roots = ouro_core::paths::search_roots(&[]);
    let path = ouro_core::paths::resolve_coder_model(args.model.as_deref(), &roots)
        .map_err(anyhow::Error::msg)?;
    let (engine, note) = Engine::load_on(&path, args.threads, args.device)
        .with_context(|| format!("loading {}", path.display()))?;
    if let Some(note) = note {
        eprintln!("{note}");
    }
    let model_id = args.name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map_or_else(|| "model".into(), |s| s.to_string_lossy().into_owned())
    });
    let state = AppState::new(
        Arc::new(engine),
        ServerConfig {
            model_id: model_id.clone(),
            api_key,
            limits: BatchLimits {
                max_sequences: args.parallel,
                max_queue: args.queue,
                n_ctx: args.ctx,
                ..BatchLimits::default()
            },
        },
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the server's runtime")?;
    runtime.block_on(async move {
        let (listener, addr) = ouro_server::bind(SocketAddr::new(args.host, args.port))
            .await
            .with_context(|| format!("binding {}:{}", args.host, args.port))?;
        eprintln!(
            "ouro serve: {model_id} on http://{addr}/v1 ({} sequences together, context {}){}",
            args.parallel,
            args.ctx,
            if args.api_key_env.is_some() {
                ", API key required"
            } else {
                ""
            }
        );
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
            eprintln!("ouro serve: stopping");
        };
        ouro_server::serve(listener, state, shutdown)
            .await
            .context("serving")
    })
}
