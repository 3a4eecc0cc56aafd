//! Opening a journal: lock the directory, load the checkpoint, recover the segments.

use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Instant;

use super::fsio::sync_dir;
use super::lock::DirLock;
use super::recovery::recover;
use super::segment::{self, SEGMENT_HEADER_LEN, Segment};
use super::{Journal, JournalError, JournalOptions, Lsn, checkpoint, layout};

impl Journal {
    /// Opens the journal in `dir` (creating the directory if needed) and recovers it.
    ///
    /// Fails with [`JournalError::Locked`] if another journal holds the directory, with
    /// [`JournalError::Corrupt`] / [`JournalError::Gap`] / [`JournalError::MissingRecords`]
    /// if records that should be there are damaged or missing, and with
    /// [`JournalError::CorruptCheckpoint`] if the latest checkpoint is damaged. A damaged
    /// tail of the last segment is truncated and reported in
    /// [`recovery_report`](Self::recovery_report).
    pub fn open(dir: impl AsRef<Path>, options: JournalOptions) -> Result<Journal, JournalError> {
        let dir = dir.as_ref();
        options.validate()?;
        fs::create_dir_all(dir).map_err(|e| JournalError::io("create directory", dir, e))?;
        let lock = DirLock::acquire(dir)?;
        checkpoint::remove_temp(dir)?;
        let layout = layout::scan(dir)?;

        let latest_checkpoint = match layout.checkpoints.last() {
            Some((lsn, path)) => {
                checkpoint::read(path, *lsn)?;
                Some((*lsn, path.clone()))
            }
            None => None,
        };
        let covered = latest_checkpoint.as_ref().map_or(0, |(lsn, _)| *lsn);

        let (mut segments, mut report) = recover(&layout.segments, options.tail_recovery)?;
        report.checkpoint_lsn = latest_checkpoint.as_ref().map(|(lsn, _)| *lsn);
        if let Some(oldest) = segments.first()
            && oldest.first_lsn > covered + 1
        {
            return Err(JournalError::MissingRecords {
                dir: dir.to_path_buf(),
                first_lsn: oldest.first_lsn,
            });
        }
        let log_end = segments.last().map_or(0, |s| s.end_lsn() - 1);
        if let Some((lsn, path)) = &latest_checkpoint
            && *lsn > log_end
            && !segments.is_empty()
        {
            return Err(JournalError::CheckpointAhead {
                path: path.clone(),
                checkpoint_lsn: *lsn,
                last_lsn: log_end,
            });
        }

        let (current, active) = match segments.pop() {
            Some(current) => {
                let active = open_at_end(&current)?;
                (current, active)
            }
            None => create_segment(dir, covered + 1)?,
        };
        Ok(Journal {
            dir: dir.to_path_buf(),
            options,
            next_lsn: current.end_lsn(),
            sealed: segments,
            current,
            active,
            unsynced: 0,
            last_sync: Instant::now(),
            checkpoint: latest_checkpoint,
            frame: Vec::new(),
            poisoned: false,
            report,
            _lock: lock,
        })
    }
}

/// Opens an existing segment for appending after its valid records.
fn open_at_end(segment: &Segment) -> Result<File, JournalError> {
    let path = &segment.path;
    let mut file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| JournalError::io("open for writing", path, e))?;
    file.seek(SeekFrom::Start(segment.len))
        .map_err(|e| JournalError::io("seek in", path, e))?;
    Ok(file)
}

/// Creates the segment whose first record will be `first_lsn`, durably (file and entry).
pub(crate) fn create_segment(dir: &Path, first_lsn: Lsn) -> Result<(Segment, File), JournalError> {
    let path = dir.join(segment::file_name(first_lsn));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| JournalError::io("create segment", &path, e))?;
    file.write_all(&segment::header(first_lsn))
        .and_then(|()| file.sync_all())
        .map_err(|e| JournalError::io("write the header of", &path, e))?;
    sync_dir(dir)?;
    let segment = Segment {
        first_lsn,
        path,
        len: SEGMENT_HEADER_LEN as u64,
        records: 0,
    };
    Ok((segment, file))
}
