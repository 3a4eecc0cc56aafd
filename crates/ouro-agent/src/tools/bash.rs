//! `bash`: run a shell command in the workspace, sandboxed, with a timeout and an output cap.
//!
//! The command runs as `bash -c` in its own process group and, where the kernel allows, as
//! PID 1 of its own PID namespace; on timeout (and after it exits) the whole group is killed,
//! which ends the namespace and so everything the command started, `setsid` and double-forked
//! processes included. Without a PID namespace, whatever carries the command's marker is
//! swept after it (see [`crate::sandbox::reap`]). stdout and stderr are read concurrently,
//! each kept up to the output limit; the reply shares the limit between them so stderr is
//! never pushed out by a long stdout, and each cut states the stream's true size. The sandbox (see
//! [`crate::sandbox`]) is entered in the child; what it blocks shows up in the command's
//! errors, and ouro records such blocks in the audit log (see [`sandbox_blocks`]). Every
//! command leaves a `sandboxed` audit record before it starts (what confines it) and an
//! `exited` one when it ends (its exit code, timeout or signal), so a refused write shows up
//! at least as a failed sandboxed command even when the command hides its errors.
//! The command gets a scrubbed environment (see [`crate::sandbox::env`]): no API keys or
//! tokens of ouro's own; and a private temporary directory (see [`crate::sandbox::tmp`]),
//! named by `TMPDIR`, `TMP` and `TEMP` and removed when it ends: the shared `/tmp` and
//! `/var/tmp` are not writable, and `/dev/shm` is a fresh one of its own (in a mount
//! namespace; read-only without one). `network: true` asks for the whole network;
//! where network rules name particular hosts it is refused (see
//! [`crate::permissions::Policy::check_any_host`]).

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;

use super::schema::{Prop, object};
use super::{Access, Resource, Tool, ToolContext, ToolError, ToolOutput, parse_args};
use crate::permissions::{Action, SandboxRequirement};
use crate::sandbox::protected::{PROTECTED_SUMMARY, RootSnapshot};
use crate::sandbox::reap::{self, Marker};
use crate::sandbox::{PrivateTmp, Profile, env, policy_profile};
use crate::text::CappedBuffer;

/// Runs shell commands.
pub struct Bash;

#[derive(Deserialize)]
struct Args {
    command: String,
    timeout_secs: Option<u64>,
    workdir: Option<String>,
    #[serde(default)]
    network: bool,
}

const NAME: &str = "bash";

/// How long to wait for output pipes to close after the process group was killed.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

