//! Turning the tensor plan into bytes: the data stream is cut into chunks of whole rows,
//! and each chunk's values are drawn from its own seeded generator and quantized, so that
//! chunks can be made in parallel and the result does not depend on the thread count.

use super::SynthError;
use super::plan::{Init, PlannedTensor};
use super::rng::Rng;
use crate::quant;

/// About this many values go into one chunk.
const CHUNK_VALUES: u64 = 1 << 20;

/// A run of whole rows of one tensor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chunk {
    pub tensor: usize,
    pub first_row: u64,
    pub rows: u64,
}

/// The chunks of all tensors, in file order.
pub fn chunks(tensors: &[PlannedTensor]) -> Vec<Chunk> {
    let mut out = Vec::new();
    for (i, t) in tensors.iter().enumerate() {
        let rows = t.n_elements() / t.row_len().max(1);
        let per_chunk = (CHUNK_VALUES / t.row_len().max(1)).max(1);
        let mut first_row = 0;
        while first_row < rows {
            let n = per_chunk.min(rows - first_row);
            out.push(Chunk {
                tensor: i,
                first_row,
                rows: n,
            });
            first_row += n;
        }
    }
    out
}

/// Draws and encodes one chunk; `scratch` is reused between calls.
pub fn make_chunk(
    seed: u64,
    tensors: &[PlannedTensor],
    chunk: Chunk,
    scratch: &mut Vec<f32>,
) -> Result<Vec<u8>, SynthError> {
    let t = &tensors[chunk.tensor];
    let n = (chunk.rows * t.row_len()) as usize;
    scratch.clear();
    let mut rng = Rng::for_part(seed, chunk.tensor as u64, chunk.first_row);
    let (mean, std) = match t.init {
        Init::Normal(std) => (0.0, std),
        Init::AroundOne(std) => (1.0, std),
    };
    scratch.extend((0..n).map(|_| mean + std * rng.normalish()));
    let bytes = t.ty.bytes_for(n as u64).unwrap_or(0) as usize;
    let mut out = vec![0u8; bytes];
    quant::quantize(t.ty, scratch, &mut out).map_err(|source| SynthError::Quant {
        tensor: t.name.clone(),
        source,
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GgmlType;

    fn tensor(dims: Vec<u64>, ty: GgmlType, init: Init) -> PlannedTensor {
        PlannedTensor {
            name: "t".into(),
            dims,
            ty,
            init,
        }
    }

    #[test]
    fn chunks_cover_every_row_once() {
        let ts = [
            tensor(vec![4096, 1000], GgmlType::F32, Init::Normal(1.0)),
            tensor(vec![7], GgmlType::F32, Init::Normal(1.0)),
            tensor(vec![1 << 21, 2], GgmlType::F32, Init::Normal(1.0)),
        ];
        let c = chunks(&ts);
        for (i, t) in ts.iter().enumerate() {
            let mine: Vec<_> = c.iter().filter(|c| c.tensor == i).collect();
            let mut next = 0;
            for ch in &mine {
                assert_eq!(ch.first_row, next);
                assert!(ch.rows * t.row_len() <= CHUNK_VALUES.max(t.row_len()));
                next += ch.rows;
            }
            assert_eq!(next, t.n_elements() / t.row_len());
        }
        assert_eq!(c.len(), 4 + 1 + 2);
    }

    #[test]
    fn values_follow_the_init() {
        let ts = [
            tensor(vec![1024, 64], GgmlType::F32, Init::Normal(0.02)),
            tensor(vec![1024], GgmlType::F32, Init::AroundOne(0.02)),
        ];
        let mut scratch = Vec::new();
        for (i, want_mean) in [(0, 0.0f32), (1, 1.0)] {
            let ch = chunks(&ts).into_iter().find(|c| c.tensor == i).unwrap();
            let bytes = make_chunk(9, &ts, ch, &mut scratch).unwrap();
            let xs: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            let mean = xs.iter().sum::<f32>() / xs.len() as f32;
            let std = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / xs.len() as f32).sqrt();
            assert!((mean - want_mean).abs() < 0.005, "mean {mean}");
            assert!((std - 0.02).abs() < 0.002, "std {std}");
        }
    }

    #[test]
    fn quantized_chunks_decode_close_to_the_draw() {
        let ts = [tensor(vec![256, 8], GgmlType::Q4K, Init::Normal(0.02))];
        let ch = chunks(&ts)[0];
        let mut scratch = Vec::new();
        let bytes = make_chunk(3, &ts, ch, &mut scratch).unwrap();
        assert_eq!(bytes.len(), 8 * 144);
        let mut back = vec![0f32; 2048];
        quant::dequantize(GgmlType::Q4K, &bytes, &mut back).unwrap();
        let err = scratch
            .iter()
            .zip(&back)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err < 0.02, "max error {err}");
        // Same seed and chunk, same bytes; another seed, other bytes.
        assert_eq!(make_chunk(3, &ts, ch, &mut scratch).unwrap(), bytes);
        assert_ne!(make_chunk(4, &ts, ch, &mut scratch).unwrap(), bytes);
    }
}
