//! Helpers shared by the journal's integration tests (`journal.rs`, `journal_crash.rs`):
//! a seeded PRNG, deterministic payloads, and reading a whole journal back.

use ouro_core::journal::{Journal, Lsn, Record};

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
