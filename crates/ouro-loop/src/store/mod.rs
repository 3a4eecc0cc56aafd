//! The task store: tasks, runs and leases in one SQLite file (WAL mode).
//!
//! Every state change is one transaction. A worker *claims* a task with a lease (owner and
//! expiry) that it renews by heartbeats; a task whose lease ran out can be claimed again.
//! Each process opens its own connection; SQLite's busy timeout serializes writers.

mod runs;
mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use crate::task::{NewTask, Status, Task};
use crate::{LoopError, clock};

pub use runs::{RunRecord, RunUpdate};
pub use schema::SCHEMA_VERSION;

/// How long a writer waits for another to finish before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The columns [`task_from_row`] reads, in order.
const TASK_COLUMNS: &str = "id, title, description, inputs, tests, priority, status, error, \
    runs, attempts, commit_sha, created_ms, updated_ms, finished_ms, lease_owner, \
    lease_expires_ms, heartbeat_ms";

/// A connection to the task store.
#[derive(Debug)]
pub struct TaskStore {
    conn: Connection,
    path: PathBuf,
}

/// How a finished run leaves its task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    /// The new status (terminal, or `Pending` to hand the task back).
    pub status: Status,
    /// Why it failed or was rejected.
    pub error: Option<String>,
    /// The promoted commit.
    pub commit: Option<String>,
}

