//! Several replies to one prompt, decoded side by side (best-of-N sampling): the prompt is
//! evaluated once, each candidate continues from a copy of its cache with its own sampler,
//! grammar and stop strings, and every step runs one token of each unfinished candidate in
//! one forward pass ([`Model::forward_each`]), so the weights are read once for all of them.
//! On a CPU whose decoding waits on memory, four candidates cost little more than one.
//!
//! On a GPU the candidates are decoded one after the other from the cached prompt (batched
//! decoding on CUDA is not written yet).
//!
//! [`Model::forward_each`]: crate::model::Model::forward_each

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::decode::{Decoder, Step};
use crate::device::Sequence;
use crate::engine::{Engine, EngineError, GenerateOptions, Generation, StopReason};
use crate::model::{BatchScratch, Logits, State};
use crate::sampling::SamplingConfig;

/// One candidate being decoded.
struct Candidate {
    decoder: Decoder,
    state: State,
    /// Why it ended, once it has.
    stop: Option<StopReason>,
}

impl Engine {
    /// Generates one reply to `prompt_tokens` for each of `samplings` (the rest of `opts`
    /// is shared; prompt-lookup drafts are not used), continuing `state` like
    /// [`Engine::generate_in`]: the prompt is appended to its cache once and stays there
    /// (the replies are not). `on_text` gets each candidate's index and text as it comes.
    pub fn generate_candidates(
        &self,
        state: &mut Sequence,
        prompt_tokens: &[u32],
        opts: &GenerateOptions,
        samplings: &[SamplingConfig],
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(usize, &str),
    ) -> Result<Vec<Generation>, EngineError> {
        if prompt_tokens.is_empty() {
            return Err(EngineError::EmptyPrompt);
        }
        let opts = GenerateOptions {
            lookup: None,
            ..opts.clone()
        };
        match state {
            Sequence::Cpu(cpu) => {
                self.decode_side_by_side(cpu, prompt_tokens, &opts, samplings, cancel, on_text)
            }
            Sequence::Cuda(_) => {
                self.decode_one_by_one(state, prompt_tokens, &opts, samplings, cancel, on_text)
            }
        }
    }

    fn decode_side_by_side(
        &self,
        prompt_state: &mut State,
        prompt_tokens: &[u32],
        opts: &GenerateOptions,
        samplings: &[SamplingConfig],
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(usize, &str),
    ) -> Result<Vec<Generation>, EngineError> {
        let started = Instant::now();
        let first = self
            .model
            .forward(prompt_state, prompt_tokens, Logits::Last, &self.pool)?
            .to_vec();
        self.record_tokens(prompt_tokens.len());
        let prompt_time = started.elapsed();
        let gen_started = Instant::now();
        let n_vocab = first.len();
        let mut candidates = samplings
            .iter()
            .map(|sampling| {
                Ok(Candidate {
                    decoder: Decoder::new(self, opts, sampling.clone(), prompt_tokens)?,
                    state: self.model.fork_state(prompt_state),
                    stop: None,
                })
            })
            .collect::<Result<Vec<_>, EngineError>>()?;
        let mut rows: Vec<f32> = first.repeat(candidates.len());
        // Which candidate each row of `rows` belongs to.
        let mut row_of: Vec<usize> = (0..candidates.len()).collect();
        let mut scratch = BatchScratch::default();
        loop {
            let mut next: Vec<(usize, u32)> = Vec::new();
            for (row, &i) in row_of.iter().enumerate() {
                let candidate = &mut candidates[i];
                let stop = if candidate.decoder.tokens.len() >= opts.max_tokens {
                    Some(StopReason::MaxTokens)
                } else if cancel.load(Ordering::Relaxed) {
                    Some(StopReason::Cancelled)
                } else {
                    let logits = &mut rows[row * n_vocab..(row + 1) * n_vocab];
                    match candidate
                        .decoder
                        .next(self, logits, &mut |piece| on_text(i, piece))?
                    {
                        Step::Stop(reason) => Some(reason),
                        Step::Token(_) if candidate.state.pos() >= candidate.state.capacity() => {
                            Some(StopReason::ContextFull)
                        }
                        Step::Token(_) if candidate.decoder.tokens.len() >= opts.max_tokens => {
                            Some(StopReason::MaxTokens)
                        }
                        Step::Token(token) => {
                            next.push((i, token));
                            None
                        }
                    }
                };
                candidate.stop = stop;
            }
            if next.is_empty() {
                break;
            }
            let tokens: Vec<u32> = next.iter().map(|&(_, t)| t).collect();
            row_of = next.iter().map(|&(i, _)| i).collect();
            let mut states: Vec<&mut State> = candidates
                .iter_mut()
                .enumerate()
                .filter(|(i, _)| row_of.contains(i))
                .map(|(_, c)| &mut c.state)
                .collect();
            let logits = self
                .model
                .forward_each(&mut states, &tokens, &mut scratch, &self.pool)?;
            rows.clear();
            rows.extend_from_slice(logits);
            self.record_tokens(tokens.len());
        }
        let generation_time = gen_started.elapsed();
        Ok(candidates
            .into_iter()
            .enumerate()
            .map(|(i, mut c)| {
                let reason = c.stop.unwrap_or(StopReason::MaxTokens);
                c.decoder.finish(reason, &mut |piece| on_text(i, piece));
                generation(
                    // The prompt was evaluated once, for the first candidate.
                    if i == 0 { prompt_tokens.len() } else { 0 },
                    c.decoder,
                    reason,
                    if i == 0 { prompt_time } else { Duration::ZERO },
                    generation_time,
                )
            })
            .collect())
    }

    /// Decodes the candidates one after the other from the cached prompt (on devices
    /// without batched decoding).
    fn decode_one_by_one(
        &self,
        state: &mut Sequence,
        prompt_tokens: &[u32],
        opts: &GenerateOptions,
        samplings: &[SamplingConfig],
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(usize, &str),
    ) -> Result<Vec<Generation>, EngineError> {
        let start = state.pos();
        let mut out = Vec::with_capacity(samplings.len());
        for (i, sampling) in samplings.iter().enumerate() {
            // Every candidate after the first re-runs only the prompt's last token (for
            // its logits); the rest of the prompt stays cached.
            let keep = if i == 0 {
                start
            } else {
                start + prompt_tokens.len() - 1
            };
            state.truncate(keep);
            let fed = &prompt_tokens[keep - start..];
            let opts = GenerateOptions {
                sampling: sampling.clone(),
                ..opts.clone()
            };
            let mut generation =
                self.generate_in(state, fed, &opts, cancel, &mut |piece| on_text(i, piece))?;
            if i > 0 {
                generation.prompt_tokens = 0;
            }
            out.push(generation);
        }
        state.truncate(start + prompt_tokens.len());
        Ok(out)
    }
}

/// The result of a decoder that ended with `stop_reason`.
pub(crate) fn generation(
    prompt_tokens: usize,
    decoder: Decoder,
    stop_reason: StopReason,
    prompt_time: Duration,
    generation_time: Duration,
) -> Generation {
    Generation {
        prompt_tokens,
        tokens: decoder.tokens,
        text: decoder.text,
        stop_reason,
        prompt_time,
        generation_time,
        drafted: 0,
        accepted: 0,
    }
}
