//! The checked call path: schema validation, policy verdicts, the approver and the audit log.

use std::sync::Arc;

use ouro_agent::audit::AuditLog;
use ouro_agent::permissions::{
    Action, HeadlessApprover, Mode, PermissionsConfig, RuleConfig, SandboxRequirement,
    TerminalApprover, Verdict,
};
use ouro_agent::sandbox::Sandbox;
use ouro_agent::tools::{Limits, ToolContext, ToolEffect, ToolRegistry};
use ouro_agent::{ToolRunner, Workspace};
use serde_json::json;

fn runner(
    dir: &tempfile::TempDir,
    config: PermissionsConfig,
    approver: Box<dyn ouro_agent::permissions::Approver>,
) -> ToolRunner {
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    let workspace = Workspace::new(&ws).unwrap();
    let policy = Arc::new(config.compile(workspace.root()).unwrap());
    let audit = Arc::new(AuditLog::open(&dir.path().join("audit.jsonl"), "s").unwrap());
    let ctx = ToolContext {
        workspace,
        policy,
        sandbox: Sandbox::probe(),
        audit,
        limits: Limits::default(),
    };
    ToolRunner::new(ToolRegistry::standard(), ctx, approver)
}

fn records(dir: &tempfile::TempDir) -> Vec<(String, String, String, String)> {
    AuditLog::read_all(&dir.path().join("audit.jsonl"))
        .unwrap()
        .into_iter()
        .map(|r| (r.tool, r.action, r.resource, r.decision))
        .collect()
}

#[test]
fn registry_offers_every_tool_with_a_closed_schema() {
    let names = ToolRegistry::standard().names();
    assert_eq!(
        names,
        [
            "read_file",
            "write_file",
            "edit_file",
            "apply_patch",
            "list",
            "grep",
            "bash",
            "fetch_url",
            "plan",
            "finish"
        ]
    );
    for spec in ToolRegistry::standard().specs() {
        assert_eq!(spec.parameters["type"], "object", "{}", spec.name);
        assert_eq!(
            spec.parameters["additionalProperties"], false,
            "{}",
            spec.name
        );
        assert!(!spec.parameters.to_string().contains("$ref"));
    }
}

#[test]
fn allowed_calls_run_and_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let r = runner(
        &dir,
        PermissionsConfig::default(),
        Box::new(HeadlessApprover),
    );
    r.call("write_file", json!({"path": "a.txt", "content": "one\n"}))
        .unwrap();
    r.call(
        "edit_file",
        json!({"path": "a.txt", "old_text": "one", "new_text": "two"}),
    )
    .unwrap();
    let out = r.call("read_file", json!({"path": "a.txt"})).unwrap();
    assert_eq!(out.content, "1\ttwo\n");
    let out = r.call("finish", json!({"summary": "done"})).unwrap();
    assert!(matches!(out.effect, Some(ToolEffect::Finish { .. })));
    let log = records(&dir);
    assert_eq!(
        log[0],
        (
            "write_file".into(),
            "write".into(),
            "a.txt".into(),
            "allow".into()
        )
    );
    assert_eq!(log.len(), 4, "{log:?}");
}

#[test]
fn denials_escapes_and_bad_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let config = PermissionsConfig {
        mode: Mode::ReadOnly,
        rules: vec![RuleConfig {
            action: Action::Read,
            pattern: "private/**".into(),
            decision: Verdict::Deny,
        }],
        ..PermissionsConfig::default()
    };
    let r = runner(&dir, config, Box::new(HeadlessApprover));
    let err = r
        .call("write_file", json!({"path": "a.txt", "content": "x"}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("mode read-only default for write"), "{err}");
    let err = r
        .call("read_file", json!({"path": "private/k"}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("rule 0: deny read \"private/**\""), "{err}");
    let err = r
        .call("read_file", json!({"path": "../../etc/passwd"}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("escapes the workspace"), "{err}");
    // Ask -> headless approver refuses.
    let err = r
        .call("bash", json!({"command": "ls"}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("refused (headless)"), "{err}");
    assert!(r.call("nope", json!({})).is_err());
    let err = r
        .call("read_file", json!({"path": 3}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("arguments.path: expected string"), "{err}");
    let decisions: Vec<String> = records(&dir).into_iter().map(|r| r.3).collect();
    assert_eq!(decisions, ["deny", "deny", "deny", "deny"]);
    assert!(!dir.path().join("ws/a.txt").exists());
}

#[test]
fn terminal_approver_grants_for_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let config = PermissionsConfig {
        mode: Mode::ReadOnly,
        sandbox: SandboxRequirement::BestEffort,
        ..PermissionsConfig::default()
    };
    // One answer only: "always". The second identical call must not ask again.
    let approver = TerminalApprover::new(&b"a\n"[..], std::io::sink());
    let r = runner(&dir, config, Box::new(approver));
    for _ in 0..2 {
        let out = r.call("bash", json!({"command": "echo hi"})).unwrap();
        assert!(out.content.contains("hi"), "{}", out.content);
    }
    let rules: Vec<String> = AuditLog::read_all(&dir.path().join("audit.jsonl"))
        .unwrap()
        .into_iter()
        .filter(|r| r.decision == "allow")
        .map(|r| r.rule)
        .collect();
    assert!(
        rules[0].contains("approved for the session (terminal)"),
        "{rules:?}"
    );
    assert!(
        rules[1].contains("approved earlier this session"),
        "{rules:?}"
    );
}
