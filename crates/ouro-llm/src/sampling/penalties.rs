//! Repetition penalties over the last `repeat_last_n` accepted tokens, as llama.cpp's
//! `penalties` sampler: a token seen `count` times in that window gets its logit divided
//! by `repeat_penalty` if positive (multiplied if not), then minus
//! `count * frequency_penalty + presence_penalty`.

use std::collections::VecDeque;

use super::config::SamplingConfig;

/// The window of recent tokens and how often each occurs in it.
#[derive(Debug)]
pub(crate) struct Penalties {
    last_n: usize,
    repeat: f32,
    frequency: f32,
    presence: f32,
    /// The accepted tokens in the window, oldest first.
    window: VecDeque<u32>,
    /// Occurrences of each token id in the window.
    counts: Vec<usize>,
    /// Reused buffer for the window's distinct tokens.
    distinct: Vec<u32>,
}

impl Penalties {
    pub fn new(config: &SamplingConfig, n_vocab: usize) -> Self {
        let mut penalties = Self {
            last_n: config.repeat_last_n,
            repeat: config.repeat_penalty,
            frequency: config.frequency_penalty,
            presence: config.presence_penalty,
            window: VecDeque::new(),
            counts: Vec::new(),
            distinct: Vec::new(),
        };
        if !penalties.is_off() {
            // The window is bounded by `last_n`; cap the up-front reservation so a huge
            // `repeat_last_n` cannot allocate much before any token is seen.
            let reserve = penalties.last_n.min(4096);
            penalties.window.reserve(reserve);
            penalties.distinct.reserve(reserve);
            penalties.counts = vec![0; n_vocab];
        }
        penalties
    }

    /// True when the penalties change nothing (as llama.cpp decides it).
    pub fn is_off(&self) -> bool {
        self.last_n == 0 || (self.repeat == 1.0 && self.frequency == 0.0 && self.presence == 0.0)
    }

    /// Records an accepted token. Ids outside the vocabulary are not recorded (no logit
    /// could be penalized for them).
    pub fn accept(&mut self, token: u32) {
        let Some(count) = self.counts.get_mut(token as usize) else {
            return;
        };
        *count += 1;
        if self.window.len() >= self.last_n
            && let Some(old) = self.window.pop_front()
        {
            self.counts[old as usize] -= 1;
        }
        self.window.push_back(token);
    }

    /// Penalizes `logits` (index == token id) in place.
    pub fn apply(&mut self, logits: &mut [f32]) {
        if self.is_off() {
            return;
        }
        self.distinct.clear();
        self.distinct.extend(self.window.iter().copied());
        self.distinct.sort_unstable();
        self.distinct.dedup();
        for &token in &self.distinct {
            let Some(logit) = logits.get_mut(token as usize) else {
                continue;
            };
            let count = self.counts[token as usize];
            if *logit <= 0.0 {
                *logit *= self.repeat;
            } else {
                *logit /= self.repeat;
            }
            *logit -= count as f32 * self.frequency + self.presence;
        }
    }

    /// Forgets every recorded token.
    pub fn reset(&mut self) {
        for token in self.window.drain(..) {
            self.counts[token as usize] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(repeat: f32, frequency: f32, presence: f32, last_n: usize) -> SamplingConfig {
        SamplingConfig {
            repeat_penalty: repeat,
            frequency_penalty: frequency,
            presence_penalty: presence,
            repeat_last_n: last_n,
            ..SamplingConfig::greedy()
        }
    }

    fn penalized(p: &mut Penalties, logits: &[f32]) -> Vec<f32> {
        let mut logits = logits.to_vec();
        p.apply(&mut logits);
        logits
    }

    #[test]
    fn repeat_divides_positive_and_multiplies_negative() {
        let mut p = Penalties::new(&config(2.0, 0.0, 0.0, 64), 4);
        p.accept(0);
        p.accept(1);
        p.accept(1);
        assert_eq!(
            penalized(&mut p, &[4.0, -4.0, 4.0, 0.0]),
            vec![2.0, -8.0, 4.0, 0.0]
        );
    }

    #[test]
    fn frequency_counts_and_presence_once() {
        let mut p = Penalties::new(&config(1.0, 0.5, 1.0, 64), 3);
        for t in [2, 2, 2, 0] {
            p.accept(t);
        }
        // token 2: 3 times -> 3 * 0.5 + 1; token 0: once -> 0.5 + 1
        assert_eq!(penalized(&mut p, &[1.0, 1.0, 1.0]), vec![-0.5, 1.0, -1.5]);
    }

    #[test]
    fn only_the_last_n_tokens_count() {
        let mut p = Penalties::new(&config(1.0, 1.0, 0.0, 2), 3);
        for t in [0, 0, 1, 2] {
            p.accept(t);
        }
        assert_eq!(penalized(&mut p, &[0.0, 0.0, 0.0]), vec![0.0, -1.0, -1.0]);
        p.reset();
        assert_eq!(penalized(&mut p, &[0.0, 0.0, 0.0]), vec![0.0, 0.0, 0.0]);
        p.accept(2);
        assert_eq!(penalized(&mut p, &[0.0, 0.0, 0.0]), vec![0.0, 0.0, -1.0]);
    }

    #[test]
    fn out_of_vocabulary_tokens_and_short_logits_are_ignored() {
        let mut p = Penalties::new(&config(1.0, 1.0, 0.0, 8), 3);
        p.accept(99);
        p.accept(2);
        assert_eq!(penalized(&mut p, &[0.0, 0.0]), vec![0.0, 0.0]);
        assert_eq!(penalized(&mut p, &[0.0, 0.0, 0.0]), vec![0.0, 0.0, -1.0]);
    }

    #[test]
    fn disabled_penalties_change_nothing() {
        let mut p = Penalties::new(&config(1.3, 0.0, 0.0, 0), 2);
        p.accept(0);
        assert!(p.is_off());
        assert_eq!(penalized(&mut p, &[2.0, 1.0]), vec![2.0, 1.0]);
    }
}
