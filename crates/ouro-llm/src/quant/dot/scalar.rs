//! Portable fused dot kernels, following ggml's generic `ggml_vec_dot_*` arithmetic: an
//! exact integer sum per block, then one float multiply-add with the block scales.

use super::DotFn;
use crate::GgmlType;
use crate::quant::blocks::{f16_at, f32_at, i16_at, scale_min_k4, u32_at};
use crate::quant::float::bf16_to_f32;

pub(super) fn kernel(ty: GgmlType) -> Option<DotFn> {
    let f: DotFn = match ty {
        GgmlType::F32 => each_token::<F32>,
        GgmlType::F16 => each_token::<F16>,
        GgmlType::BF16 => each_token::<Bf16>,
        GgmlType::Q4_0 => each_token::<Q4_0>,
        GgmlType::Q4_1 => each_token::<Q4_1>,
        GgmlType::Q5_0 => each_token::<Q5_0>,
        GgmlType::Q5_1 => each_token::<Q5_1>,
        GgmlType::Q8_0 => each_token::<Q8_0>,
        GgmlType::Q4K => each_token::<Q4K>,
        GgmlType::Q5K => each_token::<Q5K>,
        GgmlType::Q6K => each_token::<Q6K>,
        _ => return None,
    };
    Some(f)
}

/// One weight-block format's scalar dot with one activation block.
trait BlockDot {
    /// Bytes of one weight block and of the matching activation block.
    const W: usize;
    const X: usize;
    /// The contribution of one block pair.
    fn block(w: &[u8], x: &[u8]) -> f32;
}

/// # Safety
/// Always safe; `unsafe` only to fit [`DotFn`].
unsafe fn each_token<K: BlockDot>(w: &[u8], x: &[u8], x_stride: usize, out: &mut [f32]) {
    let nb = w.len() / K::W;
    for (t, o) in out.iter_mut().enumerate() {
        let xr = &x[t * x_stride..t * x_stride + nb * K::X];
        *o = w
            .chunks_exact(K::W)
            .zip(xr.chunks_exact(K::X))
            .fold(0.0f32, |acc, (wb, xb)| acc + K::block(wb, xb));
    }
}

/// Sum of `w[j] * x[j]` over 32 signed weights given by `q(j)` and a q8 block's quants.
#[inline(always)]
fn isum32(q: impl Fn(usize) -> i32, x: &[u8]) -> i32 {
    (0..32).map(|j| q(j) * x[j] as i8 as i32).sum()
}

struct Q4_0;
impl BlockDot for Q4_0 {
    const W: usize = 18;
    const X: usize = 34;
    fn block(w: &[u8], x: &[u8]) -> f32 {
        let q = |j: usize| {
            let b = w[2 + (j & 15)];
            (if j < 16 { b & 0xF } else { b >> 4 }) as i32 - 8
        };
        isum32(q, &x[2..]) as f32 * (f16_at(w, 0) * f16_at(x, 0))
    }
}

struct Q4_1;
impl BlockDot for Q4_1 {
    const W: usize = 20;
    const X: usize = 36;
    fn block(w: &[u8], x: &[u8]) -> f32 {
        let q = |j: usize| {
            let b = w[4 + (j & 15)];
            (if j < 16 { b & 0xF } else { b >> 4 }) as i32
        };
        let sumi = isum32(q, &x[4..]);
        (f16_at(w, 0) * f16_at(x, 0)) * sumi as f32 + f16_at(w, 2) * f16_at(x, 2)
    }
}

/// The five-bit value `j` of a q5_0/q5_1 block with quants at `qs` and high bits `qh`.
#[inline(always)]
fn q5(qs: &[u8], qh: u32, j: usize) -> i32 {
    let b = qs[j & 15];
    let lo = if j < 16 { b & 0xF } else { b >> 4 };
    (lo as u32 | (((qh >> j) & 1) << 4)) as i32
}

struct Q5_0;
impl BlockDot for Q5_0 {
    const W: usize = 22;
    const X: usize = 34;
    fn block(w: &[u8], x: &[u8]) -> f32 {
        let qh = u32_at(w, 2);
        let sumi = isum32(|j| q5(&w[6..], qh, j) - 16, &x[2..]);
        sumi as f32 * (f16_at(w, 0) * f16_at(x, 0))
    }
}

struct Q5_1;
impl BlockDot for Q5_1 {
    const W: usize = 24;
    const X: usize = 36;
    fn block(w: &[u8], x: &[u8]) -> f32 {
        let qh = u32_at(w, 4);
        let sumi = isum32(|j| q5(&w[8..], qh, j), &x[4..]);
        (f16_at(w, 0) * f16_at(x, 0)) * sumi as f32 + f16_at(w, 2) * f16_at(x, 2)
    }
}

