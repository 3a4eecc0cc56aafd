//! Helpers shared by the agent's security tests (`security*.rs`, `sandbox.rs`): where their
//! workspaces go, the checked tool runner over a workspace (policy, audit log, the kernel's
//! sandbox, headless approvals) and running `bash` through it.

// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ouro_agent::audit::AuditLog;
use ouro_agent::permissions::{HeadlessApprover, PermissionsConfig};
use ouro_agent::sandbox::Sandbox;
use ouro_agent::tools::{Limits, ToolContext, ToolRegistry};
use ouro_agent::{ToolRunner, Workspace};
use serde_json::json;

/// The session name in the tests' audit records.
pub const SESSION: &str = "acceptance";

/// Where test workspaces go: the target dir's scratch folder, or a folder in the home
/// directory when the target dir itself lies in the system temp dir (as with a shared
/// CARGO_TARGET_DIR under /tmp). Not under /tmp, as real workspaces are not: a directory that
/// holds a hidden file's ancestors only lends traverse rights to entries created during a
/// command (see the sandbox's allowlist module), which would make /tmp awkward.
pub fn scratch_root() -> PathBuf {
    let target_tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    match std::env::var_os("HOME") {
        Some(home) if target_tmp.starts_with(std::env::temp_dir()) => {
            let root = PathBuf::from(home).join(".cache/ouro-agent-tests");
            std::fs::create_dir_all(&root).unwrap();
            root
        }
        _ => target_tmp,
    }
}

/// The tools' context for workspace `ws` (an existing directory) under `config`, auditing
/// to `audit`, sandboxed by what this kernel offers.
pub fn context(ws: &Path, config: PermissionsConfig, audit: &Path) -> ToolContext {
    let workspace = Workspace::new(ws).unwrap();
    let policy = Arc::new(config.compile(workspace.root()).unwrap());
    ToolContext {
        workspace,
        policy,
        sandbox: Sandbox::probe(),
        audit: Arc::new(AuditLog::open(audit, SESSION).unwrap()),
        limits: Limits::default(),
    }
}

/// The standard tools over workspace `ws`, every call checked against `config` (what would
/// ask is refused) and audited to `audit`.
pub fn checked(ws: &Path, config: PermissionsConfig, audit: &Path) -> ToolRunner {
    ToolRunner::new(
        ToolRegistry::standard(),
        context(ws, config, audit),
        Box::new(HeadlessApprover),
    )
}

/// Runs `command` with the `bash` tool (20 s at most); its reply, or the error in words.
pub fn bash(runner: &ToolRunner, command: &str, network: bool) -> String {
    runner
        .call(
            "bash",
            json!({"command": command, "timeout_secs": 20, "network": network}),
        )
        .map(|o| o.content)
        .unwrap_or_else(|e| format!("error: {e}"))
}
