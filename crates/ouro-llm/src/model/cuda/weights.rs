//! The model's tensors on the GPU: quantized matrices as their blocks (the legacy types'
//! rows split into block heads and quant arrays, see [`SplitLayout`], and q6_K's rearranged
//! likewise, see [`Q6kLayout`]), matrices that share
//! an input (Q, K and V; gate and up) placed back to back when their types match, so one
//! kernel launch computes them all; norm weights and biases as f32.

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

/// How the rows of a legacy quant type are laid out on the GPU: the row's block heads (scale,
/// min, high bits: `head` bytes each) side by side, padded to 16 bytes, then its blocks'
/// quant arrays (`quants` bytes each), so that the kernels read quants with aligned 16-byte
/// loads (a file's 18-byte Q4_0 blocks only allow 2-byte ones). kernels.cu's `quants()`
/// addresses the same layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitLayout {
    pub head: usize,
    pub quants: usize,
}

impl SplitLayout {
    /// The layout of `ty`, or `None` for types kept as in the file (K-quants, floats).
    pub fn of(ty: GgmlType) -> Option<SplitLayout> {
        let (head, quants) = match ty {
            GgmlType::Q4_0 => (2, 16),
            GgmlType::Q4_1 => (4, 16),
            GgmlType::Q5_0 => (6, 16),
            GgmlType::Q5_1 => (8, 16),
            GgmlType::Q8_0 => (2, 32),
            _ => return None,
        };
        Some(SplitLayout { head, quants })
    }

    fn block(self) -> usize {
        self.head + self.quants
    }

    /// Bytes of one split row of `blocks` blocks (a multiple of 16).
    pub fn row_bytes(self, blocks: usize) -> usize {
        (blocks * self.head).next_multiple_of(16) + blocks * self.quants
    }

    /// Splits whole rows of file blocks (`src`, rows of `blocks` blocks) into `dst`, rows of
    /// [`Self::row_bytes`]; padding bytes are zero.
    pub fn split_rows(self, src: &[u8], blocks: usize, dst: &mut [u8]) {
        let (in_row, out_row) = (blocks * self.block(), self.row_bytes(blocks));
        let heads_len = out_row - blocks * self.quants;
        for (s, d) in src.chunks_exact(in_row).zip(dst.chunks_exact_mut(out_row)) {
            let (heads, quants) = d.split_at_mut(heads_len);
            heads.fill(0);
            for ((b, h), q) in s
                .chunks_exact(self.block())
                .zip(heads.chunks_exact_mut(self.head))
                .zip(quants.chunks_exact_mut(self.quants))
            {
                h.copy_from_slice(&b[..self.head]);
                q.copy_from_slice(&b[self.head..]);
            }
        }
    }
}

/// How the rows of q6_K matrices are laid out on the GPU: the row's super-blocks' 16 scale
/// bytes side by side, then their f16 scales `d` (padded to 16 bytes), then their 192 quant
/// bytes (`ql` then `qh`, as in the file), so that the kernels load quants and scales 16
/// bytes at a time (a file's 210-byte super-blocks only allow 2-byte loads). kernels.cu's
/// `q6_qoff()` addresses the same layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Q6kLayout;

impl Q6kLayout {
    /// Bytes of one rearranged row of `blocks` super-blocks (a multiple of 16).
    pub fn row_bytes(self, blocks: usize) -> usize {
        16 * blocks + (2 * blocks).next_multiple_of(16) + 192 * blocks
    }

    /// Rearranges whole rows of file super-blocks (`src`, rows of `blocks` super-blocks of
    /// 210 bytes) into `dst`, rows of [`Self::row_bytes`]; padding bytes are zero.
    pub fn convert_rows(self, src: &[u8], blocks: usize, dst: &mut [u8]) {
        let (in_row, out_row) = (blocks * 210, self.row_bytes(blocks));
        let quants_at = out_row - 192 * blocks;
        for (s, d) in src.chunks_exact(in_row).zip(dst.chunks_exact_mut(out_row)) {
            let (heads, quants) = d.split_at_mut(quants_at);
            let (scales, ds) = heads.split_at_mut(16 * blocks);
            ds.fill(0);
            for (i, b) in s.chunks_exact(210).enumerate() {
                quants[192 * i..][..192].copy_from_slice(&b[..192]);
                scales[16 * i..][..16].copy_from_slice(&b[192..208]);
                ds[2 * i..][..2].copy_from_slice(&b[208..210]);
            }
        }
    }
}

/// How a matrix type's rows are stored on the GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowLayout {
    /// As in the file.
    File,
    Split(SplitLayout),
    Q6k(Q6kLayout),
}

impl RowLayout {
    fn of(ty: GgmlType) -> RowLayout {
        match (SplitLayout::of(ty), ty) {
            (Some(l), _) => RowLayout::Split(l),
            (None, GgmlType::Q6K) => RowLayout::Q6k(Q6kLayout),
            _ => RowLayout::File,
        }
    }

    /// Bytes of one GPU row of `blocks` blocks, or `None` when rows stay as in the file.
    fn row_bytes(self, blocks: usize) -> Option<usize> {
        match self {
            RowLayout::File => None,
            RowLayout::Split(l) => Some(l.row_bytes(blocks)),
            RowLayout::Q6k(l) => Some(l.row_bytes(blocks)),
        }
    }

