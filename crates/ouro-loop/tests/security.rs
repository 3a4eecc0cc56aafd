//! What the loop runs must not escape: a coder that rewrites its worktree's `.git` file to
//! point at a repository of its own (whose config names an fsmonitor and hooks) never gets
//! those commands run by the loop's git, and the task's tests and the repository's test
//! command run in the sandbox: they cannot write outside the worktree (not even in the shared
//! `/tmp`) nor write the worktree's `.git` file, and they (and a command judge) never see a
//! secret of ouro's own environment.

mod common;

use std::fs;
use std::path::Path;

use common::{drain, git, repo, script};
use ouro_loop::{LoopConfig, LoopSummary, NewTask, Personas, Status, TaskStore, open_store};
use ouro_sandbox::Sandbox;

fn run(repo: &Path, config: &str) -> LoopSummary {
    let config = LoopConfig::from_toml(config, Path::new("ouro.toml")).expect("config");
    let personas = Personas::from_config(&config, Path::new("ouro.toml")).expect("personas");
    drain(repo, config, personas)
}

fn add(repo: &Path, tests: &[&str]) -> TaskStore {
    let (_, mut store) = open_store(repo).expect("store");
    store
        .add(&NewTask {
            title: "say hello".into(),
            tests: tests.iter().map(|t| t.to_string()).collect(),
            ..NewTask::default()
        })
        .expect("add");
    store
}

/// Whether the kernel can confine commands as the loop requires by default; prints why not.
fn confinable() -> bool {
    let sandbox = Sandbox::probe();
    let ok = sandbox.landlock_abi().is_some() && sandbox.mount_ns().is_some();
    if !ok {
        eprintln!(
            "!!! skipped: the kernel cannot confine\n{}",
            sandbox.report()
        );
    }
    ok
}

/// A coder that writes `hello.txt` and points the worktree's `.git` at a repository it made,
/// whose fsmonitor and hooks (every name git runs) write `marker`.
fn hijacking_coder(bin: &Path, evil: &Path, marker: &Path) -> std::path::PathBuf {
    let hook = format!("#!/bin/sh\necho ran >> {}\n", marker.display());
    script(
        bin,
        "coder.sh",
        &format!(
            r#"echo hello > hello.txt
rm -rf {evil}
git init --quiet {evil}
printf '%s' '{hook}' > {evil}/planted.sh
chmod +x {evil}/planted.sh
git -C {evil} config core.fsmonitor {evil}/planted.sh
git -C {evil} config core.pager {evil}/planted.sh
git -C {evil} config diff.external {evil}/planted.sh
for h in pre-commit post-commit commit-msg prepare-commit-msg post-checkout post-index-change reference-transaction post-rewrite pre-rebase; do
  cp {evil}/planted.sh {evil}/.git/hooks/$h
done
printf 'gitdir: {evil}/.git\n' > .git"#,
            evil = evil.display(),
        ),
    )
}

#[test]
fn a_rewritten_git_file_never_runs_the_planted_fsmonitor_or_hooks() {
    let repo = repo();
    let bin = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    let marker = outside.path().join("marker");
    let coder = hijacking_coder(bin.path(), &outside.path().join("evil"), &marker);
    let store = add(repo.path(), &["grep -q hello hello.txt"]);
    // The sandbox may be off here: this is about the loop's own git calls.
    let config = format!(
        "[loop]\nsandbox = \"off\"\n[loop.coder]\ncommand = \"{}\"\n",
        coder.display()
    );
    run(repo.path(), &config);
    assert!(
        !marker.exists(),
        "a planted command ran: {}",
        fs::read_to_string(&marker).unwrap_or_default()
    );
    let task = store.get("1").expect("task");
    assert_eq!(task.status, Status::Done, "{task:?}");
    assert_eq!(git(repo.path(), &["show", "main:hello.txt"]), "hello");
}

