//! Where a repository keeps the loop's task store (`.ouro/tasks.db`, read by
//! [`super::loop_store`]), and [`LoopSource`], which reads it only when it changed; the
//! repository's agent sessions are followed by [`super::session`].

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{FileStamp, file_stamp};
use crate::data::{LoopSnapshot, LoopStatus};

/// The repository's task store (ouro-loop's state folder decides where), if any.
pub fn task_store(repo: &Path) -> PathBuf {
    ouro_loop::StateDir::of(repo).db()
}

/// What the loop panel can say about `repo`: its task store's queue, if it has one, with
/// the attempt limit of the repository's loop config.
pub fn loop_status(repo: &Path) -> LoopStatus {
    let store = task_store(repo);
    if store.is_file() {
        let mut status = super::loop_store::snapshot(&store);
        if let LoopStatus::Running(LoopSnapshot {
            running: Some(task),
            ..
        }) = &mut status
        {
            task.max_attempts = ouro_loop::LoopConfig::load(repo, None)
                .ok()
                .map(|c| c.max_attempts);
        }
        status
    } else {
        LoopStatus::Absent {
            reason: format!("no loop running in {}", repo.display()),
        }
    }
}

/// Follows a repository's loop for the dashboard: the task store is opened and queried only
/// when its files or the config changed since the last reading; in between, the last
/// reading is returned with the running task's clock advanced.
#[derive(Debug)]
pub struct LoopSource {
    repo: PathBuf,
    last: Option<(Vec<FileStamp>, Instant, LoopStatus)>,
}

impl LoopSource {
    pub fn new(repo: &Path) -> LoopSource {
        LoopSource {
            repo: repo.to_path_buf(),
            last: None,
        }
    }

    /// The loop as it is now.
    pub fn read(&mut self) -> LoopStatus {
        let stamps = self.stamps();
        let now = Instant::now();
        match &self.last {
            Some((seen, at, status)) if *seen == stamps => advanced(status, now - *at),
            _ => {
                let status = loop_status(&self.repo);
                self.last = Some((stamps, now, status.clone()));
                status
            }
        }
    }

    /// The store, its write-ahead log and the config, whose changes mean a new reading.
    fn stamps(&self) -> Vec<FileStamp> {
        let store = task_store(&self.repo);
        let wal = store.with_extension("db-wal");
        [store, wal, self.repo.join("ouro.toml")]
            .iter()
            .map(|path| file_stamp(path))
            .collect()
    }
}

/// `status` with its running task's elapsed time moved on by `by`.
fn advanced(status: &LoopStatus, by: Duration) -> LoopStatus {
    let mut status = status.clone();
    if let LoopStatus::Running(LoopSnapshot {
        running: Some(task),
        ..
    }) = &mut status
    {
        task.elapsed_ms += by.as_millis() as u64;
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repo_without_a_store_has_no_loop_and_one_with_a_store_is_read() {
        let repo = tempfile::tempdir().unwrap();
        let LoopStatus::Absent { reason } = loop_status(repo.path()) else {
            panic!("no loop expected")
        };
        assert_eq!(
            reason,
            format!("no loop running in {}", repo.path().display())
        );
        std::fs::create_dir_all(repo.path().join(".ouro")).unwrap();
        let mut store = ouro_loop::TaskStore::open(&task_store(repo.path())).unwrap();
        let LoopStatus::Running(snapshot) = loop_status(repo.path()) else {
            panic!("the store should be read")
        };
        assert!(snapshot.running.is_none() && snapshot.recent.is_empty());

        // A running task: its attempt limit comes from the repository's config when present.
        store
            .add(&ouro_loop::NewTask {
                title: "t".into(),
                ..ouro_loop::NewTask::default()
            })
            .unwrap();
        store
            .claim("test", std::time::Duration::from_secs(60))
            .unwrap()
            .unwrap();
        let running = |repo: &Path| match loop_status(repo) {
            LoopStatus::Running(LoopSnapshot {
                running: Some(task),
                ..
            }) => task,
            other => panic!("a running task expected, got {other:?}"),
        };
        assert_eq!(
            running(repo.path()).max_attempts,
            Some(ouro_loop::LoopConfig::default().max_attempts),
            "the default"
        );
        std::fs::write(repo.path().join("ouro.toml"), "[loop]\nmax_attempts = 5\n").unwrap();
        assert_eq!(running(repo.path()).max_attempts, Some(5));
    }

    #[test]
    fn the_loop_source_sees_every_change_and_keeps_the_clock_running_in_between() {
        let repo = tempfile::tempdir().unwrap();
        let mut source = LoopSource::new(repo.path());
        assert!(matches!(source.read(), LoopStatus::Absent { .. }));
        std::fs::create_dir_all(repo.path().join(".ouro")).unwrap();
        let mut store = ouro_loop::TaskStore::open(&task_store(repo.path())).unwrap();
        let task = |title: &str| ouro_loop::NewTask {
            title: title.into(),
            ..ouro_loop::NewTask::default()
        };
        store.add(&task("first")).unwrap();
        store
            .claim("test", Duration::from_secs(60))
            .unwrap()
            .unwrap();
        let elapsed = |status: LoopStatus| match status {
            LoopStatus::Running(LoopSnapshot {
                running: Some(task),
                ..
            }) => task.elapsed_ms,
            other => panic!("a running task expected, got {other:?}"),
        };
        let before = elapsed(source.read());
        std::thread::sleep(Duration::from_millis(30));
        assert!(elapsed(source.read()) >= before + 30, "the clock moves on");
        store.add(&task("second")).unwrap();
        let LoopStatus::Running(snapshot) = source.read() else {
            panic!("the store should be read")
        };
        let pending = snapshot.counts.iter().find(|(s, _)| s == "pending");
        assert_eq!(pending.map(|(_, n)| *n), Some(1), "{:?}", snapshot.counts);
    }
}
