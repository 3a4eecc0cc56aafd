//! End-to-end runs of the loop on a small git repository with scripted `command` coders
//! and judges: promotion, fixing from fed-back errors, rejection, broken repo tests,
//! a moved target, kept branches.

mod common;

use std::fs;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use common::{git, has_merges, ouro_branches, repo, script, subjects};
use ouro_loop::{
    LoopConfig, LoopOptions, LoopSummary, Mode, NewTask, Notice, Personas, Status, TaskStore,
    open_store, run_loop,
};

/// Runs the loop to the end of the queue with `config` (an `ouro.toml` text).
fn run(repo: &Path, config: &str) -> (LoopSummary, Vec<Notice>) {
    let config = LoopConfig::from_toml(config, Path::new("ouro.toml")).expect("config");
    let personas = Personas::from_config(&config, Path::new("ouro.toml")).expect("personas");
    let notices = Arc::new(Mutex::new(Vec::new()));
    let sink = notices.clone();
    let summary = run_loop(
        LoopOptions {
            repo: repo.to_path_buf(),
            config,
            mode: Mode::Drain { max_tasks: None },
            watch: None,
            stop: Arc::new(AtomicBool::new(false)),
            notify: Arc::new(move |n: &Notice| {
                if let Ok(mut list) = sink.lock() {
                    list.push(n.clone());
                }
            }),
        },
        personas,
    )
    .expect("loop");
    let notices = notices.lock().expect("notices").clone();
    (summary, notices)
}

fn add(repo: &Path, title: &str, tests: &[&str]) -> TaskStore {
    let (_, mut store) = open_store(repo).expect("store");
    store
        .add(&NewTask {
            title: title.into(),
            tests: tests.iter().map(|t| t.to_string()).collect(),
            ..NewTask::default()
        })
        .expect("add");
    store
}

#[test]
fn a_passing_task_is_promoted() {
    let repo = repo();
    let bin = tempfile::tempdir().expect("tempdir");
    let coder = script(
        bin.path(),
        "coder.sh",
        "echo \"hello from $OURO_TASK_ID\" > hello.txt",
    );
    let store = add(repo.path(), "say hello", &["grep -q hello hello.txt"]);
    let before = git(repo.path(), &["rev-parse", "main"]);
    let config = format!(
        "[loop]\ntest_command = \"test -f keep.txt\"\n[loop.coder]\ncommand = \"{}\"\n",
        coder.display()
    );
    let (summary, notices) = run(repo.path(), &config);
    assert_eq!(summary.processed, 1);
    let task = store.get("1").expect("task");
    assert_eq!(task.status, Status::Done, "{task:?}");
    assert_eq!(task.attempts, 1);
    let main = git(repo.path(), &["rev-parse", "main"]);
    assert_eq!(task.commit.as_deref(), Some(main.as_str()));
    assert_eq!(
        git(repo.path(), &["rev-parse", "main~1"]),
        before,
        "fast-forward by one"
    );
    assert_eq!(subjects(repo.path(), "main")[0], "ouro task 1: say hello");
    assert_eq!(
        git(repo.path(), &["show", "main:hello.txt"]),
        "hello from 1"
    );
    assert!(!has_merges(repo.path(), "main"));
    assert!(
        ouro_branches(repo.path()).is_empty(),
        "the task branch is deleted"
    );
    let run_dir = repo.path().join(".ouro/runs/1-1");
    for file in [
        "task.json",
        "coder-1.log",
        "tests-1.log",
        "patch.diff",
        "verdict.json",
        "outcome.json",
    ] {
        assert!(
            run_dir.join(file).is_file(),
            "{file} missing from the run folder"
        );
    }
    let verdict = fs::read_to_string(run_dir.join("verdict.json")).expect("verdict");
    assert!(verdict.contains("\"accepted\": true"), "{verdict}");
    assert!(
        fs::read_to_string(run_dir.join("patch.diff"))
            .expect("patch")
            .contains("+hello from 1")
    );
    assert_eq!(
        fs::read_dir(repo.path().join(".ouro/worktrees"))
            .expect("dir")
            .count(),
        0
    );
    assert!(
        notices
            .iter()
            .any(|n| matches!(n, Notice::TaskFinished(s) if s.outcome == "done"))
    );
    // The checked-out main followed the promotion.
    assert!(repo.path().join("hello.txt").is_file());
}

