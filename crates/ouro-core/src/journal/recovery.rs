//! Recovery on open: check every segment, repair a torn tail, refuse real corruption.
//!
//! Every segment but the last must be whole: damage there is an error naming the file
//! and offset. In the last segment, damage with nothing valid after it is what a crash
//! leaves (a torn write, garbage after the last good record): it is truncated away and
//! reported. Damage in the last segment followed by valid records is handled as
//! [`TailRecovery`] says.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::frame::{FRAME_HEADER_LEN, valid_frame_at};
use super::segment::{self, Damage, SEGMENT_HEADER_LEN, Segment, SegmentReader, Step};
use super::{JournalError, Lsn, TailRecovery};

/// What opening a journal found, and what it repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Segment files found.
    pub segments: usize,
    /// Valid records found in them.
    pub records: u64,
    /// The last valid record's lsn, if any record is left in the log.
    pub last_lsn: Option<Lsn>,
    /// The lsn covered by the latest checkpoint, if there is one.
    pub checkpoint_lsn: Option<Lsn>,
    /// The damaged tail cut off the last segment, if there was one.
    pub truncation: Option<Truncation>,
}

/// A damaged tail removed from the last segment on open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncation {
    /// The segment file that was cut.
    pub segment: PathBuf,
    /// Where it was cut: the offset of the first damaged byte range.
    pub offset: u64,
    /// How many bytes were removed.
    pub bytes: u64,
    /// What was wrong at `offset`.
    pub reason: String,
    /// Lsn of the first valid record found after the damage and dropped with it; only
    /// ever set under [`TailRecovery::DiscardAfterCorruption`].
    pub dropped_valid_from: Option<Lsn>,
}

/// Checks the segments `files` (sorted by first lsn), repairing the last one's tail.
pub(crate) fn recover(
    files: &[(Lsn, PathBuf)],
    mode: TailRecovery,
) -> Result<(Vec<Segment>, RecoveryReport), JournalError> {
    let mut segments: Vec<Segment> = Vec::with_capacity(files.len());
    let mut report = RecoveryReport {
        segments: files.len(),
        ..RecoveryReport::default()
    };
    for (index, (first_lsn, path)) in files.iter().enumerate() {
        if let Some(previous) = segments.last()
            && previous.end_lsn() != *first_lsn
        {
            return Err(JournalError::Gap {
                path: path.clone(),
                expected: previous.end_lsn(),
                found: *first_lsn,
            });
        }
        let (mut segment, damage) = scan(path, *first_lsn)?;
        if let Some(damage) = damage {
            if index + 1 < files.len() {
                return Err(JournalError::Corrupt {
                    path: path.clone(),
                    offset: damage.offset,
                    reason: damage.reason,
                });
            }
            let truncation = repair_tail(&mut segment, damage, mode)?;
            tracing::warn!(
                segment = %truncation.segment.display(),
                offset = truncation.offset,
                bytes = truncation.bytes,
                reason = %truncation.reason,
                "journal: truncated a damaged tail"
            );
            report.truncation = Some(truncation);
        }
        report.records += segment.records;
        segments.push(segment);
    }
    report.last_lsn = segments
        .last()
        .filter(|s| s.end_lsn() > 1)
        .map(|s| s.end_lsn() - 1);
    Ok((segments, report))
}

/// Reads a whole segment; returns what is valid and the first damage, if any.
fn scan(path: &Path, first_lsn: Lsn) -> Result<(Segment, Option<Damage>), JournalError> {
    let mut segment = Segment {
        first_lsn,
        path: path.to_path_buf(),
        len: 0,
        records: 0,
    };
    let mut reader = match SegmentReader::open(path, first_lsn, None)? {
        Ok(reader) => reader,
        Err(damage) => return Ok((segment, Some(damage))),
    };
    let mut payload = Vec::new();
    let damage = loop {
        match reader.next(&mut payload)? {
            Step::Record { .. } => {}
            Step::End => break None,
            Step::Damaged(damage) => break Some(damage),
        }
    };
    segment.len = reader.offset();
    segment.records = reader.next_lsn() - first_lsn;
    Ok((segment, damage))
}