    fn convert_rows(self, src: &[u8], blocks: usize, dst: &mut [u8]) {
        match self {
            RowLayout::File => dst.copy_from_slice(src),
            RowLayout::Split(l) => l.split_rows(src, blocks, dst),
            RowLayout::Q6k(l) => l.convert_rows(src, blocks, dst),
        }
    }
}

/// Uploads `src` (whole rows of `ty`, each `cols` wide) at `offset` of `data`, rearranged
/// as [`SplitLayout`] and [`Q6kLayout`] say for their types (spread over the CPU's cores,
/// rows at a time); returns the bytes written.
fn upload_rows(
    data: &mut DeviceBuffer,
    offset: usize,
    src: &[u8],
    ty: GgmlType,
    cols: usize,
) -> Result<usize, CudaError> {
    let layout = RowLayout::of(ty);
    let blocks = cols / ty.block_size();
    let Some(out_row) = layout.row_bytes(blocks) else {
        data.upload(offset, src)?;
        return Ok(src.len());
    };
    let in_row = blocks * ty.type_size();
    let rows = src.len() / in_row.max(1);
    let mut split = vec![0u8; rows * out_row];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = rows.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for (s, d) in src
            .chunks(per * in_row)
            .zip(split.chunks_mut(per * out_row))
        {
            scope.spawn(move || layout.convert_rows(s, blocks, d));
        }
    });
    data.upload(offset, &split)?;
    Ok(split.len())
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
        let rows: usize = group.iter().map(|(m, _)| m.rows).sum();
        let total = match RowLayout::of(ty).row_bytes(cols / ty.block_size()) {
            Some(row_bytes) => rows * row_bytes,
            None => views.iter().map(|v| v.data.len()).sum(),
        };
        let mut data = pool.buffer(total)?;
        let mut off = 0;
        for v in &views {
            off += upload_rows(&mut data, off, v.data, ty, cols)?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_rows_put_heads_first_and_quants_16_byte_aligned() {
        let layout = SplitLayout::of(GgmlType::Q4_0).unwrap();
        // Two rows of three 18-byte blocks: block b of row r is filled with 10 * r + b.
        let src: Vec<u8> = (0..2)
            .flat_map(|r| (0..3).flat_map(move |b| [10 * r + b; 18]))
            .collect();
        let row = layout.row_bytes(3);
        assert_eq!(row, 16 + 48);
        let mut dst = vec![0xAAu8; 2 * row];
        layout.split_rows(&src, 3, &mut dst);
        for r in 0..2u8 {
            let d = &dst[r as usize * row..][..row];
            assert_eq!(
                &d[..6],
                &[
                    10 * r,
                    10 * r,
                    10 * r + 1,
                    10 * r + 1,
                    10 * r + 2,
                    10 * r + 2
                ]
            );
            assert!(d[6..16].iter().all(|&b| b == 0), "padding is zeroed");
            for b in 0..3u8 {
                assert!(
                    d[16 + 16 * b as usize..][..16]
                        .iter()
                        .all(|&x| x == 10 * r + b)
                );
            }
        }
    }

    #[test]
    fn rows_of_eight_blocks_keep_their_size() {
        for ty in [
            GgmlType::Q4_0,
            GgmlType::Q4_1,
            GgmlType::Q5_0,
            GgmlType::Q5_1,
            GgmlType::Q8_0,
        ] {
            let layout = SplitLayout::of(ty).unwrap();
            assert_eq!(layout.row_bytes(128), 128 * ty.type_size(), "{ty}");
            assert_eq!(layout.block(), ty.type_size(), "{ty}");
        }
        assert_eq!(SplitLayout::of(GgmlType::Q4K), None);
        assert_eq!(RowLayout::of(GgmlType::Q4K), RowLayout::File);
        assert_eq!(Q6kLayout.row_bytes(16), 16 * 210);
        assert_eq!(Q6kLayout.row_bytes(43) % 16, 0);
    }

    #[test]
    fn q6k_rows_put_scales_then_d_then_quants() {
        // Two rows of three 210-byte super-blocks: ql/qh bytes 10 * r + b, scales
        // 100 + 10 * r + b, d 200 + 10 * r + b.
        let block = |r: u8, b: u8| {
            let mut v = vec![10 * r + b; 192];
            v.extend([100 + 10 * r + b; 16]);
            v.extend([200 + 10 * r + b; 2]);
            v
        };
        let src: Vec<u8> = (0..2u8)
            .flat_map(|r| (0..3u8).flat_map(move |b| block(r, b)))
            .collect();
        let row = Q6kLayout.row_bytes(3);
        assert_eq!(row, 48 + 16 + 576);
        let mut dst = vec![0xAAu8; 2 * row];
        Q6kLayout.convert_rows(&src, 3, &mut dst);
        for r in 0..2u8 {
            let d = &dst[r as usize * row..][..row];
            for b in 0..3u8 {
                let i = b as usize;
                assert!(d[16 * i..][..16].iter().all(|&x| x == 100 + 10 * r + b));
                assert_eq!(&d[48 + 2 * i..][..2], &[200 + 10 * r + b; 2]);
                assert!(d[64 + 192 * i..][..192].iter().all(|&x| x == 10 * r + b));
            }
            assert!(d[54..64].iter().all(|&x| x == 0), "padding is zeroed");
        }
    }
}
