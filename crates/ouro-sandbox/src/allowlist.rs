//! Turning "everything under these roots except these paths" into Landlock allow rules.
//!
//! Landlock can only allow: a rule grants rights on a directory and everything beneath it.
//! To hide a file `/w/ws/.env` while allowing the rest of `/`, no rule may sit on `/`, `/w`,
//! `/w/ws` or the file itself with the hidden right. Instead every *sibling* along the way gets
//! a full rule (`/usr`, `/etc`, `/w/other`, `/w/ws/src`, `/w/ws/Cargo.toml`, ...), and the
//! ancestors get only the "traverse" part of the rights (listing directories, for reads;
//! nothing, for writes). The walk descends only along the ancestors of hidden paths, so it
//! costs one directory listing per ancestor.
//!
//! Aliases are handled: a sibling that is a symbolic link to, or a bind mount of, a hidden
//! path or one of its ancestors (same device and inode) is not granted.
//!
//! Limits (documented in the crate README): entries created *after* the rules are computed
//! directly inside an ancestor directory get only the traverse rights for the rest of that
//! command; a hidden file with other hard links elsewhere stays readable through those links
//! ([`Grants::hard_linked`] reports them).

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// How much of the rights a grant carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// All the rights, on the path and everything beneath it.
    Beneath,
    /// Only the traverse part (the path is an ancestor of a hidden path).
    Traverse,
}

/// The computed rules.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Grants {
    /// Paths and how much to grant on each.
    pub rules: Vec<(PathBuf, Scope)>,
    /// Hidden files that have other hard links (readable through them).
    pub hard_linked: Vec<PathBuf>,
}

/// Computes grants covering `roots` except `hidden` (both should be canonical paths).
pub fn allow_except(roots: &[PathBuf], hidden: &[PathBuf]) -> Grants {
    let hidden: Vec<PathBuf> = hidden
        .iter()
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.clone()))
        .collect();
    let mut protected = HashSet::new();
    let mut hard_linked = Vec::new();
    for h in &hidden {
        if std::fs::metadata(h).is_ok_and(|m| m.is_file() && m.nlink() > 1) {
            hard_linked.push(h.clone());
        }
        for a in h.ancestors() {
            if let Ok(meta) = std::fs::metadata(a) {
                protected.insert((meta.dev(), meta.ino()));
            }
        }
    }
    let mut grants = Grants {
        rules: Vec::new(),
        hard_linked,
    };
    for root in roots {
        let canonical = root.canonicalize().unwrap_or_else(|_| root.clone());
        walk(&canonical, &hidden, &protected, &mut grants.rules);
    }
    // Bind mounts of hidden paths or their ancestors under other names: drop their grants.
    grants
        .rules
        .retain(|(p, scope)| *scope == Scope::Traverse || !is_protected(p, &protected));
    grants
}

fn walk(
    path: &Path,
    hidden: &[PathBuf],
    protected: &HashSet<(u64, u64)>,
    out: &mut Vec<(PathBuf, Scope)>,
) {
    if hidden.iter().any(|h| path.starts_with(h)) {
        return;
    }
    if !hidden.iter().any(|h| h.starts_with(path)) {
        out.push((path.to_path_buf(), Scope::Beneath));
        return;
    }
    out.push((path.to_path_buf(), Scope::Traverse));
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    let mut children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    children.sort();
    for child in children {
        let Ok(target) = child.canonicalize() else {
            continue;
        };
        if target == child {
            walk(&child, hidden, protected, out);
            continue;
        }
        // A symbolic link (somewhere in `child`): grant its target only if the target is
        // unrelated to every hidden path; related targets are reached by their real path.
        let related = hidden
            .iter()
            .any(|h| target.starts_with(h) || h.starts_with(&target));
        if !related && !is_protected(&target, protected) {
            out.push((child, Scope::Beneath));
        }
    }
}

fn is_protected(path: &Path, protected: &HashSet<(u64, u64)>) -> bool {
    std::fs::metadata(path).is_ok_and(|m| protected.contains(&(m.dev(), m.ino())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_hidden_paths_grants_roots_whole() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let g = allow_except(std::slice::from_ref(&root), &[]);
        assert_eq!(g.rules, vec![(root, Scope::Beneath)]);
    }

    #[test]
    fn hidden_file_gets_siblings_and_traverse_ancestors() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("ws/src")).unwrap();
        std::fs::create_dir_all(root.join("other")).unwrap();
        std::fs::write(root.join("ws/.env"), "S=1").unwrap();
        std::fs::write(root.join("ws/Cargo.toml"), "").unwrap();
        std::os::unix::fs::symlink(root.join("ws/.env"), root.join("ws/env-link")).unwrap();
        std::os::unix::fs::symlink(root.join("ws"), root.join("ws-link")).unwrap();
        std::os::unix::fs::symlink(root.join("other"), root.join("other-link")).unwrap();
        let g = allow_except(std::slice::from_ref(&root), &[root.join("ws/.env")]);
        let expected = vec![
            (root.clone(), Scope::Traverse),
            (root.join("other"), Scope::Beneath),
            (root.join("other-link"), Scope::Beneath),
            (root.join("ws"), Scope::Traverse),
            (root.join("ws/Cargo.toml"), Scope::Beneath),
            (root.join("ws/src"), Scope::Beneath),
        ];
        assert_eq!(g.rules, expected);
    }

    #[test]
    fn reports_hard_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("secret"), "x").unwrap();
        std::fs::hard_link(root.join("secret"), root.join("copy")).unwrap();
        let g = allow_except(std::slice::from_ref(&root), &[root.join("secret")]);
        assert_eq!(g.hard_linked, vec![root.join("secret")]);
    }
}
