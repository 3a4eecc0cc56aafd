//! Drawing one candidate from the softmax of the candidates' logits, reproducibly.
//!
//! The generator is ChaCha20 (`rand_chacha::ChaCha20Rng`) seeded with
//! `SeedableRng::seed_from_u64(seed)`; both are specified bit for bit, so a seed gives the
//! same draws on every platform and version. A draw takes one `u64` and uses its top 53
//! bits as `u` in `[0, 1)`; the chosen candidate is the first whose running probability
//! sum exceeds `u` times the total (inverse transform sampling over the list's order).

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

use super::candidates::Candidates;

/// The sampler's random source.
#[derive(Debug, Clone)]
pub(crate) struct Dist {
    seed: u64,
    rng: ChaCha20Rng,
}

impl Dist {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            rng: ChaCha20Rng::seed_from_u64(seed),
        }
    }

    /// Restarts the sequence of draws from the seed.
    pub fn reset(&mut self) {
        self.rng = ChaCha20Rng::seed_from_u64(self.seed);
    }

    /// A uniform number in `[0, 1)` with 53 random bits.
    fn uniform(&mut self) -> f64 {
        const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
        (self.rng.next_u64() >> 11) as f64 * SCALE
    }

    /// Computes the candidates' probabilities and draws one; returns its index in the
    /// list (`None` only when the list is empty). A candidate of probability 0 is never
    /// drawn.
    pub fn sample(&mut self, cands: &mut Candidates) -> Option<usize> {
        if cands.is_empty() {
            return None;
        }
        cands.softmax();
        let items = cands.items();
        let total: f64 = items.iter().map(|c| f64::from(c.p)).sum();
        let target = self.uniform() * total;
        let mut running = 0.0f64;
        let mut last_possible = 0;
        for (i, c) in items.iter().enumerate() {
            if c.p > 0.0 {
                running += f64::from(c.p);
                last_possible = i;
                if running > target {
                    return Some(i);
                }
            }
        }
        // Only reachable through rounding when `u` is within an ulp of 1.
        Some(last_possible)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_draws_are_in_range_and_seeded() {
        let mut a = Dist::new(1);
        let mut b = Dist::new(1);
        let mut c = Dist::new(2);
        let xs: Vec<f64> = (0..100).map(|_| a.uniform()).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        assert_eq!(xs, (0..100).map(|_| b.uniform()).collect::<Vec<_>>());
        assert_ne!(xs, (0..100).map(|_| c.uniform()).collect::<Vec<_>>());
        a.reset();
        assert_eq!(xs, (0..100).map(|_| a.uniform()).collect::<Vec<_>>());
    }

    #[test]
    fn zero_probability_candidates_are_never_drawn() {
        let mut cands = Candidates::with_capacity(3);
        let mut dist = Dist::new(5);
        for _ in 0..1000 {
            cands.fill(&[f32::NEG_INFINITY, 0.0, f32::NEG_INFINITY]);
            assert_eq!(dist.sample(&mut cands), Some(1));
        }
        cands.fill(&[]);
        assert_eq!(dist.sample(&mut cands), None);
    }
}
