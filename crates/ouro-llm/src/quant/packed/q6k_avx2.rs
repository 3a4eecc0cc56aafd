//! The AVX2 kernel of the packed Q6_K layout: one group of 8 rows times up to
//! [`super::q4k_avx2::MAX_NT_K`] tokens.
//!
//! As for Q4_K, row `r`'s 4 quants sit in 32-bit lane `r` of each weight vector and the
//! token's 4 matching activation bytes are broadcast to every lane. A 16-element sub-block
//! is 4 `maddubs`; two of them are summed in i16 (at most 2 × 2 × 63 × 128 = 32256 in
//! magnitude) before one `madd` with the rows' scales widens them. The stored quants carry
//! Q6_K's +32 offset, removed once per super-block with the activation block sums (one
//! `madd` per pair of sub-blocks). The integer sums are exact; the float steps are those of
//! [`super::q6k::reference_group_dot`], so results are equal bit for bit.

use super::GROUP;
use super::q4k_avx2::MAX_NT_K;
use super::q6k::{BLOCK, OFF_QS, OFF_SCALES};
use core::arch::x86_64::*;

/// Bytes of one Q8_K block.
const Q8K_BYTES: usize = 292;

/// # Safety
/// Needs AVX2, FMA and F16C. `wg` holds `nb` group super-blocks; `xs` holds `out.len()`
/// (1..=[`MAX_NT_K`]) Q8_K rows of at least `nb` blocks, `xstride` bytes apart.
pub(super) unsafe fn group_dot(
    wg: &[u8],
    xs: &[u8],
    xstride: usize,
    nb: usize,
    out: &mut [[f32; GROUP]],
) {
    let nt = out.len();
    assert!((1..=MAX_NT_K).contains(&nt) && wg.len() >= nb * BLOCK);
    assert!(xstride >= nb * Q8K_BYTES && xs.len() >= (nt - 1) * xstride + nb * Q8K_BYTES);
    // SAFETY: forwarded contract; the sizes were checked above.
    unsafe {
        match nt {
            1 => group_dot_nt::<1>(wg, xs, xstride, nb, out),
            2 => group_dot_nt::<2>(wg, xs, xstride, nb, out),
            3 => group_dot_nt::<3>(wg, xs, xstride, nb, out),
            _ => group_dot_nt::<MAX_NT_K>(wg, xs, xstride, nb, out),
        }
    }
}

#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn group_dot_nt<const NT: usize>(
    wg: &[u8],
    xs: &[u8],
    xstride: usize,
    nb: usize,
    out: &mut [[f32; GROUP]],
) {
    let (wp, xp) = (wg.as_ptr(), xs.as_ptr());
    let mut acc = [_mm256_setzero_ps(); NT];
    // SAFETY: every read is inside one of the group's `nb` super-blocks or one of the `NT`
    // activation rows of `nb` Q8_K blocks (sizes checked by `group_dot`).
    unsafe {
        for b in 0..nb {
            let gb = wp.add(b * BLOCK);
            let xb = xp.add(b * Q8K_BYTES);
            let mut isum = [_mm256_setzero_si256(); NT];
            let mut corr = [_mm256_setzero_si256(); NT];
            for p in 0..8 {
                // Lane r: row r's scales of sub-blocks 2p and 2p + 1, as i16.
                let pair = _mm256_cvtepi8_epi16(_mm_loadu_si128(
                    gb.add(OFF_SCALES + 16 * p) as *const __m128i
                ));
                for (t, c) in corr.iter_mut().enumerate() {
                    let bs = xb.add(t * xstride + 260 + 4 * p) as *const i32;
                    let bs = _mm256_set1_epi32(bs.read_unaligned());
                    *c = _mm256_add_epi32(*c, _mm256_madd_epi16(pair, bs));
                }
                for h in 0..2 {
                    let j = 2 * p + h;
                    let sc = if h == 0 {
                        _mm256_shufflehi_epi16(_mm256_shufflelo_epi16(pair, 0xA0), 0xA0)
                    } else {
                        _mm256_shufflehi_epi16(_mm256_shufflelo_epi16(pair, 0xF5), 0xF5)
                    };
                    let qv = gb.add(OFF_QS + 128 * j);
                    let q: [__m256i; 4] = core::array::from_fn(|k| {
                        _mm256_loadu_si256(qv.add(32 * k) as *const __m256i)
                    });
                    for (t, s) in isum.iter_mut().enumerate() {
                        let xq = xb.add(t * xstride + 4 + 16 * j);
                        let x4 = |k: usize| {
                            _mm256_set1_epi32((xq.add(4 * k) as *const i32).read_unaligned())
                        };
                        let lo = _mm256_add_epi16(
                            _mm256_maddubs_epi16(q[0], x4(0)),
                            _mm256_maddubs_epi16(q[1], x4(1)),
                        );
                        let hi = _mm256_add_epi16(
                            _mm256_maddubs_epi16(q[2], x4(2)),
                            _mm256_maddubs_epi16(q[3], x4(3)),
                        );
                        let v =
                            _mm256_add_epi32(_mm256_madd_epi16(lo, sc), _mm256_madd_epi16(hi, sc));
                        *s = _mm256_add_epi32(*s, v);
                    }
                }
            }
            let dw = _mm256_cvtph_ps(_mm_loadu_si128(gb as *const __m128i));
            for t in 0..NT {
                let s = _mm256_sub_epi32(isum[t], _mm256_slli_epi32(corr[t], 5));
                let dx = _mm256_set1_ps((xb.add(t * xstride) as *const f32).read_unaligned());
                acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(dw, dx), acc[t]);
            }
        }
        for t in 0..NT {
            _mm256_storeu_ps(out[t].as_mut_ptr(), acc[t]);
        }
    }
}
