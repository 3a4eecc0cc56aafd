//! Running the commands an evaluation needs: git, and test commands under a timeout (the
//! whole process group is killed when it runs over).

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a test command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// Exit 0 within the time.
    pub passed: bool,
    /// How it ended, in words.
    pub exit: String,
    /// Its output (stdout then stderr), cut to its last bytes.
    pub output: String,
}

/// Bytes of a command's output kept.
const OUTPUT_BYTES: usize = 4000;

/// Runs `sh -c command` in `dir` with `env`, killed after `timeout`.
pub fn shell(
    command: &str,
    dir: &Path,
    env: &[(&str, String)],
    timeout: Duration,
) -> std::io::Result<Finished> {
    let out = tempfile::tempfile()?;
    let err = out.try_clone()?;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::from(out.try_clone()?))
        .stderr(Stdio::from(err))
        .process_group(0)
        .spawn()?;
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            // SAFETY: kill(2) on the child's own process group; no memory is involved.
            unsafe {
                libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
            }
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = tail(out)?;
    Ok(match status {
        Some(status) => Finished {
            passed: status.success(),
            exit: match status.code() {
                Some(code) => format!("exit code {code}"),
                None => "killed by a signal".into(),
            },
            output,
        },
        None => Finished {
            passed: false,
            exit: format!("timed out after {:.0} s", timeout.as_secs_f64()),
            output,
        },
    })
}

fn tail(mut file: std::fs::File) -> std::io::Result<String> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(len.saturating_sub(OUTPUT_BYTES as u64)))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Runs git in `dir` with a fixed identity and no user configuration; its trimmed
/// stdout, or its stderr as the error.
pub fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=ouro-eval",
            "-c",
            "user.email=eval@localhost",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("git {}: {e}", args.join(" ")))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    } else {
        Err(format!(
            "git {} in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_reports_exit_output_and_timeouts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ok = shell(
            "echo hi; echo $X >&2",
            dir.path(),
            &[("X", "y".into())],
            Duration::from_secs(10),
        )
        .expect("run");
        assert!(
            ok.passed && ok.output.contains("hi") && ok.output.contains('y'),
            "{ok:?}"
        );
        let bad = shell("exit 3", dir.path(), &[], Duration::from_secs(10)).expect("run");
        assert_eq!((bad.passed, bad.exit.as_str()), (false, "exit code 3"));
        let slow = shell("sleep 30", dir.path(), &[], Duration::from_millis(200)).expect("run");
        assert!(
            !slow.passed && slow.exit.starts_with("timed out"),
            "{slow:?}"
        );
    }
}
