//! Reading records back, in lsn order across segments, each one checked again.

use serde::de::DeserializeOwned;

use super::segment::{Segment, SegmentReader, Step};
use super::{Journal, JournalError, Lsn, Record};

impl Journal {
    /// Iterates over the records with lsn `from` and later (`0` reads from the start),
    /// as they were when this was called.
    ///
    /// Fails with [`JournalError::Compacted`] if records at `from` were compacted away.
    /// A record that no longer checks out (the file was changed behind the journal's
    /// back) ends the iteration with [`JournalError::Corrupt`].
    pub fn iter_from(&self, from: Lsn) -> Result<RecordIter<'_>, JournalError> {
        let from = from.max(1);
        let first_available = self.first_lsn();
        if from < first_available {
            return Err(JournalError::Compacted {
                requested: from,
                first_available,
            });
        }
        // Start at the newest segment beginning at or before `from`.
        let skip = self
            .segments()
            .skip(1)
            .take_while(|segment| segment.first_lsn <= from)
            .count();
        let segments: Vec<&Segment> = self.segments().skip(skip).collect();
        Ok(RecordIter {
            segments: segments.into_iter(),
            current: None,
            from,
            payload: Vec::new(),
            failed: false,
        })
    }

    /// Iterates over the records from lsn `from` on, each decoded from JSON as a `T`.
    pub fn iter_json<T: DeserializeOwned>(
        &self,
        from: Lsn,
    ) -> Result<impl Iterator<Item = Result<(Lsn, T), JournalError>> + '_, JournalError> {
        Ok(self.iter_from(from)?.map(|record| {
            let record = record?;
            serde_json::from_slice(&record.payload)
                .map(|value| (record.lsn, value))
                .map_err(|source| JournalError::Json {
                    lsn: Some(record.lsn),
                    source,
                })
        }))
    }
}

/// Iterator over journal records, from [`Journal::iter_from`].
#[derive(Debug)]
pub struct RecordIter<'a> {
    segments: std::vec::IntoIter<&'a Segment>,
    current: Option<(&'a Segment, SegmentReader)>,
    from: Lsn,
    payload: Vec<u8>,
    failed: bool,
}

impl RecordIter<'_> {
    fn step(&mut self) -> Result<Option<Record>, JournalError> {
        loop {
            let (segment, reader) = match &mut self.current {
                Some(current) => current,
                None => {
                    let Some(segment) = self.segments.next() else {
                        return Ok(None);
                    };
                    let reader =
                        SegmentReader::open(&segment.path, segment.first_lsn, Some(segment.len))?
                            .map_err(|damage| corrupt(segment, damage.offset, damage.reason))?;
                    self.current.insert((segment, reader))
                }
            };
            match reader.next(&mut self.payload)? {
                Step::Record { lsn } if lsn >= self.from => {
                    let payload = std::mem::take(&mut self.payload);
                    return Ok(Some(Record { lsn, payload }));
                }
                Step::Record { .. } => {}
                Step::End if reader.offset() == segment.len => self.current = None,
                Step::End => {
                    let reason = "the file is shorter than when the journal was opened".into();
                    return Err(corrupt(segment, reader.offset(), reason));
                }
                Step::Damaged(damage) => {
                    return Err(corrupt(segment, damage.offset, damage.reason));
                }
            }
        }
    }
}

fn corrupt(segment: &Segment, offset: u64, reason: String) -> JournalError {
    JournalError::Corrupt {
        path: segment.path.clone(),
        offset,
        reason,
    }
}

impl Iterator for RecordIter<'_> {
    type Item = Result<Record, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.step().transpose();
        self.failed = matches!(item, Some(Err(_)));
        item
    }
}
