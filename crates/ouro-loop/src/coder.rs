//! The coder seam: [`Coder`] implements a task in a worktree; [`CommandCoder`] runs a
//! configured shell command for it (any external agent plugs in that way).

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::LoopError;
use crate::exec::{self, Exit, ShellCommand};
use crate::task::Task;

/// What a coder gets for one attempt.
#[derive(Debug)]
pub struct AttemptContext<'a> {
    /// The task.
    pub task: &'a Task,
    /// The shadow worktree it works in (its tools must stay inside).
    pub worktree: &'a Path,
    /// This attempt's number, from 1.
    pub attempt: u32,
    /// The last attempt's number.
    pub max_attempts: u32,
    /// The previous attempt's errors (failing tests, the judge's reasons), trimmed.
    pub feedback: Option<&'a str>,
    /// The tests' failing output on the untouched worktree, before any attempt (`None`
    /// when they passed or there are none).
    pub baseline_failure: Option<&'a str>,
    /// This run's earlier attempts, oldest first.
    pub history: &'a [PriorAttempt],
    /// The scripts the tests run ([`ouro_core::paths::test_scripts_in`]): edits of them are
    /// dropped from every change, so a coder should only read them.
    pub test_files: &'a [String],
    /// The same errors, in a file.
    pub feedback_file: Option<&'a Path>,
    /// Where to write the transcript of this attempt.
    pub transcript: &'a Path,
    /// Set when the attempt must stop (shutdown, cancelled task, lost lease).
    pub cancel: &'a AtomicBool,
    /// Runs the task's tests on the worktree as it stands: a coder may screen candidate
    /// changes before it finishes.
    pub trial: &'a dyn Trial,
}

/// The task's tests, lent to a coder: the same commands, sandbox and timeout as the loop's
/// own test run after the attempt, which still decides (a trial only informs the coder).
pub trait Trial: std::fmt::Debug {
    /// Runs the tests once on the worktree as it stands now.
    fn run(&self) -> Result<crate::TestReport, LoopError>;

    /// Like [`Trial::run`], each command stopped after `limit` (or the loop's own timeout,
    /// if shorter): a candidate that loops forever fails fast instead of costing the whole
    /// test timeout.
    fn run_within(&self, limit: std::time::Duration) -> Result<crate::TestReport, LoopError>;

    /// Runs other `commands` (the coder's own checks, never the model's text) in the same
    /// worktree, sandbox and log, each stopped after `limit` at most.
    fn run_commands(
        &self,
        commands: &[String],
        limit: std::time::Duration,
    ) -> Result<crate::TestReport, LoopError>;
}

/// An earlier attempt of the same run: what it changed and why that was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorAttempt {
    /// Its diff against the base (empty when it changed nothing).
    pub diff: String,
    /// Its feedback: the failing tests, why the coder gave up, or the judge's reasons.
    pub feedback: String,
}

/// Model tokens a coder spent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct TokenUsage {
    /// Prompt tokens evaluated.
    pub prompt: u64,
    /// Tokens generated.
    pub generated: u64,
}