impl TaskStore {
    /// Opens (creating if needed) the store at `path` and migrates it.
    pub fn open(path: &Path) -> Result<TaskStore, LoopError> {
        let mut conn = Connection::open(path).map_err(err(path, "open"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(err(path, "set the busy timeout"))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err(path, "enable WAL"))?;
        // FULL: a committed promotion survives a machine crash, not only a process crash.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err(path, "set synchronous"))?;
        schema::migrate(&mut conn).map_err(|e| match e {
            schema::MigrateError::Sqlite(source) => LoopError::Store {
                path: path.to_path_buf(),
                context: "migrate",
                source,
            },
            too_new => LoopError::Config {
                path: path.to_path_buf(),
                reason: too_new.to_string(),
            },
        })?;
        Ok(TaskStore {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds a task and returns it as stored.
    pub fn add(&mut self, task: &NewTask) -> Result<Task, LoopError> {
        task.validate()?;
        let now = clock::now_ms();
        let status = task.status.unwrap_or(Status::Pending);
        let inputs = to_json(&task.inputs)?;
        let tests = to_json(&task.tests)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err(&self.path, "begin add"))?;
        let id =
            match &task.id {
                Some(id) => {
                    let taken: bool = tx
                        .query_row("SELECT 1 FROM tasks WHERE id = ?1", [id], |_| Ok(true))
                        .optional()
                        .map_err(err(&self.path, "look up a task id"))?
                        .unwrap_or(false);
                    if taken {
                        return Err(LoopError::DuplicateTask(id.clone()));
                    }
                    id.clone()
                }
                None => {
                    let mut next: i64 = tx
                        .query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM tasks", [], |r| {
                            r.get(0)
                        })
                        .map_err(err(&self.path, "pick a task id"))?;
                    loop {
                        let candidate = next.to_string();
                        let taken =
                            tx.query_row("SELECT 1 FROM tasks WHERE id = ?1", [&candidate], |_| {
                                Ok(())
                            })
                            .optional()
                            .map_err(err(&self.path, "pick a task id"))?
                            .is_some();
                        if !taken {
                            break candidate;
                        }
                        next += 1;
                    }
                }
            };
        let finished = status.is_terminal().then_some(now);
        tx.execute(
            "INSERT INTO tasks (id, title, description, inputs, tests, priority, status, \
             created_ms, updated_ms, finished_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
            params![
                id,
                task.title.trim(),
                task.description,
                inputs,
                tests,
                task.priority,
                status.as_str(),
                now,
                finished
            ],
        )
        .map_err(err(&self.path, "insert a task"))?;
        tx.commit().map_err(err(&self.path, "commit add"))?;
        self.get(&id)
    }

    /// The task `id`, or [`LoopError::NoSuchTask`].
    pub fn get(&self, id: &str) -> Result<Task, LoopError> {
        self.find(id)?
            .ok_or_else(|| LoopError::NoSuchTask(id.to_string()))
    }

    /// The task `id` if it exists.
    pub fn find(&self, id: &str) -> Result<Option<Task>, LoopError> {
        self.conn
            .query_row(
                &format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?1"),
                [id],
                task_from_row,
            )
            .optional()
            .map_err(err(&self.path, "read a task"))
    }

    /// Every task (with `status` if given), in queue order: priority, then age.
    pub fn list(&self, status: Option<Status>) -> Result<Vec<Task>, LoopError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {TASK_COLUMNS} FROM tasks WHERE ?1 IS NULL OR status = ?1 \
                 ORDER BY priority DESC, created_ms, seq"
            ))
            .map_err(err(&self.path, "list tasks"))?;
        let rows = stmt
            .query_map([status.map(Status::as_str)], task_from_row)
            .map_err(err(&self.path, "list tasks"))?;
        rows.collect::<Result<_, _>>()
            .map_err(err(&self.path, "list tasks"))
    }

    /// How many tasks have each status (every status present, zeros included).
    pub fn counts(&self) -> Result<Vec<(Status, u64)>, LoopError> {
        let mut counts: Vec<(Status, u64)> = Status::ALL.iter().map(|&s| (s, 0)).collect();
        let mut stmt = self
            .conn
            .prepare("SELECT status, COUNT(*) FROM tasks GROUP BY status")
            .map_err(err(&self.path, "count tasks"))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })
            .map_err(err(&self.path, "count tasks"))?;
        for row in rows {
            let (status, n) = row.map_err(err(&self.path, "count tasks"))?;
            if let Some(entry) = counts.iter_mut().find(|(s, _)| s.as_str() == status) {
                entry.1 = n.max(0) as u64;
            }
        }
        Ok(counts)
    }

    /// Claims the next task for `owner`: the highest-priority, oldest task that is pending
    /// or whose lease has expired, in one transaction. Its run count goes up by one.
    pub fn claim(&mut self, owner: &str, lease: Duration) -> Result<Option<Task>, LoopError> {
        let now = clock::now_ms();
        let expires = now.saturating_add(lease.as_millis() as i64);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err(&self.path, "begin claim"))?;
        let task = tx
            .query_row(
                &format!(
                    "UPDATE tasks SET status = 'in_progress', lease_owner = ?1, \
                     lease_expires_ms = ?2, heartbeat_ms = ?3, updated_ms = ?3, runs = runs + 1, \
                     error = NULL \
                     WHERE id = (SELECT id FROM tasks WHERE status = 'pending' \
                        OR (status = 'in_progress' AND lease_expires_ms < ?3) \
                        ORDER BY priority DESC, created_ms, seq LIMIT 1) \
                     RETURNING {TASK_COLUMNS}"
                ),
                params![owner, expires, now],
                task_from_row,
            )
            .optional()
            .map_err(err(&self.path, "claim a task"))?;
        tx.commit().map_err(err(&self.path, "commit claim"))?;
        Ok(task)
    }

    /// Renews `owner`'s lease on task `id`; `false` if it no longer holds it (the task was
    /// cancelled, or its lease expired and someone else claimed it).
    pub fn heartbeat(&self, id: &str, owner: &str, lease: Duration) -> Result<bool, LoopError> {
        let now = clock::now_ms();
        let changed = self
            .conn
            .execute(
                "UPDATE tasks SET lease_expires_ms = ?3, heartbeat_ms = ?4 \
                 WHERE id = ?1 AND lease_owner = ?2 AND status = 'in_progress'",
                params![id, owner, now.saturating_add(lease.as_millis() as i64), now],
            )
            .map_err(err(&self.path, "renew a lease"))?;
        Ok(changed == 1)
    }

    /// Counts one more coder attempt on task `id`.
    pub fn count_attempt(&self, id: &str) -> Result<(), LoopError> {
        self.conn
            .execute(
                "UPDATE tasks SET attempts = attempts + 1 WHERE id = ?1",
                [id],
            )
            .map_err(err(&self.path, "count an attempt"))?;
        Ok(())
    }

    /// Ends `owner`'s run of task `id`; `false` (and no change) if it no longer holds it.
    pub fn finish(&self, id: &str, owner: &str, finish: &Finish) -> Result<bool, LoopError> {
        let now = clock::now_ms();
        let finished = finish.status.is_terminal().then_some(now);
        let changed = self
            .conn
            .execute(
                "UPDATE tasks SET status = ?3, error = ?4, commit_sha = COALESCE(?5, commit_sha), \
                 updated_ms = ?6, finished_ms = ?7, lease_owner = NULL, lease_expires_ms = NULL \
                 WHERE id = ?1 AND lease_owner = ?2 AND status = 'in_progress'",
                params![
                    id,
                    owner,
                    finish.status.as_str(),
                    finish.error,
                    finish.commit,
                    now,
                    finished
                ],
            )
            .map_err(err(&self.path, "finish a task"))?;
        Ok(changed == 1)
    }

    /// Marks task `id` done with `commit`, whoever holds it: its change is on the target
    /// branch, so that is the truth whatever else happened.
    pub fn mark_done(&self, id: &str, commit: &str) -> Result<(), LoopError> {
        let now = clock::now_ms();
        self.conn
            .execute(
                "UPDATE tasks SET status = 'done', error = NULL, commit_sha = ?2, updated_ms = ?3, \
                 finished_ms = ?3, lease_owner = NULL, lease_expires_ms = NULL WHERE id = ?1",
                params![id, commit, now],
            )
            .map_err(err(&self.path, "mark a task done"))?;
        Ok(())
    }

    /// Hands every in-progress task not held by `live_owner` back to the queue and returns
    /// their `(id, run)`. Called on start by the one process that holds the loop's
    /// exclusive journal lock: every other owner is dead.
    pub fn release_others(&mut self, live_owner: &str) -> Result<Vec<(String, u32)>, LoopError> {
        self.release_where("lease_owner IS NOT ?1", live_owner)
    }

    /// Hands `owner`'s in-progress tasks back to the queue (its worker crashed or stopped).
    pub fn release_owner(&mut self, owner: &str) -> Result<Vec<(String, u32)>, LoopError> {
        self.release_where("lease_owner = ?1", owner)
    }

    fn release_where(&mut self, cond: &str, owner: &str) -> Result<Vec<(String, u32)>, LoopError> {
        let now = clock::now_ms();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err(&self.path, "begin release"))?;
        let released = {
            let mut stmt = tx
                .prepare(&format!(
                    "UPDATE tasks SET status = 'pending', lease_owner = NULL, \
                     lease_expires_ms = NULL, updated_ms = ?2 \
                     WHERE status = 'in_progress' AND {cond} RETURNING id, runs"
                ))
                .map_err(err(&self.path, "release leases"))?;
            let rows = stmt
                .query_map(params![owner, now], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, u32>(1)?))
                })
                .map_err(err(&self.path, "release leases"))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(err(&self.path, "release leases"))?
        };
        tx.commit().map_err(err(&self.path, "commit release"))?;
        Ok(released)
    }

    /// Puts a failed, rejected or cancelled task back in the queue.
    pub fn retry(&mut self, id: &str) -> Result<Task, LoopError> {
        self.transition(
            id,
            "retry",
            &[Status::Failed, Status::Rejected, Status::Cancelled],
            Status::Pending,
        )
    }

    /// Cancels a pending or in-progress task (a running worker notices at its next
    /// heartbeat and stops).
    pub fn cancel(&mut self, id: &str) -> Result<Task, LoopError> {
        self.transition(
            id,
            "cancel",
            &[Status::Pending, Status::InProgress],
            Status::Cancelled,
        )
    }

    fn transition(
        &mut self,
        id: &str,
        action: &'static str,
        from: &[Status],
        to: Status,
    ) -> Result<Task, LoopError> {
        let now = clock::now_ms();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err(&self.path, "begin update"))?;
        let status: Option<String> = tx
            .query_row("SELECT status FROM tasks WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(err(&self.path, "read a task"))?;
        let status: Status = status
            .ok_or_else(|| LoopError::NoSuchTask(id.to_string()))?
            .parse()?;
        if !from.contains(&status) {
            return Err(LoopError::BadTransition {
                id: id.to_string(),
                status: status.to_string(),
                action,
            });
        }
        tx.execute(
            "UPDATE tasks SET status = ?2, updated_ms = ?3, lease_owner = NULL, \
             lease_expires_ms = NULL, finished_ms = ?4, error = CASE WHEN ?2 = 'pending' \
             THEN NULL ELSE error END WHERE id = ?1",
            params![id, to.as_str(), now, to.is_terminal().then_some(now)],
        )
        .map_err(err(&self.path, "update a task"))?;
        tx.commit().map_err(err(&self.path, "commit update"))?;
        self.get(id)
    }

    /// Stores a value under `key` in the metadata table.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), LoopError> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            .map_err(err(&self.path, "write metadata"))?;
        Ok(())
    }

    /// The value stored under `key`, if any.
    pub fn meta(&self, key: &str) -> Result<Option<String>, LoopError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(err(&self.path, "read metadata"))
    }
}

