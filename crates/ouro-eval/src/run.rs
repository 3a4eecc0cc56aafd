//! Running a suite: each task in a fresh repository through `ouro loop` (in process, with
//! the personas given, so a model loaded once serves every task), then its hidden test on
//! a fresh clone of the target branch with `hidden/` copied over it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ouro_loop::confine::WorkSandbox;
use ouro_loop::exec::{ShellCommand, read_trimmed, run_shell};

use ouro_loop::{LoopConfig, LoopOptions, Mode, NewTask, Notice, Personas, RunSummary, run_loop};

use crate::prepare::{build_repo, copy_tree};
use crate::process::git;
use crate::report::{EvalReport, TaskResult, Totals};
use crate::{EvalError, Suite, SuiteTask};

/// How to run a suite.
#[derive(Clone)]
pub struct EvalOptions {
    /// The loop's settings (each task's timeout replaces `test_timeout_s`).
    pub config: LoopConfig,
    /// The coder and judge.
    pub personas: Personas,
    /// What codes, in words, for the report.
    pub coder: String,
    /// Where fetched project sources are cached.
    pub cache: PathBuf,
    /// Keep each task's repository and run folder here (`<dir>/<task id>`); a temp folder
    /// removed after the task when `None`.
    pub keep: Option<PathBuf>,
    /// Set to stop (Ctrl-C): the running task ends and no other starts.
    pub stop: Arc<AtomicBool>,
}

/// Runs every task of `suite`; `on_task` sees each result as it comes.
pub fn run_suite(
    suite: &Suite,
    options: &EvalOptions,
    on_task: &mut dyn FnMut(&TaskResult),
) -> Result<EvalReport, EvalError> {
    let mut tasks = Vec::new();
    for task in &suite.tasks {
        if options.stop.load(Ordering::Relaxed) {
            break;
        }
        let result = run_task(task, options)?;
        on_task(&result);
        tasks.push(result);
    }
    let totals = Totals::of(&tasks);
    Ok(EvalReport {
        suite: suite.dir.display().to_string(),
        coder: options.coder.clone(),
        tasks,
        totals,
    })
}

/// Runs one task; errors of the task itself (its repository cannot be built) are
/// reported as not fixed with the reason, so one bad task does not stop a suite.
fn run_task(task: &SuiteTask, options: &EvalOptions) -> Result<TaskResult, EvalError> {
    let temp;
    let work = match &options.keep {
        Some(dir) => {
            let work = dir.join(&task.id);
            if work.exists() {
                std::fs::remove_dir_all(&work).map_err(|e| EvalError::io("clear", &work, e))?;
            }
            work
        }
        None => {
            temp = tempfile::Builder::new()
                .prefix(&format!("ouro-eval-{}.", task.id))
                .tempdir()
                .map_err(|e| EvalError::io("create temp dir", &std::env::temp_dir(), e))?;
            temp.path().to_path_buf()
        }
    };
    let repo = work.join("repo");
    let mut result = TaskResult {
        id: task.id.clone(),
        language: task.spec.language.clone(),
        tier: task.spec.tier.clone(),
        fixed: false,
        outcome: "error".into(),
        hidden_passed: false,
        attempts: 0,
        seconds: 0.0,
        prompt_tokens: 0,
        generated_tokens: 0,
        files: Vec::new(),
        extra_files: Vec::new(),
        detail: String::new(),
        run_dir: String::new(),
    };
    let first = match build_repo(task, &repo, &options.cache) {
        Ok(first) => first,
        Err(e @ EvalError::Prepare { .. }) => {
            result.detail = e.to_string();
            return Ok(result);
        }
        Err(e) => return Err(e),
    };
    let summary = loop_once(task, &repo, options)?;
    let Some(summary) = summary else {
        result.outcome = "interrupted".into();
        result.detail = "the evaluation was stopped".into();
        return Ok(result);
    };
    result.outcome = summary.outcome.clone();
    result.attempts = summary.attempts;
    result.seconds = summary.duration_ms as f64 / 1000.0;
    result.prompt_tokens = summary.tokens.prompt;
    result.generated_tokens = summary.tokens.generated;
    result.run_dir = summary.run_dir.display().to_string();
    let prepare = |reason: String| EvalError::Prepare {
        task: task.id.clone(),
        reason,
    };
    let changed = git(&repo, &["diff", "--name-only", &first, "main"]).map_err(prepare)?;
    result.files = changed.lines().map(str::to_string).collect();
    result.extra_files = result
        .files
        .iter()
        .filter(|f| !task.spec.fix_files.contains(f))
        .cloned()
        .collect();
    if summary.outcome != "done" {
        result.detail = summary.detail;
        return Ok(result);
    }
    let sandbox = WorkSandbox::probe(options.config.sandbox);
    let hidden = hidden_test(task, &repo, &work.join("hidden-tree"), &sandbox)?;
    result.hidden_passed = hidden.passed;
    result.fixed = hidden.passed;
    if !hidden.passed {
        result.detail = format!(
            "promoted, but the hidden test failed ({}): {}",
            hidden.exit,
            hidden.output.trim()
        );
    }
    Ok(result)
}

