//! Prefill products of Q8_0 and Q5_0 matrices in 8-row tiles of signed bytes, with the
//! arithmetic of llama.cpp's x86 `ggml_vec_dot_q8_0_q8_0` / `ggml_vec_dot_q5_0_q8_0` (and of
//! its llamafile GEMM for these types), so results equal the row kernels' bit for bit.
//!
//! llama.cpp does not repack these types on x86: each output keeps 8 f32 lanes, lane `k`
//! accumulating `fma(f32(Σ_{i<4} w[4k + i] · x[4k + i]), d_w · d_x, lane)` block after
//! block, then the lanes are summed as `((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))`.
//! A one-row kernel spends a scale product, a broadcast and the sign fix-up of the weights
//! per row, token and block. Here 8 rows are transposed so that vector `k` of a block holds
//! lane `k` of all 8 rows (row `r` in 32-bit lane `r`): one broadcast of the token's 4 bytes
//! serves 8 rows, one scale vector serves 8 rows, and the 8 lane sums of all rows are added
//! with 7 vector additions at the end.
//!
//! The tiles are built from the file's row layout when a work item starts a group (once per
//! group and tile of up to 64 tokens), not at load: the matrices keep their size in memory and
//! decode (one token, bound by memory bandwidth) keeps the row kernels.
//!
//! One tile block, [`BLOCK`] bytes: the 8 rows' `d` as f32 (32 bytes), then for each
//! `k < 8` the vector of quants (32 bytes, bytes `4r..4r + 4` are row `r`'s elements
//! `4k..4k + 4`, signed) followed by the same vector's absolute values (32 bytes).

use super::{ACT, BlockMeta, GROUP, Q8_0_BLOCK, fill_q8_0_act, multiply};
use crate::GgmlType;
use crate::quant::matmul::QMatrix;
use crate::quant::{QuantError, check_matmul_io};
use crate::threadpool::ThreadPool;

/// Bytes of one tile block.
pub(crate) const BLOCK: usize = 32 + GROUP * 64;
/// Offset of the quants in a tile block.
pub(crate) const OFF_QS: usize = 32;
/// Fewest tokens for which building tiles pays for itself (it costs about one token's work
/// per group).
const MIN_TOKENS: usize = 8;

/// Whether [`matmul_tiles`] takes this product: Q8_0 or Q5_0 rows in whole groups of 8, at
/// least [`MIN_TOKENS`] tokens, and a CPU whose best kernels are the AVX2 ones (on CPUs with
/// AVX-512 VNNI the row kernels' `vpdpbusd` has not been compared yet; on others the row
/// kernels are the fallback).
pub(crate) fn takes(w: &QMatrix, n_tokens: usize) -> bool {
    matches!(w.ty, GgmlType::Q8_0 | GgmlType::Q5_0)
        && w.rows.is_multiple_of(GROUP)
        && w.rows > 0
        && n_tokens >= MIN_TOKENS
        && crate::quant::SimdLevel::best() == crate::quant::SimdLevel::Avx2
}

/// `out[t * w.rows + r] = dot(W[r], x[t * w.cols..][..w.cols])` through 8-row tiles (see the
/// module docs); the caller checked [`takes`].
pub(crate) fn matmul_tiles(
    w: &QMatrix,
    x: &[f32],
    n_tokens: usize,
    out: &mut [f32],
    pool: &ThreadPool,
) -> Result<(), QuantError> {
    // Re-check the matrix: its fields are public, so it may not come from `QMatrix::new`.
    QMatrix::new(w.ty, w.data, w.rows, w.cols)?;
    check_matmul_io(w.rows, w.cols, n_tokens, x, out)?;
    if n_tokens == 0 {
        return Ok(());
    }
    let nb = w.cols / 32;
    let act_row = nb * Q8_0_BLOCK;
    let row_bytes = w.data.len() / w.rows;
    ACT.with(|cell| {
        let (act, meta) = &mut *cell.borrow_mut();
        fill_q8_0_act(x, w.cols, n_tokens, act, meta);
        let (act, meta) = (&*act, &*meta);
        multiply(
            w.rows,
            n_tokens,
            1,
            out,
            pool,
            &|tile: &mut Vec<u8>, g| {
                tile.resize(nb * BLOCK, 0);
                let group = &w.data[g * GROUP * row_bytes..(g + 1) * GROUP * row_bytes];
                build_tile(w.ty, group, nb, tile);
            },
            &|tile, _, t, res| {
                let xs = &act[t * act_row..(t + 1) * act_row];
                tile_dot(tile, xs, &meta[t * nb..(t + 1) * nb], nb, &mut res[0]);
            },
        );
    });
    Ok(())
}

