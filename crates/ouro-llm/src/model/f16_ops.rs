//! The f16 vector operations of llama.cpp's CPU flash attention, with the same summation
//! order and fused multiply-adds as its AVX2 code, so that results agree bit for bit.
//!
//! The model is sensitive enough that a one-ulp difference in an f16 accumulator can change
//! a greedy token later on; these kernels remove that source of divergence on x86-64 with
//! AVX2, FMA and F16C, and fall back to plain (close, not bit-identical) arithmetic elsewhere.

use half::f16;
use half::slice::HalfFloatSliceExt;

use crate::cpu::has_avx2;

/// `Σ x[i]·y[i]` over f16 vectors, accumulated in f32 (ggml_vec_dot_f16).
pub fn dot_f16(x: &[f16], y: &[f16], tmp: &mut [f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if x.len().is_multiple_of(32) && has_avx2() {
        // SAFETY: the CPU features were checked above.
        return unsafe { avx2::dot_f16(x, y) };
    }
    let n = x.len();
    x.convert_to_f32_slice(&mut tmp[..n]);
    let mut sum = 0.0f64;
    for (a, b) in tmp[..n].iter().zip(y) {
        sum += f64::from(a * b.to_f32());
    }
    sum as f32
}

/// `y[i] = f16(y[i] + x[i]·v)` (ggml_vec_mad_f16).
pub fn mad_f16(y: &mut [f16], x: &[f16], v: f32) {
    #[cfg(target_arch = "x86_64")]
    if y.len().is_multiple_of(32) && has_avx2() {
        // SAFETY: the CPU features were checked above.
        return unsafe { avx2::mad_f16(y, x, v) };
    }
    for (a, b) in y.iter_mut().zip(x) {
        *a = f16::from_f32(b.to_f32().mul_add(v, a.to_f32()));
    }
}

/// `y[i] = f16(y[i]·v)` (ggml_vec_scale_f16).
pub fn scale_f16(y: &mut [f16], v: f32) {
    for a in y.iter_mut() {
        *a = f16::from_f32(a.to_f32() * v);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use half::f16;
    use std::arch::x86_64::*;

    /// # Safety
    /// Needs AVX2, FMA and F16C; `x.len()` a multiple of 32 and `y` at least as long.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub unsafe fn dot_f16(x: &[f16], y: &[f16]) -> f32 {
        assert!(y.len() >= x.len());
        let (px, py) = (x.as_ptr() as *const __m128i, y.as_ptr() as *const __m128i);
        let mut sum = [_mm256_setzero_ps(); 4];
        for i in (0..x.len() / 8).step_by(4) {
            for (j, s) in sum.iter_mut().enumerate() {
                // SAFETY: i + j < x.len() / 8, so each 8-lane load is in bounds.
                let (ax, ay) = unsafe {
                    (
                        _mm256_cvtph_ps(_mm_loadu_si128(px.add(i + j))),
                        _mm256_cvtph_ps(_mm_loadu_si128(py.add(i + j))),
                    )
                };
                *s = _mm256_fmadd_ps(ax, ay, *s);
            }
        }
        let a = _mm256_add_ps(sum[0], sum[2]);
        let b = _mm256_add_ps(sum[1], sum[3]);
        let x0 = _mm256_add_ps(a, b);
        let t0 = _mm_add_ps(_mm256_castps256_ps128(x0), _mm256_extractf128_ps(x0, 1));
        let t1 = _mm_hadd_ps(t0, t0);
        _mm_cvtss_f32(_mm_hadd_ps(t1, t1))
    }

    /// # Safety
    /// Needs AVX2, FMA and F16C; `y.len()` a multiple of 8 and `x` at least as long.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub unsafe fn mad_f16(y: &mut [f16], x: &[f16], v: f32) {
        assert!(x.len() >= y.len());
        let vv = _mm256_set1_ps(v);
        let (px, py) = (x.as_ptr() as *const __m128i, y.as_mut_ptr() as *mut __m128i);
        for i in 0..y.len() / 8 {
            // SAFETY: i < y.len() / 8 <= x.len() / 8: in bounds.
            unsafe {
                let ax = _mm256_cvtph_ps(_mm_loadu_si128(px.add(i)));
                let ay = _mm256_cvtph_ps(_mm_loadu_si128(py.add(i)));
                let r = _mm256_fmadd_ps(ax, vv, ay);
                _mm_storeu_si128(py.add(i), _mm256_cvtps_ph::<0>(r));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_agree_with_plain_arithmetic() {
        let x: Vec<f16> = (0..64)
            .map(|i| f16::from_f32((i as f32 * 0.37).sin()))
            .collect();
        let y: Vec<f16> = (0..64)
            .map(|i| f16::from_f32((i as f32 * 0.11).cos()))
            .collect();
        let exact: f64 = x
            .iter()
            .zip(&y)
            .map(|(a, b)| f64::from(a.to_f32()) * f64::from(b.to_f32()))
            .sum();
        let mut tmp = vec![0.0; 64];
        assert!((f64::from(dot_f16(&x, &y, &mut tmp)) - exact).abs() < 1e-5);
        let mut acc = y.clone();
        mad_f16(&mut acc, &x, 0.5);
        for ((a, &xi), &yi) in acc.iter().zip(&x).zip(&y) {
            assert!((a.to_f32() - (yi.to_f32() + 0.5 * xi.to_f32())).abs() < 2e-3);
        }
        scale_f16(&mut acc, 0.0);
        assert!(acc.iter().all(|a| a.to_f32() == 0.0));
    }
}
