//! The engine: a loaded model with its tokenizer, chat template and worker threads, and
//! text generation on top of it (prompt processing, sampling, stop strings, streaming,
//! cancellation, and decoding under a grammar: see [`crate::constrained`]).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use ouro_core::engine_status::{StatusWriter, status_dir};

use crate::candidates::Branch;
use crate::chat_template::{ChatMessage, ChatTemplate, ChatTemplateError};
use crate::constrained::{ConstrainedError, Grammar, GrammarCompiler};
use crate::decode::{Decoder, Step};
use crate::device::{DeviceChoice, Placement, Sequence};
use crate::lookup::Lookup;
use crate::model::cuda::CudaModelError;
use crate::model::{Logits, Model, ModelError};
use crate::sampling::{SamplingConfig, SamplingError};
use crate::threadpool::ThreadPool;
use crate::tokenizer::{Tokenizer, TokenizerError};

/// Errors from loading or running the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Device(#[from] CudaModelError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    #[error(transparent)]
    Template(#[from] ChatTemplateError),
    #[error(transparent)]
    Sampling(#[from] SamplingError),
    #[error(transparent)]
    Constrained(#[from] ConstrainedError),
    #[error("cannot start the engine's worker threads: {0}")]
    Threads(#[source] std::io::Error),
    #[error("the model has no chat template (tokenizer.chat_template); use a plain prompt")]
    NoChatTemplate,
    #[error("the prompt is empty after tokenization")]
    EmptyPrompt,
    #[error("the prompt has {prompt} tokens but the context holds {n_ctx}")]
    PromptTooLong { prompt: usize, n_ctx: usize },
    #[error("batched decoding runs on the CPU only (load the model with --device cpu)")]
    BatchedOnCpuOnly,
    #[error("a batched step failed, ending every sequence in it: {0}")]
    Batch(String),
}

/// A model ready to generate text.
pub struct Engine {
    pub model: Model,
    pub tokenizer: Tokenizer,
    pub template: Option<ChatTemplate>,
    pub pool: ThreadPool,
    /// Built on the first constrained generation.
    grammars: OnceLock<GrammarCompiler>,
    /// Where the model runs (the CPU, or a GPU with the weights uploaded).
    pub placement: Placement,
    /// Publishes the token counts and speed for the dashboard.
    status: Mutex<StatusWriter>,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Most tokens to generate.
    pub max_tokens: usize,
    pub sampling: SamplingConfig,
    /// Generation stops before any of these strings.
    pub stop: Vec<String>,
    /// Keep going past end-of-generation tokens.
    pub ignore_eos: bool,
    /// Decode under this grammar: only tokens it allows are sampled, and generation stops
    /// when it is complete (see [`crate::constrained`]).
    pub grammar: Option<Grammar>,
    /// Speculative decoding from prompt-lookup drafts (see [`crate::lookup`]): the same
    /// tokens the sampler would pick one by one, in fewer forward passes when the reply
    /// copies text it has seen. Off by default: a batched forward may round differently from
    /// a single-token one, so greedy output can differ in rare near-ties.
    pub lookup: Option<Lookup>,
    /// Record each chosen token's log-probability under the model (before the grammar and
    /// the sampling settings) with this many most likely alternatives (0 to
    /// [`MAX_TOP_LOGPROBS`]); `None` records nothing.
    pub logprobs: Option<usize>,
}

/// Most alternatives [`GenerateOptions::logprobs`] records per token (OpenAI's limit).
pub const MAX_TOP_LOGPROBS: usize = 20;

/// A chosen token's log-probability and the likeliest alternatives at its place.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TokenLogprob {
    pub token: u32,
    /// ln p(token | everything before it).
    pub logprob: f32,
    /// The likeliest tokens at this place, most likely first, with their log-probabilities.
    pub top: Vec<(u32, f32)>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            max_tokens: 128,
            sampling: SamplingConfig::default(),
            stop: Vec::new(),
            ignore_eos: false,
            grammar: None,
            lookup: None,
            logprobs: None,
        }
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    MaxTokens,
    EndOfGeneration,
    StopString,
    ContextFull,
    Cancelled,
    /// The grammar of [`GenerateOptions::grammar`] is complete: it allows nothing more.
    GrammarComplete,
}

/// The result of one generation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Generation {
    pub prompt_tokens: usize,
    /// The generated token ids (end-of-generation token excluded).
    pub tokens: Vec<u32>,
    pub text: String,
    pub stop_reason: StopReason,
    #[serde(with = "secs")]
    pub prompt_time: Duration,
    #[serde(with = "secs")]
    pub generation_time: Duration,
    /// Draft tokens run through the model ([`GenerateOptions::lookup`]).
    pub drafted: usize,
    /// Of those, the tokens the sampler picked too (each saved a forward pass).
    pub accepted: usize,
    /// Each token's log-probability, when [`GenerateOptions::logprobs`] asked for them.
    pub logprobs: Vec<TokenLogprob>,
}