#[test]
fn a_failing_first_attempt_is_fixed_from_the_fed_back_error() {
    let repo = repo();
    let bin = tempfile::tempdir().expect("tempdir");
    let seen = bin.path().join("seen-feedback.txt");
    let coder = script(
        bin.path(),
        "coder.sh",
        &format!(
            "if [ \"$OURO_ATTEMPT\" = 1 ]; then echo 41 > answer.txt; else\n\
             cat \"$OURO_FEEDBACK_FILE\" > {seen}\necho \"$OURO_FEEDBACK\" >> {seen}\necho 42 > answer.txt; fi",
            seen = seen.display()
        ),
    );
    let store = add(
        repo.path(),
        "answer",
        &["grep -qx 42 answer.txt || { echo 'expected 42 in answer.txt' >&2; exit 1; }"],
    );
    let config = format!("[loop.coder]\ncommand = \"{}\"\n", coder.display());
    run(repo.path(), &config);
    let task = store.get("1").expect("task");
    assert_eq!(task.status, Status::Done, "{task:?}");
    assert_eq!(task.attempts, 2);
    let feedback = fs::read_to_string(&seen).expect("the coder saw feedback");
    assert!(feedback.contains("expected 42 in answer.txt"), "{feedback}");
    assert!(feedback.contains("exit code 1"), "{feedback}");
    assert_eq!(git(repo.path(), &["show", "main:answer.txt"]), "42");
    assert!(repo.path().join(".ouro/runs/1-1/feedback-2.txt").is_file());
}

#[test]
fn a_task_the_judge_rejects_is_not_promoted() {
    let repo = repo();
    let bin = tempfile::tempdir().expect("tempdir");
    let coder = script(bin.path(), "coder.sh", "echo clever >> clever.txt");
    let judge = script(
        bin.path(),
        "judge.sh",
        "grep -q clever \"$OURO_DIFF_FILE\"\necho 'too clever by half'\nexit 1",
    );
    let store = add(repo.path(), "be clever", &[]);
    let before = git(repo.path(), &["rev-parse", "main"]);
    let config = format!(
        "[loop]\nmax_attempts = 2\n[loop.coder]\ncommand = \"{}\"\n[loop.judge]\nkind = \"command\"\ncommand = \"{}\"\n",
        coder.display(),
        judge.display()
    );
    run(repo.path(), &config);
    let task = store.get("1").expect("task");
    assert_eq!(task.status, Status::Rejected);
    assert_eq!(task.attempts, 2, "the rejection is fed back and retried");
    assert!(
        task.error
            .as_deref()
            .unwrap_or_default()
            .contains("too clever by half"),
        "{:?}",
        task.error
    );
    assert_eq!(
        git(repo.path(), &["rev-parse", "main"]),
        before,
        "nothing promoted"
    );
    assert!(ouro_branches(repo.path()).is_empty());
    let verdict =
        fs::read_to_string(repo.path().join(".ouro/runs/1-1/verdict.json")).expect("verdict");
    assert!(
        verdict.contains("\"accepted\": false") && verdict.contains("too clever"),
        "{verdict}"
    );
}

#[test]
fn a_task_that_breaks_the_repository_tests_is_never_promoted() {
    let repo = repo();
    let bin = tempfile::tempdir().expect("tempdir");
    let coder = script(bin.path(), "coder.sh", "rm -f keep.txt\necho new > new.txt");
    let store = add(repo.path(), "tidy up", &["test -f new.txt"]);
    let before = git(repo.path(), &["rev-parse", "main"]);
    let config = format!(
        "[loop]\ntest_command = \"test -f keep.txt\"\nmax_attempts = 3\n[loop.coder]\ncommand = \"{}\"\n",
        coder.display()
    );
    run(repo.path(), &config);
    let task = store.get("1").expect("task");
    assert_eq!(task.status, Status::Failed);
    assert_eq!(task.attempts, 3);
    assert!(
        task.error
            .as_deref()
            .unwrap_or_default()
            .contains("test -f keep.txt"),
        "{task:?}"
    );
    assert_eq!(git(repo.path(), &["rev-parse", "main"]), before);
    assert!(ouro_branches(repo.path()).is_empty());
}

