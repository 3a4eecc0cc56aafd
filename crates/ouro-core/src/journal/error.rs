//! The journal's error type: every failure names the file, offset or sequence number involved.

use std::io;
use std::path::{Path, PathBuf};

use super::Lsn;

/// Everything that can go wrong while opening, writing or reading a journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// A file-system operation failed.
    #[error("journal: cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done ("open", "write", "sync", ...).
        action: &'static str,
        /// The file or directory it was done to.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },

    /// Another journal (in this or another process) holds the directory's lock.
    #[error(
        "journal {} is in use by another process (lock file {} is held)",
        dir.display(),
        lock.display()
    )]
    Locked {
        /// The journal directory.
        dir: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },

    /// The options passed to [`super::Journal::open`] are unusable.
    #[error("journal: invalid options: {0}")]
    InvalidOptions(String),

    /// A record or segment header is damaged where it cannot be a torn tail
    /// (in a segment that is not the last one, or in a file read after open).
    #[error("journal: corrupt segment {} at byte {offset}: {reason}", path.display())]
    Corrupt {
        /// The damaged segment file.
        path: PathBuf,
        /// Byte offset of the first damaged frame in that file.
        offset: u64,
        /// What is wrong there.
        reason: String,
    },

    /// The last segment is damaged in its middle: valid records follow the damage,
    /// so truncating it would drop them. Reopen with
    /// [`super::TailRecovery::DiscardAfterCorruption`] to give them up explicitly.
    #[error(
        "journal: corrupt segment {} at byte {offset}: {reason}; valid records follow \
         (lsn {next_valid_lsn} at byte {next_valid_offset}), so the damage is not a torn \
         tail and nothing was truncated",
        path.display()
    )]
    CorruptBeforeValidRecords {
        /// The damaged (last) segment file.
        path: PathBuf,
        /// Byte offset of the damaged frame.
        offset: u64,
        /// What is wrong there.
        reason: String,
        /// Byte offset of the first valid record found after the damage.
        next_valid_offset: u64,
        /// Sequence number of that record.
        next_valid_lsn: Lsn,
    },

    /// The segments do not continue each other (a segment is missing or misnamed).
    #[error(
        "journal: segment {} starts at lsn {found}, but the records before it end at lsn {}",
        path.display(),
        expected - 1
    )]
    Gap {
        /// The segment that does not continue its predecessor.
        path: PathBuf,
        /// The sequence number it should start at.
        expected: Lsn,
        /// The sequence number its name says it starts at.
        found: Lsn,
    },

    /// The oldest segment starts after lsn 1 and no checkpoint covers the records before it.
    #[error(
        "journal {}: records 1..{} are missing (the oldest segment starts at lsn {first_lsn}) \
         and no checkpoint covers them",
        dir.display(),
        first_lsn - 1
    )]
    MissingRecords {
        /// The journal directory.
        dir: PathBuf,
        /// Where the oldest segment starts.
        first_lsn: Lsn,
    },

    /// A checkpoint file is damaged.
    #[error("journal: corrupt checkpoint {}: {reason}", path.display())]
    CorruptCheckpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// The latest checkpoint covers records the log no longer has.
    #[error(
        "journal: checkpoint {} covers up to lsn {checkpoint_lsn}, but the log ends at lsn \
         {last_lsn}",
        path.display()
    )]
    CheckpointAhead {
        /// The checkpoint file.
        path: PathBuf,
        /// The lsn it covers up to.
        checkpoint_lsn: Lsn,
        /// The last lsn in the log.
        last_lsn: Lsn,
    },

    /// [`super::Journal::checkpoint`] was asked for an lsn it cannot cover.
    #[error("journal: cannot checkpoint at lsn {lsn}: {reason}")]
    InvalidCheckpoint {
        /// The lsn asked for.
        lsn: Lsn,
        /// Why not.
        reason: String,
    },

    /// Reading was asked to start before the oldest record still kept.
    #[error(
        "journal: cannot read from lsn {requested}: records before lsn {first_available} were \
         compacted away (start from the latest checkpoint)"
    )]
    Compacted {
        /// The lsn asked for.
        requested: Lsn,
        /// The oldest lsn still in the log.
        first_available: Lsn,
    },

    /// A payload is too large for a frame's 32-bit length.
    #[error("journal: a record of {len} bytes is larger than the limit of {max} bytes")]
    RecordTooLarge {
        /// The payload's length.
        len: usize,
        /// The largest payload a frame can hold.
        max: usize,
    },

    /// A value could not be turned into JSON, or a record is not the JSON expected.
    #[error("journal: JSON {}: {source}", match lsn {
        Some(lsn) => format!("record at lsn {lsn} does not decode"),
        None => "encoding failed".to_string(),
    })]
    Json {
        /// The record that failed to decode (`None` when encoding failed).
        lsn: Option<Lsn>,
        /// serde_json's error.
        source: serde_json::Error,
    },

    /// An earlier write or sync failed in a way that left the log's state unknown;
    /// the journal refuses further writes. Reopen it to recover.
    #[error(
        "journal {}: an earlier write or sync failed; reopen the journal to recover",
        dir.display()
    )]
    Poisoned {
        /// The journal directory.
        dir: PathBuf,
    },
}

impl JournalError {
    /// Wraps an I/O error with what was being done and to which file.
    pub(crate) fn io(action: &'static str, path: &Path, source: io::Error) -> Self {
        JournalError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_file_and_offset() {
        let err = JournalError::Corrupt {
            path: PathBuf::from("/j/00000000000000000001.wal"),
            offset: 42,
            reason: "checksum mismatch".into(),
        };
        let text = err.to_string();
        assert!(text.contains("/j/00000000000000000001.wal"), "{text}");
        assert!(text.contains("byte 42"), "{text}");
    }

    #[test]
    fn gap_message_names_both_lsns() {
        let err = JournalError::Gap {
            path: PathBuf::from("x.wal"),
            expected: 11,
            found: 15,
        };
        let text = err.to_string();
        assert!(text.contains("lsn 15") && text.contains("lsn 10"), "{text}");
    }
}
