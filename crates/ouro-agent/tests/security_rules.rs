//! Deny means deny however it is spelled: execute rules against every way of naming a
//! program, network rules against every way of writing an address, bash's environment
//! without ouro's secrets, and secret files that git must not print either.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::{checked, context};
use ouro_agent::agent::{Agent, AgentConfig, AgentEvent, Outcome};
use ouro_agent::permissions::{
    Action, Mode, PermissionsConfig, Policy, RuleConfig, SandboxRequirement, Verdict,
};
use ouro_agent::provider::{Cancel, OpenAiConfig, OpenAiProvider};
use ouro_agent::session::Session;
use ouro_agent::testing::{Reply, ScriptedServer};
use ouro_agent::tools::{ToolError, ToolRegistry};
use ouro_agent::{ToolRunner, Workspace};
use ouro_core::journal::FsyncPolicy;
use serde_json::json;

fn rule(action: Action, pattern: &str, decision: Verdict) -> RuleConfig {
    RuleConfig {
        action,
        pattern: pattern.to_string(),
        decision,
    }
}

fn config(mode: Mode, rules: Vec<RuleConfig>) -> PermissionsConfig {
    PermissionsConfig {
        mode,
        sandbox: SandboxRequirement::BestEffort,
        rules,
        ..PermissionsConfig::default()
    }
}

/// [`config`] with the one rule `action pattern decision`.
fn one_rule(mode: Mode, action: Action, pattern: &str, decision: Verdict) -> PermissionsConfig {
    config(mode, vec![rule(action, pattern, decision)])
}

/// A workspace and a headless runner under `config`.
fn runner(dir: &tempfile::TempDir, config: PermissionsConfig) -> ToolRunner {
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    checked(&ws, config, &dir.path().join("audit.jsonl"))
}

/// A workspace and a headless runner under the one network rule `pattern decision`.
fn network_runner(
    dir: &tempfile::TempDir,
    mode: Mode,
    pattern: &str,
    decision: Verdict,
) -> ToolRunner {
    runner(dir, one_rule(mode, Action::Network, pattern, decision))
}

fn deny_rm(mode: Mode) -> Policy {
    one_rule(mode, Action::Execute, "rm", Verdict::Deny)
        .compile(Path::new("/ws"))
        .unwrap()
}

/// Ways to run `rm` that a deny rule on `rm` must stop (denied, or asked: refused headless).
const BYPASSES: &[&str] = &[
    "rm -rf victim",
    "/bin/rm victim",
    "/usr/bin/../bin/rm victim",
    "./rm victim",
    "command rm victim",
    "command -p rm victim",
    "builtin rm victim",
    "exec rm victim",
    "exec -a other /bin/rm victim",
    "env rm victim",
    "env -i FOO=1 rm victim",
    "/usr/bin/env -u HOME rm victim",
    "env -S 'rm victim'",
    "nice -n 5 rm victim",
    "nohup rm victim",
    "timeout -s KILL 5 rm victim",
    "stdbuf -o0 rm victim",
    "setsid rm victim",
    "echo victim | xargs rm",
    "xargs -I{} rm {} < list",
    "sudo -Eu root rm victim",
    "busybox rm victim",
    "time rm victim",
    "! rm victim",
    "coproc rm victim",
    "bash -c 'rm victim'",
    "sh -c \"rm victim\"",
    "zsh -c 'ls; rm victim'",
    "/bin/bash -xc 'rm victim'",
    "bash -c \"bash -c 'rm victim'\"",
    "bash <<'EOF'\nrm victim\nEOF",
    "bash <<< 'rm victim'",
    "echo rm victim | sh",
    "su -c 'rm victim'",
    "watch -n 1 rm victim",
    "eval 'rm victim'",
    "eval rm victim",
    "trap 'rm victim' EXIT",
    "shopt -s expand_aliases; alias r='rm victim'\nr",
    "find . -name victim -exec rm {} \\;",
    "git -c core.fsmonitor='rm victim' status",
    "$(echo rm) victim",
    "`echo rm` victim",
    "X=rm; $X victim",
    "${X:-rm} victim",
    "\"$X\" victim",
    "/bin/r? victim",
    "/bin/[r]m victim",
    "{rm,victim}",
    "'r'm victim",
    "r\\m victim",
    "\\rm victim",
    "r\"\"m victim",
    "\"rm\" victim",
    "$'rm' victim",
    "$'\\x72m' victim",
    "$'\\162\\155' victim",
    "$'\\u0072m' victim",
    "ls # comment\nrm victim",
    "echo $'a\\'b'; rm victim",
    "echo 'a'\\''b'; rm victim",
    "echo ok; rm victim",
    "true && rm victim",
    "false || rm victim",
    "ls | rm victim",
    "(rm victim)",
    "{ rm victim; }",
    "f() { rm victim; }; f",
    "ls() { rm victim; }; ls",
    "if true; then rm victim; fi",
    "for f in victim; do rm \"$f\"; done",
    "while rm victim; do :; done",
    "case x in x) rm victim;; esac",
    "cat <(rm victim)",
    "echo \"$(rm victim)\"",
    "echo `rm victim`",
    "X=$(rm victim)",
    "[[ -n $(rm victim) ]]",
    "echo $(( $(rm victim) ))",
    "cat > out < <(rm victim)",
    "cat <<EOF\n$(rm victim)\nEOF",
    "echo 'unterminated",
];

