//! Checkpoint files: a snapshot of the caller's state as of some lsn, written atomically.
//!
//! ```text
//! offset  size  field
//!      0     8  magic "OUROCKP\x01"
//!      8     8  lsn covered, u64 little-endian
//!     16     8  state length, u64 little-endian
//!     24     4  CRC32C of bytes 8..24 and the state
//!     28     n  state
//! ```
//!
//! A checkpoint is written to a temporary file, fsynced, renamed to `<lsn>.ckpt` and the
//! directory fsynced, so after a crash either the old or the new checkpoint is complete.

use std::fs;
use std::path::{Path, PathBuf};

use super::fsio::{sync_dir, write_synced};
use super::{JournalError, Lsn};

/// Extension of checkpoint files.
pub(crate) const CHECKPOINT_EXT: &str = "ckpt";

/// Name of the temporary file a checkpoint is written to before its rename.
const TEMP_NAME: &str = "checkpoint.tmp";

const MAGIC: [u8; 8] = *b"OUROCKP\x01";
const HEADER_LEN: usize = 28;

/// File name of the checkpoint covering records up to `lsn`.
pub(crate) fn file_name(lsn: Lsn) -> String {
    format!("{lsn:020}.{CHECKPOINT_EXT}")
}

fn checksum(meta: &[u8], state: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(meta), state)
}

/// Writes the checkpoint for `lsn` atomically into `dir` and returns its path.
pub(crate) fn write(dir: &Path, lsn: Lsn, state: &[u8]) -> Result<PathBuf, JournalError> {
    let mut meta = [0u8; 16];
    meta[..8].copy_from_slice(&lsn.to_le_bytes());
    meta[8..].copy_from_slice(&(state.len() as u64).to_le_bytes());
    let crc = checksum(&meta, state).to_le_bytes();
    let temp = dir.join(TEMP_NAME);
    write_synced(&temp, &[&MAGIC, &meta, &crc, state])?;
    let path = dir.join(file_name(lsn));
    fs::rename(&temp, &path).map_err(|e| JournalError::io("rename checkpoint to", &path, e))?;
    sync_dir(dir)?;
    Ok(path)
}

/// Reads and checks the checkpoint at `path`, whose name says it covers `lsn`.
pub(crate) fn read(path: &Path, lsn: Lsn) -> Result<Vec<u8>, JournalError> {
    let bytes = fs::read(path).map_err(|e| JournalError::io("read", path, e))?;
    let corrupt = |reason: String| JournalError::CorruptCheckpoint {
        path: path.to_path_buf(),
        reason,
    };
    let (header, state) = bytes
        .split_at_checked(HEADER_LEN)
        .ok_or_else(|| corrupt(format!("{} bytes is shorter than its header", bytes.len())))?;
    let [m0, m1, m2, m3, m4, m5, m6, m7, meta @ .., c0, c1, c2, c3] = header else {
        return Err(corrupt("header has the wrong size".into()));
    };
    if [*m0, *m1, *m2, *m3, *m4, *m5, *m6, *m7] != MAGIC {
        return Err(corrupt("not a journal checkpoint (bad magic)".into()));
    }
    let mut word = [0u8; 8];
    word.copy_from_slice(&meta[..8]);
    let stored_lsn = Lsn::from_le_bytes(word);
    word.copy_from_slice(&meta[8..]);
    let stored_len = u64::from_le_bytes(word);
    if stored_len != state.len() as u64 {
        return Err(corrupt(format!(
            "header says {stored_len} bytes of state, the file holds {}",
            state.len()
        )));
    }
    if checksum(meta, state) != u32::from_le_bytes([*c0, *c1, *c2, *c3]) {
        return Err(corrupt("checksum mismatch".into()));
    }
    if stored_lsn != lsn {
        return Err(corrupt(format!(
            "header says lsn {stored_lsn}, its name says {lsn}"
        )));
    }
    Ok(state.to_vec())
}

/// Removes a temporary file left by a checkpoint interrupted by a crash.
pub(crate) fn remove_temp(dir: &Path) -> Result<(), JournalError> {
    let temp = dir.join(TEMP_NAME);
    match fs::remove_file(&temp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(JournalError::io("remove stale", &temp, e))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_leaves_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), 12, b"state").expect("write");
        assert!(path.ends_with("00000000000000000012.ckpt"));
        assert_eq!(read(&path, 12).ok(), Some(b"state".to_vec()));
        assert!(!dir.path().join(TEMP_NAME).exists());
    }

    #[test]
    fn any_damage_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), 3, b"some state").expect("write");
        let good = fs::read(&path).expect("read");
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x10;
            assert!(fs::write(&path, &bad).is_ok());
            let err = read(&path, 3).expect_err("damage must be caught");
            assert!(err.to_string().contains("00000000000000000003.ckpt"));
        }
        for cut in 0..good.len() {
            assert!(fs::write(&path, &good[..cut]).is_ok());
            assert!(read(&path, 3).is_err(), "cut at {cut} not caught");
        }
    }

    #[test]
    fn name_and_header_must_agree() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), 3, b"x").expect("write");
        assert!(read(&path, 4).is_err());
    }

    #[test]
    fn stale_temp_is_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(fs::write(dir.path().join(TEMP_NAME), b"half").is_ok());
        assert!(remove_temp(dir.path()).is_ok());
        assert!(!dir.path().join(TEMP_NAME).exists());
        assert!(remove_temp(dir.path()).is_ok());
    }
}
