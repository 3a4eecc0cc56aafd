//! ggml's quantized tensor formats on the CPU: bit-exact dequantization and reference
//! quantization (llama.cpp's `quantize_row_*_ref` semantics), fused quantized dot products
//! (scalar plus run-time-selected x86 SIMD) and the threaded matrix multiplication that the
//! model code calls for every weight matrix.
//!
//! Block layouts (little-endian, byte offsets) follow ggml-common.h; see [`blocks`].

mod act;
mod blocks;
mod dot;
mod float;
mod kquantize;
mod kquants;
mod legacy;
mod matmul;
mod packed;
#[cfg(target_arch = "x86_64")]
mod simd;

use crate::GgmlType;
use thiserror::Error;

pub use dot::SimdLevel;
pub use matmul::{QMatrix, matmul, vec_dot_type};
pub use packed::{PackedMatrix, matmul_packed};

/// What can go wrong converting or multiplying quantized data.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QuantError {
    /// The operation is not implemented for this element type.
    #[error("{op} is not supported for tensor type {ty}")]
    Unsupported { ty: GgmlType, op: &'static str },
    /// An element count that is not a whole number of the type's blocks.
    #[error("{what}: {n} elements is not a multiple of the {ty} block size {block}")]
    NotBlockMultiple {
        what: &'static str,
        ty: GgmlType,
        n: usize,
        block: usize,
    },
    /// A buffer whose length does not match the shape it is used with.
    #[error("{what}: expected {expected} {unit}, got {got}")]
    LengthMismatch {
        what: &'static str,
        unit: &'static str,
        expected: usize,
        got: usize,
    },
}

/// Bytes taken by `n` elements of `ty`, or the error naming `what` when `n` is not a whole
/// number of blocks.
pub(crate) fn row_bytes(ty: GgmlType, n: usize, what: &'static str) -> Result<usize, QuantError> {
    ty.bytes_for(n as u64)
        .and_then(|b| usize::try_from(b).ok())
        .ok_or(QuantError::NotBlockMultiple {
            what,
            ty,
            n,
            block: ty.block_size(),
        })
}

/// Checks that a buffer has the length its shape needs.
pub(crate) fn check_len(
    what: &'static str,
    unit: &'static str,
    expected: usize,
    got: usize,
) -> Result<(), QuantError> {
    if expected == got {
        Ok(())
    } else {
        Err(QuantError::LengthMismatch {
            what,
            unit,
            expected,
            got,
        })
    }
}

/// Checks a matrix product's buffers: `x` holds `n_tokens` rows of `cols` values and `out`
/// `n_tokens` rows of `rows` values.
pub(crate) fn check_matmul_io(
    rows: usize,
    cols: usize,
    n_tokens: usize,
    x: &[f32],
    out: &[f32],
) -> Result<(), QuantError> {
    check_len(
        "matmul input",
        "f32 values",
        n_tokens.saturating_mul(cols),
        x.len(),
    )?;
    check_len(
        "matmul output",
        "f32 values",
        n_tokens.saturating_mul(rows),
        out.len(),
    )
}

/// Converts `dst.len()` elements of type `ty` stored in `src` to f32.
///
/// `src.len()` must equal `ty.bytes_for(dst.len())`. Supported: F32, F16, BF16, Q4_0,
/// Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q4_K, Q5_K, Q6_K, Q8_K. The results are bit-for-bit
/// those of ggml's `dequantize_row_*`.
pub fn dequantize(ty: GgmlType, src: &[u8], dst: &mut [f32]) -> Result<(), QuantError> {
    let block: fn(&[u8], &mut [f32]) = match ty {
        GgmlType::F32 => float::dequant_f32,
        GgmlType::F16 => float::dequant_f16,
        GgmlType::BF16 => float::dequant_bf16,
        GgmlType::Q4_0 => legacy::dequant_q4_0,
        GgmlType::Q4_1 => legacy::dequant_q4_1,
        GgmlType::Q5_0 => legacy::dequant_q5_0,
        GgmlType::Q5_1 => legacy::dequant_q5_1,
        GgmlType::Q8_0 => legacy::dequant_q8_0,
        GgmlType::Q8_1 => legacy::dequant_q8_1,
        GgmlType::Q4K => kquants::dequant_q4_k,
        GgmlType::Q5K => kquants::dequant_q5_k,
        GgmlType::Q6K => kquants::dequant_q6_k,
        GgmlType::Q8K => kquants::dequant_q8_k,
        _ => {
            return Err(QuantError::Unsupported {
                ty,
                op: "dequantize",
            });
        }
    };
    let bytes = row_bytes(ty, dst.len(), "dequantize destination")?;
    check_len("dequantize source", "bytes", bytes, src.len())?;
    let (bs, ts) = (ty.block_size(), ty.type_size());
    for (b, d) in src.chunks_exact(ts).zip(dst.chunks_exact_mut(bs)) {
        block(b, d);
    }
    Ok(())
}

/// Quantizes `src` into `dst` as type `ty` with llama.cpp's reference quantizers
/// (`quantize_row_*_ref`), byte for byte.
///
/// `dst.len()` must equal `ty.bytes_for(src.len())`. Supported: F32, F16, BF16, Q4_0,
/// Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q4_K, Q5_K, Q6_K, Q8_K.
pub fn quantize(ty: GgmlType, src: &[f32], dst: &mut [u8]) -> Result<(), QuantError> {
    let block: fn(&[f32], &mut [u8]) = match ty {
        GgmlType::F32 => float::quant_f32,
        GgmlType::F16 => float::quant_f16,
        GgmlType::BF16 => float::quant_bf16,
        GgmlType::Q4_0 => legacy::quant_q4_0,
        GgmlType::Q4_1 => legacy::quant_q4_1,
        GgmlType::Q5_0 => legacy::quant_q5_0,
        GgmlType::Q5_1 => legacy::quant_q5_1,
        GgmlType::Q8_0 => legacy::quant_q8_0,
        GgmlType::Q8_1 => legacy::quant_q8_1,
        GgmlType::Q4K => kquantize::quant_q4_k,
        GgmlType::Q5K => kquantize::quant_q5_k,
        GgmlType::Q6K => kquantize::quant_q6_k,
        GgmlType::Q8K => kquantize::quant_q8_k,
        _ => return Err(QuantError::Unsupported { ty, op: "quantize" }),
    };
    let bytes = row_bytes(ty, src.len(), "quantize source")?;
    check_len("quantize destination", "bytes", bytes, dst.len())?;
    let (bs, ts) = (ty.block_size(), ty.type_size());
    for (s, d) in src.chunks_exact(bs).zip(dst.chunks_exact_mut(ts)) {
        block(s, d);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
