//! Where a repository keeps the loop's task store (`.ouro/tasks.db`, read by
//! [`super::loop_store`]); its agent sessions are followed by [`super::session`].

use std::path::{Path, PathBuf};

use crate::data::{LoopSnapshot, LoopStatus};

/// The repository's task store, if any.
pub fn task_store(repo: &Path) -> PathBuf {
    repo.join(".ouro").join("tasks.db")
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
        assert_eq!(running(repo.path()).max_attempts, Some(3), "the default");
        std::fs::write(repo.path().join("ouro.toml"), "[loop]\nmax_attempts = 5\n").unwrap();
        assert_eq!(running(repo.path()).max_attempts, Some(5));
    }
}
