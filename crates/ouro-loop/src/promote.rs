//! Promotion: a fast-forward of the target branch to the run's commit, only ever through
//! a compare-and-swap (`git update-ref NEW OLD`) after a durable intent, so that no crash
//! can promote a task twice. If the target moved since the run started, the change is
//! rebased onto it and tested again first; it is never promoted with failing tests.

use crate::LoopError;
use crate::ledger::LoopEvent;
use crate::run::{RunOutcome, TaskRun};

/// Rounds of "target moved, rebase, test" before giving up.
const MAX_ROUNDS: u32 = 5;

/// Promotes `commit` (made on `base`) to the target branch.
pub(crate) fn promote(
    run: &TaskRun<'_>,
    mut commit: String,
    mut base: String,
) -> Result<RunOutcome, LoopError> {
    let shared = run.shared;
    let git = &shared.git;
    let target = &shared.target;
    let id = &run.task.id;
    let _serialized = shared.lock_promotion()?;
    for round in 1..=MAX_ROUNDS {
        if run.cancelled() {
            return Ok(RunOutcome::Interrupted);
        }
        if let Some(done) = shared.promoted_commit(id)? {
            run.store.mark_done(id, &done)?;
            shared.record(&LoopEvent::Promoted {
                task: id.clone(),
                commit: done.clone(),
            })?;
            return Ok(RunOutcome::AlreadyDone(done));
        }
        let tip = git.rev_parse(target)?;
        if tip != base {
            let Some(rebased) = git.rebase(&run.worktree, &tip)? else {
                return Ok(RunOutcome::Failed(format!(
                    "the change conflicts with {target}, which moved to {tip} during the run"
                )));
            };
            commit = rebased;
            base = tip;
            let report = run.test(&run.dir.join(format!("tests-rebased-{round}.log")))?;
            if let Some(feedback) = report.feedback {
                return Ok(RunOutcome::Failed(format!(
                    "after rebasing onto the moved {target}: {feedback}"
                )));
            }
            continue;
        }
        shared.record(&LoopEvent::PromoteIntent {
            task: id.clone(),
            run: run.run,
            commit: commit.clone(),
            target: target.clone(),
            old: tip.clone(),
        })?;
        let reason = format!("ouro: promote task {id} (run {})", run.run);
        if git.update_branch_cas(target, &commit, &tip, &reason)? {
            run.store.mark_done(id, &commit)?;
            shared.record(&LoopEvent::Promoted {
                task: id.clone(),
                commit: commit.clone(),
            })?;
            if let Err(e) = git.sync_checked_out(target, &tip, &commit) {
                tracing::warn!(
                    "promoted task {id}, but the checked-out {target} could not follow: {e}"
                );
            }
            return Ok(RunOutcome::Promoted(commit));
        }
    }
    Ok(RunOutcome::Failed(format!(
        "{target} kept moving: {MAX_ROUNDS} promotion attempts lost the race"
    )))
}
