//! The model's tensors on the GPU: matrices uploaded as-is (quantized blocks), matrices
//! that share an input (Q, K and V; gate and up) placed back to back when their types
//! match, so one kernel launch computes them all; norm weights and biases as f32.

use std::sync::Arc;

use ouro_compute::cuda::{CudaError, DeviceBuffer, DevicePool};

use super::super::ModelError;
use super::super::weights::Matrix;
use super::CudaModelError;
use super::kernels::type_suffix;
use crate::GgmlType;
use crate::gguf::GgufFile;

/// A run of weight rows of one type in one device buffer, writing output columns
/// `out_offset..out_offset + rows`.
#[derive(Debug)]
pub struct Part {
    pub ty: GgmlType,
    pub rows: usize,
    pub cols: usize,
    pub row_bytes: usize,
    pub out_offset: usize,
    pub data: DeviceBuffer,
    pub bias: Option<DeviceBuffer>,
}

/// A linear layer: one or more parts over the same input.
#[derive(Debug)]
pub struct Linear {
    pub parts: Vec<Part>,
    pub cols: usize,
}

impl Linear {
    /// Bytes of weights read per token.
    pub fn bytes(&self) -> u64 {
        self.parts
            .iter()
            .map(|p| (p.rows * p.row_bytes) as u64)
            .sum()
    }
}

/// Uploads `f32` values.
pub fn upload_f32(pool: &Arc<DevicePool>, values: &[f32]) -> Result<DeviceBuffer, CudaError> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut buf = pool.buffer(bytes.len())?;
    buf.upload(0, &bytes)?;
    Ok(buf)
}

/// Uploads the matrices `mats` (all with the same number of columns), each with an optional
/// bias, as one linear layer whose output is their outputs side by side.
pub fn upload_linear(
    pool: &Arc<DevicePool>,
    file: &GgufFile,
    mats: &[(&Matrix, Option<&[f32]>)],
) -> Result<Linear, CudaModelError> {
    let cols = mats.first().map_or(0, |(m, _)| m.cols);
    let mut parts: Vec<Part> = Vec::new();
    let mut out_offset = 0;
    let mut i = 0;
    while i < mats.len() {
        let ty = mats[i].0.info.ty;
        if type_suffix(ty).is_none() {
            return Err(CudaModelError::UnsupportedType {
                tensor: mats[i].0.info.name.clone(),
                ty,
            });
        }
        let mut j = i;
        while j < mats.len() && mats[j].0.info.ty == ty {
            j += 1;
        }
        let group = &mats[i..j];
        let views = group
            .iter()
            .map(|(m, _)| m.view(file))
            .collect::<Result<Vec<_>, ModelError>>()?;
        let total: usize = views.iter().map(|v| v.data.len()).sum();
        let mut data = pool.buffer(total)?;
        let mut off = 0;
        for v in &views {
            data.upload(off, v.data)?;
            off += v.data.len();
        }
        let rows: usize = group.iter().map(|(m, _)| m.rows).sum();
        let bias = if group.iter().any(|(_, b)| b.is_some()) {
            let mut all = Vec::with_capacity(rows);
            for (m, b) in group {
                match b {
                    Some(b) => all.extend_from_slice(b),
                    None => all.extend(std::iter::repeat_n(0.0, m.rows)),
                }
            }
            Some(upload_f32(pool, &all)?)
        } else {
            None
        };
        parts.push(Part {
            ty,
            rows,
            cols,
            row_bytes: total / rows.max(1),
            out_offset,
            data,
            bias,
        });
        out_offset += rows;
        i = j;
    }
    Ok(Linear { parts, cols })
}
