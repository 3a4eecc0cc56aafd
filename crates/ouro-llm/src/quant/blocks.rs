//! Little-endian field access for ggml block layouts (ggml-common.h).
//!
//! | type | bytes | layout |
//! |------|-------|--------|
//! | q4_0 | 18  | d f16, qs\[16\] |
//! | q4_1 | 20  | d f16, m f16, qs\[16\] |
//! | q5_0 | 22  | d f16, qh u32, qs\[16\] |
//! | q5_1 | 24  | d f16, m f16, qh u32, qs\[16\] |
//! | q8_0 | 34  | d f16, qs i8\[32\] |
//! | q8_1 | 36  | d f16, s f16 (= d * sum qs), qs i8\[32\] |
//! | q4_K | 144 | d f16, dmin f16, scales\[12\], qs\[128\] |
//! | q5_K | 176 | d f16, dmin f16, scales\[12\], qh\[32\], qs\[128\] |
//! | q6_K | 210 | ql\[128\], qh\[64\], scales i8\[16\], d f16 |
//! | q8_K | 292 | d f32, qs i8\[256\], bsums i16\[16\] |

use half::f16;

/// Reads the f16 at `b[off..off + 2]` as f32.
#[inline(always)]
pub(crate) fn f16_at(b: &[u8], off: usize) -> f32 {
    f16::from_bits(u16::from_le_bytes([b[off], b[off + 1]])).to_f32()
}

/// Writes `v` rounded to f16 (round to nearest even, as ggml) at `b[off..off + 2]`.
#[inline(always)]
pub(crate) fn put_f16(b: &mut [u8], off: usize, v: f32) {
    b[off..off + 2].copy_from_slice(&f16::from_f32(v).to_bits().to_le_bytes());
}

/// Reads the little-endian u32 at `b[off..off + 4]`.
#[inline(always)]
pub(crate) fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// Reads the f32 at `b[off..off + 4]`.
#[inline(always)]
pub(crate) fn f32_at(b: &[u8], off: usize) -> f32 {
    f32::from_bits(u32_at(b, off))
}

/// Reads the i16 at `b[off..off + 2]`.
#[inline(always)]
pub(crate) fn i16_at(b: &[u8], off: usize) -> i16 {
    i16::from_le_bytes([b[off], b[off + 1]])
}

/// Unpacks the 6-bit scale and min of sub-block `j` (0..8) of a q4_K/q5_K block's
/// 12 scale bytes (ggml's `get_scale_min_k4`).
#[inline(always)]
pub(crate) fn scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}