/// Writes the tile of 8 consecutive rows (`group`, in the file's layout of `ty`, `nb` blocks
/// each) into `tile`.
pub(super) fn build_tile(ty: GgmlType, group: &[u8], nb: usize, tile: &mut [u8]) {
    #[cfg(target_arch = "x86_64")]
    {
        // Tiles are only built on CPUs with AVX2 (see `takes`).
        debug_assert!(crate::cpu::has_avx2());
        // SAFETY: AVX2/FMA/F16C are present; the kernel checks the slice sizes itself.
        unsafe { super::q8_avx2::build_tile(ty == GgmlType::Q5_0, group, nb, tile) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    reference_build_tile(ty, group, nb, tile)
}

/// One tile times one token's Q8_0 row `xs` (block scales in `meta`): the 8 rows' outputs.
pub(super) fn tile_dot(
    tile: &[u8],
    xs: &[u8],
    meta: &[BlockMeta],
    nb: usize,
    out: &mut [f32; GROUP],
) {
    #[cfg(target_arch = "x86_64")]
    {
        debug_assert!(crate::cpu::has_avx2());
        // SAFETY: AVX2/FMA/F16C are present; the kernel checks the slice sizes itself.
        unsafe { super::q8_avx2::tile_dot(tile, xs, meta, nb, out) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    reference_tile_dot(tile, xs, meta, nb, out)
}

/// The 32 signed quants of one Q8_0 or Q5_0 block (`ggml`'s element order).
#[cfg(any(test, not(target_arch = "x86_64")))]
fn block_quants(ty: GgmlType, b: &[u8]) -> [i8; 32] {
    let mut q = [0i8; 32];
    if ty == GgmlType::Q5_0 {
        let qh = u32::from_le_bytes([b[2], b[3], b[4], b[5]]);
        for j in 0..16 {
            let lo = (b[6 + j] & 0xF) | ((((qh >> j) & 1) as u8) << 4);
            let hi = (b[6 + j] >> 4) | ((((qh >> (j + 16)) & 1) as u8) << 4);
            q[j] = lo as i8 - 16;
            q[j + 16] = hi as i8 - 16;
        }
    } else {
        for (qi, &v) in q.iter_mut().zip(&b[2..34]) {
            *qi = v as i8;
        }
    }
    q
}

/// [`build_tile`] in plain Rust, for tests and non-x86 targets.
#[cfg(any(test, not(target_arch = "x86_64")))]
pub(crate) fn reference_build_tile(ty: GgmlType, group: &[u8], nb: usize, tile: &mut [u8]) {
    let bsz = ty.type_size();
    let row_bytes = nb * bsz;
    for (b, tb) in tile.chunks_exact_mut(BLOCK).take(nb).enumerate() {
        for r in 0..GROUP {
            let src = &group[r * row_bytes + b * bsz..][..bsz];
            let d = crate::quant::blocks::f16_at(src, 0);
            tb[4 * r..4 * r + 4].copy_from_slice(&d.to_le_bytes());
            let q = block_quants(ty, src);
            for k in 0..8 {
                for i in 0..4 {
                    let v = q[4 * k + i];
                    tb[OFF_QS + 64 * k + 4 * r + i] = v as u8;
                    tb[OFF_QS + 64 * k + 32 + 4 * r + i] = v.unsigned_abs();
                }
            }
        }
    }
}

/// [`tile_dot`] in plain Rust, for tests and non-x86 targets: llama.cpp's 8-lane arithmetic
/// per output (see the module docs).
#[cfg(any(test, not(target_arch = "x86_64")))]
pub(crate) fn reference_tile_dot(
    tile: &[u8],
    xs: &[u8],
    meta: &[BlockMeta],
    nb: usize,
    out: &mut [f32; GROUP],
) {
    for (r, o) in out.iter_mut().enumerate() {
        let mut lanes = [0.0f32; 8];
        for b in 0..nb {
            let tb = &tile[b * BLOCK..(b + 1) * BLOCK];
            let xb = &xs[b * Q8_0_BLOCK + 2..][..32];
            let dw = f32::from_le_bytes([tb[4 * r], tb[4 * r + 1], tb[4 * r + 2], tb[4 * r + 3]]);
            let d = dw * meta[b].d;
            for (k, lane) in lanes.iter_mut().enumerate() {
                let isum: i32 = (0..4)
                    .map(|i| {
                        let w = tb[OFF_QS + 64 * k + 4 * r + i] as i8;
                        i32::from(w) * i32::from(xb[4 * k + i] as i8)
                    })
                    .sum();
                *lane = d.mul_add(isum as f32, *lane);
            }
        }
        let l = lanes;
        *o = ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
    }
}
