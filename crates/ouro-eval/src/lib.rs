//! ouro-eval: measures the development loop on a suite of tasks with hidden tests.
//!
//! A suite ([`suite`], format in `docs/eval-suite.md`) is a folder of tasks: the files of a
//! small repository (or a real project fetched from a registry with a bug injected), the
//! task's text, a visible check the loop runs and a hidden test it never sees. For each
//! task [`run`] builds the repository fresh ([`prepare`]), queues the task, runs
//! `ouro loop` on it in process with the given personas, then runs the hidden test on a
//! fresh checkout of the target branch; [`report`] totals what was fixed, the attempts,
//! the time, the tokens and the files touched beyond the reference fix.

pub mod prepare;
pub mod report;
pub mod run;
pub mod suite;

mod error;
mod process;

pub use error::EvalError;
pub use report::{EvalReport, TaskResult, Totals};
pub use run::{EvalOptions, run_suite};
pub use suite::{Suite, SuiteTask, TaskSpec};
