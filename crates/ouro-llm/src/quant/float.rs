//! The plain float element types: F32, F16 and BF16 (block size one).

use half::f16;

/// ggml's `ggml_compute_fp32_to_bf16`: quiet NaNs, otherwise round to nearest even.
pub(crate) fn f32_to_bf16(v: f32) -> u16 {
    let u = v.to_bits();
    if (u & 0x7fff_ffff) > 0x7f80_0000 {
        return ((u >> 16) | 64) as u16;
    }
    ((u as u64 + (0x7fff + ((u >> 16) & 1)) as u64) >> 16) as u16
}

/// Widens a bf16 bit pattern to f32 exactly.
#[inline(always)]
pub(crate) fn bf16_to_f32(h: u16) -> f32 {
    f32::from_bits((h as u32) << 16)
}

pub(crate) fn dequant_f32(b: &[u8], d: &mut [f32]) {
    d[0] = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
}

pub(crate) fn dequant_f16(b: &[u8], d: &mut [f32]) {
    d[0] = f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32();
}

pub(crate) fn dequant_bf16(b: &[u8], d: &mut [f32]) {
    d[0] = bf16_to_f32(u16::from_le_bytes([b[0], b[1]]));
}

pub(crate) fn quant_f32(s: &[f32], d: &mut [u8]) {
    d.copy_from_slice(&s[0].to_le_bytes());
}

pub(crate) fn quant_f16(s: &[f32], d: &mut [u8]) {
    d.copy_from_slice(&f16::from_f32(s[0]).to_bits().to_le_bytes());
}

pub(crate) fn quant_bf16(s: &[f32], d: &mut [u8]) {
    d.copy_from_slice(&f32_to_bf16(s[0]).to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bf16_rounds_to_nearest_even_and_quiets_nan() {
        assert_eq!(f32_to_bf16(1.0), 0x3f80);
        // 1 + 2^-8 is exactly half way between two bf16 values: ties go to even.
        assert_eq!(f32_to_bf16(f32::from_bits(0x3f80_8000)), 0x3f80);
        assert_eq!(f32_to_bf16(f32::from_bits(0x3f81_8000)), 0x3f82);
        assert_eq!(f32_to_bf16(f32::from_bits(0x7f80_0001)), 0x7fc0);
        assert_eq!(bf16_to_f32(0xc000), -2.0);
    }
}
