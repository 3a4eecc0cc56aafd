//! Running shell commands (coders, judges, tests) in a worktree: output to a log file,
//! a timeout and a cancel flag, the whole process group killed when either fires, and, for
//! the commands that run the agent's work, the sandbox ([`crate::confine`]).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::LoopError;
use crate::confine::WorkSandbox;

/// A shell command to run.
#[derive(Debug)]
pub struct ShellCommand<'a> {
    /// The command line, run with `sh -c`.
    pub command: &'a str,
    /// Its working directory.
    pub dir: &'a Path,
    /// Extra environment variables, set on purpose: a confined command keeps them, while the
    /// rest of ouro's environment is scrubbed ([`WorkSandbox::install`]).
    pub env: Vec<(String, String)>,
    /// Bytes written to its standard input (closed after them); `None`: no input.
    pub stdin: Option<Vec<u8>>,
    /// The log file its standard output and error are appended to.
    pub log: &'a Path,
    /// How long it may run.
    pub timeout: Duration,
    /// Set to stop it early.
    pub cancel: &'a AtomicBool,
    /// The sandbox it runs in (`None`: unconfined, for the user's own coder command).
    pub sandbox: Option<&'a WorkSandbox>,
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this code.
    Code(i32),
    /// A signal killed it.
    Signal(i32),
    /// It ran past its timeout and was killed.
    TimedOut,
    /// The cancel flag was set and it was killed.
    Cancelled,
}

impl Exit {
    /// Exited with code 0.
    pub fn success(self) -> bool {
        self == Exit::Code(0)
    }

    /// In words, for logs and fed-back errors.
    pub fn describe(self) -> String {
        match self {
            Exit::Code(code) => format!("exit code {code}"),
            Exit::Signal(signal) => format!("killed by signal {signal}"),
            Exit::TimedOut => "timed out".into(),
            Exit::Cancelled => "cancelled".into(),
        }
    }
}

/// The result of [`run_shell`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecResult {
    /// How it ended.
    pub exit: Exit,
    /// How long it ran.
    pub duration: Duration,
    /// Offset in the log where its output starts.
    pub log_start: u64,
}

/// Runs `cmd` in its own process group and waits for it, the timeout or the cancel flag.
pub fn run_shell(cmd: &ShellCommand<'_>) -> Result<ExecResult, LoopError> {
    let mut log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(cmd.log)
        .map_err(|e| LoopError::io("open log", cmd.log, e))?;
    let mut command = Command::new("sh");
    command.arg("-c").arg(cmd.command).current_dir(cmd.dir);
    writeln!(log, "$ {}", cmd.command).map_err(|e| LoopError::io("write log", cmd.log, e))?;
    // Kept until the command ends: it owns the command's temporary directory.
    let confined = match cmd.sandbox {
        Some(sandbox) => Some(sandbox.install(&mut command, cmd.dir)?),
        None => None,
    };
    if let Some(gaps) = confined.as_ref().map(|c| &c.gaps).filter(|g| !g.is_empty()) {
        writeln!(log, "# sandbox gaps: {}", gaps.join("; "))
            .map_err(|e| LoopError::io("write log", cmd.log, e))?;
    }
    // The output starts after the command line: what is fed back is what the command said,
    // never the command itself.
    let log_start = log
        .seek(SeekFrom::End(0))
        .map_err(|e| LoopError::io("seek in log", cmd.log, e))?;
    let out = log
        .try_clone()
        .map_err(|e| LoopError::io("share log", cmd.log, e))?;
    command
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .stdin(if cmd.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(out))
        .process_group(0);
    #[cfg(target_os = "linux")]
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            // The shell dies with the worker thread that started it.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| LoopError::io("start sh -c in", cmd.dir, e))?;
    let pgid = child.id() as libc::pid_t;
    let feeder = match (child.stdin.take(), &cmd.stdin) {
        (Some(mut stdin), Some(bytes)) => {
            let bytes = bytes.clone();
            // A command that does not read its input must not block us: write on a thread.
            Some(std::thread::spawn(move || {
                let _ = stdin.write_all(&bytes);
            }))
        }
        _ => None,
    };
    let mut pause = Duration::from_millis(1);
    let exit = loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                use std::os::unix::process::ExitStatusExt;
                break match (status.code(), status.signal()) {
                    (Some(code), _) => Exit::Code(code),
                    (None, Some(signal)) => Exit::Signal(signal),
                    (None, None) => Exit::Code(-1),
                };
            }
            Ok(None) => {}
            Err(e) => return Err(LoopError::io("wait for sh in", cmd.dir, e)),
        }
        let stop = if cmd.cancel.load(Ordering::Relaxed) {
            Some(Exit::Cancelled)
        } else if started.elapsed() >= cmd.timeout {
            Some(Exit::TimedOut)
        } else {
            None
        };
        if let Some(exit) = stop {
            kill_group(pgid);
            let _ = child.wait();
            break exit;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    // Whatever it left running in the background goes too (and, without a PID namespace,
    // whatever carries its marker: processes that left the group with `setsid`).
    kill_group(pgid);
    if let Some(confined) = &confined {
        confined.sweep();
    }
    if let Some(feeder) = feeder {
        let _ = feeder.join();
    }
    Ok(ExecResult {
        exit,
        duration: started.elapsed(),
        log_start,
    })
}