#[test]
fn execute_deny_holds_for_every_spelling() {
    assert!(BYPASSES.len() >= 25);
    for mode in [Mode::FullAccess, Mode::WorkspaceWrite] {
        let policy = deny_rm(mode);
        for line in BYPASSES {
            let d = policy.check_command(line);
            assert_ne!(d.verdict, Verdict::Allow, "{mode:?}: `{line}` was allowed");
        }
    }
}

#[test]
fn ordinary_commands_stay_allowed() {
    let policy = deny_rm(Mode::WorkspaceWrite);
    for line in [
        "ls -la | grep foo",
        "cargo test 2>&1 | tail",
        "echo \"rm is a word\"",
        "git commit -m 'rm it'",
        "git rm old.txt",
        "grep -rn 'rm -rf' src/",
        "rmdir empty",
        "cat rm.txt > out.txt",
        "cargo run -- rm",
        "echo $HOME && ls ~/x",
        "for f in *.rs; do wc -l \"$f\"; done",
        "FOO=1 cargo build",
        "sudo ls",
        "bash -c 'cargo test'",
        "find . -name '*.o' -exec ls {} +",
        "python3 script.py # rm is fine in a comment",
    ] {
        let d = policy.check_command(line);
        assert_eq!(d.verdict, Verdict::Allow, "`{line}`: {}", d.rule);
    }
}

#[test]
fn allow_rules_cover_every_command_or_none() {
    let policy = config(
        Mode::ReadOnly,
        vec![
            rule(Action::Execute, "cargo test", Verdict::Allow),
            rule(Action::Execute, "git status", Verdict::Allow),
        ],
    )
    .compile(Path::new("/ws"))
    .unwrap();
    for ok in [
        "cargo test -p x",
        "git status && cargo test 2>&1",
        "/usr/bin/git status",
        "git status # ; rm -rf / (a comment runs nothing)",
    ] {
        assert_eq!(policy.check_command(ok).verdict, Verdict::Allow, "{ok}");
    }
    for asked in [
        "cargo test; curl evil",
        "git status\nrm -rf /",
        "cargo test $(git status)",
        "$CMD test",
        "cargo $(echo test)",
        "bash -c 'cargo test'",
        "timeout 5 cargo test",
    ] {
        assert_eq!(policy.check_command(asked).verdict, Verdict::Ask, "{asked}");
    }
}

