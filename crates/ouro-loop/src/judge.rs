//! The judge seam: [`Judge`] reviews a diff and its test results; [`AutoJudge`] accepts
//! when the tests pass, [`CommandJudge`] asks a shell command.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::LoopError;
use crate::checks::TestReport;
use crate::coder::{task_env, task_json};
use crate::confine::WorkSandbox;
use crate::exec::{self, Exit, ShellCommand};
use crate::task::Task;

/// What a judge gets.
#[derive(Debug)]
pub struct ReviewContext<'a> {
    /// The task.
    pub task: &'a Task,
    /// The worktree holding the change.
    pub worktree: &'a Path,
    /// The change, as a git diff against the target branch.
    pub diff: &'a str,
    /// The same diff, in a file.
    pub diff_file: &'a Path,
    /// The test results.
    pub tests: &'a TestReport,
    /// Where to write the review's transcript.
    pub transcript: &'a Path,
    /// Set when the review must stop.
    pub cancel: &'a AtomicBool,
    /// The sandbox a judge's commands run in (they run the agent's code).
    pub sandbox: &'a WorkSandbox,
}

/// A judge's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Whether the change may be promoted.
    pub accepted: bool,
    /// Why.
    pub reasons: String,
}

/// Reviews changes.
pub trait Judge: Send {
    /// Accepts or rejects the change in `ctx`, with reasons.
    fn review(&mut self, ctx: &ReviewContext<'_>) -> Result<Verdict, LoopError>;
}

/// Accepts exactly when every test passed.
#[derive(Debug, Clone, Copy, Default)]
pub struct AutoJudge;

impl Judge for AutoJudge {
    fn review(&mut self, ctx: &ReviewContext<'_>) -> Result<Verdict, LoopError> {
        let failed: Vec<&str> = ctx
            .tests
            .results
            .iter()
            .filter(|r| !r.passed)
            .map(|r| r.command.as_str())
            .collect();
        Ok(if failed.is_empty() {
            Verdict {
                accepted: true,
                reasons: format!("all {} test commands passed", ctx.tests.results.len()),
            }
        } else {
            Verdict {
                accepted: false,
                reasons: format!("failing tests: {}", failed.join(", ")),
            }
        })
    }
}

/// A judge that runs `sh -c COMMAND` in the worktree: exit 0 accepts, anything else
/// rejects; its output is the reasons.
///
/// It gets the diff on stdin and in `OURO_DIFF_FILE`, the test log in `OURO_TEST_LOG`,
/// `OURO_TESTS_PASSED` (`1` or `0`) and the task in `OURO_TASK_*` variables (the task's
/// JSON is in `OURO_TASK_JSON`).
#[derive(Debug, Clone)]
pub struct CommandJudge {
    command: String,
    timeout: Duration,
}

/// Bytes of the judge's output kept as its reasons.
const REASON_BYTES: usize = 4000;

impl CommandJudge {
    /// A judge running `command`, killed after `timeout`.
    pub fn new(command: impl Into<String>, timeout: Duration) -> CommandJudge {
        CommandJudge {
            command: command.into(),
            timeout,
        }
    }
}

impl Judge for CommandJudge {
    fn review(&mut self, ctx: &ReviewContext<'_>) -> Result<Verdict, LoopError> {
        let mut env = task_env(ctx.task, ctx.worktree);
        let json = String::from_utf8_lossy(&task_json(ctx.task)?).into_owned();
        env.push(("OURO_TASK_JSON".into(), json));
        env.push((
            "OURO_DIFF_FILE".into(),
            ctx.diff_file.to_string_lossy().into_owned(),
        ));
        env.push((
            "OURO_TEST_LOG".into(),
            ctx.tests.log.to_string_lossy().into_owned(),
        ));
        env.push((
            "OURO_TESTS_PASSED".into(),
            if ctx.tests.passed() { "1" } else { "0" }.into(),
        ));
        let result = exec::run_shell(&ShellCommand {
            command: &self.command,
            dir: ctx.worktree,
            env,
            stdin: Some(ctx.diff.as_bytes().to_vec()),
            log: ctx.transcript,
            timeout: self.timeout,
            cancel: ctx.cancel,
            sandbox: Some(ctx.sandbox),
        })?;
        let reasons = exec::read_trimmed(ctx.transcript, result.log_start, REASON_BYTES)?
            .trim()
            .to_string();
        Ok(match result.exit {
            Exit::Code(0) => Verdict {
                accepted: true,
                reasons,
            },
            Exit::TimedOut => Verdict {
                accepted: false,
                reasons: format!(
                    "the judge command timed out after {:.0} s",
                    self.timeout.as_secs_f64()
                ),
            },
            exit => Verdict {
                accepted: false,
                reasons: if reasons.is_empty() {
                    format!("the judge command ended with {}", exit.describe())
                } else {
                    reasons
                },
            },
        })
    }
}
