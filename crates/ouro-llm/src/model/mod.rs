//! Llama-family transformer models (llama 2/3, mistral, SmolLM, qwen2) on the CPU.
//!
//! [`Model`] holds the memory-mapped weights; [`State`] holds one sequence's KV cache and
//! scratch buffers. [`Model::forward`] runs a batch of tokens (a prompt at once, or one token
//! while generating) and returns logits.

mod attention;
pub mod config;
pub mod cuda;
mod f16_ops;
mod kv_cache;
mod ops;
mod weights;

use std::path::Path;

pub use config::{Architecture, ModelConfig, RopeStyle};
pub use kv_cache::KvCache;

use attention::{AttentionScratch, attention};
use weights::{Matrix, Weights};

use crate::GgmlType;
use crate::gguf::{GgufError, GgufFile};
use crate::quant::{self, QuantError};
use crate::threadpool::ThreadPool;

/// Largest number of tokens run through the layers at once; longer prompts go in slices.
pub const MAX_BATCH: usize = 512;

/// Errors from loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Gguf(#[from] GgufError),
    #[error(transparent)]
    Quant(#[from] QuantError),
    #[error("the model file has no tensor '{0}'")]
    MissingTensor(String),
    #[error("tensor '{name}' has shape {found:?}, expected {expected:?}")]
    BadShape {
        name: String,
        expected: Vec<u64>,
        found: Vec<u64>,
    },
    #[error("token id {token} is outside the vocabulary of {n_vocab}")]
    BadToken { token: u32, n_vocab: usize },
    #[error("context full: {needed} positions needed, the context holds {capacity}")]
    ContextFull { needed: usize, capacity: usize },
    #[error("empty batch: forward() needs at least one token")]
    EmptyBatch,
    #[error("{tokens} tokens for {sequences} sequences: forward_each() takes one per sequence")]
    BatchMismatch { sequences: usize, tokens: usize },
}

/// A loaded model: its config and weights, backed by the memory-mapped GGUF file.
#[derive(Debug)]
pub struct Model {
    file: GgufFile,
    config: ModelConfig,
    weights: Weights,
}

/// Which logits [`Model::forward`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logits {
    /// Only for the last token of the batch (generation).
    Last,
    /// For every token of the batch (scoring, perplexity, tests).
    All,
}

/// One sequence's state: the KV cache, the position, and reusable buffers.
#[derive(Debug)]
pub struct State {
    cache: KvCache,
    pos: usize,
    buf: Buffers,
    attn_scratch: AttentionScratch,
    logits: Vec<f32>,
}

impl State {
    /// Number of tokens already in the cache.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Number of positions the context holds.
    pub fn capacity(&self) -> usize {
        self.cache.capacity()
    }

    /// Forgets the cached tokens after the first `pos` (e.g. to reuse a shared prompt prefix).
    pub fn truncate(&mut self, pos: usize) {
        self.pos = self.pos.min(pos);
    }

    /// Bytes taken by the KV cache.
    pub fn cache_bytes(&self) -> usize {
        self.cache.bytes()
    }
}

/// Activation buffers sized for one batch.
#[derive(Debug, Default)]
struct Buffers {
    x: Vec<f32>,
    h: Vec<f32>,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    attn: Vec<f32>,
    gate: Vec<f32>,
    up: Vec<f32>,
    rope: Vec<f32>,
}

impl Buffers {
    fn resize(&mut self, cfg: &ModelConfig, n: usize) {
        self.x.resize(n * cfg.n_embd, 0.0);
        self.h.resize(n * cfg.n_embd.max(cfg.q_dim()), 0.0);
        self.q.resize(n * cfg.q_dim(), 0.0);
        self.k.resize(n * cfg.kv_dim(), 0.0);
        self.v.resize(n * cfg.kv_dim(), 0.0);
        self.attn.resize(n * cfg.q_dim(), 0.0);
        self.gate.resize(n * cfg.n_ff, 0.0);
        self.up.resize(n * cfg.n_ff, 0.0);
        self.rope.resize(n * cfg.rope_dim, 0.0);
    }
}