impl Tool for Bash {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Run a bash command in the workspace (sandboxed: writes only in the workspace and its \
         own temp dir $TMPDIR, not the shared /tmp; no network unless `network` is true and \
         allowed). Returns the exit code, stdout and stderr. The command and all its children \
         are killed after timeout_secs."
    }

    fn schema(&self) -> Value {
        object(vec![
            Prop::string("command", "The bash command line.").required(),
            Prop::integer(
                "timeout_secs",
                1,
                "Kill the command after this many seconds.",
            ),
            Prop::string(
                "workdir",
                "Working directory, relative to the workspace root.",
            ),
            Prop::boolean(
                "network",
                "The command needs network access (asks permission).",
            ),
        ])
    }

    fn accesses(&self, ctx: &ToolContext, args: &Value) -> Result<Vec<Access>, ToolError> {
        let args: Args = parse_args(NAME, args)?;
        if let Some(dir) = &args.workdir {
            ctx.workspace.resolve(dir)?;
        }
        let mut accesses = vec![Access {
            action: Action::Execute,
            resource: Resource::Command(args.command),
        }];
        if args.network {
            accesses.push(Access {
                action: Action::Network,
                resource: Resource::AnyHost,
            });
        }
        Ok(accesses)
    }

    fn run(&self, ctx: &ToolContext, args: Value) -> Result<ToolOutput, ToolError> {
        let args: Args = parse_args(NAME, &args)?;
        let workdir = match &args.workdir {
            Some(dir) => ctx.workspace.resolve(dir)?,
            None => ctx.workspace.root().to_path_buf(),
        };
        if !workdir.is_dir() {
            return Err(ToolError::failed(
                NAME,
                format!("workdir `{}` is not a directory", ctx.rel(&workdir)),
            ));
        }
        let timeout = args
            .timeout_secs
            .map(Duration::from_secs)
            .unwrap_or(ctx.limits.default_timeout)
            .min(ctx.limits.max_timeout);
        let tmp = PrivateTmp::create("ouro-bash").map_err(|e| {
            ToolError::failed(NAME, format!("cannot create its temporary directory: {e}"))
        })?;
        let mut profile = policy_profile(&ctx.policy, tmp.path(), args.network)
            .map_err(crate::sandbox::SandboxError::from)?;
        profile.private_shm(tmp.shm());
        let created = if ctx.policy.sandbox_requirement() == SandboxRequirement::Off {
            Vec::new()
        } else {
            profile
                .create_missing()
                .map_err(crate::sandbox::SandboxError::from)?
        };
        let confinement = ctx
            .sandbox
            .confine(&profile, ctx.policy.sandbox_requirement())?;
        let mut summary = confinement.covers.join("; ");
        for dir in &created {
            summary.push_str(&format!(
                "; created the write-denied directory `{}` to protect it",
                ctx.rel(dir)
            ));
        }
        if !confinement.gaps.is_empty() {
            summary.push_str(&format!(" | gaps: {}", confinement.gaps.join("; ")));
        }
        if summary.is_empty() {
            summary = "no confinement needed".to_string();
        }
        ctx.audit
            .record(NAME, "execute", &args.command, "sandboxed", &summary)?;
        let sandboxed = confinement.is_active();
        let marker = (!confinement.holds_processes()).then(Marker::new);

        let mut cmd = Command::new("bash");
        cmd.arg("-c").arg(&args.command).current_dir(&workdir);
        env::scrub(&mut cmd, ctx.policy.pass_env());
        tmp.point(&mut cmd);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        if let Some(marker) = &marker {
            cmd.env(reap::VAR, marker.value());
        }
        confinement.install(&mut cmd)?;
        // Missing protected files cannot be mounted read-only: remove any the command makes.
        let protected = RootSnapshot::take(ctx.workspace.root());
        let mut child = cmd
            .spawn()
            .map_err(|e| ToolError::failed(NAME, format!("cannot start bash: {e}")))?;
        let limit = ctx.limits.max_output_bytes;
        let stdout = reader(child.stdout.take(), limit);
        let stderr = reader(child.stderr.take(), limit);
        let (status, timed_out) = wait_with_timeout(&mut child, timeout)?;
        if let Some(marker) = &marker {
            marker.sweep();
        }
        let stdout = collect(stdout);
        let stderr = collect(stderr);

        let mut out = match (timed_out, status.and_then(|s| s.code())) {
            (true, _) => format!(
                "timed out after {}s: the command and its process group were killed\n",
                timeout.as_secs()
            ),
            (false, Some(code)) => format!("exit code: {code}\n"),
            (false, None) => "killed by a signal\n".to_string(),
        };
        let ending = out.lines().next().unwrap_or_default();
        ctx.audit
            .record(NAME, "execute", &args.command, "exited", ending)?;
        let removed = protected
            .remove_created()
            .map_err(|e| ToolError::failed(NAME, format!("protected path: {e}")))?;
        for path in &removed {
            let shown = ctx.rel(path);
            ctx.audit
                .record(NAME, "write", &shown, "blocked", "built-in protected path")?;
            out.push_str(&format!(
                "protected: `{shown}` was created by the command and has been removed \
                 (the agent may not write {PROTECTED_SUMMARY})\n"
            ));
        }
        if sandboxed {
            let blocks = sandbox_blocks(&stdout.0, &stderr.0, &profile);
            for (action, line, rule) in &blocks {
                ctx.audit
                    .record(NAME, action.as_str(), line, "blocked", rule)?;
            }
            if !blocks.is_empty() {
                out.push_str(&format!(
                    "sandbox: {} operation(s) were blocked by ouro's sandbox\n",
                    blocks.len()
                ));
            }
        }
        out.push_str(&streams(&stdout, &stderr, limit.saturating_sub(out.len())));
        Ok(ToolOutput::text(ctx, &out))
    }
}

