//! A 100-step run of the whole agent on ouro's own engine: agent sessions with the local
//! provider and the default model (SmolLM2-135M) work on small tasks in a temporary
//! repository, one session after another, until at least 100 tool calls were made. Every
//! call the model produced must parse as JSON, name a tool, and validate against that
//! tool's schema; the tally is printed.
//!
//! Kept cheap for CI's 2 cores: short tasks, a few replies per session, short tool outputs,
//! tight string bounds in the grammar, and one loaded model whose prompt cache carries the
//! shared system prompt from one session to the next.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ouro_agent::agent::{Agent, AgentConfig, AgentEvent, Outcome};
use ouro_agent::audit::AuditLog;
use ouro_agent::permissions::{HeadlessApprover, PermissionsConfig, SandboxRequirement};
use ouro_agent::provider::{
    Cancel, ChatRequest, ChatResponse, LocalConfig, LocalProvider, Provider, ProviderError,
    StreamDelta,
};
use ouro_agent::sandbox::Sandbox;
use ouro_agent::session::Session;
use ouro_agent::tools::{Limits, ToolContext, ToolRegistry};
use ouro_agent::{ToolRunner, Workspace};
use ouro_core::journal::FsyncPolicy;
use ouro_llm::constrained::SchemaLimits;

/// Tool calls the run must reach.
const STEPS: u32 = 100;
/// Model replies per session: short sessions, so that many different tasks get their turn.
const REPLIES_PER_SESSION: u32 = 4;
/// Context of the local engine, in tokens.
const CONTEXT: usize = 4096;
/// Tokens per reply: more than the longest call the bounded grammar allows needs in practice.
const MAX_TOKENS: u32 = 192;

const TASKS: [&str; 8] = [
    "List the files in this repository.",
    "Read calc.py and say what it does.",
    "Fix the bug in calc.py: add must return a + b.",
    "Find the line with TODO using grep.",
    "Run the test: python3 test_calc.py",
    "Create hello.txt containing the word hello.",
    "Make a short plan to add a multiply function to calc.py.",
    "In notes.md, replace TODO with DONE.",
];

const FILES: [(&str, &str); 4] = [
    ("calc.py", "def add(a, b):\n    return a - b\n"),
    (
        "test_calc.py",
        "from calc import add\n\nassert add(2, 3) == 5\nprint(\"ok\")\n",
    ),
    ("notes.md", "# Notes\nTODO: add multiply\n"),
    (
        "README.md",
        "A tiny calculator. Test: python3 test_calc.py\n",
    ),
];

/// The model: `$OURO_LOCAL_TEST_MODEL` when set (e.g. Qwen2.5-Coder, whose template has its
/// own tool-call protocol), else the default one, or `None` with a printed reason when it has
/// not been fetched.
fn default_model() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OURO_LOCAL_TEST_MODEL").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    ouro_core::paths::default_model_for_tests(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."),
    )
}

/// One loaded engine shared by the sessions (an [`Agent`] owns its provider).
struct Shared {
    inner: Arc<Mutex<LocalProvider>>,
    model: String,
}

