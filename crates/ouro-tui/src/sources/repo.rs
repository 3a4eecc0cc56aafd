//! Where a repository keeps the loop's task store (`.ouro/tasks.db`, read by
//! [`super::loop_store`]) and its agent sessions (`.ouro/sessions/<id>/`; the agent panel
//! only says whether one exists: reading session journals is not wired in yet).

use std::path::{Path, PathBuf};

use crate::data::{AgentStatus, LoopStatus};

/// The repository's task store, if any.
pub fn task_store(repo: &Path) -> PathBuf {
    repo.join(".ouro").join("tasks.db")
}

/// The repository's sessions folder.
pub fn sessions_dir(repo: &Path) -> PathBuf {
    repo.join(".ouro").join("sessions")
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

/// The newest session folder (by modification time) under `dir`.
fn newest_session(dir: &Path) -> Option<String> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let modified = e.metadata().ok()?.modified().ok()?;
            Some((modified, e.file_name().to_string_lossy().into_owned()))
        })
        .max()
        .map(|(_, name)| name)
}

/// What the agent panel can say about `repo`.
pub fn agent_status(repo: &Path) -> AgentStatus {
    let reason = match newest_session(&sessions_dir(repo)) {
        Some(id) => format!("session {id} found; this build has no ouro-agent journal reader"),
        None => format!("no agent session in {}", repo.display()),
    };
    AgentStatus::Absent { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_repo(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ouro-tui-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn an_empty_repo_has_no_loop_and_no_session() {
        let repo = temp_repo("empty");
        let LoopStatus::Absent { reason } = loop_status(&repo) else {
            panic!("no loop expected")
        };
        assert_eq!(reason, format!("no loop running in {}", repo.display()));
        let AgentStatus::Absent { reason } = agent_status(&repo) else {
            panic!("no session expected")
        };
        assert!(reason.starts_with("no agent session in"), "{reason}");
        std::fs::remove_dir_all(&repo).unwrap();
    }

    #[test]
    fn existing_store_and_session_are_named() {
        let repo = temp_repo("found");
        std::fs::create_dir_all(sessions_dir(&repo).join("s-42")).unwrap();
        ouro_loop::TaskStore::open(&task_store(&repo)).unwrap();
        let LoopStatus::Running(snapshot) = loop_status(&repo) else {
            panic!("the store should be read")
        };
        assert!(snapshot.running.is_none() && snapshot.recent.is_empty());
        let AgentStatus::Absent { reason } = agent_status(&repo) else {
            panic!("absent expected")
        };
        assert!(reason.contains("session s-42 found"), "{reason}");
        std::fs::remove_dir_all(&repo).unwrap();
    }
}
