//! Recovery after a crash in the middle of a promotion: an intent whose commit reached
//! the target marks the task done without running it again; an intent whose commit did
//! not is discarded and the task runs again, promoted once.

mod common;

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use common::{git, repo, script, subjects};
use ouro_loop::ledger::{Ledger, LoopEvent};
use ouro_loop::{LoopConfig, LoopOptions, Mode, NewTask, Personas, Status, open_store, run_loop};

/// Leaves the state a crash during promotion leaves: task 1 claimed by a dead worker and
/// an intent to promote `commit` (a commit on its own branch) journaled.
fn crash_during_promotion(repo: &Path, landed: bool) -> String {
    let (state, mut store) = open_store(repo).expect("store");
    store
        .add(&NewTask {
            title: "the task".into(),
            tests: vec!["test -f task.txt".into()],
            ..NewTask::default()
        })
        .expect("add");
    store
        .claim("deadhost:1:1/w0", Duration::from_secs(3600))
        .expect("claim");
    let base = git(repo, &["rev-parse", "main"]);
    git(repo, &["checkout", "--quiet", "-b", "ouro/task-1-1"]);
    fs::write(repo.join("task.txt"), "done\n").expect("write");
    git(repo, &["add", "task.txt"]);
    git(repo, &["commit", "--quiet", "-m", "ouro task 1: the task"]);
    let commit = git(repo, &["rev-parse", "HEAD"]);
    git(repo, &["checkout", "--quiet", "main"]);
    let mut ledger = Ledger::open(&state.journal(), repo).expect("ledger");
    ledger
        .record(&LoopEvent::PromoteIntent {
            task: "1".into(),
            run: 1,
            commit: commit.clone(),
            target: "main".into(),
            old: base.clone(),
        })
        .expect("intent");
    if landed {
        git(repo, &["update-ref", "refs/heads/main", &commit, &base]);
        git(repo, &["reset", "--quiet", "--hard"]);
    }
    commit
}

fn run(repo: &Path, coder: &Path) -> ouro_loop::LoopSummary {
    let text = format!("[loop.coder]\ncommand = \"{}\"\n", coder.display());
    let config = LoopConfig::from_toml(&text, Path::new("ouro.toml")).expect("config");
    let personas = Personas::from_config(&config, Path::new("ouro.toml")).expect("personas");
    run_loop(
        LoopOptions {
            repo: repo.to_path_buf(),
            config,
            mode: Mode::Drain { max_tasks: None },
            watch: None,
            stop: Arc::new(AtomicBool::new(false)),
            notify: Arc::new(|_| {}),
        },
        personas,
    )
    .expect("loop")
}

#[test]
fn a_promotion_that_landed_is_marked_done_not_redone() {
    let repo = repo();
    let bin = tempfile::tempdir().expect("tempdir");
    let commit = crash_during_promotion(repo.path(), true);
    let coder = script(bin.path(), "coder.sh", "echo ran >> coder-ran.txt");
    let summary = run(repo.path(), &coder);
    assert_eq!(summary.recovery.resolved, ["1"]);
    assert_eq!(summary.processed, 0, "nothing ran again");
    let (_, store) = open_store(repo.path()).expect("store");
    let task = store.get("1").expect("task");
    assert_eq!(task.status, Status::Done);
    assert_eq!(task.commit.as_deref(), Some(commit.as_str()));
    let ours = subjects(repo.path(), "main")
        .iter()
        .filter(|s| s.starts_with("ouro task 1:"))
        .count();
    assert_eq!(ours, 1);
    println!("recovery took {} us", summary.recovery.recovery_us);
}

#[test]
fn a_promotion_that_did_not_land_runs_again_once() {
    let repo = repo();
    let bin = tempfile::tempdir().expect("tempdir");
    crash_during_promotion(repo.path(), false);
    let coder = script(bin.path(), "coder.sh", "echo again > task.txt");
    let summary = run(repo.path(), &coder);
    assert_eq!(summary.recovery.released, ["1"]);
    assert!(summary.recovery.resolved.is_empty());
    assert_eq!(summary.processed, 1);
    let (_, store) = open_store(repo.path()).expect("store");
    let task = store.get("1").expect("task");
    assert_eq!((task.status, task.runs), (Status::Done, 2));
    assert_eq!(git(repo.path(), &["show", "main:task.txt"]), "again");
    let ours = subjects(repo.path(), "main")
        .iter()
        .filter(|s| s.starts_with("ouro task 1:"))
        .count();
    assert_eq!(ours, 1);
    let branches = git(repo.path(), &["branch", "--list", "ouro/*"]);
    assert!(
        branches.is_empty(),
        "the crashed run's branch is removed: {branches}"
    );
}
