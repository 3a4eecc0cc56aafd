//! The llama-family forward pass on an NVIDIA GPU through ouro-compute's CUDA backend.
//!
//! Weights are uploaded as they are in the file (quantized blocks); the KV cache is f16 on
//! the GPU. Decode multiplies each quantized matrix with q8 activations in a warp-per-row
//! kernel (integer dot products, like llama.cpp's mmvq; the K-quants' kernels give each
//! warp several rows and each lane 16-byte slices of them); prompts of more than
//! [`GEMM_MIN_TOKENS`] tokens dequantize each matrix to f16 and multiply with cuBLAS
//! (f32 accumulation; F32 matrices stay on the mat-vec kernel, one token per grid row).
//! Attention is split-K over the cache for one query or many. Only the position and token
//! ids go up and the logits come down per step. A decode step (one token) is recorded once
//! per sequence as a CUDA graph and replayed after that (`OURO_CUDA_GRAPH=off` launches
//! kernel by kernel instead): the kernels read the position from device memory, and the
//! attention grid covers the cache's whole capacity, so one recording serves every step.
//! On Hopper and later every kernel is launched with programmatic dependent launch
//! (`OURO_CUDA_PDL=off` turns it off): a kernel starts while the previous one drains, and
//! the K-quant mat-vec kernels prefetch their weights into L2 before waiting for their input.

mod kernels;
mod weights;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ouro_compute::cuda::blas::Gemm;
use ouro_compute::cuda::{Blas, CudaDevice, CudaError, DeviceBuffer, DevicePool, Graph};

use super::config::ModelConfig;
use super::{Logits, MAX_BATCH, Model, ModelError};
use crate::GgmlType;
use kernels::{ATT_Q, ATT_SPLIT, Arg, KQ_WARPS, Kernels, MAX_HD, uses_q8};
use weights::{Linear, upload_f32, upload_linear};

pub use kernels::SOURCE as KERNEL_SOURCE;

/// Prompts longer than this go through cuBLAS (when it is available).
pub const GEMM_MIN_TOKENS: usize = 8;

/// [`GEMM_MIN_TOKENS`], or no cuBLAS prefill at all when `OURO_CUDA_GEMM=off` (a switch for
/// checking the cuBLAS path against the mat-vec kernels on the same prompt).
fn gemm_min_tokens() -> usize {
    static MIN: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *MIN.get_or_init(|| match std::env::var("OURO_CUDA_GEMM").as_deref() {
        Ok("off") => usize::MAX,
        _ => GEMM_MIN_TOKENS,
    })
}

/// Whether decode steps are replayed as CUDA graphs (`OURO_CUDA_GRAPH=off` turns it off, to
/// compare with launching kernel by kernel).
fn graphs_enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("OURO_CUDA_GRAPH").as_deref() != Ok("off"))
}

