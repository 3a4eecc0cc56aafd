//! Confining what the agent's work runs in the loop: the task's tests, the repository's test
//! command, the judge's command and the eval's hidden test execute code the coder wrote, so
//! they run in the same sandbox as the agent's `bash` tool ([`ouro_sandbox`]): writes only in
//! the worktree and in a private temporary directory made for the command
//! ([`ouro_sandbox::PrivateTmp`]: `TMPDIR`, `TMP` and `TEMP` name it; the shared `/tmp` is not
//! writable, even when the repository itself lies there; `/dev/shm` is a private one), the
//! protected paths
//! ([`ouro_sandbox::protected`], the worktree's `.git` file among them) read-only, no network,
//! and the same scrubbed environment ([`ouro_sandbox::env::scrub`]: no API keys or tokens of
//! ouro's own; the variables the loop sets on the command afterwards, such as the judge's
//! `OURO_*`, are kept). The coder command itself is the user's choice and runs as configured
//! (`ouro agent` confines its own commands).

use std::path::Path;
use std::process::Command;

use ouro_sandbox::protected::PROTECTED_PATTERNS;
use ouro_sandbox::reap::{self, Marker};
use ouro_sandbox::{
    PatternProfile, PrivateTmp, Profile, Sandbox, SandboxRequirement, WriteScope, env,
};

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

    /// Makes `cmd`, run in worktree `dir`, start confined, with a scrubbed environment (set
    /// the command's own variables after this). Returns what could not be enforced on this
    /// kernel (empty when everything is) and the command's temporary directory, removed when
    /// it is dropped; fails when the sandbox is required and the kernel cannot provide it.
    pub fn install(&self, cmd: &mut Command, dir: &Path) -> Result<Confined, LoopError> {
        let failed = |reason: String| LoopError::Sandbox {
            dir: dir.to_path_buf(),
            reason,
        };
        let workspace = dir
            .canonicalize()
            .map_err(|e| failed(format!("resolving the worktree: {e}")))?;
        let tmp = PrivateTmp::create("ouro-work")
            .map_err(|e| failed(format!("its temporary directory: {e}")))?;
        env::scrub(cmd, &[]);
        tmp.point(cmd);
        let mut profile = Profile::from_patterns(&PatternProfile {
            workspace: &workspace,
            writes: WriteScope::Only(vec![workspace.clone(), tmp.path().to_path_buf()]),
            deny_read: Vec::new(),
            deny_write: PROTECTED_PATTERNS.to_vec(),
            network: false,
        })
        .map_err(|e| failed(e.to_string()))?;
        profile.private_shm(tmp.shm());
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
