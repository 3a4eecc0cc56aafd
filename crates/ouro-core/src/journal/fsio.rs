//! Small file-system helpers with journal errors: syncing a directory, writing a whole file.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use super::JournalError;

/// Makes the entries of `dir` (files created, renamed or removed in it) durable.
///
/// On Unix this fsyncs the directory. Windows cannot open a directory as a file and
/// makes renames durable through the file system's own journal, so it is a no-op there.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| JournalError::io("sync directory", dir, e))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Creates (or truncates) `path`, writes `parts` one after another and fsyncs the file.
pub(crate) fn write_synced(path: &Path, parts: &[&[u8]]) -> Result<(), JournalError> {
    let mut file = File::create(path).map_err(|e| JournalError::io("create", path, e))?;
    for part in parts {
        file.write_all(part)
            .map_err(|e| JournalError::io("write", path, e))?;
    }
    file.sync_all()
        .map_err(|e| JournalError::io("sync", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_parts_in_order_and_syncs_dir() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        assert!(write_synced(&path, &[b"ab", b"", b"c"]).is_ok());
        assert_eq!(std::fs::read(&path).ok(), Some(b"abc".to_vec()));
        assert!(sync_dir(dir.path()).is_ok());
        assert!(sync_dir(&dir.path().join("missing")).is_err());
    }
}
