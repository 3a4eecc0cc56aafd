//! Integration tests of the event journal: round trips, torn and corrupt files,
//! checkpoints with compaction, locking, and garbage in the directory.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{Rng, payload, read_all};
use ouro_core::journal::{FsyncPolicy, Journal, JournalError, JournalOptions, Lsn, TailRecovery};
use serde::{Deserialize, Serialize};

const FRAME_HEADER: u64 = 16;
const SEGMENT_HEADER: u64 = 16;

/// Small segments, so a few hundred records span many of them.
fn small_segments(segment_size: u64) -> JournalOptions {
    JournalOptions {
        segment_size,
        ..JournalOptions::default()
    }
}

/// Copies the regular files of `from` into `to` (which must exist).
fn copy_files(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("dir entry");
        if entry.file_type().expect("file type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

/// Paths of the segment files in `dir`, oldest first.
fn segment_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "wal"))
        .collect();
    files.sort();
    files
}

fn append_n(journal: &mut Journal, n: u64, max_len: usize) {
    for _ in 0..n {
        let lsn = journal.next_lsn();
        assert_eq!(journal.append(&payload(lsn, max_len)).expect("append"), lsn);
    }
}

fn assert_records(journal: &Journal, count: u64, max_len: usize) {
    let records = read_all(journal);
    assert_eq!(records.len() as u64, count);
    for (record, lsn) in records.iter().zip(1..) {
        assert_eq!(record.lsn, lsn);
        assert_eq!(
            record.payload,
            payload(lsn, max_len),
            "payload of lsn {lsn}"
        );
    }
}

/// Byte offsets at which each record of the segment at `path` starts, plus its end.
fn frame_offsets(path: &Path) -> Vec<u64> {
    let bytes = fs::read(path).expect("read segment");
    let mut offsets = vec![SEGMENT_HEADER];
    let mut at = SEGMENT_HEADER as usize;
    while at < bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        at += FRAME_HEADER as usize + len as usize;
        offsets.push(at as u64);
    }
    offsets
}

fn set_len(path: &Path, len: u64) {
    let file = fs::OpenOptions::new().write(true).open(path).expect("open");
    file.set_len(len).expect("set_len");
}

fn flip_bit(path: &Path, offset: u64, bit: u8) {
    let mut bytes = fs::read(path).expect("read");
    bytes[offset as usize] ^= 1 << bit;
    fs::write(path, bytes).expect("write");
}

#[test]
fn round_trip_across_segments_and_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = small_segments(512);
    let mut journal = Journal::open(dir.path(), options.clone()).expect("open");
    assert_eq!(journal.last_lsn(), None);
    append_n(&mut journal, 400, 60);
    assert!(
        journal.segment_count() > 10,
        "{} segments",
        journal.segment_count()
    );
    assert_records(&journal, 400, 60);
    let from_mid: Vec<Lsn> = journal
        .iter_from(123)
        .expect("iter_from")
        .map(|r| r.expect("record").lsn)
        .collect();
    assert_eq!(from_mid, (123..=400).collect::<Vec<_>>());
    assert_eq!(journal.iter_from(401).expect("iter_from").count(), 0);
    drop(journal);

    let mut journal = Journal::open(dir.path(), options).expect("reopen");
    let report = journal.recovery_report().clone();
    assert_eq!(report.records, 400);
    assert_eq!(report.last_lsn, Some(400));
    assert_eq!(report.truncation, None);
    assert_eq!(report.segments, segment_files(dir.path()).len());
    assert_records(&journal, 400, 60);
    assert_eq!(journal.append(b"").expect("append"), 401);
    let last = journal.iter_from(401).expect("iter").next();
    assert_eq!(last.map(|r| r.expect("record").payload), Some(Vec::new()));
    // Every closed segment respects the size limit.
    for path in segment_files(dir.path()) {
        assert!(fs::metadata(&path).expect("metadata").len() <= 512);
    }
}

#[test]
fn record_larger_than_a_segment_gets_its_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut journal = Journal::open(dir.path(), small_segments(100)).expect("open");
    journal.append(b"small").expect("append");
    let big = vec![7u8; 1000];
    journal.append(&big).expect("append big");
    journal.append(b"after").expect("append");
    assert_eq!(journal.segment_count(), 3);
    let payloads: Vec<Vec<u8>> = read_all(&journal).into_iter().map(|r| r.payload).collect();
    assert_eq!(payloads, [b"small".to_vec(), big, b"after".to_vec()]);
}

