//! Appending records: framing, rolling to a new segment, and the fsync policy.

use std::io::{Seek, SeekFrom, Write};
use std::time::Instant;

use serde::Serialize;

use super::frame;
use super::open::create_segment;
use super::{FsyncPolicy, Journal, JournalError, Lsn};

impl Journal {
    /// Appends one record and returns its lsn.
    ///
    /// The record is handed to the operating system in a single write before this
    /// returns, and synced to disk as the [`FsyncPolicy`] says. If the write fails, the
    /// partial record is cut off again; if that (or a sync) fails too, the journal refuses
    /// further writes ([`JournalError::Poisoned`]) until it is reopened.
    pub fn append(&mut self, payload: &[u8]) -> Result<Lsn, JournalError> {
        self.check_usable()?;
        let lsn = self.next_lsn;
        frame::encode(&mut self.frame, lsn, payload)?;
        let frame_len = self.frame.len() as u64;
        if self.current.records > 0 && self.current.len + frame_len > self.options.segment_size {
            self.roll()?;
        }
        if let Err(e) = self.active.write_all(&self.frame) {
            let len = self.current.len;
            let undone = self
                .active
                .set_len(len)
                .and_then(|()| self.active.seek(SeekFrom::Start(len)));
            self.poisoned = undone.is_err();
            return Err(JournalError::io("append to", &self.current.path, e));
        }
        self.current.len += frame_len;
        self.current.records += 1;
        self.next_lsn += 1;
        self.unsynced += 1;
        let sync_due = match self.options.fsync {
            FsyncPolicy::Always => true,
            FsyncPolicy::EveryN(n) => self.unsynced >= u64::from(n),
            FsyncPolicy::Interval(interval) => self.last_sync.elapsed() >= interval,
            FsyncPolicy::Never => false,
        };
        if sync_due {
            self.sync_current()?;
        }
        Ok(lsn)
    }

    /// Appends `value` as one JSON record and returns its lsn.
    pub fn append_json<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<Lsn, JournalError> {
        let payload =
            serde_json::to_vec(value).map_err(|source| JournalError::Json { lsn: None, source })?;
        self.append(&payload)
    }

    /// Forces every record appended so far to stable storage, whatever the policy.
    pub fn sync(&mut self) -> Result<(), JournalError> {
        self.check_usable()?;
        self.sync_current()
    }

    fn sync_current(&mut self) -> Result<(), JournalError> {
        if let Err(e) = self.active.sync_data() {
            // After a failed fsync the kernel may have dropped the dirty pages: what is on
            // disk is unknown, so stop writing until a reopen re-reads it.
            self.poisoned = true;
            return Err(JournalError::io("sync", &self.current.path, e));
        }
        self.unsynced = 0;
        self.last_sync = Instant::now();
        Ok(())
    }

    /// Closes the current segment (synced, under every policy, so that a machine crash
    /// can only ever tear the newest segment) and starts the next one.
    fn roll(&mut self) -> Result<(), JournalError> {
        self.sync_current()?;
        let (segment, file) = create_segment(&self.dir, self.next_lsn).inspect_err(|_| {
            // A half-created segment file may be left behind; reopening repairs it.
            self.poisoned = true;
        })?;
        let closed = std::mem::replace(&mut self.current, segment);
        self.sealed.push(closed);
        self.active = file;
        Ok(())
    }
}

impl Drop for Journal {
    /// Syncs pending records (unless the policy is [`FsyncPolicy::Never`]); errors cannot
    /// be reported from here, call [`Journal::sync`] first to see them.
    fn drop(&mut self) {
        if self.unsynced > 0 && !self.poisoned && self.options.fsync != FsyncPolicy::Never {
            let _ = self.active.sync_data();
        }
    }
}
