//! The loop and agent sources as far as this crate can see them: whether the repository has
//! a task store (`.ouro/tasks.db`) or agent sessions (`.ouro/sessions/<id>/`). Reading
//! their contents belongs to ouro-loop and ouro-agent; until their adapters are wired in,
//! the panels say plainly what exists and that it is not read.

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

/// What the loop panel can say about `repo`.
pub fn loop_status(repo: &Path) -> LoopStatus {
    let store = task_store(repo);
    let reason = if store.is_file() {
        format!(
            "task store {} found; this build has no ouro-loop reader for it",
            store.display()
        )
    } else {
        format!("no loop running in {}", repo.display())
    };
    LoopStatus::Absent { reason }
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
        std::fs::write(task_store(&repo), b"").unwrap();
        let LoopStatus::Absent { reason } = loop_status(&repo) else {
            panic!("absent expected")
        };
        assert!(reason.contains("tasks.db found"), "{reason}");
        let AgentStatus::Absent { reason } = agent_status(&repo) else {
            panic!("absent expected")
        };
        assert!(reason.contains("session s-42 found"), "{reason}");
        std::fs::remove_dir_all(&repo).unwrap();
    }
}
