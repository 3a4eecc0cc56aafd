//! Helpers shared by the journal's integration tests: a seeded PRNG, deterministic
//! payloads, and reading a whole journal back.

#![allow(dead_code)] // each test binary uses its own subset of these helpers

use std::path::Path;

use ouro_core::journal::{Journal, JournalOptions, Lsn, Record};

/// xorshift64*: a small seeded generator, so failures can be replayed from the seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// A seed from the clock, printed so a failing run can be repeated.
    pub fn from_clock(label: &str) -> Rng {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        println!("{label}: seed {seed}");
        Rng::new(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// The payload record `lsn` carries in these tests: its length (0..=max_len) and
/// contents both derive from the lsn, so any record can be checked on its own.
pub fn payload(lsn: Lsn, max_len: usize) -> Vec<u8> {
    let mut rng = Rng::new(lsn.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let len = rng.below(max_len as u64 + 1) as usize;
    let mut bytes = lsn.to_le_bytes().to_vec();
    bytes.extend(rng.bytes(len));
    bytes.truncate(len.max(8));
    bytes
}

/// Every record of the journal, or the first error met.
pub fn read_all(journal: &Journal) -> Vec<Record> {
    journal
        .iter_from(0)
        .expect("iter_from(0)")
        .collect::<Result<Vec<_>, _>>()
        .expect("reading the journal")
}

/// Small segments, so a few hundred records span many of them.
pub fn small_segments(segment_size: u64) -> JournalOptions {
    JournalOptions {
        segment_size,
        ..JournalOptions::default()
    }
}

/// Copies the regular files of `from` into `to` (which must exist).
pub fn copy_files(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("dir entry");
        if entry.file_type().expect("file type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

/// Paths of the segment files in `dir`, oldest first.
pub fn segment_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "wal"))
        .collect();
    files.sort();
    files
}
