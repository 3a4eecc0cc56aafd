//! The git operations of the loop, through the git command line (`std::process::Command`).
//!
//! A shadow worktree is written by the coder, so nothing in it is trusted: every git call
//! on a worktree gets its repository from the loop itself (`GIT_DIR`, the worktree's record
//! under the main repository's `.git/worktrees/`, found by its `gitdir` back-pointer, and
//! `GIT_WORK_TREE`), never from the worktree's `.git` file, which is checked before each call
//! and put back if it was changed. Every call also switches off what makes git run commands
//! named in config ([`HARDENING`]: hooks, fsmonitor, external diff, pager, editor, ssh, auto
//! gc) and skips the system config; the config git still reads is the main repository's and
//! the user's, which the agent's sandbox cannot write, so the filter and diff drivers a
//! worktree's `.gitattributes` may name are only those the user defined.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::LoopError;

/// Identity used for the loop's commits when the repository has none configured.
const FALLBACK_IDENTITY: [&str; 4] = ["-c", "user.name=ouro", "-c", "user.email=ouro@localhost"];

/// `-c` settings on every call: nothing configured may run a command.
const HARDENING: [&str; 10] = [
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.sshCommand=false",
    "core.pager=cat",
    "core.editor=false",
    "sequence.editor=false",
    "diff.external=",
    "gc.auto=0",
    "maintenance.auto=false",
    "protocol.allow=never",
];

/// A repository, driven through `git`.
#[derive(Debug, Clone)]
pub struct Git {
    repo: PathBuf,
    /// The main repository's git directory (absolute), holding `worktrees/`.
    common_dir: PathBuf,
    /// `-c` options giving commits an identity when none is configured.
    identity: Vec<&'static str>,
}

impl Git {
    /// The repository whose working tree contains `dir` (its top level).
    pub fn open(dir: &Path) -> Result<Git, LoopError> {
        let probe = Git {
            repo: dir.to_path_buf(),
            common_dir: PathBuf::new(),
            identity: Vec::new(),
        };
        let top = probe.run_in(dir, ["rev-parse", "--show-toplevel"])?;
        let repo = PathBuf::from(top);
        let common = probe.run_in(dir, ["rev-parse", "--git-common-dir"])?;
        let common_dir = repo
            .join(common)
            .canonicalize()
            .map_err(|e| LoopError::io("resolve the git directory of", &repo, e))?;
        let configured = probe
            .output_in(&repo, ["config", "user.email"])?
            .status
            .success();
        Ok(Git {
            repo,
            common_dir,
            identity: if configured {
                Vec::new()
            } else {
                FALLBACK_IDENTITY.to_vec()
            },
        })
    }

    /// The repository's top-level directory.
    pub fn repo(&self) -> &Path {
        &self.repo
    }

