//! Unit tests of the task store: adding, claiming, leases, transitions, runs.

use std::time::Duration;

use super::*;

fn store() -> (tempfile::TempDir, TaskStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = TaskStore::open(&dir.path().join("tasks.db")).expect("open");
    (dir, store)
}

fn new(title: &str, priority: i64) -> NewTask {
    NewTask {
        title: title.into(),
        priority,
        tests: vec!["true".into()],
        ..NewTask::default()
    }
}

const LEASE: Duration = Duration::from_secs(30);

#[test]
fn ids_are_assigned_and_duplicates_refused() {
    let (_dir, mut store) = store();
    let a = store.add(&new("a", 0)).expect("add");
    let b = store
        .add(&NewTask {
            id: Some("2".into()),
            ..new("b", 0)
        })
        .expect("add with id");
    let c = store.add(&new("c", 0)).expect("add");
    assert_eq!((a.id.as_str(), b.id.as_str()), ("1", "2"));
    assert_eq!(c.id, "3", "skips the taken id");
    assert!(matches!(
        store.add(&NewTask {
            id: Some("2".into()),
            ..new("again", 0)
        }),
        Err(LoopError::DuplicateTask(_))
    ));
    assert_eq!(store.get("3").expect("get").tests, ["true"]);
    assert!(matches!(store.get("9"), Err(LoopError::NoSuchTask(_))));
}

#[test]
fn claims_by_priority_then_age_and_only_once() {
    let (_dir, mut store) = store();
    store.add(&new("low", 0)).expect("add");
    store.add(&new("high", 5)).expect("add");
    store.add(&new("low later", 0)).expect("add");
    let order: Vec<String> = std::iter::from_fn(|| store.claim("w", LEASE).expect("claim"))
        .map(|t| t.title)
        .collect();
    assert_eq!(order, ["high", "low", "low later"]);
    let task = store.get("2").expect("get");
    assert_eq!(task.status, Status::InProgress);
    assert_eq!(task.runs, 1);
    assert_eq!(task.lease_owner.as_deref(), Some("w"));
}

#[test]
fn expired_leases_can_be_claimed_again_and_heartbeats_extend_them() {
    let (_dir, mut store) = store();
    store.add(&new("t", 0)).expect("add");
    let first = store.claim("a", Duration::ZERO).expect("claim");
    assert!(first.is_some());
    std::thread::sleep(Duration::from_millis(5));
    let second = store
        .claim("b", LEASE)
        .expect("claim")
        .expect("expired lease");
    assert_eq!(second.runs, 2);
    assert!(!store.heartbeat("1", "a", LEASE).expect("hb"), "a lost it");
    assert!(store.heartbeat("1", "b", LEASE).expect("hb"));
    assert!(store.claim("c", LEASE).expect("claim").is_none());
}

#[test]
fn finish_needs_the_lease() {
    let (_dir, mut store) = store();
    store.add(&new("t", 0)).expect("add");
    store.claim("a", LEASE).expect("claim");
    let done = Finish {
        status: Status::Failed,
        error: Some("boom".into()),
        commit: None,
    };
    assert!(!store.finish("1", "other", &done).expect("finish"));
    assert!(store.finish("1", "a", &done).expect("finish"));
    let task = store.get("1").expect("get");
    assert_eq!(task.status, Status::Failed);
    assert_eq!(task.error.as_deref(), Some("boom"));
    assert!(task.finished_ms.is_some());
    assert_eq!(store.retry("1").expect("retry").status, Status::Pending);
    assert!(store.get("1").expect("get").error.is_none());
}

#[test]
fn release_hands_back_dead_owners_tasks() {
    let (_dir, mut store) = store();
    for t in ["a", "b", "c"] {
        store.add(&new(t, 0)).expect("add");
    }
    store.claim("dead", LEASE).expect("claim");
    store.claim("live", LEASE).expect("claim");
    let released = store.release_others("live").expect("release");
    assert_eq!(released, [("1".to_string(), 1)]);
    assert_eq!(store.get("1").expect("get").status, Status::Pending);
    assert_eq!(store.get("2").expect("get").status, Status::InProgress);
    assert_eq!(store.release_owner("live").expect("release").len(), 1);
}

#[test]
fn transitions_are_checked() {
    let (_dir, mut store) = store();
    store.add(&new("t", 0)).expect("add");
    assert!(matches!(
        store.retry("1"),
        Err(LoopError::BadTransition { .. })
    ));
    store.claim("w", LEASE).expect("claim");
    assert_eq!(store.cancel("1").expect("cancel").status, Status::Cancelled);
    assert!(
        !store.heartbeat("1", "w", LEASE).expect("hb"),
        "cancel ends the lease"
    );
    assert!(store.cancel("1").is_err());
    let counts = store.counts().expect("counts");
    assert!(counts.contains(&(Status::Cancelled, 1)));
    assert!(counts.contains(&(Status::Pending, 0)));
}

#[test]
fn runs_are_recorded() {
    let (_dir, store) = store();
    store.run_started("1", 1, "w", "/runs/1-1").expect("start");
    store.run_started("2", 1, "w", "/runs/2-1").expect("start");
    let update = RunUpdate {
        outcome: "done".into(),
        attempts: 2,
        verdict: Some("{}".into()),
    };
    store.run_finished("1", 1, &update).expect("finish");
    let runs = store.runs_of("1").expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].outcome.as_deref(), Some("done"));
    assert_eq!(runs[0].attempts, 2);
    assert_eq!(store.recent_runs(10).expect("recent").len(), 2);
}

#[test]
fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tasks.db");
    {
        let mut store = TaskStore::open(&path).expect("open");
        store.add(&new("kept", 3)).expect("add");
        store.set_meta("k", "v").expect("meta");
    }
    let store = TaskStore::open(&path).expect("reopen");
    assert_eq!(store.get("1").expect("get").priority, 3);
    assert_eq!(store.meta("k").expect("meta").as_deref(), Some("v"));
}
