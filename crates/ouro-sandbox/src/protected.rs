//! The protected paths of a workspace: what the agent's commands and file tools may never
//! write, whatever the policy says, because writing them would widen the agent's own rights
//! or plant commands that run outside the sandbox later.
//!
//! - `.git` (a directory or a worktree's `gitdir:` file) and every nested `.git`: hooks,
//!   `config` (`core.fsmonitor`, `core.hooksPath`, filters) and the `gitdir:` pointer run
//!   commands in the user's next, unconfined, `git` call;
//! - `.ouro/` and everything named `.ouro*` at the workspace root: sessions, audit logs, the
//!   loop's state;
//! - `ouro.toml`: the workspace's policy and the loop's settings;
//! - `AGENTS.md`: the instructions every later agent session is given.
//!
//! Existing ones are mounted read-only for commands (see [`crate::mountns`]); a missing `.git`
//! or `.ouro` directory is created empty so it can be protected the same way
//! ([`crate::Profile::create_missing`]). A missing *file* cannot be mounted over, so a command
//! could create one: [`RootSnapshot`] finds those created by a command, and the caller removes
//! them ([`RootSnapshot::remove_created`]). Nested `.git` directories a command creates (a new
//! `git init` in a subdirectory) are not removed: that gap is reported by the callers.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// The protected paths, as write-deny patterns relative to the workspace root (the syntax
/// of the permission policy's rules; `dir/**` also denies `dir` itself).
pub const PROTECTED_PATTERNS: [&str; 8] = [
    ".git/**",
    "**/.git",
    "**/.git/**",
    ".ouro/**",
    ".ouro*",
    ".ouro*/**",
    "ouro.toml",
    "AGENTS.md",
];

/// Why this list, in one line (for errors and startup messages).
pub const PROTECTED_SUMMARY: &str =
    "`.git` (hooks, config, the worktree's gitdir file), `.ouro*`, `ouro.toml` and `AGENTS.md`";

/// The names of protected entries at the workspace root.
const ROOT_NAMES: [&str; 4] = [".git", ".ouro*", "ouro.toml", "AGENTS.md"];

/// The patterns as one set (every pattern is valid: checked by the tests).
fn glob_set(patterns: &[&str]) -> GlobSet {
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        if let Ok(glob) = GlobBuilder::new(pattern).literal_separator(true).build() {
            set.add(glob);
        }
    }
    set.build().unwrap_or_else(|_| GlobSet::empty())
}

/// Whether `rel` (relative to the workspace root) is a protected path or lies inside one.
pub fn is_protected(rel: &Path) -> bool {
    glob_set(&PROTECTED_PATTERNS).is_match(rel)
}

/// The protected entries present at a workspace's root at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootSnapshot {
    root: PathBuf,
    present: Vec<PathBuf>,
}

impl RootSnapshot {
    /// The protected entries at `root` now (symbolic links included, not followed).
    pub fn take(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            present: protected_entries(root),
        }
    }

    /// Removes the protected entries at the root that were absent when the snapshot was
    /// taken (a command created them), returning those it removed; one that cannot be
    /// removed is returned as an error naming it.
    pub fn remove_created(&self) -> Result<Vec<PathBuf>, std::io::Error> {
        let mut removed = Vec::new();
        for path in protected_entries(&self.root) {
            if self.present.contains(&path) {
                continue;
            }
            let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
            let result = if is_dir {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            result.map_err(|e| {
                std::io::Error::new(e.kind(), format!("removing `{}`: {e}", path.display()))
            })?;
            removed.push(path);
        }
        Ok(removed)
    }
}

fn protected_entries(root: &Path) -> Vec<PathBuf> {
    let names = glob_set(&ROOT_NAMES);
    let mut found: Vec<PathBuf> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| names.is_match(e.file_name()))
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protects_git_state_config_and_instructions() {
        for path in [
            ".git",
            ".git/hooks/pre-commit",
            ".git/config",
            "sub/.git/hooks/x",
            ".ouro",
            ".ouro/sessions/a",
            ".ouro.toml",
            "ouro.toml",
            "AGENTS.md",
        ] {
            assert!(is_protected(Path::new(path)), "{path}");
        }
        for path in [
            "src/main.rs",
            "docs/ouro.toml.md",
            "sub/AGENTS.md.txt",
            "git",
        ] {
            assert!(!is_protected(Path::new(path)), "{path}");
        }
    }

    #[test]
    fn removes_only_what_was_created_after_the_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("AGENTS.md"), "keep").unwrap();
        let snapshot = RootSnapshot::take(root);
        std::fs::write(root.join("ouro.toml"), "[permissions]").unwrap();
        std::fs::create_dir_all(root.join(".ouro-x/y")).unwrap();
        std::fs::write(root.join("main.rs"), "").unwrap();
        let removed = snapshot.remove_created().unwrap();
        assert_eq!(removed, [root.join(".ouro-x"), root.join("ouro.toml")]);
        assert!(root.join("AGENTS.md").exists() && root.join("main.rs").exists());
        assert!(!root.join("ouro.toml").exists());
    }
}
