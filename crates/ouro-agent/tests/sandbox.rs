//! Acceptance tests for the bash sandbox, run through the checked [`ToolRunner`]: writes
//! outside the workspace, reads of a denied `.env` and network connections are blocked, and
//! every block is audited. When the kernel lacks a protection the test says so loudly and
//! checks that ouro reports it missing.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{checked, scratch_root};
use ouro_agent::ToolRunner;
use ouro_agent::audit::{AuditLog, AuditRecord};
use ouro_agent::permissions::{PermissionsConfig, RuleConfig};
use ouro_agent::sandbox::Sandbox;
use serde_json::json;

/// What `.ouro/journal` holds in every test workspace.
const JOURNAL: &str = "record 1\n";

struct Setup {
    _dir: tempfile::TempDir,
    runner: ToolRunner,
    audit_path: PathBuf,
    ws: PathBuf,
}

fn setup(config: PermissionsConfig) -> Setup {
    setup_in(&scratch_root(), config)
}

/// A workspace in a new directory under `root`.
fn setup_in(root: &Path, config: PermissionsConfig) -> Setup {
    let dir = tempfile::tempdir_in(root).unwrap();
    let ws_path = dir.path().join("ws");
    std::fs::create_dir_all(ws_path.join("src")).unwrap();
    std::fs::write(ws_path.join(".env"), "API_KEY=sk-secret-123\n").unwrap();
    std::fs::write(ws_path.join("src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::create_dir_all(ws_path.join(".ouro")).unwrap();
    std::fs::write(ws_path.join(".ouro/journal"), JOURNAL).unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let runner = checked(&ws_path, config, &audit_path);
    Setup {
        ws: ws_path.canonicalize().unwrap(),
        _dir: dir,
        runner,
        audit_path,
    }
}

fn bash(s: &Setup, command: &str) -> String {
    common::bash(&s.runner, command, false)
}

fn blocked(s: &Setup, action: &str) -> Vec<AuditRecord> {
    AuditLog::read_all(&s.audit_path)
        .unwrap()
        .into_iter()
        .filter(|r| r.decision == "blocked" && r.action == action)
        .collect()
}

/// Says loudly that a protection is missing and checks ouro reports it; returns true if so.
fn missing(sandbox: &Sandbox, what: &str, needle: &str) -> bool {
    let report = sandbox.report();
    eprintln!("!!! KERNEL LACKS {what}: this acceptance check cannot run here.\n{report}");
    assert!(
        sandbox.missing().iter().any(|m| m.contains(needle)),
        "ouro does not report {what} missing: {report}"
    );
    true
}

/// Whether the kernel lacks Landlock: says so loudly and checks ouro reports it (`needle`).
fn without_landlock(needle: &str) -> bool {
    let sandbox = Sandbox::probe();
    sandbox.landlock_abi().is_none() && missing(&sandbox, "Landlock", needle)
}

#[test]
fn writing_outside_the_workspace_is_blocked_and_audited() {
    let s = setup(PermissionsConfig::default());
    let sandbox = Sandbox::probe();
    println!("{}", sandbox.report());
    if sandbox.landlock_abi().is_none() {
        missing(&sandbox, "Landlock", "Landlock unavailable");
        return;
    }
    // Outside the workspace: a folder in the home directory.
    let outside = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")))
        .join(".cache/ouro-sandbox-escape-test");
    std::fs::create_dir_all(&outside).unwrap();
    let target = outside.join(format!("pwned-{}", std::process::id()));
    let _ = std::fs::remove_file(&target);
    let out = bash(&s, &format!("echo pwned > {}", target.display()));
    assert!(!target.exists(), "write escaped the sandbox: {out}");
    assert!(out.contains("Permission denied"), "{out}");
    let records = blocked(&s, "write");
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(records[0].resource.contains("pwned"), "{records:?}");
    // Writing inside the workspace and in the command's own temp dir still works.
    let out = bash(
        &s,
        "echo ok > src/new.txt && echo tmp > \"$(mktemp)\" && cat src/new.txt",
    );
    assert!(
        out.starts_with("exit code: 0") && out.contains("ok"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(s.ws.join("src/new.txt")).unwrap(),
        "ok\n"
    );
}

#[test]
fn reading_a_denied_env_file_is_blocked_and_audited() {
    let s = setup(PermissionsConfig::default());
    if without_landlock("denied files stay readable") {
        return;
    }
    let out = bash(&s, "cat .env; cat ./src/../.env; cp .env src/copy; ls -a");
    assert!(!out.contains("sk-secret-123"), "secret leaked: {out}");
    assert!(out.contains(".env: Permission denied"), "{out}");
    // The file is still listed, and other files stay readable.
    assert!(out.contains("src"), "{out}");
    let out = bash(
        &s,
        "cat src/main.rs && head -c 4 /etc/hostname >/dev/null && echo fine",
    );
    assert!(
        out.contains("fn main() {}") && out.contains("fine"),
        "{out}"
    );
    assert!(blocked(&s, "read").len() >= 2, "{:?}", blocked(&s, "read"));
    // The read_file tool refuses it too, by policy, and that decision is audited.
    let err = s
        .runner
        .call("read_file", json!({"path": ".env"}))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("permission denied") && err.contains(".env"),
        "{err}"
    );
    let denies: Vec<AuditRecord> = AuditLog::read_all(&s.audit_path)
        .unwrap()
        .into_iter()
        .filter(|r| r.tool == "read_file" && r.decision == "deny")
        .collect();
    assert_eq!(denies.len(), 1);
    assert!(denies[0].rule.contains("**/.env"), "{denies:?}");
}

/// Tries to write the shared temp dirs and the command's own; says what it managed.
const TEMP_PROBE: &str = "for d in /tmp /var/tmp; do \
    [ -d $d ] && echo x > $d/ouro-probe-$$ && echo \"wrote $d\" && rm -f $d/ouro-probe-$$; \
    done; \
    echo x > \"$TMPDIR/f\" && cat \"$TMPDIR/f\" && echo \"own=$TMPDIR\"; \
    [ \"$TMP\" = \"$TMPDIR\" ] && [ \"$TEMP\" = \"$TMPDIR\" ] && echo named; \
    ls -A \"$TMPDIR\" | wc -l";

/// The private temp dir a [`TEMP_PROBE`] reported.
fn own_tmp(out: &str) -> PathBuf {
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("own="))
        .unwrap_or_else(|| {
            panic!("no private temp dir: {out}");
        });
    PathBuf::from(line)
}

#[test]
fn bash_writes_its_own_temp_dir_not_the_shared_ones() {
    let s = setup(PermissionsConfig::default());
    if without_landlock("Landlock unavailable") {
        return;
    }
    let out = bash(&s, TEMP_PROBE);
    assert!(
        !out.contains("wrote /"),
        "a shared temp dir was writable: {out}"
    );
    assert!(
        out.contains("Permission denied") && out.contains("named"),
        "{out}"
    );
    let first = own_tmp(&out);
    assert!(
        !first.starts_with(&s.ws) && first.parent() != Some(Path::new("/")),
        "{out}"
    );
    assert!(!first.exists(), "the private temp dir outlived its command");
    assert!(
        blocked(&s, "write")
            .iter()
            .any(|r| r.resource.contains("/tmp/ouro-probe-"))
    );
    // The next command gets a fresh, empty one: nothing passes between commands.
    let out = bash(&s, TEMP_PROBE);
    assert_ne!(own_tmp(&out), first, "{out}");
    assert!(out.lines().any(|l| l.trim() == "1"), "{out}");
}

#[test]
fn bash_gets_a_private_dev_shm() {
    let s = setup(PermissionsConfig::default());
    let shared = Path::new("/dev/shm");
    if without_landlock("Landlock unavailable") || !shared.is_dir() {
        return;
    }
    let planted = shared.join(format!("ouro-host-{}", std::process::id()));
    let own = shared.join(format!("ouro-own-{}", std::process::id()));
    std::fs::write(&planted, "shared").unwrap();
    let probe = format!(
        "ls -A /dev/shm; echo x > {own} && cat {own} && echo wrote-shm; \
         python3 -c 'import multiprocessing as m; m.Lock(); print(\"lock ok\")'",
        own = own.display()
    );
    let out = bash(&s, &probe);
    let _ = std::fs::remove_file(&planted);
    assert!(!own.exists(), "the shared /dev/shm was written: {out}");
    let sandbox = Sandbox::probe();
    if sandbox.mount_ns().is_none() {
        assert!(!out.contains("wrote-shm"), "{out}");
        missing(&sandbox, "mount namespaces", "mount namespaces unavailable");
        return;
    }
    assert!(
        !out.contains("ouro-host-"),
        "the shared /dev/shm is visible: {out}"
    );
    assert!(out.contains("wrote-shm"), "{out}");
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if python {
        assert!(out.contains("lock ok"), "multiprocessing failed: {out}");
    }
    // The next command's is fresh again.
    let out = bash(&s, &format!("cat {} || echo gone", own.display()));
    assert!(out.contains("gone"), "{out}");
}

#[test]
fn a_workspace_under_tmp_stays_writable_but_tmp_does_not() {
    if without_landlock("Landlock unavailable") {
        return;
    }
    let s = setup_in(&std::env::temp_dir(), PermissionsConfig::default());
    assert!(s.ws.starts_with(std::env::temp_dir().canonicalize().unwrap()));
    let out = bash(
        &s,
        &format!("echo ok > src/new.txt && mkdir -p a/b && echo deep > a/b/c; {TEMP_PROBE}"),
    );
    assert!(out.contains("named"), "{out}");
    assert!(
        !out.contains("wrote /"),
        "a shared temp dir was writable: {out}"
    );
    for (file, text) in [("src/new.txt", "ok\n"), ("a/b/c", "deep\n")] {
        assert_eq!(std::fs::read_to_string(s.ws.join(file)).unwrap(), text);
    }
    // Beside the workspace, in /tmp, is not writable either.
    let beside = s.ws.parent().unwrap().join("beside");
    let out = bash(&s, &format!("echo x > {}", beside.display()));
    assert!(
        !beside.exists() && out.contains("Permission denied"),
        "{out}"
    );
}

/// A listener that reports whether anything connected within the test.
fn listener() -> (u16, std::sync::mpsc::Receiver<String>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in l.incoming().flatten() {
            let mut stream = stream;
            let mut text = String::new();
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = stream.read_to_string(&mut text);
            if tx.send(text).is_err() {
                break;
            }
        }
    });
    (port, rx)
}

