//! cuBLAS (libcublas, loaded at run time) for the large matrix products of prompt
//! processing: f16 inputs, f32 accumulation and output, on the device's stream.

use std::sync::Arc;

use cudarc::cublas::CudaBlas;
use cudarc::cublas::result::gemm_ex;
use cudarc::cublas::sys::{cublasComputeType_t, cublasGemmAlgo_t, cublasOperation_t, cudaDataType};
use cudarc::driver::CudaStream;

use super::{CudaError, check_cublas, guarded};

/// A cuBLAS handle bound to one stream.
pub struct Blas {
    blas: CudaBlas,
}

impl std::fmt::Debug for Blas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blas").finish_non_exhaustive()
    }
}

/// One product `C = A·Bᵀ (+ C)` over row-major matrices, by device address:
/// `a` is `m × k` f16 (the weights, `lda = k`), `b` is `n × k` f16 (the activations),
/// `c` is `n × m` f32 with row stride `ldc` (≥ m).
#[derive(Debug, Clone, Copy)]
pub struct Gemm {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub a: u64,
    pub b: u64,
    pub c: u64,
    pub ldc: usize,
    /// Add to C instead of overwriting it.
    pub accumulate: bool,
}

impl Blas {
    /// A handle on `stream` (needs libcublas).
    pub fn new(stream: Arc<CudaStream>) -> Result<Blas, CudaError> {
        guarded(|| {
            check_cublas()?;
            let blas = CudaBlas::new(stream).map_err(|e| CudaError::Cublas(format!("{e:?}")))?;
            Ok(Blas { blas })
        })
    }

    /// Queues `g` on the stream.
    ///
    /// # Safety
    /// The addresses must point to live device memory of the sizes `g` describes.
    pub unsafe fn gemm_f16(&self, g: &Gemm) -> Result<(), CudaError> {
        let dim = |v: usize, what: &str| {
            i32::try_from(v).map_err(|_| CudaError::Invalid(format!("GEMM {what} {v} too large")))
        };
        let (m, n, k, ldc) = (
            dim(g.m, "m")?,
            dim(g.n, "n")?,
            dim(g.k, "k")?,
            dim(g.ldc, "ldc")?,
        );
        let alpha = 1.0f32;
        let beta = if g.accumulate { 1.0f32 } else { 0.0 };
        // Column-major view: C (m × n, ldc) = Aᵀ (A stored k × m, lda = k) · B (k × n, ldb = k).
        guarded(|| {
            // SAFETY: the caller guarantees the buffers; alpha and beta outlive the call.
            unsafe {
                gemm_ex(
                    *self.blas.handle(),
                    cublasOperation_t::CUBLAS_OP_T,
                    cublasOperation_t::CUBLAS_OP_N,
                    m,
                    n,
                    k,
                    (&alpha as *const f32).cast(),
                    g.a as *const std::ffi::c_void,
                    cudaDataType::CUDA_R_16F,
                    k,
                    g.b as *const std::ffi::c_void,
                    cudaDataType::CUDA_R_16F,
                    k,
                    (&beta as *const f32).cast(),
                    g.c as *mut std::ffi::c_void,
                    cudaDataType::CUDA_R_32F,
                    ldc,
                    cublasComputeType_t::CUBLAS_COMPUTE_32F,
                    cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
                )
            }
            .map_err(|e| CudaError::Cublas(format!("{e:?}")))
        })
    }
}
