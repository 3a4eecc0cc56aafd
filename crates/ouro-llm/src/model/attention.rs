//! Causal multi-head attention with grouped-query heads over the f16 KV cache,
//! parallel over (token, head) pairs.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use half::f16;
use half::slice::HalfFloatSliceExt;

use super::config::{MAX_HEAD_DIM, ModelConfig};
use super::f16_ops::{dot_f16, mad_f16, scale_f16};
use super::kv_cache::KvCache;
use super::ops::dot;
use crate::threadpool::ThreadPool;

/// Per-thread scratch space, reused across calls.
#[derive(Debug, Default)]
pub struct AttentionScratch {
    per_thread: Vec<Mutex<ThreadScratch>>,
}

/// One thread's buffers: converted K/V tiles, scores, a converted row.
#[derive(Debug, Default)]
struct ThreadScratch {
    /// `KV_TILE` K or V rows converted to f32.
    tile: Vec<f32>,
    /// Scores of each query row of a tile over the keys it sees.
    scores: Vec<f32>,
    /// The per-row path's scratch row.
    row: Vec<f32>,
}

impl AttentionScratch {
    fn ensure(&mut self, n_threads: usize, head_dim: usize) {
        if self.per_thread.len() != n_threads {
            self.per_thread = (0..n_threads).map(|_| Mutex::default()).collect();
        }
        for slot in &mut self.per_thread {
            let scratch = slot.get_mut().unwrap_or_else(|e| e.into_inner());
            scratch.tile.resize(KV_TILE * head_dim, 0.0);
            scratch.row.resize(head_dim, 0.0);
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
    let group = cfg.n_head / cfg.n_head_kv;
    let shape = Shape {
        hd,
        n_head: cfg.n_head,
        group,
        kv_dim: cfg.kv_dim(),
        pos,
        scale: 1.0 / (hd as f32).sqrt(),
    };
    scratch.ensure(pool.n_threads(), hd);
    let kv = (cache.keys(layer), cache.values(layer));
    let out = DisjointChunks {
        ptr: out.as_mut_ptr(),
        len: out.len(),
    };
    let scratch = &*scratch;
    // llama.cpp's CPU flash attention takes a tiled f32 path for batches of at least
    // `TILED_MIN_TOKENS` queries and a per-row path with an f16 accumulator otherwise;
    // following it keeps greedy decoding identical to llama.cpp's.
    let tiled = n_tokens >= TILED_MIN_TOKENS;
    // Work items: (query tile, KV head) when tiled, so every converted K/V tile serves all
    // the tile's queries of the head group; else (token, head).
    let n_items = if tiled {
        n_tokens.div_ceil(Q_TILE) * cfg.n_head_kv
    } else {
        n_tokens * cfg.n_head
    };
    let next = AtomicUsize::new(0);
    pool.run(&|ith, _| {
        let mut guard = scratch.per_thread[ith]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let scratch = &mut *guard;
        loop {
            let item = next.fetch_add(1, Ordering::Relaxed);
            if item >= n_items {
                break;
            }
            if tiled {
                let (qt, kvh) = (item / cfg.n_head_kv, item % cfg.n_head_kv);
                let tokens = qt * Q_TILE..((qt + 1) * Q_TILE).min(n_tokens);
                attend_tile(&shape, kv, q, tokens, kvh, scratch, &out);
            } else {
                let (t, h) = (item / shape.n_head, item % shape.n_head);
                let view = KvView {
                    keys: kv.0,
                    values: kv.1,
                    stride: shape.kv_dim,
                    offset: (h / group) * hd,
                    len: pos + t + 1,
                };
                // SAFETY: each (token, head) item is handled by exactly one thread.
                let o = unsafe { out.chunk(item, hd) };
                let q_row = &q[item * hd..(item + 1) * hd];
                attend_f16_acc(q_row, &view, shape.scale, &mut scratch.row, o);
            }
        }
    });
}

/// Batches of at least this many queries take llama.cpp's tiled (all-f32) path.
const TILED_MIN_TOKENS: usize = 64;
/// Queries per work item of the tiled path.
const Q_TILE: usize = 32;
/// K or V rows converted to f32 at a time (16 KiB at head size 128: stays in L1).
const KV_TILE: usize = 32;

/// The attention problem's dimensions.
struct Shape {
    hd: usize,
    n_head: usize,
    /// Query heads per KV head.
    group: usize,
    kv_dim: usize,
    /// Position of the batch's first query.
    pos: usize,
    scale: f32,
}

crate::cpu::multiversion! {
    /// llama.cpp's tiled f32 attention for queries `tokens` of the query heads of KV head
    /// `kvh`: scores for all keys, a two-pass softmax, then the weighted sum of V. Each
    /// query row's arithmetic (f32 dot products, `exp`, sums in key order) is exactly that
    /// of a row computed on its own; tiling only shares the f16 → f32 conversion of K and V.
    fn attend_tile(
        sh: &Shape,
        kv: (&[f16], &[f16]),
        q: &[f32],
        tokens: std::ops::Range<usize>,
        kvh: usize,
        scratch: &mut ThreadScratch,
        out: &DisjointChunks,
    ) => attend_tile_generic
}

#[inline(always)]
fn attend_tile_generic(
    sh: &Shape,
    (keys, values): (&[f16], &[f16]),
    q: &[f32],
    tokens: std::ops::Range<usize>,
    kvh: usize,
    scratch: &mut ThreadScratch,
    out: &DisjointChunks,
) {
    let (hd, group) = (sh.hd, sh.group);
    let n_keys = sh.pos + tokens.end;
    // Query rows of this item, token-major: (token, head in group).
    let rows: Vec<(usize, usize)> = tokens
        .clone()
        .flat_map(|t| (0..group).map(move |g| (t, kvh * group + g)))
        .collect();
    let seen = |t: usize| sh.pos + t + 1;
    scratch.scores.resize(rows.len() * n_keys, 0.0);
    let (tile, scores) = (&mut scratch.tile, &mut scratch.scores);
    let key_rows = |src: &[f16], j0: usize, j1: usize, tile: &mut [f32]| {
        for (j, dst) in (j0..j1).zip(tile.chunks_exact_mut(hd)) {
            let start = j * sh.kv_dim + kvh * hd;
            src[start..start + hd].convert_to_f32_slice(dst);
        }
    };
    for j0 in (0..n_keys).step_by(KV_TILE) {
        let j1 = (j0 + KV_TILE).min(n_keys);
        key_rows(keys, j0, j1, tile);
        for (r, &(t, h)) in rows.iter().enumerate() {
            let q_row = &q[(t * sh.n_head + h) * hd..][..hd];
            let row_scores = &mut scores[r * n_keys..][..n_keys];
            for j in j0..j1.min(seen(t)) {
                row_scores[j] = dot(q_row, &tile[(j - j0) * hd..][..hd]) * sh.scale;
            }
        }
    }
    let mut inv_sums = Vec::with_capacity(rows.len());
    for (r, &(t, _)) in rows.iter().enumerate() {
        let row_scores = &mut scores[r * n_keys..][..seen(t)];
        let max = row_scores.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
        let mut sum = 0.0f32;
        for s in row_scores.iter_mut() {
            *s = (*s - max).exp();
            sum += *s;
        }
        inv_sums.push(1.0 / sum);
    }
    // SAFETY: the (token, head) chunks of this item belong to no other item.
    let mut outs: Vec<&mut [f32]> = rows
        .iter()
        .map(|&(t, h)| unsafe { out.chunk(t * sh.n_head + h, hd) })
        .collect();
    outs.iter_mut().for_each(|o| o.fill(0.0));
    for j0 in (0..n_keys).step_by(KV_TILE) {
        let j1 = (j0 + KV_TILE).min(n_keys);
        key_rows(values, j0, j1, tile);
        for (r, (&(t, _), o)) in rows.iter().zip(outs.iter_mut()).enumerate() {
            let row_scores = &scores[r * n_keys..][..n_keys];
            for j in j0..j1.min(seen(t)) {
                let p = row_scores[j];
                for (a, &b) in o.iter_mut().zip(&tile[(j - j0) * hd..][..hd]) {
                    *a += p * b;
                }
            }
        }
    }
    for (o, inv) in outs.iter_mut().zip(inv_sums) {
        o.iter_mut().for_each(|v| *v *= inv);
    }
}

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
        // llama.cpp's x86 build contracts `S*ms + vs` into a fused multiply-add.
        sum = sum.mul_add(ms, vs);
    }
    acc.convert_to_f32_slice(out);
    let inv = if sum == 0.0 { 0.0 } else { 1.0 / sum };
    out.iter_mut().for_each(|v| *v *= inv);
}
