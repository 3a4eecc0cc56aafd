//! The AVX2 kernel of the packed Q4_K layout: one group of 8 rows times up to
//! [`MAX_NT_K`] tokens.
//!
//! Each 32-byte weight vector holds 4 quants of each of the 8 rows (row `r` in 32-bit lane
//! `r`); the token's 4 matching activation bytes are broadcast to every lane, so `maddubs`
//! leaves each row's partial sums in its own lane. Over a 32-element sub-block the partial
//! sums stay in i16 (at most 8 × 2 × 15 × 128 = 30720 in magnitude), then one `madd` with
//! the 8 rows' scales widens them: one multiply-widen per 8 `maddubs` instead of one each,
//! and the scales are unpacked once per group, not per token. The integer dots are exact;
//! the float steps are those of [`super::q4k::reference_group_dot`], so results are equal
//! bit for bit.

use super::GROUP;
use super::q4k::{BLOCK, KMeta, OFF_DMIN, OFF_MINS, OFF_QS, OFF_SCALES, Q8K_BYTES};
use core::arch::x86_64::*;

/// Tokens one kernel call multiplies with a group at most.
pub(crate) const MAX_NT_K: usize = 4;

/// # Safety
/// Needs AVX2, FMA and F16C. `wg` holds `nb` group super-blocks; `xs` holds `out.len()`
/// (1..=[`MAX_NT_K`]) Q8_K rows of at least `nb` blocks, `xstride` bytes apart; `meta`
/// holds their `out.len() * nb` block metadata.
pub(super) unsafe fn group_dot(
    wg: &[u8],
    xs: &[u8],
    xstride: usize,
    meta: &[KMeta],
    nb: usize,
    out: &mut [[f32; GROUP]],
) {
    let nt = out.len();
    assert!((1..=MAX_NT_K).contains(&nt) && wg.len() >= nb * BLOCK);
    assert!(xstride >= nb * Q8K_BYTES && xs.len() >= (nt - 1) * xstride + nb * Q8K_BYTES);
    assert!(meta.len() >= nt * nb);
    // SAFETY: forwarded contract; the sizes were checked above.
    unsafe {
        match nt {
            1 => group_dot_nt::<1>(wg, xs, xstride, meta, nb, out),
            2 => group_dot_nt::<2>(wg, xs, xstride, meta, nb, out),
            3 => group_dot_nt::<3>(wg, xs, xstride, meta, nb, out),
            _ => group_dot_nt::<MAX_NT_K>(wg, xs, xstride, meta, nb, out),
        }
    }
}

#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn group_dot_nt<const NT: usize>(
    wg: &[u8],
    xs: &[u8],
    xstride: usize,
    meta: &[KMeta],
    nb: usize,
    out: &mut [[f32; GROUP]],
) {
    let (wp, xp, mp) = (wg.as_ptr(), xs.as_ptr(), meta.as_ptr());
    // Spreads the 8 rows' scale bytes (broadcast to each 128-bit half) to i16 pairs: row `r`'s
    // scale in both 16-bit halves of lane `r`.
    let spread = _mm256_setr_epi8(
        0, -1, 0, -1, 1, -1, 1, -1, 2, -1, 2, -1, 3, -1, 3, -1, 4, -1, 4, -1, 5, -1, 5, -1, 6, -1,
        6, -1, 7, -1, 7, -1,
    );
    let mut acc = [_mm256_setzero_ps(); NT];
    let mut acc_m = [_mm256_setzero_ps(); NT];
    // SAFETY: every read is inside one of the group's `nb` super-blocks, one of the `NT`
    // activation rows of `nb` Q8_K blocks or their `NT * nb` metadata (sizes checked by
    // `group_dot`).
    unsafe {
        for b in 0..nb {
            let gb = wp.add(b * BLOCK);
            let xb = xp.add(b * Q8K_BYTES + 4);
            let mut isum = [_mm256_setzero_si256(); NT];
            for c in 0..4 {
                sub_block::<NT, false>(gb, xb, xstride, c, spread, &mut isum);
                sub_block::<NT, true>(gb, xb, xstride, c, spread, &mut isum);
            }
            let dw = _mm256_cvtph_ps(_mm_loadu_si128(gb as *const __m128i));
            let dmw = _mm256_cvtph_ps(_mm_loadu_si128(gb.add(OFF_DMIN) as *const __m128i));
            let mins: [__m256i; 4] = core::array::from_fn(|p| {
                _mm256_cvtepu8_epi16(_mm_loadu_si128(gb.add(OFF_MINS + 16 * p) as *const __m128i))
            });
            for t in 0..NT {
                let m = &*mp.add(t * nb + b);
                let sums = m.sums.as_ptr() as *const i32;
                let mut msum = _mm256_madd_epi16(mins[0], _mm256_set1_epi32(sums.read_unaligned()));
                for (p, mn) in mins.iter().enumerate().skip(1) {
                    let s = _mm256_set1_epi32(sums.add(p).read_unaligned());
                    msum = _mm256_add_epi32(msum, _mm256_madd_epi16(*mn, s));
                }
                let dx = _mm256_set1_ps(m.d);
                acc[t] =
                    _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_mul_ps(dw, dx), acc[t]);
                acc_m[t] =
                    _mm256_fmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_mul_ps(dmw, dx), acc_m[t]);
            }
        }
        for t in 0..NT {
            _mm256_storeu_ps(out[t].as_mut_ptr(), _mm256_sub_ps(acc[t], acc_m[t]));
        }
    }
}

/// Adds sub-block `2c` (`HI` false: the low nibbles) or `2c + 1` (`HI`: the high nibbles) of
/// the group super-block at `gb`, times the scales, to `isum`, for the `NT` tokens whose Q8_K
/// quants start at `xb + t * xstride`.
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn sub_block<const NT: usize, const HI: bool>(
    gb: *const u8,
    xb: *const u8,
    xstride: usize,
    c: usize,
    spread: __m256i,
    isum: &mut [__m256i; NT],
) {
    let j = 2 * c + usize::from(HI);
    // SAFETY: the caller passes a group super-block and `NT` Q8_K blocks to read.
    unsafe {
        let low = _mm256_set1_epi8(0xF);
        let qv = gb.add(OFF_QS + 256 * c);
        let quants = |k: usize| {
            let v = _mm256_loadu_si256(qv.add(32 * k) as *const __m256i);
            if HI {
                _mm256_and_si256(_mm256_srli_epi16(v, 4), low)
            } else {
                _mm256_and_si256(v, low)
            }
        };
        let x4 = |t: usize, k: usize| {
            let p = xb.add(t * xstride + 32 * j + 4 * k) as *const i32;
            _mm256_set1_epi32(p.read_unaligned())
        };
        let q = quants(0);
        let mut s16 = [_mm256_setzero_si256(); NT];
        for (t, s) in s16.iter_mut().enumerate() {
            *s = _mm256_maddubs_epi16(q, x4(t, 0));
        }
        for k in 1..8 {
            let q = quants(k);
            for (t, s) in s16.iter_mut().enumerate() {
                *s = _mm256_add_epi16(*s, _mm256_maddubs_epi16(q, x4(t, k)));
            }
        }
        let sc = (gb.add(OFF_SCALES + 8 * j) as *const i64).read_unaligned();
        let sc = _mm256_shuffle_epi8(_mm256_set1_epi64x(sc), spread);
        for (i, s) in isum.iter_mut().zip(s16) {
            *i = _mm256_add_epi32(*i, _mm256_madd_epi16(s, sc));
        }
    }
}
