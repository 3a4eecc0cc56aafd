//! `ouro tasks ...` and `ouro loop status` through the real binary: add, list, show,
//! cancel, retry, export, and errors that name what is wrong.

use std::path::Path;
use std::process::{Command, Output};

fn ouro(repo: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ouro"))
        .args(args)
        .arg("--repo")
        .arg(repo)
        .output()
        .expect("run ouro")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let ok = Command::new("git")
        .args(["init", "--quiet", "--initial-branch=main"])
        .current_dir(dir.path())
        .status()
        .expect("git")
        .success();
    assert!(ok);
    dir
}

#[test]
fn tasks_round_trip_through_the_cli() {
    let repo = repo();
    let path = repo.path();
    let added = stdout(&ouro(
        path,
        &[
            "tasks",
            "add",
            "fix the parser",
            "--test",
            "cargo test",
            "--priority",
            "3",
        ],
    ));
    assert_eq!(added.trim(), "added task 1: fix the parser");
    stdout(&ouro(path, &["tasks", "add", "later", "--id", "later-1"]));
    let list = stdout(&ouro(path, &["tasks", "list"]));
    let rows: Vec<&str> = list.lines().skip(1).collect();
    assert!(
        rows[0].starts_with("1 ") && rows[1].starts_with("later-1"),
        "{list}"
    );
    let shown = stdout(&ouro(path, &["tasks", "show", "1"]));
    assert!(
        shown.contains("cargo test") && shown.contains("status:   pending"),
        "{shown}"
    );
    assert!(stdout(&ouro(path, &["tasks", "cancel", "1"])).contains("cancelled"));
    assert!(stdout(&ouro(path, &["tasks", "retry", "1"])).contains("pending"));
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&ouro(path, &["tasks", "export"]))).expect("json");
    assert_eq!(json[0]["tests"][0], "cargo test");
    let status = stdout(&ouro(path, &["loop", "status"]));
    assert!(status.contains("pending 2"), "{status}");
    let status: serde_json::Value =
        serde_json::from_str(&stdout(&ouro(path, &["loop", "status", "--json"]))).expect("json");
    assert!(status["counts"].is_array());
}

#[test]
fn errors_name_what_is_wrong() {
    let repo = repo();
    let path = repo.path();
    let missing = ouro(path, &["tasks", "show", "42"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no task with id \"42\""));
    let bad_id = ouro(path, &["tasks", "add", "x", "--id", "a/b"]);
    assert!(String::from_utf8_lossy(&bad_id.stderr).contains("\"a/b\""));
    let retry = ouro(path, &["tasks", "add", "y"]);
    assert!(retry.status.success());
    let err = ouro(path, &["tasks", "retry", "1"]);
    assert!(String::from_utf8_lossy(&err.stderr).contains("task 1 is pending: cannot retry it"));
    // With no ouro.toml the loop uses the repair coder on the default coding model; when
    // that is nowhere to be found, it says which file and how to fetch it.
    let empty = tempfile::tempdir().expect("tempdir");
    let no_model = Command::new(env!("CARGO_BIN_EXE_ouro"))
        .args(["loop", "--once", "--repo"])
        .arg(path)
        .env("OURO_MODELS", empty.path())
        .output()
        .expect("run ouro");
    assert!(!no_model.status.success());
    let err = String::from_utf8_lossy(&no_model.stderr);
    assert!(
        err.contains(ouro_core::paths::DEFAULT_CODER_MODEL_FILE) && err.contains("fetch-models.sh"),
        "{err}"
    );
}
