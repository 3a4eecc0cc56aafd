//! What one command may do: the write roots, hidden paths and network access derived from the
//! permission policy, resolved to concrete, canonical paths.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSetBuilder};

use crate::permissions::{Action, Mode, Policy};

/// The most directory entries scanned to find files matched by deny rules.
const MAX_SCAN: usize = 200_000;

/// The confinement for one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Where the command may write (`None`: anywhere the OS allows).
    pub write_roots: Option<Vec<PathBuf>>,
    /// Paths the command may not read (files or whole directories).
    pub deny_read: Vec<PathBuf>,
    /// Paths inside the write roots the command may not write.
    pub deny_write: Vec<PathBuf>,
    /// Whether the command may use the network.
    pub network: bool,
}

/// Why the profile could not be computed.
#[derive(Debug, thiserror::Error)]
#[error("sandbox: scanning for files hidden by deny rules: {0}")]
pub struct ScanError(String);

impl Profile {
    /// The profile for a command under `policy` (`network`: whether the call was granted
    /// network access).
    pub fn for_policy(policy: &Policy, network: bool) -> Result<Self, ScanError> {
        let workspace = policy.workspace().to_path_buf();
        let write_roots = match policy.mode() {
            Mode::FullAccess => None,
            Mode::WorkspaceWrite => {
                let mut roots = vec![workspace.clone()];
                roots.extend(temp_dirs());
                Some(roots)
            }
            Mode::ReadOnly => Some(temp_dirs()),
        };
        Ok(Self {
            write_roots,
            deny_read: denied_paths(policy, Action::Read)?,
            deny_write: denied_paths(policy, Action::Write)?,
            network: network || policy.mode() == Mode::FullAccess,
        })
    }
}

/// The temporary directories a command may always write: `$TMPDIR`, `/tmp`, `/var/tmp`,
/// `/dev/shm` (those that exist), canonicalized.
pub fn temp_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("TMPDIR")
        .map(PathBuf::from)
        .into_iter()
        .chain(["/tmp", "/var/tmp", "/dev/shm"].map(PathBuf::from))
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

/// Every existing path matched by a deny rule for `action`: relative patterns are matched by
/// scanning the workspace (`.git` excluded), absolute ones by scanning below their literal
/// prefix. A pattern `dir/**` denies `dir` itself.
fn denied_paths(policy: &Policy, action: Action) -> Result<Vec<PathBuf>, ScanError> {
    let mut relative = GlobSetBuilder::new();
    let mut any_relative = false;
    let mut found = Vec::new();
    for rule in policy.deny_path_patterns(action) {
        let pattern = rule.pattern.as_str();
        if pattern.starts_with('/') {
            found.extend(scan_absolute(pattern)?);
        } else {
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map_err(|e| ScanError(format!("pattern `{pattern}`: {e}")))?;
            relative.add(glob);
            any_relative = true;
            if let Some(dir) = pattern.strip_suffix("/**").filter(|d| is_literal(d)) {
                found.push(policy.workspace().join(dir));
            }
        }
    }
    if any_relative {
        let set = relative
            .build()
            .map_err(|e| ScanError(format!("deny patterns: {e}")))?;
        let root = policy.workspace();
        scan(root, &mut found, |p| {
            p.strip_prefix(root).is_ok_and(|rel| set.is_match(rel))
        })?;
    }
    let mut canonical: Vec<PathBuf> = found
        .into_iter()
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    canonical.sort();
    canonical.dedup();
    // Drop paths inside other denied directories.
    let all = canonical.clone();
    canonical.retain(|p| !all.iter().any(|q| q != p && p.starts_with(q)));
    Ok(canonical)
}

fn is_literal(s: &str) -> bool {
    !s.contains(['*', '?', '[', '{'])
}

fn scan_absolute(pattern: &str) -> Result<Vec<PathBuf>, ScanError> {
    let mut found = Vec::new();
    if let Some(dir) = pattern.strip_suffix("/**").filter(|d| is_literal(d)) {
        found.push(PathBuf::from(dir));
        return Ok(found);
    }
    let base: PathBuf = Path::new(pattern)
        .components()
        .take_while(|c| is_literal(&c.as_os_str().to_string_lossy()))
        .collect();
    if is_literal(pattern) {
        found.push(base);
        return Ok(found);
    }
    let matcher = GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| ScanError(format!("pattern `{pattern}`: {e}")))?
        .compile_matcher();
    scan(&base, &mut found, |p| matcher.is_match(p))?;
    Ok(found)
}

/// Walks `root` (not following links, skipping `.git`), collecting matches; a matching
/// directory is collected whole and not descended into.
fn scan(
    root: &Path,
    found: &mut Vec<PathBuf>,
    matches: impl Fn(&Path) -> bool,
) -> Result<(), ScanError> {
    let mut stack = vec![root.to_path_buf()];
    let mut seen = 0usize;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > MAX_SCAN {
                return Err(ScanError(format!(
                    "more than {MAX_SCAN} entries under `{}`; narrow the deny patterns",
                    root.display()
                )));
            }
            let path = entry.path();
            if matches(&path) {
                found.push(path);
            } else if entry.file_type().is_ok_and(|t| t.is_dir()) && entry.file_name() != ".git" {
                stack.push(path);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::{PermissionsConfig, RuleConfig, Verdict};

    #[test]
    fn finds_denied_files_by_relative_and_absolute_patterns() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().canonicalize().unwrap().join("ws");
        let outside = dir.path().canonicalize().unwrap().join("outside");
        std::fs::create_dir_all(ws.join("a/b")).unwrap();
        std::fs::create_dir_all(ws.join("keys")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(ws.join(".env"), "").unwrap();
        std::fs::write(ws.join("a/b/.env"), "").unwrap();
        std::fs::write(ws.join("a/b/ok.txt"), "").unwrap();
        std::fs::write(outside.join("id.pem"), "").unwrap();
        let config = PermissionsConfig {
            protect_secrets: false,
            rules: vec![
                RuleConfig {
                    action: Action::Read,
                    pattern: "**/.env".into(),
                    decision: Verdict::Deny,
                },
                RuleConfig {
                    action: Action::Read,
                    pattern: "keys/**".into(),
                    decision: Verdict::Deny,
                },
                RuleConfig {
                    action: Action::Read,
                    pattern: format!("{}/*.pem", outside.display()),
                    decision: Verdict::Deny,
                },
            ],
            ..PermissionsConfig::default()
        };
        let policy = config.compile(&ws).unwrap();
        let profile = Profile::for_policy(&policy, false).unwrap();
        assert_eq!(
            profile.deny_read,
            vec![
                outside.join("id.pem"),
                ws.join(".env"),
                ws.join("a/b/.env"),
                ws.join("keys"),
            ]
            .into_iter()
            .map(|p| p.canonicalize().unwrap())
            .collect::<Vec<_>>()
        );
        assert!(profile.deny_write.is_empty());
        assert!(!profile.network);
        let roots = profile.write_roots.unwrap();
        assert_eq!(roots[0], ws);
    }
}
