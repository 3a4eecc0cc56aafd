//! What one command may do: the write roots, hidden paths and network access (derived from
//! the agent's permission policy, or from the loop's fixed rules), resolved to concrete,
//! canonical paths.

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobSetBuilder};

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
    /// Write-denied directories named literally (`dir/**`) inside the workspace that do not
    /// exist yet but whose parent does, in a write root: [`Profile::create_missing`] creates
    /// them so they can be protected.
    pub deny_write_missing: Vec<PathBuf>,
    /// Write-denied paths named inside the workspace that resolve, through a symbolic link,
    /// to a place outside it: `(as named, resolved)`.
    pub deny_write_escapes: Vec<(PathBuf, PathBuf)>,
    /// Whether the command may use the network.
    pub network: bool,
    /// A directory bound over `/dev/shm` for the command (see [`Profile::private_shm`]).
    pub shm: Option<PathBuf>,
}

/// Why the profile could not be computed.
#[derive(Debug, thiserror::Error)]
#[error("sandbox: scanning for files hidden by deny rules: {0}")]
pub struct ScanError(String);

/// Where a command may write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteScope {
    /// Anywhere the OS allows.
    Anywhere,
    /// Exactly these directories (canonical): the workspace, the command's private temporary
    /// directory ([`crate::tmp`]).
    Only(Vec<PathBuf>),
}

/// A profile as written: deny patterns as the permission policy's rules spell them
/// (relative to the workspace, or absolute; `dir/**` denies `dir` itself).
#[derive(Debug, Clone)]
pub struct PatternProfile<'a> {
    /// The workspace root (canonical).
    pub workspace: &'a Path,
    /// Where the command may write.
    pub writes: WriteScope,
    /// Patterns of paths it may not read.
    pub deny_read: Vec<&'a str>,
    /// Patterns of paths it may not write.
    pub deny_write: Vec<&'a str>,
    /// Whether it may use the network.
    pub network: bool,
}

impl Profile {
    /// The profile `spec` describes, its patterns resolved to the paths they match now.
    pub fn from_patterns(spec: &PatternProfile<'_>) -> Result<Self, ScanError> {
        let write_roots = match &spec.writes {
            WriteScope::Anywhere => None,
            WriteScope::Only(roots) => Some(roots.clone()),
        };
        let read = denied_paths(spec.workspace, &spec.deny_read)?;
        let write = denied_paths(spec.workspace, &spec.deny_write)?;
        let mut profile = Self {
            write_roots,
            deny_read: read.existing,
            deny_write: write.existing,
            deny_write_missing: Vec::new(),
            deny_write_escapes: write.escapes,
            network: spec.network,
            shm: None,
        };
        // Only those whose parent exists in a write root (the command could create them).
        profile.deny_write_missing = write
            .missing_dirs
            .into_iter()
            .filter_map(|d| Some(d.parent()?.canonicalize().ok()?.join(d.file_name()?)))
            .filter(|d| d.parent().is_some_and(|p| profile.writable(p)))
            .collect();
        Ok(profile)
    }

    /// Gives the command `dir` (canonical, fresh) as its `/dev/shm` when its writes are
    /// limited: in a mount namespace `dir` is bound over the shared one, which stays
    /// unwritable, and granted as a write root. Without a mount namespace `/dev/shm` stays
    /// read-only (a gap the confinement reports).
    pub fn private_shm(&mut self, dir: &Path) {
        if let Some(roots) = &mut self.write_roots {
            roots.push(dir.to_path_buf());
            self.shm = Some(dir.to_path_buf());
        }
    }

    /// Whether the write roots include `path` (canonical).
    pub fn writable(&self, path: &Path) -> bool {
        self.write_roots
            .as_ref()
            .is_none_or(|roots| roots.iter().any(|r| path.starts_with(r)))
    }

    /// Creates the write-denied directories that do not exist yet ([`Self::deny_write_missing`],
    /// empty) and moves them to [`Self::deny_write`]: a command could otherwise create them
    /// and write in them, although the policy denies it. Returns what it created.
    pub fn create_missing(&mut self) -> Result<Vec<PathBuf>, ScanError> {
        let mut created = Vec::new();
        for dir in std::mem::take(&mut self.deny_write_missing) {
            match std::fs::create_dir(&dir) {
                Ok(()) => created.push(dir.clone()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(ScanError(format!(
                        "creating the write-denied directory `{}`: {e}",
                        dir.display()
                    )));
                }
            }
            let canonical = dir
                .canonicalize()
                .map_err(|e| ScanError(format!("resolving `{}`: {e}", dir.display())))?;
            if !self.deny_write.iter().any(|d| canonical.starts_with(d)) {
                self.deny_write.push(canonical);
            }
        }
        self.deny_write.sort();
        Ok(created)
    }
}