impl Provider for Shared {
    fn name(&self) -> &str {
        "local"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn complete(
        &mut self,
        req: &ChatRequest,
        on_delta: &mut dyn FnMut(&StreamDelta),
    ) -> Result<ChatResponse, ProviderError> {
        let mut provider = self
            .inner
            .lock()
            .map_err(|_| ProviderError::Config("provider lock poisoned".into()))?;
        provider.complete(req, on_delta)
    }
}

/// The repository each session starts from (earlier sessions' edits are undone).
fn reset(root: &Path) {
    for (name, content) in FILES {
        std::fs::write(root.join(name), content).unwrap();
    }
    let _ = std::fs::remove_file(root.join("hello.txt"));
}

/// What the run produced, counted from the agent's events.
#[derive(Default)]
struct Tally {
    calls: u32,
    per_tool: BTreeMap<String, u32>,
    results_ok: u32,
    results_err: u32,
    outcomes: BTreeMap<String, u32>,
    /// Calls that did not parse, named no tool or failed their schema, with why.
    bad: Vec<String>,
    /// Results in which the tool runner refused a call as unreadable or against its schema.
    refused: Vec<String>,
    /// Schema-valid calls that the tool itself refused (bad regex, non-http URL).
    tool_refused: u32,
}

impl Tally {
    fn add(&mut self, events: &[AgentEvent], registry: &ToolRegistry) {
        for event in events {
            match event {
                AgentEvent::ToolCall { call } => {
                    self.calls += 1;
                    *self.per_tool.entry(call.name.clone()).or_default() += 1;
                    let verdict = match (&call.parsed, registry.get(&call.name)) {
                        (Err(e), _) => Err(format!("unparsed: {e}")),
                        (Ok(_), None) => Err("names no tool".to_string()),
                        (Ok(args), Some(tool)) => {
                            ouro_llm::constrained::validate(&tool.schema(), args, "arguments")
                                .map_err(|v| format!("invalid: {v}"))
                        }
                    };
                    if let Err(why) = verdict {
                        self.bad
                            .push(format!("{} {}: {why}", call.name, call.arguments));
                    }
                }
                AgentEvent::ToolResult { ok, content, .. } => {
                    if *ok {
                        self.results_ok += 1;
                    } else {
                        self.results_err += 1;
                        // The runner's own parse and schema checks must agree. A call can
                        // be well-formed and still be refused by the tool itself (a grep
                        // pattern that is not a regex, a URL that is not http): that is a
                        // tool error the model gets back, counted apart.
                        let schema_refusal = content.starts_with("error: could not read")
                            || content.starts_with("error: unknown tool")
                            || (content.starts_with("error: invalid arguments for")
                                && content.contains("`: arguments"));
                        if schema_refusal {
                            self.refused.push(content.clone());
                        } else if content.starts_with("error: invalid arguments for") {
                            self.tool_refused += 1;
                        }
                    }
                }
                AgentEvent::Finish(summary) => {
                    let name = format!("{:?}", summary.outcome);
                    *self.outcomes.entry(name).or_default() += 1;
                }
                _ => {}
            }
        }
    }
}

/// Runs one session on `task` in `root`; returns its events.
fn session(provider: &Shared, root: &Path, task: &str) -> Vec<AgentEvent> {
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
            max_output_bytes: 600,
            default_timeout: Duration::from_secs(10),
            max_timeout: Duration::from_secs(10),
            ..Limits::default()
        },
    };
    let runner = ToolRunner::new(ToolRegistry::standard(), ctx, Box::new(HeadlessApprover));
    let config = AgentConfig {
        max_iterations: REPLIES_PER_SESSION,
        context_tokens: (CONTEXT as u64) / 2,
        temperature: Some(0.7),
        max_tokens: Some(MAX_TOKENS),
        ..AgentConfig::default()
    };
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let provider = Shared {
        inner: provider.inner.clone(),
        model: provider.model.clone(),
    };
    let mut agent = Agent::new(
        Box::new(provider),
        runner,
        session,
        Default::default(),
        config,
        Cancel::new(),
        Box::new(move |e: &AgentEvent| sink.lock().unwrap().push(e.clone())),
    )
    .unwrap();
    let summary = agent.run(Some(task)).unwrap();
    assert_ne!(summary.outcome, Outcome::Failed, "{}", summary.summary);
    events.lock().unwrap().clone()
}

#[test]
fn a_hundred_local_tool_calls_all_parse_and_validate() {
    let Some(model) = default_model() else {
        return;
    };
    let start = Instant::now();
    let config = LocalConfig {
        n_ctx: CONTEXT,
        seed: 7,
        limits: SchemaLimits {
            max_string_chars: 60,
            max_items: 3,
            ..SchemaLimits::default()
        },
        ..LocalConfig::default()
    };
    let local = LocalProvider::load(&model, config).unwrap();
    let template_tools = local.uses_template_tools();
    let provider = Shared {
        model: local.model().to_string(),
        inner: Arc::new(Mutex::new(local)),
    };
    let dir = tempfile::tempdir().unwrap();
    let registry = ToolRegistry::standard();
    let mut tally = Tally::default();
    let mut sessions = 0;
    while tally.calls < STEPS {
        // Every task's session adds at least one call unless the model answers in prose;
        // far more sessions than that means it stopped calling tools.
        assert!(sessions < 4 * STEPS as usize, "too few tool calls");
        reset(dir.path());
        let task = TASKS[sessions % TASKS.len()];
        let events = session(&provider, dir.path(), task);
        tally.add(&events, &registry);
        sessions += 1;
    }
    let elapsed = start.elapsed();
    println!(
        "{}: template tool protocol {template_tools}",
        model.display()
    );
    println!(
        "{} tool calls in {sessions} sessions, {:.1} s: {} parsed and valid, {} bad, {} refused \
         by the runner's schema check, {} refused by the tool itself; results {} ok, {} errors; \
         per tool {:?}; outcomes {:?}",
        tally.calls,
        elapsed.as_secs_f64(),
        tally.calls as usize - tally.bad.len(),
        tally.bad.len(),
        tally.refused.len(),
        tally.tool_refused,
        tally.results_ok,
        tally.results_err,
        tally.per_tool,
        tally.outcomes,
    );
    assert!(tally.bad.is_empty(), "bad calls: {:#?}", tally.bad);
    assert!(tally.refused.is_empty(), "refused: {:#?}", tally.refused);
}
