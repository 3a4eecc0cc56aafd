//! Segment files: naming, the 16-byte header, and a checked sequential reader of frames.
//!
//! A segment is named after the lsn of its first record (`00000000000000000001.wal`) and
//! starts with an 8-byte magic and that lsn again, so a renamed or foreign file is caught.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::frame::{FRAME_HEADER_LEN, FrameHeader};
use super::{JournalError, Lsn};

/// Size of a segment's header.
pub(crate) const SEGMENT_HEADER_LEN: usize = 16;

/// First 8 bytes of every segment (format version 1).
const SEGMENT_MAGIC: [u8; 8] = *b"OUROWAL\x01";

/// Extension of segment files.
pub(crate) const SEGMENT_EXT: &str = "wal";

/// Read buffer for scanning segments.
const READ_BUFFER: usize = 1 << 20;

/// File name of the segment whose first record is `first_lsn`.
pub(crate) fn file_name(first_lsn: Lsn) -> String {
    format!("{first_lsn:020}.{SEGMENT_EXT}")
}

/// The header written at the start of the segment whose first record is `first_lsn`.
pub(crate) fn header(first_lsn: Lsn) -> [u8; SEGMENT_HEADER_LEN] {
    let mut bytes = [0u8; SEGMENT_HEADER_LEN];
    bytes[..8].copy_from_slice(&SEGMENT_MAGIC);
    bytes[8..].copy_from_slice(&first_lsn.to_le_bytes());
    bytes
}

/// A segment known to the journal: where it is and how much of it holds valid records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    /// Lsn of its first record (also in its name and header).
    pub first_lsn: Lsn,
    /// Its file.
    pub path: PathBuf,
    /// Bytes of header and valid records.
    pub len: u64,
    /// Number of valid records.
    pub records: u64,
}

impl Segment {
    /// The lsn just after its last record.
    pub fn end_lsn(&self) -> Lsn {
        self.first_lsn + self.records
    }
}

/// Damage found while reading a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Damage {
    /// Byte offset of the damaged header or frame.
    pub offset: u64,
    /// What is wrong there.
    pub reason: String,
}

/// One step of reading a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// A valid record; its payload is in the caller's buffer.
    Record {
        /// Its sequence number.
        lsn: Lsn,
    },
    /// The end of the readable range was reached cleanly.
    End,
    /// The bytes at the current offset are not a valid frame.
    Damaged(Damage),
}

/// Reads the frames of one segment in order, checking each one.
#[derive(Debug)]
pub(crate) struct SegmentReader {
    path: PathBuf,
    reader: BufReader<File>,
    offset: u64,
    end: u64,
    next_lsn: Lsn,
}

impl SegmentReader {
    /// Opens `path` and checks its header; reads at most `limit` bytes (default: the
    /// whole file). Returns the damage instead if the header is bad.
    pub fn open(
        path: &Path,
        first_lsn: Lsn,
        limit: Option<u64>,
    ) -> Result<Result<SegmentReader, Damage>, JournalError> {
        let file = File::open(path).map_err(|e| JournalError::io("open", path, e))?;
        let file_len = file
            .metadata()
            .map_err(|e| JournalError::io("read the size of", path, e))?
            .len();
        let end = limit.map_or(file_len, |limit| limit.min(file_len));
        let mut reader = SegmentReader {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(READ_BUFFER, file),
            offset: 0,
            end,
            next_lsn: first_lsn,
        };
        Ok(match reader.check_header()? {
            Some(damage) => Err(damage),
            None => Ok(reader),
        })
    }

    /// Offset of the next frame.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Lsn the next record must carry.
    pub fn next_lsn(&self) -> Lsn {
        self.next_lsn
    }

    fn check_header(&mut self) -> Result<Option<Damage>, JournalError> {
        let damage = |reason: String| Ok(Some(Damage { offset: 0, reason }));
        if self.end < SEGMENT_HEADER_LEN as u64 {
            return damage(format!(
                "torn segment header: {} of {SEGMENT_HEADER_LEN} bytes",
                self.end
            ));
        }
        let mut bytes = [0u8; SEGMENT_HEADER_LEN];
        self.read_exact(&mut bytes)?;
        if bytes[..8] != SEGMENT_MAGIC {
            return damage("not a journal segment (bad magic)".into());
        }
        let mut lsn = [0u8; 8];
        lsn.copy_from_slice(&bytes[8..]);
        let stored = Lsn::from_le_bytes(lsn);
        if stored != self.next_lsn {
            return damage(format!(
                "header says the segment starts at lsn {stored}, its name says {}",
                self.next_lsn
            ));
        }
        self.offset = SEGMENT_HEADER_LEN as u64;
        Ok(None)
    }

