//! The workspace root and the resolution of user-supplied paths inside it.
//!
//! Every path a tool receives is resolved here: relative paths are taken from the root,
//! absolute paths must already lie inside it, `..` may not climb above it, and symbolic
//! links that lead outside it are refused (the existing part of the path is canonicalized
//! and checked; the part that does not exist yet is checked lexically).
//!
//! Resolving only decides which path the policy checks. Reading, writing and removing go
//! through [`Workspace::read_file`], [`Workspace::write_file`] and [`Workspace::remove_file`],
//! which open that same path beneath a handle on the root without following any link (see
//! [`crate::beneath`]), so a link swapped in after the check cannot redirect the use.

use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Why a path was refused or could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    /// The workspace root itself is unusable.
    #[error("workspace root `{path}`: {source}")]
    Root {
        /// The root as given.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The path points outside the workspace (lexically, or through a symbolic link).
    #[error("path `{path}` escapes the workspace `{root}`")]
    Escape {
        /// The path as given.
        path: String,
        /// The workspace root.
        root: String,
    },
    /// The path is empty or contains a NUL byte.
    #[error("path `{0}` is empty or malformed")]
    Malformed(String),
    /// Canonicalizing the existing part of the path failed.
    #[error("path `{path}`: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// A canonical workspace root; all tool paths are resolved inside it.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
    /// A handle on the root, opened once: file uses resolve beneath it.
    dir: Arc<OwnedFd>,
}

impl Workspace {
    /// Opens a workspace at `root`, which must be an existing directory.
    pub fn new(root: impl AsRef<Path>) -> Result<Self, PathError> {
        let given = root.as_ref();
        let root = given.canonicalize().map_err(|source| PathError::Root {
            path: given.display().to_string(),
            source,
        })?;
        if !root.is_dir() {
            return Err(PathError::Root {
                path: given.display().to_string(),
                source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
            });
        }
        let dir = crate::beneath::open_root(&root).map_err(|source| PathError::Root {
            path: given.display().to_string(),
            source,
        })?;
        Ok(Self {
            root,
            dir: Arc::new(dir),
        })
    }

    /// `abs` relative to the root, for the opens beneath it.
    fn beneath<'a>(&self, abs: &'a Path) -> std::io::Result<&'a Path> {
        abs.strip_prefix(&self.root).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "`{}` is outside the workspace `{}`",
                    abs.display(),
                    self.root.display()
                ),
            )
        })
    }

    /// Reads the regular file at `abs` (a resolved path), following no link, refusing files
    /// over `max_bytes`.
    pub fn read_file(&self, abs: &Path, max_bytes: u64) -> std::io::Result<Vec<u8>> {
        crate::beneath::read(self.dir.as_fd(), self.beneath(abs)?, max_bytes)
    }

    /// Writes `data` to the file at `abs` (a resolved path), creating its parent
    /// directories, following no link.
    pub fn write_file(&self, abs: &Path, data: &[u8]) -> std::io::Result<()> {
        crate::beneath::write(self.dir.as_fd(), self.beneath(abs)?, data)
    }

    /// Removes the file at `abs` (a resolved path), following no link.
    pub fn remove_file(&self, abs: &Path) -> std::io::Result<()> {
        crate::beneath::remove(self.dir.as_fd(), self.beneath(abs)?)
    }

    /// The canonical root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Resolves `user_path` to an absolute path inside the workspace.
    ///
    /// The path need not exist (tools that create files resolve it too), but every existing
    /// ancestor is canonicalized so that symbolic links cannot lead outside the root.
    pub fn resolve(&self, user_path: &str) -> Result<PathBuf, PathError> {
        if user_path.is_empty() || user_path.contains('\0') {
            return Err(PathError::Malformed(user_path.to_string()));
        }
        let escape = || PathError::Escape {
            path: user_path.to_string(),
            root: self.root.display().to_string(),
        };
        let given = Path::new(user_path);
        let joined = if given.is_absolute() {
            given.to_path_buf()
        } else {
            self.root.join(given)
        };
        // Lexical normalization: `..` may never climb above the root directory.
        let mut lexical = PathBuf::new();
        for component in joined.components() {
            match component {
                Component::ParentDir => {
                    if !lexical.pop() {
                        return Err(escape());
                    }
                }
                Component::CurDir => {}
                other => lexical.push(other),
            }
        }
        if !lexical.starts_with(&self.root) {
            return Err(escape());
        }
        // Canonicalize the longest existing prefix (follows symbolic links), keep the rest.
        let mut existing = lexical.clone();
        let mut rest = Vec::new();
        while std::fs::symlink_metadata(&existing).is_err() {
            match (existing.file_name(), existing.parent()) {
                (Some(name), Some(parent)) => {
                    rest.push(name.to_os_string());
                    existing = parent.to_path_buf();
                }
                _ => return Err(escape()),
            }
        }
        let mut resolved = existing.canonicalize().map_err(|source| PathError::Io {
            path: user_path.to_string(),
            source,
        })?;
        for name in rest.into_iter().rev() {
            resolved.push(name);
        }
        if resolved.starts_with(&self.root) {
            Ok(resolved)
        } else {
            Err(escape())
        }
    }

    /// The path of `abs` relative to the root, with `/` separators (`.` for the root itself).
    /// Paths outside the root are returned unchanged.
    pub fn relative(&self, abs: &Path) -> String {
        match abs.strip_prefix(&self.root) {
            Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
            Ok(rel) => rel.to_string_lossy().into_owned(),
            Err(_) => abs.to_string_lossy().into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws() -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/a.rs"), "fn a() {}\n").unwrap();
        let ws = Workspace::new(dir.path()).unwrap();
        (dir, ws)
    }

    #[test]
    fn resolves_relative_absolute_and_new_paths() {
        let (_d, ws) = ws();
        assert_eq!(ws.resolve("src/a.rs").unwrap(), ws.root().join("src/a.rs"));
        assert_eq!(
            ws.resolve("./src/../src/a.rs").unwrap(),
            ws.root().join("src/a.rs")
        );
        let abs = ws.root().join("src/a.rs");
        assert_eq!(ws.resolve(abs.to_str().unwrap()).unwrap(), abs);
        assert_eq!(
            ws.resolve("new/dir/f.txt").unwrap(),
            ws.root().join("new/dir/f.txt")
        );
        assert_eq!(ws.relative(&ws.root().join("src/a.rs")), "src/a.rs");
        assert_eq!(ws.relative(ws.root()), ".");
    }

    #[test]
    fn rejects_dotdot_absolute_and_symlink_escapes() {
        let (_d, ws) = ws();
        for bad in ["../x", "src/../../x", "/etc/passwd", ""] {
            assert!(ws.resolve(bad).is_err(), "{bad} should be rejected");
        }
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), ws.root().join("link")).unwrap();
        let err = ws.resolve("link/secret").unwrap_err();
        assert!(matches!(err, PathError::Escape { .. }), "{err}");
        std::os::unix::fs::symlink("/etc/hostname", ws.root().join("file-link")).unwrap();
        assert!(ws.resolve("file-link").is_err());
    }
}
