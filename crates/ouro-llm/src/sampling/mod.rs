//! Token sampling and stop strings.
//!
//! [`Sampler`] turns one step's logits into a token with llama.cpp's default chain:
//! penalties -> top-k -> typical -> top-p -> min-p -> temperature -> a seeded draw from
//! the softmax of what is left, or, with [`Mirostat`] on, temperature -> mirostat.
//! [`StopMatcher`] cuts streamed text at stop strings.
//!
//! Draws are reproducible: a ChaCha20 generator seeded with `seed_from_u64(seed)` gives
//! `u` in `[0, 1)` from the top 53 bits of a `u64`, and the token is the first candidate
//! whose running probability sum exceeds `u` (inverse transform sampling). The same seed,
//! config and logits give the same tokens on every platform.
//!
//! The chain works on reused buffers, so a call allocates nothing, and it never sorts the
//! vocabulary: top-k keeps a heap of the best logits during one pass over them, top-p
//! and typical cut by weighted quickselect, greedy is one argmax pass.

mod candidates;
mod config;
mod dist;
mod filters;
mod mirostat;
mod penalties;
mod select;
mod stop;

pub use config::{DEFAULT_SEED, Mirostat, SamplingConfig, SamplingError};
pub use stop::{StopMatcher, StopStep};

use candidates::{Candidate, Candidates};
use dist::Dist;
use mirostat::MirostatState;
use penalties::Penalties;

/// Picks tokens from logits with a [`SamplingConfig`], remembering what it needs across
/// steps (the penalty window, mirostat's `mu`, the random generator).
#[derive(Debug)]
pub struct Sampler {
    config: SamplingConfig,
    cands: Candidates,
    penalties: Penalties,
    /// The logits after the penalties (a copy, so the caller's stay untouched).
    penalized: Vec<f32>,
    dist: Dist,
    mirostat: Option<MirostatState>,
    /// Reused buffers of the typical filter.
    typical_scores: Vec<(f32, usize)>,
    typical_kept: Vec<Candidate>,
}

impl Sampler {
    /// A sampler for a vocabulary of `n_vocab` tokens; fails if the config is invalid
    /// ([`SamplingConfig::validate`]) or the vocabulary is empty or too large for u32 ids.
    pub fn new(config: SamplingConfig, n_vocab: usize) -> Result<Self, SamplingError> {
        config.validate()?;
        if n_vocab == 0 {
            return Err(SamplingError::EmptyVocabulary);
        }
        if u32::try_from(n_vocab).is_err() {
            return Err(SamplingError::VocabularyTooLarge(n_vocab));
        }
        let mirostat = match config.mirostat {
            Mirostat::Off => None,
            Mirostat::V1 { tau, eta } => Some(MirostatState::v1(tau, eta, n_vocab)),
            Mirostat::V2 { tau, eta } => Some(MirostatState::v2(tau, eta, n_vocab)),
        };
        Ok(Self {
            penalties: Penalties::new(&config, n_vocab),
            penalized: Vec::with_capacity(n_vocab),
            dist: Dist::new(config.seed),
            cands: Candidates::with_capacity(n_vocab),
            mirostat,
            typical_scores: Vec::new(),
            typical_kept: Vec::new(),
            config,
        })
    }

    pub fn config(&self) -> &SamplingConfig {
        &self.config
    }

    /// Mirostat's current truncation level `mu` in bits (`None` when mirostat is off).
    pub fn mirostat_mu(&self) -> Option<f32> {
        self.mirostat.as_ref().map(MirostatState::mu)
    }

    /// Applies the chain to one step's logits (normally `n_vocab` of them; token ids are
    /// their indices) and returns the chosen token. NaN logits count as `-inf`. Empty
    /// logits give token 0. Call [`Sampler::accept`] with the token that is kept.
    pub fn sample(&mut self, logits: &[f32]) -> u32 {
        let index = if self.mirostat.is_some() {
            self.sample_mirostat(logits)
        } else {
            self.sample_chain(logits)
        };
        index.map_or(0, |i| self.cands.items()[i].id)
    }

    /// Penalties -> top-k -> typical -> top-p -> min-p -> temperature -> draw; returns
    /// the index of the chosen candidate.
    fn sample_chain(&mut self, logits: &[f32]) -> Option<usize> {
        let config = &self.config;
        let logits = if self.penalties.is_off() {
            logits
        } else {
            self.penalized.clear();
            self.penalized.extend_from_slice(logits);
            self.penalties.apply(&mut self.penalized);
            &self.penalized
        };
        // Top-k, top-p and min-p always keep the best token, so greedy sampling needs
        // the filters only when the typical filter (which may drop it) is on.
        let direct_greedy = config.temperature <= 0.0 && config.typical_p >= 1.0;
        self.cands
            .fill_best(logits, if direct_greedy { 1 } else { config.top_k });
        if direct_greedy {
            return self.cands.argmax();
        }
        filters::typical(
            &mut self.cands,
            config.typical_p,
            &mut self.typical_scores,
            &mut self.typical_kept,
        );
        filters::top_p(&mut self.cands, config.top_p);
        filters::min_p(&mut self.cands, config.min_p);
        if config.temperature <= 0.0 {
            return self.cands.argmax();
        }
        filters::temperature(&mut self.cands, config.temperature);
        self.dist.sample(&mut self.cands)
    }

    /// Temperature -> mirostat; returns the index of the chosen candidate.
    fn sample_mirostat(&mut self, logits: &[f32]) -> Option<usize> {
        let mirostat = self.mirostat.as_mut()?;
        if self.config.temperature <= 0.0 {
            // llama.cpp's chain leaves only the best token, of probability 1.
            self.cands.fill_best(logits, 1);
            let index = self.cands.argmax()?;
            mirostat.record(self.cands.items()[index].id, 1.0);
            return Some(index);
        }
        self.cands.fill(logits);
        filters::temperature(&mut self.cands, self.config.temperature);
        mirostat.sample(&mut self.cands, &mut self.dist)
    }

    /// Records the token kept at this step: it enters the penalty window, and mirostat
    /// learns from it if it is the token [`Sampler::sample`] just drew.
    pub fn accept(&mut self, token: u32) {
        self.penalties.accept(token);
        if let Some(mirostat) = self.mirostat.as_mut() {
            mirostat.accept(token);
        }
    }

    /// Back to the state after [`Sampler::new`]: no history, `mu` = 2 tau, and the random
    /// generator restarted from the seed.
    pub fn reset(&mut self) {
        self.penalties.reset();
        self.dist.reset();
        if let Some(mirostat) = self.mirostat.as_mut() {
            mirostat.reset();
        }
    }
}