    fn output_in<I, S>(&self, dir: &Path, args: I) -> Result<Output, LoopError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<S> = args.into_iter().collect();
        let mut command = Command::new("git");
        for setting in HARDENING {
            command.arg("-c").arg(setting);
        }
        command
            .args(&self.identity)
            .args(&args)
            .current_dir(dir)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_COMMON_DIR")
            .env_remove("GIT_CONFIG")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_ATTR_NOSYSTEM", "1")
            .env("LC_ALL", "C")
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::null());
        // A shadow worktree: its repository comes from the loop, not from its `.git` file.
        if dir != self.repo && !self.common_dir.as_os_str().is_empty() {
            let gitdir = self.worktree_gitdir(dir)?;
            command.env("GIT_DIR", gitdir).env("GIT_WORK_TREE", dir);
        }
        command.output().map_err(|e| LoopError::Git {
            args: join(&args),
            dir: dir.to_path_buf(),
            stderr: format!("cannot start git: {e}"),
        })
    }

    /// The git directory of shadow worktree `wt`: its record under the main repository's
    /// `worktrees/`, the one whose `gitdir` file points back at `<wt>/.git`. Puts the
    /// worktree's `.git` file back first if it no longer points at that record.
    fn worktree_gitdir(&self, wt: &Path) -> Result<PathBuf, LoopError> {
        let real = wt
            .canonicalize()
            .map_err(|e| LoopError::io("resolve the worktree", wt, e))?;
        let records = self.common_dir.join("worktrees");
        let entries =
            std::fs::read_dir(&records).map_err(|e| LoopError::io("list", &records, e))?;
        for record in entries.flatten().map(|e| e.path()) {
            let Ok(text) = std::fs::read_to_string(record.join("gitdir")) else {
                continue;
            };
            if points_into(&record, text.trim(), &real) {
                restore_gitfile(wt, &record)?;
                return Ok(record);
            }
        }
        Err(LoopError::Git {
            args: "(find the worktree's record)".into(),
            dir: wt.to_path_buf(),
            stderr: format!(
                "no record under `{}` points at `{}`",
                records.display(),
                wt.join(".git").display()
            ),
        })
    }

    /// Runs git in `dir` and returns its trimmed stdout, or an error with its stderr.
    fn run_in<I, S>(&self, dir: &Path, args: I) -> Result<String, LoopError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<S> = args.into_iter().collect();
        let output = self.output_in(dir, &args)?;
        if !output.status.success() {
            return Err(LoopError::Git {
                args: join(&args),
                dir: dir.to_path_buf(),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// The branch checked out in the repository's main worktree, if any.
    pub fn current_branch(&self) -> Result<Option<String>, LoopError> {
        let output = self.output_in(&self.repo, ["symbolic-ref", "--quiet", "--short", "HEAD"])?;
        let name = String::from_utf8_lossy(&output.stdout).trim().to_string();
        Ok((output.status.success() && !name.is_empty()).then_some(name))
    }

    /// The commit `rev` names.
    pub fn rev_parse(&self, rev: &str) -> Result<String, LoopError> {
        self.run_in(
            &self.repo,
            ["rev-parse", "--verify", &format!("{rev}^{{commit}}")],
        )
    }

    /// Adds a worktree at `path` on a new branch `branch` starting at commit `base`.
    pub fn worktree_add(&self, path: &Path, branch: &str, base: &str) -> Result<(), LoopError> {
        let path = path.to_string_lossy();
        self.run_in(
            &self.repo,
            ["worktree", "add", "--quiet", "-b", branch, &path, base],
        )
        .map(drop)
    }

    /// Removes the worktree at `path`, by force; if git refuses (it is half made or
    /// already gone), deletes the folder and prunes git's record of it.
    pub fn worktree_remove(&self, path: &Path) -> Result<(), LoopError> {
        // Put a changed `.git` file back first (git reads it); a half-made one is removed below.
        let _ = self.worktree_gitdir(path);
        let text = path.to_string_lossy();
        if self
            .run_in(
                &self.repo,
                ["worktree", "remove", "--force", "--force", &text],
            )
            .is_err()
        {
            match std::fs::remove_dir_all(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(LoopError::io("remove worktree folder", path, e));
                }
                _ => {}
            }
            self.run_in(&self.repo, ["worktree", "prune"])?;
        }
        Ok(())
    }

    /// Deletes branch `branch` if it exists.
    pub fn delete_branch(&self, branch: &str) -> Result<(), LoopError> {
        let full = format!("refs/heads/{branch}");
        if self
            .output_in(&self.repo, ["rev-parse", "--verify", "--quiet", &full])?
            .status
            .success()
        {
            self.run_in(&self.repo, ["branch", "-D", "--quiet", branch])?;
        }
        Ok(())
    }

    /// Whether commit `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> Result<bool, LoopError> {
        let args = ["merge-base", "--is-ancestor", ancestor, descendant];
        let output = self.output_in(&self.repo, args)?;
        match output.status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(LoopError::Git {
                args: join(&args),
                dir: self.repo.clone(),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            }),
        }
    }

    /// Stages every change in worktree `wt` and returns the staged diff against `base`.
    pub fn stage_and_diff(&self, wt: &Path, base: &str) -> Result<String, LoopError> {
        self.run_in(wt, ["add", "--all"])?;
        self.staged_diff(wt, base)
    }

    /// Stages `path` in worktree `wt` as it is on disk (a missing file as deleted).
    pub fn stage_path(&self, wt: &Path, path: &str) -> Result<(), LoopError> {
        self.run_in(wt, ["add", "--all", "--", path]).map(drop)
    }

    /// The diff of what is staged in worktree `wt` against `base`.
    pub fn staged_diff(&self, wt: &Path, base: &str) -> Result<String, LoopError> {
        let output = self.output_in(wt, ["diff", "--no-ext-diff", "--cached", "--binary", base])?;
        if !output.status.success() {
            return Err(LoopError::Git {
                args: format!("diff --cached --binary {base}"),
                dir: wt.to_path_buf(),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// The files staged in `wt` that differ from `base`, with their status letter (`A`
    /// added, `M` modified, `D` deleted, ...).
    pub fn staged_files(&self, wt: &Path, base: &str) -> Result<Vec<(char, String)>, LoopError> {
        let out = self.run_in(
            wt,
            ["diff", "--cached", "--name-status", "--no-renames", base],
        )?;
        Ok(out
            .lines()
            .filter_map(|line| {
                let (status, path) = line.split_once('\t')?;
                Some((status.chars().next()?, path.to_string()))
            })
            .collect())
    }

    /// The bytes of `path` as committed in `base`, or `None` when `base` lacks it.
    pub fn file_at(&self, wt: &Path, base: &str, path: &str) -> Result<Option<Vec<u8>>, LoopError> {
        let output = self.output_in(wt, ["show", &format!("{base}:{path}")])?;
        Ok(output.status.success().then_some(output.stdout))
    }

    /// Puts `path` in worktree `wt` back as it is in `base` (removed if `base` lacks it),
    /// in the index and on disk.
    pub fn restore_path(&self, wt: &Path, base: &str, path: &str) -> Result<(), LoopError> {
        let in_base = self
            .output_in(wt, ["cat-file", "-e", &format!("{base}:{path}")])?
            .status
            .success();
        if in_base {
            self.run_in(wt, ["checkout", base, "--", path])?;
        } else {
            self.run_in(wt, ["rm", "-q", "-f", "--cached", "--", path])?;
            let file = wt.join(path);
            if file.exists() {
                std::fs::remove_file(&file).map_err(|e| LoopError::io("remove", &file, e))?;
            }
        }
        Ok(())
    }

    /// Puts worktree `wt` back to `base`: tracked files restored, untracked ones removed
    /// (ignored ones, such as build caches, stay).
    pub fn reset_worktree(&self, wt: &Path, base: &str) -> Result<(), LoopError> {
        self.run_in(wt, ["reset", "--quiet", "--hard", base])?;
        self.run_in(wt, ["clean", "--quiet", "-fd"])?;
        Ok(())
    }

    /// Commits what is staged in `wt` (skipping hooks' prompts) and returns the commit.
    pub fn commit(&self, wt: &Path, message: &str) -> Result<String, LoopError> {
        self.run_in(
            wt,
            [
                "commit",
                "--quiet",
                "--no-verify",
                "--no-gpg-sign",
                "-m",
                message,
            ],
        )?;
        self.run_in(wt, ["rev-parse", "HEAD"])
    }

    /// Rebases `wt`'s branch onto `onto`; on a conflict the rebase is aborted and `false`
    /// returned. Returns the new head on success.
    pub fn rebase(&self, wt: &Path, onto: &str) -> Result<Option<String>, LoopError> {
        let output = self.output_in(wt, ["rebase", "--quiet", "--no-gpg-sign", onto])?;
        if output.status.success() {
            return self.run_in(wt, ["rev-parse", "HEAD"]).map(Some);
        }
        let _ = self.output_in(wt, ["rebase", "--abort"]);
        Ok(None)
    }

    /// Moves `refs/heads/<branch>` from `old` to `new` if it still points at `old`
    /// (compare-and-swap); `false` if it had moved.
    pub fn update_branch_cas(
        &self,
        branch: &str,
        new: &str,
        old: &str,
        reason: &str,
    ) -> Result<bool, LoopError> {
        let full = format!("refs/heads/{branch}");
        let output = self.output_in(&self.repo, ["update-ref", "-m", reason, &full, new, old])?;
        if output.status.success() {
            return Ok(true);
        }
        if self.rev_parse(&full)? != old {
            return Ok(false);
        }
        Err(LoopError::Git {
            args: format!("update-ref {full} {new} {old}"),
            dir: self.repo.clone(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }

    /// After `branch` moved from `old` to `new`: if the main worktree has it checked out,
    /// brings its index and files along (as a fast-forward checkout would), keeping local
    /// changes. Fails if local changes conflict; the branch has moved either way.
    pub fn sync_checked_out(&self, branch: &str, old: &str, new: &str) -> Result<(), LoopError> {
        if self.current_branch()?.as_deref() == Some(branch) {
            self.run_in(&self.repo, ["read-tree", "-m", "-u", old, new])?;
        }
        Ok(())
    }

    /// Subjects of the commits on `branch`, newest first.
    pub fn subjects(&self, branch: &str) -> Result<Vec<String>, LoopError> {
        let text = self.run_in(&self.repo, ["log", "--format=%s", branch])?;
        Ok(text.lines().map(str::to_string).collect())
    }
}

/// Whether `target` (a `.git` path as written in a file in `base`, absolute or relative to
/// it) is the `.git` of directory `dir` (canonical).
fn points_into(base: &Path, target: &str, dir: &Path) -> bool {
    let path = base.join(target);
    path.file_name() == Some(OsStr::new(".git"))
        && path
            .parent()
            .and_then(|p| p.canonicalize().ok())
            .is_some_and(|p| p == dir)
}

/// Puts the `.git` file of worktree `wt` back to `gitdir: <record>` when it says anything
/// else (or was replaced by a directory or a link): the coder may have pointed it at a
/// repository of its own, whose config would run commands.
fn restore_gitfile(wt: &Path, record: &Path) -> Result<(), LoopError> {
    let file = wt.join(".git");
    let intact = std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file())
        && std::fs::read_to_string(&file).is_ok_and(|text| {
            text.trim()
                .strip_prefix("gitdir:")
                .and_then(|target| wt.join(target.trim()).canonicalize().ok())
                .zip(record.canonicalize().ok())
                .is_some_and(|(found, expected)| found == expected)
        });
    if intact {
        return Ok(());
    }
    tracing::warn!(
        "the worktree's `.git` file {} was changed: putting it back",
        file.display()
    );
    let removed = match std::fs::symlink_metadata(&file) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(&file),
        Ok(_) => std::fs::remove_file(&file),
        Err(_) => Ok(()),
    };
    removed.map_err(|e| LoopError::io("remove the changed `.git` of", wt, e))?;
    std::fs::write(&file, format!("gitdir: {}\n", record.display()))
        .map_err(|e| LoopError::io("restore the `.git` file of", wt, e))
}

fn join<S: AsRef<OsStr>>(args: &[S]) -> String {
    args.iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> (tempfile::TempDir, Git) {
        let dir = tempfile::tempdir().expect("tempdir");
        let run = |args: &[&str]| {
            let ok = Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .output()
                .map(|o| o.status.success());
            assert_eq!(ok.ok(), Some(true), "git {args:?}");
        };
        run(&["init", "--quiet", "--initial-branch=main"]);
        std::fs::write(dir.path().join("a.txt"), "a\n").expect("write");
        run(&["add", "a.txt"]);
        run(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "--quiet",
            "-m",
            "first",
        ]);
        let git = Git::open(dir.path()).expect("open");
        (dir, git)
    }

    #[test]
    fn worktree_commit_and_cas_promotion() {
        let (dir, git) = repo();
        assert_eq!(
            git.current_branch().expect("branch").as_deref(),
            Some("main")
        );
        let base = git.rev_parse("main").expect("rev");
        let wt = dir.path().join("wt");
        git.worktree_add(&wt, "task", &base).expect("add");
        std::fs::write(wt.join("b.txt"), "b\n").expect("write");
        let diff = git.stage_and_diff(&wt, &base).expect("diff");
        assert!(diff.contains("+b"), "{diff}");
        let commit = git.commit(&wt, "add b").expect("commit");
        assert!(git.is_ancestor(&base, &commit).expect("ancestor"));
        assert!(!git.is_ancestor(&commit, "main").expect("ancestor"));
        assert!(
            !git.update_branch_cas("main", &commit, &commit, "x")
                .expect("cas"),
            "stale old"
        );
        assert!(
            git.update_branch_cas("main", &commit, &base, "x")
                .expect("cas")
        );
        git.sync_checked_out("main", &base, &commit).expect("sync");
        assert!(
            dir.path().join("b.txt").exists(),
            "checked-out branch follows"
        );
        assert_eq!(git.subjects("main").expect("log"), ["add b", "first"]);
        git.worktree_remove(&wt).expect("remove");
        git.delete_branch("task").expect("delete");
        git.delete_branch("task")
            .expect("deleting a missing branch is fine");
        assert!(!wt.exists());
    }

    #[test]
    fn rebase_conflict_is_aborted() {
        let (dir, git) = repo();
        let base = git.rev_parse("main").expect("rev");
        let wt = dir.path().join("wt");
        git.worktree_add(&wt, "task", &base).expect("add");
        std::fs::write(wt.join("a.txt"), "task\n").expect("write");
        git.stage_and_diff(&wt, &base).expect("stage");
        git.commit(&wt, "task edit").expect("commit");
        let other = dir.path().join("other");
        git.worktree_add(&other, "other", &base).expect("add");
        std::fs::write(other.join("a.txt"), "other\n").expect("write");
        git.stage_and_diff(&other, &base).expect("stage");
        let moved = git.commit(&other, "other edit").expect("commit");
        assert_eq!(git.rebase(&wt, &moved).expect("rebase"), None);
        assert!(git.worktree_remove(&wt).is_ok());
    }

    #[test]
    fn errors_carry_stderr() {
        let (_dir, git) = repo();
        let err = git.rev_parse("no-such-branch").expect_err("missing");
        assert!(err.to_string().contains("no-such-branch"), "{err}");
    }
}
