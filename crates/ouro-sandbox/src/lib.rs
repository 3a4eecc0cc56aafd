//! ouro-sandbox: the Linux sandbox for everything the agent causes to run: the `bash` tool
//! of `ouro agent`, and in `ouro loop` the task's tests, the repository's test command and
//! the judge's command (which run code the agent wrote).
//!
//! [`Sandbox::probe`] finds out once what the kernel offers: the Landlock ABI version and
//! whether a process may enter a new network namespace and a new mount namespace. For each
//! command, [`Sandbox::confine`] turns a [`Profile`] (derived from the permission policy) into
//! a [`Confinement`]: a Landlock ruleset built in the parent, the namespaces to enter (one
//! `unshare`) and the read-only bind mounts to make; all are entered in the child between
//! `fork` and `exec` (a `pre_exec` hook), so ouro itself stays unconfined.
//!
//! - Writes: only the write roots (the workspace and the command's private temporary
//!   directory, [`tmp`]; never the shared `/tmp`, `/var/tmp` or `/dev/shm`) and a few device
//!   files get Landlock write rights. Write-denied paths inside them (`.ouro/` always) are mounted
//!   read-only in a private mount namespace ([`mountns`]), so the rest of the workspace,
//!   its root included, stays writable; without mount namespaces only the entries beside
//!   each denied path are granted ([`allowlist`]) and the audit record says so.
//! - Reads: when the policy hides paths (e.g. `.env`), read rights are granted on everything
//!   *except* those paths (see [`allowlist`] for how, and its limits).
//! - Network: a new network namespace (nothing but a down loopback) where the kernel allows
//!   it, plus Landlock TCP connect/bind denial on ABI >= 4; ABI >= 6 also scopes signals and
//!   abstract UNIX sockets to the sandbox; a seccomp filter refuses UNIX sockets, which reach
//!   sockets on disk ([`seccomp`]).
//! - Lifetime: each command is PID 1 of its own PID namespace, so nothing it starts outlives
//!   it ([`pidns`]); without one, the caller sweeps by an environment marker ([`reap`]).

pub mod allowlist;
pub mod env;
mod landlock;
pub mod mountns;
pub mod netns;
pub mod pidns;
pub mod profile;
pub mod protected;
pub mod reap;
pub mod seccomp;
pub mod tmp;
mod unshare;

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

pub use mountns::MountnsMode;
pub use netns::NetnsMode;
pub use pidns::PidnsMode;
pub use profile::{PatternProfile, Profile, ScanError, WriteScope};
pub use tmp::PrivateTmp;

use serde::{Deserialize, Serialize};

/// How strictly commands must be sandboxed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxRequirement {
    /// Do not confine commands.
    Off,
    /// Run with whatever the kernel provides.
    BestEffort,
    /// Refuse to run commands when a needed protection is missing.
    #[default]
    Required,
}

impl SandboxRequirement {
    /// As written in TOML (`required`, `best-effort`, `off`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::BestEffort => "best-effort",
            Self::Required => "required",
        }
    }
}

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
    /// The read-only mounts for write-denied paths could not be planned.
    #[error("sandbox: mount namespace: {0}")]
    Mount(String),
}

/// What the kernel provides, found once at startup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sandbox {
    landlock: Result<i32, String>,
    netns: Result<NetnsMode, String>,
    mountns: Result<MountnsMode, String>,
    pidns: Result<PidnsMode, String>,
    seccomp: Result<(), String>,
}

impl Sandbox {
    /// Probes the running kernel (no lasting side effects: the namespace checks run in
    /// short-lived forked children).
    pub fn probe() -> Self {
        Self {
            landlock: probe_landlock(),
            netns: netns::probe(),
            mountns: mountns::probe(),
            pidns: pidns::probe(),
            seccomp: seccomp::probe(),
        }
    }

    /// How a PID namespace can be entered, if at all (else commands are swept, see [`reap`]).
    pub fn pid_ns(&self) -> Option<PidnsMode> {
        self.pidns.as_ref().ok().copied()
    }

    /// The kernel's Landlock ABI version, if Landlock is available.
    pub fn landlock_abi(&self) -> Option<i32> {
        self.landlock.as_ref().ok().copied()
    }

    /// How a network namespace can be entered, if at all.
    pub fn netns(&self) -> Option<NetnsMode> {
        self.netns.as_ref().ok().copied()
    }

