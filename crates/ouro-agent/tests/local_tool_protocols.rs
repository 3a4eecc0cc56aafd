//! A measurement, not a check (ignored by default): the local provider's tool-call protocols
//! side by side on small bug-fix tasks. Each task is a temporary git repository with a
//! one-line bug and its test; the agent runs headless with greedy decoding (as `ouro agent
//! --provider local` does) under each protocol, and one line per run says whether it read
//! the file, edited it, whether the test passes afterwards, how many calls and seconds.
//!
//! ```text
//! OURO_LOCAL_TEST_MODEL=models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf \
//!   cargo test -p ouro-agent --test local_tool_protocols -- --ignored --nocapture
//! ```
//!
//! `OURO_PROTOCOLS` (default `plain,template,thought`) and `OURO_TASKS` (task numbers,
//! default all) narrow the run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ouro_agent::agent::{Agent, AgentConfig, AgentEvent};
use ouro_agent::audit::AuditLog;
use ouro_agent::permissions::{HeadlessApprover, PermissionsConfig, SandboxRequirement};
use ouro_agent::provider::{Cancel, LocalConfig, LocalProvider, ToolProtocol};
use ouro_agent::sandbox::Sandbox;
use ouro_agent::session::Session;
use ouro_agent::tools::{Limits, ToolContext, ToolRegistry};
use ouro_agent::{ToolRunner, Workspace};
use ouro_core::journal::FsyncPolicy;

/// One task: the files, the buggy file, the test command and the prompt.
struct Task {
    files: &'static [(&'static str, &'static str)],
    buggy: &'static str,
    test: &'static str,
    prompt: &'static str,
}

const TASKS: [Task; 3] = [
    Task {
        files: &[
            ("calc.py", "def add(a, b):\n    return a - b\n"),
            (
                "test_calc.py",
                "from calc import add\n\nassert add(2, 3) == 5, add(2, 3)\nprint(\"ok\")\n",
            ),
        ],
        buggy: "calc.py",
        test: "python3 test_calc.py",
        prompt: "The test `python3 test_calc.py` fails. Fix the bug in calc.py, then run the test.",
    },
    Task {
        files: &[
            (
                "stats.py",
                "def biggest(xs):\n    \"\"\"The largest item of xs.\"\"\"\n    return min(xs)\n",
            ),
            (
                "test_stats.py",
                "from stats import biggest\n\nassert biggest([3, 9, 4]) == 9\nprint(\"ok\")\n",
            ),
        ],
        buggy: "stats.py",
        test: "python3 test_stats.py",
        prompt: "`python3 test_stats.py` fails: fix stats.py so that the test passes.",
    },
    Task {
        files: &[
            (
                "greet.py",
                "def greet(name):\n    return \"Hello, \" + name + \"?\"\n",
            ),
            (
                "test_greet.py",
                "from greet import greet\n\nassert greet(\"Ann\") == \"Hello, Ann!\", greet(\"Ann\")\nprint(\"ok\")\n",
            ),
        ],
        buggy: "greet.py",
        test: "python3 test_greet.py",
        prompt: "Fix the bug in greet.py: greet(\"Ann\") must return \"Hello, Ann!\". Check with python3 test_greet.py.",
    },
];

fn model() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OURO_LOCAL_TEST_MODEL").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = ouro_core::paths::models_dir(&root).join(ouro_core::paths::DEFAULT_CODER_MODEL_FILE);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: {} is missing", path.display());
        None
    }
}

fn setup(root: &Path, task: &Task) {
    for (name, content) in task.files {
        std::fs::write(root.join(name), content).unwrap();
    }
    let git = |args: &[&str]| {
        let _ = Command::new("git").args(args).current_dir(root).output();
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-qm",
        "start",
    ]);
}

fn test_passes(root: &Path, task: &Task) -> bool {
    Command::new("sh")
        .args(["-c", task.test])
        .current_dir(root)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `task` with a freshly loaded provider under `protocol`; prints one line.
fn run(model: &Path, protocol: ToolProtocol, index: usize, task: &Task) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    setup(root, task);
    let config = LocalConfig {
        n_ctx: 8192,
        tool_protocol: protocol,
        ..LocalConfig::default()
    };
    let provider = LocalProvider::load(model, config).unwrap();
    let template = provider.uses_template_tools();
    let workspace = Workspace::new(root).unwrap();
    let permissions = PermissionsConfig {
        sandbox: SandboxRequirement::BestEffort,
        ..PermissionsConfig::default()
    };
    let policy = Arc::new(permissions.compile(workspace.root()).unwrap());
    let session = Session::create(workspace.root(), FsyncPolicy::Never).unwrap();
    let audit = Arc::new(AuditLog::open(&session.audit_path(), session.id()).unwrap());
    let ctx = ToolContext {
        workspace,
        policy,
        sandbox: Sandbox::probe(),
        audit,
        limits: Limits {
            default_timeout: Duration::from_secs(20),
            ..Limits::default()
        },
    };
    let runner = ToolRunner::new(ToolRegistry::standard(), ctx, Box::new(HeadlessApprover));
    let agent_config = AgentConfig {
        max_iterations: 10,
        context_tokens: 8192 - 1024,
        ..AgentConfig::default()
    };
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let mut agent = Agent::new(
        Box::new(provider),
        runner,
        session,
        Default::default(),
        agent_config,
        Cancel::new(),
        Box::new(move |e: &AgentEvent| sink.lock().unwrap().push(e.clone())),
    )
    .unwrap();
    let start = Instant::now();
    let summary = agent.run(Some(task.prompt)).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let events = events.lock().unwrap().clone();
    let mut calls = Vec::new();
    let mut read = false;
    let mut unreadable = 0;
    for event in &events {
        if let AgentEvent::ToolCall { call } = event {
            let args = call.arguments.as_str();
            if call.parsed.is_err() {
                unreadable += 1;
            }
            if (call.name == "read_file" && args.contains(task.buggy))
                || (call.name == "bash" && args.contains(task.buggy) && args.contains("cat"))
            {
                read = true;
            }
            calls.push(format!(
                "{}({})",
                call.name,
                ouro_agent::text::truncate(args, 70)
            ));
        }
    }
    let original = task
        .files
        .iter()
        .find(|(n, _)| *n == task.buggy)
        .map(|(_, c)| *c)
        .unwrap_or("");
    let edited = std::fs::read_to_string(root.join(task.buggy)).unwrap_or_default() != original;
    let passes = test_passes(root, task);
    println!(
        "RESULT protocol={protocol:?} template={template} task={index} read={read} \
         edited={edited} test_passes={passes} calls={} unreadable={unreadable} \
         outcome={:?} seconds={seconds:.0} tokens={}+{}",
        calls.len(),
        summary.outcome,
        summary.prompt_tokens,
        summary.completion_tokens,
    );
    println!("  calls: {}", calls.join(" | "));
}

#[test]
#[ignore = "a measurement with a real model; minutes per run"]
fn compare_tool_protocols() {
    let Some(model) = model() else {
        return;
    };
    let protocols = std::env::var("OURO_PROTOCOLS").unwrap_or("plain,template,thought".into());
    let wanted: Option<Vec<usize>> = std::env::var("OURO_TASKS")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect());
    for (index, task) in TASKS.iter().enumerate() {
        if wanted.as_ref().is_some_and(|w| !w.contains(&index)) {
            continue;
        }
        for name in protocols.split(',') {
            let protocol = ToolProtocol::parse(name).expect("a protocol name");
            run(&model, protocol, index, task);
        }
    }
}
