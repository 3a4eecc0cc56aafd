//! Running git for an evaluation, with a fixed identity and no user configuration (test
//! commands run through the loop's own `ouro_loop::exec`).

use std::path::Path;
use std::process::{Command, Stdio};

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
