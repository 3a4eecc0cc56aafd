//! Running a task's tests and the repository's test command in a worktree, with
//! timeouts, and turning failures into trimmed feedback for the coder.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde::Serialize;

use crate::LoopError;
use crate::confine::WorkSandbox;
use crate::exec::{self, ShellCommand};

/// One test command's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestResult {
    /// The command.
    pub command: String,
    /// Whether it exited 0.
    pub passed: bool,
    /// How it ended, in words.
    pub exit: String,
    /// How long it ran.
    pub duration_ms: u64,
}

/// The results of one test run (commands stop at the first failure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestReport {
    /// Each command run, in order.
    pub results: Vec<TestResult>,
    /// The log with their output.
    pub log: PathBuf,
    /// The failing command's trimmed output and exit, for the coder; `None` if all passed.
    pub feedback: Option<String>,
}

impl TestReport {
    /// Whether every command passed.
    pub fn passed(&self) -> bool {
        self.feedback.is_none()
    }
}

/// What to run and how.
#[derive(Debug)]
pub struct TestPlan<'a> {
    /// The commands, in order (the task's tests, then the repository's).
    pub commands: &'a [String],
    /// The worktree.
    pub dir: &'a Path,
    /// The log to append to.
    pub log: &'a Path,
    /// Timeout of each command.
    pub timeout: Duration,
    /// Bytes of failing output kept in the feedback.
    pub feedback_bytes: usize,
    /// Set to stop.
    pub cancel: &'a AtomicBool,
    /// The sandbox the commands run in.
    pub sandbox: &'a WorkSandbox,
}

/// Runs the plan's commands in order until one fails.
pub fn run_tests(plan: &TestPlan<'_>) -> Result<TestReport, LoopError> {
    let mut results = Vec::new();
    let mut feedback = None;
    for command in plan.commands {
        let result = exec::run_shell(&ShellCommand {
            command,
            dir: plan.dir,
            env: Vec::new(),
            stdin: None,
            log: plan.log,
            timeout: plan.timeout,
            cancel: plan.cancel,
            sandbox: Some(plan.sandbox),
        })?;
        let passed = result.exit.success();
        results.push(TestResult {
            command: command.clone(),
            passed,
            exit: result.exit.describe(),
            duration_ms: result.duration.as_millis() as u64,
        });
        if !passed {
            let output = exec::read_trimmed(plan.log, result.log_start, plan.feedback_bytes)?;
            let output = relative_paths(&output, plan.dir);
            feedback = Some(format!(
                "test command `{command}` failed ({}) after {:.1} s. Its output:\n{output}",
                result.exit.describe(),
                result.duration.as_secs_f64()
            ));
            break;
        }
    }
    Ok(TestReport {
        results,
        log: plan.log.to_path_buf(),
        feedback,
    })
}

/// `output` with the worktree's own path taken off the paths in it (`/…/worktrees/task-7/
/// todo.sh: line 5` becomes `todo.sh: line 5`): the coder sees the repository's paths as
/// it knows them, and the same failure reads the same wherever the worktree lies (a
/// prompt that differs only in that path gets a different reply from a model).
fn relative_paths(output: &str, dir: &Path) -> String {
    let mut text = output.to_string();
    let canonical = dir.canonicalize().ok();
    for dir in std::iter::once(dir).chain(canonical.as_deref()) {
        let prefix = format!("{}/", dir.display());
        if prefix.len() > 2 {
            text = text.replace(&prefix, "");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_output_names_files_relative_to_the_worktree() {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = format!(
            "{}/todo.sh: line 5: $1: unbound variable\n  File \"{}/pkg/a.py\", line 2\n/usr/lib/x.py",
            dir.path().display(),
            dir.path().canonicalize().expect("canonical").display()
        );
        assert_eq!(
            relative_paths(&output, dir.path()),
            "todo.sh: line 5: $1: unbound variable\n  File \"pkg/a.py\", line 2\n/usr/lib/x.py"
        );
    }

    #[test]
    fn stops_at_the_first_failure_with_its_output() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("tests.log");
        let commands = [
            "true".to_string(),
            "echo broken thing; exit 2".into(),
            "true".into(),
        ];
        let no = AtomicBool::new(false);
        let report = run_tests(&TestPlan {
            commands: &commands,
            dir: dir.path(),
            log: &log,
            timeout: Duration::from_secs(10),
            feedback_bytes: 1000,
            cancel: &no,
            sandbox: &WorkSandbox::probe(ouro_sandbox::SandboxRequirement::BestEffort),
        })
        .expect("run");
        assert!(!report.passed());
        assert_eq!(report.results.len(), 2);
        let feedback = report.feedback.unwrap_or_default();
        assert!(
            feedback.contains("broken thing") && feedback.contains("exit code 2"),
            "{feedback}"
        );
    }
}