#[test]
fn planted_hooks_and_config_in_the_main_repository_do_not_run() {
    // What a user-level hook or fsmonitor would run is not the agent's doing, but the loop
    // runs no configured commands at all: none of these fire either.
    let repo = repo();
    let bin = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    let marker = outside.path().join("marker");
    let planted = script(
        outside.path(),
        "planted.sh",
        &format!("echo ran >> {}", marker.display()),
    );
    for hook in [
        "pre-commit",
        "post-commit",
        "post-checkout",
        "reference-transaction",
    ] {
        fs::copy(&planted, repo.path().join(".git/hooks").join(hook)).expect("hook");
    }
    git(
        repo.path(),
        &["config", "core.fsmonitor", &planted.to_string_lossy()],
    );
    let coder = script(bin.path(), "coder.sh", "echo hello > hello.txt");
    let store = add(repo.path(), &["grep -q hello hello.txt"]);
    let config = format!("[loop.coder]\ncommand = \"{}\"\n", coder.display());
    if !confinable() {
        return;
    }
    run(repo.path(), &config);
    assert!(!marker.exists(), "a configured command ran");
    assert_eq!(store.get("1").expect("task").status, Status::Done);
}

#[test]
fn task_tests_cannot_write_outside_the_worktree_or_its_git_file() {
    if !confinable() {
        return;
    }
    let repo = repo();
    let bin = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    let escaped = outside.path().join("escaped");
    let coder = script(bin.path(), "coder.sh", "echo hello > hello.txt");
    // Each test tries to escape and still passes, so the task goes on to the next one.
    let tests = [
        format!("echo x > {} || true", escaped.display()),
        "printf 'gitdir: /tmp/nowhere\\n' > .git; ! grep -q nowhere .git".to_string(),
        format!(
            "echo y > {}/../main-escape || true",
            repo.path().join(".git").display()
        ),
        "echo z > ../../../escape || true".to_string(),
        "grep -q hello hello.txt && echo scratch > \"$TMPDIR/ok\"".to_string(),
    ];
    let tests: Vec<&str> = tests.iter().map(String::as_str).collect();
    let store = add(repo.path(), &tests);
    let config = format!("[loop.coder]\ncommand = \"{}\"\n", coder.display());
    run(repo.path(), &config);
    let task = store.get("1").expect("task");
    assert_eq!(task.status, Status::Done, "{task:?}");
    assert!(!escaped.exists(), "a task test wrote outside the worktree");
    assert!(!repo.path().join("main-escape").exists());
    assert!(!repo.path().join("escape").exists());
    assert_eq!(git(repo.path(), &["show", "main:hello.txt"]), "hello");
}

#[test]
fn a_failing_escape_fails_the_tests() {
    if !confinable() {
        return;
    }
    let repo = repo();
    let bin = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    let escaped = outside.path().join("escaped");
    let coder = script(bin.path(), "coder.sh", "echo hello > hello.txt");
    let test = format!("echo x > {}", escaped.display());
    let store = add(repo.path(), &[&test]);
    let config = format!(
        "[loop]\nmax_attempts = 1\n[loop.coder]\ncommand = \"{}\"\n",
        coder.display()
    );
    run(repo.path(), &config);
    assert_eq!(store.get("1").expect("task").status, Status::Failed);
    assert!(!escaped.exists());
}

#[test]
fn protected_files_never_reach_the_target_branch() {
    let repo = repo();
    let bin = tempfile::tempdir().expect("tempdir");
    let coder = script(
        bin.path(),
        "coder.sh",
        "echo hello > hello.txt\nprintf '[loop]\\nsandbox = \"off\"\\n' > ouro.toml\necho obey > AGENTS.md",
    );
    let store = add(repo.path(), &["grep -q hello hello.txt"]);
    let config = format!(
        "[loop]\nsandbox = \"off\"\n[loop.coder]\ncommand = \"{}\"\n",
        coder.display()
    );
    run(repo.path(), &config);
    assert_eq!(store.get("1").expect("task").status, Status::Done);
    let files = git(repo.path(), &["ls-tree", "--name-only", "main"]);
    assert!(files.contains("hello.txt"), "{files}");
    assert!(
        !files.contains("ouro.toml") && !files.contains("AGENTS.md"),
        "{files}"
    );
}

