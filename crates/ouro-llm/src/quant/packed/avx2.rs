//! The AVX2 kernel of the packed Q4_0 layout: one group of 8 rows times up to 4 tokens.
//!
//! Each 32-byte weight vector holds 4 quants of each of the 8 rows (row `r` in 32-bit lane
//! `r`); the token's 4 matching activation bytes are broadcast to every lane, so
//! `maddubs` leaves each row's partial sums in its own lane. Partial sums stay in i16 over
//! a block (at most 8 × 2 × 15 × 127 = 30480 in magnitude), then `madd` widens them and the
//! weights' +8 offset is removed with the block's activation sum: the integer dot is exact.

use super::{BlockMeta, GROUP, GROUP_BLOCK, MAX_NT, Q8_0_BLOCK};
use core::arch::x86_64::*;

/// # Safety
/// Needs AVX2, FMA and F16C. `wg` holds `nb` group blocks; `xs` holds `out.len()` (1..=4)
/// Q8_0 rows of `nb` blocks; `meta` their `out.len() * nb` block metadata.
pub(super) unsafe fn group_dot(
    wg: &[u8],
    xs: &[u8],
    meta: &[BlockMeta],
    nb: usize,
    out: &mut [[f32; GROUP]],
) {
    assert!(wg.len() >= nb * GROUP_BLOCK);
    assert!(xs.len() >= out.len() * nb * Q8_0_BLOCK && meta.len() >= out.len() * nb);
    // SAFETY: forwarded contract; the sizes were checked above.
    unsafe {
        match out.len() {
            1 => group_dot_nt::<1>(wg, xs, meta, nb, out),
            2 => group_dot_nt::<2>(wg, xs, meta, nb, out),
            3 => group_dot_nt::<3>(wg, xs, meta, nb, out),
            _ => group_dot_nt::<MAX_NT>(wg, xs, meta, nb, out),
        }
    }
}

#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn group_dot_nt<const NT: usize>(
    wg: &[u8],
    xs: &[u8],
    meta: &[BlockMeta],
    nb: usize,
    out: &mut [[f32; GROUP]],
) {
    let (wp, xp) = (wg.as_ptr(), xs.as_ptr());
    let low = _mm256_set1_epi8(0xF);
    let ones = _mm256_set1_epi16(1);
    let mut acc = [_mm256_setzero_ps(); NT];
    // SAFETY: every read is inside one of the group's `nb` blocks or one of the `NT`
    // activation rows of `nb` blocks (sizes checked by `group_dot`).
    unsafe {
        for b in 0..nb {
            let wb = wp.add(b * GROUP_BLOCK);
            let dw = _mm256_cvtph_ps(_mm_loadu_si128(wb as *const __m128i));
            let mut s16 = [_mm256_setzero_si256(); NT];
            for k in 0..4 {
                let v = _mm256_loadu_si256(wb.add(16 + 32 * k) as *const __m256i);
                let lo = _mm256_and_si256(v, low);
                let hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
                for (t, s) in s16.iter_mut().enumerate() {
                    let xq = xp.add((t * nb + b) * Q8_0_BLOCK + 2 + 8 * k);
                    let xlo = _mm256_set1_epi32((xq as *const i32).read_unaligned());
                    let xhi = _mm256_set1_epi32((xq.add(4) as *const i32).read_unaligned());
                    *s = _mm256_add_epi16(*s, _mm256_maddubs_epi16(lo, xlo));
                    *s = _mm256_add_epi16(*s, _mm256_maddubs_epi16(hi, xhi));
                }
            }
            for (t, a) in acc.iter_mut().enumerate() {
                let m = *meta.get_unchecked(t * nb + b);
                let isum = _mm256_sub_epi32(
                    _mm256_madd_epi16(s16[t], ones),
                    _mm256_set1_epi32(8 * m.sum),
                );
                let d = _mm256_mul_ps(dw, _mm256_set1_ps(m.d));
                *a = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), d, *a);
            }
        }
        for (o, a) in out.iter_mut().zip(acc) {
            _mm256_storeu_ps(o.as_mut_ptr(), a);
        }
    }
}
