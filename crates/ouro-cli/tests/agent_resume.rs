//! `ouro agent` end to end against a scripted server: a headless run killed with SIGKILL in
//! the middle of a session, then `--resume`, continues from exactly the journaled state.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use ouro_agent::agent::Outcome;
use ouro_agent::session::Session;
use ouro_agent::testing::{Reply, ScriptedServer};
use ouro_core::journal::FsyncPolicy;
use serde_json::Value;

fn ouro(ws: &Path, server: &ScriptedServer, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ouro"));
    cmd.args([
        "agent",
        "--json",
        "--base-url",
        &server.url(),
        "--model",
        "scripted",
    ])
    .arg("--workspace")
    .arg(ws)
    .args(extra)
    .stdin(Stdio::null());
    cmd
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "# demo\n").unwrap();
    dir
}

#[test]
fn kill_9_mid_session_then_resume_continues_from_the_journal() {
    let server = ScriptedServer::start(vec![
        Reply::tool_calls(&[(
            "c1",
            "write_file",
            r#"{"path": "notes.txt", "content": "first\n"}"#,
        )]),
        // The second request never gets an answer: the test kills the agent while it waits.
        Reply::Hang,
        Reply::tool_calls(&[("c2", "finish", r#"{"summary": "notes written"}"#)]),
    ])
    .unwrap();
    let ws = workspace();
    let mut child = ouro(ws.path(), &server, &["-p", "write notes.txt"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let start: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(start["type"], "session_start", "{line}");
    let id = start["session"].as_str().unwrap().to_string();
    assert!(
        server.wait_for(2, Duration::from_secs(60)),
        "second request never came"
    );
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert_eq!(
        std::fs::read_to_string(ws.path().join("notes.txt")).unwrap(),
        "first\n"
    );

    // The journal as the kill left it: the tool result is there, the model is owed a turn.
    let (session, before) = Session::resume(ws.path(), &id, FsyncPolicy::Always).unwrap();
    drop(session);
    assert!(before.awaits_model());
    assert_eq!(before.messages.len(), 4, "{:?}", before.messages);
    assert!(before.finished.is_none());

    let out = ouro(ws.path(), &server, &["--resume", &id])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["type"], "session_start");
    assert_eq!(events[0]["resumed"], true);
    assert_eq!(events.last().unwrap()["type"], "finish");
    assert_eq!(events.last().unwrap()["outcome"], "finished");

    // The resumed request carries exactly the conversation the killed run had sent.
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[2].body["messages"], requests[1].body["messages"]);
    assert_eq!(
        requests[2].body["messages"].as_array().unwrap().len(),
        before.messages.len()
    );

    let (_, after) = Session::resume(ws.path(), &id, FsyncPolicy::Always).unwrap();
    assert_eq!(after.messages[..4], before.messages[..]);
    let finished = after.finished.unwrap();
    assert_eq!(finished.outcome, Outcome::Finished);
    assert_eq!(finished.summary, "notes written");
    assert_eq!(finished.tool_calls, 2);
}

#[test]
fn headless_exit_codes_report_the_outcome() {
    let server = ScriptedServer::start(vec![Reply::status(400, "bad request body", None)]).unwrap();
    let ws = workspace();
    let out = ouro(ws.path(), &server, &["-p", "anything"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["outcome"], "failed");
    assert!(
        last["summary"].as_str().unwrap().contains("HTTP 400"),
        "{last}"
    );

    let out = ouro(ws.path(), &server, &["--resume", "../escape"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid session id"));

    // The local provider with a model file that does not exist (`--model scripted`).
    let args = ["-p", "x", "--provider", "local"];
    let out = ouro(ws.path(), &server, &args).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("model file scripted not found"), "{stderr}");
}
