//! Helpers for the loop's integration tests: a small git repository, scripts, git queries.

#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs git in `dir` with a fixed identity and returns its trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(["-c", "user.name=test", "-c", "user.email=test@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A repository on branch `main` with `README` and `keep.txt` committed.
pub fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "--quiet", "--initial-branch=main"]);
    fs::write(dir.path().join("README"), "a test repository\n").expect("write");
    fs::write(dir.path().join("keep.txt"), "the repo's tests need me\n").expect("write");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "--quiet", "-m", "initial"]);
    dir
}

/// Writes an executable shell script `name` into `dir` and returns its path.
pub fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\nset -e\n{body}\n")).expect("write script");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// Subjects of the commits on `branch`, newest first.
pub fn subjects(repo: &Path, branch: &str) -> Vec<String> {
    git(repo, &["log", "--format=%s", branch])
        .lines()
        .map(str::to_string)
        .collect()
}

/// Whether `branch` has merge commits.
pub fn has_merges(repo: &Path, branch: &str) -> bool {
    !git(repo, &["rev-list", "--merges", branch]).is_empty()
}

/// The branches whose names start with `ouro/`.
pub fn ouro_branches(repo: &Path) -> Vec<String> {
    git(
        repo,
        &["branch", "--list", "ouro/*", "--format=%(refname:short)"],
    )
    .lines()
    .map(str::to_string)
    .collect()
}

/// Runs the loop on `repo` until its queue is empty.
pub fn drain(
    repo: &Path,
    config: ouro_loop::LoopConfig,
    personas: ouro_loop::Personas,
) -> ouro_loop::LoopSummary {
    ouro_loop::run_loop(
        ouro_loop::LoopOptions {
            repo: repo.to_path_buf(),
            config,
            mode: ouro_loop::Mode::Drain { max_tasks: None },
            watch: None,
            stop: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
            notify: std::sync::Arc::new(|_| {}),
        },
        personas,
    )
    .expect("loop")
}