/// Buffers of [`Model::forward_each`], reused from step to step.
#[derive(Debug, Default)]
pub struct BatchScratch {
    buf: Buffers,
    logits: Vec<f32>,
}

/// Where the rows of a batch belong: consecutive positions of one sequence (a prompt, or a
/// token with its draft), or one row for each of several sequences.
enum Target<'a, 'b> {
    One {
        cache: &'a mut KvCache,
        pos: usize,
        scratch: &'a mut AttentionScratch,
    },
    Each(&'a mut [&'b mut State]),
}

impl Target<'_, '_> {
    /// The position of row `row`.
    fn position(&self, row: usize) -> usize {
        match self {
            Target::One { pos, .. } => pos + row,
            Target::Each(states) => states[row].pos,
        }
    }

    /// Stores the rows' K and V (`buf.k`, `buf.v`) in their caches and writes the attention
    /// of their queries (`buf.q`) into `buf.attn`.
    fn attend(
        &mut self,
        cfg: &ModelConfig,
        layer: usize,
        buf: &mut Buffers,
        n: usize,
        pool: &ThreadPool,
    ) {
        let (qd, kvd) = (cfg.q_dim(), cfg.kv_dim());
        match self {
            Target::One {
                cache,
                pos,
                scratch,
            } => {
                cache.store(layer, *pos, &buf.k[..n * kvd], &buf.v[..n * kvd]);
                attention(
                    cfg,
                    cache,
                    layer,
                    *pos,
                    &buf.q[..n * qd],
                    n,
                    &mut buf.attn[..n * qd],
                    scratch,
                    pool,
                );
            }
            Target::Each(states) => {
                for (t, state) in states.iter_mut().enumerate().take(n) {
                    let State {
                        cache,
                        pos,
                        attn_scratch,
                        ..
                    } = &mut **state;
                    cache.store(
                        layer,
                        *pos,
                        &buf.k[t * kvd..(t + 1) * kvd],
                        &buf.v[t * kvd..(t + 1) * kvd],
                    );
                    attention(
                        cfg,
                        cache,
                        layer,
                        *pos,
                        &buf.q[t * qd..(t + 1) * qd],
                        1,
                        &mut buf.attn[t * qd..(t + 1) * qd],
                        attn_scratch,
                        pool,
                    );
                }
            }
        }
    }
}

impl Model {
    /// Opens a GGUF model file and checks that it is a model ouro can run.
    pub fn load(path: impl AsRef<Path>) -> Result<Model, ModelError> {
        Self::from_gguf(GgufFile::open(path)?)
    }

    /// Builds a model over an already parsed GGUF file.
    pub fn from_gguf(file: GgufFile) -> Result<Model, ModelError> {
        let config = ModelConfig::from_gguf(&file)?;
        let weights = Weights::load(&file, &config)?;
        Ok(Model {
            file,
            config,
            weights,
        })
    }

    /// The model's hyper-parameters.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The GGUF file the model was loaded from (metadata, tokenizer, template).
    pub fn file(&self) -> &GgufFile {
        &self.file
    }

    /// Bytes of weights read to compute one token (every matrix once).
    pub fn weight_bytes(&self) -> u64 {
        let w = &self.weights;
        let layer_bytes: u64 = w
            .layers
            .iter()
            .flat_map(|l| [&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down])
            .map(|m| m.info.n_bytes())
            .sum();
        layer_bytes + w.output.info.n_bytes()
    }

    /// A fresh sequence state with room for `n_ctx` tokens.
    pub fn new_state(&self, n_ctx: usize) -> State {
        State {
            cache: KvCache::new(&self.config, n_ctx),
            pos: 0,
            buf: Buffers::default(),
            attn_scratch: AttentionScratch::default(),
            logits: Vec::new(),
        }
    }