#[test]
fn network_is_blocked_and_audited_unless_allowed() {
    let sandbox = Sandbox::probe();
    if sandbox.netns().is_none() && sandbox.landlock_abi().is_none_or(|abi| abi < 4) {
        missing(
            &sandbox,
            "network isolation",
            "network namespaces unavailable",
        );
        return;
    }
    let (port, rx) = listener();
    let s = setup(PermissionsConfig::default());
    let out = bash(&s, &format!("echo hello > /dev/tcp/127.0.0.1/{port}"));
    assert!(out.contains("connect"), "{out}");
    assert!(
        rx.recv_timeout(Duration::from_millis(500)).is_err(),
        "the listener was reached: {out}"
    );
    assert!(!blocked(&s, "network").is_empty(), "{out}");

    // Asking for network under the default mode needs approval; headless refuses.
    let err = s
        .runner
        .call("bash", json!({"command": "true", "network": true}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("permission denied: network"), "{err}");

    // With a rule allowing the network, the same command reaches the listener.
    let allowed = setup(PermissionsConfig {
        rules: vec![RuleConfig {
            action: ouro_agent::permissions::Action::Network,
            pattern: "*".into(),
            decision: ouro_agent::permissions::Verdict::Allow,
        }],
        ..PermissionsConfig::default()
    });
    let out = allowed
        .runner
        .call(
            "bash",
            json!({"command": format!("echo hello > /dev/tcp/127.0.0.1/{port}"), "network": true}),
        )
        .unwrap()
        .content;
    assert!(out.starts_with("exit code: 0"), "{out}");
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), "hello\n");
}

