//! The loop's state folder in a repository, `.ouro/`: the task store, the journal, run
//! folders and shadow worktrees.

use std::fs;
use std::path::{Path, PathBuf};

use crate::LoopError;

/// Name of the state folder inside a repository.
pub const STATE_DIR: &str = ".ouro";

/// Paths inside `<repo>/.ouro/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// The state folder of `repo` (not created).
    pub fn of(repo: &Path) -> StateDir {
        StateDir {
            root: repo.join(STATE_DIR),
        }
    }

    /// Creates the folders, with a `.gitignore` that keeps git from seeing any of it.
    pub fn create(&self) -> Result<(), LoopError> {
        for dir in [self.root.clone(), self.runs(), self.worktrees()] {
            fs::create_dir_all(&dir).map_err(|e| LoopError::io("create", &dir, e))?;
        }
        let ignore = self.root.join(".gitignore");
        if !ignore.exists() {
            fs::write(&ignore, "*\n").map_err(|e| LoopError::io("write", &ignore, e))?;
        }
        Ok(())
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The task store.
    pub fn db(&self) -> PathBuf {
        self.root.join("tasks.db")
    }

    /// The loop journal.
    pub fn journal(&self) -> PathBuf {
        self.root.join("journal")
    }

    /// The run folders.
    pub fn runs(&self) -> PathBuf {
        self.root.join("runs")
    }

    /// The shadow worktrees.
    pub fn worktrees(&self) -> PathBuf {
        self.root.join("worktrees")
    }

    /// The run folder of run `run` of task `id`.
    pub fn run_dir(&self, id: &str, run: u32) -> PathBuf {
        self.runs().join(format!("{id}-{run}"))
    }

    /// The worktree of run `run` of task `id`.
    pub fn worktree(&self, id: &str, run: u32) -> PathBuf {
        self.worktrees().join(worktree_name(id, run))
    }
}

/// The branch of run `run` of task `id`.
pub fn branch_name(id: &str, run: u32) -> String {
    format!("ouro/{}", worktree_name(id, run))
}

fn worktree_name(id: &str, run: u32) -> String {
    format!("task-{id}-{run}")
}

/// The branch of a worktree folder name made by [`StateDir::worktree`].
pub fn branch_of_worktree(name: &str) -> Option<String> {
    name.starts_with("task-").then(|| format!("ouro/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_up() {
        let state = StateDir::of(Path::new("/r"));
        assert_eq!(
            state.worktree("7", 2),
            Path::new("/r/.ouro/worktrees/task-7-2")
        );
        assert_eq!(branch_name("7", 2), "ouro/task-7-2");
        assert_eq!(
            branch_of_worktree("task-7-2").as_deref(),
            Some("ouro/task-7-2")
        );
        assert_eq!(branch_of_worktree("junk"), None);
        assert_eq!(state.run_dir("7", 2), Path::new("/r/.ouro/runs/7-2"));
    }

    #[test]
    fn create_hides_itself_from_git() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = StateDir::of(dir.path());
        state.create().expect("create");
        state.create().expect("idempotent");
        assert!(state.worktrees().is_dir() && state.runs().is_dir());
        assert_eq!(
            fs::read_to_string(state.root().join(".gitignore"))
                .ok()
                .as_deref(),
            Some("*\n")
        );
    }
}
