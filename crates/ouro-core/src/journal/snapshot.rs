//! Checkpoints of the caller's state, and compaction of the segments they cover.

use std::fs;

use super::fsio::sync_dir;
use super::{Journal, JournalError, Lsn, checkpoint, layout};

impl Journal {
    /// Stores `state`, the caller's state after applying every record up to and
    /// including `lsn`, as the latest checkpoint.
    ///
    /// The log is synced first (so the checkpoint never covers records a machine crash
    /// could lose), then the checkpoint is written atomically and older ones removed.
    /// `lsn` must be an appended record and not older than the latest checkpoint.
    pub fn checkpoint(&mut self, lsn: Lsn, state: &[u8]) -> Result<(), JournalError> {
        self.check_usable()?;
        let invalid = |reason: String| Err(JournalError::InvalidCheckpoint { lsn, reason });
        match self.last_lsn() {
            None => return invalid("no record has been appended yet".into()),
            Some(last) if lsn > last => {
                return invalid(format!("the log ends at lsn {last}"));
            }
            _ if lsn == 0 => return invalid("lsns start at 1".into()),
            _ => {}
        }
        if let Some((latest, _)) = &self.checkpoint
            && lsn < *latest
        {
            return invalid(format!("it is older than the latest checkpoint ({latest})"));
        }
        self.sync()?;
        let path = checkpoint::write(&self.dir, lsn, state)?;
        self.checkpoint = Some((lsn, path.clone()));
        for (_, old) in layout::scan(&self.dir)?.checkpoints {
            if old != path {
                fs::remove_file(&old)
                    .map_err(|e| JournalError::io("remove old checkpoint", &old, e))?;
            }
        }
        Ok(())
    }

    /// The latest checkpoint as `(lsn, state)`, read and checked from disk; `None` if
    /// no checkpoint was ever written.
    pub fn latest_checkpoint(&self) -> Result<Option<(Lsn, Vec<u8>)>, JournalError> {
        match &self.checkpoint {
            Some((lsn, path)) => Ok(Some((*lsn, checkpoint::read(path, *lsn)?))),
            None => Ok(None),
        }
    }

    /// Deletes the closed segments whose records are all covered by the latest
    /// checkpoint, oldest first, and returns how many were deleted. The segment being
    /// appended to is never deleted. After this, reading can only start after the
    /// checkpoint ([`first_lsn`](Self::first_lsn) says where).
    pub fn compact(&mut self) -> Result<usize, JournalError> {
        self.check_usable()?;
        let Some((covered, _)) = &self.checkpoint else {
            return Ok(0);
        };
        let covered = *covered;
        let removable = self
            .sealed
            .iter()
            .take_while(|segment| segment.end_lsn() <= covered + 1)
            .count();
        // Oldest first, so a crash part way leaves the log contiguous.
        for removed in 0..removable {
            let path = self.sealed[removed].path.clone();
            if let Err(e) = fs::remove_file(&path) {
                self.sealed.drain(..removed);
                return Err(JournalError::io("remove compacted segment", &path, e));
            }
        }
        self.sealed.drain(..removable);
        if removable > 0 {
            sync_dir(&self.dir)?;
        }
        Ok(removable)
    }
}
