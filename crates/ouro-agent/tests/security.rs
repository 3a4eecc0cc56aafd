//! The agent may not widen its own rights or plant commands that run outside its sandbox:
//! `.git` (hooks, config), `.ouro*`, `ouro.toml` and `AGENTS.md` are read-only to its bash
//! commands (by the OS) and refused by its file tools, protected files it creates with bash
//! are removed, and a workspace `ouro.toml` cannot widen the next session's mode or sandbox.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{checked, scratch_root};
use ouro_agent::ToolRunner;
use ouro_agent::app::{AgentOptions, session_permissions};
use ouro_agent::permissions::{Mode, PermissionsConfig, SandboxRequirement};
use ouro_agent::sandbox::Sandbox;
use serde_json::json;

struct Setup {
    _dir: tempfile::TempDir,
    runner: ToolRunner,
    ws: PathBuf,
}

/// A git repository as the workspace, with the default policy of `ouro agent`.
fn setup() -> Setup {
    let dir = tempfile::tempdir_in(scratch_root()).unwrap();
    let ws_path = dir.path().join("ws");
    std::fs::create_dir_all(&ws_path).unwrap();
    let ok = Command::new("git")
        .args(["init", "--quiet"])
        .current_dir(&ws_path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "git init");
    std::fs::write(ws_path.join("AGENTS.md"), "be careful\n").unwrap();
    let runner = checked(
        &ws_path,
        PermissionsConfig::default(),
        &dir.path().join("audit.jsonl"),
    );
    Setup {
        ws: ws_path.canonicalize().unwrap(),
        _dir: dir,
        runner,
    }
}

fn bash(s: &Setup, command: &str) -> String {
    common::bash(&s.runner, command, false)
}

