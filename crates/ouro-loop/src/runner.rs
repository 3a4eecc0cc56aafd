//! `ouro loop`: recover, then run the workers under the supervisor until the queue is
//! drained, the task budget is spent, or (with `--forever`) the loop is stopped.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::LoopConfig;
use crate::confine::WorkSandbox;
use crate::git::Git;
use crate::ledger::{Ledger, LoopEvent};
use crate::personas::Personas;
use crate::recovery::{RecoveryReport, discard_run, recover};
use crate::shared::{Notice, Reporter, Shared};
use crate::state::StateDir;
use crate::store::TaskStore;
use crate::supervisor::{RestartPolicy, supervise};
use crate::tasks_file::TaskFileWatcher;
use crate::{LoopError, clock, run};

/// When the loop ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// When the queue is empty (or `max_tasks` runs were made).
    Drain {
        /// Most runs to make (`--once` is 1).
        max_tasks: Option<usize>,
    },
    /// Never: an empty queue is polled every interval until `stop` is set.
    Forever,
}

/// How to run the loop.
pub struct LoopOptions {
    /// The repository (any folder inside it).
    pub repo: PathBuf,
    /// Its `[loop]` settings.
    pub config: LoopConfig,
    /// When to end.
    pub mode: Mode,
    /// A task file to watch for new tasks (overrides `watch_file`).
    pub watch: Option<PathBuf>,
    /// Set to stop (Ctrl-C): running commands are killed and their tasks go back to the queue.
    pub stop: Arc<AtomicBool>,
    /// Receives progress.
    pub notify: Reporter,
}

/// What a loop did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopSummary {
    /// Its recovery.
    pub recovery: RecoveryReport,
    /// Runs finished.
    pub processed: usize,
}

/// Runs the loop.
pub fn run_loop(options: LoopOptions, personas: Personas) -> Result<LoopSummary, LoopError> {
    let started = Instant::now();
    let git = Git::open(&options.repo)?;
    let state = StateDir::of(git.repo());
    state.create()?;
    let ledger = Ledger::open(&state.journal(), git.repo())?;
    let mut store = TaskStore::open(&state.db())?;
    let config = options.config;
    let target = match &config.target_branch {
        Some(branch) => branch.clone(),
        None => git.current_branch()?.ok_or_else(|| LoopError::Config {
            path: git.repo().join(crate::config::CONFIG_FILE),
            reason: "HEAD is detached: set [loop] target_branch".into(),
        })?,
    };
    git.rev_parse(&target)?;
    let watch = options
        .watch
        .or_else(|| config.watch_file.clone())
        .map(|file| TaskFileWatcher::new(git.repo().join(file)));
    let owner = format!("{}:{}:{}", hostname(), std::process::id(), clock::now_ms());
    let sandbox = WorkSandbox::probe(config.sandbox);
    for warning in sandbox.warnings() {
        eprintln!("ouro loop: {warning}");
    }
    let (budget, forever) = match options.mode {
        Mode::Drain { max_tasks } => (max_tasks.map(AtomicUsize::new), false),
        Mode::Forever => (None, true),
    };
    let shared = Arc::new(Shared {
        state,
        interval: config.interval(),
        config,
        target,
        git,
        ledger: Mutex::new(ledger),
        promotion: Mutex::new(()),
        stop: options.stop,
        personas,
        owner: owner.clone(),
        notify: options.notify,
        budget,
        forever,
        watcher: Mutex::new(watch),
        processed: AtomicUsize::new(0),
        sandbox,
    });
    shared.record(&LoopEvent::Started {
        owner,
        pid: std::process::id(),
    })?;
    let recovery = recover(&shared, &mut store, started)?;
    tracing::info!(
        "recovered in {:.1} ms: {} released, {} resolved",
        recovery.recovery_us as f64 / 1000.0,
        recovery.released.len(),
        recovery.resolved.len()
    );
    (shared.notify)(&Notice::Recovered(recovery.clone()));
    let policy = RestartPolicy {
        max_restarts: shared.config.max_restarts,
        period: Duration::from_secs_f64(shared.config.restart_period_s),
    };
    let worker_shared = shared.clone();
    supervise(
        shared.config.workers,
        policy,
        &shared.stop,
        move |index| worker(&worker_shared, index),
        |index, _| {
            for (task, run) in store.release_owner(&shared.worker_owner(index))? {
                discard_run(&shared, &store, &task, run)?;
            }
            Ok(())
        },
    )?;
    Ok(LoopSummary {
        recovery,
        processed: shared.processed.load(Ordering::Relaxed),
    })
}

/// One worker: claim, run, repeat.
fn worker(shared: &Shared, index: usize) -> Result<(), LoopError> {
    let owner = shared.worker_owner(index);
    let mut store = TaskStore::open(&shared.state.db())?;
    let mut coder = (shared.personas.coder)()?;
    let mut judge = (shared.personas.judge)()?;
    loop {
        if shared.stopping() {
            return Ok(());
        }
        poll_watch_file(shared, &mut store)?;
        if !shared.take_budget() {
            return Ok(());
        }
        match store.claim(&owner, shared.config.lease())? {
            Some(task) => run::execute(
                shared,
                &store,
                coder.as_mut(),
                judge.as_mut(),
                &owner,
                &task,
            )?,
            None => {
                shared.refund_budget();
                if !shared.forever {
                    return Ok(());
                }
                let idle = Instant::now();
                while idle.elapsed() < shared.interval && !shared.stopping() {
                    std::thread::sleep(Duration::from_millis(20).min(shared.interval));
                }
            }
        }
    }
}

fn poll_watch_file(shared: &Shared, store: &mut TaskStore) -> Result<(), LoopError> {
    let mut watcher = shared
        .watcher
        .lock()
        .map_err(|_| LoopError::Poisoned("task file watcher"))?;
    if let Some(watcher) = watcher.as_mut() {
        match watcher.poll(store) {
            Ok(Some(report)) if !report.added.is_empty() => {
                (shared.notify)(&Notice::Imported(report));
            }
            Ok(_) => {}
            Err(e) if e.is_infrastructure() => return Err(e),
            // A half-written or broken file is reported, and read again when it changes.
            Err(e) => tracing::warn!("{e}"),
        }
    }
    Ok(())
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it
    // or truncates, and we stop at the first NUL either way.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    if ok && end > 0 {
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "localhost".into()
    }
}