/// Room for the two section headers and the two cut markers.
const STREAM_OVERHEAD: usize = 160;

/// The stdout and stderr sections within `budget` bytes: when both do not fit, stderr keeps at
/// least half (all of it if stdout is short), so errors are never pushed out by output.
fn streams(stdout: &Stream, stderr: &Stream, budget: usize) -> String {
    let room = budget.saturating_sub(STREAM_OVERHEAD);
    let (out_len, err_len) = (stdout.0.len(), stderr.0.len());
    let err_share = if out_len + err_len <= room {
        err_len
    } else {
        err_len.min((room / 2).max(room.saturating_sub(out_len)))
    };
    let out_share = room - err_share;
    let mut text = String::from("--- stdout ---\n");
    text.push_str(&crate::text::head("stdout", &stdout.0, stdout.1, out_share));
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("--- stderr ---\n");
    text.push_str(&crate::text::head("stderr", &stderr.0, stderr.1, err_share));
    text
}

/// What a reader kept of a stream and the stream's true size in bytes.
type Stream = (String, usize);

type Reader = Option<JoinHandle<Stream>>;

/// Reads a pipe to its end on a thread, keeping up to `limit` bytes.
fn reader(pipe: Option<impl Read + Send + 'static>, limit: usize) -> Reader {
    pipe.map(|mut pipe| {
        std::thread::spawn(move || {
            let mut buf = CappedBuffer::new(limit);
            let mut chunk = [0u8; 8192];
            loop {
                match pipe.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.push(&chunk[..n]),
                }
            }
            buf.into_parts()
        })
    })
}

/// The text a reader thread collected; gives up after a grace period if a process that left
/// the group still holds the pipe open.
fn collect(handle: Reader) -> Stream {
    let Some(handle) = handle else {
        return (String::new(), 0);
    };
    let deadline = Instant::now() + DRAIN_GRACE;
    while !handle.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    if handle.is_finished() {
        handle
            .join()
            .unwrap_or_else(|_| ("(output reader failed)".to_string(), 0))
    } else {
        let note = "(output still open: a process escaped the command and holds it)\n";
        (note.to_string(), note.len())
    }
}

