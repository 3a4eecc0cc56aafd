//! Weight matrices repacked at load time into an 8-row interleaved layout, with the matrix
//! multiplication that uses it (Q4_0; Q4_K and Q6_K in [`q4k`] and [`q6k`]; Q8_0 and Q5_0
//! prefill in 8-row tiles built per work item in [`q8`]).
//!
//! llama.cpp's x86 CPU backend repacks Q4_0 matrices whose row count is a multiple of 8 into
//! `block_q4_0x8` and multiplies them with its own GEMV/GEMM kernels, which compute each output
//! as `acc = fma(f32(Σ w·x), d_w · d_x, acc)` block after block: an exact integer dot per
//! 32-element block, then one fused multiply-add. The row-at-a-time kernels (`ggml_vec_dot`)
//! instead keep eight partial sums per row and add them at the end, which rounds differently.
//! Packing the same matrices and computing each output exactly this way makes ouro's logits
//! equal to llama.cpp's bit for bit, and it is faster: one pass over a block of 8 rows puts
//! each row's dot product in its own SIMD lane, so no horizontal sums are needed and each
//! activation load serves 8 rows (and each weight load several tokens).
//!
//! Layout of one group of 8 rows, block `b` (32 columns), 144 bytes: the 8 rows' f16 scales
//! (16 bytes), then 4 vectors of 32 bytes; in vector `k`, bytes `4r..4r + 4` belong to row
//! `r`, their low nibbles are the row's quants `8k..8k + 4` and their high nibbles the quants
//! `8k + 4..8k + 8` (unsigned, 0..=15, the stored value plus 8 as in Q4_0).

#[cfg(target_arch = "x86_64")]
mod avx2;
mod q4k;
#[cfg(target_arch = "x86_64")]
mod q4k_avx2;
mod q6k;
#[cfg(target_arch = "x86_64")]
mod q6k_avx2;
pub(crate) mod q8;
#[cfg(target_arch = "x86_64")]
mod q8_avx2;

use super::act::quantize_act;
use super::blocks::f16_at;
use super::matmul::{QMatrix, quantize_rows};
use super::{QuantError, check_matmul_io};
use crate::GgmlType;
use crate::cpu::has_avx2;
use crate::threadpool::ThreadPool;
use q4k::KMeta;
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Rows interleaved per group.
pub(crate) const GROUP: usize = 8;
/// Bytes of one group's block: 8 f16 scales and 8 × 16 bytes of nibbles.
pub(crate) const GROUP_BLOCK: usize = GROUP * 2 + GROUP * 16;
/// Bytes of one Q8_0 activation block and of one Q4_0 weight block.
const Q8_0_BLOCK: usize = 34;
const Q4_0_BLOCK: usize = 18;
/// Tokens a kernel call multiplies with one group at most.
pub(crate) const MAX_NT: usize = 4;
/// Tokens per work item in prefill (their activations stay in L2).
const TOKEN_TILE: usize = 64;
/// Work items per thread to aim for.
const ITEMS_PER_THREAD: usize = 8;

/// Which packed layout a [`PackedMatrix`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Q4_0, 32-column blocks (this module's docs).
    Q4_0,
    /// Q4_K, 256-column super-blocks ([`q4k`]).
    Q4K,
    /// Q6_K, 256-column super-blocks ([`q6k`]).
    Q6K,
}

/// A Q4_0, Q4_K or Q6_K matrix in the 8-row interleaved layout.
#[derive(Debug, Clone)]
pub struct PackedMatrix {
    data: Vec<u8>,
    rows: usize,
    cols: usize,
    layout: Layout,
}

/// One token's activation block as the packed kernels read it: the Q8_0 scale as f32 and the
/// sum of the block's 32 quants (to undo the weights' +8 offset).
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub(crate) struct BlockMeta {
    pub d: f32,
    pub sum: i32,
}

impl PackedMatrix {
    /// Repacks `w` when this CPU has the packed kernels and the matrix fits a layout (Q4_0,
    /// Q4_K or Q6_K, rows a multiple of 8); `None` otherwise, and the caller keeps the row
    /// layout.
    pub fn pack(w: &QMatrix) -> Option<PackedMatrix> {
        if !w.rows.is_multiple_of(GROUP) || w.rows == 0 || !has_avx2() {
            return None;
        }
        match w.ty {
            GgmlType::Q4_0 => Some(Self::pack_q4_0(w)),
            GgmlType::Q4K => Some(PackedMatrix {
                data: q4k::pack(w),
                rows: w.rows,
                cols: w.cols,
                layout: Layout::Q4K,
            }),
            GgmlType::Q6K => Some(PackedMatrix {
                data: q6k::pack(w),
                rows: w.rows,
                cols: w.cols,
                layout: Layout::Q6K,
            }),
            _ => None,
        }
    }