impl std::ops::AddAssign for TokenUsage {
    fn add_assign(&mut self, other: TokenUsage) {
        self.prompt += other.prompt;
        self.generated += other.generated;
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The coder says it is done; the tests decide.
    Finished {
        /// What it says it did.
        summary: String,
    },
    /// The coder could not do it (its reason is fed back to the next attempt).
    GaveUp {
        /// Why.
        reason: String,
    },
    /// It stopped because the cancel flag was set.
    Cancelled,
}

/// Implements tasks.
pub trait Coder: Send {
    /// Makes one attempt at `ctx.task` in `ctx.worktree`.
    fn attempt(&mut self, ctx: &AttemptContext<'_>) -> Result<AttemptOutcome, LoopError>;

    /// Whether each attempt starts from the untouched base (the earlier attempts are then
    /// known only through `ctx.history`) instead of from what the previous one left.
    fn starts_from_base(&self) -> bool {
        false
    }

    /// Model tokens spent since the last call (coders that do not know report none).
    fn take_usage(&mut self) -> TokenUsage {
        TokenUsage::default()
    }
}

/// The environment every persona command gets: the task's fields and the worktree.
pub fn task_env(task: &Task, worktree: &Path) -> Vec<(String, String)> {
    vec![
        ("OURO_TASK_ID".into(), task.id.clone()),
        ("OURO_TASK_TITLE".into(), task.title.clone()),
        ("OURO_TASK_DESCRIPTION".into(), task.description.clone()),
        ("OURO_TASK_INPUTS".into(), task.inputs.join("\n")),
        ("OURO_TASK_TESTS".into(), task.tests.join("\n")),
        (
            "OURO_WORKTREE".into(),
            worktree.to_string_lossy().into_owned(),
        ),
    ]
}

/// The task as JSON, given to persona commands on standard input.
pub fn task_json(task: &Task) -> Result<Vec<u8>, LoopError> {
    serde_json::to_vec_pretty(task).map_err(|source| LoopError::Json {
        context: format!("encode task {}", task.id),
        source,
    })
}

/// A coder that runs `sh -c COMMAND` in the worktree.
///
/// It gets the task as JSON on stdin and in `OURO_TASK_*` variables, plus `OURO_ATTEMPT`,
/// `OURO_MAX_ATTEMPTS`, `OURO_BASELINE_FAILURE` (the tests' failing output before any change,
/// when they fail) and, from the second attempt on, `OURO_FEEDBACK` (the previous
/// attempt's trimmed errors) and `OURO_FEEDBACK_FILE` (the same in a file). Its output is
/// the transcript. Exit 0 means finished; anything else gives up with its output's tail.
#[derive(Debug, Clone)]
pub struct CommandCoder {
    command: String,
    timeout: Duration,
}

/// Bytes of a failed coder command's output kept in its reason.
const REASON_BYTES: usize = 2000;

impl CommandCoder {
    /// A coder running `command`, killed after `timeout`.
    pub fn new(command: impl Into<String>, timeout: Duration) -> CommandCoder {
        CommandCoder {
            command: command.into(),
            timeout,
        }
    }
}

impl Coder for CommandCoder {
    fn attempt(&mut self, ctx: &AttemptContext<'_>) -> Result<AttemptOutcome, LoopError> {
        let mut env = task_env(ctx.task, ctx.worktree);
        env.push(("OURO_ATTEMPT".into(), ctx.attempt.to_string()));
        env.push(("OURO_MAX_ATTEMPTS".into(), ctx.max_attempts.to_string()));
        if let Some(failure) = ctx.baseline_failure {
            env.push(("OURO_BASELINE_FAILURE".into(), failure.to_string()));
        }
        if let (Some(text), Some(file)) = (ctx.feedback, ctx.feedback_file) {
            env.push(("OURO_FEEDBACK".into(), text.to_string()));
            env.push((
                "OURO_FEEDBACK_FILE".into(),
                file.to_string_lossy().into_owned(),
            ));
        }
        let result = exec::run_shell(&ShellCommand {
            command: &self.command,
            dir: ctx.worktree,
            env,
            stdin: Some(task_json(ctx.task)?),
            log: ctx.transcript,
            timeout: self.timeout,
            cancel: ctx.cancel,
            // The coder command is the user's choice (ouro's agent confines its own).
            sandbox: None,
        })?;
        let output = exec::read_trimmed(ctx.transcript, result.log_start, REASON_BYTES)?;
        Ok(match result.exit {
            Exit::Cancelled => AttemptOutcome::Cancelled,
            Exit::Code(0) => AttemptOutcome::Finished {
                summary: output.lines().last().unwrap_or_default().to_string(),
            },
            Exit::TimedOut => AttemptOutcome::GaveUp {
                reason: format!(
                    "the coder command timed out after {:.0} s",
                    self.timeout.as_secs_f64()
                ),
            },
            exit => AttemptOutcome::GaveUp {
                reason: format!(
                    "the coder command ended with {}:\n{output}",
                    exit.describe()
                ),
            },
        })
    }
}
