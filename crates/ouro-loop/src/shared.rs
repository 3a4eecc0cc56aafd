//! What every worker of one loop process shares: settings, git, the journal, the
//! promotion lock, the stop flag, the task budget and the progress reporter.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;

use crate::LoopError;
use crate::config::LoopConfig;
use crate::confine::WorkSandbox;
use crate::git::Git;
use crate::ledger::{Ledger, LoopEvent};
use crate::personas::Personas;
use crate::recovery::RecoveryReport;
use crate::state::StateDir;
use crate::tasks_file::{ImportReport, TaskFileWatcher};

/// Progress the loop reports as it goes (the CLI prints it).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// Recovery finished; work resumes.
    Recovered(RecoveryReport),
    /// New tasks came in from the watched file.
    Imported(ImportReport),
    /// A run started.
    TaskStarted {
        /// The task.
        id: String,
        /// Its title.
        title: String,
        /// The run.
        run: u32,
    },
    /// A run ended.
    TaskFinished(RunSummary),
}

/// How a run ended, as reported and written to its folder (`outcome.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    /// The task.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The run.
    pub run: u32,
    /// `done`, `failed`, `rejected`, `cancelled` or `interrupted`.
    pub outcome: String,
    /// The promoted commit, or the error or the judge's reasons.
    pub detail: String,
    /// Coder attempts made.
    pub attempts: u32,
    /// How long the run took.
    pub duration_ms: u64,
    /// Model tokens the coder spent (zero for coders that do not report them).
    pub tokens: crate::coder::TokenUsage,
    /// The run folder.
    pub run_dir: PathBuf,
}

impl Notice {
    /// One line saying what happened, for a terminal.
    pub fn describe(&self) -> String {
        match self {
            Notice::Recovered(r) => format!(
                "recovered in {:.1} ms: {} task(s) back to the queue, {} found promoted, {} worktree(s) cleaned",
                r.recovery_us as f64 / 1000.0,
                r.released.len(),
                r.resolved.len(),
                r.cleaned_worktrees
            ),
            Notice::Imported(r) => format!("imported task(s) {}", r.added.join(", ")),
            Notice::TaskStarted { id, title, run } => {
                format!("task {id} (run {run}): {title}")
            }
            Notice::TaskFinished(s) => {
                let detail = s.detail.lines().next().unwrap_or_default();
                format!(
                    "task {} (run {}): {} after {} attempt(s) in {:.1} s: {detail}\n  run folder: {}",
                    s.id,
                    s.run,
                    s.outcome,
                    s.attempts,
                    s.duration_ms as f64 / 1000.0,
                    s.run_dir.display()
                )
            }
        }
    }
}

/// Receives [`Notice`]s, from any worker thread.
pub type Reporter = Arc<dyn Fn(&Notice) + Send + Sync>;

/// State shared by the workers of one loop process.
pub(crate) struct Shared {
    pub state: StateDir,
    pub config: LoopConfig,
    pub target: String,
    pub git: Git,
    pub ledger: Mutex<Ledger>,
    pub promotion: Mutex<()>,
    pub stop: Arc<AtomicBool>,
    pub personas: Personas,
    /// This process's owner prefix; workers are `<owner>/w<index>`.
    pub owner: String,
    pub notify: Reporter,
    /// Claims left (`None`: unlimited).
    pub budget: Option<AtomicUsize>,
    pub forever: bool,
    pub interval: Duration,
    pub watcher: Mutex<Option<TaskFileWatcher>>,
    pub processed: AtomicUsize,
    /// The sandbox of the commands that run the agent's work.
    pub sandbox: WorkSandbox,
}

impl Shared {
    /// The lease owner name of worker `index`.
    pub fn worker_owner(&self, index: usize) -> String {
        format!("{}/w{index}", self.owner)
    }

    /// Appends `event` to the journal.
    pub fn record(&self, event: &LoopEvent) -> Result<(), LoopError> {
        self.ledger()?.record(event).map(drop)
    }

    pub fn ledger(&self) -> Result<MutexGuard<'_, Ledger>, LoopError> {
        self.ledger
            .lock()
            .map_err(|_| LoopError::Poisoned("loop journal"))
    }

    pub fn lock_promotion(&self) -> Result<MutexGuard<'_, ()>, LoopError> {
        self.promotion
            .lock()
            .map_err(|_| LoopError::Poisoned("promotion lock"))
    }

    /// Takes one claim from the budget; `false` when it is spent.
    pub fn take_budget(&self) -> bool {
        self.budget.as_ref().is_none_or(|left| {
            left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        })
    }

    /// Gives back a claim that found no task.
    pub fn refund_budget(&self) {
        if let Some(left) = &self.budget {
            left.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Whether the loop is stopping.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// The commit of an earlier promotion intent of `task` that the target branch already
    /// contains, if any: then the task is done and must not be promoted again.
    pub fn promoted_commit(&self, task: &str) -> Result<Option<String>, LoopError> {
        let intents = self.ledger()?.intents(task).to_vec();
        if intents.is_empty() {
            return Ok(None);
        }
        let tip = self.git.rev_parse(&self.target)?;
        for intent in intents.iter().filter(|i| i.target == self.target) {
            // A commit git no longer knows cannot be on the target.
            if self.git.is_ancestor(&intent.commit, &tip).unwrap_or(false) {
                return Ok(Some(intent.commit.clone()));
            }
        }
        Ok(None)
    }
}