/// The paths matched by the deny rules of one action.
struct Denied {
    /// Every existing matched path, canonical, none inside another.
    existing: Vec<PathBuf>,
    /// Literal `dir/**` directories inside the workspace that do not exist.
    missing_dirs: Vec<PathBuf>,
    /// Matched paths inside the workspace that resolve outside it: `(as named, resolved)`.
    escapes: Vec<(PathBuf, PathBuf)>,
}

/// Every path matched by `patterns`: relative patterns are matched by scanning the workspace
/// (not inside `.git`), absolute ones by scanning below their literal prefix. A pattern
/// `dir/**` denies `dir` itself.
fn denied_paths(workspace: &Path, patterns: &[&str]) -> Result<Denied, ScanError> {
    let mut relative = GlobSetBuilder::new();
    let mut any_relative = false;
    let mut found = Vec::new();
    let mut literal_dirs = Vec::new();
    for &pattern in patterns {
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
                found.push(workspace.join(dir));
                if Path::new(dir)
                    .components()
                    .all(|c| matches!(c, Component::Normal(_)))
                {
                    literal_dirs.push(workspace.join(dir));
                }
            }
        }
    }
    if any_relative {
        let set = relative
            .build()
            .map_err(|e| ScanError(format!("deny patterns: {e}")))?;
        scan(workspace, &mut found, |p| {
            p.strip_prefix(workspace).is_ok_and(|rel| set.is_match(rel))
        })?;
    }
    let mut canonical = Vec::new();
    let mut missing_dirs = Vec::new();
    let mut escapes = Vec::new();
    for named in found {
        match named.canonicalize() {
            Ok(resolved) => {
                if named.starts_with(workspace) && !resolved.starts_with(workspace) {
                    escapes.push((named, resolved.clone()));
                }
                canonical.push(resolved);
            }
            Err(_) if literal_dirs.contains(&named) => missing_dirs.push(named),
            Err(_) => {}
        }
    }
    canonical.sort();
    canonical.dedup();
    // Drop paths inside other denied directories.
    let all = canonical.clone();
    canonical.retain(|p| !all.iter().any(|q| q != p && p.starts_with(q)));
    Ok(Denied {
        existing: canonical,
        missing_dirs,
        escapes,
    })
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

    fn spec<'a>(
        ws: &'a Path,
        deny_read: Vec<&'a str>,
        deny_write: Vec<&'a str>,
    ) -> PatternProfile<'a> {
        PatternProfile {
            workspace: ws,
            writes: WriteScope::Only(vec![ws.to_path_buf()]),
            deny_read,
            deny_write,
            network: false,
        }
    }

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
        let pem = format!("{}/*.pem", outside.display());
        let profile =
            Profile::from_patterns(&spec(&ws, vec!["**/.env", "keys/**", pem.as_str()], vec![]))
                .unwrap();
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

    #[test]
    fn finds_write_denied_dirs_that_are_missing_or_linked_out() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let ws = root.join("ws");
        std::fs::create_dir_all(root.join("outside")).unwrap();
        std::fs::create_dir_all(&ws).unwrap();
        std::os::unix::fs::symlink(root.join("outside"), ws.join("state")).unwrap();
        let mut profile = Profile::from_patterns(&spec(
            &ws,
            vec![],
            vec![".ouro/**", "state/**", "a/b/**", "../up/**"],
        ))
        .unwrap();
        // `a/b` has no parent yet and `../up` is not in the workspace: neither is created.
        assert_eq!(profile.deny_write_missing, [ws.join(".ouro")]);
        assert_eq!(
            profile.deny_write_escapes,
            [(ws.join("state"), root.join("outside"))]
        );
        assert_eq!(profile.deny_write, [root.join("outside")]);
        assert_eq!(profile.create_missing().unwrap(), [ws.join(".ouro")]);
        assert!(ws.join(".ouro").is_dir() && profile.deny_write_missing.is_empty());
        assert_eq!(profile.deny_write, [root.join("outside"), ws.join(".ouro")]);

        // Only what lies in a write root counts as writable.
        let roots = Profile {
            write_roots: Some(vec![root.join("ws")]),
            ..profile.clone()
        };
        assert!(roots.writable(&ws.join("x")) && !roots.writable(&root.join("outside")));
        let anywhere = Profile {
            write_roots: None,
            ..profile
        };
        assert!(anywhere.writable(Path::new("/etc")));
    }
}