    /// How a mount namespace with read-only bind mounts can be entered, if at all.
    pub fn mount_ns(&self) -> Option<MountnsMode> {
        self.mountns.as_ref().ok().copied()
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
        if let Err(why) = &self.pidns {
            missing.push(format!(
                "PID namespaces unavailable ({why}): processes a command leaves behind are swept \
                 by an environment marker, which one that clears its environment escapes"
            ));
        }
        if let Err(why) = &self.seccomp {
            missing.push(format!(
                "{why}: with the network denied, UNIX sockets on disk stay reachable"
            ));
        }
        if let Err(why) = &self.mountns {
            missing.push(format!(
                "mount namespaces unavailable ({why}): when something in the workspace is \
                 write-denied (always `.ouro/`), only the entries beside it are writable, not the \
                 directories that hold it (the workspace root)"
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
        let mountns = match &self.mountns {
            Ok(MountnsMode::MountOnly) => "mount namespace: yes (privileged)".to_string(),
            Ok(MountnsMode::UserAndMount) => {
                "mount namespace: yes (via user namespace)".to_string()
            }
            Err(why) => format!("mount namespace: no ({why})"),
        };
        let pidns = match &self.pidns {
            Ok(PidnsMode::PidOnly) => "PID namespace: yes (privileged)".to_string(),
            Ok(PidnsMode::UserAndPid) => "PID namespace: yes (via user namespace)".to_string(),
            Err(why) => format!("PID namespace: no ({why})"),
        };
        let seccomp = match &self.seccomp {
            Ok(()) => "seccomp: yes".to_string(),
            Err(why) => format!("seccomp: no ({why})"),
        };
        let mut out = format!("sandbox: {landlock}; {netns}; {mountns}; {pidns}; {seccomp}");
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
        let mut unshare_flags = 0;
        let mut user_ns = false;
        match &self.landlock {
            Ok(abi) => {
                let mounts =
                    self.plan_mounts(profile, &mut confinement.gaps, &mut confinement.covers)?;
                if let Some(built) = landlock::build(*abi, profile, mounts.is_some())? {
                    confinement.covers.extend(built.covers);
                    confinement.gaps.extend(built.gaps);
                    confinement.landlock = Some(built.ruleset);
                }
                if let Some((plan, mode)) = mounts {
                    unshare_flags |= libc::CLONE_NEWNS;
                    user_ns |= mode == MountnsMode::UserAndMount;
                    confinement.mounts = Some(plan);
                }
            }
            Err(why) if needs_fs => {
                confinement.gaps.push(format!(
                    "file access not confined: Landlock unavailable ({why})"
                ));
            }
            Err(_) => {}
        }
        match &self.pidns {
            Ok(mode) => {
                unshare_flags |= libc::CLONE_NEWPID;
                user_ns |= *mode == PidnsMode::UserAndPid;
                confinement.init = true;
                confinement
                    .covers
                    .push("processes end with the command (new PID namespace)".to_string());
            }
            Err(why) => confinement.gaps.push(format!(
                "no PID namespace ({why}): leftover processes are swept by environment marker"
            )),
        }
        if !profile.network {
            match &self.seccomp {
                Ok(()) => {
                    confinement.seccomp = Some(seccomp::UnixSocketFilter::new());
                    confinement
                        .covers
                        .push("UNIX sockets refused (seccomp)".to_string());
                }
                Err(why) => confinement
                    .gaps
                    .push(format!("UNIX sockets on disk reachable: {why}")),
            }
            match &self.netns {
                Ok(mode) => {
                    unshare_flags |= libc::CLONE_NEWNET;
                    user_ns |= *mode == NetnsMode::UserAndNet;
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
        if unshare_flags != 0 {
            confinement.unshare = Some(unshare::UnsharePlan::new(unshare_flags, user_ns));
        }
        Ok(confinement)
    }

    /// The read-only mounts for the write-denied paths inside the write roots (elsewhere
    /// Landlock denies writes anyway) and the command's own `/dev/shm` ([`Profile::shm`]), or
    /// `None` (with the reason in `gaps`) when there are none or mount namespaces are
    /// unavailable, in which case [`allowlist`] protects the denied paths.
    /// Refuses write-denied paths in the workspace that are symbolic links out of it: a mount
    /// would protect another place, and the link itself would stay replaceable.
    fn plan_mounts(
        &self,
        profile: &Profile,
        gaps: &mut Vec<String>,
        covers: &mut Vec<String>,
    ) -> Result<Option<(mountns::MountPlan, MountnsMode)>, SandboxError> {
        if let Some((named, resolved)) = profile.deny_write_escapes.first() {
            return Err(SandboxError::Mount(format!(
                "`{}` is write-denied but is a symbolic link to `{}`, outside the workspace: \
                 refusing to run (a bind mount would protect another place, and the command \
                 could replace the link); replace the link with a directory, or drop the deny \
                 rule",
                named.display(),
                resolved.display()
            )));
        }
        let inside: Vec<std::path::PathBuf> = profile
            .deny_write
            .iter()
            .filter(|p| profile.writable(p))
            .cloned()
            .collect();
        let shared_shm = Path::new(SHARED_SHM);
        let shm = profile
            .shm
            .as_deref()
            .filter(|_| shared_shm.is_dir() && !profile.writable(shared_shm));
        if inside.is_empty() && shm.is_none() {
            return Ok(None);
        }
        let mode = match &self.mountns {
            Ok(mode) => *mode,
            Err(why) => {
                if !inside.is_empty() {
                    gaps.push(format!(
                        "write-denied paths protected by granting only the entries beside \
                         them (no mount namespace: {why}): nothing can be created next to them"
                    ));
                }
                if shm.is_some() {
                    gaps.push(format!(
                        "{SHARED_SHM} is read-only (no mount namespace for a private one: {why})"
                    ));
                }
                return Ok(None);
            }
        };
        for file in &inside {
            if std::fs::metadata(file).is_ok_and(|m| m.is_file() && m.nlink() > 1) {
                gaps.push(format!(
                    "`{}` has other hard links; it stays writable through them",
                    file.display()
                ));
            }
        }
        let mut plan = mountns::MountPlan::new(&inside)?;
        if !inside.is_empty() {
            covers.push(format!(
                "{} write-denied path(s) mounted read-only (mount namespace)",
                plan.binds()
            ));
        }
        if let Some(dir) = shm {
            plan.bind_over(dir, shared_shm)?;
            covers.push(format!(
                "{SHARED_SHM} is the command's own (a fresh directory bound over it)"
            ));
        }
        Ok(Some((plan, mode)))
    }
}

/// The shared memory directory that commands get a private copy of.
const SHARED_SHM: &str = "/dev/shm";

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
    unshare: Option<unshare::UnsharePlan>,
    mounts: Option<mountns::MountPlan>,
    seccomp: Option<seccomp::UnixSocketFilter>,
    /// The command runs as PID 1 of its new PID namespace (see [`pidns`]).
    init: bool,
    /// What is enforced, one line each.
    pub covers: Vec<String>,
    /// What should be enforced but cannot be on this kernel (or is switched off).
    pub gaps: Vec<String>,
}

impl Confinement {
    /// Whether anything is enforced.
    pub fn is_active(&self) -> bool {
        self.landlock.is_some() || self.unshare.is_some() || self.seccomp.is_some()
    }

    /// Whether everything the command starts ends with it (a PID namespace holds it);
    /// otherwise the caller sweeps with a [`reap::Marker`].
    pub fn holds_processes(&self) -> bool {
        self.init
    }

    /// Installs the confinement into `cmd`: in the child, after `fork` and before `exec`,
    /// enter the new namespaces, make the read-only mounts (and enter `cmd`'s working
    /// directory again through them), then restrict the process with Landlock.
    pub fn install(self, cmd: &mut Command) -> Result<(), SandboxError> {
        let mut landlock = self.landlock;
        let unshare = self.unshare;
        let mut mounts = self.mounts;
        let filter = self.seccomp;
        let init = self.init;
        if let Some(plan) = &mut mounts {
            let cwd = std::env::current_dir()
                .map(|here| here.join(cmd.get_current_dir().unwrap_or(Path::new("."))))
                .map_err(|e| SandboxError::Mount(format!("the working directory: {e}")))?;
            plan.set_cwd(&cwd)?;
        }
        // SAFETY: the hook runs in the forked child and only makes system calls (unshare,
        // open/write/close on /proc/self files, mount, chdir, prctl, landlock_restrict_self,
        // seccomp's prctl, and the fork and wait of `pidns::become_init`); the texts, paths and
        // filter it uses were prepared before the fork.
        unsafe {
            cmd.pre_exec(move || {
                if let Some(plan) = &unshare {
                    plan.enter()?;
                }
                if let Some(plan) = &mounts {
                    plan.enter()?;
                }
                if let Some(ruleset) = landlock.take()
                    && ruleset.restrict_self().is_err()
                {
                    return Err(std::io::Error::last_os_error());
                }
                if let Some(filter) = &filter {
                    filter.install()?;
                }
                if init {
                    pidns::become_init()?;
                }
                Ok(())
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

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
            deny_write_missing: vec![],
            deny_write_escapes: vec![],
            network: false,
            shm: None,
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
            mountns: Err("EPERM".into()),
            pidns: Err("EPERM".into()),
            seccomp: Err("seccomp unavailable: EINVAL".into()),
        };
        let profile = Profile {
            write_roots: Some(vec![]),
            deny_read: vec![],
            deny_write: vec![],
            deny_write_missing: vec![],
            deny_write_escapes: vec![],
            network: true,
            shm: None,
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
        assert_eq!(s.missing().len(), 5);
    }

    #[test]
    fn a_private_shm_is_bound_over_the_shared_one_or_reported_missing() {
        let probed = Sandbox::probe();
        if probed.landlock_abi().is_none() || !Path::new(SHARED_SHM).is_dir() {
            eprintln!(
                "!!! no Landlock or no {SHARED_SHM}: skipped\n{}",
                probed.report()
            );
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().canonicalize().unwrap();
        let mut profile = Profile {
            write_roots: Some(vec![ws.clone()]),
            deny_read: vec![],
            deny_write: vec![],
            deny_write_missing: vec![],
            deny_write_escapes: vec![],
            network: false,
            shm: None,
        };
        let shm = ws.join("shm");
        profile.private_shm(&shm);
        assert_eq!(profile.shm.as_deref(), Some(shm.as_path()));
        assert!(profile.writable(&shm.join("sem.x")));
        let without = Sandbox {
            mountns: Err("EPERM".into()),
            ..probed.clone()
        };
        let c = without
            .confine(&profile, SandboxRequirement::Required)
            .unwrap();
        assert!(c.mounts.is_none());
        assert!(
            c.gaps.iter().any(|g| g.contains("/dev/shm is read-only")),
            "{:?}",
            c.gaps
        );
        if probed.mount_ns().is_some() {
            let c = probed
                .confine(&profile, SandboxRequirement::Required)
                .unwrap();
            assert_eq!(c.mounts.as_ref().map(|m| m.binds()), Some(0));
            assert!(
                c.covers
                    .iter()
                    .any(|l| l.contains("/dev/shm is the command's own")),
                "{:?}",
                c.covers
            );
        }
        // Unconfined writes need no private one.
        let mut anywhere = Profile {
            write_roots: None,
            shm: None,
            ..profile
        };
        anywhere.private_shm(&shm);
        assert!(anywhere.shm.is_none());
    }

    #[test]
    fn write_denied_paths_are_mounted_or_fall_back_to_the_allowlist() {
        let probed = Sandbox::probe();
        if probed.landlock_abi().is_none() {
            eprintln!("!!! no Landlock: skipped\n{}", probed.report());
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().canonicalize().unwrap();
        std::fs::create_dir(ws.join(".ouro")).unwrap();
        let profile = Profile {
            write_roots: Some(vec![ws.clone()]),
            deny_read: vec![],
            deny_write: vec![ws.join(".ouro"), PathBuf::from("/etc")],
            deny_write_missing: vec![],
            deny_write_escapes: vec![],
            network: true,
            shm: None,
        };
        let without = Sandbox {
            mountns: Err("EPERM".into()),
            pidns: Err("EPERM".into()),
            ..probed.clone()
        };
        let c = without
            .confine(&profile, SandboxRequirement::Required)
            .unwrap();
        assert!(c.mounts.is_none() && c.unshare.is_none());
        assert!(
            c.gaps
                .iter()
                .any(|g| g.contains("no mount namespace: EPERM")),
            "{:?}",
            c.gaps
        );
        if probed.mount_ns().is_none() {
            return;
        }
        // Only `.ouro` needs a mount: `/etc` lies outside the write roots.
        let c = probed
            .confine(&profile, SandboxRequirement::Required)
            .unwrap();
        assert_eq!(c.mounts.as_ref().map(|m| m.binds()), Some(1));
        assert!(c.unshare.is_some());
        assert!(
            c.covers
                .iter()
                .any(|l| l.contains("1 write-denied path(s) mounted read-only")),
            "{:?}",
            c.covers
        );
        let outside_only = Profile {
            deny_write: vec![PathBuf::from("/etc")],
            ..profile
        };
        let c = probed
            .confine(&outside_only, SandboxRequirement::Required)
            .unwrap();
        assert!(c.mounts.is_none() && c.gaps.is_empty(), "{:?}", c.gaps);
    }
}