/// Cuts the last segment at `damage` (rewriting its header if that was damaged).
fn repair_tail(
    segment: &mut Segment,
    damage: Damage,
    mode: TailRecovery,
) -> Result<Truncation, JournalError> {
    let path = &segment.path;
    // A record after the damage must continue the sequence: if the header was damaged
    // the first record itself may be intact, otherwise the damaged record is lost.
    let min_lsn = match damage.offset {
        0 => segment.first_lsn,
        _ => segment.end_lsn() + 1,
    };
    let dropped_valid_from = match find_valid_after(path, damage.offset, min_lsn)? {
        Some((offset, lsn)) if mode == TailRecovery::Strict => {
            return Err(JournalError::CorruptBeforeValidRecords {
                path: path.clone(),
                offset: damage.offset,
                reason: damage.reason,
                next_valid_offset: offset,
                next_valid_lsn: lsn,
            });
        }
        found => found.map(|(_, lsn)| lsn),
    };
    let mut file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| JournalError::io("open for repair", path, e))?;
    let file_len = file
        .metadata()
        .map_err(|e| JournalError::io("read the size of", path, e))?
        .len();
    file.set_len(damage.offset)
        .map_err(|e| JournalError::io("truncate", path, e))?;
    if damage.offset == 0 {
        file.seek(SeekFrom::Start(0))
            .and_then(|_| file.write_all(&segment::header(segment.first_lsn)))
            .map_err(|e| JournalError::io("rewrite the header of", path, e))?;
        segment.len = SEGMENT_HEADER_LEN as u64;
    } else {
        segment.len = damage.offset;
    }
    file.sync_all()
        .map_err(|e| JournalError::io("sync", path, e))?;
    Ok(Truncation {
        segment: path.clone(),
        offset: damage.offset,
        bytes: file_len - damage.offset,
        reason: damage.reason,
        dropped_valid_from,
    })
}

/// The first valid frame that starts after `damage_offset` with an lsn of at least
/// `min_lsn` (and no larger than the space left could hold), as `(offset, lsn)`.
fn find_valid_after(
    path: &Path,
    damage_offset: u64,
    min_lsn: Lsn,
) -> Result<Option<(u64, Lsn)>, JournalError> {
    let start = damage_offset + 1;
    let mut file = File::open(path).map_err(|e| JournalError::io("open", path, e))?;
    let mut tail = Vec::new();
    file.seek(SeekFrom::Start(start))
        .and_then(|_| file.read_to_end(&mut tail))
        .map_err(|e| JournalError::io("read", path, e))?;
    let max_lsn = min_lsn.saturating_add((tail.len() / FRAME_HEADER_LEN) as u64);
    let lsn_ok = |lsn: Lsn| (min_lsn..=max_lsn).contains(&lsn);
    Ok((0..tail.len()).find_map(|at| {
        valid_frame_at(&tail[at..], lsn_ok).map(|header| (start + at as u64, header.lsn))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::frame::encode;

    /// Writes a segment starting at lsn 1 holding `payloads`; returns its path and the
    /// offset of each frame.
    fn segment_with(dir: &Path, payloads: &[&[u8]]) -> (PathBuf, Vec<u64>) {
        let path = dir.join(segment::file_name(1));
        let mut bytes = segment::header(1).to_vec();
        let mut offsets = Vec::new();
        let mut frame = Vec::new();
        for (lsn, payload) in (1..).zip(payloads) {
            offsets.push(bytes.len() as u64);
            assert!(encode(&mut frame, lsn, payload).is_ok());
            bytes.extend_from_slice(&frame);
        }
        assert!(std::fs::write(&path, bytes).is_ok());
        (path, offsets)
    }

    #[test]
    fn finds_the_next_valid_frame_after_damage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, offsets) = segment_with(dir.path(), &[b"one", b"two", b"three"]);
        let found = find_valid_after(&path, offsets[0], 2).expect("scan");
        assert_eq!(found, Some((offsets[1], 2)));
        // Records below the lower bound do not count as "valid records after".
        let found = find_valid_after(&path, offsets[0], 4).expect("scan");
        assert_eq!(found, None);
        let found = find_valid_after(&path, offsets[2], 4).expect("scan");
        assert_eq!(found, None);
    }

    #[test]
    fn torn_last_segment_is_cut_at_the_last_whole_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, offsets) = segment_with(dir.path(), &[b"one", b"two"]);
        let file = OpenOptions::new().write(true).open(&path).expect("open");
        assert!(file.set_len(offsets[1] + 5).is_ok());
        let (segments, report) =
            recover(&[(1, path.clone())], TailRecovery::Strict).expect("recover");
        assert_eq!(segments[0].records, 1);
        assert_eq!(segments[0].len, offsets[1]);
        assert_eq!(report.last_lsn, Some(1));
        let truncation = report.truncation.expect("truncation");
        assert_eq!((truncation.offset, truncation.bytes), (offsets[1], 5));
        assert_eq!(
            std::fs::metadata(&path).expect("metadata").len(),
            offsets[1]
        );
    }

    #[test]
    fn damage_in_an_earlier_segment_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (first, offsets) = segment_with(dir.path(), &[b"one", b"two"]);
        let file = OpenOptions::new().write(true).open(&first).expect("open");
        assert!(file.set_len(offsets[1] + 5).is_ok());
        let second = dir.path().join(segment::file_name(3));
        assert!(std::fs::write(&second, segment::header(3)).is_ok());
        let files = [(1, first.clone()), (3, second)];
        match recover(&files, TailRecovery::DiscardAfterCorruption) {
            Err(JournalError::Corrupt { path, offset, .. }) => {
                assert_eq!((path, offset), (first, offsets[1]));
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }
}
