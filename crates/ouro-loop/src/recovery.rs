//! Recovery on start: promotions that landed are marked done, tasks of dead workers go
//! back to the queue, their worktrees and branches are removed, and the time it took is
//! measured and stored.

use std::fs;
use std::time::Instant;

use serde::Serialize;

use crate::LoopError;
use crate::ledger::LoopEvent;
use crate::shared::Shared;
use crate::state::{branch_name, branch_of_worktree};
use crate::store::{RunUpdate, TaskStore};

/// Metadata key of the last recovery time, microseconds.
pub const META_RECOVERY_US: &str = "last_recovery_us";
/// Metadata key of when the last loop started, unix milliseconds.
pub const META_STARTED_MS: &str = "last_start_ms";

/// What recovery did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecoveryReport {
    /// From the start of the loop to resumed work, microseconds (model loading excluded:
    /// personas load their models when workers start).
    pub recovery_us: u64,
    /// Tasks of dead workers handed back to the queue.
    pub released: Vec<String>,
    /// Tasks whose promotion had landed, now marked done.
    pub resolved: Vec<String>,
    /// Leftover worktrees removed.
    pub cleaned_worktrees: usize,
}

/// Recovers the loop's state; `started` is when the loop process began.
pub(crate) fn recover(
    shared: &Shared,
    store: &mut TaskStore,
    started: Instant,
) -> Result<RecoveryReport, LoopError> {
    let mut report = RecoveryReport::default();
    let pending = shared.ledger()?.tasks_with_intents();
    for task in pending {
        if let Some(commit) = shared.promoted_commit(&task)? {
            store.mark_done(&task, &commit)?;
            shared.record(&LoopEvent::Promoted {
                task: task.clone(),
                commit,
            })?;
            report.resolved.push(task);
        }
    }
    // This process holds the journal's exclusive lock: every other lease owner is dead.
    for (task, run) in store.release_others(&shared.owner)? {
        discard_run(shared, store, &task, run)?;
        report.released.push(task);
    }
    let worktrees = shared.state.worktrees();
    let entries = fs::read_dir(&worktrees).map_err(|e| LoopError::io("list", &worktrees, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| LoopError::io("list", &worktrees, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Err(e) = shared.git.worktree_remove(&entry.path()) {
            tracing::warn!("recovery: {e}");
        }
        if !shared.config.keep_branches
            && let Some(branch) = branch_of_worktree(&name)
            && let Err(e) = shared.git.delete_branch(&branch)
        {
            tracing::warn!("recovery: {e}");
        }
        report.cleaned_worktrees += 1;
    }
    report.recovery_us = started.elapsed().as_micros() as u64;
    shared.record(&LoopEvent::Recovered {
        recovery_us: report.recovery_us,
        released: report.released.clone(),
        resolved: report.resolved.clone(),
    })?;
    shared.ledger()?.checkpoint()?;
    store.set_meta(META_RECOVERY_US, &report.recovery_us.to_string())?;
    store.set_meta(META_STARTED_MS, &crate::clock::now_ms().to_string())?;
    Ok(report)
}

/// Removes the worktree and branch of an interrupted run and records it.
pub(crate) fn discard_run(
    shared: &Shared,
    store: &TaskStore,
    task: &str,
    run: u32,
) -> Result<(), LoopError> {
    let worktree = shared.state.worktree(task, run);
    if worktree.exists()
        && let Err(e) = shared.git.worktree_remove(&worktree)
    {
        tracing::warn!("task {task}: {e}");
    }
    if let Err(e) = shared.git.delete_branch(&branch_name(task, run)) {
        tracing::warn!("task {task}: {e}");
    }
    store.run_finished(
        task,
        run,
        &RunUpdate {
            outcome: "interrupted".into(),
            attempts: 0,
            verdict: None,
        },
    )?;
    shared.record(&LoopEvent::Released {
        task: task.to_string(),
        run,
    })
}