#[test]
fn every_command_records_its_confinement() {
    let s = setup(PermissionsConfig::default());
    bash(&s, "true");
    let records = AuditLog::read_all(&s.audit_path).unwrap();
    let kinds: Vec<(&str, &str)> = records
        .iter()
        .map(|r| (r.action.as_str(), r.decision.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("execute", "allow"),
            ("execute", "sandboxed"),
            ("execute", "exited")
        ]
    );
    assert_eq!(records[2].rule, "exit code: 0");
    let sandbox = Sandbox::probe();
    if sandbox.landlock_abi().is_some() {
        assert!(
            records[1].rule.contains("writes confined to"),
            "{}",
            records[1].rule
        );
    }
    assert_eq!(records[0].session, common::SESSION);
}

/// Clones the mount tree of the working directory, clears its read-only flags and writes
/// `.ouro/journal` through the clone (fails without python3, too).
const COPY_TREE: &str = r#"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
class Attr(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in ("set", "clr", "propagation", "userns")]
fd = libc.syscall(428, -100, b".", 1 | 0x8000)  # open_tree(CLONE | AT_RECURSIVE)
if fd < 0:
    sys.exit("open_tree: " + os.strerror(ctypes.get_errno()))
attr = Attr(0, 1, 0, 0)  # clear MOUNT_ATTR_RDONLY
if libc.syscall(442, fd, b"", 0x1000 | 0x8000, ctypes.byref(attr), 32) < 0:
    sys.exit("mount_setattr: " + os.strerror(ctypes.get_errno()))
