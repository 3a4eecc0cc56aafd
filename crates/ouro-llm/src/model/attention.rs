//! Causal multi-head attention with grouped-query heads over the f16 KV cache,
//! parallel over (token, head) pairs.

use std::sync::Mutex;

use half::f16;
use half::slice::HalfFloatSliceExt;

use super::config::ModelConfig;
use super::kv_cache::KvCache;
use super::ops::dot;
use crate::threadpool::ThreadPool;

/// Per-thread scratch space: scores over the context and one converted K/V row.
#[derive(Debug, Default)]
pub struct AttentionScratch {
    per_thread: Vec<Mutex<(Vec<f32>, Vec<f32>, Vec<f32>)>>,
}

impl AttentionScratch {
    fn ensure(&mut self, n_threads: usize, n_ctx: usize, head_dim: usize) {
        if self.per_thread.len() != n_threads {
            self.per_thread = (0..n_threads).map(|_| Mutex::default()).collect();
        }
        for slot in &mut self.per_thread {
            let (scores, row, q) = slot.get_mut().unwrap_or_else(|e| e.into_inner());
            scores.resize(n_ctx, 0.0);
            row.resize(head_dim, 0.0);
            q.resize(head_dim, 0.0);
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
        assert!(start + size <= self.len, "attention output chunk out of range");
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
    let out = DisjointChunks { ptr: out.as_mut_ptr(), len: out.len() };
    let scratch = &*scratch;
    let n_items = n_tokens * n_head;
    pool.run(&|ith, nth| {
        let mut guard = scratch.per_thread[ith].lock().unwrap_or_else(|e| e.into_inner());
        let (scores, row, qh) = &mut *guard;
        let mut item = ith;
        while item < n_items {
            let (t, h) = (item / n_head, item % n_head);
            let kv_off = (h / group) * hd;
            let n_kv = pos + t + 1;
            // Round the query to f16 as llama.cpp does before its f16 K dot products.
            for (d, &s) in qh.iter_mut().zip(&q[item * hd..(item + 1) * hd]) {
                *d = f16::from_f32(s).to_f32();
            }
            let mut max = f32::NEG_INFINITY;
            for (j, s) in scores[..n_kv].iter_mut().enumerate() {
                let start = j * kv_dim + kv_off;
                keys[start..start + hd].convert_to_f32_slice(row);
                *s = dot(qh, row) * scale;
                max = max.max(*s);
            }
            let mut sum = 0.0f32;
            for s in &mut scores[..n_kv] {
                *s = (*s - max).exp();
                sum += *s;
            }
            // SAFETY: each (token, head) item is handled by exactly one thread.
            let o = unsafe { out.chunk(item, hd) };
            o.fill(0.0);
            for (j, &p) in scores[..n_kv].iter().enumerate() {
                let start = j * kv_dim + kv_off;
                values[start..start + hd].convert_to_f32_slice(row);
                for (a, &b) in o.iter_mut().zip(row.iter()) {
                    *a += p * b;
                }
            }
            let inv = 1.0 / sum;
            o.iter_mut().for_each(|v| *v *= inv);
            item += nth;
        }
    });
}
