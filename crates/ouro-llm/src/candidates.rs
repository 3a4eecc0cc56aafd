//! Several replies decoded side by side (best-of-N sampling, or one prompt with several
//! endings): the shared prompt is evaluated once, each candidate continues from a copy of
//! its cache with its own prompt tokens, sampler, grammar and stop strings, and every step runs one token of each unfinished candidate in
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

/// One reply to decode: the tokens that follow the shared prompt for it, and its sampling.
#[derive(Debug, Clone)]
pub struct Branch {
    /// Prompt tokens of this reply only (none: it continues right after the shared ones).
    pub tokens: Vec<u32>,
    /// How it samples.
    pub sampling: SamplingConfig,
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
        let branches: Vec<Branch> = samplings
            .iter()
            .map(|sampling| Branch {
                tokens: Vec::new(),
                sampling: sampling.clone(),
            })
            .collect();
        self.generate_branches(state, prompt_tokens, &branches, opts, cancel, on_text)
    }

    /// Generates one reply per branch: `shared` is appended to `state`'s cache once (and
    /// stays there), each branch continues from a copy of it with its own tokens and
    /// sampling (the rest of `opts` is shared; prompt-lookup drafts are not used), and the
    /// replies are decoded side by side. A reply's `prompt_tokens` counts its own branch's
    /// tokens (the first reply's also the shared ones). A branch without tokens of its own
    /// needs `shared` not to be empty.
    pub fn generate_branches(
        &self,
        state: &mut Sequence,
        shared: &[u32],
        branches: &[Branch],
        opts: &GenerateOptions,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(usize, &str),
    ) -> Result<Vec<Generation>, EngineError> {
        if shared.is_empty() && branches.iter().any(|b| b.tokens.is_empty()) {
            return Err(EngineError::EmptyPrompt);
        }
        let opts = GenerateOptions {
            lookup: None,
            ..opts.clone()
        };
        match state {
            Sequence::Cpu(cpu) => {
                self.decode_side_by_side(cpu, shared, branches, &opts, cancel, on_text)
            }
            Sequence::Cuda(_) => {
                self.decode_one_by_one(state, shared, branches, &opts, cancel, on_text)
            }
        }
    }

    fn decode_side_by_side(
        &self,
        prompt_state: &mut State,
        shared: &[u32],
        branches: &[Branch],
        opts: &GenerateOptions,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(usize, &str),
    ) -> Result<Vec<Generation>, EngineError> {
        let started = Instant::now();
        let mut last_row = Vec::new();
        if !shared.is_empty() {
            last_row = self
                .model
                .forward(prompt_state, shared, Logits::Last, &self.pool)?
                .to_vec();
            self.record_tokens(shared.len());
        }
        let mut candidates = Vec::with_capacity(branches.len());
        let mut rows: Vec<f32> = Vec::new();
        let mut prompt_times = Vec::with_capacity(branches.len());
        for branch in branches {
            let branch_started = Instant::now();
            // A copy with room for this branch and its reply only.
            let capacity = (prompt_state.pos() + branch.tokens.len() + opts.max_tokens + 1)
                .min(prompt_state.capacity());
            let mut state = self.model.fork_state_sized(prompt_state, capacity);
            if branch.tokens.is_empty() {
                rows.extend_from_slice(&last_row);
            } else {
                let logits =
                    self.model
                        .forward(&mut state, &branch.tokens, Logits::Last, &self.pool)?;
                rows.extend_from_slice(logits);
                self.record_tokens(branch.tokens.len());
            }
            let prompt: Vec<u32> = shared.iter().chain(&branch.tokens).copied().collect();
            candidates.push(Candidate {
                decoder: Decoder::new(self, opts, branch.sampling.clone(), &prompt)?,
                state,
                stop: None,
            });
            prompt_times.push(branch_started.elapsed());
        }
        // The shared prompt's time goes to the first reply.
        let branch_time: Duration = prompt_times.iter().sum();
        if let Some(first) = prompt_times.first_mut() {
            *first += started.elapsed().saturating_sub(branch_time);
        }
        let gen_started = Instant::now();
        let n_vocab = rows.len() / branches.len().max(1);
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
            .zip(branches)
            .zip(prompt_times)
            .enumerate()
            .map(|(i, ((mut c, branch), prompt_time))| {
                let reason = c.stop.unwrap_or(StopReason::MaxTokens);
                c.decoder.finish(reason, &mut |piece| on_text(i, piece));
                generation(
                    branch.tokens.len() + if i == 0 { shared.len() } else { 0 },
                    c.decoder,
                    reason,
                    prompt_time,
                    generation_time,
                )
            })
            .collect())
    }

    /// Decodes the branches one after the other from the cached shared prompt (on devices
    /// without batched decoding).
    fn decode_one_by_one(
        &self,
        state: &mut Sequence,
        shared: &[u32],
        branches: &[Branch],
        opts: &GenerateOptions,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(usize, &str),
    ) -> Result<Vec<Generation>, EngineError> {
        let end = state.pos() + shared.len();
        let mut out = Vec::with_capacity(branches.len());
        for (i, branch) in branches.iter().enumerate() {
            // The shared prompt is run with the first branch; a later branch without tokens
            // of its own re-runs the shared prompt's last token for its logits.
            let keep = match (i, branch.tokens.is_empty()) {
                (0, _) => end - shared.len(),
                (_, true) => end - 1,
                (_, false) => end,
            };
            state.truncate(keep);
            let fed: Vec<u32> = shared[shared.len() - (end - keep)..]
                .iter()
                .chain(&branch.tokens)
                .copied()
                .collect();
            let opts = GenerateOptions {
                sampling: branch.sampling.clone(),
                ..opts.clone()
            };
            let mut generation =
                self.generate_in(state, &fed, &opts, cancel, &mut |piece| on_text(i, piece))?;
            if keep == end - 1 {
                generation.prompt_tokens -= 1;
            }
            out.push(generation);
        }
        state.truncate(end);
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
        logprobs: decoder.logprobs,
    }
}
