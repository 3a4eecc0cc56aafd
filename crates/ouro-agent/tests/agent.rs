//! The agent loop against a scripted OpenAI-compatible server: edits land, bad calls go back
//! to the model as errors, denied actions are blocked and audited, retries happen, and the
//! journal rebuilds the conversation.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use ouro_agent::agent::{Agent, AgentConfig, AgentEvent, Outcome, Summary};
use ouro_agent::audit::AuditLog;
use ouro_agent::permissions::{HeadlessApprover, PermissionsConfig, SandboxRequirement};
use ouro_agent::provider::retry::RetryPolicy;
use ouro_agent::provider::{Cancel, OpenAiConfig, OpenAiProvider, ToolCallMode};
use ouro_agent::sandbox::Sandbox;
use ouro_agent::session::Session;
use ouro_agent::testing::{Reply, ScriptedServer};
use ouro_agent::tools::{Limits, ToolContext, ToolRegistry};
use ouro_agent::{ToolRunner, Workspace};
use ouro_core::journal::FsyncPolicy;
use serde_json::Value;

struct Run {
    _dir: tempfile::TempDir,
    ws: std::path::PathBuf,
    server: ScriptedServer,
    agent: Agent,
    events: Arc<Mutex<Vec<AgentEvent>>>,
    cancel: Cancel,
}

fn start(replies: Vec<Reply>, mode: ToolCallMode, config: AgentConfig) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    std::fs::create_dir(&ws).unwrap();
    let server = ScriptedServer::start(replies).unwrap();
    let mut openai = OpenAiConfig::new(server.url(), "scripted");
    openai.tool_calls = mode;
    openai.retry = RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(5),
    };
    let provider = OpenAiProvider::new(openai).unwrap();
    let workspace = Workspace::new(&ws).unwrap();
    let permissions = PermissionsConfig {
        sandbox: SandboxRequirement::BestEffort,
        ..PermissionsConfig::default()
    };
    let policy = Arc::new(permissions.compile(workspace.root()).unwrap());
    let session = Session::create(workspace.root(), FsyncPolicy::Always).unwrap();
    let audit = Arc::new(AuditLog::open(&session.audit_path(), session.id()).unwrap());
    let ctx = ToolContext {
        workspace,
        policy,
        sandbox: Sandbox::probe(),
        audit,
        limits: Limits::default(),
    };
    let runner = ToolRunner::new(ToolRegistry::standard(), ctx, Box::new(HeadlessApprover));
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let cancel = Cancel::new();
    let agent = Agent::new(
        Box::new(provider),
        runner,
        session,
        Default::default(),
        config,
        cancel.clone(),
        Box::new(move |e: &AgentEvent| sink.lock().unwrap().push(e.clone())),
    )
    .unwrap();
    Run {
        _dir: dir,
        ws,
        server,
        agent,
        events,
        cancel,
    }
}

impl Run {
    fn run(&mut self, task: &str) -> Summary {
        self.agent.run(Some(task)).unwrap()
    }

    /// The messages of request `i` (0-based).
    fn messages(&self, i: usize) -> Vec<Value> {
        self.server.requests()[i].body["messages"]
            .as_array()
            .unwrap()
            .clone()
    }

    fn events(&self) -> Vec<AgentEvent> {
        self.events.lock().unwrap().clone()
    }

    /// Tool results (ok, content) in order.
    fn results(&self) -> Vec<(bool, String)> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                AgentEvent::ToolResult { ok, content, .. } => Some((ok, content)),
                _ => None,
            })
            .collect()
    }

    fn audit(&self) -> Vec<(String, String, String)> {
        let session = self.agent.session_id();
        let path = ouro_agent::session::sessions_dir(&self.ws)
            .join(session)
            .join("audit.jsonl");
        AuditLog::read_all(&path)
            .unwrap()
            .into_iter()
            .map(|r| (r.action, r.resource, r.decision))
            .collect()
    }

    /// The conversation rebuilt from the journal equals the live one.
    fn assert_replay_matches(self) {
        let live = self.agent.conversation().clone();
        let id = self.agent.session_id().to_string();
        drop(self.agent);
        let (_, rebuilt) = Session::resume(&self.ws, &id, FsyncPolicy::Always).unwrap();
        assert_eq!(rebuilt, live);
    }
}

fn finish(id: &str, summary: &str) -> Reply {
    let args = serde_json::json!({ "summary": summary }).to_string();
    Reply::tool_calls(&[(id, "finish", &args)])
}

