//! The loop panel's source: a repository's task store (`.ouro/tasks.db`, ouro-loop's SQLite
//! store), read in short calls at each tick and never held open, and the `r`/`x` keys carried
//! out on it (the same operations as `ouro tasks retry|cancel`).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use ouro_loop::{Status, TaskStore};

use crate::data::{LoopSnapshot, LoopStatus, RunningTask, TaskResult, Verdict};
use crate::event_loop::LoopControl;

/// Finished runs the panel lists.
const RECENT: u32 = 10;

/// The store's queue as the loop panel shows it, or why it could not be read.
pub fn snapshot(store: &Path) -> LoopStatus {
    snapshot_at(store, now_ms())
}

/// [`snapshot`] as seen at `now_ms` (milliseconds since the Unix epoch), which the running
/// task's elapsed time is measured to.
pub fn snapshot_at(store: &Path, now_ms: i64) -> LoopStatus {
    match read(store, now_ms) {
        Ok(snapshot) => LoopStatus::Running(snapshot),
        Err(e) => LoopStatus::Absent {
            reason: format!("cannot read the task store {}: {e}", store.display()),
        },
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn read(path: &Path, now: i64) -> Result<LoopSnapshot, ouro_loop::LoopError> {
    let store = TaskStore::open(path)?;
    let counts = store
        .counts()?
        .into_iter()
        .map(|(status, n)| (status.as_str().to_string(), n))
        .collect();
    let running = store
        .list(Some(Status::InProgress))?
        .into_iter()
        .next()
        .map(|task| -> Result<RunningTask, ouro_loop::LoopError> {
            let started = store.runs_of(&task.id)?.last().map(|r| r.started_ms);
            Ok(RunningTask {
                elapsed_ms: started.map_or(0, |s| (now - s).max(0) as u64),
                attempt: task.attempts,
                max_attempts: None,
                title: task.title,
                id: task.id,
            })
        })
        .transpose()?;
    let mut recent = Vec::new();
    for run in store.recent_runs(RECENT * 2)? {
        let (Some(finished), Some(outcome)) = (run.finished_ms, run.outcome.as_deref()) else {
            continue;
        };
        let verdict = match outcome {
            "done" => Verdict::Promoted,
            "rejected" => Verdict::Rejected,
            "cancelled" => Verdict::Cancelled,
            _ => Verdict::Failed,
        };
        let title = store
            .find(&run.task_id)?
            .map_or_else(String::new, |t| t.title);
        recent.push(TaskResult {
            id: run.task_id,
            title,
            verdict,
            attempts: run.attempts,
            duration_ms: (finished - run.started_ms).max(0) as u64,
        });
        if recent.len() == RECENT as usize {
            break;
        }
    }
    Ok(LoopSnapshot {
        counts,
        running,
        recent,
    })
}

/// Retries and cancels tasks in a repository's task store.
#[derive(Debug, Clone)]
pub struct StoreControl {
    pub store: PathBuf,
}

impl StoreControl {
    fn apply(
        &self,
        verb: &str,
        task: &str,
        op: impl FnOnce(&mut TaskStore, &str) -> Result<ouro_loop::Task, ouro_loop::LoopError>,
    ) -> String {
        match TaskStore::open(&self.store).and_then(|mut s| op(&mut s, task)) {
            Ok(t) => format!("task {task}: {verb}, now {}", t.status),
            Err(e) => format!("cannot {verb} task {task}: {e}"),
        }
    }
}

impl LoopControl for StoreControl {
    fn retry(&mut self, task: &str) -> String {
        self.apply("retry", task, |s, id| s.retry(id))
    }

    fn cancel(&mut self, task: &str) -> String {
        self.apply("cancel", task, |s, id| s.cancel(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ouro_loop::NewTask;

    fn task(title: &str) -> NewTask {
        NewTask {
            id: None,
            title: title.into(),
            description: String::new(),
            inputs: Vec::new(),
            tests: vec!["true".into()],
            priority: 0,
            status: None,
        }
    }

    #[test]
    fn the_store_is_read_and_r_x_act_on_it() {
        let dir = std::env::temp_dir().join(format!("ouro-tui-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tasks.db");
        let mut store = TaskStore::open(&path).unwrap();
        let a = store.add(&task("first")).unwrap();
        store.add(&task("second")).unwrap();
        drop(store);

        let LoopStatus::Running(snap) = snapshot(&path) else {
            panic!("the store should be readable")
        };
        let pending = snap.counts.iter().find(|(s, _)| s == "pending").unwrap();
        assert_eq!(pending.1, 2);
        assert!(snap.running.is_none() && snap.recent.is_empty());

        let mut control = StoreControl {
            store: path.clone(),
        };
        let note = control.cancel(&a.id);
        assert!(note.contains("now cancelled"), "{note}");
        let note = control.retry(&a.id);
        assert!(note.contains("now pending"), "{note}");
        let note = control.cancel("no-such-task");
        assert!(
            note.starts_with("cannot cancel task no-such-task"),
            "{note}"
        );
        let LoopStatus::Running(snap) = snapshot(&path) else {
            panic!("still readable")
        };
        assert_eq!(
            snap.counts.iter().find(|(s, _)| s == "pending").unwrap().1,
            2
        );

        std::fs::write(dir.join("broken.db"), b"not a database").unwrap();
        let LoopStatus::Absent { reason } = snapshot(&dir.join("broken.db")) else {
            panic!("a broken store is reported")
        };
        assert!(reason.contains("cannot read the task store"), "{reason}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
