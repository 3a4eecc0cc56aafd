//! `llama-bench`-style throughput tests: prompt processing (`pp N`: N tokens in one batch),
//! text generation (`tg N`: N tokens one at a time) and batched generation (`tg N x B`: B
//! sequences side by side, N tokens each, counted together as `llama-batched-bench`'s
//! decoding speed is), repeated and summarized.

use std::time::Instant;

use crate::device::Sequence;
use crate::engine::{Engine, EngineError};
use crate::model::{BatchScratch, Logits, State};

/// One kind of test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BenchKind {
    /// Process a prompt of this many tokens in one batch.
    Prompt(usize),
    /// Generate this many tokens one by one.
    Generate(usize),
    /// Generate `tokens` tokens in each of `sequences` sequences decoded side by side (on
    /// the CPU).
    Batched { tokens: usize, sequences: usize },
}

impl BenchKind {
    /// The test's name as llama-bench prints it (`pp512`, `tg128`).
    pub fn name(self) -> String {
        match self {
            BenchKind::Prompt(n) => format!("pp{n}"),
            BenchKind::Generate(n) => format!("tg{n}"),
            BenchKind::Batched { tokens, sequences } => format!("tg{tokens}x{sequences}"),
        }
    }

    /// Positions each sequence needs.
    fn positions(self) -> usize {
        match self {
            BenchKind::Prompt(n) | BenchKind::Generate(n) => n,
            BenchKind::Batched { tokens, .. } => tokens,
        }
    }

    /// Tokens processed in all.
    fn tokens(self) -> usize {
        match self {
            BenchKind::Batched { tokens, sequences } => tokens * sequences,
            other => other.positions(),
        }
    }
}

/// The measured throughput of one test.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BenchResult {
    pub test: String,
    pub kind: BenchKind,
    pub threads: usize,
    /// Tokens per second of each repetition.
    pub samples: Vec<f64>,
    pub mean_tps: f64,
    pub stddev_tps: f64,
}

/// A small deterministic generator for benchmark token ids (xorshift64*).
struct TokenRng(u64);

impl TokenRng {
    fn next(&mut self, n_vocab: usize) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n_vocab as u64) as u32
    }
}

/// Runs one test `repetitions` times after one untimed warm-up run.
pub fn run(
    engine: &Engine,
    kind: BenchKind,
    repetitions: usize,
) -> Result<BenchResult, EngineError> {
    let n_vocab = engine.model.config().n_vocab;
    let mut rng = TokenRng(0x9E37_79B9_7F4A_7C15);
    let mut state = engine.new_sequence(kind.positions() + 1)?;
    let mut batch = Vec::new();
    if let BenchKind::Batched { sequences, .. } = kind {
        if !matches!(state, Sequence::Cpu(_)) {
            return Err(EngineError::BatchedOnCpuOnly);
        }
        batch = (0..sequences)
            .map(|_| engine.model.new_state(kind.positions() + 1))
            .collect();
    }
    let mut scratch = BatchScratch::default();
    let mut samples = Vec::with_capacity(repetitions);
    for rep in 0..=repetitions {
        state.truncate(0);
        batch.iter_mut().for_each(|s| s.truncate(0));
        let started = Instant::now();
        match kind {
            BenchKind::Prompt(n) => {
                let tokens: Vec<u32> = (0..n).map(|_| rng.next(n_vocab)).collect();
                engine.forward(&mut state, &tokens, Logits::Last)?;
            }
            BenchKind::Generate(n) => {
                for _ in 0..n {
                    let token = rng.next(n_vocab);
                    engine.forward(&mut state, &[token], Logits::Last)?;
                }
            }
            BenchKind::Batched { tokens, sequences } => {
                for _ in 0..tokens {
                    let next: Vec<u32> = (0..sequences).map(|_| rng.next(n_vocab)).collect();
                    let mut states: Vec<&mut State> = batch.iter_mut().collect();
                    engine
                        .model
                        .forward_each(&mut states, &next, &mut scratch, &engine.pool)?;
                }
            }
        }
        let secs = started.elapsed().as_secs_f64();
        if rep > 0 {
            samples.push(kind.tokens() as f64 / secs.max(1e-9));
        }
    }
    let mean = samples.iter().sum::<f64>() / samples.len().max(1) as f64;
    let var =
        samples.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (samples.len().max(2) - 1) as f64;
    Ok(BenchResult {
        test: kind.name(),
        kind,
        threads: engine.pool.n_threads(),
        samples,
        mean_tps: mean,
        stddev_tps: var.sqrt(),
    })
}
