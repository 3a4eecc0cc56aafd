//! A few random bits without a dependency: jitter for retries and the suffix of session ids.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

/// 64 bits that differ on every call (std's per-instance `RandomState` keys mixed with the
/// clock); fine for jitter and id suffixes, not for anything secret.
pub fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    h.finish()
}

/// A number in `[0, 1)`.
pub fn unit() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_differ_and_stay_in_range() {
        assert_ne!(random_u64(), random_u64());
        for _ in 0..100 {
            let u = unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
