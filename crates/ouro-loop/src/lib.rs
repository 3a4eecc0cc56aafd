//! ouro-loop: the autonomous development loop.
//!
//! Tasks wait in a SQLite [`store`]; `ouro loop` ([`runner::run_loop`]) claims them under
//! a lease, works each in a shadow git worktree on its own branch ([`run`]), lets a
//! [`coder::Coder`] implement it, runs its tests and the repository's test command with
//! timeouts, feeds the trimmed errors back for the next attempt, asks a
//! [`judge::Judge`] (tests and judge commands run in the sandbox, [`confine`]; git never
//! trusts the worktree, [`git`]), and promotes accepted work by compare-and-swap fast-forward
//! ([`promote`]). Workers run under a one_for_one [`supervisor`]; every step goes to the
//! ouro-core journal ([`ledger`]) and a restart recovers ([`recovery`]) without losing a
//! task or promoting one twice.
//!
//! Entry points: [`TaskStore`], [`tasks_file`] (`auto_tasks.json`), [`LoopConfig`]
//! (`[loop]` in `ouro.toml`), [`Personas`], [`run_loop`], [`report`].

mod checks;
mod clock;
pub mod coder;
pub mod config;
pub mod confine;
mod error;
pub mod exec;
pub mod git;
pub mod judge;
mod lease;
pub mod ledger;
pub mod personas;
mod promote;
pub mod recovery;
pub mod report;
mod run;
pub mod runner;
mod shared;
pub mod state;
pub mod store;
pub mod supervisor;
pub mod task;
pub mod tasks_file;
pub mod tidy;

use std::path::Path;

pub use checks::{TestReport, TestResult};
pub use config::LoopConfig;
pub use error::LoopError;
pub use personas::{CoderKinds, Personas};
pub use runner::{LoopOptions, LoopSummary, Mode, run_loop};
pub use shared::{Notice, Reporter, RunSummary};
pub use state::StateDir;
pub use store::TaskStore;
pub use task::{NewTask, Status, Task};

/// Opens the task store of the repository containing `dir` (creating `.ouro/` if needed).
pub fn open_store(dir: &Path) -> Result<(StateDir, TaskStore), LoopError> {
    let git = git::Git::open(dir)?;
    let state = StateDir::of(git.repo());
    state.create()?;
    let store = TaskStore::open(&state.db())?;
    Ok((state, store))
}