impl Generation {
    /// Prompt processing speed in tokens per second.
    pub fn prompt_tokens_per_second(&self) -> f64 {
        self.prompt_tokens as f64 / self.prompt_time.as_secs_f64().max(1e-9)
    }

    /// Generation speed in tokens per second.
    pub fn tokens_per_second(&self) -> f64 {
        self.tokens.len() as f64 / self.generation_time.as_secs_f64().max(1e-9)
    }
}

mod secs {
    use std::time::Duration;
    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", self.model.config())
            .field("threads", &self.pool.n_threads())
            .field("device", &self.placement.describe())
            .finish()
    }
}

impl Engine {
    /// Loads a GGUF model with `threads` worker threads (0: all cores), on the CPU.
    pub fn load(path: impl AsRef<Path>, threads: usize) -> Result<Engine, EngineError> {
        Ok(Self::load_on(path, threads, DeviceChoice::Cpu)?.0)
    }

    /// Loads a GGUF model onto the device `choice` names. With [`DeviceChoice::Auto`] and no
    /// usable GPU it runs on the CPU, and the second value says why.
    pub fn load_on(
        path: impl AsRef<Path>,
        threads: usize,
        choice: DeviceChoice,
    ) -> Result<(Engine, Option<String>), EngineError> {
        let model = Model::load(path.as_ref())?;
        let tokenizer = Tokenizer::from_gguf(model.file())?;
        let template = ChatTemplate::from_gguf(model.file())?;
        let threads = if threads == 0 {
            default_threads()
        } else {
            threads
        };
        let (placement, note) = Placement::new(&model, choice)?;
        let name = path
            .as_ref()
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let status = StatusWriter::new(&status_dir(), &name, &placement.describe());
        let engine = Engine {
            model,
            tokenizer,
            template,
            pool: ThreadPool::new(threads).map_err(EngineError::Threads)?,
            grammars: OnceLock::new(),
            placement,
            status: Mutex::new(status),
        };
        Ok((engine, note))
    }

    /// A fresh sequence of `n_ctx` positions on the engine's device.
    pub fn new_sequence(&self, n_ctx: usize) -> Result<Sequence, EngineError> {
        Ok(self.placement.new_sequence(&self.model, n_ctx)?)
    }