#[test]
fn torn_tail_at_every_offset_recovers_complete_records() {
    let source = tempfile::tempdir().expect("tempdir");
    let options = small_segments(400);
    let total = {
        let mut journal = Journal::open(source.path(), options.clone()).expect("open");
        append_n(&mut journal, 30, 40);
        journal.last_lsn().expect("records")
    };
    let files = segment_files(source.path());
    assert!(files.len() >= 3);
    let last = files.last().expect("a segment").clone();
    let offsets = frame_offsets(&last);
    let in_last = offsets.len() as u64 - 1;
    let before_last = total - in_last;
    let last_len = *offsets.last().expect("end");

    for cut in 0..last_len {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_files(source.path(), dir.path());
        let path = dir.path().join(last.file_name().expect("name"));
        set_len(&path, cut);

        let complete = offsets[1..].iter().filter(|&&end| end <= cut).count() as u64;
        let expected = before_last + complete;
        let mut journal = Journal::open(dir.path(), options.clone())
            .unwrap_or_else(|e| panic!("cut at {cut}: open failed: {e}"));
        assert_eq!(journal.recovery_report().records, expected, "cut at {cut}");
        let truncation = journal.recovery_report().truncation.clone();
        let on_boundary = offsets.contains(&cut);
        assert_eq!(truncation.is_some(), !on_boundary, "cut at {cut}");
        if let Some(truncation) = truncation {
            assert_eq!(truncation.segment, path);
            assert_eq!(truncation.bytes, cut - truncation.offset.min(cut));
        }
        assert_records(&journal, expected, 40);
        assert_eq!(journal.append(b"next").expect("append"), expected + 1);
        drop(journal);

        let journal = Journal::open(dir.path(), options.clone()).expect("reopen");
        assert_eq!(journal.recovery_report().truncation, None, "cut at {cut}");
        assert_eq!(journal.last_lsn(), Some(expected + 1));
    }
}

#[test]
fn bit_flips_in_the_tail_record_are_truncated() {
    let source = tempfile::tempdir().expect("tempdir");
    {
        let mut journal = Journal::open(source.path(), JournalOptions::default()).expect("open");
        append_n(&mut journal, 5, 24);
    }
    let name = segment_files(source.path())[0]
        .file_name()
        .expect("name")
        .to_owned();
    let offsets = frame_offsets(&source.path().join(&name));
    let (start, end) = (offsets[4], offsets[5]);
    for offset in start..end {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_files(source.path(), dir.path());
        let path = dir.path().join(&name);
        flip_bit(&path, offset, (offset % 8) as u8);
        let mut journal = Journal::open(dir.path(), JournalOptions::default())
            .unwrap_or_else(|e| panic!("flip at {offset}: {e}"));
        let truncation = journal
            .recovery_report()
            .truncation
            .clone()
            .expect("truncated");
        assert_eq!(truncation.offset, start, "flip at {offset}");
        assert_eq!(truncation.bytes, end - start);
        assert_records(&journal, 4, 24);
        assert_eq!(journal.append(b"again").expect("append"), 5);
    }
}

#[test]
fn bit_flips_in_an_earlier_segment_are_errors_naming_it() {
    let source = tempfile::tempdir().expect("tempdir");
    {
        let mut journal = Journal::open(source.path(), small_segments(300)).expect("open");
        append_n(&mut journal, 40, 30);
    }
    let files = segment_files(source.path());
    assert!(files.len() >= 3);
    let name = files[1].file_name().expect("name").to_owned();
    let offsets = frame_offsets(&source.path().join(&name));
    for offset in 0..*offsets.last().expect("end") {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_files(source.path(), dir.path());
        let path = dir.path().join(&name);
        flip_bit(&path, offset, 3);
        match Journal::open(dir.path(), small_segments(300)) {
            Err(JournalError::Corrupt {
                path: bad,
                offset: at,
                ..
            }) => {
                assert_eq!(bad, path);
                let frame_start = offsets.iter().rev().find(|&&o| o <= offset).copied();
                let expected_at = if offset < SEGMENT_HEADER {
                    0
                } else {
                    frame_start.unwrap_or(0)
                };
                assert_eq!(at, expected_at, "flip at {offset}");
            }
            Err(other) => panic!("flip at {offset}: unexpected error {other}"),
            Ok(_) => panic!("flip at {offset} in an earlier segment went unnoticed"),
        }
    }
    // A flip in the header's lsn makes the name and header disagree: still an error.
    let dir = tempfile::tempdir().expect("tempdir");
    copy_files(source.path(), dir.path());
    flip_bit(&dir.path().join(&name), 8, 0);
    let err = Journal::open(dir.path(), small_segments(300)).expect_err("header flip");
    assert!(
        err.to_string().contains(name.to_str().expect("utf-8")),
        "{err}"
    );
}

