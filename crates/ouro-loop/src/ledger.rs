//! The loop's journal: every step as a JSON record in the ouro-core journal, and the state
//! recovery needs (unresolved promotion intents) rebuilt from its checkpoint and replay.
//!
//! Promotion is made idempotent here: a [`LoopEvent::PromoteIntent`] (task, commit,
//! target) is durable before the target ref moves, and it stays *unresolved* until the
//! task is marked done. Before any promotion of a task and on every start, the loop checks
//! whether the target already contains one of the task's unresolved commits; if so the
//! task is done and nothing is promoted again.

use std::collections::BTreeMap;
use std::path::Path;

use ouro_core::journal::{Journal, JournalError, JournalOptions, Lsn};
use serde::{Deserialize, Serialize};

use crate::LoopError;

/// Records between checkpoints.
const CHECKPOINT_EVERY: u32 = 256;
/// Segment size of the loop journal (small, so compaction can drop old steps).
const SEGMENT_SIZE: u64 = 1 << 20;

/// One step of the loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LoopEvent {
    /// A loop process started.
    Started {
        /// Its owner prefix.
        owner: String,
        /// Its process id.
        pid: u32,
    },
    /// Recovery finished and work resumed.
    Recovered {
        /// How long recovery took, microseconds.
        recovery_us: u64,
        /// Tasks handed back to the queue.
        released: Vec<String>,
        /// Tasks found already promoted and marked done.
        resolved: Vec<String>,
    },
    /// A worker claimed a task.
    Claimed {
        /// The task.
        task: String,
        /// Its run.
        run: u32,
        /// The worker.
        owner: String,
    },
    /// A coder attempt ended.
    Attempted {
        /// The task.
        task: String,
        /// Its run.
        run: u32,
        /// The attempt.
        attempt: u32,
        /// `finished`, `gave_up`, `cancelled` or `no_changes`.
        outcome: String,
    },
    /// Tests ran.
    Tested {
        /// The task.
        task: String,
        /// Its run.
        run: u32,
        /// The attempt.
        attempt: u32,
        /// Whether all passed.
        passed: bool,
    },
    /// The judge decided.
    Judged {
        /// The task.
        task: String,
        /// Its run.
        run: u32,
        /// The attempt.
        attempt: u32,
        /// Whether it accepted.
        accepted: bool,
    },
    /// About to move `target` from `old` to `commit`.
    PromoteIntent {
        /// The task.
        task: String,
        /// Its run.
        run: u32,
        /// The commit to promote.
        commit: String,
        /// The target branch.
        target: String,
        /// The target's commit the update expects.
        old: String,
    },
    /// The task's change is on the target and the task is marked done.
    Promoted {
        /// The task.
        task: String,
        /// The commit.
        commit: String,
    },
    /// A run ended.
    Finished {
        /// The task.
        task: String,
        /// Its run.
        run: u32,
        /// Its outcome (a status, or `interrupted`).
        outcome: String,
    },
    /// An interrupted run's task went back to the queue.
    Released {
        /// The task.
        task: String,
        /// Its run.
        run: u32,
    },
}

/// A promotion that was about to happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    /// The run.
    pub run: u32,
    /// The commit.
    pub commit: String,
    /// The target branch.
    pub target: String,
}

/// What the checkpoint holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct LedgerState {
    /// Unresolved intents, by task.
    intents: BTreeMap<String, Vec<Intent>>,
}

impl LedgerState {
    fn apply(&mut self, event: &LoopEvent) {
        match event {
            LoopEvent::PromoteIntent {
                task,
                run,
                commit,
                target,
                ..
            } => self.intents.entry(task.clone()).or_default().push(Intent {
                run: *run,
                commit: commit.clone(),
                target: target.clone(),
            }),
            LoopEvent::Promoted { task, .. } => {
                self.intents.remove(task);
            }
            _ => {}
        }
    }
}

/// The open loop journal and its state.
#[derive(Debug)]
pub struct Ledger {
    journal: Journal,
    state: LedgerState,
    since_checkpoint: u32,
}