/// Waits for `child` up to `timeout`; kills its whole process group on timeout and, to reap
/// background children, after it exits. Returns the exit status (if any) and whether it
/// timed out.
fn wait_with_timeout(
    child: &mut Child,
    timeout: Duration,
) -> Result<(Option<std::process::ExitStatus>, bool), ToolError> {
    let pgid = child.id() as libc::pid_t;
    let deadline = Instant::now() + timeout;
    let io = |e: std::io::Error| ToolError::failed(NAME, format!("waiting for the command: {e}"));
    loop {
        if let Some(status) = child.try_wait().map_err(io)? {
            kill_group(pgid);
            return Ok((Some(status), false));
        }
        if Instant::now() >= deadline {
            kill_group(pgid);
            let status = child.wait().map_err(io)?;
            return Ok((Some(status), true));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn kill_group(pgid: libc::pid_t) {
    // SAFETY: kill takes no pointers; a negative pid names the process group we created.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

/// Error lines that show the sandbox stopped something, classified by action.
///
/// Landlock, the network namespace and the read-only mounts make system calls fail (`EACCES`,
/// `EPERM`, `ENETUNREACH`, `EROFS`) without telling the parent, so ouro infers blocks from the
/// command's error output: a line reporting such an error counts as a network block if it
/// speaks of the network, as a read block if it names a hidden path, and as a write block
/// otherwise. `EBUSY` and `EXDEV` (removing, renaming or hard-linking a read-only mount or
/// what it holds) count as write blocks when the line names a write-denied path.
/// Commands that swallow their errors leave no trace; the "sandboxed" audit record of every
/// command states what was enforced regardless.
pub fn sandbox_blocks(
    stdout: &str,
    stderr: &str,
    profile: &Profile,
) -> Vec<(Action, String, &'static str)> {
    const DENIALS: [&str; 4] = [
        "permission denied",
        "operation not permitted",
        "network is unreachable",
        "cannot assign requested address",
    ];
    const MOUNT_DENIALS: [&str; 2] = ["device or resource busy", "invalid cross-device link"];
    let names = |paths: &[std::path::PathBuf]| -> Vec<String> {
        paths
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect()
    };
    let hidden_names = names(&profile.deny_read);
    let protected_names = names(&profile.deny_write);
    // Read-only mounts exist only for write-denied paths.
    let mounted = !profile.deny_write.is_empty();
    let mut blocks = Vec::new();
    for line in stderr.lines().chain(stdout.lines()) {
        let lower = line.to_ascii_lowercase();
        let shown = crate::text::truncate(line.trim(), 300);
        let names_protected = protected_names.iter().any(|n| line.contains(n.as_str()));
        if mounted
            && (lower.contains("read-only file system")
                || (names_protected && MOUNT_DENIALS.iter().any(|d| lower.contains(d))))
        {
            blocks.push((
                Action::Write,
                shown,
                "sandbox: read-only mount (write-denied path)",
            ));
            continue;
        }
        if !DENIALS.iter().any(|d| lower.contains(d)) {
            continue;
        }
        let network_words = ["network", "connect", "socket", "/dev/tcp", "/dev/udp"];
        if !profile.network && network_words.iter().any(|w| lower.contains(w)) {
            blocks.push((Action::Network, shown, "sandbox: network"));
        } else if hidden_names.iter().any(|n| line.contains(n.as_str()))
            || profile
                .deny_read
                .iter()
                .any(|p| line.contains(&*p.to_string_lossy()))
        {
            blocks.push((Action::Read, shown, "sandbox: landlock (hidden path)"));
        } else if profile.write_roots.is_some() || !profile.deny_write.is_empty() {
            blocks.push((
                Action::Write,
                shown,
                "sandbox: landlock (outside write roots)",
            ));
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::testing::Fixture;
    use serde_json::json;

    #[test]
    fn runs_in_workdir_and_reports_exit_code() {
        let f = Fixture::new();
        f.write("sub/x.txt", "hello\n");
        let out = f
            .run(
                &Bash,
                json!({"command": "cat x.txt; echo err >&2; exit 3", "workdir": "sub"}),
            )
            .unwrap()
            .content;
        assert!(out.starts_with("exit code: 3\n"), "{out}");
        assert!(out.contains("--- stdout ---\nhello\n"), "{out}");
        assert!(out.contains("--- stderr ---\nerr\n"), "{out}");
    }

    /// Live processes whose command line holds `tag`.
    fn running(tag: &str) -> usize {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter(|e| {
                let dir = e.path();
                let live = std::fs::read_to_string(dir.join("stat"))
                    .is_ok_and(|s| s.rsplit(") ").next().is_some_and(|r| !r.starts_with('Z')));
                live && std::fs::read(dir.join("cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains(tag))
            })
            .count()
    }

    #[test]
    fn timeout_kills_the_whole_process_group() {
        let f = Fixture::new();
        let tag = format!("{}.25", 6_000_000 + std::process::id() % 1_000_000);
        let started = Instant::now();
        let out = f
            .run(
                &Bash,
                json!({
                    "command": format!("sleep {tag} & sleep {tag}"),
                    "timeout_secs": 1
                }),
            )
            .unwrap()
            .content;
        assert!(started.elapsed() < Duration::from_secs(20));
        assert!(out.starts_with("timed out after 1s"), "{out}");
        // The background child must be gone (or a zombie awaiting its reaper).
        let deadline = Instant::now() + Duration::from_secs(5);
        while running(&tag) > 0 {
            assert!(Instant::now() < deadline, "a background child survived");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    #[test]
    fn detached_processes_end_with_the_call() {
        detached_processes_end(Fixture::new(), "75");
    }

    /// With the sandbox off there is no PID namespace: the marker sweep must catch them.
    #[test]
    fn detached_processes_are_swept_without_a_pid_namespace() {
        let mut f = Fixture::new();
        let config = crate::permissions::PermissionsConfig {
            sandbox: SandboxRequirement::Off,
            ..Default::default()
        };
        f.ctx.policy = std::sync::Arc::new(config.compile(f.ctx.workspace.root()).unwrap());
        detached_processes_end(f, "25");
    }

    fn detached_processes_end(f: Fixture, suffix: &str) {
        let tag = format!("{}.{suffix}", 5_000_000 + std::process::id() % 1_000_000);
        let command = format!(
            "setsid sh -c 'sleep {tag}; touch marker' & nohup sleep {tag} >/dev/null 2>&1 & \
             ( ( sleep {tag} & ) & ); sleep 0.3; echo started"
        );
        let out = f.run(&Bash, json!({ "command": command })).unwrap().content;
        assert!(out.contains("started"), "{out}");
        let deadline = Instant::now() + Duration::from_secs(5);
        while running(&tag) > 0 {
            assert!(
                Instant::now() < deadline,
                "a detached process survived: {out}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    #[test]
    fn stderr_survives_a_long_stdout_and_true_sizes_are_reported() {
        let f = Fixture::new();
        let out = f
            .run(
                &Bash,
                json!({"command": "head -c 100000 /dev/zero | tr '\\0' a; echo the-error >&2"}),
            )
            .unwrap()
            .content;
        assert!(out.contains("--- stderr ---\nthe-error"), "{out}");
        assert!(out.contains("of 100000 bytes cut"), "{out}");
        assert!(!out.contains("[... output truncated"), "{out}");
    }

    #[test]
    fn workdir_escape_is_rejected() {
        let f = Fixture::new();
        let err = f
            .run(&Bash, json!({"command": "ls", "workdir": "../.."}))
            .unwrap_err();
        assert!(err.to_string().contains("escapes"), "{err}");
    }

    #[test]
    fn classifies_blocks() {
        let profile = Profile {
            write_roots: Some(vec!["/ws".into()]),
            deny_read: vec!["/ws/.env".into()],
            deny_write: vec!["/ws/.ouro".into()],
            deny_write_missing: vec![],
            deny_write_escapes: vec![],
            network: false,
            shm: None,
        };
        let stderr = "cat: .env: Permission denied\n\
                      bash: /opt/x: Permission denied\n\
                      bash: connect: Network is unreachable\n\
                      bash: .ouro/journal: Read-only file system\n\
                      mv: cannot move '.ouro' to 'x': Device or resource busy\n\
                      rm: cannot remove 'build': Device or resource busy\n\
                      fine line\n";
        let blocks = sandbox_blocks("", stderr, &profile);
        let actions: Vec<Action> = blocks.iter().map(|b| b.0).collect();
        assert_eq!(
            actions,
            [
                Action::Read,
                Action::Write,
                Action::Network,
                Action::Write,
                Action::Write
            ]
        );
        assert_eq!(blocks[3].2, "sandbox: read-only mount (write-denied path)");
    }
}
