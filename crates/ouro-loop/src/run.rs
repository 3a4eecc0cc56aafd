//! One run of a claimed task: a shadow worktree on its own branch, coder attempts with
//! the errors of each fed to the next, tests, the judge, promotion, and the run folder
//! (`task.json`, `tests-0.log` (the tests before any change), `coder-N.log`,
//! `feedback-N.txt`, `trials-N.log` (tests the coder ran on its candidates), `protected-N.json` (changes to protected paths, dropped), `patch-N.diff`,
//! `tests-N.log`,
//! `dropped-N.json` (files left out of a passing change, see [`crate::tidy`]), `judge-N.log`,
//! `verdict.json`, `patch.diff`, `outcome.json`).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::checks::{TestPlan, TestReport, run_tests};
use crate::coder::{AttemptContext, AttemptOutcome, Coder, PriorAttempt, TokenUsage, Trial};
use crate::judge::{Judge, ReviewContext, Verdict};
use crate::lease::{Heartbeat, LeaseSpec};
use crate::ledger::LoopEvent;
use crate::shared::{Notice, RunSummary, Shared};
use crate::state::branch_name;
use crate::store::{Finish, RunUpdate, TaskStore};
use crate::task::{Status, Task};
use crate::{LoopError, promote, tidy};

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RunOutcome {
    /// Promoted as this commit.
    Promoted(String),
    /// An earlier run's promotion of this commit had landed already.
    AlreadyDone(String),
    /// Tests kept failing, or the run hit an error.
    Failed(String),
    /// The judge rejected the last attempt.
    Rejected(String),
    /// Stopped: shutdown, cancelled task or lost lease.
    Interrupted,
}

/// A run in progress.
pub(crate) struct TaskRun<'a> {
    pub shared: &'a Shared,
    pub store: &'a TaskStore,
    pub owner: &'a str,
    pub task: &'a Task,
    pub run: u32,
    pub dir: PathBuf,
    pub worktree: PathBuf,
    pub branch: String,
    pub cancel: Arc<AtomicBool>,
    pub attempts: u32,
    pub verdict: Option<Verdict>,
    /// The task's tests, then the repository's test command.
    pub commands: Vec<String>,
    /// Model tokens the coder spent on this run.
    pub tokens: TokenUsage,
}

/// Works on `task`, just claimed by `owner`, to the end of its run.
pub(crate) fn execute(
    shared: &Shared,
    store: &TaskStore,
    coder: &mut dyn Coder,
    judge: &mut dyn Judge,
    owner: &str,
    task: &Task,
) -> Result<(), LoopError> {
    let started = Instant::now();
    let run_no = task.runs;
    shared.record(&LoopEvent::Claimed {
        task: task.id.clone(),
        run: run_no,
        owner: owner.to_string(),
    })?;
    (shared.notify)(&Notice::TaskStarted {
        id: task.id.clone(),
        title: task.title.clone(),
        run: run_no,
    });
    let dir = shared.state.run_dir(&task.id, run_no);
    fs::create_dir_all(&dir).map_err(|e| LoopError::io("create run folder", &dir, e))?;
    store.run_started(&task.id, run_no, owner, &dir.to_string_lossy())?;
    let mut commands = task.tests.clone();
    commands.extend(shared.config.test_command.clone());
    let mut run = TaskRun {
        shared,
        store,
        owner,
        task,
        run: run_no,
        worktree: shared.state.worktree(&task.id, run_no),
        branch: branch_name(&task.id, run_no),
        dir,
        cancel: Arc::new(AtomicBool::new(false)),
        attempts: 0,
        verdict: None,
        commands,
        tokens: TokenUsage::default(),
    };
    let outcome = match shared.promoted_commit(&task.id)? {
        // An earlier run's promotion landed after all (its process died before it knew).
        Some(commit) => {
            store.mark_done(&task.id, &commit)?;
            shared.record(&LoopEvent::Promoted {
                task: task.id.clone(),
                commit: commit.clone(),
            })?;
            RunOutcome::AlreadyDone(commit)
        }
        None => {
            let _beat = Heartbeat::start(
                LeaseSpec {
                    db: store.path().to_path_buf(),
                    task: task.id.clone(),
                    owner: owner.to_string(),
                    lease: shared.config.lease(),
                },
                shared.stop.clone(),
                run.cancel.clone(),
            );
            match run.work(coder, judge) {
                Ok(outcome) => outcome,
                Err(e) if e.is_infrastructure() => return Err(e),
                Err(e) => RunOutcome::Failed(format!("run error: {e}")),
            }
        }
    };
    run.conclude(outcome, started)
}

