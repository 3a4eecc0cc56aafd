//! What `ouro tasks list|show` and `ouro loop status` print: plain-text tables and the
//! status snapshot (also serializable to JSON).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::recovery::{META_RECOVERY_US, META_STARTED_MS};
use crate::store::{RunRecord, TaskStore};
use crate::task::{Status, Task};
use crate::{LoopError, clock};

/// The loop's state at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoopStatus {
    /// The state folder.
    pub state_dir: PathBuf,
    /// Tasks per status.
    pub counts: Vec<(Status, u64)>,
    /// Tasks in progress (with their leases).
    pub running: Vec<Task>,
    /// The latest runs, newest first.
    pub recent: Vec<RunRecord>,
    /// The last loop's recovery time, microseconds.
    pub last_recovery_us: Option<u64>,
    /// When the last loop started (unix ms).
    pub last_start_ms: Option<i64>,
}

/// Reads the status from `store` (in state folder `state_dir`), with `recent` runs.
pub fn loop_status(
    store: &TaskStore,
    state_dir: &Path,
    recent: u32,
) -> Result<LoopStatus, LoopError> {
    Ok(LoopStatus {
        state_dir: state_dir.to_path_buf(),
        counts: store.counts()?,
        running: store.list(Some(Status::InProgress))?,
        recent: store.recent_runs(recent)?,
        last_recovery_us: store.meta(META_RECOVERY_US)?.and_then(|v| v.parse().ok()),
        last_start_ms: store.meta(META_STARTED_MS)?.and_then(|v| v.parse().ok()),
    })
}

fn ago(then_ms: i64, now_ms: i64) -> String {
    seconds(now_ms.saturating_sub(then_ms))
}

fn seconds(ms: i64) -> String {
    if ms < 10_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} s", ms / 1000)
    }
}