struct Q8_0;
impl BlockDot for Q8_0 {
    const W: usize = 34;
    const X: usize = 34;
    fn block(w: &[u8], x: &[u8]) -> f32 {
        let sumi = isum32(|j| w[2 + j] as i8 as i32, &x[2..]);
        sumi as f32 * (f16_at(w, 0) * f16_at(x, 0))
    }
}

/// Σ over the 8 sub-blocks of a q4_K/q5_K block: (Σ scale·q·y, Σ min·bsum), with `q(e)`
/// the unsigned quant of element `e`.
#[inline(always)]
fn k4_sums(scales: &[u8], x: &[u8], q: impl Fn(usize) -> i32) -> (i32, i32) {
    let (mut sumi, mut summ) = (0i32, 0i32);
    for j in 0..8 {
        let (sc, m) = scale_min_k4(j, scales);
        let s: i32 = (0..32)
            .map(|l| q(32 * j + l) * x[4 + 32 * j + l] as i8 as i32)
            .sum();
        sumi += sc as i32 * s;
        let bs = i16_at(x, 260 + 4 * j) as i32 + i16_at(x, 262 + 4 * j) as i32;
        summ += m as i32 * bs;
    }
    (sumi, summ)
}

struct Q4K;
impl BlockDot for Q4K {
    const W: usize = 144;
    const X: usize = 292;
    fn block(w: &[u8], x: &[u8]) -> f32 {
        let q = |e: usize| {
            let b = w[16 + 32 * (e / 64) + (e % 32)];
            (if e % 64 < 32 { b & 0xF } else { b >> 4 }) as i32
        };
        let (sumi, summ) = k4_sums(&w[4..16], x, q);
        let yd = f32_at(x, 0);
        yd * f16_at(w, 0) * sumi as f32 - yd * f16_at(w, 2) * summ as f32
    }
}

struct Q5K;
impl BlockDot for Q5K {
    const W: usize = 176;
    const X: usize = 292;
    fn block(w: &[u8], x: &[u8]) -> f32 {
        let q = |e: usize| {
            let b = w[48 + 32 * (e / 64) + (e % 32)];
            let lo = if e % 64 < 32 { b & 0xF } else { b >> 4 };
            let hi = (w[16 + e % 32] >> (e / 32)) & 1;
            (lo | (hi << 4)) as i32
        };
        let (sumi, summ) = k4_sums(&w[4..16], x, q);
        let yd = f32_at(x, 0);
        yd * f16_at(w, 0) * sumi as f32 - yd * f16_at(w, 2) * summ as f32
    }
}

struct Q6K;
impl BlockDot for Q6K {
    const W: usize = 210;
    const X: usize = 292;
    fn block(w: &[u8], x: &[u8]) -> f32 {
        let mut sumi = 0i32;
        for e in 0..256 {
            let (n, r) = (e / 128, e % 128);
            let (k, l) = (r / 32, r % 32);
            let ql = w[64 * n + l + 32 * (k & 1)];
            let lo = if k < 2 { ql & 0xF } else { ql >> 4 };
            let hi = (w[128 + 32 * n + l] >> (2 * k)) & 3;
            let q = (lo | (hi << 4)) as i32 - 32;
            let sc = w[192 + e / 16] as i8 as i32;
            sumi += sc * q * x[4 + e] as i8 as i32;
        }
        f32_at(x, 0) * f16_at(w, 208) * sumi as f32
    }
}

/// Dot of plain float rows; the block is one element, accumulated over the row by the
/// caller's fold.
struct F32;
impl BlockDot for F32 {
    const W: usize = 4;
    const X: usize = 4;
    fn block(w: &[u8], x: &[u8]) -> f32 {
        f32_at(w, 0) * f32_at(x, 0)
    }
}

struct F16;
impl BlockDot for F16 {
    const W: usize = 2;
    const X: usize = 2;
    fn block(w: &[u8], x: &[u8]) -> f32 {
        f16_at(w, 0) * f16_at(x, 0)
    }
}

struct Bf16;
impl BlockDot for Bf16 {
    const W: usize = 2;
    const X: usize = 2;
    fn block(w: &[u8], x: &[u8]) -> f32 {
        let b = |s: &[u8]| bf16_to_f32(u16::from_le_bytes([s[0], s[1]]));
        b(w) * b(x)
    }
}
