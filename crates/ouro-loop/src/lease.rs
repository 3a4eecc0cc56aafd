//! The heartbeat of a running task: a thread that renews the worker's lease and raises
//! the run's cancel flag when the lease is lost (the task was cancelled) or the loop is
//! shutting down.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::store::TaskStore;

/// How often the thread looks at the shutdown flag.
const TICK: Duration = Duration::from_millis(20);

/// A running heartbeat; dropping it stops the thread.
#[derive(Debug)]
pub struct Heartbeat {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// What a heartbeat renews and whom it tells.
#[derive(Debug, Clone)]
pub struct LeaseSpec {
    /// The task store.
    pub db: PathBuf,
    /// The task.
    pub task: String,
    /// The worker holding the lease.
    pub owner: String,
    /// Lease length; renewed every third of it.
    pub lease: Duration,
}

impl Heartbeat {
    /// Starts renewing `spec`'s lease; sets `cancel` when the lease is lost or `shutdown`
    /// is set.
    pub fn start(spec: LeaseSpec, shutdown: Arc<AtomicBool>, cancel: Arc<AtomicBool>) -> Heartbeat {
        let done = Arc::new(AtomicBool::new(false));
        let stop = done.clone();
        let thread = std::thread::spawn(move || beat(&spec, &stop, &shutdown, &cancel));
        Heartbeat {
            done,
            thread: Some(thread),
        }
    }
}

fn beat(spec: &LeaseSpec, done: &AtomicBool, shutdown: &AtomicBool, cancel: &AtomicBool) {
    let every = spec.lease / 3;
    let mut store: Option<TaskStore> = None;
    let mut last = Instant::now();
    while !done.load(Ordering::Relaxed) {
        if shutdown.load(Ordering::Relaxed) {
            cancel.store(true, Ordering::Relaxed);
        }
        if last.elapsed() >= every {
            last = Instant::now();
            if store.is_none() {
                store = TaskStore::open(&spec.db)
                    .inspect_err(|e| tracing::warn!("heartbeat of task {}: {e}", spec.task))
                    .ok();
            }
            if let Some(db) = &store {
                match db.heartbeat(&spec.task, &spec.owner, spec.lease) {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::info!("task {} lost its lease (cancelled?): stopping", spec.task);
                        cancel.store(true, Ordering::Relaxed);
                    }
                    Err(e) => tracing::warn!("heartbeat of task {}: {e}", spec.task),
                }
            }
        }
        std::thread::sleep(TICK.min(every));
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::NewTask;

    #[test]
    fn renews_the_lease_and_cancels_when_it_is_lost() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("tasks.db");
        let mut store = TaskStore::open(&db).expect("open");
        store
            .add(&NewTask {
                title: "t".into(),
                ..NewTask::default()
            })
            .expect("add");
        let lease = Duration::from_millis(150);
        store.claim("w", lease).expect("claim");
        let cancel = Arc::new(AtomicBool::new(false));
        let spec = LeaseSpec {
            db: db.clone(),
            task: "1".into(),
            owner: "w".into(),
            lease,
        };
        let beat = Heartbeat::start(spec, Arc::new(AtomicBool::new(false)), cancel.clone());
        std::thread::sleep(Duration::from_millis(400));
        assert!(
            store.claim("thief", lease).expect("claim").is_none(),
            "lease kept alive"
        );
        assert!(!cancel.load(Ordering::Relaxed));
        store.cancel("1").expect("cancel");
        std::thread::sleep(Duration::from_millis(200));
        assert!(cancel.load(Ordering::Relaxed), "lost lease raises cancel");
        drop(beat);
    }

    #[test]
    fn shutdown_raises_cancel() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = LeaseSpec {
            db: dir.path().join("tasks.db"),
            task: "1".into(),
            owner: "w".into(),
            lease: Duration::from_secs(30),
        };
        let cancel = Arc::new(AtomicBool::new(false));
        let beat = Heartbeat::start(spec, Arc::new(AtomicBool::new(true)), cancel.clone());
        std::thread::sleep(Duration::from_millis(100));
        assert!(cancel.load(Ordering::Relaxed));
        drop(beat);
    }
}