/// The run's tests lent to the coder for one attempt (see [`Trial`]), logged to
/// `trials-N.log`.
struct RunTrial<'r, 'a> {
    run: &'r TaskRun<'a>,
    log: PathBuf,
}

impl std::fmt::Debug for RunTrial<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunTrial")
            .field("commands", &self.run.commands)
            .field("log", &self.log)
            .finish()
    }
}

impl Trial for RunTrial<'_, '_> {
    fn run(&self) -> Result<TestReport, LoopError> {
        self.run.test(&self.log)
    }

    fn run_within(&self, limit: std::time::Duration) -> Result<TestReport, LoopError> {
        self.run.test_within(&self.log, &self.run.commands, limit)
    }

    fn run_commands(
        &self,
        commands: &[String],
        limit: std::time::Duration,
    ) -> Result<TestReport, LoopError> {
        self.run.test_within(&self.log, commands, limit)
    }
}

impl TaskRun<'_> {
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    fn file(&self, name: String) -> PathBuf {
        self.dir.join(name)
    }

    fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), LoopError> {
        fs::write(path, bytes).map_err(|e| LoopError::io("write", path, e))
    }

    fn event_attempted(&self, attempt: u32, outcome: &str) -> Result<(), LoopError> {
        self.shared.record(&LoopEvent::Attempted {
            task: self.task.id.clone(),
            run: self.run,
            attempt,
            outcome: outcome.into(),
        })
    }

    /// Runs the commands in the worktree, logging to `log`.
    pub fn test(&self, log: &Path) -> Result<TestReport, LoopError> {
        self.test_within(log, &self.commands, self.shared.config.test_timeout())
    }

    /// `commands` run like the tests, each stopped after `limit` at most.
    fn test_within(
        &self,
        log: &Path,
        commands: &[String],
        limit: std::time::Duration,
    ) -> Result<TestReport, LoopError> {
        run_tests(&TestPlan {
            commands,
            dir: &self.worktree,
            log,
            timeout: limit.min(self.shared.config.test_timeout()),
            feedback_bytes: self.shared.config.feedback_bytes,
            cancel: &self.cancel,
            sandbox: &self.shared.sandbox,
        })
    }

    fn work(
        &mut self,
        coder: &mut dyn Coder,
        judge: &mut dyn Judge,
    ) -> Result<RunOutcome, LoopError> {
        let shared = self.shared;
        let base = shared.git.rev_parse(&shared.target)?;
        self.write(
            &self.file("task.json".into()),
            &crate::coder::task_json(self.task)?,
        )?;
        // A folder or branch of that name can only be debris of a crash: start clean.
        if self.worktree.exists() {
            shared.git.worktree_remove(&self.worktree)?;
        }
        shared.git.delete_branch(&self.branch)?;
        shared
            .git
            .worktree_add(&self.worktree, &self.branch, &base)?;
        let max = shared.config.max_attempts;
        // The files the tests run are the specification: a change may not edit them.
        let test_files = ouro_core::paths::test_scripts_in(&self.commands, &self.worktree);
        let baseline = self.baseline()?;
        if self.cancelled() {
            return Ok(RunOutcome::Interrupted);
        }
        let mut feedback: Option<String> = None;
        let mut history: Vec<PriorAttempt> = Vec::new();
        let mut last = RunOutcome::Failed("no attempt was made".into());
        for attempt in 1..=max {
            if self.cancelled() {
                return Ok(RunOutcome::Interrupted);
            }
            if attempt > 1 && coder.starts_from_base() {
                shared.git.reset_worktree(&self.worktree, &base)?;
            }
            self.store.count_attempt(&self.task.id)?;
            self.attempts = attempt;
            let feedback_file = self.file(format!("feedback-{attempt}.txt"));
            if let Some(text) = &feedback {
                self.write(&feedback_file, text.as_bytes())?;
            }
            let outcome = coder.attempt(&AttemptContext {
                task: self.task,
                worktree: &self.worktree,
                attempt,
                max_attempts: max,
                feedback: feedback.as_deref(),
                feedback_file: feedback.as_ref().map(|_| feedback_file.as_path()),
                baseline_failure: baseline.as_deref(),
                history: &history,
                test_files: &test_files,
                transcript: &self.file(format!("coder-{attempt}.log")),
                cancel: &self.cancel,
                trial: &RunTrial {
                    run: self,
                    log: self.file(format!("trials-{attempt}.log")),
                },
            })?;
            self.tokens += coder.take_usage();
            // Why the coder stopped short, if it did: its work so far is still tested, so
            // the next attempt sees what the tests say (and work that passes goes on).
            let gave_up = match outcome {
                AttemptOutcome::Cancelled => {
                    self.event_attempted(attempt, "cancelled")?;
                    return Ok(RunOutcome::Interrupted);
                }
                AttemptOutcome::GaveUp { reason } => {
                    self.event_attempted(attempt, "gave_up")?;
                    Some(reason)
                }
                AttemptOutcome::Finished { .. } => None,
            };
            let preface = gave_up
                .as_ref()
                .map(|reason| format!("Attempt {attempt} did not finish: {reason}\n\n"))
                .unwrap_or_default();
            let mut diff = shared.git.stage_and_diff(&self.worktree, &base)?;
            let protected = tidy::drop_protected(&shared.git, &self.worktree, &base, &test_files)?;
            if !protected.is_empty() {
                self.write_dropped(&format!("protected-{attempt}.json"), &protected)?;
                diff = shared.git.staged_diff(&self.worktree, &base)?;
            }
            if diff.trim().is_empty() {
                if gave_up.is_none() {
                    self.event_attempted(attempt, "no_changes")?;
                }
                let text = match &baseline {
                    Some(failure) => format!(
                        "{preface}Attempt {attempt} changed no file, and the tests still fail:\n{failure}"
                    ),
                    None => format!(
                        "{preface}Attempt {attempt} changed no file: the task is not implemented yet."
                    ),
                };
                last = RunOutcome::Failed(match &gave_up {
                    Some(reason) => reason.clone(),
                    None => "the coder made no changes".into(),
                });
                history.push(PriorAttempt {
                    diff,
                    feedback: text.clone(),
                });
                feedback = Some(text);
                continue;
            }
            if gave_up.is_none() {
                self.event_attempted(attempt, "finished")?;
            }
            let diff_file = self.file(format!("patch-{attempt}.diff"));
            self.write(&diff_file, diff.as_bytes())?;
            let report = self.test(&self.file(format!("tests-{attempt}.log")))?;
            shared.record(&LoopEvent::Tested {
                task: self.task.id.clone(),
                run: self.run,
                attempt,
                passed: report.passed(),
            })?;
            if self.cancelled() {
                return Ok(RunOutcome::Interrupted);
            }
            if let Some(text) = report.feedback {
                let text = format!("{preface}{text}");
                last = RunOutcome::Failed(first_line(&text));
                history.push(PriorAttempt {
                    diff,
                    feedback: text.clone(),
                });
                feedback = Some(text);
                continue;
            }
            let diff = self.tidy(attempt, &base, diff)?;
            if diff.trim().is_empty() {
                let text = format!(
                    "Attempt {attempt} changed only build or cache output: the task is not implemented yet."
                );
                last = RunOutcome::Failed("the coder changed only build output".into());
                history.push(PriorAttempt {
                    diff,
                    feedback: text.clone(),
                });
                feedback = Some(text);
                continue;
            }
            let verdict = judge.review(&ReviewContext {
                task: self.task,
                worktree: &self.worktree,
                diff: &diff,
                diff_file: &diff_file,
                tests: &report,
                transcript: &self.file(format!("judge-{attempt}.log")),
                cancel: &self.cancel,
                sandbox: &shared.sandbox,
            })?;
            self.write_verdict(attempt, &verdict, &report)?;
            shared.record(&LoopEvent::Judged {
                task: self.task.id.clone(),
                run: self.run,
                attempt,
                accepted: verdict.accepted,
            })?;
            if self.cancelled() {
                return Ok(RunOutcome::Interrupted);
            }
            let accepted = verdict.accepted;
            let reasons = verdict.reasons.clone();
            self.verdict = Some(verdict);
            if !accepted {
                let text = format!("The judge rejected attempt {attempt}:\n{reasons}");
                history.push(PriorAttempt {
                    diff,
                    feedback: text.clone(),
                });
                feedback = Some(text);
                last = RunOutcome::Rejected(reasons);
                continue;
            }
            self.write(&self.file("patch.diff".into()), diff.as_bytes())?;
            let message = format!(
                "ouro task {}: {}\n\nRun {}, attempt {attempt}; judge: {}",
                self.task.id,
                self.task.title,
                self.run,
                first_line(&reasons)
            );
            let commit = shared.git.commit(&self.worktree, &message)?;
            return promote::promote(self, commit, base);
        }
        Ok(last)
    }

    /// Drops the files of a passing attempt that the task does not need ([`tidy`]); the
    /// diff of what is left, with `dropped-N.json` saying what went and why.
    fn tidy(&self, attempt: u32, base: &str, diff: String) -> Result<String, LoopError> {
        let mut test = |n: usize| self.test(&self.file(format!("tidy-{attempt}-{n}.log")));
        let tests: Option<&mut dyn FnMut(usize) -> Result<TestReport, LoopError>> =
            if self.commands.is_empty() {
                None
            } else {
                Some(&mut test)
            };
        let dropped = tidy::tidy(&self.shared.git, &self.worktree, base, tests)?;
        if dropped.is_empty() {
            return Ok(diff);
        }
        self.write_dropped(&format!("dropped-{attempt}.json"), &dropped)?;
        let diff = self.shared.git.staged_diff(&self.worktree, base)?;
        self.write(&self.file(format!("patch-{attempt}.diff")), diff.as_bytes())?;
        Ok(diff)
    }

    /// Writes the files left out of a change, and why, to `name` in the run folder.
    fn write_dropped(&self, name: &str, dropped: &[tidy::Dropped]) -> Result<(), LoopError> {
        let json = serde_json::to_vec_pretty(dropped).map_err(|source| LoopError::Json {
            context: "encode the dropped files".into(),
            source,
        })?;
        self.write(&self.file(name.to_string()), &json)
    }

    /// Runs the tests on the untouched worktree (`tests-0.log`): their failing output,
    /// which the first attempt is shown, or `None` when they pass or there are none.
    fn baseline(&self) -> Result<Option<String>, LoopError> {
        if self.commands.is_empty() || !self.shared.config.baseline_tests {
            return Ok(None);
        }
        let report = self.test(&self.file("tests-0.log".into()))?;
        Ok(report.feedback)
    }

    fn write_verdict(
        &self,
        attempt: u32,
        verdict: &Verdict,
        tests: &TestReport,
    ) -> Result<(), LoopError> {
        let json = serde_json::json!({
            "task": self.task.id,
            "run": self.run,
            "attempt": attempt,
            "accepted": verdict.accepted,
            "reasons": verdict.reasons,
            "tests": tests.results,
        });
        let text = serde_json::to_vec_pretty(&json).map_err(|source| LoopError::Json {
            context: "encode a verdict".into(),
            source,
        })?;
        self.write(&self.file("verdict.json".into()), &text)
    }

    /// Records the outcome in the store, journal and run folder; discards the worktree
    /// (and the branch unless it is kept).
    fn conclude(&self, outcome: RunOutcome, started: Instant) -> Result<(), LoopError> {
        let shared = self.shared;
        let id = &self.task.id;
        let keep = shared.config.keep_branches
            && matches!(outcome, RunOutcome::Failed(_) | RunOutcome::Rejected(_));
        if keep && self.worktree.exists() {
            self.keep_work(&outcome);
        }
        let (label, detail) = match &outcome {
            RunOutcome::Promoted(commit) | RunOutcome::AlreadyDone(commit) => {
                ("done".to_string(), commit.clone())
            }
            RunOutcome::Failed(error) => {
                self.finish(Status::Failed, Some(error.clone()))?;
                ("failed".into(), error.clone())
            }
            RunOutcome::Rejected(reasons) => {
                self.finish(Status::Rejected, Some(reasons.clone()))?;
                ("rejected".into(), reasons.clone())
            }
            RunOutcome::Interrupted if shared.stopping() => {
                self.finish(Status::Pending, None)?;
                (
                    "interrupted".into(),
                    "the loop stopped; the task is pending again".into(),
                )
            }
            RunOutcome::Interrupted => {
                let status = self.store.get(id).map(|t| t.status).ok();
                if status == Some(Status::Cancelled) {
                    ("cancelled".into(), "cancelled while running".into())
                } else {
                    ("interrupted".into(), "the worker lost its lease".into())
                }
            }
        };
        if let Err(e) = shared.git.worktree_remove(&self.worktree) {
            tracing::warn!("task {id}: {e}");
        }
        if !keep && let Err(e) = shared.git.delete_branch(&self.branch) {
            tracing::warn!("task {id}: {e}");
        }
        let verdict = match &self.verdict {
            Some(v) => Some(serde_json::to_string(v).map_err(|source| LoopError::Json {
                context: "encode a verdict".into(),
                source,
            })?),
            None => None,
        };
        self.store.run_finished(
            id,
            self.run,
            &RunUpdate {
                outcome: label.clone(),
                attempts: self.attempts,
                verdict,
            },
        )?;
        shared.record(&LoopEvent::Finished {
            task: id.clone(),
            run: self.run,
            outcome: label.clone(),
        })?;
        let summary = RunSummary {
            id: id.clone(),
            title: self.task.title.clone(),
            run: self.run,
            outcome: label,
            detail,
            attempts: self.attempts,
            duration_ms: started.elapsed().as_millis() as u64,
            tokens: self.tokens,
            run_dir: self.dir.clone(),
        };
        let text = serde_json::to_vec_pretty(&summary).map_err(|source| LoopError::Json {
            context: "encode a run summary".into(),
            source,
        })?;
        self.write(&self.file("outcome.json".into()), &text)?;
        shared.processed.fetch_add(1, Ordering::Relaxed);
        (shared.notify)(&Notice::TaskFinished(summary));
        Ok(())
    }

    fn finish(&self, status: Status, error: Option<String>) -> Result<(), LoopError> {
        let finish = Finish {
            status,
            error,
            commit: None,
        };
        if !self.store.finish(&self.task.id, self.owner, &finish)? {
            tracing::warn!(
                "task {}: its lease was lost before it could be marked {status}",
                self.task.id
            );
        }
        Ok(())
    }

    /// Commits whatever the worktree holds to the run's branch, which is kept.
    fn keep_work(&self, outcome: &RunOutcome) {
        let git = &self.shared.git;
        let label = if matches!(outcome, RunOutcome::Rejected(_)) {
            "rejected"
        } else {
            "failed"
        };
        let kept = git.stage_and_diff(&self.worktree, "HEAD").and_then(|diff| {
            if diff.trim().is_empty() {
                return Ok(());
            }
            let message = format!(
                "ouro task {} ({label}, kept): {}",
                self.task.id, self.task.title
            );
            git.commit(&self.worktree, &message).map(drop)
        });
        if let Err(e) = kept {
            tracing::warn!("task {}: cannot keep its work: {e}", self.task.id);
        }
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}
