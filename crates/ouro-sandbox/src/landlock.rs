//! Building the Landlock ruleset for a [`Profile`] (in the parent; the child only enforces it).

use std::path::{Path, PathBuf};

use landlock::{
    ABI, AccessFs, AccessNet, BitFlags, PathBeneath, PathFd, Ruleset, RulesetAttr, RulesetCreated,
    RulesetCreatedAttr, Scope,
};

use super::SandboxError;
use super::allowlist::{self, Scope as Extent};
use super::profile::Profile;

/// Device files every command may write (and `ioctl`) regardless of the write roots.
const DEVICES: [&str; 6] = [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
];

/// A ruleset ready to enforce, with a description of what it covers.
pub struct Built {
    /// The ruleset (rules added), enforced in the child with `restrict_self`.
    pub ruleset: RulesetCreated,
    /// One line per protection it enforces.
    pub covers: Vec<String>,
    /// Known holes in what it enforces.
    pub gaps: Vec<String>,
}

fn err(e: impl std::fmt::Display) -> SandboxError {
    SandboxError::Landlock(e.to_string())
}

/// Builds the ruleset for `profile` on a kernel with Landlock ABI `kernel_abi`, or `None`
/// when the profile restricts nothing Landlock handles. With `mounted`, the write-denied paths
/// are read-only mounts (see [`super::mountns`]) and the write roots are granted whole;
/// otherwise only the entries beside those paths are (see [`allowlist`]).
pub fn build(
    kernel_abi: i32,
    profile: &Profile,
    mounted: bool,
) -> Result<Option<Built>, SandboxError> {
    let abi = ABI::from(kernel_abi);
    let mut covers = Vec::new();
    let mut gaps = Vec::new();
    let write_roots = match (&profile.write_roots, profile.deny_write.is_empty()) {
        (Some(roots), _) => Some(roots.clone()),
        (None, false) => Some(vec![PathBuf::from("/")]),
        (None, true) => None,
    };
    let read_fs = if profile.deny_read.is_empty() {
        BitFlags::EMPTY
    } else {
        AccessFs::from_read(abi)
    };
    let write_fs = if write_roots.is_some() {
        AccessFs::from_write(abi)
    } else {
        BitFlags::EMPTY
    };
    let net = if !profile.network && abi >= ABI::V4 {
        AccessNet::BindTcp | AccessNet::ConnectTcp
    } else {
        BitFlags::EMPTY
    };
    let scopes = if abi >= ABI::V6 {
        if profile.network {
            BitFlags::from(Scope::Signal)
        } else {
            Scope::Signal | Scope::AbstractUnixSocket
        }
    } else {
        BitFlags::EMPTY
    };
    let handled_fs = read_fs | write_fs;
    if handled_fs.is_empty() && net.is_empty() {
        return Ok(None);
    }
    let mut ruleset = Ruleset::default();
    if !handled_fs.is_empty() {
        ruleset = ruleset.handle_access(handled_fs).map_err(err)?;
    }
    if !net.is_empty() {
        ruleset = ruleset.handle_access(net).map_err(err)?;
        covers.push("TCP connect and bind denied (Landlock)".to_string());
    }
    if !scopes.is_empty() {
        ruleset = ruleset.scope(scopes).map_err(err)?;
    }
    let mut created = ruleset.create().map_err(err)?;
    if !read_fs.is_empty() {
        let grants = allowlist::allow_except(&[PathBuf::from("/")], &profile.deny_read);
        for (path, extent) in &grants.rules {
            let rights = match extent {
                Extent::Beneath => read_fs,
                Extent::Traverse => BitFlags::from(AccessFs::ReadDir),
            };
            created = add(created, path, rights, abi)?;
        }
        for h in grants.hard_linked {
            gaps.push(format!(
                "`{}` has other hard links; it stays readable through them",
                h.display()
            ));
        }
        covers.push(format!(
            "reads denied for {} path(s) (Landlock)",
            profile.deny_read.len()
        ));
    }
    if let Some(roots) = &write_roots {
        let denied: &[PathBuf] = if mounted { &[] } else { &profile.deny_write };
        let grants = allowlist::allow_except(roots, denied);
        for (path, extent) in &grants.rules {
            if *extent == Extent::Beneath {
                created = add(created, path, write_fs, abi)?;
            }
        }
        for device in DEVICES {
            created = add(created, Path::new(device), write_fs, abi)?;
        }
        let shown: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
        covers.push(format!(
            "writes confined to {} (Landlock)",
            shown.join(", ")
        ));
        if abi < ABI::V2 {
            gaps.push("Landlock ABI 1: files cannot be moved between directories".to_string());
        }
        if abi < ABI::V3 {
            gaps.push("Landlock ABI < 3: truncating files is not confined".to_string());
        }
    }
    Ok(Some(Built {
        ruleset: created,
        covers,
        gaps,
    }))
}

/// Adds one rule, trimming directory-only rights for non-directories; vanished paths are
/// skipped.
fn add(
    ruleset: RulesetCreated,
    path: &Path,
    rights: BitFlags<AccessFs>,
    abi: ABI,
) -> Result<RulesetCreated, SandboxError> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(ruleset);
    };
    let rights = if meta.is_dir() {
        rights
    } else {
        rights & AccessFs::from_file(abi)
    };
    if rights.is_empty() {
        return Ok(ruleset);
    }
    let Ok(fd) = PathFd::new(path) else {
        return Ok(ruleset);
    };
    ruleset
        .add_rule(PathBeneath::new(fd, rights))
        .map_err(|e| SandboxError::Landlock(format!("rule for `{}`: {e}", path.display())))
}