fn kill_group(pgid: libc::pid_t) {
    // SAFETY: kill has no memory-safety preconditions; a group that is gone gives ESRCH.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

/// The log's text from byte `start` on, at most `max` bytes: if longer, its head and tail
/// with a marker saying how much was cut from the middle.
pub fn read_trimmed(log: &Path, start: u64, max: usize) -> Result<String, LoopError> {
    let mut file = File::open(log).map_err(|e| LoopError::io("open log", log, e))?;
    file.seek(SeekFrom::Start(start))
        .map_err(|e| LoopError::io("seek in log", log, e))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| LoopError::io("read log", log, e))?;
    Ok(trim_middle(&bytes, max))
}

/// `bytes` as text, cut in the middle to at most about `max` bytes.
pub fn trim_middle(bytes: &[u8], max: usize) -> String {
    if bytes.len() <= max {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let head = max / 4;
    let tail = max - head;
    format!(
        "{}\n[... {} bytes trimmed ...]\n{}",
        String::from_utf8_lossy(&bytes[..head]),
        bytes.len() - head - tail,
        String::from_utf8_lossy(&bytes[bytes.len() - tail..])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(command: &str, timeout: Duration, cancel: &AtomicBool) -> (ExecResult, String) {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("log");
        let result = run_shell(&ShellCommand {
            command,
            dir: dir.path(),
            env: vec![("OURO_X".into(), "from env".into())],
            stdin: Some(b"from stdin".to_vec()),
            log: &log,
            timeout,
            cancel,
            sandbox: None,
        })
        .expect("run");
        let text = read_trimmed(&log, result.log_start, 10_000).expect("read");
        (result, text)
    }

    #[test]
    fn captures_output_env_stdin_and_exit_code() {
        let no = AtomicBool::new(false);
        let (result, text) = run(
            "echo \"$OURO_X\"; cat; echo err >&2; exit 3",
            Duration::from_secs(10),
            &no,
        );
        assert_eq!(result.exit, Exit::Code(3));
        assert!(
            text.contains("from env") && text.contains("from stdin") && text.contains("err"),
            "{text}"
        );
        assert!(
            !text.contains("OURO_X"),
            "the command line is not output: {text}"
        );
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let no = AtomicBool::new(false);
        let started = Instant::now();
        let (result, _) = run("sleep 30 & sleep 30", Duration::from_millis(200), &no);
        assert_eq!(result.exit, Exit::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn cancel_stops_it() {
        let yes = AtomicBool::new(true);
        let (result, _) = run("sleep 30", Duration::from_secs(60), &yes);
        assert_eq!(result.exit, Exit::Cancelled);
    }

    #[test]
    fn setsid_children_are_swept_without_a_pid_namespace() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("log");
        let pid_file = dir.path().join("pid");
        let no = AtomicBool::new(false);
        // Sandbox off: no PID namespace holds the command, so the marker sweep must.
        let sandbox = WorkSandbox::probe(ouro_sandbox::SandboxRequirement::Off);
        let command = format!(
            "setsid sh -c 'echo $$ > {}; exec sleep 30' < /dev/null > /dev/null 2>&1 & \
             while [ ! -s {} ]; do sleep 0.01; done",
            pid_file.display(),
            pid_file.display()
        );
        let result = run_shell(&ShellCommand {
            command: &command,
            dir: dir.path(),
            env: vec![],
            stdin: None,
            log: &log,
            timeout: Duration::from_secs(20),
            cancel: &no,
            sandbox: Some(&sandbox),
        })
        .expect("run");
        assert_eq!(result.exit, Exit::Code(0));
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .expect("pid")
            .trim()
            .parse()
            .expect("a pid");
        let gone = || {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map_or(true, |stat| stat.split_whitespace().nth(2) == Some("Z"))
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while !gone() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(gone(), "the setsid child {pid} outlived the command");
    }

    #[test]
    fn trimming_keeps_head_and_tail() {
        let text: Vec<u8> = (0..1000).map(|i| b'a' + (i % 26) as u8).collect();
        let trimmed = trim_middle(&text, 100);
        assert!(trimmed.starts_with("abc"));
        assert!(trimmed.contains("900 bytes trimmed"));
        assert!(trimmed.ends_with(&String::from_utf8_lossy(&text[925..]).into_owned()));
        assert_eq!(trim_middle(b"short", 100), "short");
    }
}