/// Errors of the CUDA engine.
#[derive(Debug, thiserror::Error)]
pub enum CudaModelError {
    #[error(transparent)]
    Cuda(#[from] CudaError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("tensor '{tensor}' is {ty}, which the CUDA engine does not run yet")]
    UnsupportedType { tensor: String, ty: GgmlType },
    #[error("the CUDA engine needs {what} to be a multiple of 32 (it is {value})")]
    BadShape { what: &'static str, value: usize },
    #[error("a sequence was used with a model on another device")]
    WrongDevice,
    #[error("head size {0} is larger than the CUDA attention kernel's {MAX_HD}")]
    HeadTooLarge(usize),
}

/// One transformer block on the GPU.
#[derive(Debug)]
struct Layer {
    attn_norm: DeviceBuffer,
    qkv: Linear,
    wo: Linear,
    ffn_norm: DeviceBuffer,
    gate_up: Linear,
    down: Linear,
}

/// A model on one CUDA device.
#[derive(Debug)]
pub struct CudaModel {
    dev: CudaDevice,
    pool: Arc<DevicePool>,
    blas: Option<Blas>,
    k: Kernels,
    cfg: ModelConfig,
    embd: Linear,
    layers: Vec<Layer>,
    output_norm: DeviceBuffer,
    /// The output projection; `None` when tied to the embedding.
    output: Option<Linear>,
    /// Whether a decode step ran kernel by kernel, so that every kernel it uses is loaded
    /// and later steps can be recorded as a graph.
    decode_warm: AtomicBool,
}

/// Activation buffers sized for a number of tokens.
#[derive(Debug)]
struct Scratch {
    n: usize,
    /// Attention splits for the whole cache capacity.
    n_splits: usize,
    /// The first position, then the token ids (i32), read by the kernels.
    step: DeviceBuffer,
    x: DeviceBuffer,
    h: DeviceBuffer,
    xq: DeviceBuffer,
    xds: DeviceBuffer,
    qkv: DeviceBuffer,
    attn: DeviceBuffer,
    gu: DeviceBuffer,
    act: DeviceBuffer,
    part_o: DeviceBuffer,
    part_ml: DeviceBuffer,
    logits: DeviceBuffer,
    /// f16 copies of the activations and of one weight matrix, for cuBLAS.
    act16: Option<DeviceBuffer>,
    w16: Option<DeviceBuffer>,
}

/// One sequence on the GPU: its KV cache, position and buffers.
#[derive(Debug)]
pub struct CudaState {
    pos: usize,
    capacity: usize,
    k_cache: Vec<DeviceBuffer>,
    v_cache: Vec<DeviceBuffer>,
    scratch: Option<Box<Scratch>>,
    /// The recorded decode step; it uses `scratch`'s buffers, so it goes when they do.
    decode_graph: Option<Graph>,
    logits: Vec<f32>,
}

impl CudaState {
    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn truncate(&mut self, pos: usize) {
        self.pos = self.pos.min(pos);
    }

    /// Bytes of GPU memory taken by the KV cache.
    pub fn cache_bytes(&self) -> usize {
        self.k_cache
            .iter()
            .chain(&self.v_cache)
            .map(|b| b.len())
            .sum()
    }
}

/// The input of a linear layer: f32 rows and their q8 form.
#[derive(Clone, Copy)]
struct Input {
    f32: u64,
    xq: u64,
    xds: u64,
}

fn grid1(n: usize, per_block: usize) -> u32 {
    n.div_ceil(per_block).max(1) as u32
}

impl CudaModel {
    /// Uploads `model`'s weights to CUDA device `ordinal` and loads the kernels.
    pub fn load(model: &Model, ordinal: usize) -> Result<CudaModel, CudaModelError> {
        let cfg = model.config().clone();
        for (what, value) in [
            ("the embedding size", cfg.n_embd),
            ("the FFN size", cfg.n_ff),
        ] {
            if !value.is_multiple_of(32) {
                return Err(CudaModelError::BadShape { what, value });
            }
        }
        if !cfg.q_dim().is_multiple_of(32) {
            return Err(CudaModelError::BadShape {
                what: "heads × head size",
                value: cfg.q_dim(),
            });
        }
        if cfg.head_dim > MAX_HD {
            return Err(CudaModelError::HeadTooLarge(cfg.head_dim));
        }
        let dev = CudaDevice::open(ordinal)?;
        let k = Kernels::load(&dev)?;
        let blas = Blas::new(dev.stream().clone()).ok();
        let pool = DevicePool::for_stream(dev.stream().clone());
        let file = model.file();
        let w = &model.weights;
        let mut layers = Vec::with_capacity(w.layers.len());
        for l in &w.layers {
            layers.push(Layer {
                attn_norm: upload_f32(&pool, &l.attn_norm)?,
                qkv: upload_linear(
                    &pool,
                    file,
                    &[
                        (&l.wq, l.bq.as_deref()),
                        (&l.wk, l.bk.as_deref()),
                        (&l.wv, l.bv.as_deref()),
                    ],
                )?,
                wo: upload_linear(&pool, file, &[(&l.wo, None)])?,
                ffn_norm: upload_f32(&pool, &l.ffn_norm)?,
                gate_up: upload_linear(&pool, file, &[(&l.w_gate, None), (&l.w_up, None)])?,
                down: upload_linear(&pool, file, &[(&l.w_down, None)])?,
            });
        }
        let embd = upload_linear(&pool, file, &[(&w.token_embd, None)])?;
        // A tied output projection is the embedding itself: upload it once.
        let output = if w.output.info.name == w.token_embd.info.name {
            None
        } else {
            Some(upload_linear(&pool, file, &[(&w.output, None)])?)
        };
        let output_norm = upload_f32(&pool, &w.output_norm)?;
        dev.synchronize()?;
        Ok(CudaModel {
            dev,
            pool,
            blas,
            k,
            cfg,
            embd,
            layers,
            output_norm,
            output,
            decode_warm: AtomicBool::new(false),
        })
    }

    /// The device's name, e.g. "NVIDIA H100 80GB HBM3".
    pub fn device_name(&self) -> &str {
        self.dev.name()
    }

    /// Whether prompts use cuBLAS (libcublas was found).
    pub fn has_cublas(&self) -> bool {
        self.blas.is_some()
    }

    /// Bytes of weights read per generated token.
    pub fn weight_bytes(&self) -> u64 {
        let layers: u64 = self
            .layers
            .iter()
            .map(|l| l.qkv.bytes() + l.wo.bytes() + l.gate_up.bytes() + l.down.bytes())
            .sum();
        layers + self.output().bytes()
    }

    fn output(&self) -> &Linear {
        self.output.as_ref().unwrap_or(&self.embd)
    }

    /// A fresh sequence with room for `n_ctx` tokens (the KV cache is allocated now).
    pub fn new_state(&self, n_ctx: usize) -> Result<CudaState, CudaModelError> {
        let bytes = n_ctx * self.cfg.kv_dim() * 2;
        let mut k_cache = Vec::with_capacity(self.cfg.n_layer);
        let mut v_cache = Vec::with_capacity(self.cfg.n_layer);
        for _ in 0..self.cfg.n_layer {
            k_cache.push(self.pool.buffer(bytes)?);
            v_cache.push(self.pool.buffer(bytes)?);
        }
        Ok(CudaState {
            pos: 0,
            capacity: n_ctx,
            k_cache,
            v_cache,
            scratch: None,
            decode_graph: None,
            logits: Vec::new(),
        })
    }

    fn scratch(&self, n: usize, n_ctx: usize) -> Result<Scratch, CudaError> {
        let c = &self.cfg;
        let widest = c.n_embd.max(c.q_dim()).max(c.n_ff);
        let n_splits = n_ctx.div_ceil(ATT_SPLIT).max(1);
        let f = 4;
        let b = |bytes: usize| self.pool.buffer(bytes);
        let gemm = self.blas.is_some() && n > gemm_min_tokens();
        let largest_matrix = self
            .layers
            .iter()
            .flat_map(|l| [&l.qkv, &l.wo, &l.gate_up, &l.down])
            .chain([self.output()])
            .flat_map(|lin| lin.parts.iter().map(|p| p.rows * p.cols))
            .max()
            .unwrap_or(0);
        Ok(Scratch {
            n,
            n_splits,
            step: b((n + 1) * 4)?,
            x: b(n * c.n_embd * f)?,
            h: b(n * widest * f)?,
            xq: b(n * widest)?,
            xds: b(n * widest / 32 * 8)?,
            qkv: b(n * (c.q_dim() + 2 * c.kv_dim()) * f)?,
            attn: b(n * c.q_dim() * f)?,
            gu: b(n * 2 * c.n_ff * f)?,
            act: b(n * c.n_ff * f)?,
            part_o: b(n * c.n_head * n_splits * c.head_dim * f)?,
            part_ml: b(n * c.n_head * n_splits * 8)?,
            logits: b(n * c.n_vocab * f)?,
            act16: if gemm { Some(b(n * widest * 2)?) } else { None },
            w16: if gemm {
                Some(b(largest_matrix * 2)?)
            } else {
                None
            },
        })
    }

    /// Runs `tokens` at the state's next positions and returns the logits, as
    /// [`Model::forward`] does on the CPU.
    pub fn forward<'s>(
        &self,
        state: &'s mut CudaState,
        tokens: &[u32],
        logits: Logits,
    ) -> Result<&'s [f32], CudaModelError> {
        if tokens.is_empty() {
            return Err(ModelError::EmptyBatch.into());
        }
        let needed = state.pos + tokens.len();
        if needed > state.capacity {
            return Err(ModelError::ContextFull {
                needed,
                capacity: state.capacity,
            }
            .into());
        }
        if let Some(&token) = tokens.iter().find(|&&t| t as usize >= self.cfg.n_vocab) {
            return Err(ModelError::BadToken {
                token,
                n_vocab: self.cfg.n_vocab,
            }
            .into());
        }
        state.logits.clear();
        for chunk in tokens.chunks(MAX_BATCH) {
            let last_chunk = state.pos + chunk.len() == needed;
            let want = match logits {
                Logits::All => Some(Logits::All),
                Logits::Last if last_chunk => Some(Logits::Last),
                Logits::Last => None,
            };
            self.forward_batch(state, chunk, want)?;
        }
        Ok(&state.logits)
    }