    fn pack_q4_0(w: &QMatrix) -> PackedMatrix {
        let nb = w.cols / 32;
        let row_bytes = nb * Q4_0_BLOCK;
        let mut data = vec![0u8; w.rows / GROUP * nb * GROUP_BLOCK];
        for (g, out) in data.chunks_exact_mut(nb * GROUP_BLOCK).enumerate() {
            for (b, ob) in out.chunks_exact_mut(GROUP_BLOCK).enumerate() {
                for r in 0..GROUP {
                    let src = &w.data[(g * GROUP + r) * row_bytes + b * Q4_0_BLOCK..];
                    ob[2 * r..2 * r + 2].copy_from_slice(&src[..2]);
                    // Quant e of the source block: low nibble of byte e for e < 16, else
                    // the high nibble of byte e - 16.
                    let quant = |e: usize| {
                        if e < 16 {
                            src[2 + e] & 0xF
                        } else {
                            src[2 + e - 16] >> 4
                        }
                    };
                    for k in 0..4 {
                        for i in 0..4 {
                            ob[16 + 32 * k + 4 * r + i] =
                                quant(8 * k + i) | (quant(8 * k + 4 + i) << 4);
                        }
                    }
                }
            }
        }
        PackedMatrix {
            data,
            rows: w.rows,
            cols: w.cols,
            layout: Layout::Q4_0,
        }
    }

    /// Output rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Bytes of one group of 8 rows.
    fn group_bytes(&self) -> usize {
        match self.layout {
            Layout::Q4_0 => self.cols / 32 * GROUP_BLOCK,
            Layout::Q4K => self.cols / q4k::QK * q4k::BLOCK,
            Layout::Q6K => self.cols / q6k::QK * q6k::BLOCK,
        }
    }
}

