//! The deterministic random numbers behind synthetic weights and vocabularies: SplitMix64,
//! with a cheap normal-ish sample (a scaled sum of four uniforms).

/// SplitMix64: fast, statistically decent, and seedable from any 64-bit value.
#[derive(Debug, Clone)]
pub struct Rng(u64);

/// Standard deviation of the sum of four uniform 16-bit values.
const SUM4_STD: f32 = 37_837.23;
/// Mean of the sum of four uniform 16-bit values.
const SUM4_MEAN: f32 = 131_070.0;

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator for one part of a larger stream, independent of how parts are scheduled.
    pub fn for_part(seed: u64, a: u64, b: u64) -> Rng {
        let mut r = Rng(seed);
        let x = r.next_u64() ^ a.wrapping_mul(0xD6E8_FEB8_6659_FD93);
        let mut r = Rng(x);
        Rng(r.next_u64() ^ b.wrapping_mul(0xA076_1D64_78BD_642F))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..n` (`n > 0`; the tiny modulo bias does not matter here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// An approximately standard normal value (Irwin–Hall with four terms: mean 0, std 1,
    /// bounded by ±3.46).
    pub fn normalish(&mut self) -> f32 {
        let x = self.next_u64();
        let sum = (x & 0xFFFF) + ((x >> 16) & 0xFFFF) + ((x >> 32) & 0xFFFF) + (x >> 48);
        (sum as f32 - SUM4_MEAN) / SUM4_STD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalish_has_unit_variance() {
        let mut r = Rng::new(42);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| f64::from(r.normalish())).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
        assert!(xs.iter().all(|x| x.abs() < 3.47));
    }

    #[test]
    fn parts_are_distinct_and_repeatable() {
        let a = Rng::for_part(1, 2, 3).next_u64();
        assert_eq!(a, Rng::for_part(1, 2, 3).next_u64());
        assert_ne!(a, Rng::for_part(1, 3, 2).next_u64());
        assert_ne!(a, Rng::for_part(2, 2, 3).next_u64());
    }
}