#[test]
fn a_moved_target_is_rebased_onto_and_tested_again() {
    let repo = repo();
    let bin = tempfile::tempdir().expect("tempdir");
    // The coder also commits to main behind the loop's back, as a person would.
    let coder = script(
        bin.path(),
        "coder.sh",
        &format!(
            "echo task > task.txt\n\
             cd {repo}\necho other > other.txt\ngit add other.txt\n\
             git -c user.name=p -c user.email=p@p commit --quiet -m 'someone else'",
            repo = repo.path().display()
        ),
    );
    let store = add(repo.path(), "in parallel", &["test -f task.txt"]);
    let config = format!("[loop.coder]\ncommand = \"{}\"\n", coder.display());
    run(repo.path(), &config);
    assert_eq!(store.get("1").expect("task").status, Status::Done);
    assert_eq!(
        subjects(repo.path(), "main"),
        ["ouro task 1: in parallel", "someone else", "initial"]
    );
    assert!(!has_merges(repo.path(), "main"));
    assert!(
        repo.path()
            .join(".ouro/runs/1-1/tests-rebased-1.log")
            .is_file()
    );
}

#[test]
fn kept_branches_hold_the_failed_work() {
    let repo = repo();
    let bin = tempfile::tempdir().expect("tempdir");
    let coder = script(bin.path(), "coder.sh", "echo wrong > answer.txt");
    let store = add(repo.path(), "answer", &["grep -qx 42 answer.txt"]);
    let config = format!(
        "[loop]\nkeep_branches = true\nmax_attempts = 1\n[loop.coder]\ncommand = \"{}\"\n",
        coder.display()
    );
    run(repo.path(), &config);
    assert_eq!(store.get("1").expect("task").status, Status::Failed);
    assert_eq!(ouro_branches(repo.path()), ["ouro/task-1-1"]);
    assert_eq!(
        git(repo.path(), &["show", "ouro/task-1-1:answer.txt"]),
        "wrong"
    );
}

#[test]
fn parallel_workers_promote_every_task_once_in_a_line() {
    let repo = repo();
    let bin = tempfile::tempdir().expect("tempdir");
    let coder = script(
        bin.path(),
        "coder.sh",
        "sleep 0.05\necho \"$OURO_TASK_ID\" > \"file-$OURO_TASK_ID.txt\"",
    );
    let (_, mut store) = open_store(repo.path()).expect("store");
    for i in 1..=6 {
        store
            .add(&NewTask {
                title: format!("file {i}"),
                tests: vec![format!("test -f file-{i}.txt")],
                ..NewTask::default()
            })
            .expect("add");
    }
    let config = format!(
        "[loop]\nworkers = 3\ntest_command = \"test -f keep.txt\"\n[loop.coder]\ncommand = \"{}\"\n",
        coder.display()
    );
    let (summary, _) = run(repo.path(), &config);
    assert_eq!(summary.processed, 6);
    for task in store.list(None).expect("list") {
        assert_eq!(task.status, Status::Done, "{task:?}");
    }
    let log = subjects(repo.path(), "main");
    assert_eq!(log.len(), 7, "{log:?}");
    assert!(!has_merges(repo.path(), "main"));
    for i in 1..=6 {
        assert_eq!(
            git(repo.path(), &["show", &format!("main:file-{i}.txt")]),
            i.to_string()
        );
    }
}