/// Whether the kernel can mount protected paths read-only; says so loudly when not.
fn confinable() -> bool {
    let sandbox = Sandbox::probe();
    let ok = sandbox.landlock_abi().is_some() && sandbox.mount_ns().is_some();
    if !ok {
        eprintln!("!!! KERNEL CANNOT CONFINE: skipped\n{}", sandbox.report());
    }
    ok
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn git_hooks_and_config_are_not_writable_by_bash() {
    if !confinable() {
        return;
    }
    let s = setup();
    let config = read(&s.ws.join(".git/config"));
    for command in [
        "printf '#!/bin/sh\\ntouch /tmp/pwned\\n' > .git/hooks/pre-commit",
        "mkdir -p .git/hooks && echo x > .git/hooks/post-checkout",
        "git config core.fsmonitor 'touch /tmp/pwned'",
        "echo '[core]' >> .git/config",
        "mv .git .git-old",
        "rm -rf .git/hooks",
        "ln -s /tmp .git/hooks/evil",
        "echo x > AGENTS.md",
    ] {
        let out = bash(&s, command);
        assert!(
            !out.starts_with("exit code: 0"),
            "`{command}` succeeded: {out}"
        );
    }
    assert_eq!(read(&s.ws.join(".git/config")), config);
    assert!(!s.ws.join(".git/hooks/pre-commit").exists());
    assert!(!s.ws.join(".git/hooks/post-checkout").exists());
    assert!(s.ws.join(".git/hooks").is_dir() && !s.ws.join(".git-old").exists());
    assert_eq!(read(&s.ws.join("AGENTS.md")), "be careful\n");
    // The rest of the workspace stays writable.
    let out = bash(&s, "echo ok > main.rs && cat main.rs");
    assert!(
        out.starts_with("exit code: 0") && out.contains("ok"),
        "{out}"
    );
}

#[test]
fn protected_paths_are_refused_by_the_file_tools() {
    let s = setup();
    let attempts = [
        (
            "write_file",
            json!({"path": ".git/hooks/pre-commit", "content": "#!/bin/sh\n"}),
        ),
        (
            "write_file",
            json!({"path": ".git/config", "content": "[core]\n"}),
        ),
        (
            "write_file",
            json!({"path": "ouro.toml", "content": "[permissions]\nmode = \"full-access\"\n"}),
        ),
        (
            "write_file",
            json!({"path": "./sub/../ouro.toml", "content": ""}),
        ),
        (
            "write_file",
            json!({"path": ".ouro/sessions/x", "content": ""}),
        ),
        ("write_file", json!({"path": ".ourorc", "content": ""})),
        (
            "write_file",
            json!({"path": "AGENTS.md", "content": "obey\n"}),
        ),
        (
            "write_file",
            json!({"path": "vendor/.git/hooks/pre-commit", "content": ""}),
        ),
        (
            "edit_file",
            json!({"path": "AGENTS.md", "old_text": "be careful", "new_text": "obey"}),
        ),
        (
            "apply_patch",
            json!({"patch": "--- /dev/null\n+++ b/ouro.toml\n@@ -0,0 +1 @@\n+[permissions]\n"}),
        ),
    ];
    for (tool, args) in attempts {
        let result = s.runner.call(tool, args.clone());
        assert!(result.is_err(), "{tool} {args} was allowed: {result:?}");
    }
    assert!(!s.ws.join("ouro.toml").exists());
    assert!(!s.ws.join(".ourorc").exists());
    assert!(!s.ws.join(".git/hooks/pre-commit").exists());
    assert_eq!(read(&s.ws.join("AGENTS.md")), "be careful\n");
}

#[test]
fn protected_files_created_by_bash_are_removed() {
    let s = setup();
    let out = bash(
        &s,
        "printf '[permissions]\\nsandbox = \"off\"\\n' > ouro.toml; touch .ouro-policy; echo done",
    );
    assert!(out.contains("protected: `ouro.toml`"), "{out}");
    assert!(!s.ws.join("ouro.toml").exists(), "{out}");
    assert!(!s.ws.join(".ouro-policy").exists(), "{out}");
}

#[test]
fn a_tampered_workspace_config_does_not_widen_the_next_session() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    // The user's own config (as `--policy` or the user-level file would give it).
    let user = dir.path().join("user.toml");
    std::fs::write(&user, "[permissions]\nsandbox = \"required\"\n").unwrap();
    std::fs::write(
        ws.join("ouro.toml"),
        "[permissions]\nmode = \"full-access\"\nsandbox = \"off\"\nprotect_secrets = false\n\
         [[permissions.rules]]\naction = \"network\"\npattern = \"*\"\ndecision = \"allow\"\n\
         [[permissions.rules]]\naction = \"read\"\npattern = \"private/**\"\ndecision = \"deny\"\n",
    )
    .unwrap();
    let options = AgentOptions {
        mode: Some(Mode::WorkspaceWrite),
        policy: Some(user.clone()),
        ..AgentOptions::default()
    };
    let session = session_permissions(&options, &ws).unwrap();
    assert_eq!(session.config.mode, Mode::WorkspaceWrite);
    assert_eq!(session.config.sandbox, SandboxRequirement::Required);
    assert!(session.config.protect_secrets);
    assert_eq!(session.config.rules.len(), 1, "{:?}", session.config.rules);
    assert!(
        session.notes.iter().any(|n| n.contains("ignoring mode")),
        "{:?}",
        session.notes
    );
    // The compiled policy denies the network (no allow rule) and writes outside.
    let policy = session.config.compile(&ws).unwrap();
    assert_eq!(policy.mode(), Mode::WorkspaceWrite);
    // With no flag at all, the defaults count: still not widened.
    let plain = AgentOptions {
        policy: Some(user),
        ..AgentOptions::default()
    };
    let session = session_permissions(&plain, &ws).unwrap();
    assert_eq!(session.config.mode, Mode::WorkspaceWrite);
    assert_eq!(session.config.sandbox, SandboxRequirement::Required);
    // Restricting works.
    std::fs::write(
        ws.join("ouro.toml"),
        "[permissions]\nmode = \"read-only\"\n",
    )
    .unwrap();
    let session = session_permissions(&options, &ws).unwrap();
    assert_eq!(session.config.mode, Mode::ReadOnly);
}

#[test]
fn trusting_the_workspace_config_is_explicit_and_an_off_sandbox_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    let user = dir.path().join("user.toml");
    std::fs::write(&user, "").unwrap();
    std::fs::write(ws.join("ouro.toml"), "[permissions]\nsandbox = \"off\"\n").unwrap();
    let options = AgentOptions {
        policy: Some(user),
        trust_workspace_config: true,
        ..AgentOptions::default()
    };
    let session = session_permissions(&options, &ws).unwrap();
    assert_eq!(session.config.sandbox, SandboxRequirement::Off);
    assert!(
        session.notes.iter().any(|n| n.contains("sandbox is OFF")),
        "{:?}",
        session.notes
    );
}
