//! Red-team acceptance tests for the file tools and the lifetime and reach of commands, run
//! through the checked [`ToolRunner`] (policy, audit, sandbox):
//! - a path swapped between a file and a symbolic link (out of the workspace, or to the hidden
//!   `.env`) while the file tools run never leaks or overwrites what lies behind the link;
//! - processes a command detaches (`setsid`, `nohup`, a double fork) end with the call;
//! - UNIX sockets on disk are unreachable from a command with the network denied, and
//!   reachable with it allowed (so the check can fail).

mod common;

use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::checked;
use ouro_agent::ToolRunner;
use ouro_agent::permissions::{Action, PermissionsConfig, RuleConfig, SandboxRequirement, Verdict};
use ouro_agent::sandbox::Sandbox;
use serde_json::json;

const SECRET: &str = "API_KEY=sk-secret-123";
const OUTSIDE: &str = "outside-content-42";

struct Setup {
    dir: tempfile::TempDir,
    runner: ToolRunner,
    ws: PathBuf,
}

impl Setup {
    fn new(config: PermissionsConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ws_path = dir.path().join("ws");
        std::fs::create_dir_all(ws_path.join("d")).unwrap();
        std::fs::write(ws_path.join(".env"), format!("{SECRET}\n")).unwrap();
        std::fs::create_dir_all(dir.path().join("out")).unwrap();
        std::fs::write(dir.path().join("out/f.txt"), OUTSIDE).unwrap();
        let runner = checked(&ws_path, config, &dir.path().join("audit.jsonl"));
        let ws = ws_path.canonicalize().unwrap();
        Self { dir, runner, ws }
    }

    fn outside(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn bash(&self, command: &str, network: bool) -> String {
        common::bash(&self.runner, command, network)
    }
}

/// Replaces `path` atomically (rename over it) with, in turn, a regular file and links to
/// each of `targets`, until `stop` is set.
fn swapper(path: PathBuf, regular: &'static str, targets: Vec<PathBuf>, stop: Arc<AtomicBool>) {
    let tmp = path.with_extension("swap");
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let _ = std::fs::remove_file(&tmp);
        let _ = std::fs::remove_dir_all(&tmp);
        let made = match i % (targets.len() + 1) {
            0 if regular.ends_with('/') => std::fs::create_dir(&tmp)
                .and_then(|()| std::fs::write(tmp.join("f.txt"), "inside\n")),
            0 => std::fs::write(&tmp, regular),
            n => symlink(&targets[n - 1], &tmp),
        };
        if made.is_ok() {
            // rename cannot replace a directory with a link or the reverse: clear first.
            if std::fs::rename(&tmp, &path).is_err() {
                let _ = std::fs::remove_file(&path);
                let _ = std::fs::remove_dir_all(&path);
                let _ = std::fs::rename(&tmp, &path);
            }
        }
        i += 1;
    }
}

fn leaked(text: &str) -> bool {
    text.contains("sk-secret") || text.contains(OUTSIDE)
}

#[test]
fn swapping_links_under_the_file_tools_never_leaks_or_escapes() {
    let s = Setup::new(PermissionsConfig {
        sandbox: SandboxRequirement::BestEffort,
        ..PermissionsConfig::default()
    });
    let stop = Arc::new(AtomicBool::new(false));
    let out_file = s.outside().join("f.txt");
    // Reads are swapped to the hidden `.env` too; writes only out of the workspace (the
    // default policy hides `.env` from reads but lets the agent write it).
    let read_targets = vec![out_file.clone(), s.ws.join(".env"), PathBuf::from(".env")];
    let threads = [
        (s.ws.join("a.txt"), "inside\n", read_targets),
        (s.ws.join("w.txt"), "inside\n", vec![out_file.clone()]),
        (s.ws.join("d"), "dir/", vec![s.outside()]),
    ]
    .map(|(path, regular, targets)| {
        let stop = stop.clone();
        std::thread::spawn(move || swapper(path, regular, targets, stop))
    });
    let mut outcomes = [0usize; 2];
    for i in 0..10_000 {
        let (tool, args) = match i % 5 {
            0 => ("read_file", json!({"path": "a.txt"})),
            1 => ("read_file", json!({"path": "d/f.txt"})),
            2 => ("write_file", json!({"path": "w.txt", "content": "new\n"})),
            3 => (
                "write_file",
                json!({"path": "d/new.txt", "content": "new\n"}),
            ),
            _ => (
                "edit_file",
                json!({"path": "a.txt", "old_text": "inside", "new_text": "inside"}),
            ),
        };
        match s.runner.call(tool, args) {
            Ok(out) => {
                outcomes[0] += 1;
                assert!(!leaked(&out.content), "{tool} leaked: {}", out.content);
            }
            Err(e) => {
                outcomes[1] += 1;
                assert!(!leaked(&e.to_string()), "{tool} leaked: {e}");
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    println!(
        "10000 calls: {} succeeded, {} refused",
        outcomes[0], outcomes[1]
    );
    assert!(
        outcomes[0] > 0,
        "no call ever succeeded: the test proves nothing"
    );
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), OUTSIDE);
    let outside: Vec<_> = std::fs::read_dir(s.outside())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside, ["f.txt"], "a write escaped the workspace");
    assert_eq!(
        std::fs::read_to_string(s.ws.join(".env")).unwrap(),
        format!("{SECRET}\n"),
        "`.env` was overwritten"
    );
}