#[test]
fn damage_before_valid_records_in_the_last_segment_is_not_truncated_silently() {
    let source = tempfile::tempdir().expect("tempdir");
    {
        let mut journal = Journal::open(source.path(), JournalOptions::default()).expect("open");
        append_n(&mut journal, 10, 30);
    }
    let name = segment_files(source.path())[0]
        .file_name()
        .expect("name")
        .to_owned();
    let offsets = frame_offsets(&source.path().join(&name));
    let damaged = offsets[3] + FRAME_HEADER + 2; // in the payload of lsn 4
    let dir = tempfile::tempdir().expect("tempdir");
    copy_files(source.path(), dir.path());
    flip_bit(&dir.path().join(&name), damaged, 1);

    match Journal::open(dir.path(), JournalOptions::default()) {
        Err(JournalError::CorruptBeforeValidRecords {
            offset,
            next_valid_lsn,
            next_valid_offset,
            ..
        }) => {
            assert_eq!(offset, offsets[3]);
            assert_eq!(next_valid_lsn, 5);
            assert_eq!(next_valid_offset, offsets[4]);
        }
        other => panic!("expected CorruptBeforeValidRecords, got {other:?}"),
    }
    // Nothing was cut.
    let len = fs::metadata(dir.path().join(&name))
        .expect("metadata")
        .len();
    assert_eq!(len, *offsets.last().expect("end"));

    let discard = JournalOptions {
        tail_recovery: TailRecovery::DiscardAfterCorruption,
        ..JournalOptions::default()
    };
    let journal = Journal::open(dir.path(), discard).expect("open discarding");
    let truncation = journal
        .recovery_report()
        .truncation
        .clone()
        .expect("truncated");
    assert_eq!(truncation.offset, offsets[3]);
    assert_eq!(truncation.dropped_valid_from, Some(5));
    assert_records(&journal, 3, 30);
}

#[test]
fn a_second_journal_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(dir.path(), JournalOptions::default()).expect("open");
    match Journal::open(dir.path(), JournalOptions::default()) {
        Err(err @ JournalError::Locked { .. }) => {
            assert!(err.to_string().contains("in use"), "{err}");
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    drop(journal);
    assert!(Journal::open(dir.path(), JournalOptions::default()).is_ok());
}

#[derive(Debug, Serialize, Deserialize)]
enum Event {
    Set(String, i64),
    Add(String, i64),
    Remove(String),
}

type State = BTreeMap<String, i64>;

fn apply(state: &mut State, event: Event) {
    match event {
        Event::Set(key, value) => {
            state.insert(key, value);
        }
        Event::Add(key, value) => *state.entry(key).or_default() += value,
        Event::Remove(key) => {
            state.remove(&key);
        }
    }
}

fn random_event(rng: &mut Rng) -> Event {
    let key = format!("k{}", rng.below(20));
    let value = rng.below(1000) as i64 - 500;
    match rng.below(3) {
        0 => Event::Set(key, value),
        1 => Event::Add(key, value),
        _ => Event::Remove(key),
    }
}

fn replay(journal: &Journal, mut state: State, from: Lsn) -> State {
    for item in journal.iter_json::<Event>(from).expect("iter_json") {
        let (_, event) = item.expect("event");
        apply(&mut state, event);
    }
    state
}

#[test]
fn checkpoint_compact_and_replay_equal_full_replay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let options = small_segments(256);
    let mut rng = Rng::new(42);
    let mut journal = Journal::open(dir.path(), options.clone()).expect("open");
    assert_eq!(journal.latest_checkpoint().expect("checkpoint"), None);
    let mut live = State::new();
    for step in 1..=600u64 {
        let event = random_event(&mut rng);
        let encoded = serde_json::to_vec(&event).expect("encode");
        apply(&mut live, serde_json::from_slice(&encoded).expect("decode"));
        journal.append_json(&event).expect("append_json");
        if step == 350 {
            let state = serde_json::to_vec(&live).expect("state");
            journal.checkpoint(step, &state).expect("checkpoint");
        }
    }
    let full = replay(&journal, State::new(), 1);
    assert_eq!(full, live);
    let before = journal.segment_count();
    let removed = journal.compact().expect("compact");
    assert!(removed > 0);
    assert_eq!(journal.segment_count(), before - removed);
    assert!(journal.first_lsn() <= 351 && journal.first_lsn() > 1);
    assert!(matches!(
        journal.iter_from(1),
        Err(JournalError::Compacted { requested: 1, .. })
    ));
    drop(journal);

    let journal = Journal::open(dir.path(), options).expect("reopen");
    assert_eq!(journal.recovery_report().checkpoint_lsn, Some(350));
    let (lsn, state) = journal
        .latest_checkpoint()
        .expect("read")
        .expect("a checkpoint");
    assert_eq!(lsn, 350);
    let state: State = serde_json::from_slice(&state).expect("state");
    assert_eq!(replay(&journal, state, lsn + 1), live);
}

