//! The Linux sandbox for commands run by the `bash` tool.
//!
//! [`Sandbox::probe`] finds out once what the kernel offers: the Landlock ABI version and
//! whether a process may enter a new network namespace. For each command,
//! [`Sandbox::confine`] turns a [`Profile`] (derived from the permission policy) into a
//! [`Confinement`]: a Landlock ruleset built in the parent and a network-namespace plan; both
//! are entered in the child between `fork` and `exec` (a `pre_exec` hook), so ouro itself
//! stays unconfined.
//!
//! - Writes: only the write roots (workspace and temp dirs) and a few device files get
//!   Landlock write rights.
//! - Reads: when the policy hides paths (e.g. `.env`), read rights are granted on everything
//!   *except* those paths (see [`allowlist`] for how, and its limits).
//! - Network: a new network namespace (nothing but a down loopback) where the kernel allows
//!   it, plus Landlock TCP connect/bind denial on ABI >= 4; ABI >= 6 also scopes signals and
//!   abstract UNIX sockets to the sandbox.

pub mod allowlist;
mod landlock;
pub mod netns;
pub mod profile;

use std::os::unix::process::CommandExt;
use std::process::Command;

pub use netns::NetnsMode;
pub use profile::{Profile, ScanError};

use crate::permissions::SandboxRequirement;

/// Why a command could not be confined as required.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The kernel lacks a protection the profile needs and the policy requires it.
    #[error(
        "sandbox required but unavailable: {0} (set `permissions.sandbox = \"best-effort\"` to run \
         with weaker protection)"
    )]
    Unavailable(String),
    /// Building the Landlock ruleset failed.
    #[error("sandbox: landlock: {0}")]
    Landlock(String),
    /// Hidden paths could not be computed.
    #[error(transparent)]
    Scan(#[from] ScanError),
}

/// What the kernel provides, found once at startup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sandbox {
    landlock: Result<i32, String>,
    netns: Result<NetnsMode, String>,
}

impl Sandbox {
    /// Probes the running kernel (no lasting side effects: the network-namespace check runs
    /// in a short-lived forked child).
    pub fn probe() -> Self {
        Self {
            landlock: probe_landlock(),
            netns: netns::probe(),
        }
    }

    /// The kernel's Landlock ABI version, if Landlock is available.
    pub fn landlock_abi(&self) -> Option<i32> {
        self.landlock.as_ref().ok().copied()
    }

    /// How a network namespace can be entered, if at all.
    pub fn netns(&self) -> Option<NetnsMode> {
        self.netns.as_ref().ok().copied()
    }

    /// Plain statements of what is missing (empty when everything ouro uses is there).
    pub fn missing(&self) -> Vec<String> {
        let mut missing = Vec::new();
        match &self.landlock {
            Err(why) => missing.push(format!(
                "Landlock unavailable ({why}): commands cannot be confined to the workspace and \
                 denied files stay readable through bash"
            )),
            Ok(abi) if *abi < 4 => missing.push(format!(
                "Landlock ABI {abi} < 4: TCP cannot be blocked by Landlock"
            )),
            Ok(abi) if *abi < 6 => missing.push(format!(
                "Landlock ABI {abi} < 6: signals and abstract UNIX sockets are not scoped"
            )),
            Ok(_) => {}
        }
        if let Err(why) = &self.netns {
            missing.push(format!(
                "network namespaces unavailable ({why}): UDP and other non-TCP traffic cannot be \
                 blocked"
            ));
        }
        missing
    }

    /// A human-readable report for startup logs.
    pub fn report(&self) -> String {
        let landlock = match &self.landlock {
            Ok(abi) => format!("Landlock ABI {abi}"),
            Err(why) => format!("Landlock: none ({why})"),
        };
        let netns = match &self.netns {
            Ok(NetnsMode::NetOnly) => "network namespace: yes (privileged)".to_string(),
            Ok(NetnsMode::UserAndNet) => "network namespace: yes (via user namespace)".to_string(),
            Err(why) => format!("network namespace: no ({why})"),
        };
        let mut out = format!("sandbox: {landlock}; {netns}");
        for m in self.missing() {
            out.push_str(&format!("\n  missing: {m}"));
        }
        out
    }

