//! Reading the newest records of a journal that another process may be writing, without
//! taking its lock (for monitors such as the dashboard).
//!
//! Nothing is repaired or changed. A torn or damaged frame ends a segment's records (the
//! writer may be in the middle of appending it), and a segment deleted by a compaction
//! between listing and opening ends the read. Records come back in lsn order.

use std::io::ErrorKind;
use std::path::Path;

use super::layout::scan;
use super::segment::{SegmentReader, Step};
use super::{JournalError, Record};

/// The last `limit` complete records of the journal in `dir` (fewer if it holds fewer),
/// oldest first, read without taking the journal's lock.
pub fn read_newest(dir: &Path, limit: usize) -> Result<Vec<Record>, JournalError> {
    let layout = scan(dir)?;
    let mut newest_first: Vec<Vec<Record>> = Vec::new();
    let mut count = 0;
    for (first_lsn, path) in layout.segments.iter().rev() {
        if count >= limit {
            break;
        }
        let Some(records) = segment_records(path, *first_lsn)? else {
            break;
        };
        count += records.len();
        newest_first.push(records);
    }
    let mut records: Vec<Record> = newest_first.into_iter().rev().flatten().collect();
    let excess = records.len().saturating_sub(limit);
    records.drain(..excess);
    Ok(records)
}

/// The complete records of one segment, or `None` when the file is gone.
fn segment_records(path: &Path, first_lsn: u64) -> Result<Option<Vec<Record>>, JournalError> {
    let mut reader = match SegmentReader::open(path, first_lsn, None) {
        Ok(Ok(reader)) => reader,
        // A header still being written: the segment has no records yet.
        Ok(Err(_damage)) => return Ok(Some(Vec::new())),
        Err(JournalError::Io { source, .. }) if source.kind() == ErrorKind::NotFound => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let mut records = Vec::new();
    let mut payload = Vec::new();
    while let Step::Record { lsn } = reader.next(&mut payload)? {
        records.push(Record {
            lsn,
            payload: std::mem::take(&mut payload),
        });
    }
    Ok(Some(records))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::journal::{Journal, JournalOptions};

    fn payloads(records: &[Record]) -> Vec<String> {
        records
            .iter()
            .map(|r| String::from_utf8(r.payload.clone()).unwrap())
            .collect()
    }

    #[test]
    fn reads_the_newest_records_across_segments_while_the_writer_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let options = JournalOptions {
            segment_size: 64,
            ..JournalOptions::default()
        };
        let mut journal = Journal::open(dir.path(), options).unwrap();
        for i in 1..=20 {
            journal.append(format!("r{i}").as_bytes()).unwrap();
        }
        assert!(
            journal.segment_count() > 2,
            "the test needs several segments"
        );
        let newest = read_newest(dir.path(), 5).unwrap();
        assert_eq!(payloads(&newest), ["r16", "r17", "r18", "r19", "r20"]);
        assert_eq!(newest[0].lsn, 16);
        assert_eq!(read_newest(dir.path(), 100).unwrap().len(), 20);
        assert!(read_newest(dir.path(), 0).unwrap().is_empty());
    }

    #[test]
    fn a_torn_tail_ends_the_records_and_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::open(dir.path(), JournalOptions::default()).unwrap();
        for i in 1..=3 {
            journal.append(format!("r{i}").as_bytes()).unwrap();
        }
        drop(journal);
        let layout = scan(dir.path()).unwrap();
        let (_, segment) = layout.segments.last().unwrap();
        let before = std::fs::metadata(segment).unwrap().len();
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(segment)
            .unwrap();
        file.write_all(&[7, 0, 0]).unwrap();
        let newest = read_newest(dir.path(), 10).unwrap();
        assert_eq!(payloads(&newest), ["r1", "r2", "r3"]);
        assert_eq!(std::fs::metadata(segment).unwrap().len(), before + 3);
    }

    #[test]
    fn an_empty_or_missing_journal() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_newest(dir.path(), 10).unwrap().is_empty());
        let err = read_newest(&dir.path().join("absent"), 10).unwrap_err();
        assert!(err.to_string().contains("absent"), "{err}");
    }
}
