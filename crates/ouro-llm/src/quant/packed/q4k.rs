//! The Q4_K layout of [`super::PackedMatrix`]: 8 rows interleaved per 256-column super-block,
//! the 6-bit scales and mins unpacked at load time, so one kernel pass computes 8 rows' dot
//! products in 8 SIMD lanes (no horizontal sums) and each weight load serves several tokens.
//!
//! One group's super-block, [`BLOCK`] bytes:
//!
//! | offset | bytes | contents |
//! |--------|-------|----------|
//! | 0      | 16    | the 8 rows' `d` (f16) |
//! | 16     | 16    | the 8 rows' `dmin` (f16) |
//! | 32     | 64    | scales, `[sub-block j][row r]` (u8, 0..=63) |
//! | 96     | 64    | mins, `[j / 2][row r][j % 2]` (u8, 0..=63) |
//! | 160    | 1024  | quants, `[64-chunk c][k][row r][4 bytes]` |
//!
//! In the quants, bytes `4r..4r + 4` of vector `(c, k)` are row `r`'s source bytes
//! `qs[32c + 4k..][..4]`: their low nibbles are elements `64c + 4k..` (sub-block `2c`), their
//! high nibbles elements `64c + 32 + 4k..` (sub-block `2c + 1`), exactly as in the row layout.
//!
//! Each output is computed as
//! `acc = fma(f32(Σ_j sc_j · dot_j), d · d_x, acc)`,
//! `acc_m = fma(f32(Σ_j mn_j · Σx_j), dmin · d_x, acc_m)` over the super-blocks in order,
//! then `acc - acc_m`, where `dot_j` is the exact integer dot of sub-block `j` and `Σx_j` the
//! sum of its 32 activation quants (from the Q8_K block's `bsums`).

use super::GROUP;
#[cfg(any(test, not(target_arch = "x86_64")))]
use crate::quant::blocks::f16_at;
use crate::quant::blocks::{f32_at, i16_at, scale_min_k4};
use crate::quant::matmul::QMatrix;

/// Elements per super-block.
pub(crate) const QK: usize = 256;
/// Bytes of one Q4_K block and of one Q8_K block.
pub(crate) const Q4K_BYTES: usize = 144;
pub(crate) const Q8K_BYTES: usize = 292;
/// Bytes of one group's super-block.
pub(crate) const BLOCK: usize = 160 + GROUP * 128;
/// Offsets inside a group's super-block.
pub(crate) const OFF_DMIN: usize = 16;
pub(crate) const OFF_SCALES: usize = 32;
pub(crate) const OFF_MINS: usize = 96;
pub(crate) const OFF_QS: usize = 160;

/// One token's Q8_K super-block as the kernels read it: its scale and the sums of its 8
/// sub-blocks of 32 quants (pairs of the block's `bsums`; at most 32 · 128 in magnitude).
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub(crate) struct KMeta {
    pub d: f32,
    pub sums: [i16; 8],
}

impl KMeta {
    /// The metadata of the Q8_K block `b`.
    pub(crate) fn of(b: &[u8]) -> KMeta {
        let mut sums = [0i16; 8];
        for (j, s) in sums.iter_mut().enumerate() {
            *s = i16_at(b, 260 + 4 * j) + i16_at(b, 262 + 4 * j);
        }
        KMeta {
            d: f32_at(b, 0),
            sums,
        }
    }
}

/// Repacks a Q4_K matrix (rows a multiple of [`GROUP`]) into the group layout.
pub(super) fn pack(w: &QMatrix) -> Vec<u8> {
    let nb = w.cols / QK;
    let row_bytes = nb * Q4K_BYTES;
    let mut data = vec![0u8; w.rows / GROUP * nb * BLOCK];
    for (g, out) in data.chunks_exact_mut(nb * BLOCK).enumerate() {
        for (b, ob) in out.chunks_exact_mut(BLOCK).enumerate() {
            for r in 0..GROUP {
                let src = &w.data[(g * GROUP + r) * row_bytes + b * Q4K_BYTES..][..Q4K_BYTES];
                ob[2 * r..2 * r + 2].copy_from_slice(&src[0..2]);
                ob[OFF_DMIN + 2 * r..OFF_DMIN + 2 * r + 2].copy_from_slice(&src[2..4]);
                for j in 0..8 {
                    let (sc, mn) = scale_min_k4(j, &src[4..16]);
                    ob[OFF_SCALES + 8 * j + r] = sc;
                    ob[OFF_MINS + 16 * (j / 2) + 2 * r + j % 2] = mn;
                }
                for c in 0..4 {
                    for k in 0..8 {
                        let o = OFF_QS + 256 * c + 32 * k + 4 * r;
                        ob[o..o + 4].copy_from_slice(&src[16 + 32 * c + 4 * k..][..4]);
                    }
                }
            }
        }
    }
    data
}

/// The packed kernels' arithmetic in plain Rust, for tests and non-x86 targets: one group
/// (`nb` super-blocks) times `out.len()` tokens, whose Q8_K rows start `xstride` bytes apart
/// in `xs` and whose metadata is `meta[t * nb..][..nb]`.
#[cfg(any(test, not(target_arch = "x86_64")))]
pub(crate) fn reference_group_dot(
    wg: &[u8],
    xs: &[u8],
    xstride: usize,
    meta: &[KMeta],
    nb: usize,
    out: &mut [[f32; GROUP]],
) {
    for (t, o) in out.iter_mut().enumerate() {
        for (r, res) in o.iter_mut().enumerate() {
            let (mut acc, mut acc_m) = (0.0f32, 0.0f32);
            for b in 0..nb {
                let wb = &wg[b * BLOCK..(b + 1) * BLOCK];
                let xq = &xs[t * xstride + b * Q8K_BYTES + 4..][..QK];
                let m = meta[t * nb + b];
                let (mut isum, mut msum) = (0i32, 0i32);
                for j in 0..8 {
                    let (c, shift) = (j / 2, 4 * (j % 2));
                    let mut dot = 0i32;
                    for k in 0..8 {
                        for i in 0..4 {
                            let byte = wb[OFF_QS + 256 * c + 32 * k + 4 * r + i];
                            let q = i32::from((byte >> shift) & 0xF);
                            dot += q * i32::from(xq[32 * j + 4 * k + i] as i8);
                        }
                    }
                    isum += i32::from(wb[OFF_SCALES + 8 * j + r]) * dot;
                    let mn = wb[OFF_MINS + 16 * (j / 2) + 2 * r + j % 2];
                    msum += i32::from(mn) * i32::from(m.sums[j]);
                }
                let d = f16_at(wb, 2 * r) * m.d;
                let dmin = f16_at(wb, OFF_DMIN + 2 * r) * m.d;
                acc = (isum as f32).mul_add(d, acc);
                acc_m = (msum as f32).mul_add(dmin, acc_m);
            }
            *res = acc - acc_m;
        }
    }
}
