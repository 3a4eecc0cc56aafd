//! The Q6_K layout of [`super::PackedMatrix`]: 8 rows interleaved per 256-column
//! super-block, each 6-bit quant stored whole in a byte, so the kernels load weight vectors
//! ready to multiply (no bit unpacking in the inner loop) and compute 8 rows' dot products
//! in 8 SIMD lanes.
//!
//! One group's super-block, [`BLOCK`] bytes:
//!
//! | offset | bytes | contents |
//! |--------|-------|----------|
//! | 0      | 16    | the 8 rows' `d` (f16) |
//! | 16     | 128   | scales, `[j / 2][row r][j % 2]` for the 16 sub-blocks `j` (i8) |
//! | 144    | 2048  | quants, `[sub-block j][k][row r][4 bytes]` (0..=63, stored value + 32) |
//!
//! In the quants, bytes `4r..4r + 4` of vector `(j, k)` are row `r`'s elements
//! `16j + 4k..16j + 4k + 4`.
//!
//! Each output is computed as `acc = fma(f32(Σ_j sc_j · (dot_j - 32 · Σx_j)), d · d_x, acc)`
//! over the super-blocks in order, where `dot_j` is the exact integer dot of the stored
//! (offset) quants of sub-block `j` with the activation quants and `Σx_j` the Q8_K block's
//! `bsums[j]`; the integer sum is exact, as `ggml_vec_dot_q6_K_q8_K` computes it.

use super::GROUP;
#[cfg(any(test, not(target_arch = "x86_64")))]
use crate::quant::blocks::{f16_at, f32_at, i16_at};
use crate::quant::matmul::QMatrix;

/// Elements per super-block.
pub(crate) const QK: usize = 256;
/// Bytes of one Q6_K block.
pub(crate) const Q6K_BYTES: usize = 210;
/// Bytes of one group's super-block.
pub(crate) const BLOCK: usize = 144 + GROUP * QK;
/// Offsets inside a group's super-block.
pub(crate) const OFF_SCALES: usize = 16;
pub(crate) const OFF_QS: usize = 144;

/// The 256 quants (0..=63) of a Q6_K block, in element order (ggml's `dequantize_row_q6_K`).
fn quants(b: &[u8]) -> [u8; QK] {
    let mut q = [0u8; QK];
    for n in 0..2 {
        let (ql, qh) = (&b[64 * n..64 * n + 64], &b[128 + 32 * n..128 + 32 * n + 32]);
        let out = &mut q[128 * n..128 * n + 128];
        for l in 0..32 {
            out[l] = (ql[l] & 0xF) | ((qh[l] & 3) << 4);
            out[l + 32] = (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4);
            out[l + 64] = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
            out[l + 96] = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
        }
    }
    q
}

/// Repacks a Q6_K matrix (rows a multiple of [`GROUP`]) into the group layout.
pub(super) fn pack(w: &QMatrix) -> Vec<u8> {
    let nb = w.cols / QK;
    let row_bytes = nb * Q6K_BYTES;
    let mut data = vec![0u8; w.rows / GROUP * nb * BLOCK];
    for (g, out) in data.chunks_exact_mut(nb * BLOCK).enumerate() {
        for (b, ob) in out.chunks_exact_mut(BLOCK).enumerate() {
            for r in 0..GROUP {
                let src = &w.data[(g * GROUP + r) * row_bytes + b * Q6K_BYTES..][..Q6K_BYTES];
                ob[2 * r..2 * r + 2].copy_from_slice(&src[208..210]);
                for j in 0..16 {
                    ob[OFF_SCALES + 16 * (j / 2) + 2 * r + j % 2] = src[192 + j];
                }
                let q = quants(src);
                for j in 0..16 {
                    for k in 0..4 {
                        let o = OFF_QS + 128 * j + 32 * k + 4 * r;
                        ob[o..o + 4].copy_from_slice(&q[16 * j + 4 * k..][..4]);
                    }
                }
            }
        }
    }
    data
}

/// The packed kernels' arithmetic in plain Rust, for tests and non-x86 targets: one group
/// (`nb` super-blocks) times `out.len()` tokens, whose Q8_K rows start `xstride` bytes apart
/// in `xs`.
#[cfg(any(test, not(target_arch = "x86_64")))]
pub(crate) fn reference_group_dot(
    wg: &[u8],
    xs: &[u8],
    xstride: usize,
    nb: usize,
    out: &mut [[f32; GROUP]],
) {
    for (t, o) in out.iter_mut().enumerate() {
        for (r, res) in o.iter_mut().enumerate() {
            let mut acc = 0.0f32;
            for b in 0..nb {
                let wb = &wg[b * BLOCK..(b + 1) * BLOCK];
                let xb = &xs[t * xstride + b * 292..][..292];
                let mut isum = 0i32;
                for j in 0..16 {
                    let mut dot = 0i32;
                    for k in 0..4 {
                        for i in 0..4 {
                            let q = i32::from(wb[OFF_QS + 128 * j + 32 * k + 4 * r + i]);
                            dot += q * i32::from(xb[4 + 16 * j + 4 * k + i] as i8);
                        }
                    }
                    let sc = i32::from(wb[OFF_SCALES + 16 * (j / 2) + 2 * r + j % 2] as i8);
                    isum += sc * (dot - 32 * i32::from(i16_at(xb, 260 + 2 * j)));
                }
                let d = f16_at(wb, 2 * r) * f32_at(xb, 0);
                acc = (isum as f32).mul_add(d, acc);
            }
            *res = acc;
        }
    }
}
