//! kill -9 torture of `ouro loop --forever`: 50 kills at seeded random moments while it
//! works through 20 tasks, a restart after each, then a final drain. Afterwards no task
//! is lost or stuck in progress, none is promoted twice, the target's history is linear
//! and every promoted commit passes its task's test. Prints the measured recovery times.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TASKS: usize = 20;
const KILLS: usize = 50;
/// The kill moments' seed; `OURO_TORTURE_SEED` overrides it to explore other schedules.
const SEED: u64 = 0x5eed_0f0b_0e00;

/// SplitMix64: a small seeded generator for the kill moments.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(["-c", "user.name=test", "-c", "user.email=test@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn ouro(args: &[&str], repo: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ouro"));
    cmd.args(args).arg("--repo").arg(repo);
    cmd
}

fn spawn_loop(repo: &Path, config: &Path, log: &Path, extra: &[&str]) -> Child {
    let out = File::create(log).expect("log");
    let err = out.try_clone().expect("log");
    ouro(&["loop"], repo)
        .arg("--config")
        .arg(config)
        .args(extra)
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("start ouro loop")
}

/// The task's test: its line is in log.txt exactly once and its file exists.
fn task_test(id: usize) -> String {
    format!("test \"$(grep -cx 'task {id}' log.txt)\" = 1 && test -f task-{id}.txt")
}

/// A repository, a coder script, a config and 20 imported tasks.
fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path().join("repo");
    fs::create_dir(&repo).expect("mkdir");
    git(&repo, &["init", "--quiet", "--initial-branch=main"]);
    fs::write(repo.join("README"), "torture\n").expect("write");
    fs::write(repo.join("log.txt"), "").expect("write");
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "initial"]);
    let coder = root.path().join("coder.sh");
    fs::write(
        &coder,
        "#!/bin/sh\nset -e\necho \"task $OURO_TASK_ID\" >> log.txt\nsleep 0.02\n\
         echo \"$OURO_TASK_TITLE\" > \"task-$OURO_TASK_ID.txt\"\n",
    )
    .expect("write");
    fs::set_permissions(&coder, fs::Permissions::from_mode(0o755)).expect("chmod");
    let config = root.path().join("ouro.toml");
    fs::write(
        &config,
        format!(
            "[loop]\ntarget_branch = \"main\"\ntest_command = \"test -f README\"\n\
             interval_s = 0.05\n[loop.coder]\ncommand = \"{}\"\n",
            coder.display()
        ),
    )
    .expect("write");
    let tasks: Vec<serde_json::Value> = (1..=TASKS)
        .map(|id| {
            serde_json::json!({
                "id": id.to_string(),
                "title": format!("tiny task {id}"),
                "inputs": [],
                "tests": [task_test(id)],
                "status": "pending",
            })
        })
        .collect();
    let file = root.path().join("auto_tasks.json");
    fs::write(&file, serde_json::to_string(&tasks).expect("json")).expect("write");
    let status = ouro(&["tasks", "import"], &repo)
        .arg(&file)
        .status()
        .expect("import");
    assert!(status.success());
    (root, repo, config)
}

/// The recovery time a loop printed ("recovered in X ms: ..."), if it got that far.
fn recovery_ms(log: &Path) -> Option<f64> {
    let text = fs::read_to_string(log).ok()?;
    let line = text.lines().find(|l| l.starts_with("recovered in "))?;
    line.trim_start_matches("recovered in ")
        .split(' ')
        .next()?
        .parse()
        .ok()
}

fn drain(repo: &Path, config: &Path, log: &Path) -> String {
    let mut child = spawn_loop(repo, config, log, &[]);
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the final drain did not finish:\n{}",
                fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = fs::read_to_string(log).unwrap_or_default();
    assert!(status.success(), "drain failed:\n{text}");
    text
}