/// Maps a SQLite error to [`LoopError::Store`] naming the database and the operation.
fn err(path: &Path, context: &'static str) -> impl FnOnce(rusqlite::Error) -> LoopError + use<> {
    let path = path.to_path_buf();
    move |source| LoopError::Store {
        path,
        context,
        source,
    }
}

fn to_json(list: &[String]) -> Result<String, LoopError> {
    serde_json::to_string(list).map_err(|source| LoopError::Json {
        context: "encode a task's list".into(),
        source,
    })
}

fn json_list(row: &Row<'_>, index: usize) -> rusqlite::Result<Vec<String>> {
    let text: String = row.get(index)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn task_from_row(row: &Row<'_>) -> rusqlite::Result<Task> {
    let status: String = row.get(6)?;
    let status = status.parse::<Status>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(Task {
        id: row.get(0)?,
        title: row.get(1)?,
        description: row.get(2)?,
        inputs: json_list(row, 3)?,
        tests: json_list(row, 4)?,
        priority: row.get(5)?,
        status,
        error: row.get(7)?,
        runs: row.get(8)?,
        attempts: row.get(9)?,
        commit: row.get(10)?,
        created_ms: row.get(11)?,
        updated_ms: row.get(12)?,
        finished_ms: row.get(13)?,
        lease_owner: row.get(14)?,
        lease_expires_ms: row.get(15)?,
        heartbeat_ms: row.get(16)?,
    })
}

#[cfg(test)]
mod tests;
