//! Where a repository keeps the loop's task store (`.ouro/tasks.db`, read by
//! [`super::loop_store`]); its agent sessions are followed by [`super::session`].

use std::path::{Path, PathBuf};

use crate::data::LoopStatus;

/// The repository's task store, if any.
pub fn task_store(repo: &Path) -> PathBuf {
    repo.join(".ouro").join("tasks.db")
}

/// What the loop panel can say about `repo`: its task store's queue, if it has one.
pub fn loop_status(repo: &Path) -> LoopStatus {
    let store = task_store(repo);
    if store.is_file() {
        super::loop_store::snapshot(&store)
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
        ouro_loop::TaskStore::open(&task_store(repo.path())).unwrap();
        let LoopStatus::Running(snapshot) = loop_status(repo.path()) else {
            panic!("the store should be read")
        };
        assert!(snapshot.running.is_none() && snapshot.recent.is_empty());
    }
}