out = os.open(".ouro/journal", os.O_WRONLY | os.O_APPEND, dir_fd=fd)
os.write(out, b"forged\n")
"#;

/// The policy of `ouro agent`: the defaults (which write-protect `.ouro/`, `.git`, ...).
fn agent_policy() -> PermissionsConfig {
    PermissionsConfig::default()
}

#[test]
fn the_workspace_root_is_writable_next_to_protected_state() {
    let s = setup(agent_policy());
    let sandbox = Sandbox::probe();
    println!("{}", sandbox.report());
    if sandbox.landlock_abi().is_none() {
        missing(&sandbox, "Landlock", "Landlock unavailable");
        return;
    }
    if sandbox.mount_ns().is_none() {
        missing(&sandbox, "mount namespaces", "mount namespaces unavailable");
        return;
    }
    let out = bash(&s, "mkdir target && echo x > target/a && echo y > new.txt");
    assert!(out.starts_with("exit code: 0"), "{out}");
    assert_eq!(
        std::fs::read_to_string(s.ws.join("target/a")).unwrap(),
        "x\n"
    );
    assert_eq!(
        std::fs::read_to_string(s.ws.join("new.txt")).unwrap(),
        "y\n"
    );
    // Renaming and removing at the root work too, as builds and test runners need.
    let out = bash(
        &s,
        "mv new.txt renamed.txt && rm -r target && ln -s src here",
    );
    assert!(out.starts_with("exit code: 0"), "{out}");
    assert!(s.ws.join("renamed.txt").is_file() && !s.ws.join("target").exists());
    let records = AuditLog::read_all(&s.audit_path).unwrap();
    let sandboxed = records.iter().find(|r| r.decision == "sandboxed").unwrap();
    assert!(
        sandboxed
            .rule
            .contains("2 write-denied path(s) mounted read-only"),
        "`.ouro` and the `.git` made to protect it: {}",
        sandboxed.rule
    );
}

