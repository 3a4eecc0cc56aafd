//! A command's private temporary directory: the shared `/tmp`, `/var/tmp` and `/dev/shm` are
//! not writable from the sandbox (a command could leave files there for other processes, or
//! read what others left), so each command gets a fresh directory of its own, named by
//! `TMPDIR`, `TMP` and `TEMP`, granted as a write root and removed when the command is done.
//! A second fresh directory beside it is bound over `/dev/shm` in the command's mount
//! namespace (where there is one, see [`crate::Profile::private_shm`]): POSIX shared memory
//! and semaphores (Python's `multiprocessing`, for one) work, privately.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// The variables that name the temporary directory to programs.
pub const VARS: [&str; 3] = ["TMPDIR", "TMP", "TEMP"];

/// A fresh directory under ouro's own temporary directory, removed (with everything in it)
/// when dropped.
#[derive(Debug)]
pub struct PrivateTmp {
    path: PathBuf,
    shm: PathBuf,
}

impl PrivateTmp {
    /// Creates `<temp dir>/<prefix>-<pid>-<n>` (replacing a stale one of that name left by a
    /// process that had the same id); its path is canonical.
    pub fn create(prefix: &str) -> std::io::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "{prefix}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let base = std::env::temp_dir();
        let fresh = |name: &str| -> std::io::Result<PathBuf> {
            let path = base.join(name);
            match std::fs::remove_dir_all(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            std::fs::create_dir(&path)?;
            path.canonicalize()
        };
        let path = fresh(&name)?;
        let shm = match fresh(&format!("{name}.shm")) {
            Ok(shm) => shm,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&path);
                return Err(e);
            }
        };
        Ok(Self { path, shm })
    }

    /// Where it is (canonical).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory that stands for `/dev/shm` in the command's mount namespace (canonical).
    pub fn shm(&self) -> &Path {
        &self.shm
    }

    /// Points `cmd`'s `TMPDIR`, `TMP` and `TEMP` at it.
    pub fn point(&self, cmd: &mut Command) {
        for var in VARS {
            cmd.env(var, &self.path);
        }
    }
}

impl Drop for PrivateTmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
        let _ = std::fs::remove_dir_all(&self.shm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_is_fresh_named_to_commands_and_removed_when_dropped() {
        let a = PrivateTmp::create("ouro-test").unwrap();
        let b = PrivateTmp::create("ouro-test").unwrap();
        assert!(a.path().is_dir() && b.path().is_dir() && a.path() != b.path());
        std::fs::write(a.path().join("f"), "x").unwrap();
        let mut cmd = Command::new("sh");
        cmd.env_clear();
        a.point(&mut cmd);
        let out = cmd
            .args(["-c", "echo \"$TMPDIR|$TMP|$TEMP\""])
            .output()
            .unwrap();
        let shown = a.path().display().to_string();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("{shown}|{shown}|{shown}")
        );
        let (path, shm) = (a.path().to_path_buf(), a.shm().to_path_buf());
        assert!(shm.is_dir() && !shm.starts_with(&path));
        drop(a);
        assert!(!path.exists() && !shm.exists());
    }
}
