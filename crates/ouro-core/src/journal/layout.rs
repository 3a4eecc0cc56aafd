//! The files of a journal directory: which are segments, which are checkpoints.
//!
//! Only regular files named exactly `<20 digits>.wal` or `<20 digits>.ckpt`, the digits
//! an lsn from 1 to [`MAX_LSN`], belong to the journal; everything else in the directory
//! is left alone.

use std::fs;
use std::path::{Path, PathBuf};

use super::checkpoint::CHECKPOINT_EXT;
use super::segment::SEGMENT_EXT;
use super::{JournalError, Lsn, MAX_LSN};

/// Segment and checkpoint files found in a journal directory, each sorted by lsn.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    /// `(first lsn, path)` of every segment.
    pub segments: Vec<(Lsn, PathBuf)>,
    /// `(covered lsn, path)` of every checkpoint.
    pub checkpoints: Vec<(Lsn, PathBuf)>,
}

/// Lists the journal files in `dir`.
pub(crate) fn scan(dir: &Path) -> Result<Layout, JournalError> {
    let mut layout = Layout::default();
    let entries = fs::read_dir(dir).map_err(|e| JournalError::io("list", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| JournalError::io("list", dir, e))?;
        let path = entry.path();
        let is_file = entry
            .file_type()
            .map_err(|e| JournalError::io("inspect", &path, e))?
            .is_file();
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !is_file {
            continue;
        }
        if let Some(lsn) = parse_name(&name, SEGMENT_EXT) {
            layout.segments.push((lsn, path));
        } else if let Some(lsn) = parse_name(&name, CHECKPOINT_EXT) {
            layout.checkpoints.push((lsn, path));
        }
    }
    layout.segments.sort();
    layout.checkpoints.sort();
    Ok(layout)
}

/// The lsn in a name of the form `<20 digits>.<ext>`, if it is one.
fn parse_name(name: &str, ext: &str) -> Option<Lsn> {
    let (stem, found_ext) = name.split_once('.')?;
    if found_ext != ext || stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok().filter(|lsn| (1..=MAX_LSN).contains(lsn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_exact_names() {
        assert_eq!(parse_name("00000000000000000001.wal", "wal"), Some(1));
        assert_eq!(parse_name("00000000000000000042.ckpt", "ckpt"), Some(42));
        assert_eq!(parse_name("00000000000000000001.wal", "ckpt"), None);
        assert_eq!(parse_name("1.wal", "wal"), None);
        assert_eq!(parse_name("0000000000000000000a.wal", "wal"), None);
        assert_eq!(parse_name("00000000000000000001.wal.bak", "wal"), None);
        assert_eq!(parse_name("+0000000000000000001.wal", "wal"), None);
        // Lsns outside 1..=MAX_LSN are not journal names.
        assert_eq!(parse_name("99999999999999999999.wal", "wal"), None);
        assert_eq!(parse_name("18446744073709551615.wal", "wal"), None);
        assert_eq!(parse_name("00000000000000000000.wal", "wal"), None);
        assert_eq!(
            parse_name(&format!("{MAX_LSN:020}.wal"), "wal"),
            Some(MAX_LSN)
        );
    }

    #[test]
    fn scan_sorts_and_ignores_strangers() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in [
            "00000000000000000010.wal",
            "00000000000000000002.wal",
            "00000000000000000005.ckpt",
            "notes.txt",
            "LOCK",
        ] {
            assert!(fs::write(dir.path().join(name), b"x").is_ok());
        }
        assert!(fs::create_dir(dir.path().join("00000000000000000003.wal")).is_ok());
        let layout = scan(dir.path()).expect("scan");
        let firsts: Vec<Lsn> = layout.segments.iter().map(|(lsn, _)| *lsn).collect();
        assert_eq!(firsts, [2, 10]);
        assert_eq!(layout.checkpoints.len(), 1);
    }
}
