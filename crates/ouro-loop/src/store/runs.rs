//! The runs table: one row per claim of a task, for `ouro loop status` and `ouro tasks show`.

use rusqlite::{Row, params};
use serde::Serialize;

use super::{TaskStore, err};
use crate::{LoopError, clock};

/// One run of a task (a claim, worked on its own branch and run folder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRecord {
    /// The task.
    pub task_id: String,
    /// Its run number (1 for the first claim).
    pub run: u32,
    /// The worker that ran it.
    pub owner: String,
    /// The run folder.
    pub dir: String,
    /// Unix milliseconds.
    pub started_ms: i64,
    /// Unix milliseconds; `None` while running (or if the worker died).
    pub finished_ms: Option<i64>,
    /// How it ended: a task status, or `interrupted`.
    pub outcome: Option<String>,
    /// Coder attempts made.
    pub attempts: u32,
    /// The judge's verdict on the last reviewed attempt, as JSON.
    pub verdict: Option<String>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunUpdate {
    /// A task status, or `interrupted`.
    pub outcome: String,
    /// Coder attempts made.
    pub attempts: u32,
    /// The last verdict, as JSON.
    pub verdict: Option<String>,
}

const RUN_COLUMNS: &str =
    "task_id, run, owner, dir, started_ms, finished_ms, outcome, attempts, verdict";

fn run_from_row(row: &Row<'_>) -> rusqlite::Result<RunRecord> {
    Ok(RunRecord {
        task_id: row.get(0)?,
        run: row.get(1)?,
        owner: row.get(2)?,
        dir: row.get(3)?,
        started_ms: row.get(4)?,
        finished_ms: row.get(5)?,
        outcome: row.get(6)?,
        attempts: row.get(7)?,
        verdict: row.get(8)?,
    })
}

impl TaskStore {
    /// Records that `owner` started run `run` of `task_id` in folder `dir`.
    pub fn run_started(
        &self,
        task_id: &str,
        run: u32,
        owner: &str,
        dir: &str,
    ) -> Result<(), LoopError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO runs (task_id, run, owner, dir, started_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![task_id, run, owner, dir, clock::now_ms()],
            )
            .map_err(err(&self.path, "record a run"))?;
        Ok(())
    }

    /// Records how run `run` of `task_id` ended.
    pub fn run_finished(
        &self,
        task_id: &str,
        run: u32,
        update: &RunUpdate,
    ) -> Result<(), LoopError> {
        self.conn
            .execute(
                "UPDATE runs SET finished_ms = ?3, outcome = ?4, attempts = ?5, verdict = ?6 \
                 WHERE task_id = ?1 AND run = ?2",
                params![
                    task_id,
                    run,
                    clock::now_ms(),
                    update.outcome,
                    update.attempts,
                    update.verdict
                ],
            )
            .map_err(err(&self.path, "finish a run"))?;
        Ok(())
    }

    /// The latest `limit` runs, newest first.
    pub fn recent_runs(&self, limit: u32) -> Result<Vec<RunRecord>, LoopError> {
        self.query_runs(
            &format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY started_ms DESC, run DESC LIMIT ?1"),
            params![limit],
        )
    }

    /// Every run of `task_id`, oldest first.
    pub fn runs_of(&self, task_id: &str) -> Result<Vec<RunRecord>, LoopError> {
        self.query_runs(
            &format!("SELECT {RUN_COLUMNS} FROM runs WHERE task_id = ?1 ORDER BY run"),
            params![task_id],
        )
    }

    fn query_runs(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<RunRecord>, LoopError> {
        let mut stmt = self
            .conn
            .prepare(sql)
            .map_err(err(&self.path, "read runs"))?;
        let rows = stmt
            .query_map(params, run_from_row)
            .map_err(err(&self.path, "read runs"))?;
        rows.collect::<Result<_, _>>()
            .map_err(err(&self.path, "read runs"))
    }
}
