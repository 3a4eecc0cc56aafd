//! Causal multi-head attention with grouped-query heads over the f16 KV cache,
//! parallel over (token, head) pairs.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use half::f16;
use half::slice::HalfFloatSliceExt;

use super::config::{MAX_HEAD_DIM, ModelConfig};
use super::f16_ops::{dot_f16, mad_f16, scale_f16};
use super::kv_cache::KvCache;
use super::ops::ggml_expf;
use crate::threadpool::ThreadPool;

/// Per-thread scratch space, reused across calls.
#[derive(Debug, Default)]
pub struct AttentionScratch {
    per_thread: Vec<Mutex<ThreadScratch>>,
}

/// One thread's buffers: converted K/V tiles, scores, query rows, a converted row.
#[derive(Debug, Default)]
struct ThreadScratch {
    /// `KV_TILE` K rows converted to f32 and transposed: `[dim][key]`.
    keys_t: Vec<f32>,
    /// `KV_TILE` V rows converted to f32.
    tile: Vec<f32>,
    /// One query row's scores over a tile.
    scores: Vec<f32>,
    /// The tiled path's query rows: (token, head, running max, running sum).
    rows: Vec<(usize, usize, f32, f32)>,
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
            scratch.keys_t.resize(KV_TILE * head_dim, 0.0);
            scratch.scores.resize(KV_TILE, 0.0);
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
/// Keys per tile of the tiled path (llama.cpp's `GGML_FA_TILE_KV`; the tiles' alignment and
/// size shape its rounding, so this must match).
const KV_TILE: usize = 64;

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
    /// `kvh`, with its arithmetic: for each tile of [`KV_TILE`] keys (aligned to the cache's
    /// start) that a query sees, scores as sequential fused dot products in f32, an online
    /// softmax update (ggml's vectorized `expf`, sums of eight in its order, added in f64),
    /// then the weighted V rows added with fused multiply-adds.
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
    let seen = |t: usize| sh.pos + t + 1;
    let ThreadScratch {
        keys_t,
        tile,
        scores,
        rows,
        ..
    } = scratch;
    // Query rows of this item, token-major: (token, head in group), with their running
    // maximum and sum.
    rows.clear();
    rows.extend(
        tokens
            .clone()
            .flat_map(|t| (0..group).map(move |g| (t, kvh * group + g, f32::NEG_INFINITY, 0.0))),
    );
    // SAFETY: the (token, head) chunks of this item belong to no other item.
    for &(t, h, _, _) in rows.iter() {
        unsafe { out.chunk(t * sh.n_head + h, hd) }.fill(0.0);
    }
    for j0 in (0..n_keys).step_by(KV_TILE) {
        let j1 = (j0 + KV_TILE).min(n_keys);
        // K transposed ([dim][key]) so that the scores of a tile's keys form vectors.
        keys_t.fill(0.0);
        for j in j0..j1 {
            let start = j * sh.kv_dim + kvh * hd;
            for (d, k) in keys[start..start + hd].iter().enumerate() {
                keys_t[d * KV_TILE + j - j0] = k.to_f32();
            }
        }
        for (j, dst) in (j0..j1).zip(tile.chunks_exact_mut(hd)) {
            let start = j * sh.kv_dim + kvh * hd;
            values[start..start + hd].convert_to_f32_slice(dst);
        }
        for (t, h, max, sum) in rows.iter_mut() {
            let visible = j1.min(seen(*t));
            if visible <= j0 {
                continue;
            }
            let q_row = &q[(*t * sh.n_head + *h) * hd..][..hd];
            let s = &mut scores[..KV_TILE];
            s.fill(0.0);
            for (d, &qd) in q_row.iter().enumerate() {
                let kd = &keys_t[d * KV_TILE..(d + 1) * KV_TILE];
                for (sj, &k) in s.iter_mut().zip(kd) {
                    *sj = k.mul_add(qd, *sj);
                }
            }
            let n_vis = visible - j0;
            s.iter_mut().for_each(|v| *v *= sh.scale);
            s[n_vis..].fill(f32::NEG_INFINITY);
            let tile_max = s
                .iter()
                .fold(f32::NEG_INFINITY, |m, &v| if m > v { m } else { v });
            // SAFETY: as above; one live reference per chunk at a time.
            let o = unsafe { out.chunk(*t * sh.n_head + *h, hd) };
            let new_max = max.max(tile_max);
            if new_max > *max {
                let ms = (*max - new_max).exp();
                o.iter_mut().for_each(|v| *v *= ms);
                *sum *= ms;
            }
            *max = new_max;
            let mut tile_sum = 0.0f64;
            for g in s.chunks_exact_mut(8) {
                g.iter_mut().for_each(|v| *v = ggml_expf(*v - new_max));
                let lanes = [g[0] + g[4], g[1] + g[5], g[2] + g[6], g[3] + g[7]];
                tile_sum += f64::from((lanes[0] + lanes[2]) + (lanes[1] + lanes[3]));
            }
            *sum = (f64::from(*sum) + tile_sum) as f32;
            for (p, v) in s[..n_vis].iter().zip(tile.chunks_exact(hd)) {
                for (a, &b) in o.iter_mut().zip(v) {
                    *a = b.mul_add(*p, *a);
                }
            }
        }
    }
    for &(t, h, _, sum) in rows.iter() {
        let inv = if sum == 0.0 { 0.0 } else { 1.0 / sum };
        // SAFETY: as above.
        unsafe { out.chunk(t * sh.n_head + h, hd) }
            .iter_mut()
            .for_each(|v| *v *= inv);
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