#[test]
fn newer_checkpoints_replace_older_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut journal = Journal::open(dir.path(), small_segments(128)).expect("open");
    append_n(&mut journal, 20, 30);
    journal.checkpoint(5, b"five").expect("checkpoint 5");
    journal.checkpoint(20, b"twenty").expect("checkpoint 20");
    let checkpoints = fs::read_dir(dir.path())
        .expect("read_dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "ckpt"))
        })
        .count();
    assert_eq!(checkpoints, 1);
    assert!(journal.compact().expect("compact") > 0);
    // Only the segment being written is left; reading after the checkpoint still works.
    assert_eq!(journal.segment_count(), 1);
    assert_eq!(journal.iter_from(21).expect("iter").count(), 0);
    drop(journal);
    let mut journal = Journal::open(dir.path(), small_segments(128)).expect("reopen");
    assert_eq!(journal.append(b"x").expect("append"), 21);
    let latest = journal.latest_checkpoint().expect("read");
    assert_eq!(latest, Some((20, b"twenty".to_vec())));
}

#[test]
fn checkpoint_arguments_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut journal = Journal::open(dir.path(), JournalOptions::default()).expect("open");
    assert!(journal.checkpoint(1, b"").is_err(), "no records yet");
    append_n(&mut journal, 3, 8);
    assert!(journal.checkpoint(0, b"").is_err());
    assert!(journal.checkpoint(4, b"").is_err());
    journal.checkpoint(2, b"two").expect("checkpoint");
    assert!(matches!(
        journal.checkpoint(1, b""),
        Err(JournalError::InvalidCheckpoint { lsn: 1, .. })
    ));
    journal.checkpoint(2, b"two again").expect("same lsn");
}

#[test]
fn a_checkpoint_beyond_the_log_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut journal = Journal::open(dir.path(), JournalOptions::default()).expect("open");
        append_n(&mut journal, 10, 16);
        journal.checkpoint(10, b"ten").expect("checkpoint");
    }
    let path = segment_files(dir.path())[0].clone();
    let offsets = frame_offsets(&path);
    set_len(&path, offsets[9] + 3);
    match Journal::open(dir.path(), JournalOptions::default()) {
        Err(JournalError::CheckpointAhead {
            checkpoint_lsn: 10,
            last_lsn: 9,
            ..
        }) => {}
        other => panic!("expected CheckpointAhead, got {other:?}"),
    }
}

#[test]
fn missing_segments_are_errors() {
    let source = tempfile::tempdir().expect("tempdir");
    {
        let mut journal = Journal::open(source.path(), small_segments(200)).expect("open");
        append_n(&mut journal, 40, 30);
    }
    let files = segment_files(source.path());
    assert!(files.len() >= 3);

    let dir = tempfile::tempdir().expect("tempdir");
    copy_files(source.path(), dir.path());
    fs::remove_file(dir.path().join(files[1].file_name().expect("name"))).expect("remove");
    assert!(matches!(
        Journal::open(dir.path(), small_segments(200)),
        Err(JournalError::Gap { .. })
    ));

    let dir = tempfile::tempdir().expect("tempdir");
    copy_files(source.path(), dir.path());
    fs::remove_file(dir.path().join(files[0].file_name().expect("name"))).expect("remove");
    assert!(matches!(
        Journal::open(dir.path(), small_segments(200)),
        Err(JournalError::MissingRecords { .. })
    ));
}