#[test]
fn kill_9_torture_loses_nothing_and_promotes_nothing_twice() {
    let started = Instant::now();
    let (root, repo, config) = setup();
    let logs = root.path().join("logs");
    fs::create_dir(&logs).expect("mkdir");
    let seed = std::env::var("OURO_TORTURE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let mut rng = SplitMix(seed);
    let mut recoveries = Vec::new();
    for kill in 0..KILLS {
        let log = logs.join(format!("run-{kill}.log"));
        let mut child = spawn_loop(&repo, &config, &log, &["--forever", "--interval", "0.05"]);
        std::thread::sleep(Duration::from_millis(10 + rng.next() % 250));
        child.kill().expect("kill -9");
        child.wait().expect("reap");
        recoveries.extend(recovery_ms(&log));
    }
    let log = logs.join("drain.log");
    let drain_text = drain(&repo, &config, &log);
    recoveries.extend(recovery_ms(&log));

    // Every task is done, failed or pending; none in progress.
    let output = ouro(&["tasks", "list", "--json"], &repo)
        .output()
        .expect("list");
    let tasks: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(tasks.len(), TASKS, "no task lost");
    let mut done = 0;
    for task in &tasks {
        let status = task["status"].as_str().unwrap_or_default();
        assert!(
            matches!(status, "done" | "failed" | "pending"),
            "task {} is {status}",
            task["id"]
        );
        done += usize::from(status == "done");
    }

    // Linear history; each task's change at most once, exactly once when done.
    assert_eq!(
        git(&repo, &["rev-list", "--merges", "main"]),
        "",
        "merges on main"
    );
    let final_log = git(&repo, &["show", "main:log.txt"]);
    let subjects = git(&repo, &["log", "--format=%H %s", "main"]);
    for task in &tasks {
        let id = task["id"].as_str().unwrap_or_default();
        let lines = final_log
            .lines()
            .filter(|l| *l == format!("task {id}"))
            .count();
        let commits: Vec<&str> = subjects
            .lines()
            .filter(|l| l.contains(&format!(" ouro task {id}: ")))
            .map(|l| l.split(' ').next().unwrap_or_default())
            .collect();
        assert!(lines <= 1 && commits.len() <= 1, "task {id} promoted twice");
        if task["status"] == "done" {
            assert_eq!((lines, commits.len()), (1, 1), "done task {id} not on main");
            assert_eq!(
                task["commit"].as_str(),
                Some(commits[0]),
                "task {id}'s commit"
            );
        } else {
            assert_eq!(
                (lines, commits.len()),
                (0, 0),
                "task {id} on main but not done"
            );
        }
    }

    // Every promoted commit passes its task's test.
    let check = root.path().join("check");
    let check_path = check.to_string_lossy().into_owned();
    for line in subjects.lines().filter(|l| l.contains(" ouro task ")) {
        let (commit, subject) = line.split_once(' ').unwrap_or_default();
        let id: usize = subject
            .trim_start_matches("ouro task ")
            .split(':')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("task id in subject");
        git(
            &repo,
            &[
                "worktree",
                "add",
                "--quiet",
                "--detach",
                &check_path,
                commit,
            ],
        );
        let passed = Command::new("sh")
            .args(["-c", &task_test(id)])
            .current_dir(&check)
            .status()
            .expect("run test")
            .success();
        git(&repo, &["worktree", "remove", "--force", &check_path]);
        assert!(
            passed,
            "promoted commit {commit} of task {id} fails its test"
        );
    }

    recoveries.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        recoveries
            .get(((recoveries.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "torture (seed {seed}): {KILLS} kills, {done}/{TASKS} tasks done, {} recoveries measured: \
         min {:.1} ms, median {:.1} ms, p90 {:.1} ms, max {:.1} ms; wall time {:.1} s",
        recoveries.len(),
        pick(0.0),
        pick(0.5),
        pick(0.9),
        pick(1.0),
        started.elapsed().as_secs_f64()
    );
    println!("drain log:\n{drain_text}");
    assert!(!recoveries.is_empty(), "no recovery time was printed");
}