    /// Reads the next frame into `payload`. After [`Step::Damaged`] the reader must not
    /// be used further.
    pub fn next(&mut self, payload: &mut Vec<u8>) -> Result<Step, JournalError> {
        let remaining = self.end - self.offset;
        if remaining == 0 {
            return Ok(Step::End);
        }
        let damage = |offset, reason| Ok(Step::Damaged(Damage { offset, reason }));
        if remaining < FRAME_HEADER_LEN as u64 {
            return damage(
                self.offset,
                format!("torn frame header: {remaining} of {FRAME_HEADER_LEN} bytes"),
            );
        }
        let mut bytes = [0u8; FRAME_HEADER_LEN];
        self.read_exact(&mut bytes)?;
        let header = FrameHeader::parse(&bytes);
        if header.frame_len() > remaining {
            return damage(
                self.offset,
                format!(
                    "frame of {} bytes runs past the end ({remaining} bytes left)",
                    header.frame_len()
                ),
            );
        }
        payload.resize(header.len as usize, 0);
        self.read_exact(payload)?;
        if !header.matches(payload) {
            return damage(self.offset, "checksum mismatch".into());
        }
        if header.lsn != self.next_lsn {
            return damage(
                self.offset,
                format!("record has lsn {}, expected {}", header.lsn, self.next_lsn),
            );
        }
        self.offset += header.frame_len();
        self.next_lsn += 1;
        Ok(Step::Record { lsn: header.lsn })
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), JournalError> {
        self.reader
            .read_exact(buf)
            .map_err(|e| JournalError::io("read", &self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::frame::encode;

    fn write_segment(dir: &Path, first_lsn: Lsn, payloads: &[&[u8]]) -> PathBuf {
        let path = dir.join(file_name(first_lsn));
        let mut bytes = header(first_lsn).to_vec();
        let mut frame = Vec::new();
        for (lsn, payload) in (first_lsn..).zip(payloads) {
            assert!(encode(&mut frame, lsn, payload).is_ok());
            bytes.extend_from_slice(&frame);
        }
        assert!(std::fs::write(&path, bytes).is_ok());
        path
    }

    fn read_all(path: &Path, first_lsn: Lsn) -> (Vec<(Lsn, Vec<u8>)>, Step) {
        let mut reader = match SegmentReader::open(path, first_lsn, None) {
            Ok(Ok(reader)) => reader,
            other => panic!("cannot open segment: {other:?}"),
        };
        let mut records = Vec::new();
        let mut payload = Vec::new();
        loop {
            match reader.next(&mut payload) {
                Ok(Step::Record { lsn }) => records.push((lsn, payload.clone())),
                Ok(step) => return (records, step),
                Err(e) => panic!("read failed: {e}"),
            }
        }
    }

    #[test]
    fn names_are_twenty_digits() {
        assert_eq!(file_name(1), "00000000000000000001.wal");
    }

    #[test]
    fn reads_back_written_records() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_segment(dir.path(), 5, &[b"a", b"", b"ccc"]);
        let (records, end) = read_all(&path, 5);
        assert_eq!(end, Step::End);
        let lsns: Vec<Lsn> = records.iter().map(|(lsn, _)| *lsn).collect();
        assert_eq!(lsns, [5, 6, 7]);
        assert_eq!(records[2].1, b"ccc");
    }

    #[test]
    fn header_must_match_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_segment(dir.path(), 5, &[b"a"]);
        match SegmentReader::open(&path, 6, None) {
            Ok(Err(damage)) => assert_eq!(damage.offset, 0),
            other => panic!("expected header damage, got {other:?}"),
        }
    }

    #[test]
    fn torn_frame_is_reported_at_its_offset() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_segment(dir.path(), 1, &[b"first", b"second"]);
        let len = std::fs::metadata(&path).expect("metadata").len();
        let file = std::fs::OpenOptions::new().write(true).open(&path);
        assert!(file.and_then(|f| f.set_len(len - 1)).is_ok());
        let (records, end) = read_all(&path, 1);
        assert_eq!(records.len(), 1);
        let second_at = (SEGMENT_HEADER_LEN + FRAME_HEADER_LEN + 5) as u64;
        assert!(matches!(end, Step::Damaged(Damage { offset, .. }) if offset == second_at));
    }
}