thread_local! {
    /// The caller's buffers for quantized activations and their block metadata.
    static ACT: RefCell<(Vec<u8>, Vec<BlockMeta>)> = const { RefCell::new((Vec::new(), Vec::new())) };
    /// The same for the Q4_K layout: Q8_K activation rows and their super-block metadata.
    static ACT_K: RefCell<(Vec<u8>, Vec<KMeta>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// `out[t * w.rows + r] = dot(W[r], x[t * w.cols..][..w.cols])` for `n_tokens` rows of `x`,
/// with the packed kernels on all threads of `pool`.
pub fn matmul_packed(
    w: &PackedMatrix,
    x: &[f32],
    n_tokens: usize,
    out: &mut [f32],
    pool: &ThreadPool,
) -> Result<(), QuantError> {
    check_matmul_io(w.rows, w.cols, n_tokens, x, out)?;
    if n_tokens == 0 {
        return Ok(());
    }
    if w.layout != Layout::Q4_0 {
        matmul_k(w, x, n_tokens, out, pool);
        return Ok(());
    }
    let nb = w.cols / 32;
    let act_row = nb * Q8_0_BLOCK;
    ACT.with(|cell| {
        let (act, meta) = &mut *cell.borrow_mut();
        fill_q8_0_act(x, w.cols, n_tokens, act, meta);
        let (act, meta) = (&*act, &*meta);
        let gb = w.group_bytes();
        multiply(
            w.rows,
            n_tokens,
            MAX_NT,
            out,
            pool,
            &no_tile,
            &|_, g, t, res| {
                let wg = &w.data[g * gb..(g + 1) * gb];
                let nt = res.len();
                let xs = &act[t * act_row..(t + nt) * act_row];
                let ms = &meta[t * nb..(t + nt) * nb];
                group_dot(wg, xs, ms, nb, res);
            },
        );
    });
    Ok(())
}

/// Quantizes the `n_tokens` rows of `x` (`cols` each) to Q8_0 in `act`, with each block's
/// scale as f32 and quant sum in `meta`.
fn fill_q8_0_act(
    x: &[f32],
    cols: usize,
    n_tokens: usize,
    act: &mut Vec<u8>,
    meta: &mut Vec<BlockMeta>,
) {
    let nb = cols / 32;
    let act_row = nb * Q8_0_BLOCK;
    act.resize(act_row * n_tokens, 0);
    meta.resize(nb * n_tokens, BlockMeta::default());
    for ((xr, ar), mr) in x
        .chunks_exact(cols)
        .zip(act.chunks_exact_mut(act_row))
        .zip(meta.chunks_exact_mut(nb))
    {
        quantize_act(GgmlType::Q8_0, xr, ar);
        for (blk, m) in ar.chunks_exact(Q8_0_BLOCK).zip(mr.iter_mut()) {
            m.d = f16_at(blk, 0);
            m.sum = blk[2..].iter().map(|&q| i32::from(q as i8)).sum();
        }
    }
}

/// The `prepare` step of [`multiply`] for layouts packed at load time: nothing to build.
fn no_tile(_: &mut (), _: usize) {}

/// A raw output pointer that the pool's threads write through at disjoint offsets.
#[derive(Clone, Copy)]
struct SharedOut(*mut f32);
// SAFETY: only used inside `ThreadPool::run`, where each work item writes its own outputs.
unsafe impl Sync for SharedOut {}
unsafe impl Send for SharedOut {}

impl SharedOut {
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// The Q4_K and Q6_K path of [`matmul_packed`] (shapes already checked, `n_tokens > 0`).
fn matmul_k(w: &PackedMatrix, x: &[f32], n_tokens: usize, out: &mut [f32], pool: &ThreadPool) {
    let nb = w.cols / q4k::QK;
    let act_row = nb * q4k::Q8K_BYTES;
    ACT_K.with(|cell| {
        let (act, meta) = &mut *cell.borrow_mut();
        act.resize(act_row * n_tokens, 0);
        quantize_rows(GgmlType::Q8K, x, w.cols, act, act_row, pool);
        meta.clear();
        if w.layout == Layout::Q4K {
            meta.extend(act.chunks_exact(q4k::Q8K_BYTES).map(KMeta::of));
        }
        let (act, meta) = (&*act, &*meta);
        let gb = w.group_bytes();
        let q4k = w.layout == Layout::Q4K;
        multiply(
            w.rows,
            n_tokens,
            K_MAX_NT,
            out,
            pool,
            &no_tile,
            &|_, g, t, res| {
                let wg = &w.data[g * gb..(g + 1) * gb];
                let nt = res.len();
                let xs = &act[t * act_row..(t + nt) * act_row];
                if q4k {
                    let ms = &meta[t * nb..(t + nt) * nb];
                    group_dot_q4k(wg, xs, act_row, ms, nb, res);
                } else {
                    group_dot_q6k(wg, xs, act_row, nb, res);
                }
            },
        );
    });
}

/// Tokens one Q4_K kernel call takes at most.
#[cfg(target_arch = "x86_64")]
const K_MAX_NT: usize = q4k_avx2::MAX_NT_K;
#[cfg(not(target_arch = "x86_64"))]
const K_MAX_NT: usize = MAX_NT;

/// One Q4_K group times `out.len()` tokens (see [`q4k::reference_group_dot`]).
fn group_dot_q4k(
    wg: &[u8],
    xs: &[u8],
    xstride: usize,
    meta: &[KMeta],
    nb: usize,
    out: &mut [[f32; GROUP]],
) {
    #[cfg(target_arch = "x86_64")]
    {
        // Packed matrices only exist on CPUs with AVX2 (see `PackedMatrix::pack`).
        debug_assert!(has_avx2());
        // SAFETY: AVX2/FMA/F16C are present (packing requires them); the kernel checks the
        // slice sizes itself.
        unsafe { q4k_avx2::group_dot(wg, xs, xstride, meta, nb, out) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    q4k::reference_group_dot(wg, xs, xstride, meta, nb, out)
}

/// One Q6_K group times `out.len()` tokens (see [`q6k::reference_group_dot`]).
fn group_dot_q6k(wg: &[u8], xs: &[u8], xstride: usize, nb: usize, out: &mut [[f32; GROUP]]) {
    #[cfg(target_arch = "x86_64")]
    {
        // Packed matrices only exist on CPUs with AVX2 (see `PackedMatrix::pack`).
        debug_assert!(has_avx2());
        // SAFETY: AVX2/FMA/F16C are present (packing requires them); the kernel checks the
        // slice sizes itself.
        unsafe { q6k_avx2::group_dot(wg, xs, xstride, nb, out) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    q6k::reference_group_dot(wg, xs, xstride, nb, out)
}

/// Runs `kernel(tile, group, first token, results)` over (groups × tokens) work items on the
/// pool, at most `max_nt` tokens a call, and stores each call's `results[k][i]` as output
/// `(first token + k, 8 · group + i)`. Each thread keeps one `tile`, which `prepare(tile,
/// group)` fills before a work item's calls for that group.
fn multiply<S, P, F>(
    rows: usize,
    n_tokens: usize,
    max_nt: usize,
    out: &mut [f32],
    pool: &ThreadPool,
    prepare: &P,
    kernel: &F,
) where
    S: Default,
    P: Fn(&mut S, usize) + Sync,
    F: Fn(&S, usize, usize, &mut [[f32; GROUP]]) + Sync,
{
    let groups = rows / GROUP;
    let token_tile = n_tokens.min(TOKEN_TILE);
    let token_tiles = n_tokens.div_ceil(token_tile);
    let want = (pool.n_threads() * ITEMS_PER_THREAD).div_ceil(token_tiles);
    let group_tile = groups.div_ceil(want.max(1)).max(1);
    let group_tiles = groups.div_ceil(group_tile);
    let n_items = group_tiles * token_tiles;
    let next = AtomicUsize::new(0);
    let out_ptr = SharedOut(out.as_mut_ptr());
    pool.run(&|_, _| {
        let mut res = [[0.0f32; GROUP]; MAX_NT_ANY];
        let mut tile = S::default();
        loop {
            let item = next.fetch_add(1, Ordering::Relaxed);
            if item >= n_items {
                break;
            }
            let (tt, gt) = (item / group_tiles, item % group_tiles);
            let (t0, t1) = (tt * token_tile, ((tt + 1) * token_tile).min(n_tokens));
            let (g0, g1) = (gt * group_tile, ((gt + 1) * group_tile).min(groups));
            for g in g0..g1 {
                prepare(&mut tile, g);
                let mut t = t0;
                while t < t1 {
                    let nt = (t1 - t).min(max_nt).min(MAX_NT_ANY);
                    kernel(&tile, g, t, &mut res[..nt]);
                    for (k, r) in res[..nt].iter().enumerate() {
                        // SAFETY: outputs (t + k, 8g..8g + 8) are inside `out` (checked by
                        // the caller) and belong to this work item only.
                        unsafe {
                            std::ptr::copy_nonoverlapping(
                                r.as_ptr(),
                                out_ptr.get().add((t + k) * rows + g * GROUP),
                                GROUP,
                            )
                        };
                    }
                    t += nt;
                }
            }
        }
    });
}

/// The most tokens any packed kernel takes per call.
const MAX_NT_ANY: usize = if K_MAX_NT > MAX_NT { K_MAX_NT } else { MAX_NT };

/// One group of 8 rows times `out.len()` (1..=4) tokens: `xs` holds their Q8_0 rows and
/// `meta` their blocks' metadata (`nb` per token).
fn group_dot(wg: &[u8], xs: &[u8], meta: &[BlockMeta], nb: usize, out: &mut [[f32; GROUP]]) {
    #[cfg(target_arch = "x86_64")]
    {
        // Packed matrices only exist on CPUs with AVX2 (see `PackedMatrix::pack`).
        debug_assert!(has_avx2());
        // SAFETY: AVX2/FMA/F16C are present (packing requires them); the slices hold one
        // group of `nb` blocks and `out.len()` activation rows of `nb` blocks each.
        unsafe { avx2::group_dot(wg, xs, meta, nb, out) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    reference_group_dot(wg, xs, meta, nb, out)
}

/// The packed kernels' arithmetic in plain Rust, for tests and non-x86 targets: per output,
/// `acc = fma(f32(Σ (q - 8)·x), d_w · d_x, acc)` over the blocks in order.
#[cfg(any(test, not(target_arch = "x86_64")))]
pub(crate) fn reference_group_dot(
    wg: &[u8],
    xs: &[u8],
    meta: &[BlockMeta],
    nb: usize,
    out: &mut [[f32; GROUP]],
) {
    for (t, o) in out.iter_mut().enumerate() {
        for (r, acc) in o.iter_mut().enumerate() {
            *acc = 0.0;
            for b in 0..nb {
                let wb = &wg[b * GROUP_BLOCK..(b + 1) * GROUP_BLOCK];
                let xb = &xs[(t * nb + b) * Q8_0_BLOCK + 2..][..32];
                let mut isum = 0i32;
                for k in 0..4 {
                    for i in 0..4 {
                        let byte = wb[16 + 32 * k + 4 * r + i];
                        let lo = i32::from(byte & 0xF) - 8;
                        let hi = i32::from(byte >> 4) - 8;
                        isum += lo * i32::from(xb[8 * k + i] as i8)
                            + hi * i32::from(xb[8 * k + 4 + i] as i8);
                    }
                }
                let d = f16_at(wb, 2 * r) * meta[t * nb + b].d;
                *acc = (isum as f32).mul_add(d, *acc);
            }
        }
    }
}

#[cfg(test)]
mod tests;
