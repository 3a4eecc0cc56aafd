//! The loop lends a coder the task's tests (`AttemptContext::trial`): a coder that screens
//! candidate changes with them sees a wrong candidate fail and a right one pass, inside one
//! attempt, and the loop still tests and promotes only what the attempt leaves; a candidate
//! tried within a time limit that makes the tests hang is stopped and fails.

mod common;

use std::fs;
use std::path::Path;
use std::sync::Arc;

use common::{drain, git, repo};
use ouro_loop::coder::{AttemptContext, AttemptOutcome, Coder};
use ouro_loop::config::PersonaConfig;
use ouro_loop::personas::{CoderBuilder, CoderFactory, CoderKinds};
use ouro_loop::{LoopConfig, LoopError, NewTask, Personas, Status, open_store};

/// Writes each candidate greeting in turn and keeps the first the tests accept; records
/// what each trial said. "wait" makes the tests hang; it is tried within a second.
struct Screening {
    seen: Arc<std::sync::Mutex<Vec<bool>>>,
}

impl Coder for Screening {
    fn attempt(&mut self, ctx: &AttemptContext<'_>) -> Result<AttemptOutcome, LoopError> {
        for candidate in ["goodbye", "wait", "hello"] {
            fs::write(ctx.worktree.join("hello.txt"), candidate).expect("write");
            let passed = if candidate == "wait" {
                let report = ctx.trial.run_within(std::time::Duration::from_secs(1))?;
                assert!(
                    report.results.iter().any(|r| r.exit.contains("timed out")),
                    "{:?}",
                    report.results
                );
                report.passed()
            } else {
                ctx.trial.run()?.passed()
            };
            self.seen.lock().expect("lock").push(passed);
            if passed {
                return Ok(AttemptOutcome::Finished {
                    summary: format!("wrote {candidate}"),
                });
            }
        }
        Ok(AttemptOutcome::GaveUp {
            reason: "no candidate passed".into(),
        })
    }
}

#[test]
fn a_coder_screens_its_candidates_with_the_tasks_tests() {
    let repo = repo();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let shared = seen.clone();
    let builder: CoderBuilder = Arc::new(move |_: &PersonaConfig| {
        let seen = shared.clone();
        let factory: CoderFactory =
            Arc::new(move || Ok(Box::new(Screening { seen: seen.clone() }) as Box<dyn Coder>));
        Ok(factory)
    });
    let kinds = CoderKinds::default()
        .with("screening", builder)
        .default_kind("screening");
    let (_, mut store) = open_store(repo.path()).expect("store");
    store
        .add(&NewTask {
            title: "say hello".into(),
            tests: vec![
                "if grep -qx wait hello.txt; then sleep 600; fi; grep -qx hello hello.txt".into(),
            ],
            ..NewTask::default()
        })
        .expect("add");
    let config = LoopConfig::from_toml(
        "[loop]\nsandbox = \"off\"\nmax_attempts = 1\n",
        Path::new("ouro.toml"),
    )
    .expect("config");
    let personas =
        Personas::from_config_with(&config, Path::new("ouro.toml"), &kinds).expect("personas");
    drain(repo.path(), config, personas);
    assert_eq!(*seen.lock().expect("lock"), vec![false, false, true]);
    assert_eq!(store.get("1").expect("task").status, Status::Done);
    assert_eq!(
        git(repo.path(), &["show", "main:hello.txt"]).trim(),
        "hello"
    );
    // Both trials are in the run folder's trials log.
    let runs = repo.path().join(".ouro/runs");
    let run = fs::read_dir(&runs)
        .expect("runs")
        .flatten()
        .next()
        .expect("a run");
    let log = fs::read_to_string(run.path().join("trials-1.log")).expect("trials log");
    assert_eq!(log.matches("grep -qx hello hello.txt").count(), 3, "{log}");
}