#[test]
fn files_the_task_does_not_need_are_dropped_before_promotion() {
    let repo = repo();
    let bin = tempfile::tempdir().expect("tempdir");
    let coder = script(
        bin.path(),
        "coder.sh",
        "echo hello > hello.txt\necho '{}' > settings.json\nmkdir -p __pycache__ && echo x > __pycache__/m.pyc",
    );
    let store = add(repo.path(), "say hello", &["grep -q hello hello.txt"]);
    let config = format!("[loop.coder]\ncommand = \"{}\"\n", coder.display());
    run(repo.path(), &config);
    let task = store.get("1").expect("task");
    assert_eq!(task.status, Status::Done, "{task:?}");
    let files = git(repo.path(), &["show", "--name-only", "--format=", "main"]);
    assert_eq!(files, "hello.txt", "only what the task needs is promoted");
    let dropped = fs::read_to_string(repo.path().join(".ouro/runs/1-1/dropped-1.json"))
        .expect("the run folder says what was dropped");
    assert!(
        dropped.contains("settings.json")
            && dropped.contains("the tests pass without this change")
            && dropped.contains("__pycache__/m.pyc")
            && dropped.contains("build or cache output"),
        "{dropped}"
    );
}

/// A repository with `conf.txt` of twelve `setting_N = N` lines, committed.
fn repo_with_conf() -> tempfile::TempDir {
    let repo = repo();
    let lines: String = (1..=12).map(|i| format!("setting_{i} = {i}\n")).collect();
    fs::write(repo.path().join("conf.txt"), &lines).expect("write");
    git(repo.path(), &["add", "conf.txt"]);
    git(repo.path(), &["commit", "--quiet", "-m", "conf"]);
    repo
}

#[test]
fn a_stray_hunk_the_tests_do_not_need_is_dropped_before_promotion() {
    let repo = repo_with_conf();
    let bin = tempfile::tempdir().expect("tempdir");
    // The fix (line 2) and a stray edit of something else far below it (line 11).
    let coder = script(
        bin.path(),
        "coder.sh",
        "sed -i -e 's/^setting_2 = 2$/setting_2 = 20/' -e 's/^setting_11 = 11$/colour = 11/' conf.txt",
    );
    let store = add(
        repo.path(),
        "fix line 2",
        &["grep -q 'setting_2 = 20' conf.txt"],
    );
    let config = format!("[loop.coder]\ncommand = \"{}\"\n", coder.display());
    run(repo.path(), &config);
    let task = store.get("1").expect("task");
    assert_eq!(task.status, Status::Done, "{task:?}");
    let promoted = git(repo.path(), &["show", "main:conf.txt"]);
    assert!(promoted.contains("setting_2 = 20"), "{promoted}");
    assert!(
        promoted.contains("setting_11 = 11"),
        "the stray hunk is dropped: {promoted}"
    );
    let dropped = fs::read_to_string(repo.path().join(".ouro/runs/1-1/dropped-1.json"))
        .expect("the run folder says what was dropped");
    assert!(
        dropped.contains("conf.txt (lines 11-11)") && dropped.contains("without this hunk"),
        "{dropped}"
    );
}

#[test]
fn an_untested_hunk_that_repeats_the_fix_is_promoted_with_it() {
    let repo = repo_with_conf();
    let bin = tempfile::tempdir().expect("tempdir");
    // The same edit at line 2 (tested) and at line 11 (not tested).
    let coder = script(
        bin.path(),
        "coder.sh",
        "sed -i -E 's/^(setting_(2|11)) = ([0-9]+)$/\\1 = \\3 # checked/' conf.txt",
    );
    let store = add(
        repo.path(),
        "check 2 and 11",
        &["grep -q 'setting_2 = 2 # checked' conf.txt"],
    );
    let config = format!("[loop.coder]\ncommand = \"{}\"\n", coder.display());
    run(repo.path(), &config);
    let task = store.get("1").expect("task");
    assert_eq!(task.status, Status::Done, "{task:?}");
    let promoted = git(repo.path(), &["show", "main:conf.txt"]);
    assert!(
        promoted.contains("setting_2 = 2 # checked")
            && promoted.contains("setting_11 = 11 # checked"),
        "both hunks are promoted: {promoted}"
    );
}
