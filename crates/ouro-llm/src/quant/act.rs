//! Quantization of activations to the "vec dot type" of a weight type, done once per
//! matmul call. Q8_0/Q8_1 follow llama.cpp's x86 `quantize_row_q8_{0,1}` (scale
//! `amax / 127`, multiplier `127 / amax`, round half to even) so the integer dot products
//! see the same activations as llama.cpp; Q8_K is `quantize_row_q8_K_ref`.

use super::blocks::put_f16;
use super::float::f32_to_bf16;
use super::kquantize::quant_q8_k;
use crate::GgmlType;
use half::f16;

/// Multiplier and stored scale for one 32-element block, as llama.cpp's AVX2 code.
#[inline(always)]
fn q8_block(x: &[f32], q: &mut [u8]) -> (f32, i32) {
    let amax = x.iter().fold(0.0f32, |a, v| a.max(v.abs()));
    let d = amax / 127.0;
    let id = if amax != 0.0 { 127.0 / amax } else { 0.0 };
    let mut sum = 0;
    for (qi, &v) in q.iter_mut().zip(x) {
        let r = ((v * id).round_ties_even() as i32).clamp(-128, 127);
        sum += r;
        *qi = r as i8 as u8;
    }
    (d, sum)
}

crate::cpu::multiversion! {
    /// Writes `x` (a whole number of blocks of `vdt`) into `dst` as the activation type
    /// `vdt`. `dst.len()` must be `vdt.bytes_for(x.len())`; callers check the shapes.
    pub(crate) fn quantize_act(vdt: GgmlType, x: &[f32], dst: &mut [u8]) => quantize_act_generic
}

#[inline(always)]
fn quantize_act_generic(vdt: GgmlType, x: &[f32], dst: &mut [u8]) {
    match vdt {
        GgmlType::Q8_0 => {
            for (xb, b) in x.chunks_exact(32).zip(dst.chunks_exact_mut(34)) {
                let (d, _) = q8_block(xb, &mut b[2..34]);
                put_f16(b, 0, d);
            }
        }
        GgmlType::Q8_1 => {
            for (xb, b) in x.chunks_exact(32).zip(dst.chunks_exact_mut(36)) {
                let (d, sum) = q8_block(xb, &mut b[4..36]);
                put_f16(b, 0, d);
                put_f16(b, 2, d * sum as f32);
            }
        }
        GgmlType::Q8K => {
            for (xb, b) in x.chunks_exact(256).zip(dst.chunks_exact_mut(292)) {
                quant_q8_k(xb, b);
            }
        }
        GgmlType::F16 => {
            for (v, b) in x.iter().zip(dst.chunks_exact_mut(2)) {
                b.copy_from_slice(&f16::from_f32(*v).to_bits().to_le_bytes());
            }
        }
        GgmlType::BF16 => {
            for (v, b) in x.iter().zip(dst.chunks_exact_mut(2)) {
                b.copy_from_slice(&f32_to_bf16(*v).to_le_bytes());
            }
        }
        _ => {
            for (v, b) in x.iter().zip(dst.chunks_exact_mut(4)) {
                b.copy_from_slice(&v.to_le_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::dequantize;

    #[test]
    fn q8_1_sum_field_matches_quants() {
        let x: Vec<f32> = (0..64)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.13)
            .collect();
        let mut q = vec![0u8; 72];
        quantize_act(GgmlType::Q8_1, &x, &mut q);
        let mut y = vec![0.0f32; 64];
        dequantize(GgmlType::Q8_1, &q, &mut y).unwrap();
        for b in 0..2 {
            let blk = &q[36 * b..36 * b + 36];
            let d = crate::quant::blocks::f16_at(blk, 0);
            let s: i32 = blk[4..].iter().map(|&v| v as i8 as i32).sum();
            let stored = crate::quant::blocks::f16_at(blk, 2);
            assert_eq!(stored, f16::from_f32(d * s as f32).to_f32());
            for j in 0..32 {
                assert!((y[32 * b + j] - x[32 * b + j]).abs() <= d * 0.5 + 1e-6);
            }
        }
    }

    #[test]
    fn q8_0_rounds_half_to_even() {
        // amax 127 gives a multiplier of exactly 1, so 2.5 must round to 2 (not 3).
        let mut x = [0.0f32; 32];
        x[0] = 127.0;
        x[1] = 2.5;
        x[2] = -3.5;
        let mut q = [0u8; 34];
        quantize_act(GgmlType::Q8_0, &x, &mut q);
        assert_eq!(q[2] as i8, 127);
        assert_eq!(q[3] as i8, 2);
        assert_eq!(q[4] as i8, -4);
    }
}
