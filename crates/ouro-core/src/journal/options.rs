//! How a journal is opened: segment size, fsync policy and what recovery may discard.

use std::time::Duration;

use super::JournalError;
use super::frame::FRAME_HEADER_LEN;
use super::segment::SEGMENT_HEADER_LEN;

/// Default size at which a segment is closed and a new one started: 64 MiB.
pub const DEFAULT_SEGMENT_SIZE: u64 = 64 * 1024 * 1024;

/// When appended records are forced to stable storage (`fdatasync`).
///
/// Under every policy, [`super::Journal::append`] hands the whole record to the operating
/// system in one write before it returns, so an acknowledged record survives a crash of
/// the process itself (`kill -9`, a panic, the OOM killer). The policy decides what
/// survives a crash of the machine (power loss, kernel panic), which loses whatever the
/// OS had not yet written to the disk:
///
/// - [`Always`](FsyncPolicy::Always): every record is synced before `append` returns.
///   Nothing acknowledged is ever lost. Costs one `fdatasync` per record.
/// - [`EveryN(n)`](FsyncPolicy::EveryN): every n-th append syncs. A machine crash can
///   lose up to `n - 1` acknowledged records (the most recent ones).
/// - [`Interval(d)`](FsyncPolicy::Interval): an append syncs when at least `d` has passed
///   since the last sync. A machine crash can lose the records appended in the last `d`,
///   and those appended before a quiet period until the next append, `sync()` or drop.
/// - [`Never`](FsyncPolicy::Never): records are synced only by [`super::Journal::sync`],
///   when a segment is closed, and before a checkpoint. A machine crash can lose
///   everything since then.
///
/// Closing a segment always syncs it (under every policy), so a machine crash can only
/// ever tear the last segment; dropping the journal syncs pending records except under
/// `Never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FsyncPolicy {
    /// Sync after every record (the default).
    #[default]
    Always,
    /// Sync after every n-th record (n must be at least 1).
    EveryN(u32),
    /// Sync on the first append at least this long after the previous sync.
    Interval(Duration),
    /// Sync only when asked, at segment ends and before checkpoints.
    Never,
}

/// What opening does when the last segment is damaged and valid records follow the damage.
///
/// Damage at the very end of the last segment (a torn write, garbage after the last good
/// record) is always truncated away and reported. Damage *followed by* valid records is
/// not what a crash leaves under [`FsyncPolicy::Always`]; it means the disk or someone
/// else changed the file, or that a machine crash persisted later writes but not earlier
/// unsynced ones (possible under the weaker policies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TailRecovery {
    /// Refuse to open ([`JournalError::CorruptBeforeValidRecords`]): nothing is dropped
    /// without being asked to.
    #[default]
    Strict,
    /// Truncate at the damage, dropping the valid records after it, and report it.
    DiscardAfterCorruption,
}

/// Options for [`super::Journal::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalOptions {
    /// A segment is closed once it holds at least one record and the next record would
    /// take it past this many bytes. Default [`DEFAULT_SEGMENT_SIZE`].
    pub segment_size: u64,
    /// When records are synced to stable storage. Default [`FsyncPolicy::Always`].
    pub fsync: FsyncPolicy,
    /// What to do with valid records found after damage in the last segment.
    pub tail_recovery: TailRecovery,
}

impl Default for JournalOptions {
    fn default() -> Self {
        JournalOptions {
            segment_size: DEFAULT_SEGMENT_SIZE,
            fsync: FsyncPolicy::default(),
            tail_recovery: TailRecovery::default(),
        }
    }
}

impl JournalOptions {
    /// The smallest usable segment size: a header and one empty record.
    pub const MIN_SEGMENT_SIZE: u64 = (SEGMENT_HEADER_LEN + FRAME_HEADER_LEN) as u64;

    /// Checks that the options can be used.
    pub(crate) fn validate(&self) -> Result<(), JournalError> {
        if self.segment_size < Self::MIN_SEGMENT_SIZE {
            return Err(JournalError::InvalidOptions(format!(
                "segment_size {} is below the minimum of {} bytes",
                self.segment_size,
                Self::MIN_SEGMENT_SIZE
            )));
        }
        if self.fsync == FsyncPolicy::EveryN(0) {
            return Err(JournalError::InvalidOptions(
                "FsyncPolicy::EveryN(0): n must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_durable() {
        let options = JournalOptions::default();
        assert_eq!(options.fsync, FsyncPolicy::Always);
        assert_eq!(options.segment_size, 64 * 1024 * 1024);
        assert!(options.validate().is_ok());
    }

    #[test]
    fn rejects_every_zero_and_tiny_segments() {
        let every_zero = JournalOptions {
            fsync: FsyncPolicy::EveryN(0),
            ..JournalOptions::default()
        };
        assert!(every_zero.validate().is_err());
        let tiny = JournalOptions {
            segment_size: JournalOptions::MIN_SEGMENT_SIZE - 1,
            ..JournalOptions::default()
        };
        assert!(tiny.validate().is_err());
    }
}