impl Ledger {
    /// Opens the journal in `dir` (exclusively: a second loop on the repository fails with
    /// [`LoopError::AlreadyRunning`]), loads its checkpoint and replays what follows.
    pub fn open(dir: &Path, repo: &Path) -> Result<Ledger, LoopError> {
        let options = JournalOptions {
            segment_size: SEGMENT_SIZE,
            ..JournalOptions::default()
        };
        let journal = Journal::open(dir, options).map_err(|e| match e {
            JournalError::Locked { .. } => LoopError::AlreadyRunning {
                repo: repo.to_path_buf(),
            },
            other => LoopError::Journal(other),
        })?;
        let (mut state, from) = match journal.latest_checkpoint()? {
            Some((lsn, bytes)) => {
                let state: LedgerState =
                    serde_json::from_slice(&bytes).map_err(|source| LoopError::Json {
                        context: format!("loop checkpoint at lsn {lsn} in {}", dir.display()),
                        source,
                    })?;
                (state, lsn + 1)
            }
            None => (LedgerState::default(), 1),
        };
        let mut replayed = 0;
        for record in journal.iter_json::<LoopEvent>(from)? {
            let (_, event) = record?;
            state.apply(&event);
            replayed += 1;
        }
        Ok(Ledger {
            journal,
            state,
            since_checkpoint: replayed,
        })
    }

    /// Appends `event` durably and applies it; checkpoints now and then.
    pub fn record(&mut self, event: &LoopEvent) -> Result<Lsn, LoopError> {
        let lsn = self.journal.append_json(event)?;
        self.state.apply(event);
        self.since_checkpoint += 1;
        if self.since_checkpoint >= CHECKPOINT_EVERY {
            self.checkpoint()?;
        }
        Ok(lsn)
    }

    /// Checkpoints the state as of the last record and drops the segments it covers.
    pub fn checkpoint(&mut self) -> Result<(), LoopError> {
        let Some(lsn) = self.journal.last_lsn() else {
            return Ok(());
        };
        let bytes = serde_json::to_vec(&self.state).map_err(|source| LoopError::Json {
            context: "encode the loop checkpoint".into(),
            source,
        })?;
        self.journal.checkpoint(lsn, &bytes)?;
        self.journal.compact()?;
        self.since_checkpoint = 0;
        Ok(())
    }

    /// The task's unresolved promotion intents, oldest first.
    pub fn intents(&self, task: &str) -> &[Intent] {
        self.state.intents.get(task).map_or(&[], Vec::as_slice)
    }

    /// Every task with unresolved intents.
    pub fn tasks_with_intents(&self) -> Vec<String> {
        self.state.intents.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(task: &str, commit: &str) -> LoopEvent {
        LoopEvent::PromoteIntent {
            task: task.into(),
            run: 1,
            commit: commit.into(),
            target: "main".into(),
            old: "0".into(),
        }
    }

    #[test]
    fn intents_survive_reopen_and_checkpoints() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let mut ledger = Ledger::open(dir.path(), dir.path()).expect("open");
            ledger.record(&intent("a", "c1")).expect("record");
            ledger.record(&intent("b", "c2")).expect("record");
            ledger.checkpoint().expect("checkpoint");
            ledger
                .record(&LoopEvent::Promoted {
                    task: "a".into(),
                    commit: "c1".into(),
                })
                .expect("record");
            ledger.record(&intent("b", "c3")).expect("record");
        }
        let ledger = Ledger::open(dir.path(), dir.path()).expect("reopen");
        assert!(ledger.intents("a").is_empty());
        let commits: Vec<&str> = ledger
            .intents("b")
            .iter()
            .map(|i| i.commit.as_str())
            .collect();
        assert_eq!(commits, ["c2", "c3"]);
        assert_eq!(ledger.tasks_with_intents(), ["b"]);
    }

    #[test]
    fn a_second_loop_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let _first = Ledger::open(dir.path(), dir.path()).expect("open");
        assert!(matches!(
            Ledger::open(dir.path(), dir.path()),
            Err(LoopError::AlreadyRunning { .. })
        ));
    }
}