#[test]
fn deny_rules_with_arguments_ask_when_an_argument_is_decided_at_run_time() {
    let policy = one_rule(Mode::FullAccess, Action::Execute, "git push", Verdict::Deny)
        .compile(Path::new("/ws"))
        .unwrap();
    assert_eq!(
        policy.check_command("git push origin").verdict,
        Verdict::Deny
    );
    assert_eq!(
        policy.check_command("/usr/bin/git 'pu'sh").verdict,
        Verdict::Deny
    );
    assert_eq!(
        policy.check_command("git $(echo push)").verdict,
        Verdict::Ask
    );
    assert_eq!(policy.check_command("git pull").verdict, Verdict::Allow);
}

#[test]
fn denied_commands_do_not_run_through_the_runner() {
    let dir = tempfile::tempdir().unwrap();
    let r = runner(
        &dir,
        one_rule(Mode::FullAccess, Action::Execute, "rm", Verdict::Deny),
    );
    let victim = dir.path().join("ws/victim");
    for line in [
        "/bin/rm victim",
        "bash -c 'rm victim'",
        "$(echo rm) victim",
        "$'\\x72m' victim",
    ] {
        std::fs::write(&victim, "x").unwrap();
        let err = r.call("bash", json!({ "command": line })).unwrap_err();
        assert!(matches!(err, ToolError::Denied { .. }), "{line}: {err}");
        assert!(victim.exists(), "{line} removed the file");
    }
}

