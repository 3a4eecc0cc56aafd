//! Causal multi-head attention with grouped-query heads over the f16 KV cache,
//! parallel over (token, head) pairs.

use std::sync::Mutex;

use half::f16;
use half::slice::HalfFloatSliceExt;

use super::config::{MAX_HEAD_DIM, ModelConfig};
use super::f16_ops::{dot_f16, mad_f16, scale_f16};
use super::kv_cache::KvCache;
use super::ops::dot;
use crate::threadpool::ThreadPool;

/// Per-thread scratch space: scores over the context and one converted K/V row.
#[derive(Debug, Default)]
pub struct AttentionScratch {
    per_thread: Vec<Mutex<(Vec<f32>, Vec<f32>)>>,
}

impl AttentionScratch {
    fn ensure(&mut self, n_threads: usize, n_ctx: usize, head_dim: usize) {
        if self.per_thread.len() != n_threads {
            self.per_thread = (0..n_threads).map(|_| Mutex::default()).collect();
        }
        for slot in &mut self.per_thread {
            let (scores, row) = slot.get_mut().unwrap_or_else(|e| e.into_inner());
            scores.resize(n_ctx, 0.0);
            row.resize(head_dim, 0.0);
        }
    }
}

/// Output rows, written by many threads at once, each to its own disjoint chunks.
struct DisjointChunks {
    ptr: *mut f32,
    len: usize,
}

// SAFETY: threads only ever write disjoint chunks (see `chunk`).
unsafe impl Sync for DisjointChunks {}

impl DisjointChunks {
    /// # Safety
    /// No two live references may be taken to the same chunk.
    #[allow(clippy::mut_from_ref)]
    unsafe fn chunk(&self, index: usize, size: usize) -> &mut [f32] {
        let start = index * size;
        assert!(
            start + size <= self.len,
            "attention output chunk out of range"
        );
        // SAFETY: in bounds (checked above); disjointness is the caller's promise.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), size) }
    }
}

/// Attention for `n_tokens` queries at positions `pos..pos + n_tokens` of `layer`.
///
/// `q` holds `n_tokens` rows of `n_head * head_dim` (already rotated); the cache already
/// holds K and V up to `pos + n_tokens`. Writes `n_tokens` rows of `n_head * head_dim` to `out`.
#[allow(clippy::too_many_arguments)]
pub fn attention(
    cfg: &ModelConfig,
    cache: &KvCache,
    layer: usize,
    pos: usize,
    q: &[f32],
    n_tokens: usize,
    out: &mut [f32],
    scratch: &mut AttentionScratch,
    pool: &ThreadPool,
) {
    let hd = cfg.head_dim;
    let n_head = cfg.n_head;
    let group = cfg.n_head / cfg.n_head_kv;
    let kv_dim = cfg.kv_dim();
    let scale = 1.0 / (hd as f32).sqrt();
    scratch.ensure(pool.n_threads(), pos + n_tokens, hd);
    let keys = cache.keys(layer);
    let values = cache.values(layer);
    let out = DisjointChunks {
        ptr: out.as_mut_ptr(),
        len: out.len(),
    };
    let scratch = &*scratch;
    let n_items = n_tokens * n_head;
    // llama.cpp's CPU flash attention takes a tiled f32 path for batches of at least
    // `TILED_MIN_TOKENS` queries and a per-row path with an f16 accumulator otherwise;
    // following it keeps greedy decoding identical to llama.cpp's.
    let tiled = n_tokens >= TILED_MIN_TOKENS;
    pool.run(&|ith, nth| {
        let mut guard = scratch.per_thread[ith]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let (scores, row) = &mut *guard;
        let mut item = ith;
        while item < n_items {
            let (t, h) = (item / n_head, item % n_head);
            let kv = KvView {
                keys,
                values,
                stride: kv_dim,
                offset: (h / group) * hd,
                len: pos + t + 1,
            };
            // SAFETY: each (token, head) item is handled by exactly one thread.
            let o = unsafe { out.chunk(item, hd) };
            let q_row = &q[item * hd..(item + 1) * hd];
            if tiled {
                attend_f32(q_row, &kv, scale, scores, row, o);
            } else {
                attend_f16_acc(q_row, &kv, scale, row, o);
            }
            item += nth;
        }
    });
}

/// Batches of at least this many queries take llama.cpp's tiled (all-f32) path.
const TILED_MIN_TOKENS: usize = 64;

/// One KV head's rows for the positions a query attends to.
struct KvView<'a> {
    keys: &'a [f16],
    values: &'a [f16],
    stride: usize,
    offset: usize,
    len: usize,
}

impl KvView<'_> {
    fn key(&self, j: usize, hd: usize) -> &[f16] {
        let start = j * self.stride + self.offset;
        &self.keys[start..start + hd]
    }

    fn value(&self, j: usize, hd: usize) -> &[f16] {
        let start = j * self.stride + self.offset;
        &self.values[start..start + hd]
    }
}

/// Attention in f32 with a two-pass softmax (llama.cpp's tiled path).
fn attend_f32(
    q: &[f32],
    kv: &KvView,
    scale: f32,
    scores: &mut [f32],
    row: &mut [f32],
    out: &mut [f32],
) {
    let hd = q.len();
    let mut max = f32::NEG_INFINITY;
    for (j, s) in scores[..kv.len].iter_mut().enumerate() {
        kv.key(j, hd).convert_to_f32_slice(row);
        *s = dot(q, row) * scale;
        max = max.max(*s);
    }
    let mut sum = 0.0f32;
    for s in &mut scores[..kv.len] {
        *s = (*s - max).exp();
        sum += *s;
    }
    out.fill(0.0);
    for (j, &p) in scores[..kv.len].iter().enumerate() {
        kv.value(j, hd).convert_to_f32_slice(row);
        for (a, &b) in out.iter_mut().zip(row.iter()) {
            *a += p * b;
        }
    }
    let inv = 1.0 / sum;
    out.iter_mut().for_each(|v| *v *= inv);
}

/// Attention with an online softmax whose weighted sum of V is kept in f16, as llama.cpp's
/// per-row flash-attention path does for short batches and single tokens.
fn attend_f16_acc(q: &[f32], kv: &KvView, scale: f32, tmp: &mut [f32], out: &mut [f32]) {
    let hd = q.len();
    // The query is rounded to f16 for the f16 K dot products.
    let mut qh = [f16::ZERO; MAX_HEAD_DIM];
    let qh = &mut qh[..hd];
    qh.convert_from_f32_slice(q);
    let mut acc = [f16::ZERO; MAX_HEAD_DIM];
    let acc = &mut acc[..hd];
    let (mut sum, mut max) = (0.0f32, f32::NEG_INFINITY);
    for j in 0..kv.len {
        let s = dot_f16(kv.key(j, hd), qh, tmp) * scale;
        let (mut ms, mut vs) = (1.0f32, 1.0f32);
        if s > max {
            ms = (max - s).exp();
            max = s;
            scale_f16(acc, ms);
        } else {
            vs = (s - max).exp();
        }
        mad_f16(acc, kv.value(j, hd), vs);
        sum = sum * ms + vs;
    }
    acc.convert_to_f32_slice(out);
    let inv = if sum == 0.0 { 0.0 } else { 1.0 / sum };
    out.iter_mut().for_each(|v| *v *= inv);
}
