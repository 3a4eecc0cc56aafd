//! `ouro agent`: everything the command does, from options to exit code. It merges flags,
//! the workspace's `ouro.toml` (`[agent]` and `[permissions]`) and defaults, opens or
//! resumes the session, builds the provider, the policy, the sandbox and the tool runner,
//! and runs the loop on its own thread: headless (`-p`, `--json`, or stdin not a terminal;
//! `ask` verdicts are denied) or interactive (a line prompt, approvals on the terminal).

pub mod render;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::agent::{Agent, AgentConfig, AgentError, AgentEvent, Observer};
use crate::audit::{AuditError, AuditLog};
use crate::config::{AgentFileConfig, ConfigError, ProviderKind};
use crate::permissions::{
    Approver, HeadlessApprover, Mode, PermissionsConfig, PolicyError, SandboxRequirement,
    TerminalApprover,
};
use crate::provider::retry::RetryPolicy;
use crate::provider::{
    Cancel, LocalConfig, LocalProvider, OpenAiConfig, OpenAiProvider, Provider, ProviderError,
    ToolCallMode,
};
use crate::sandbox::Sandbox;
use crate::session::{Session, SessionError, parse_fsync};
use crate::tools::{Limits, ToolContext, ToolRegistry};
use crate::{PathError, ToolRunner, Workspace};

/// Default server: llama.cpp's llama-server on its default port.
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";

/// The `ouro agent` options (flags; `None` falls back to `ouro.toml`, then the default).
#[derive(Debug, Clone, Default)]
pub struct AgentOptions {
    /// The task; runs headless.
    pub prompt: Option<String>,
    /// JSON lines on stdout (headless).
    pub json: bool,
    /// Continue this session.
    pub resume: Option<String>,
    /// Which provider.
    pub provider: Option<ProviderKind>,
    /// The server's base URL.
    pub base_url: Option<String>,
    /// The model name.
    pub model: Option<String>,
    /// The variable holding the API key.
    pub api_key_env: Option<String>,
    /// Native or text tool calls.
    pub tool_calls: Option<ToolCallMode>,
    /// Model replies per task.
    pub max_iterations: Option<u32>,
    /// The workspace (default: the current directory).
    pub workspace: Option<PathBuf>,
    /// Overrides `permissions.mode`.
    pub mode: Option<Mode>,
    /// A TOML file whose `[permissions]` table replaces the user-level config's.
    pub policy: Option<PathBuf>,
    /// Let the workspace's `ouro.toml` widen the session's rights (see
    /// [`crate::permissions::PermissionsConfig::restricted_by`]).
    pub trust_workspace_config: bool,
}