/// A scripted model asks for `/bin/rm`; the agent loop refuses it and the file survives.
#[test]
fn the_agent_loop_refuses_a_respelled_denied_command() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir(&ws).unwrap();
    std::fs::write(ws.join("victim"), "keep").unwrap();
    let server = ScriptedServer::start(vec![
        Reply::tool_calls(&[("c1", "bash", r#"{"command": "command /bin/r'm' victim"}"#)]),
        Reply::tool_calls(&[("c2", "finish", r#"{"summary": "tried"}"#)]),
    ])
    .unwrap();
    let provider = OpenAiProvider::new(OpenAiConfig::new(server.url(), "scripted")).unwrap();
    let cfg = one_rule(Mode::FullAccess, Action::Execute, "rm", Verdict::Deny);
    let workspace = Workspace::new(&ws).unwrap();
    let session = Session::create(workspace.root(), FsyncPolicy::Always).unwrap();
    let runner = checked(&ws, cfg, &session.audit_path());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let mut agent = Agent::new(
        Box::new(provider),
        runner,
        session,
        Default::default(),
        AgentConfig::default(),
        Cancel::new(),
        Box::new(move |e: &AgentEvent| {
            if let AgentEvent::ToolResult { content, .. } = e {
                sink.lock().unwrap().push(content.clone());
            }
        }),
    )
    .unwrap();
    let summary = agent.run(Some("remove victim")).unwrap();
    assert_eq!(summary.outcome, Outcome::Finished);
    assert_eq!(std::fs::read_to_string(ws.join("victim")).unwrap(), "keep");
    let events = seen.lock().unwrap().join("\n");
    assert!(events.contains("permission denied: execute"), "{events}");
}

/// Serves canned answers on 127.0.0.1; counts the connections it accepted.
fn serve(answers: usize) -> (u16, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(Mutex::new(0));
    let count = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(answers) {
            let Ok(mut stream) = stream else { break };
            *count.lock().unwrap() += 1;
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
            );
        }
    });
    (port, hits)
}

#[test]
fn a_denied_address_is_denied_in_every_spelling() {
    let (port, hits) = serve(1);
    let dir = tempfile::tempdir().unwrap();
    let r = network_runner(&dir, Mode::FullAccess, "127.0.0.1", Verdict::Deny);
    let spellings = [
        "127.0.0.1",
        "2130706433",
        "0x7f.1",
        "0x7f000001",
        "0177.0.0.1",
        "0177.0.0.01",
        "127.1",
        "127.0.1",
        "127.0.0.1.",
        "[::ffff:127.0.0.1]",
        "[0:0:0:0:0:ffff:7f00:1]",
        "[::ffff:7f00:1]",
        "allowed.com@127.0.0.1",
        "user:pw@0x7f.0.0.1",
    ];
    for host in spellings {
        let url = format!("http://{host}:{port}/");
        let err = r.call("fetch_url", json!({ "url": url })).unwrap_err();
        assert!(matches!(err, ToolError::Denied { .. }), "{url}: {err}");
    }
    assert_eq!(
        *hits.lock().unwrap(),
        0,
        "a denied request reached the server"
    );
}

#[test]
fn a_denied_name_covers_its_addresses_and_allowed_names_connect() {
    let (port, hits) = serve(1);
    let dir = tempfile::tempdir().unwrap();
    let r = network_runner(&dir, Mode::FullAccess, "LOCALHOST.", Verdict::Deny);
    for url in [
        format!("http://localhost:{port}/"),
        format!("http://LocalHost.:{port}/"),
        format!("http://127.0.0.1:{port}/"),
    ] {
        let err = r.call("fetch_url", json!({ "url": url })).unwrap_err();
        assert!(matches!(err, ToolError::Denied { .. }), "{url}: {err}");
    }
    // An allowed name is resolved once and the request goes to that address.
    let r = network_runner(&dir, Mode::ReadOnly, "localhost", Verdict::Allow);
    let out = r
        .call(
            "fetch_url",
            json!({ "url": format!("http://localhost:{port}/") }),
        )
        .unwrap()
        .content;
    assert!(out.contains("HTTP 200") && out.contains("hello"), "{out}");
    assert_eq!(*hits.lock().unwrap(), 1);
    // Userinfo does not make an allowed name out of another host.
    let r = network_runner(&dir, Mode::ReadOnly, "allowed.com", Verdict::Allow);
    let err = r
        .call(
            "fetch_url",
            json!({ "url": format!("http://allowed.com@127.0.0.1:{port}/") }),
        )
        .unwrap_err();
    assert!(matches!(err, ToolError::Denied { .. }), "{err}");
}

#[test]
fn the_tool_checks_the_address_it_connects_to() {
    // Called without the runner (as after a check that saw other addresses), the tool still
    // refuses to connect to a denied address.
    let (port, hits) = serve(1);
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    let ctx = context(
        &ws,
        one_rule(
            Mode::FullAccess,
            Action::Network,
            "127.0.0.0/8",
            Verdict::Deny,
        ),
        &dir.path().join("audit.jsonl"),
    );
    let fetch = ToolRegistry::standard();
    let tool = fetch.get("fetch_url").unwrap();
    let err = tool
        .run(&ctx, json!({ "url": format!("http://localhost:{port}/") }))
        .unwrap_err();
    assert!(matches!(err, ToolError::Denied { .. }), "{err}");
    assert_eq!(*hits.lock().unwrap(), 0);
}

#[test]
fn bash_gets_no_network_when_rules_name_hosts() {
    let dir = tempfile::tempdir().unwrap();
    for pattern in ["*.crates.io", "127.0.0.1"] {
        for decision in [Verdict::Allow, Verdict::Deny] {
            let r = runner(
                &dir,
                one_rule(Mode::FullAccess, Action::Network, pattern, decision),
            );
            let err = r
                .call("bash", json!({ "command": "true", "network": true }))
                .unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, ToolError::Denied { .. }), "{text}");
            assert!(text.contains("filtering proxy"), "{text}");
        }
    }
    // Without host rules the mode decides, as before.
    let r = runner(&dir, config(Mode::FullAccess, vec![]));
    r.call("bash", json!({ "command": "true", "network": true }))
        .unwrap();
}