#[test]
fn grep_and_list_do_not_follow_swapped_links() {
    let s = Setup::new(PermissionsConfig::default());
    std::fs::write(s.ws.join("a.txt"), "needle inside\n").unwrap();
    std::fs::write(s.outside().join("f.txt"), format!("needle {OUTSIDE}\n")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let swap = {
        let stop = stop.clone();
        let (path, target) = (s.ws.join("a.txt"), s.outside().join("f.txt"));
        std::thread::spawn(move || swapper(path, "needle inside\n", vec![target], stop))
    };
    for _ in 0..500 {
        if let Ok(out) = s.runner.call("grep", json!({"pattern": "needle"})) {
            assert!(!leaked(&out.content), "grep leaked: {}", out.content);
        }
    }
    stop.store(true, Ordering::Relaxed);
    swap.join().unwrap();
}

/// Live processes whose command line holds `tag`.
fn running(tag: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let dir = e.path();
            let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
            let zombie = stat.rsplit(") ").next().is_some_and(|r| r.starts_with('Z'));
            let cmdline = std::fs::read(dir.join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            (!zombie && cmdline.contains(tag)).then_some(cmdline)
        })
        .collect()
}

fn wait_gone(tag: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = running(tag);
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what} outlived the call: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn detached_processes_end_with_the_call() {
    let s = Setup::new(PermissionsConfig::default());
    let base = 4_000_000 + std::process::id() % 1_000_000;
    let cases = [
        ("setsid", "setsid sh -c 'sleep {T}; touch marker' &"),
        ("nohup", "nohup sleep {T} > /dev/null 2>&1 &"),
        ("double fork", "( ( sleep {T} & ) & )"),
        ("disown", "sleep {T} & disown"),
        (
            "new session with closed output",
            "setsid sleep {T} < /dev/null > /dev/null 2>&1 &",
        ),
    ];
    for (i, (what, template)) in cases.iter().enumerate() {
        let tag = format!("{base}.{}1", i + 1);
        let command = format!("{}; sleep 0.2; echo started", template.replace("{T}", &tag));
        let out = s.bash(&command, false);
        assert!(out.contains("started"), "{what}: {out}");
        wait_gone(&tag, what);
    }
    assert!(!s.ws.join("marker").exists());
}

#[test]
fn unix_sockets_on_disk_need_the_network() {
    let sandbox = Sandbox::probe();
    println!("{}", sandbox.report());
    let s = Setup::new(PermissionsConfig {
        rules: vec![RuleConfig {
            action: Action::Network,
            pattern: "*".into(),
            decision: Verdict::Allow,
        }],
        ..PermissionsConfig::default()
    });
    let sock = s.outside().join("agent.sock");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    listener.set_nonblocking(true).unwrap();
    let connect = format!(
        "python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); s.connect('{}'); \
         print('CONNECTED')\"",
        sock.display()
    );
    let denied = s.bash(&connect, false);
    if sandbox.missing().iter().any(|m| m.contains("seccomp")) {
        eprintln!("!!! KERNEL LACKS seccomp: UNIX sockets stay reachable\n{denied}");
        return;
    }
    assert!(
        !denied.contains("CONNECTED"),
        "connected with the network denied: {denied}"
    );
    let allowed = s.bash(&connect, true);
    assert!(allowed.contains("CONNECTED"), "{allowed}");
    // Common tools still work without UNIX sockets.
    let tools = s.bash("git --version && python3 -c 'print(1+1)' && id -un", false);
    assert!(tools.starts_with("exit code: 0"), "{tools}");
}

#[test]
fn huge_trees_do_not_break_list_and_grep() {
    let s = Setup::new(PermissionsConfig::default());
    let modules = s.ws.join("node_modules");
    for d in 0..25 {
        let dir = modules.join(format!("pkg{d:02}"));
        std::fs::create_dir_all(&dir).unwrap();
        for f in 0..1000 {
            std::fs::write(dir.join(format!("f{f:04}.js")), "x\n").unwrap();
        }
    }
    let list = s
        .runner
        .call("list", json!({"recursive": true}))
        .unwrap()
        .content;
    assert!(list.contains("walk truncated after"), "{}", tail(&list));
    let grep = s
        .runner
        .call("grep", json!({"pattern": "needle"}))
        .unwrap()
        .content;
    assert!(grep.contains("walk truncated after"), "{grep}");
}

fn tail(text: &str) -> &str {
    &text[text.len().saturating_sub(300)..]
}