    fn forward_batch(
        &self,
        state: &mut CudaState,
        tokens: &[u32],
        logits: Option<Logits>,
    ) -> Result<(), CudaModelError> {
        let n = tokens.len();
        let pos = state.pos;
        let n_splits_needed = (pos + n).div_ceil(ATT_SPLIT).max(1);
        let wants_gemm = self.blas.is_some() && n > gemm_min_tokens();
        let fits = state.scratch.as_ref().is_some_and(|s| {
            s.n >= n && s.n_splits >= n_splits_needed && (s.w16.is_some() || !wants_gemm)
        });
        if !fits {
            state.decode_graph = None;
            state.scratch = None;
            state.scratch = Some(Box::new(self.scratch(n.max(1), state.capacity)?));
        }
        let CudaState {
            k_cache,
            v_cache,
            scratch,
            decode_graph,
            ..
        } = state;
        let s = scratch
            .as_mut()
            .ok_or_else(|| CudaError::Invalid("scratch buffers missing".into()))?;
        let step: Vec<u8> = std::iter::once(pos as i32)
            .chain(tokens.iter().map(|&t| t as i32))
            .flat_map(i32::to_le_bytes)
            .collect();
        s.step.upload(0, &step)?;
        let s = &**s;
        let cache = (k_cache.as_slice(), v_cache.as_slice());
        let graph = n == 1 && graphs_enabled();
        // A capture cannot load kernels (CUDA loads a module's kernels at their first
        // launch), so the model's first decode step runs eagerly and later ones are recorded.
        if graph && decode_graph.is_none() && self.decode_warm.load(Ordering::Relaxed) {
            let recorded = Graph::capture(self.dev.stream(), || {
                self.encode(cache, s, 1, s.n_splits, Some(Logits::Last))
                    .map(|_| ())
            })?;
            *decode_graph = Some(recorded);
        }
        let m = match decode_graph.as_ref().filter(|_| graph) {
            Some(g) => {
                g.launch()?;
                1
            }
            None => {
                // With graphs, attention spans the whole capacity as in the recording.
                let splits = if graph { s.n_splits } else { n_splits_needed };
                let m = self.encode(cache, s, n, splits, logits)?;
                if n == 1 {
                    self.decode_warm.store(true, Ordering::Relaxed);
                }
                m
            }
        };
        state.pos = pos + n;
        if m == 0 {
            return Ok(self.dev.synchronize()?);
        }
        let mut bytes = vec![0u8; m * self.cfg.n_vocab * 4];
        s.logits.download(0, &mut bytes)?;
        state.logits.extend(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
        Ok(())
    }

    /// Queues the forward pass of the `n` tokens in `s.step` (nothing is waited for), with
    /// attention in `n_splits` splits; returns how many rows of logits it leaves in
    /// `s.logits` (0 when `logits` is `None`).
    fn encode(
        &self,
        (k_cache, v_cache): (&[DeviceBuffer], &[DeviceBuffer]),
        s: &Scratch,
        n: usize,
        n_splits: usize,
        logits: Option<Logits>,
    ) -> Result<usize, CudaError> {
        let c = &self.cfg;
        let (e, qd, kvd, nff) = (c.n_embd, c.q_dim(), c.kv_dim(), c.n_ff);
        let qkv_stride = qd + 2 * kvd;
        let pos_ptr = s.step.ptr();
        let tokens_ptr = s.step.at(4);

        // Token embeddings.
        let embd = &self.embd.parts[0];
        self.k.launch(
            &self.k.of(embd.ty)?.embed,
            (grid1(e / 32, 8), n as u32, 1),
            256,
            &[
                Arg::Ptr(embd.data.ptr()),
                Arg::I32((e / 32) as i32),
                Arg::I64(embd.row_bytes as i64),
                Arg::Ptr(tokens_ptr),
                Arg::Ptr(s.x.ptr()),
            ],
        )?;
        let hin = Input {
            f32: s.h.ptr(),
            xq: s.xq.ptr(),
            xds: s.xds.ptr(),
        };
        let theta_scale = c.rope_freq_base.powf(-2.0 / c.rope_dim as f32);
        let neox = i32::from(c.arch.rope_style() == super::RopeStyle::Neox);
        // The attention output is quantized by the merge kernel when each warp there holds
        // whole q8 blocks.
        let fused_q8 = c.head_dim.is_multiple_of(32);
        for (il, layer) in self.layers.iter().enumerate() {
            self.rms_norm(s.x.ptr(), &layer.attn_norm, s, n)?;
            self.linear(&layer.qkv, hin, s.qkv.ptr(), qkv_stride, n, false, s)?;
            self.k.launch(
                &self.k.rope_store,
                ((c.n_head + 2 * c.n_head_kv) as u32, n as u32, 1),
                64,
                &[
                    Arg::Ptr(s.qkv.ptr()),
                    Arg::I32(qkv_stride as i32),
                    Arg::Ptr(k_cache[il].ptr()),
                    Arg::Ptr(v_cache[il].ptr()),
                    Arg::I32(c.n_head as i32),
                    Arg::I32(c.n_head_kv as i32),
                    Arg::I32(c.head_dim as i32),
                    Arg::I32(c.rope_dim as i32),
                    Arg::I32(neox),
                    Arg::Ptr(pos_ptr),
                    Arg::F32(theta_scale),
                ],
            )?;
            // One query: the decode kernel (same arguments and outputs).
            let attn = match &self.k.attn_decode {
                Some(f) if n == 1 => f,
                _ => &self.k.attn_split,
            };
            self.k.launch(
                attn,
                (c.n_head as u32, grid1(n, ATT_Q), n_splits as u32),
                128,
                &[
                    Arg::Ptr(s.qkv.ptr()),
                    Arg::I32(qkv_stride as i32),
                    Arg::Ptr(k_cache[il].ptr()),
                    Arg::Ptr(v_cache[il].ptr()),
                    Arg::I32(kvd as i32),
                    Arg::I32(c.n_head as i32),
                    Arg::I32((c.n_head / c.n_head_kv) as i32),
                    Arg::I32(c.head_dim as i32),
                    Arg::Ptr(pos_ptr),
                    Arg::F32(1.0 / (c.head_dim as f32).sqrt()),
                    Arg::I32(n_splits as i32),
                    Arg::I32(n as i32),
                    Arg::Ptr(s.part_o.ptr()),
                    Arg::Ptr(s.part_ml.ptr()),
                ],
            )?;
            let (q8, ds8) = if fused_q8 {
                (s.xq.ptr(), s.xds.ptr())
            } else {
                (0, 0)
            };
            self.k.launch(
                &self.k.attn_combine,
                (c.n_head as u32, n as u32, 1),
                128,
                &[
                    Arg::Ptr(s.part_o.ptr()),
                    Arg::Ptr(s.part_ml.ptr()),
                    Arg::Ptr(s.attn.ptr()),
                    Arg::I32(c.n_head as i32),
                    Arg::I32(c.head_dim as i32),
                    Arg::I32(n_splits as i32),
                    Arg::I32(qd as i32),
                    Arg::Ptr(q8),
                    Arg::Ptr(ds8),
                ],
            )?;
            if !fused_q8 {
                self.quantize(s.attn.ptr(), qd, n, s)?;
            }
            let ain = Input {
                f32: s.attn.ptr(),
                xq: s.xq.ptr(),
                xds: s.xds.ptr(),
            };
            self.linear(&layer.wo, ain, s.x.ptr(), e, n, true, s)?;

            self.rms_norm(s.x.ptr(), &layer.ffn_norm, s, n)?;
            self.linear(&layer.gate_up, hin, s.gu.ptr(), 2 * nff, n, false, s)?;
            self.k.launch(
                &self.k.swiglu_q8,
                (grid1(nff / 32, 8), n as u32, 1),
                256,
                &[
                    Arg::Ptr(s.gu.ptr()),
                    Arg::Ptr(s.act.ptr()),
                    Arg::Ptr(s.xq.ptr()),
                    Arg::Ptr(s.xds.ptr()),
                    Arg::I32(nff as i32),
                ],
            )?;
            let fin = Input {
                f32: s.act.ptr(),
                xq: s.xq.ptr(),
                xds: s.xds.ptr(),
            };
            self.linear(&layer.down, fin, s.x.ptr(), e, n, true, s)?;
        }

        let (first, m) = match logits {
            None => return Ok(0),
            Some(Logits::Last) => (n - 1, 1),
            Some(Logits::All) => (0, n),
        };
        self.rms_norm(s.x.at(first * e * 4), &self.output_norm, s, m)?;
        self.linear(self.output(), hin, s.logits.ptr(), c.n_vocab, m, false, s)?;
        Ok(m)
    }

    /// h = rms_norm(x) · w for `n` rows of the embedding size, also as q8.
    fn rms_norm(&self, x: u64, w: &DeviceBuffer, s: &Scratch, n: usize) -> Result<(), CudaError> {
        self.k.launch(
            &self.k.rms_norm_q8,
            (grid1(self.cfg.n_embd / 32, 8), n as u32, 1),
            256,
            &[
                Arg::Ptr(x),
                Arg::Ptr(w.ptr()),
                Arg::Ptr(s.h.ptr()),
                Arg::Ptr(s.xq.ptr()),
                Arg::Ptr(s.xds.ptr()),
                Arg::I32(self.cfg.n_embd as i32),
                Arg::F32(self.cfg.rms_eps),
            ],
        )
    }

    /// q8 of `n` rows of `cols` f32 values into the scratch's q8 buffers.
    fn quantize(&self, x: u64, cols: usize, n: usize, s: &Scratch) -> Result<(), CudaError> {
        self.k.launch(
            &self.k.quantize_q8,
            (grid1(cols / 32, 8), n as u32, 1),
            256,
            &[
                Arg::Ptr(x),
                Arg::Ptr(s.xq.ptr()),
                Arg::Ptr(s.xds.ptr()),
                Arg::I32(cols as i32),
            ],
        )
    }

    /// `out[t][..lin.rows] (+)= lin · input[t]` for `n` rows `out_stride` floats apart.
    #[allow(clippy::too_many_arguments)]
    fn linear(
        &self,
        lin: &Linear,
        input: Input,
        out: u64,
        out_stride: usize,
        n: usize,
        accumulate: bool,
        s: &Scratch,
    ) -> Result<(), CudaError> {
        let gemm = match (&self.blas, &s.act16, &s.w16) {
            (Some(blas), Some(a16), Some(w16)) if n > gemm_min_tokens() => Some((blas, a16, w16)),
            _ => None,
        };
        if let Some((_, a16, _)) = gemm {
            let count = (n * lin.cols) as i64;
            self.k.launch(
                &self.k.to_f16,
                (grid1(count as usize, 256).min(65535), 1, 1),
                256,
                &[Arg::Ptr(input.f32), Arg::Ptr(a16.ptr()), Arg::I64(count)],
            )?;
        }
        for p in &lin.parts {
            let tk = self.k.of(p.ty)?;
            let nchunks = p.cols / 32;
            let o = out + (p.out_offset * 4) as u64;
            let bias = p.bias.as_ref().map_or(0, |b| b.ptr());
            // F32 weights keep full precision: they stay on the mat-vec kernel.
            if let Some((blas, a16, w16)) = gemm.filter(|_| p.ty != GgmlType::F32) {
                let chunks = p.rows * nchunks;
                self.k.launch(
                    &tk.dequant,
                    (grid1(chunks, 64), 1, 1),
                    256,
                    &[
                        Arg::Ptr(p.data.ptr()),
                        Arg::I32(p.rows as i32),
                        Arg::I32(nchunks as i32),
                        Arg::I64(p.row_bytes as i64),
                        Arg::Ptr(w16.ptr()),
                    ],
                )?;
                let g = Gemm {
                    m: p.rows,
                    n,
                    k: p.cols,
                    a: w16.ptr(),
                    b: a16.ptr(),
                    c: o,
                    ldc: out_stride,
                    accumulate,
                };
                // SAFETY: w16 holds rows × cols f16 (sized for the largest matrix), a16 holds
                // n × cols, and out has n rows of out_stride ≥ out_offset + rows floats.
                unsafe { blas.gemm_f16(&g) }?;
                if bias != 0 {
                    self.k.launch(
                        &self.k.add_bias,
                        (grid1(n * p.rows, 256).min(65535), 1, 1),
                        256,
                        &[
                            Arg::Ptr(o),
                            Arg::Ptr(bias),
                            Arg::I32(p.rows as i32),
                            Arg::I32(out_stride as i32),
                            Arg::I32(n as i32),
                        ],
                    )?;
                }
                continue;
            }
            // The K-quants' second kernels take KQ_WARPS warps of `r` rows each per block.
            let (mmv, rows_per_block) = match &tk.mmv2 {
                Some((f, r)) => (f, (KQ_WARPS * r) as usize),
                None => (&tk.mmv, 4),
            };
            let grid = (grid1(p.rows, rows_per_block), n as u32, 1);
            let head = [
                Arg::Ptr(p.data.ptr()),
                Arg::I32(p.rows as i32),
                Arg::I32(nchunks as i32),
                Arg::I64(p.row_bytes as i64),
            ];
            let tail = [
                Arg::Ptr(o),
                Arg::I32(out_stride as i32),
                Arg::Ptr(bias),
                Arg::I32(i32::from(accumulate)),
            ];
            let args: Vec<Arg> = if uses_q8(p.ty) {
                head.into_iter()
                    .chain([Arg::Ptr(input.xq), Arg::Ptr(input.xds)])
                    .chain(tail)
                    .collect()
            } else {
                head.into_iter()
                    .chain([Arg::Ptr(input.f32)])
                    .chain(tail)
                    .collect()
            };
            self.k.launch(mmv, grid, 128, &args)?;
        }
        Ok(())
    }
}