fn clip(text: &str, width: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= width {
        line.to_string()
    } else {
        let cut: String = line.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

impl LoopStatus {
    /// As text.
    pub fn render(&self) -> String {
        self.render_at(clock::now_ms())
    }

    /// As text, times relative to `now_ms`.
    pub fn render_at(&self, now_ms: i64) -> String {
        let mut out = String::new();
        let counts: Vec<String> = self
            .counts
            .iter()
            .map(|(status, n)| format!("{status} {n}"))
            .collect();
        let _ = writeln!(out, "queue: {}", counts.join(", "));
        let _ = writeln!(out, "state: {}", self.state_dir.display());
        match (self.last_recovery_us, self.last_start_ms) {
            (Some(us), Some(ms)) => {
                let _ = writeln!(
                    out,
                    "last start: {} ago, recovered in {:.1} ms",
                    ago(ms, now_ms),
                    us as f64 / 1000.0
                );
            }
            _ => {
                let _ = writeln!(out, "last start: never");
            }
        }
        if self.running.is_empty() {
            let _ = writeln!(out, "running: none");
        }
        for task in &self.running {
            let beat = task
                .heartbeat_ms
                .map_or("never".into(), |ms| format!("{} ago", ago(ms, now_ms)));
            let _ = writeln!(
                out,
                "running: task {} (run {}) {:?}, owner {}, heartbeat {beat}",
                task.id,
                task.runs,
                clip(&task.title, 40),
                task.lease_owner.as_deref().unwrap_or("-")
            );
        }
        if !self.recent.is_empty() {
            let _ = writeln!(out, "\nrecent runs:");
            let _ = writeln!(
                out,
                "{:<12} {:>4} {:<12} {:>9} {:>9}  {:<28} FOLDER",
                "TASK", "RUN", "OUTCOME", "ATTEMPTS", "DURATION", "VERDICT"
            );
        }
        for run in &self.recent {
            let duration = run
                .finished_ms
                .map_or("-".into(), |end| seconds(end - run.started_ms));
            let verdict = run
                .verdict
                .as_deref()
                .and_then(|v| serde_json::from_str::<crate::judge::Verdict>(v).ok())
                .map_or("-".into(), |v| {
                    let word = if v.accepted { "accepted" } else { "rejected" };
                    clip(&format!("{word}: {}", v.reasons), 28)
                });
            let _ = writeln!(
                out,
                "{:<12} {:>4} {:<12} {:>9} {:>9}  {:<28} {}",
                clip(&run.task_id, 12),
                run.run,
                run.outcome.as_deref().unwrap_or("running"),
                run.attempts,
                duration,
                verdict,
                run.dir
            );
        }
        out
    }
}

/// The tasks as a table.
pub fn tasks_table(tasks: &[Task]) -> String {
    let mut out = format!(
        "{:<12} {:<12} {:>4} {:>5} {:>8}  TITLE\n",
        "ID", "STATUS", "PRI", "RUNS", "ATTEMPTS"
    );
    for task in tasks {
        let _ = writeln!(
            out,
            "{:<12} {:<12} {:>4} {:>5} {:>8}  {}",
            clip(&task.id, 12),
            task.status,
            task.priority,
            task.runs,
            task.attempts,
            clip(&task.title, 60)
        );
    }
    out
}

/// One task in detail, with its runs and their folders.
pub fn task_details(task: &Task, runs: &[RunRecord]) -> String {
    let mut out = String::new();
    let now = clock::now_ms();
    let _ = writeln!(out, "task {}: {}", task.id, task.title);
    let _ = writeln!(out, "status:   {}", task.status);
    if let Some(error) = &task.error {
        let _ = writeln!(out, "error:    {}", clip(error, 200));
    }
    if let Some(commit) = &task.commit {
        let _ = writeln!(out, "commit:   {commit}");
    }
    let _ = writeln!(out, "priority: {}", task.priority);
    let _ = writeln!(out, "created:  {} ago", ago(task.created_ms, now));
    if !task.description.is_empty() {
        let _ = writeln!(
            out,
            "description:\n  {}",
            task.description.replace('\n', "\n  ")
        );
    }
    for (label, list) in [("inputs", &task.inputs), ("tests", &task.tests)] {
        if !list.is_empty() {
            let _ = writeln!(out, "{label}:");
            for item in list {
                let _ = writeln!(out, "  {item}");
            }
        }
    }
    if let Some(owner) = &task.lease_owner {
        let _ = writeln!(out, "lease:    {owner}");
    }
    let _ = writeln!(
        out,
        "runs:     {} ({} coder attempts)",
        task.runs, task.attempts
    );
    for run in runs {
        let duration = run
            .finished_ms
            .map_or("running".into(), |end| seconds(end - run.started_ms));
        let _ = writeln!(
            out,
            "  run {}: {} after {} attempts, {duration}, {}",
            run.run,
            run.outcome.as_deref().unwrap_or("running"),
            run.attempts,
            run.dir
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::NewTask;

    #[test]
    fn renders_tables_and_status() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = TaskStore::open(&dir.path().join("tasks.db")).expect("open");
        store
            .add(&NewTask {
                title: "write the parser".into(),
                tests: vec!["cargo test".into()],
                ..NewTask::default()
            })
            .expect("add");
        store
            .claim("host:1:2/w0", std::time::Duration::from_secs(30))
            .expect("claim");
        store
            .run_started("1", 1, "host:1:2/w0", "/r/.ouro/runs/1-1")
            .expect("run");
        let tasks = store.list(None).expect("list");
        let table = tasks_table(&tasks);
        assert!(
            table.contains("in_progress") && table.contains("write the parser"),
            "{table}"
        );
        let details = task_details(&tasks[0], &store.runs_of("1").expect("runs"));
        assert!(
            details.contains("/r/.ouro/runs/1-1") && details.contains("cargo test"),
            "{details}"
        );
        store.set_meta(META_RECOVERY_US, "1500").expect("meta");
        store
            .set_meta(META_STARTED_MS, &clock::now_ms().to_string())
            .expect("meta");
        let status = loop_status(&store, dir.path(), 5)
            .expect("status")
            .render_at(clock::now_ms());
        assert!(status.contains("in_progress 1"), "{status}");
        assert!(status.contains("recovered in 1.5 ms"), "{status}");
        assert!(status.contains("running: task 1 (run 1)"), "{status}");
        assert!(status.contains("/r/.ouro/runs/1-1"), "{status}");
    }
}
