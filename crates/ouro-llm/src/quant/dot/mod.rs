//! Fused dot products of one quantized weight row with up to [`MAX_NT`] activation rows
//! (already quantized to the weight type's vec dot type), and the run-time choice between
//! the portable scalar kernels and the x86 SIMD ones.

mod scalar;

use crate::GgmlType;

/// Most activation rows one kernel call multiplies with a weight row.
pub(crate) const MAX_NT: usize = 4;

/// A fused dot kernel: `out[t] = dot(w, x[t * x_stride..])` for `t < out.len()`, where `w`
/// is a whole row of weight blocks and each activation row holds as many vec-dot-type
/// blocks. `out.len()` is 1..=[`MAX_NT`].
///
/// # Safety
/// SIMD kernels require their CPU features (see [`SimdLevel::is_available`]) and every
/// kernel requires `x` to hold `out.len()` rows of `x_stride` bytes, each at least one
/// full activation row.
pub(crate) type DotFn = unsafe fn(w: &[u8], x: &[u8], x_stride: usize, out: &mut [f32]);

/// A fused dot kernel for two weight rows at once (sharing each activation load):
/// `out[r][t] = dot(w[r], x[t * x_stride..])`, with results identical to [`DotFn`]'s. Both
/// `out` slices have the same length, 1..=[`MAX_NT`].
///
/// # Safety
/// As [`DotFn`]; both rows have the same length.
pub(crate) type Dot2Fn = unsafe fn(w: [&[u8]; 2], x: &[u8], x_stride: usize, out: [&mut [f32]; 2]);

/// An implementation level of the dot kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimdLevel {
    /// Portable Rust, any architecture.
    Scalar,
    /// x86_64 AVX2 + FMA + F16C.
    Avx2,
    /// The AVX2 kernels with AVX-512 VNNI (VL) integer dot products.
    Avx512Vnni,
}

impl SimdLevel {
    /// Whether this CPU can run the level.
    pub fn is_available(self) -> bool {
        match self {
            SimdLevel::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx2 => {
                is_x86_feature_detected!("avx2")
                    && is_x86_feature_detected!("fma")
                    && is_x86_feature_detected!("f16c")
            }
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx512Vnni => {
                SimdLevel::Avx2.is_available()
                    && is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("avx512vl")
                    && is_x86_feature_detected!("avx512vnni")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The best level this CPU runs (detected once).
    pub fn best() -> SimdLevel {
        static BEST: std::sync::OnceLock<SimdLevel> = std::sync::OnceLock::new();
        *BEST.get_or_init(|| {
            [SimdLevel::Avx512Vnni, SimdLevel::Avx2]
                .into_iter()
                .find(|l| l.is_available())
                .unwrap_or(SimdLevel::Scalar)
        })
    }
}

/// The two-row kernel for `ty` at `level`, where one exists (the same contract as [`kernel`]).
pub(crate) fn kernel2(ty: GgmlType, level: SimdLevel) -> Option<Dot2Fn> {
    match level {
        SimdLevel::Scalar => None,
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => super::simd::avx2::kernel2(ty),
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512Vnni => super::simd::vnni::kernel2(ty),
        #[cfg(not(target_arch = "x86_64"))]
        _ => None,
    }
}

/// The kernel for weight type `ty` at `level`, or `None` when there is none. The caller
/// must only use a level whose [`SimdLevel::is_available`] is true.
pub(crate) fn kernel(ty: GgmlType, level: SimdLevel) -> Option<DotFn> {
    match level {
        SimdLevel::Scalar => scalar::kernel(ty),
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => super::simd::avx2::kernel(ty),
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512Vnni => super::simd::vnni::kernel(ty),
        #[cfg(not(target_arch = "x86_64"))]
        _ => None,
    }
}
