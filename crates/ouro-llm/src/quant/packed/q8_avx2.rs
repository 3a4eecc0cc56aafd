//! The AVX2 kernels of the Q8_0 / Q5_0 tiles ([`super::q8`]): building a tile from 8 rows
//! (decode each block to 32 signed bytes as the row kernels do, then an 8 × 8 transpose of
//! 32-bit lanes), and one tile times one token.
//!
//! In the product, vector `k` of a block holds 4 quants of each of the 8 rows; the token's
//! 4 matching activation bytes are broadcast to every lane, `sign` moves the weights' signs
//! onto them and `maddubs` + `madd` leave each row's 4-element sum in its own lane, exactly
//! the integer of lane `k` in llama.cpp's `mul_sum_i8_pairs_float`. Each of the 8 vectors
//! accumulates with one FMA per block, as lane `k` of the row kernels' accumulator does.

use super::q8::{BLOCK, OFF_QS};
use super::{BlockMeta, GROUP, Q8_0_BLOCK};
use crate::quant::simd::avx2::{bits32, nibbles};
use core::arch::x86_64::*;

/// Bytes of one Q5_0 block.
const Q5_0_BLOCK: usize = 22;

/// # Safety
/// Needs AVX2, FMA and F16C. `group` holds 8 rows of `nb` Q5_0 blocks (`q5`) or Q8_0 blocks;
/// `tile` at least `nb` tile blocks.
pub(super) unsafe fn build_tile(q5: bool, group: &[u8], nb: usize, tile: &mut [u8]) {
    let bsz = if q5 { Q5_0_BLOCK } else { Q8_0_BLOCK };
    assert!(group.len() >= GROUP * nb * bsz && tile.len() >= nb * BLOCK);
    // SAFETY: forwarded contract; the sizes were checked above.
    unsafe {
        if q5 {
            build_tile_with::<true>(group, nb, tile)
        } else {
            build_tile_with::<false>(group, nb, tile)
        }
    }
}

#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn build_tile_with<const Q5: bool>(group: &[u8], nb: usize, tile: &mut [u8]) {
    let bsz = if Q5 { Q5_0_BLOCK } else { Q8_0_BLOCK };
    let (gp, tp) = (group.as_ptr(), tile.as_mut_ptr());
    // SAFETY: reads stay inside the 8 rows of `nb` blocks, writes inside `nb` tile blocks
    // (sizes checked by `build_tile`).
    unsafe {
        for b in 0..nb {
            let mut d = [0u16; GROUP];
            let v: [__m256i; GROUP] = core::array::from_fn(|r| {
                let src = gp.add((r * nb + b) * bsz);
                d[r] = (src as *const u16).read_unaligned();
                if Q5 {
                    // As the row kernel: the fifth bit clear means the quant minus 16 < 0.
                    _mm256_or_si256(
                        nibbles(src.add(6)),
                        _mm256_andnot_si256(bits32(src.add(2)), _mm256_set1_epi8(0xF0u8 as i8)),
                    )
                } else {
                    _mm256_loadu_si256(src.add(2) as *const __m256i)
                }
            });
            let tb = tp.add(b * BLOCK);
            let dw = _mm256_cvtph_ps(_mm_loadu_si128(d.as_ptr() as *const __m128i));
            _mm256_storeu_ps(tb as *mut f32, dw);
            for (k, q) in transpose(v).into_iter().enumerate() {
                let o = tb.add(OFF_QS + 64 * k);
                _mm256_storeu_si256(o as *mut __m256i, q);
                _mm256_storeu_si256(o.add(32) as *mut __m256i, _mm256_sign_epi8(q, q));
            }
        }
    }
}

/// The 8 × 8 transpose of 32-bit lanes: lane `r` of output `k` is lane `k` of input `r`.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
fn transpose(v: [__m256i; GROUP]) -> [__m256i; GROUP] {
    // Pairs of rows interleaved by 32 bits, then by 64 bits: each 128-bit half of `c[i]`
    // holds one 4 × 4 block of the result.
    let a: [__m256i; GROUP] = core::array::from_fn(|i| {
        let (x, y) = (v[2 * (i / 2)], v[2 * (i / 2) + 1]);
        if i % 2 == 0 {
            _mm256_unpacklo_epi32(x, y)
        } else {
            _mm256_unpackhi_epi32(x, y)
        }
    });
    let c: [__m256i; GROUP] = core::array::from_fn(|i| {
        let (p, j) = (4 * (i / 4), i % 4);
        let (x, y) = (a[p + j % 2], a[p + 2 + j % 2]);
        if j < 2 {
            _mm256_unpacklo_epi64(x, y)
        } else {
            _mm256_unpackhi_epi64(x, y)
        }
    });
    // `c[j]` (rows 0-3) and `c[4 + j]` (rows 4-7) hold lanes (0, 4), (2, 6), (1, 5), (3, 7)
    // for j = 0..4, one in each 128-bit half.
    core::array::from_fn(|k| {
        let j = [0, 2, 1, 3][k % 4];
        if k < 4 {
            _mm256_permute2x128_si256(c[j], c[4 + j], 0x20)
        } else {
            _mm256_permute2x128_si256(c[j], c[4 + j], 0x31)
        }
    })
}

/// # Safety
/// Needs AVX2, FMA and F16C. `tile` holds `nb` tile blocks, `xs` one Q8_0 row of `nb`
/// blocks and `meta` their `nb` metadata.
pub(super) unsafe fn tile_dot(
    tile: &[u8],
    xs: &[u8],
    meta: &[BlockMeta],
    nb: usize,
    out: &mut [f32; GROUP],
) {
    assert!(tile.len() >= nb * BLOCK && xs.len() >= nb * Q8_0_BLOCK && meta.len() >= nb);
    // SAFETY: forwarded contract; the sizes were checked above.
    unsafe { tile_dot_avx2(tile, xs, meta, nb, out) }
}

#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn tile_dot_avx2(
    tile: &[u8],
    xs: &[u8],
    meta: &[BlockMeta],
    nb: usize,
    out: &mut [f32; GROUP],
) {
    let (tp, xp) = (tile.as_ptr(), xs.as_ptr());
    let ones = _mm256_set1_epi16(1);
    let mut acc = [_mm256_setzero_ps(); 8];
    // SAFETY: reads stay inside `nb` tile blocks, `nb` activation blocks and `nb` metadata
    // (sizes checked by `tile_dot`).
    unsafe {
        for b in 0..nb {
            let tb = tp.add(b * BLOCK);
            let xq = xp.add(b * Q8_0_BLOCK + 2);
            let d = _mm256_mul_ps(
                _mm256_loadu_ps(tb as *const f32),
                _mm256_set1_ps(meta.get_unchecked(b).d),
            );
            for (k, a) in acc.iter_mut().enumerate() {
                let q = _mm256_loadu_si256(tb.add(OFF_QS + 64 * k) as *const __m256i);
                let aq = _mm256_loadu_si256(tb.add(OFF_QS + 64 * k + 32) as *const __m256i);
                let x = _mm256_set1_epi32((xq.add(4 * k) as *const i32).read_unaligned());
                let p = _mm256_madd_epi16(_mm256_maddubs_epi16(aq, _mm256_sign_epi8(x, q)), ones);
                *a = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), *a);
            }
        }
        let s: [__m256; 4] = core::array::from_fn(|i| _mm256_add_ps(acc[i], acc[i + 4]));
        let r = _mm256_add_ps(_mm256_add_ps(s[0], s[2]), _mm256_add_ps(s[1], s[3]));
        _mm256_storeu_ps(out.as_mut_ptr(), r);
    }
}