    /// Prepares the confinement for one command, or refuses when `requirement` is
    /// [`SandboxRequirement::Required`] and the kernel cannot provide what `profile` needs.
    pub fn confine(
        &self,
        profile: &Profile,
        requirement: SandboxRequirement,
    ) -> Result<Confinement, SandboxError> {
        if requirement == SandboxRequirement::Off {
            return Ok(Confinement {
                gaps: vec!["sandbox is off by configuration".to_string()],
                ..Confinement::default()
            });
        }
        let mut confinement = Confinement::default();
        let needs_fs = profile.write_roots.is_some()
            || !profile.deny_read.is_empty()
            || !profile.deny_write.is_empty();
        match &self.landlock {
            Ok(abi) => {
                if let Some(built) = landlock::build(*abi, profile)? {
                    confinement.covers.extend(built.covers);
                    confinement.gaps.extend(built.gaps);
                    confinement.landlock = Some(built.ruleset);
                }
            }
            Err(why) if needs_fs => {
                confinement.gaps.push(format!(
                    "file access not confined: Landlock unavailable ({why})"
                ));
            }
            Err(_) => {}
        }
        if !profile.network {
            match &self.netns {
                Ok(mode) => {
                    confinement.netns = Some(netns::NetnsPlan::new(*mode));
                    confinement
                        .covers
                        .push("network denied (new network namespace)".to_string());
                }
                Err(why) => {
                    let tcp_blocked = self.landlock_abi().is_some_and(|abi| abi >= 4);
                    let what = if tcp_blocked {
                        "UDP and other non-TCP traffic not blocked"
                    } else {
                        "network not blocked"
                    };
                    confinement
                        .gaps
                        .push(format!("{what}: no network namespace ({why})"));
                    if !tcp_blocked && requirement == SandboxRequirement::Required {
                        return Err(SandboxError::Unavailable(format!(
                            "{what}: no network namespace ({why}) and no Landlock ABI >= 4"
                        )));
                    }
                }
            }
        }
        if requirement == SandboxRequirement::Required
            && let Err(why) = &self.landlock
            && needs_fs
        {
            return Err(SandboxError::Unavailable(format!(
                "Landlock unavailable ({why}), so file access cannot be confined"
            )));
        }
        Ok(confinement)
    }
}

fn probe_landlock() -> Result<i32, String> {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: landlock_create_ruleset with a null attribute and the VERSION flag only
    // returns the ABI version; no memory is touched.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if v > 0 {
        Ok(v as i32)
    } else {
        let e = std::io::Error::last_os_error();
        Err(match e.raw_os_error() {
            Some(libc::ENOSYS) => "not built into this kernel".to_string(),
            Some(libc::EOPNOTSUPP) => "built in but disabled at boot".to_string(),
            _ => e.to_string(),
        })
    }
}

/// The protections prepared for one command.
#[derive(Default)]
pub struct Confinement {
    landlock: Option<::landlock::RulesetCreated>,
    netns: Option<netns::NetnsPlan>,
    /// What is enforced, one line each.
    pub covers: Vec<String>,
    /// What should be enforced but cannot be on this kernel (or is switched off).
    pub gaps: Vec<String>,
}

impl Confinement {
    /// Whether anything is enforced.
    pub fn is_active(&self) -> bool {
        self.landlock.is_some() || self.netns.is_some()
    }

    /// Installs the confinement into `cmd`: in the child, after `fork` and before `exec`,
    /// enter the network namespace, then restrict the process with Landlock.
    pub fn install(self, cmd: &mut Command) {
        let mut landlock = self.landlock;
        let netns = self.netns;
        // SAFETY: the hook runs in the forked child and only makes system calls (unshare,
        // open/write/close on /proc/self files, prctl, landlock_restrict_self); the texts it
        // writes were prepared before the fork.
        unsafe {
            cmd.pre_exec(move || {
                if let Some(plan) = &netns {
                    plan.enter()?;
                }
                if let Some(ruleset) = landlock.take()
                    && ruleset.restrict_self().is_err()
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_reports_plainly() {
        let s = Sandbox::probe();
        let report = s.report();
        println!("{report}");
        assert!(report.starts_with("sandbox: "));
        assert_eq!(s.missing().is_empty(), !report.contains("missing:"));
        if s.landlock_abi().is_none() {
            assert!(report.contains("Landlock: none"));
        }
    }

    #[test]
    fn off_confines_nothing() {
        let s = Sandbox::probe();
        let profile = Profile {
            write_roots: Some(vec![]),
            deny_read: vec![],
            deny_write: vec![],
            network: false,
        };
        let c = s.confine(&profile, SandboxRequirement::Off).unwrap();
        assert!(!c.is_active());
        assert_eq!(c.gaps, ["sandbox is off by configuration"]);
    }

    #[test]
    fn required_fails_loudly_without_landlock() {
        let s = Sandbox {
            landlock: Err("not built into this kernel".into()),
            netns: Err("EPERM".into()),
        };
        let profile = Profile {
            write_roots: Some(vec![]),
            deny_read: vec![],
            deny_write: vec![],
            network: true,
        };
        let err = s
            .confine(&profile, SandboxRequirement::Required)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("Landlock unavailable"), "{err}");
        let c = s.confine(&profile, SandboxRequirement::BestEffort).unwrap();
        assert!(!c.is_active());
        assert!(c.gaps[0].contains("not confined"), "{:?}", c.gaps);
        assert_eq!(s.missing().len(), 2);
    }
}