#[test]
fn a_change_that_rewrites_its_test_is_not_promoted() {
    let repo = repo();
    fs::write(repo.path().join("check.sh"), "grep -q hello hello.txt\n").expect("write");
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "--quiet", "-m", "a check"]);
    let bin = tempfile::tempdir().expect("tempdir");
    // The coder makes the check pass by rewriting it instead of writing hello.txt.
    let coder = script(bin.path(), "coder.sh", "echo 'exit 0' > check.sh");
    let store = add(repo.path(), &["sh ./check.sh"]);
    let config = format!(
        "[loop]\nsandbox = \"off\"\nmax_attempts = 1\n[loop.coder]\ncommand = \"{}\"\n",
        coder.display()
    );
    run(repo.path(), &config);
    assert_ne!(store.get("1").expect("task").status, Status::Done);
    let check = git(repo.path(), &["show", "main:check.sh"]);
    assert!(check.contains("grep -q hello"), "{check}");
    let runs = repo.path().join(".ouro/runs");
    let mut dropped = String::new();
    for run in fs::read_dir(&runs).expect("runs").flatten() {
        dropped
            .push_str(&fs::read_to_string(run.path().join("protected-1.json")).unwrap_or_default());
    }
    assert!(
        dropped.contains("check.sh") && dropped.contains("the task's tests run"),
        "{dropped}"
    );
}

/// Every log the loop wrote under `dir` (`.ouro/runs/...`), concatenated.
fn logs(dir: &Path) -> String {
    let mut text = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "log") {
                text.push_str(&fs::read_to_string(&path).unwrap_or_default());
            }
        }
    }
    text
}

#[test]
fn task_tests_and_judges_get_a_scrubbed_environment() {
    const SECRET: &str = "sekrit-value-4711";
    // SAFETY: set before this test's loop starts; other tests of this binary only pass it on
    // to the coder commands they run, which never print it.
    unsafe {
        std::env::set_var("OURO_TEST_SECRET_TOKEN", SECRET);
    }
    let repo = repo();
    let bin = tempfile::tempdir().expect("tempdir");
    let coder = script(bin.path(), "coder.sh", "echo hello > hello.txt");
    // The judge keeps the variables the loop passes on purpose, and sees no secret either.
    let judge = script(
        bin.path(),
        "judge.sh",
        "env
[ -z \"$OURO_TEST_SECRET_TOKEN\" ] && [ \"$OURO_TASK_ID\" = 1 ]",
    );
    let store = add(
        repo.path(),
        &[
            "env",
            "echo \"token=[$OURO_TEST_SECRET_TOKEN]\"; [ -z \"$OURO_TEST_SECRET_TOKEN\" ]",
            // PATH still finds programs, and the private TMPDIR is writable.
            "bash -c 'echo via-path' && echo scratch > \"$TMPDIR/ok\" && grep -q hello hello.txt",
        ],
    );
    // Best effort: the environment is scrubbed whatever the kernel offers.
    let config = format!(
        "[loop]\nsandbox = \"best-effort\"\ntest_command = \"env\"\n[loop.coder]\ncommand = \"{}\"\n\
         [loop.judge]\nkind = \"command\"\ncommand = \"{}\"\n",
        coder.display(),
        judge.display()
    );
    run(repo.path(), &config);
    let task = store.get("1").expect("task");
    let text = logs(&repo.path().join(".ouro"));
    assert_eq!(task.status, Status::Done, "{task:?}\n{text}");
    assert!(
        !text.contains(SECRET),
        "a secret reached a confined command:\n{text}"
    );
    assert!(
        text.contains("token=[]") && text.contains("via-path") && text.contains("PATH="),
        "{text}"
    );
    assert!(
        text.contains("OURO_TASK_ID=1"),
        "the judge's own variables: {text}"
    );
}
