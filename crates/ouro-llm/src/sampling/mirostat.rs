//! Mirostat 1.0 and 2.0 (Basu et al. 2020), as llama.cpp implements them: truncate the
//! candidates so that the expected surprise (`-log2 p`) of the sampled token approaches
//! `tau`, adjusting the truncation level `mu` (starting at `2 tau`) by
//! `mu -= eta * (surprise - tau)` after every accepted token.
//!
//! `mu` moves on [`MirostatState::accept`], for the token the last draw chose: a token
//! accepted without being drawn (a forced or prompt token) leaves `mu` as it is.

use super::candidates::Candidates;
use super::dist::Dist;

/// How many of the most likely tokens mirostat 1.0 fits its Zipf exponent on.
const V1_M: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Version {
    V1,
    V2,
}

/// The adaptive state of one mirostat sampler.
#[derive(Debug, Clone)]
pub(crate) struct MirostatState {
    version: Version,
    tau: f32,
    eta: f32,
    mu: f32,
    n_vocab: usize,
    /// The last drawn token and its surprise in bits, waiting for `accept`.
    pending: Option<(u32, f32)>,
}

impl MirostatState {
    pub fn v1(tau: f32, eta: f32, n_vocab: usize) -> Self {
        Self::new(Version::V1, tau, eta, n_vocab)
    }

    pub fn v2(tau: f32, eta: f32, n_vocab: usize) -> Self {
        Self::new(Version::V2, tau, eta, n_vocab)
    }

    fn new(version: Version, tau: f32, eta: f32, n_vocab: usize) -> Self {
        Self {
            version,
            tau,
            eta,
            mu: 2.0 * tau,
            n_vocab,
            pending: None,
        }
    }

    pub fn mu(&self) -> f32 {
        self.mu
    }

    /// Truncates `cands` (already divided by the temperature) and draws from what is left;
    /// returns the index of the drawn candidate.
    pub fn sample(&mut self, cands: &mut Candidates, dist: &mut Dist) -> Option<usize> {
        if cands.is_empty() {
            return None;
        }
        cands.softmax();
        match self.version {
            Version::V1 => self.truncate_v1(cands),
            Version::V2 => self.truncate_v2(cands),
        }
        let index = dist.sample(cands)?;
        let chosen = cands.items()[index];
        self.record(chosen.id, chosen.p);
        Some(index)
    }

    /// Notes that `token` was chosen with probability `p` (in the truncated set); the
    /// greedy path calls this with `p` = 1 as llama.cpp's chain would give it.
    pub fn record(&mut self, token: u32, p: f32) {
        self.pending = Some((token, -p.log2()));
    }

    /// Updates `mu` if `token` is the one last drawn.
    pub fn accept(&mut self, token: u32) {
        if let Some((drawn, surprise)) = self.pending.take()
            && drawn == token
        {
            self.mu -= self.eta * (surprise - self.tau);
        }
    }

    pub fn reset(&mut self) {
        self.mu = 2.0 * self.tau;
        self.pending = None;
    }

    /// Mirostat 1.0: estimate the Zipf exponent `s` from the ratios of the `m` best
    /// probabilities, then keep the top `k = ((e 2^mu) / (1 - N^-e))^(1/s)`, `e = s - 1`.
    fn truncate_v1(&self, cands: &mut Candidates) {
        cands.sort_prefix(V1_M);
        let items = cands.items();
        let pairs = (V1_M - 1).min(items.len() - 1);
        let (mut sum_ti_bi, mut sum_ti_sq) = (0.0f32, 0.0f32);
        for i in 0..pairs {
            let t_i = ((i + 2) as f32 / (i + 1) as f32).ln();
            let b_i = (items[i].p / items[i + 1].p).ln();
            sum_ti_bi += t_i * b_i;
            sum_ti_sq += t_i * t_i;
        }
        let s_hat = sum_ti_bi / sum_ti_sq;
        let epsilon_hat = s_hat - 1.0;
        let k = ((epsilon_hat * self.mu.exp2()) / (1.0 - (self.n_vocab as f32).powf(-epsilon_hat)))
            .powf(1.0 / s_hat);
        // `as` saturates (NaN -> 0): a degenerate estimate keeps the single best token.
        cands.keep_best((k as usize).max(1));
    }

    /// Mirostat 2.0: keep the candidates whose surprise `-log2 p` is at most `mu`, that is
    /// whose probability is at least `2^-mu` (at least the best one).
    fn truncate_v2(&self, cands: &mut Candidates) {
        let min_p = (-self.mu).exp2();
        if cands.items().iter().any(|c| c.p >= min_p) {
            cands.retain(|c| c.p >= min_p);
        } else {
            cands.keep_best(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zipf_logits(n: usize) -> Vec<f32> {
        (1..=n).map(|r| -1.1 * (r as f32).ln()).collect()
    }

    #[test]
    fn v2_keeps_tokens_within_mu_bits() {
        // p = 0.5, 0.25, 0.125, 0.125: surprises 1, 2, 3, 3 bits.
        let logits = [0.5f32, 0.25, 0.125, 0.125].map(f32::ln);
        let mut cands = Candidates::with_capacity(4);
        for (mu, kept) in [(2.5, 2), (1.0, 1), (0.5, 1), (3.5, 4)] {
            let m = MirostatState::v2(mu / 2.0, 0.1, 4);
            assert_eq!(m.mu(), mu);
            cands.fill(&logits);
            cands.softmax();
            m.truncate_v2(&mut cands);
            assert_eq!(cands.items().len(), kept, "mu {mu}");
            assert_eq!(cands.argmax().map(|i| cands.items()[i].id), Some(0));
        }
    }

    #[test]
    fn v1_truncation_grows_with_mu() {
        let logits = zipf_logits(1000);
        let mut cands = Candidates::with_capacity(logits.len());
        let mut sizes = Vec::new();
        for tau in [1.0, 3.0, 5.0] {
            let m = MirostatState::v1(tau, 0.1, logits.len());
            cands.fill(&logits);
            cands.softmax();
            m.truncate_v1(&mut cands);
            sizes.push(cands.items().len());
        }
        assert!(
            sizes[0] >= 1 && sizes[0] < sizes[1] && sizes[1] < sizes[2],
            "{sizes:?}"
        );
        assert!(sizes[2] <= 1000);
    }

    #[test]
    fn v1_degenerate_distribution_keeps_one() {
        let m = MirostatState::v1(5.0, 0.1, 3);
        let mut cands = Candidates::with_capacity(3);
        cands.fill(&[0.0, f32::NEG_INFINITY, f32::NEG_INFINITY]);
        cands.softmax();
        m.truncate_v1(&mut cands);
        assert_eq!(cands.items().len(), 1);
        cands.fill(&[1.0]);
        cands.softmax();
        m.truncate_v1(&mut cands);
        assert_eq!(cands.items().len(), 1);
    }

    #[test]
    fn mu_moves_only_for_the_drawn_token() {
        let mut m = MirostatState::v2(5.0, 0.5, 4);
        m.record(3, 0.25); // surprise 2 bits, error 2 - 5 = -3
        m.accept(2);
        assert_eq!(m.mu(), 10.0);
        m.record(3, 0.25);
        m.accept(3);
        assert_eq!(m.mu(), 11.5);
        m.accept(3);
        assert_eq!(m.mu(), 11.5);
        m.reset();
        assert_eq!(m.mu(), 10.0);
    }
}
