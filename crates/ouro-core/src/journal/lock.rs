//! Exclusive use of a journal directory through an advisory lock on its `LOCK` file.
//!
//! The lock is held as long as the [`DirLock`] lives and is released by the operating
//! system when the process dies, however it dies, so a crash never leaves it stuck.
//!
//! The lock belongs to the open file, and a child forked by another thread of this process
//! shares that file until it calls `exec` (which closes it: Rust opens files close-on-exec).
//! A lock dropped during that window stays held for a moment longer, so taking it retries
//! for up to [`RETRY_FOR`] before reporting the directory as in use.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::time::{Duration, Instant};

use super::JournalError;

/// Name of the lock file inside a journal directory.
pub(crate) const LOCK_NAME: &str = "LOCK";

/// How long a held lock is retried before the directory is reported as in use.
const RETRY_FOR: Duration = Duration::from_secs(1);

/// A held lock on a journal directory.
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock on `dir`, failing at once with [`JournalError::Locked`] if another
    /// journal (in any process, this one included) holds it.
    pub fn acquire(dir: &Path) -> Result<DirLock, JournalError> {
        let path = dir.join(LOCK_NAME);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| JournalError::io("open lock file", &path, e))?;
        let start = Instant::now();
        loop {
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => return Ok(DirLock { _file: file }),
                Err(fs4::TryLockError::WouldBlock) if start.elapsed() < RETRY_FOR => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(fs4::TryLockError::WouldBlock) => {
                    return Err(JournalError::Locked {
                        dir: dir.to_path_buf(),
                        lock: path,
                    });
                }
                Err(fs4::TryLockError::Error(e)) => return Err(JournalError::io("lock", &path, e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails_until_first_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = DirLock::acquire(dir.path()).expect("first lock");
        let err = DirLock::acquire(dir.path()).expect_err("second lock must fail");
        assert!(matches!(err, JournalError::Locked { .. }), "{err}");
        assert!(err.to_string().contains("in use"));
        drop(first);
        assert!(DirLock::acquire(dir.path()).is_ok());
    }
}
