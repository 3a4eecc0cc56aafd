//! `ouro agent`: argument parsing for the coding agent; everything else is in
//! `ouro_agent::app::run`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use ouro_agent::app::{AgentOptions, run};
use ouro_agent::config::ProviderKind;
use ouro_agent::permissions::Mode;
use ouro_agent::provider::{Cancel, ToolCallMode};

/// Run the coding agent on a task (`-p`, headless) or interactively.
#[derive(Args)]
pub struct AgentArgs {
    /// The task; runs headless (approval prompts are answered "no").
    #[arg(short, long)]
    prompt: Option<String>,
    /// Print events as JSON lines on stdout (headless).
    #[arg(long)]
    json: bool,
    /// Continue the session with this id (see .ouro/sessions/).
    #[arg(long, value_name = "ID")]
    resume: Option<String>,
    /// openai (any OpenAI-compatible server) or local (ouro's engine).
    #[arg(long, value_parser = parse_provider)]
    provider: Option<ProviderKind>,
    /// The server's base URL (default http://127.0.0.1:8080).
    #[arg(long)]
    base_url: Option<String>,
    /// The model name sent to the server.
    #[arg(long)]
    model: Option<String>,
    /// The environment variable holding the API key.
    #[arg(long, value_name = "VAR")]
    api_key_env: Option<String>,
    /// native (function calling) or text (calls parsed from the reply).
    #[arg(long, value_parser = parse_tool_calls)]
    tool_calls: Option<ToolCallMode>,
    /// The most model replies per task (default 50).
    #[arg(long)]
    max_iterations: Option<u32>,
    /// The repository to work in (default: the current directory).
    #[arg(long)]
    workspace: Option<PathBuf>,
    /// read-only, workspace-write or full-access (overrides permissions.mode).
    #[arg(long, value_parser = parse_mode)]
    mode: Option<Mode>,
    /// A TOML file whose [permissions] table replaces the user-level config's
    /// (~/.config/ouro/config.toml); the workspace's ouro.toml can still only restrict it.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Let the workspace's ouro.toml widen the session (mode, sandbox, protect_secrets,
    /// allow rules); without it, it may only restrict what the user allows.
    #[arg(long)]
    trust_workspace_config: bool,
}

fn parse_provider(s: &str) -> Result<ProviderKind, String> {
    s.parse()
}

fn parse_tool_calls(s: &str) -> Result<ToolCallMode, String> {
    s.parse()
}

fn parse_mode(s: &str) -> Result<Mode, String> {
    match s {
        "read-only" => Ok(Mode::ReadOnly),
        "workspace-write" => Ok(Mode::WorkspaceWrite),
        "full-access" => Ok(Mode::FullAccess),
        other => Err(format!(
            "unknown mode `{other}` (expected read-only, workspace-write or full-access)"
        )),
    }
}

/// Runs the agent; the exit code is 0 on success, 1 on failure or the iteration limit,
/// 130 when cancelled with Ctrl-C.
pub fn main(args: AgentArgs) -> Result<ExitCode> {
    let cancel = Cancel::new();
    let flag = cancel.clone();
    ctrlc::set_handler(move || flag.cancel()).context("installing the Ctrl-C handler")?;
    let options = AgentOptions {
        prompt: args.prompt,
        json: args.json,
        resume: args.resume,
        provider: args.provider,
        base_url: args.base_url,
        model: args.model,
        api_key_env: args.api_key_env,
        tool_calls: args.tool_calls,
        max_iterations: args.max_iterations,
        workspace: args.workspace,
        mode: args.mode,
        policy: args.policy,
        trust_workspace_config: args.trust_workspace_config,
    };
    Ok(ExitCode::from(run(options, cancel)?))
}