    /// Runs `tokens` at the state's next positions, appends them to its cache, and returns the
    /// logits (`n_vocab` for the last token, or `n_tokens * n_vocab` with [`Logits::All`]).
    pub fn forward<'s>(
        &self,
        state: &'s mut State,
        tokens: &[u32],
        logits: Logits,
        pool: &ThreadPool,
    ) -> Result<&'s [f32], ModelError> {
        let needed = self.check_batch(state, tokens)?;
        state.logits.clear();
        for chunk in tokens.chunks(MAX_BATCH) {
            let last_chunk = state.pos + chunk.len() == needed;
            let want = match logits {
                Logits::All => Some(Logits::All),
                Logits::Last if last_chunk => Some(Logits::Last),
                Logits::Last => None,
            };
            self.forward_batch(state, chunk, want, pool)?;
        }
        Ok(&state.logits)
    }

    /// Runs `tokens` at the state's next positions (as [`Model::forward`] does) and returns
    /// their final hidden states (after the output norm) averaged over the tokens and scaled
    /// to unit length: the model's pooled embedding of the text, `n_embd` values.
    pub fn pooled_hidden(
        &self,
        state: &mut State,
        tokens: &[u32],
        pool: &ThreadPool,
    ) -> Result<Vec<f32>, ModelError> {
        self.check_batch(state, tokens)?;
        let e = self.config.n_embd;
        let mut sum = vec![0.0f64; e];
        let mut normed = vec![0.0f32; e];
        for chunk in tokens.chunks(MAX_BATCH) {
            self.forward_batch(state, chunk, None, pool)?;
            for x in state.buf.x[..chunk.len() * e].chunks_exact(e) {
                ops::rms_norm(
                    x,
                    &self.weights.output_norm,
                    self.config.rms_eps,
                    &mut normed,
                );
                for (s, v) in sum.iter_mut().zip(&normed) {
                    *s += f64::from(*v);
                }
            }
        }
        let norm = sum.iter().map(|v| v * v).sum::<f64>().sqrt();
        let scale = if norm > 0.0 { 1.0 / norm } else { 0.0 };
        Ok(sum.iter().map(|v| (v * scale) as f32).collect())
    }

    /// Checks that `tokens` can run at `state`'s next positions (not empty, room in the
    /// context, known tokens); returns the positions filled after them.
    fn check_batch(&self, state: &State, tokens: &[u32]) -> Result<usize, ModelError> {
        if tokens.is_empty() {
            return Err(ModelError::EmptyBatch);
        }
        let needed = state.pos + tokens.len();
        if needed > state.capacity() {
            return Err(ModelError::ContextFull {
                needed,
                capacity: state.capacity(),
            });
        }
        self.check_tokens(tokens)?;
        Ok(needed)
    }

    fn forward_batch(
        &self,
        state: &mut State,
        tokens: &[u32],
        logits: Option<Logits>,
        pool: &ThreadPool,
    ) -> Result<(), ModelError> {
        let n = tokens.len();
        let State {
            cache,
            pos,
            buf,
            attn_scratch,
            logits: out,
        } = state;
        let mut target = Target::One {
            cache,
            pos: *pos,
            scratch: attn_scratch,
        };
        self.run_layers(tokens, buf, &mut target, pool)?;
        *pos += n;
        match logits {
            None => Ok(()),
            Some(Logits::Last) => self.output_logits(buf, n - 1..n, out, pool),
            Some(Logits::All) => self.output_logits(buf, 0..n, out, pool),
        }
    }

    /// A new state holding a copy of `state`'s cached positions (same capacity): a sequence
    /// that continues from the same prompt without evaluating it again.
    pub fn fork_state(&self, state: &State) -> State {
        self.fork_state_sized(state, state.capacity())
    }

    /// Like [`Model::fork_state`], with room for `capacity` positions (at least the
    /// state's filled ones): a short continuation needs no copy of a whole context.
    pub fn fork_state_sized(&self, state: &State, capacity: usize) -> State {
        let mut fork = self.new_state(capacity.max(state.pos));
        fork.cache.copy_prefix(&state.cache, state.pos);
        fork.pos = state.pos;
        fork
    }

    /// Runs one token for each of several sequences in one pass, so that every matrix is
    /// read once for all of them (sampling several candidates costs little more than one
    /// on a CPU that waits on memory). `tokens[i]` goes at `states[i]`'s next position; the
    /// result holds `n_vocab` logits per sequence, in order.
    pub fn forward_each<'b>(
        &self,
        states: &mut [&mut State],
        tokens: &[u32],
        batch: &'b mut BatchScratch,
        pool: &ThreadPool,
    ) -> Result<&'b [f32], ModelError> {
        if tokens.is_empty() {
            return Err(ModelError::EmptyBatch);
        }
        if states.len() != tokens.len() {
            return Err(ModelError::BatchMismatch {
                sequences: states.len(),
                tokens: tokens.len(),
            });
        }
        for state in states.iter() {
            if state.pos >= state.capacity() {
                return Err(ModelError::ContextFull {
                    needed: state.pos + 1,
                    capacity: state.capacity(),
                });
            }
        }
        self.check_tokens(tokens)?;
        let n = tokens.len();
        self.run_layers(tokens, &mut batch.buf, &mut Target::Each(states), pool)?;
        for state in states.iter_mut() {
            state.pos += 1;
        }
        batch.logits.clear();
        self.output_logits(&mut batch.buf, 0..n, &mut batch.logits, pool)?;
        Ok(&batch.logits)
    }

    fn check_tokens(&self, tokens: &[u32]) -> Result<(), ModelError> {
        match tokens.iter().find(|&&t| t as usize >= self.config.n_vocab) {
            Some(&token) => Err(ModelError::BadToken {
                token,
                n_vocab: self.config.n_vocab,
            }),
            None => Ok(()),
        }
    }

    /// Embeds `tokens` and runs them through every layer, leaving the last hidden states in
    /// `buf.x`; `target` says where each row's position and cache are.
    fn run_layers(
        &self,
        tokens: &[u32],
        buf: &mut Buffers,
        target: &mut Target<'_, '_>,
        pool: &ThreadPool,
    ) -> Result<(), ModelError> {
        let cfg = &self.config;
        let n = tokens.len();
        let (e, qd, kvd) = (cfg.n_embd, cfg.q_dim(), cfg.kv_dim());
        buf.resize(cfg, n);
        self.embed(tokens, &mut buf.x[..n * e])?;
        for (t, table) in buf.rope.chunks_exact_mut(cfg.rope_dim).enumerate() {
            ops::rope_table(target.position(t), cfg.rope_dim, cfg.rope_freq_base, table);
        }
        let style = cfg.arch.rope_style();
        for (il, layer) in self.weights.layers.iter().enumerate() {
            // Attention block.
            for (x, h) in buf.x.chunks_exact(e).zip(buf.h.chunks_exact_mut(e)).take(n) {
                ops::rms_norm(x, &layer.attn_norm, cfg.rms_eps, h);
            }
            let h = &buf.h[..n * e];
            self.matmul(&layer.wq, h, n, &mut buf.q[..n * qd], pool)?;
            self.matmul(&layer.wk, h, n, &mut buf.k[..n * kvd], pool)?;
            self.matmul(&layer.wv, h, n, &mut buf.v[..n * kvd], pool)?;
            if let (Some(bq), Some(bk), Some(bv)) = (&layer.bq, &layer.bk, &layer.bv) {
                ops::add_bias(&mut buf.q[..n * qd], bq);
                ops::add_bias(&mut buf.k[..n * kvd], bk);
                ops::add_bias(&mut buf.v[..n * kvd], bv);
            }
            for t in 0..n {
                let table = &buf.rope[t * cfg.rope_dim..(t + 1) * cfg.rope_dim];
                ops::apply_rope(
                    &mut buf.q[t * qd..(t + 1) * qd],
                    cfg.head_dim,
                    cfg.rope_dim,
                    style,
                    table,
                );
                ops::apply_rope(
                    &mut buf.k[t * kvd..(t + 1) * kvd],
                    cfg.head_dim,
                    cfg.rope_dim,
                    style,
                    table,
                );
            }
            target.attend(cfg, il, buf, n, pool);
            self.matmul(&layer.wo, &buf.attn[..n * qd], n, &mut buf.h[..n * e], pool)?;
            ops::add_assign(&mut buf.x[..n * e], &buf.h[..n * e]);

            // Feed-forward block (SwiGLU).
            for (x, h) in buf.x.chunks_exact(e).zip(buf.h.chunks_exact_mut(e)).take(n) {
                ops::rms_norm(x, &layer.ffn_norm, cfg.rms_eps, h);
            }
            let h = &buf.h[..n * e];
            let f = cfg.n_ff;
            self.matmul(&layer.w_gate, h, n, &mut buf.gate[..n * f], pool)?;
            self.matmul(&layer.w_up, h, n, &mut buf.up[..n * f], pool)?;
            ops::swiglu(&mut buf.gate[..n * f], &buf.up[..n * f]);
            self.matmul(
                &layer.w_down,
                &buf.gate[..n * f],
                n,
                &mut buf.h[..n * e],
                pool,
            )?;
            ops::add_assign(&mut buf.x[..n * e], &buf.h[..n * e]);
        }
        Ok(())
    }

    /// Appends the logits of the hidden states `rows` of `buf.x` to `out`.
    fn output_logits(
        &self,
        buf: &mut Buffers,
        rows: std::ops::Range<usize>,
        out: &mut Vec<f32>,
        pool: &ThreadPool,
    ) -> Result<(), ModelError> {
        let cfg = &self.config;
        let e = cfg.n_embd;
        let m = rows.len();
        for (x, h) in buf.x[rows.start * e..rows.end * e]
            .chunks_exact(e)
            .zip(buf.h.chunks_exact_mut(e))
        {
            ops::rms_norm(x, &self.weights.output_norm, cfg.rms_eps, h);
        }
        let start = out.len();
        out.resize(start + m * cfg.n_vocab, 0.0);
        self.matmul(
            &self.weights.output,
            &buf.h[..m * e],
            m,
            &mut out[start..],
            pool,
        )
    }

    /// Looks up the embedding rows of `tokens` into `out`.
    fn embed(&self, tokens: &[u32], out: &mut [f32]) -> Result<(), ModelError> {
        let m = &self.weights.token_embd;
        let data = self.file.tensor_data(&m.info);
        let row_bytes = m.info.ty.bytes_for(m.cols as u64).unwrap_or(0) as usize;
        for (&t, row) in tokens.iter().zip(out.chunks_exact_mut(m.cols)) {
            let start = t as usize * row_bytes;
            quant::dequantize(m.info.ty, &data[start..start + row_bytes], row)?;
        }
        Ok(())
    }

    fn matmul(
        &self,
        w: &Matrix,
        x: &[f32],
        n: usize,
        out: &mut [f32],
        pool: &ThreadPool,
    ) -> Result<(), ModelError> {
        match w.packed(&self.file)? {
            Some(p) => quant::matmul_packed(p, x, n, out, pool)?,
            None => quant::matmul(&w.view(&self.file)?, x, n, out, pool)?,
        }
        Ok(())
    }

    /// The ggml type of most of the model's matrices (e.g. for `ouro llm info`).
    pub fn main_weight_type(&self) -> GgmlType {
        self.weights
            .layers
            .first()
            .map_or(self.weights.output.info.ty, |l| l.w_gate.info.ty)
    }
}