/// Queues the task in `repo` and runs the loop until it has run once.
fn loop_once(
    task: &SuiteTask,
    repo: &Path,
    options: &EvalOptions,
) -> Result<Option<RunSummary>, EvalError> {
    let failed = |source| EvalError::Loop {
        task: task.id.clone(),
        source: Box::new(source),
    };
    let (_, mut store) = ouro_loop::open_store(repo).map_err(failed)?;
    store
        .add(&NewTask {
            id: Some(task.id.clone()),
            title: task.spec.title.clone(),
            description: task.spec.description.clone(),
            inputs: task.spec.inputs.clone(),
            tests: task.spec.check.iter().cloned().collect(),
            priority: 0,
            status: None,
        })
        .map_err(failed)?;
    drop(store);
    let finished: Arc<Mutex<Option<RunSummary>>> = Arc::default();
    let sink = finished.clone();
    let config = LoopConfig {
        target_branch: Some("main".into()),
        test_timeout_s: task.spec.timeout_s,
        ..options.config.clone()
    };
    run_loop(
        LoopOptions {
            repo: repo.to_path_buf(),
            config,
            mode: Mode::Drain { max_tasks: Some(1) },
            watch: None,
            stop: options.stop.clone(),
            notify: Arc::new(move |notice: &Notice| {
                if let Notice::TaskFinished(summary) = notice {
                    *sink.lock().unwrap_or_else(|e| e.into_inner()) = Some(summary.clone());
                }
            }),
        },
        options.personas.clone(),
    )
    .map_err(failed)?;
    let summary = finished.lock().unwrap_or_else(|e| e.into_inner()).take();
    Ok(summary.filter(|s| s.outcome != "interrupted"))
}

/// The hidden test's result: passed, how it ended, the tail of its output.
struct Hidden {
    passed: bool,
    exit: String,
    output: String,
}

/// Bytes of the hidden test's output kept in the report.
const HIDDEN_OUTPUT_BYTES: usize = 4000;

/// The hidden test on a fresh clone of `main` with `hidden/` copied over it, in the sandbox
/// (it runs the agent's code); its output goes to `hidden.log` beside the clone.
fn hidden_test(
    task: &SuiteTask,
    repo: &Path,
    tree: &Path,
    sandbox: &WorkSandbox,
) -> Result<Hidden, EvalError> {
    git(
        repo,
        &[
            "clone",
            "-q",
            "--branch",
            "main",
            ".",
            &tree.to_string_lossy(),
        ],
    )
    .map_err(|reason| EvalError::Prepare {
        task: task.id.clone(),
        reason,
    })?;
    copy_tree(&task.dir.join("hidden"), tree)?;
    let log = tree.with_file_name("hidden.log");
    let failed = |source| EvalError::Loop {
        task: task.id.clone(),
        source: Box::new(source),
    };
    let result = run_shell(&ShellCommand {
        command: &task.spec.hidden,
        dir: tree,
        env: Vec::new(),
        stdin: None,
        log: &log,
        timeout: Duration::from_secs_f64(task.spec.timeout_s),
        cancel: &AtomicBool::new(false),
        sandbox: Some(sandbox),
    })
    .map_err(failed)?;
    let output = read_trimmed(&log, result.log_start, HIDDEN_OUTPUT_BYTES).map_err(failed)?;
    Ok(Hidden {
        passed: result.exit.success(),
        exit: result.exit.describe(),
        output,
    })
}