#[test]
fn writes_into_ouro_state_are_blocked_and_audited() {
    let s = setup(agent_policy());
    if without_landlock("Landlock unavailable") {
        return;
    }
    // A writable copy of the mount tree (open_tree + mount_setattr), which root could make.
    std::fs::write(s.ws.join("src/copy_tree.py"), COPY_TREE).unwrap();
    let ws = s.ws.display();
    let attempts = [
        "python3 src/copy_tree.py".to_string(),
        "echo x > .ouro/journal".to_string(),
        "echo x >> .ouro/journal".to_string(),
        "truncate -s 0 .ouro/journal".to_string(),
        "touch .ouro/new".to_string(),
        "mkdir .ouro/dir".to_string(),
        "rm -f .ouro/journal".to_string(),
        "rm -rf .ouro".to_string(),
        "mv .ouro moved".to_string(),
        "mv .ouro/journal moved".to_string(),
        "ln .ouro/journal hard && echo x >> hard".to_string(),
        "ln -s .ouro/journal soft && echo x >> soft".to_string(),
        "ln -s /tmp .ouro/link".to_string(),
        "cp src/main.rs .ouro/journal".to_string(),
        "cp -r src .ouro/".to_string(),
        "cd .ouro && echo x > journal".to_string(),
        "umount .ouro; mount -o remount,rw .ouro; echo x > .ouro/journal".to_string(),
        format!("echo x > /proc/$PPID/root{ws}/.ouro/journal"),
    ];
    for attempt in &attempts {
        let out = bash(&s, attempt);
        assert!(
            !out.starts_with("exit code: 0"),
            "`{attempt}` succeeded: {out}"
        );
    }
    // The same from inside `.ouro` as the working directory.
    let out = s
        .runner
        .call(
            "bash",
            json!({"command": "echo x > journal", "workdir": ".ouro", "timeout_secs": 20}),
        )
        .unwrap()
        .content;
    assert!(!out.starts_with("exit code: 0"), "{out}");

    assert_eq!(
        std::fs::read_to_string(s.ws.join(".ouro/journal")).unwrap(),
        JOURNAL
    );
    let mut left: Vec<String> = std::fs::read_dir(s.ws.join(".ouro"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["journal"]);
    // `mv` falls back to copying when renaming fails: a copy may be left, never a link.
    let journal = std::fs::metadata(s.ws.join(".ouro/journal")).unwrap();
    assert_eq!(journal.nlink(), 1);
    assert!(!s.ws.join("hard").exists());

    // Every attempt is audited as a sandboxed command and with its (failed) exit status, and
    // the refused writes are recorded as blocked.
    let records = AuditLog::read_all(&s.audit_path).unwrap();
    let count = |decision: &str| records.iter().filter(|r| r.decision == decision).count();
    assert_eq!(count("sandboxed"), attempts.len() + 1, "{records:?}");
    let exits: Vec<&AuditRecord> = records.iter().filter(|r| r.decision == "exited").collect();
    assert_eq!(exits.len(), attempts.len() + 1, "{records:?}");
    assert!(
        exits
            .iter()
            .all(|r| r.rule.starts_with("exit code: ") && r.rule != "exit code: 0"),
        "{exits:?}"
    );
    assert_eq!(exits[0].resource, attempts[0]);
    let writes = blocked(&s, "write");
    assert!(
        writes.iter().any(|r| r.resource.contains(".ouro/journal")),
        "{writes:?}"
    );
    assert!(writes.len() >= attempts.len() / 2, "{writes:?}");
}

#[test]
fn a_missing_state_dir_is_created_protected() {
    let s = setup(agent_policy());
    if without_landlock("Landlock unavailable") {
        return;
    }
    std::fs::remove_dir_all(s.ws.join(".ouro")).unwrap();
    let out = bash(
        &s,
        "mkdir -p .ouro/sessions && echo x > .ouro/sessions/forged",
    );
    assert!(!out.starts_with("exit code: 0"), "{out}");
    assert!(s.ws.join(".ouro").is_dir(), "{out}");
    assert!(!s.ws.join(".ouro/sessions").exists(), "{out}");
    let records = AuditLog::read_all(&s.audit_path).unwrap();
    let sandboxed = records.iter().find(|r| r.decision == "sandboxed").unwrap();
    assert!(
        sandboxed
            .rule
            .contains("created the write-denied directory `.ouro`"),
        "{}",
        sandboxed.rule
    );
}

#[test]
fn a_state_dir_linked_out_of_the_workspace_is_refused() {
    let s = setup(agent_policy());
    if without_landlock("Landlock unavailable") {
        return;
    }
    let elsewhere = s._dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::remove_dir_all(s.ws.join(".ouro")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, s.ws.join(".ouro")).unwrap();
    let err = s
        .runner
        .call("bash", json!({"command": "true"}))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("symbolic link") && err.contains("outside the workspace"),
        "{err}"
    );
}
