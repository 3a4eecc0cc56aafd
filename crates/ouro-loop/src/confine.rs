//! Confining what the agent's work runs in the loop: the task's tests, the repository's test
//! command and the judge's command execute code the coder wrote, so they run in the same
//! sandbox as the agent's `bash` tool ([`ouro_sandbox`]): writes only in the worktree and in
//! a private temporary directory made for the command (`TMPDIR`, `TMP` and `TEMP` name it;
//! the shared `/tmp` is not writable, since the repository itself may lie there), the
//! protected paths ([`ouro_sandbox::protected`], the worktree's `.git` file among them)
//! read-only, no network. The coder command itself is the user's choice and runs as
//! configured (`ouro agent` confines its own commands).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use ouro_sandbox::protected::PROTECTED_PATTERNS;
use ouro_sandbox::reap::{self, Marker};
use ouro_sandbox::{PatternProfile, Profile, Sandbox, SandboxRequirement, WriteScope};

use crate::LoopError;

/// The kernel's sandbox and how strictly the loop requires it (`[loop] sandbox`).
#[derive(Debug, Clone)]
pub struct WorkSandbox {
    sandbox: Sandbox,
    requirement: SandboxRequirement,
}

impl WorkSandbox {
    /// Probes the kernel once; `requirement` says what to do when a protection is missing.
    pub fn probe(requirement: SandboxRequirement) -> Self {
        Self {
            sandbox: Sandbox::probe(),
            requirement,
        }
    }

    /// Plain statements of how the confinement falls short of what it should be (for
    /// stderr at startup; empty when nothing is missing).
    pub fn warnings(&self) -> Vec<String> {
        match self.requirement {
            SandboxRequirement::Off => vec![
                "the sandbox is off ([loop] sandbox = \"off\"): task tests and judge commands \
                 run unconfined, with the agent's code"
                    .to_string(),
            ],
            requirement => self
                .sandbox
                .missing()
                .into_iter()
                .map(|m| format!("sandbox weaker than asked ({}): {m}", requirement.as_str()))
                .collect(),
        }
    }

    /// Makes `cmd`, run in worktree `dir`, start confined. Returns what could not be
    /// enforced on this kernel (empty when everything is) and the command's temporary
    /// directory, removed when it is dropped; fails when the sandbox is required and the
    /// kernel cannot provide it.
    pub fn install(&self, cmd: &mut Command, dir: &Path) -> Result<Confined, LoopError> {
        let failed = |reason: String| LoopError::Sandbox {
            dir: dir.to_path_buf(),
            reason,
        };
        let workspace = dir
            .canonicalize()
            .map_err(|e| failed(format!("resolving the worktree: {e}")))?;
        let tmp =
            PrivateTmp::create().map_err(|e| failed(format!("its temporary directory: {e}")))?;
        for var in ["TMPDIR", "TMP", "TEMP"] {
            cmd.env(var, &tmp.0);
        }
        let mut profile = Profile::from_patterns(&PatternProfile {
            workspace: &workspace,
            writes: WriteScope::Only(vec![workspace.clone(), tmp.0.clone()]),
            deny_read: Vec::new(),
            deny_write: PROTECTED_PATTERNS.to_vec(),
            network: false,
        })
        .map_err(|e| failed(e.to_string()))?;
        if self.requirement != SandboxRequirement::Off {
            profile
                .create_missing()
                .map_err(|e| failed(e.to_string()))?;
        }
        let confinement = self
            .sandbox
            .confine(&profile, self.requirement)
            .map_err(|e| failed(e.to_string()))?;
        let gaps = confinement.gaps.clone();
        // Without a PID namespace holding them, what the command leaves running (`setsid`
        // children included) is swept by this marker after it ends.
        let marker = (!confinement.holds_processes()).then(Marker::new);
        if let Some(marker) = &marker {
            cmd.env(reap::VAR, marker.value());
        }
        confinement
            .install(cmd)
            .map_err(|e| failed(e.to_string()))?;
        Ok(Confined {
            gaps,
            marker,
            _tmp: tmp,
        })
    }
}

/// A command made ready to run confined.
#[derive(Debug)]
pub struct Confined {
    /// What could not be enforced on this kernel.
    pub gaps: Vec<String>,
    /// The marker the command carries when no PID namespace holds its processes.
    marker: Option<Marker>,
    _tmp: PrivateTmp,
}

impl Confined {
    /// Kills whatever the ended command left running that no PID namespace ended with it
    /// (nothing to do when one did); returns how many processes were killed.
    pub fn sweep(&self) -> usize {
        self.marker.as_ref().map_or(0, Marker::sweep)
    }
}

/// A fresh directory under the system's temporary directory, removed when dropped.
#[derive(Debug)]
struct PrivateTmp(PathBuf);

impl PrivateTmp {
    fn create() -> std::io::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "ouro-work-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        match std::fs::remove_dir_all(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        std::fs::create_dir(&path)?;
        Ok(Self(path.canonicalize()?))
    }
}

impl Drop for PrivateTmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