#[test]
fn native_calls_edit_the_workspace_and_finish() {
    let replies = vec![
        Reply::tool_calls(&[(
            "c1",
            "write_file",
            r#"{"path": "src/hello.txt", "content": "hello\nworld\n"}"#,
        )]),
        Reply::tool_calls(&[(
            "c2",
            "edit_file",
            r#"{"path": "src/hello.txt", "old_text": "world", "new_text": "ouro"}"#,
        )]),
        finish("c3", "wrote and edited hello.txt"),
    ];
    let mut run = start(replies, ToolCallMode::Native, AgentConfig::default());
    let summary = run.run("create src/hello.txt");
    assert_eq!(summary.outcome, Outcome::Finished);
    assert_eq!(summary.summary, "wrote and edited hello.txt");
    assert_eq!((summary.iterations, summary.tool_calls), (3, 3));
    let sent: u64 = run
        .server
        .requests()
        .iter()
        .map(|r| r.body.to_string().len() as u64 / 4)
        .sum();
    assert_eq!(
        (summary.prompt_tokens, summary.completion_tokens),
        (sent, 30)
    );
    assert_eq!(
        std::fs::read_to_string(run.ws.join("src/hello.txt")).unwrap(),
        "hello\nouro\n"
    );
    let requests = run.server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].path, "/v1/chat/completions");
    assert_eq!(requests[0].body["stream"], true);
    assert_eq!(requests[0].body["tools"].as_array().unwrap().len(), 10);
    let m = run.messages(1);
    assert_eq!(m[0]["role"], "system");
    assert_eq!(m[1]["content"], "create src/hello.txt");
    assert_eq!(m[2]["tool_calls"][0]["function"]["name"], "write_file");
    assert_eq!(m[3]["role"], "tool");
    assert_eq!(m[3]["tool_call_id"], "c1");
    let deltas = run
        .events()
        .iter()
        .filter(|e| matches!(e, AgentEvent::AssistantDelta { .. }))
        .count();
    assert_eq!(deltas, 0, "tool-call-only replies stream no text");
    assert!(
        run.audit()
            .contains(&("write".into(), "src/hello.txt".into(), "allow".into()))
    );
    run.assert_replay_matches();
}

