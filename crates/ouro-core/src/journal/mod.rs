//! The event journal: a crash-safe write-ahead log of records plus checkpoints.
//!
//! A journal is a directory. Records go to segment files (`00000000000000000001.wal`,
//! named after their first record's lsn) that are closed at a configurable size; each
//! record is framed with its length, a CRC32C and its lsn (see `frame.rs`). Lsns start
//! at 1 and increase by one per record, with no gaps.
//!
//! Opening a journal recovers it ([`RecoveryReport`]): a torn or damaged tail of the last
//! segment is truncated away, damage anywhere else is an error naming the file and
//! offset. Durability follows the [`FsyncPolicy`]. A `LOCK` file keeps a second writer
//! (in any process) out; [`read_newest`] lets monitors read a live journal without it.
//!
//! A checkpoint stores the caller's state as of some lsn; after it, [`Journal::compact`]
//! may delete the segments it covers. To resume, load the latest checkpoint and replay
//! the records after it:
//!
//! ```
//! use ouro_core::journal::{Journal, JournalOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! let mut journal = Journal::open(dir.path(), JournalOptions::default())?;
//! journal.append(b"one")?;
//! journal.checkpoint(1, b"state after one")?;
//! journal.append(b"two")?;
//! drop(journal);
//!
//! let journal = Journal::open(dir.path(), JournalOptions::default())?;
//! let (state, from) = match journal.latest_checkpoint()? {
//!     Some((lsn, state)) => (state, lsn + 1),
//!     None => (Vec::new(), 1),
//! };
//! assert_eq!(state, b"state after one");
//! let replay: Vec<Vec<u8>> = journal
//!     .iter_from(from)?
//!     .map(|record| record.map(|r| r.payload))
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(replay, [b"two".to_vec()]);
//! # Ok(())
//! # }
//! ```

mod append;
mod checkpoint;
mod error;
mod follow;
mod frame;
mod fsio;
mod layout;
mod lock;
mod open;
mod options;
mod reader;
mod recovery;
mod segment;
mod snapshot;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use error::JournalError;
pub use follow::read_newest;
pub use options::{DEFAULT_SEGMENT_SIZE, FsyncPolicy, JournalOptions, TailRecovery};
pub use reader::RecordIter;
pub use recovery::{RecoveryReport, Truncation};

use lock::DirLock;
use segment::Segment;

/// A record's sequence number: 1 for the first record, then one more for each.
pub type Lsn = u64;

/// The largest lsn a file name may carry (`i64::MAX`, so lsns also fit signed columns);
/// keeps lsn arithmetic far from overflow whatever names are found on disk.
pub const MAX_LSN: Lsn = i64::MAX as Lsn;

/// One record read back from the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its sequence number.
    pub lsn: Lsn,
    /// The bytes that were appended.
    pub payload: Vec<u8>,
}

/// An open journal, the only writer of its directory while it lives.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    options: JournalOptions,
    /// Closed segments still on disk, oldest first.
    sealed: Vec<Segment>,
    /// The segment being appended to (always the newest).
    current: Segment,
    /// `current`'s file, open for writing at its end.
    active: File,
    /// Lsn the next appended record gets.
    next_lsn: Lsn,
    /// Records appended since the last sync.
    unsynced: u64,
    /// When the last sync happened.
    last_sync: Instant,
    /// `(lsn, path)` of the latest checkpoint.
    checkpoint: Option<(Lsn, PathBuf)>,
    /// Reused buffer for encoding frames.
    frame: Vec<u8>,
    /// Set when a failed write or sync left the log's state unknown.
    poisoned: bool,
    report: RecoveryReport,
    _lock: DirLock,
}

impl Journal {
    /// The journal's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The options it was opened with.
    pub fn options(&self) -> &JournalOptions {
        &self.options
    }

    /// What opening found and repaired.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.report
    }

    /// The lsn the next appended record will get.
    pub fn next_lsn(&self) -> Lsn {
        self.next_lsn
    }

    /// The lsn of the last record appended, or `None` if there never was one.
    pub fn last_lsn(&self) -> Option<Lsn> {
        self.next_lsn.checked_sub(1).filter(|&lsn| lsn > 0)
    }

    /// The oldest lsn still in the log (earlier ones were compacted into a checkpoint);
    /// equal to [`next_lsn`](Self::next_lsn) when the log holds no record.
    pub fn first_lsn(&self) -> Lsn {
        self.sealed.first().unwrap_or(&self.current).first_lsn
    }

    /// Number of segment files on disk.
    pub fn segment_count(&self) -> usize {
        self.sealed.len() + 1
    }

    /// Every segment, oldest first.
    fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.sealed.iter().chain(std::iter::once(&self.current))
    }

    fn check_usable(&self) -> Result<(), JournalError> {
        if self.poisoned {
            return Err(JournalError::Poisoned {
                dir: self.dir.clone(),
            });
        }
        Ok(())
    }
}