/// Why `ouro agent` could not run.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The workspace is unusable.
    #[error("workspace: {0}")]
    Workspace(#[from] PathError),
    /// `ouro.toml` is unreadable or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The policy is invalid.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The session could not be opened or written.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The audit log could not be opened.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The provider could not be set up.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The loop could not record its progress.
    #[error(transparent)]
    Agent(#[from] AgentError),
    /// A setting is invalid.
    #[error("{0}")]
    Invalid(String),
    /// The terminal failed.
    #[error("terminal: {0}")]
    Io(#[from] std::io::Error),
    /// The agent thread panicked.
    #[error("the agent thread panicked")]
    Panicked,
}

/// Context size of the local engine, in tokens.
const LOCAL_CONTEXT: u64 = 8192;
/// Tokens of that context kept free for the reply.
const LOCAL_REPLY_ROOM: u64 = 1024;

/// Everything resolved from flags, file and defaults.
struct Settings {
    provider: ProviderKind,
    openai: OpenAiConfig,
    api_key_env: Option<String>,
    agent: AgentConfig,
    fsync: ouro_core::journal::FsyncPolicy,
    permissions: PermissionsConfig,
}

fn settings(options: &AgentOptions, root: &Path) -> Result<Settings, AppError> {
    let toml = root.join("ouro.toml");
    let file = if toml.is_file() {
        AgentFileConfig::load(&toml)?
    } else {
        AgentFileConfig::default()
    };
    let permissions = session_permissions(options, root)?;
    for note in &permissions.notes {
        eprintln!("ouro agent: {note}");
    }
    let permissions = permissions.config;
    let base_url = options
        .base_url
        .clone()
        .or(file.base_url)
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    let model = options
        .model
        .clone()
        .or(file.model)
        .unwrap_or_else(|| "default".to_string());
    let defaults = AgentConfig::default();
    let retry = RetryPolicy::default();
    let mut openai = OpenAiConfig::new(base_url, model);
    openai.tool_calls = options.tool_calls.or(file.tool_calls).unwrap_or_default();
    if let Some(s) = file.connect_timeout_secs {
        openai.connect_timeout = Duration::from_secs(s);
    }
    if let Some(s) = file.read_timeout_secs {
        openai.read_timeout = Duration::from_secs(s);
    }
    openai.retry = RetryPolicy {
        max_retries: file.max_retries.unwrap_or(retry.max_retries),
        ..retry
    };
    let fsync = match &file.fsync {
        Some(text) => parse_fsync(text).map_err(AppError::Invalid)?,
        None => ouro_core::journal::FsyncPolicy::Always,
    };
    let provider = options.provider.or(file.provider).unwrap_or_default();
    // The local engine's context holds the prompt and the reply: keep the budget inside it.
    let context_limit = match provider {
        ProviderKind::Local => LOCAL_CONTEXT - LOCAL_REPLY_ROOM,
        ProviderKind::Openai => u64::MAX,
    };
    Ok(Settings {
        provider,
        openai,
        api_key_env: options.api_key_env.clone().or(file.api_key_env),
        agent: AgentConfig {
            max_iterations: options
                .max_iterations
                .or(file.max_iterations)
                .unwrap_or(defaults.max_iterations),
            context_tokens: file
                .context_tokens
                .unwrap_or(defaults.context_tokens)
                .min(context_limit),
            keep_turns: file.keep_turns.unwrap_or(defaults.keep_turns),
            temperature: file.temperature,
            max_tokens: file.max_tokens,
            ..defaults
        },
        fsync,
        permissions,
    })
}

/// The permission settings of a session, and what the user should be told about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPermissions {
    /// The settings the policy is compiled from.
    pub config: PermissionsConfig,
    /// Settings of the workspace's `ouro.toml` that were ignored, and a warning when the
    /// sandbox is off (printed on stderr).
    pub notes: Vec<String>,
}

/// The session's permissions: the user's (`--policy FILE`, else the user-level config, else
/// the defaults; then `--mode`), restricted by the workspace's `ouro.toml` unless
/// `--trust-workspace-config`, in which case the workspace's table replaces the user's (and
/// `--mode` still wins).
pub fn session_permissions(
    options: &AgentOptions,
    workspace: &Path,
) -> Result<SessionPermissions, AppError> {
    let user_file = options
        .policy
        .clone()
        .or_else(|| ouro_core::paths::user_config().filter(|p| p.is_file()));
    let (mut user, user_origin) = match &user_file {
        Some(path) => (PermissionsConfig::load(path)?, path.display().to_string()),
        None => (PermissionsConfig::default(), "the defaults".to_string()),
    };
    if let Some(mode) = options.mode {
        user.mode = mode;
    }
    let toml = workspace.join("ouro.toml");
    let mut notes = Vec::new();
    let (config, origin) = if !toml.is_file() {
        (user, user_origin)
    } else if options.trust_workspace_config {
        let mut trusted = PermissionsConfig::load(&toml)?;
        if let Some(mode) = options.mode {
            trusted.mode = mode;
        }
        (trusted, toml.display().to_string())
    } else {
        let origin = toml.display().to_string();
        let (merged, ignored) = user.restricted_by(&PermissionsConfig::load(&toml)?, &origin);
        notes.extend(ignored);
        (merged, user_origin)
    };
    if config.sandbox == SandboxRequirement::Off {
        notes.push(format!(
            "the sandbox is OFF (permissions.sandbox = \"off\" from {origin}): bash runs \
             unconfined"
        ));
    }
    Ok(SessionPermissions { config, notes })
}

/// The GGUF file the local provider runs: `model` as a path, or for `default` the default
/// model under `models/` of the current directory, else of the workspace.
fn local_model_path(model: &str, workspace: &Path) -> Result<PathBuf, AppError> {
    let explicit = (model != "default").then(|| Path::new(model));
    let roots = [std::env::current_dir()?, workspace.to_path_buf()];
    ouro_core::paths::resolve_model(explicit, &roots)
        .map_err(|e| AppError::Provider(ProviderError::Config(e)))
}

fn provider(settings: &Settings, root: &Path) -> Result<Box<dyn Provider>, AppError> {
    match settings.provider {
        ProviderKind::Openai => {
            let mut config = settings.openai.clone();
            if let Some(var) = &settings.api_key_env {
                config.api_key = Some(OpenAiConfig::api_key_from_env(var)?);
            }
            Ok(Box::new(OpenAiProvider::new(config)?))
        }
        ProviderKind::Local => {
            let path = local_model_path(&settings.openai.model, root)?;
            let config = LocalConfig {
                n_ctx: LOCAL_CONTEXT as usize,
                ..LocalConfig::default()
            };
            Ok(Box::new(LocalProvider::load(&path, config)?))
        }
    }
}

fn observer(json: bool) -> Observer {
    if json {
        Box::new(|event: &AgentEvent| {
            // A closed stdout (e.g. `| head`) must not stop the session: it is journaled.
            let _ = render::json_line(&mut std::io::stdout().lock(), event);
        })
    } else {
        let mut renderer = render::HumanRenderer::default();
        Box::new(move |event: &AgentEvent| {
            let _ = renderer.render(
                event,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr().lock(),
            );
        })
    }
}

/// Runs `ouro agent` with `options`; Ctrl-C is `cancel`. Returns the exit code: 0 when the
/// task finished, 1 on failure or the iteration limit, 130 when cancelled.
pub fn run(options: AgentOptions, cancel: Cancel) -> Result<u8, AppError> {
    let root = match &options.workspace {
        Some(dir) => dir.clone(),
        None => std::env::current_dir()?,
    };
    let workspace = Workspace::new(&root)?;
    let settings = settings(&options, workspace.root())?;
    let interactive = options.prompt.is_none() && !options.json && std::io::stdin().is_terminal();
    let provider = provider(&settings, workspace.root())?;
    let policy = Arc::new(settings.permissions.compile(workspace.root())?);
    let (session, conversation) = match &options.resume {
        Some(id) => Session::resume(workspace.root(), id, settings.fsync)?,
        None => (
            Session::create(workspace.root(), settings.fsync)?,
            Default::default(),
        ),
    };
    let audit = Arc::new(AuditLog::open(&session.audit_path(), session.id())?);
    let sandbox = Sandbox::probe();
    let requirement = policy.sandbox_requirement();
    if requirement != SandboxRequirement::Off && !sandbox.missing().is_empty() {
        eprintln!(
            "ouro agent: sandbox weaker than asked ({}): {}",
            requirement.as_str(),
            sandbox.report()
        );
    }
    let approver: Box<dyn Approver> = if interactive {
        Box::new(TerminalApprover::stdio())
    } else {
        Box::new(HeadlessApprover)
    };
    let ctx = ToolContext {
        workspace,
        policy,
        sandbox,
        audit,
        limits: Limits::default(),
    };
    let runner = ToolRunner::new(ToolRegistry::standard(), ctx, approver);
    let mut agent = Agent::new(
        provider,
        runner,
        session,
        conversation,
        settings.agent,
        cancel.clone(),
        observer(options.json),
    )?;
    let prompt = options.prompt;
    let thread = std::thread::spawn(move || -> Result<u8, AppError> {
        if !interactive {
            return Ok(agent.run(prompt.as_deref())?.outcome.exit_code());
        }
        if agent.conversation().awaits_model() {
            agent.run(None)?;
        }
        interactive_loop(&mut agent, &cancel)
    });
    thread.join().map_err(|_| AppError::Panicked)?
}

/// Reads tasks line by line until end of input (exit code 0); Ctrl-C cancels the running
/// task only.
fn interactive_loop(agent: &mut Agent, cancel: &Cancel) -> Result<u8, AppError> {
    let stdin = std::io::stdin();
    loop {
        eprint!("\nouro> ");
        std::io::stderr().flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            eprintln!();
            return Ok(0);
        }
        let task = line.trim();
        if task.is_empty() {
            continue;
        }
        cancel.reset();
        agent.run(Some(task))?;
        cancel.reset();
    }
}