#[test]
fn every_fsync_policy_round_trips() {
    let policies = [
        FsyncPolicy::Always,
        FsyncPolicy::EveryN(7),
        FsyncPolicy::Interval(std::time::Duration::from_millis(5)),
        FsyncPolicy::Never,
    ];
    for fsync in policies {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = JournalOptions {
            fsync,
            segment_size: 1024,
            ..JournalOptions::default()
        };
        let mut journal = Journal::open(dir.path(), options.clone()).expect("open");
        append_n(&mut journal, 100, 50);
        journal.sync().expect("sync");
        append_n(&mut journal, 5, 50);
        drop(journal);
        let journal = Journal::open(dir.path(), options).expect("reopen");
        assert_records(&journal, 105, 50);
    }
    let invalid = JournalOptions {
        fsync: FsyncPolicy::EveryN(0),
        ..JournalOptions::default()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(matches!(
        Journal::open(dir.path(), invalid),
        Err(JournalError::InvalidOptions(_))
    ));
}

#[test]
fn json_records_round_trip_and_bad_json_names_the_lsn() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut journal = Journal::open(dir.path(), JournalOptions::default()).expect("open");
    journal
        .append_json(&Event::Set("a".into(), 1))
        .expect("json");
    journal.append(b"not json").expect("raw");
    let mut items = journal.iter_json::<Event>(1).expect("iter_json");
    assert!(matches!(items.next(), Some(Ok((1, Event::Set(..))))));
    match items.next() {
        Some(Err(err @ JournalError::Json { lsn: Some(2), .. })) => {
            assert!(err.to_string().contains("lsn 2"), "{err}");
        }
        other => panic!("expected a JSON error at lsn 2, got {other:?}"),
    }
}

#[test]
fn reading_detects_files_changed_after_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut journal = Journal::open(dir.path(), JournalOptions::default()).expect("open");
    append_n(&mut journal, 5, 20);
    let path = segment_files(dir.path())[0].clone();
    let offsets = frame_offsets(&path);
    flip_bit(&path, offsets[2] + FRAME_HEADER, 0);
    let results: Vec<_> = journal.iter_from(1).expect("iter").collect();
    assert_eq!(
        results.len(),
        3,
        "two good records, then the error, then nothing"
    );
    assert!(
        matches!(&results[2], Err(JournalError::Corrupt { offset, .. }) if *offset == offsets[2])
    );

    set_len(&path, offsets[1]);
    let results: Vec<_> = journal.iter_from(1).expect("iter").collect();
    assert!(matches!(
        results.last(),
        Some(Err(JournalError::Corrupt { .. }))
    ));
}

/// Fills a directory with a random mix of valid segments, damaged segments, garbage
/// under journal names, checkpoint garbage and unrelated files.
fn random_directory(rng: &mut Rng, dir: &Path, valid: &Path) {
    let valid_files = segment_files(valid);
    for _ in 0..rng.below(6) {
        let choice = rng.below(6);
        let name = match choice {
            0 | 1 => format!("{:020}.wal", rng.below(40)),
            2 => format!("{:020}.ckpt", rng.below(40)),
            3 => "checkpoint.tmp".to_string(),
            4 => format!("junk{}.wal", rng.below(5)),
            _ => {
                let source = &valid_files[rng.below(valid_files.len() as u64) as usize];
                let name = source
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .to_string();
                let mut bytes = fs::read(source).expect("read");
                for _ in 0..rng.below(4) {
                    if !bytes.is_empty() {
                        let at = rng.below(bytes.len() as u64) as usize;
                        bytes[at] = rng.next_u64() as u8;
                    }
                }
                bytes.truncate(rng.below(bytes.len() as u64 + 1) as usize);
                fs::write(dir.join(&name), bytes).expect("write");
                continue;
            }
        };
        let len = rng.below(200) as usize;
        let mut bytes = rng.bytes(len);
        if choice == 0 && len >= 16 {
            // Sometimes a plausible header, so the frame parser gets exercised too.
            bytes[..8].copy_from_slice(b"OUROWAL\x01");
        }
        fs::write(dir.join(name), bytes).expect("write");
    }
}

#[test]
fn random_garbage_in_the_directory_never_panics() {
    let valid = tempfile::tempdir().expect("tempdir");
    {
        let mut journal = Journal::open(valid.path(), small_segments(150)).expect("open");
        append_n(&mut journal, 30, 20);
    }
    let mut rng = Rng::from_clock("garbage");
    let mut opened = 0;
    for _ in 0..400 {
        let dir = tempfile::tempdir().expect("tempdir");
        random_directory(&mut rng, dir.path(), valid.path());
        if let Ok(mut journal) = Journal::open(dir.path(), small_segments(150)) {
            opened += 1;
            // Whatever opened must read back cleanly and accept appends.
            let records = read_all(&journal);
            let next = journal.next_lsn();
            assert_eq!(
                records.last().map_or(journal.first_lsn(), |r| r.lsn + 1),
                next
            );
            assert_eq!(journal.append(b"more").expect("append"), next);
            let _ = journal.latest_checkpoint();
        }
    }
    assert!(opened > 0, "no random directory opened at all");
}