    /// Runs `tokens` at the sequence's next positions and returns the logits.
    pub fn forward<'s>(
        &self,
        seq: &'s mut Sequence,
        tokens: &[u32],
        logits: Logits,
    ) -> Result<&'s [f32], EngineError> {
        let logits = self
            .placement
            .forward(&self.model, seq, tokens, logits, &self.pool)?;
        self.record_tokens(tokens.len());
        Ok(logits)
    }

    /// Counts `n` tokens run through the model, for the dashboard.
    pub(crate) fn record_tokens(&self, n: usize) {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(n);
    }

    /// The grammar compiler for this model's vocabulary, built on first use.
    pub fn grammar_compiler(&self) -> Result<&GrammarCompiler, EngineError> {
        if let Some(compiler) = self.grammars.get() {
            return Ok(compiler);
        }
        let compiler = GrammarCompiler::new(&self.tokenizer, self.model.config().n_vocab)?;
        Ok(self.grammars.get_or_init(|| compiler))
    }

    /// Renders chat messages with the model's template, ending with the assistant's turn.
    pub fn chat_prompt(&self, messages: &[ChatMessage]) -> Result<String, EngineError> {
        let template = self.template.as_ref().ok_or(EngineError::NoChatTemplate)?;
        Ok(template.render(messages, true)?)
    }

    /// Tokenizes a prompt: a raw prompt gets the model's BOS (if it uses one) and special
    /// tokens in the text are parsed, as llama.cpp's tools do.
    pub fn tokenize_prompt(&self, prompt: &str) -> Vec<u32> {
        self.tokenizer.encode(prompt, true, true)
    }

    /// Generates from `prompt_tokens` into a fresh context of `n_ctx` positions, calling
    /// `on_text` with each piece of text as soon as it is complete. Setting `cancel` stops
    /// generation after the current token.
    pub fn generate(
        &self,
        prompt_tokens: &[u32],
        n_ctx: usize,
        opts: &GenerateOptions,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation, EngineError> {
        if prompt_tokens.is_empty() {
            return Err(EngineError::EmptyPrompt);
        }
        if prompt_tokens.len() >= n_ctx {
            return Err(EngineError::PromptTooLong {
                prompt: prompt_tokens.len(),
                n_ctx,
            });
        }
        let mut state = self.new_sequence(n_ctx)?;
        self.generate_in(&mut state, prompt_tokens, opts, cancel, on_text)
    }

    /// Like [`Engine::generate`], continuing an existing state (its cache is kept).
    pub fn generate_in(
        &self,
        state: &mut Sequence,
        prompt_tokens: &[u32],
        opts: &GenerateOptions,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation, EngineError> {
        let mut decoder = Decoder::new(self, opts, opts.sampling.clone(), prompt_tokens)?;
        let started = Instant::now();
        // `rows` holds the logits of one forward pass: one row, or with a draft one row per
        // token of [last token, draft...]; `row` is the one to sample from next.
        let mut rows = self.forward(state, prompt_tokens, Logits::Last)?.to_vec();
        let n_vocab = rows.len();
        let mut row = 0;
        let mut draft: Vec<u32> = Vec::new();
        let (mut drafted, mut accepted) = (0, 0);
        // The draft length adapts to how much of the last draft was taken: a verification
        // batch costs more than one step, so drafts that keep missing (a sampled reply that
        // wanders off the shown text) shrink to one token, and grow back while they hit.
        let mut draft_len = opts.lookup.map_or(0, |l| l.max_draft);
        let mut taken = 0;
        // Positions of the cache whose K and V belong to tokens actually taken.
        let mut valid = state.pos();
        let mut history = match opts.lookup {
            Some(_) => prompt_tokens.to_vec(),
            None => Vec::new(),
        };
        let prompt_time = started.elapsed();
        let gen_started = Instant::now();
        let stop_reason = loop {
            if decoder.tokens.len() >= opts.max_tokens {
                break StopReason::MaxTokens;
            }
            if cancel.load(Ordering::Relaxed) {
                break StopReason::Cancelled;
            }
            let logits = &mut rows[row * n_vocab..(row + 1) * n_vocab];
            let token = match decoder.next(self, logits, on_text)? {
                Step::Token(token) => token,
                Step::Stop(reason) => break reason,
            };
            if valid >= state.capacity() {
                break StopReason::ContextFull;
            }
            if decoder.tokens.len() >= opts.max_tokens {
                continue;
            }
            // The draft guessed this token: its position is cached and its row is next.
            if draft.get(row) == Some(&token) {
                accepted += 1;
                taken += 1;
                row += 1;
                valid += 1;
                history.push(token);
                continue;
            }
            if !draft.is_empty() {
                draft_len = next_draft_len(draft_len, draft.len(), taken, opts.lookup);
            }
            taken = 0;
            state.truncate(valid);
            row = 0;
            draft = match opts.lookup {
                Some(lookup) => {
                    history.push(token);
                    let room = (state.capacity() - valid - 1)
                        .min(opts.max_tokens - decoder.tokens.len() - 1)
                        .min(draft_len);
                    lookup.draft(&history, room)
                }
                None => Vec::new(),
            };
            if draft.is_empty() {
                let next = self.forward(state, &[token], Logits::Last)?;
                rows.clear();
                rows.extend_from_slice(next);
            } else {
                let batch: Vec<u32> = std::iter::once(token)
                    .chain(draft.iter().copied())
                    .collect();
                drafted += draft.len();
                rows = self.forward(state, &batch, Logits::All)?.to_vec();
                rows.truncate(batch.len() * n_vocab);
            }
            valid += 1;
        };
        // Drafted positions never taken must not look cached to a later call.
        state.truncate(valid);
        decoder.finish(stop_reason, on_text);
        Ok(Generation {
            prompt_tokens: prompt_tokens.len(),
            tokens: decoder.tokens,
            text: decoder.text,
            stop_reason,
            prompt_time,
            generation_time: gen_started.elapsed(),
            drafted,
            accepted,
            logprobs: decoder.logprobs,
        })
    }
}

/// The next draft's length after one of `len` tokens (at most `current`) of which `taken`
/// were right: doubled (up to the lookup's maximum) when all were, else one more than
/// were taken.
fn next_draft_len(current: usize, len: usize, taken: usize, lookup: Option<Lookup>) -> usize {
    let max = lookup.map_or(0, |l| l.max_draft);
    if taken >= len {
        (current * 2).clamp(1, max.max(1))
    } else {
        (taken + 1).min(max.max(1))
    }
}

/// The number of worker threads to use by default: the available cores.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A conversation's context kept between turns: each new prompt reuses the cached prefix it
/// shares with the previous one, so a chat turn only processes the new tokens.
#[derive(Debug)]
pub struct ChatSession {
    state: Sequence,
    /// The tokens whose K and V are in the state's cache, in order.
    cached: Vec<u32>,
}

impl Engine {
    /// A conversation context of `n_ctx` positions.
    pub fn session(&self, n_ctx: usize) -> Result<ChatSession, EngineError> {
        Ok(ChatSession {
            state: self.new_sequence(n_ctx)?,
            cached: Vec::new(),
        })
    }
}

impl ChatSession {
    /// Generates a reply to the full `prompt` (the whole rendered conversation so far).
    pub fn generate(
        &mut self,
        engine: &Engine,
        prompt: &str,
        opts: &GenerateOptions,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation, EngineError> {
        let (tokens, keep) = self.reuse_prefix(engine, prompt)?;
        let result = engine.generate_in(&mut self.state, &tokens[keep..], opts, cancel, on_text)?;
        self.cached.extend_from_slice(&tokens[keep..]);
        self.cached.extend_from_slice(&result.tokens);
        self.cached.truncate(self.state.pos());
        Ok(result)
    }

    /// Generates one reply to `prompt` per entry of `samplings`, side by side (see
    /// [`Engine::generate_candidates`]); the prompt stays cached, the replies do not.
    pub fn generate_candidates(
        &mut self,
        engine: &Engine,
        prompt: &str,
        opts: &GenerateOptions,
        samplings: &[SamplingConfig],
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(usize, &str),
    ) -> Result<Vec<Generation>, EngineError> {
        let (tokens, keep) = self.reuse_prefix(engine, prompt)?;
        let result = engine.generate_candidates(
            &mut self.state,
            &tokens[keep..],
            opts,
            samplings,
            cancel,
            on_text,
        )?;
        self.cached.extend_from_slice(&tokens[keep..]);
        self.cached.truncate(self.state.pos());
        Ok(result)
    }

    /// Generates one reply to each of `prompts` (whole rendered conversations, typically
    /// one conversation with different endings) with its sampling, side by side (see
    /// [`Engine::generate_branches`]): the tokens they all share are evaluated once and
    /// stay cached, the rest of each prompt and the replies do not.
    pub fn generate_branches(
        &mut self,
        engine: &Engine,
        prompts: &[(&str, SamplingConfig)],
        opts: &GenerateOptions,
        cancel: &AtomicBool,
        on_text: &mut dyn FnMut(usize, &str),
    ) -> Result<Vec<Generation>, EngineError> {
        let tokenized: Vec<Vec<u32>> = prompts
            .iter()
            .map(|(p, _)| engine.tokenize_prompt(p))
            .collect();
        let Some(first) = tokenized.first() else {
            return Ok(Vec::new());
        };
        // Shared by all, leaving each prompt at least one token of its own.
        let shortest = tokenized.iter().map(Vec::len).min().unwrap_or(0);
        let shared = tokenized
            .iter()
            .map(|t| first.iter().zip(t).take_while(|(a, b)| a == b).count())
            .min()
            .unwrap_or(0)
            .min(shortest.saturating_sub(1));
        let longest = tokenized.iter().map(Vec::len).max().unwrap_or(0);
        let keep = self.reuse_tokens(&first[..shared], longest)?;
        let branches: Vec<Branch> = tokenized
            .iter()
            .zip(prompts)
            .map(|(tokens, (_, sampling))| Branch {
                tokens: tokens[shared..].to_vec(),
                sampling: sampling.clone(),
            })
            .collect();
        let result = engine.generate_branches(
            &mut self.state,
            &first[keep..shared],
            &branches,
            opts,
            cancel,
            on_text,
        )?;
        self.cached.extend_from_slice(&first[keep..shared]);
        self.cached.truncate(self.state.pos());
        Ok(result)
    }

    /// Tokenizes `prompt` and forgets the cached tokens after the prefix it shares with
    /// them; returns the tokens and how many of them are cached (always fewer than all, so
    /// that at least one is run for its logits).
    fn reuse_prefix(
        &mut self,
        engine: &Engine,
        prompt: &str,
    ) -> Result<(Vec<u32>, usize), EngineError> {
        let tokens = engine.tokenize_prompt(prompt);
        if tokens.is_empty() {
            return Err(EngineError::EmptyPrompt);
        }
        let keep = self.reuse_tokens(&tokens[..tokens.len() - 1], tokens.len())?;
        Ok((tokens, keep))
    }

    /// Forgets the cached tokens after the prefix they share with `tokens` (of a prompt
    /// `len` tokens long, which must fit the context); returns how many stay cached.
    fn reuse_tokens(&mut self, tokens: &[u32], len: usize) -> Result<usize, EngineError> {
        let n_ctx = self.state.capacity();
        if len >= n_ctx {
            return Err(EngineError::PromptTooLong { prompt: len, n_ctx });
        }
        let keep = self
            .cached
            .iter()
            .zip(tokens)
            .take_while(|(a, b)| a == b)
            .count();
        self.state.truncate(keep);
        self.cached.truncate(keep);
        Ok(keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_shrink_on_misses_and_grow_back_on_hits() {
        let lookup = Some(Lookup::default());
        let max = Lookup::default().max_draft;
        // A draft that missed at once leaves one token to guess next time.
        assert_eq!(next_draft_len(max, max, 0, lookup), 1);
        // Partly right: one more than was taken.
        assert_eq!(next_draft_len(max, max, 3, lookup), 4);
        // All right: doubled, never past the maximum.
        assert_eq!(next_draft_len(1, 1, 1, lookup), 2);
        assert_eq!(next_draft_len(max, max, max, lookup), max);
    }
}