#[test]
fn text_mode_calls_are_parsed_and_malformed_blocks_reported() {
    let replies = vec![
        Reply::text(
            "Writing it.\n```json\n{\"tool\": \"write_file\", \"arguments\": {\"path\": \"a.txt\",}}\n```",
        ),
        Reply::text(
            "Again:\n```json\n{\"tool\": \"write_file\", \"arguments\": {\"path\": \"a.txt\", \"content\": \"A\"}}\n```",
        ),
        Reply::text("{\"tool\": \"finish\", \"arguments\": {\"summary\": \"a.txt written\"}}"),
    ];
    let mut run = start(replies, ToolCallMode::Text, AgentConfig::default());
    let summary = run.run("write a.txt");
    assert_eq!(summary.outcome, Outcome::Finished, "{summary:?}");
    assert_eq!(std::fs::read_to_string(run.ws.join("a.txt")).unwrap(), "A");
    let first = &run.server.requests()[0].body;
    assert!(first.get("tools").is_none());
    assert!(
        first["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("## Calling tools")
    );
    let m = run.messages(1);
    let feedback = m.last().unwrap();
    assert_eq!(feedback["role"], "user");
    let text = feedback["content"].as_str().unwrap();
    assert!(text.starts_with("Result of tool call"), "{text}");
    assert!(text.contains("not valid JSON"), "{text}");
    let text = run.messages(2).last().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.contains("wrote 1 bytes") || text.contains("a.txt"),
        "{text}"
    );
    let deltas: String = run
        .events()
        .iter()
        .filter_map(|e| match e {
            AgentEvent::AssistantDelta { text } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert!(deltas.starts_with("Writing it."), "{deltas}");
    run.assert_replay_matches();
}

#[test]
fn bad_calls_and_invalid_arguments_go_back_to_the_model() {
    let replies = vec![
        Reply::tool_calls(&[
            ("c1", "write_file", r#"{"path": "x.txt", "content": "#),
            ("c2", "delete_everything", "{}"),
            ("c3", "write_file", r#"{"path": "x.txt"}"#),
            ("c4", "read_file", r#"{"path": 7}"#),
        ]),
        finish("c5", "gave up"),
    ];
    let mut run = start(replies, ToolCallMode::Native, AgentConfig::default());
    let summary = run.run("break things");
    assert_eq!(summary.outcome, Outcome::Finished);
    assert!(!run.ws.join("x.txt").exists());
    let m = run.messages(1);
    let tool_texts: Vec<String> = m
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(tool_texts.len(), 4, "{tool_texts:?}");
    assert!(
        tool_texts[0].contains("could not read this tool call"),
        "{}",
        tool_texts[0]
    );
    assert!(
        tool_texts[1].contains("unknown tool `delete_everything`"),
        "{}",
        tool_texts[1]
    );
    assert!(
        tool_texts[1].contains("read_file, write_file"),
        "{}",
        tool_texts[1]
    );
    assert!(
        tool_texts[2].contains("missing required `content`"),
        "{}",
        tool_texts[2]
    );
    assert!(
        tool_texts[3].contains("arguments.path: expected string, got integer"),
        "{}",
        tool_texts[3]
    );
    assert!(run.results().iter().take(4).all(|(ok, _)| !ok));
    run.assert_replay_matches();
}

#[test]
fn denied_actions_are_blocked_and_audited() {
    let replies = vec![
        Reply::tool_calls(&[
            (
                "c1",
                "write_file",
                r#"{"path": "../outside.txt", "content": "x"}"#,
            ),
            ("c2", "read_file", r#"{"path": ".env"}"#),
        ]),
        finish("c3", "blocked"),
    ];
    let mut run = start(replies, ToolCallMode::Native, AgentConfig::default());
    std::fs::write(run.ws.join(".env"), "SECRET=hunter2\n").unwrap();
    run.run("leak the secret");
    assert!(!run.ws.parent().unwrap().join("outside.txt").exists());
    let sent = serde_json::to_string(&run.messages(1)).unwrap();
    assert!(!sent.contains("hunter2"), "the secret reached the model");
    let results = run.results();
    assert!(
        results[0].1.contains("outside the workspace") || results[0].1.contains("escape"),
        "{:?}",
        results[0]
    );
    assert!(
        results[1].1.contains("permission denied: read `.env`"),
        "{:?}",
        results[1]
    );
    let audit = run.audit();
    assert!(
        audit.contains(&("path".into(), "../outside.txt".into(), "deny".into())),
        "{audit:?}"
    );
    assert!(
        audit.contains(&("read".into(), ".env".into(), "deny".into())),
        "{audit:?}"
    );
    let denials = run
        .events()
        .iter()
        .filter(
            |e| matches!(e, AgentEvent::PermissionDecision { decision, .. } if decision == "deny"),
        )
        .count();
    assert_eq!(denials, 2, "{audit:?}");
}

#[test]
fn server_errors_are_retried_honouring_retry_after() {
    let replies = vec![
        Reply::status(500, "internal error", None),
        Reply::status(429, "slow down", Some(1)),
        Reply::text("All done, nothing to change."),
    ];
    let mut run = start(replies, ToolCallMode::Native, AgentConfig::default());
    let t = Instant::now();
    let summary = run.run("check");
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "Retry-After ignored: {:?}",
        t.elapsed()
    );
    assert_eq!(summary.outcome, Outcome::Replied);
    assert_eq!(summary.summary, "All done, nothing to change.");
    assert_eq!(run.server.requests().len(), 3);
    let retries: Vec<(u32, u64)> = run
        .events()
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Retry {
                attempt, delay_ms, ..
            } => Some((*attempt, *delay_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(retries.len(), 2);
    assert_eq!(retries[1], (2, 1000));
}

#[test]
fn retry_after_given_as_an_http_date_is_honoured() {
    // HTTP dates have whole seconds: 3 s ahead is about 2 to 3 s away.
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3));
    let replies = vec![
        Reply::Status {
            status: 503,
            headers: vec![("Retry-After".to_string(), date)],
            body: "busy".to_string(),
        },
        Reply::text("Done."),
    ];
    let mut run = start(replies, ToolCallMode::Native, AgentConfig::default());
    let t = Instant::now();
    assert_eq!(run.run("check").outcome, Outcome::Replied);
    assert!(
        t.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    let delays: Vec<u64> = run
        .events()
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Retry { delay_ms, .. } => Some(*delay_ms),
            _ => None,
        })
        .collect();
    assert_eq!(delays.len(), 1);
    assert!((1000..=3000).contains(&delays[0]), "{delays:?}");
}

#[test]
fn client_errors_and_malformed_streams_fail_clearly() {
    let replies = vec![Reply::status(401, "{\"error\": \"bad key\"}", None)];
    let mut run = start(replies, ToolCallMode::Native, AgentConfig::default());
    let summary = run.run("x");
    assert_eq!(summary.outcome, Outcome::Failed);
    assert_eq!(summary.outcome.exit_code(), 1);
    assert!(
        summary.summary.contains("HTTP 401") && summary.summary.contains("bad key"),
        "{}",
        summary.summary
    );
    assert_eq!(run.server.requests().len(), 1, "4xx is not retried");

    let replies = vec![Reply::Sse(vec!["{\"choices\": [".into()])];
    let mut run = start(replies, ToolCallMode::Native, AgentConfig::default());
    let summary = run.run("x");
    assert_eq!(summary.outcome, Outcome::Failed);
    assert!(
        summary.summary.contains("malformed response") && summary.summary.contains("not JSON"),
        "{}",
        summary.summary
    );
}

#[test]
fn cancel_stops_a_hanging_request() {
    let mut run = start(
        vec![Reply::Hang],
        ToolCallMode::Native,
        AgentConfig::default(),
    );
    let cancel = run.cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        cancel.cancel();
    });
    let t = Instant::now();
    let summary = run.run("wait forever");
    assert_eq!(summary.outcome, Outcome::Cancelled);
    assert_eq!(summary.outcome.exit_code(), 130);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[test]
fn the_iteration_limit_stops_the_loop() {
    let replies = vec![
        Reply::tool_calls(&[("c1", "list", "{}")]),
        Reply::tool_calls(&[("c2", "list", "{}")]),
        Reply::tool_calls(&[("c3", "list", "{}")]),
    ];
    let config = AgentConfig {
        max_iterations: 2,
        ..AgentConfig::default()
    };
    let mut run = start(replies, ToolCallMode::Native, config);
    let summary = run.run("loop");
    assert_eq!(summary.outcome, Outcome::MaxIterations);
    assert_eq!(run.server.requests().len(), 2);
}

#[test]
fn a_repeated_call_gets_a_nudge_and_endless_repeats_stop_the_session() {
    let replies = vec![
        Reply::tool_calls(&[("c1", "bash", r#"{"command": "echo ran >> log.txt"}"#)]),
        Reply::tool_calls(&[("c2", "bash", r#"{"command":"echo ran >> log.txt"}"#)]),
        Reply::tool_calls(&[("c3", "bash", r#"{"command": "echo ran >> log.txt"}"#)]),
        Reply::tool_calls(&[("c4", "bash", r#"{"command": "echo ran >> log.txt"}"#)]),
        Reply::tool_calls(&[("c5", "list", "{}")]),
    ];
    let mut run = start(replies, ToolCallMode::Native, AgentConfig::default());
    let summary = run.run("repeat yourself");
    assert_eq!(summary.outcome, Outcome::Repeating, "{}", summary.summary);
    assert!(
        summary.summary.contains("same call 4 times"),
        "{}",
        summary.summary
    );
    let results = run.results();
    assert_eq!(results.len(), 4);
    assert!(results[0].0, "{:?}", results[0]);
    for (ok, content) in &results[1..] {
        assert!(!ok && content.contains("same call"), "{content}");
    }
    let log = std::fs::read_to_string(run.ws.join("log.txt")).unwrap();
    assert_eq!(log, "ran\n", "a repeated call is not run again");
}

#[test]
fn old_turns_are_compacted_into_a_digest() {
    let mut replies: Vec<Reply> = (0..4)
        .map(|i| Reply::tool_calls(&[(&format!("c{i}"), "read_file", r#"{"path": "big.txt"}"#)]))
        .collect();
    replies.push(finish("c9", "read it"));
    let config = AgentConfig {
        context_tokens: 2_000,
        keep_turns: 1,
        ..AgentConfig::default()
    };
    let mut run = start(replies, ToolCallMode::Native, config);
    std::fs::write(run.ws.join("big.txt"), "line of text\n".repeat(700)).unwrap();
    let summary = run.run("read big.txt");
    assert_eq!(summary.outcome, Outcome::Finished);
    let compactions: Vec<(usize, usize, u64, u64)> = run
        .events()
        .iter()
        .filter_map(|e| match e {
            AgentEvent::Compaction {
                start,
                end,
                tokens_before,
                tokens_after,
                ..
            } => Some((*start, *end, *tokens_before, *tokens_after)),
            _ => None,
        })
        .collect();
    assert!(!compactions.is_empty());
    assert!(
        compactions
            .iter()
            .all(|(s, e, b, a)| *s == 2 && e > s && a < b),
        "{compactions:?}"
    );
    let last = run.messages(4);
    assert_eq!(last[1]["content"], "read big.txt", "the task is kept");
    let digest = last[2]["content"].as_str().unwrap();
    assert!(digest.starts_with("[Summary of earlier steps"), "{digest}");
    assert!(
        digest.contains("called read_file(path=\"big.txt\")"),
        "{digest}"
    );
    assert!(last.len() < run.messages(1).len() + 6);
    run.assert_replay_matches();
}