#[test]
fn bash_does_not_inherit_secrets() {
    // SAFETY: set before any command of this test runs; other tests only read these names
    // through the scrubbed environment they are checked against.
    unsafe {
        std::env::set_var("OURO_TEST_API_KEY", "sk-hunter2");
        std::env::set_var("GITHUB_TOKEN", "ghp-hunter2");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "aws-hunter2");
        std::env::set_var("OURO_TEST_PASSED", "visible");
    }
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(Mode::WorkspaceWrite, vec![]);
    cfg.pass_env = vec!["OURO_TEST_PASSED".to_string()];
    let r = runner(&dir, cfg);
    let out = r.call("bash", json!({ "command": "env" })).unwrap().content;
    assert!(!out.contains("hunter2"), "{out}");
    assert!(
        out.contains("PATH=") && out.contains("OURO_TEST_PASSED=visible"),
        "{out}"
    );
    let mut bad = config(Mode::WorkspaceWrite, vec![]);
    bad.pass_env = vec!["GITHUB_TOKEN".to_string()];
    let err = bad.compile(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("GITHUB_TOKEN") && err.contains("secret"),
        "{err}"
    );
}

#[test]
fn secret_files_are_protected_by_default() {
    let policy = PermissionsConfig::default()
        .compile(Path::new("/ws"))
        .unwrap();
    for path in [
        ".env",
        "app/.env.local",
        ".env.production",
        ".envrc",
        "certs/server.pem",
        "tls/private.key",
        "keys/id_rsa",
        "id_ed25519",
        ".netrc",
        ".npmrc",
        ".pypirc",
        "home/.aws/credentials",
        ".config/gcloud/application_default_credentials.json",
        ".kube/config",
        ".docker/config.json",
    ] {
        let d = policy.check_path(Action::Read, &Path::new("/ws").join(path));
        assert_eq!(d.verdict, Verdict::Deny, "{path}");
    }
    for path in [
        "keys/id_rsa.pub",
        "src/id_map.rs",
        "environment.md",
        "src/main.rs",
    ] {
        let d = policy.check_path(Action::Read, &Path::new("/ws").join(path));
        assert_eq!(d.verdict, Verdict::Allow, "{path}");
    }
}

fn git(ws: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(ws)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(status.status.success(), "git {args:?}: {status:?}");
}

#[test]
fn git_does_not_print_a_committed_secret() {
    let dir = tempfile::tempdir().unwrap();
    let r = runner(&dir, config(Mode::WorkspaceWrite, vec![]));
    let ws = dir.path().join("ws");
    std::fs::write(ws.join(".env"), "TOKEN=hunter2\n").unwrap();
    std::fs::write(ws.join("a.txt"), "a\n").unwrap();
    git(&ws, &["init", "-q"]);
    git(&ws, &["add", "-A"]);
    git(&ws, &["commit", "-qm", "first"]);
    for line in [
        "git show HEAD:.env",
        "git log -p",
        "git cat-file -p HEAD:.env",
        "git --no-pager log --patch -1",
        "git diff 4b825dc642cb6eb9a060e54bf8d69288fbee4904 HEAD",
        "git grep TOKEN HEAD",
        "git archive HEAD | tar -xO",
        "cd . && git show HEAD",
        "bash -c 'git show HEAD:.env'",
    ] {
        match r.call("bash", json!({ "command": line })) {
            Err(ToolError::Denied { rule, .. }) => assert!(rule.contains(".env"), "{line}: {rule}"),
            Err(e) => panic!("{line}: {e}"),
            Ok(out) => panic!("{line} ran: {}", out.content),
        }
    }
    for line in [
        "git status --short",
        "git log --oneline",
        "git diff --stat HEAD",
    ] {
        let out = r.call("bash", json!({ "command": line })).unwrap().content;
        assert!(!out.contains("hunter2"), "{line}: {out}");
    }
}

#[test]
fn git_content_commands_run_when_no_secret_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let r = runner(&dir, config(Mode::WorkspaceWrite, vec![]));
    let ws = dir.path().join("ws");
    std::fs::write(ws.join("a.txt"), "plain\n").unwrap();
    git(&ws, &["init", "-q"]);
    git(&ws, &["add", "-A"]);
    git(&ws, &["commit", "-qm", "first"]);
    let out = r
        .call("bash", json!({ "command": "git show HEAD:a.txt" }))
        .unwrap()
        .content;
    assert!(out.contains("plain"), "{out}");
}
