//! The packed layout and kernels against llama.cpp's per-output arithmetic computed straight
//! from the row-layout matrix, bit for bit, and against the row kernels within rounding.

use super::{PackedMatrix, matmul_packed};
use crate::GgmlType;
use crate::quant::act::quantize_act;
use crate::quant::blocks::f16_at;
use crate::quant::tests::values;
use crate::quant::{QMatrix, matmul, quantize};
use crate::threadpool::ThreadPool;

/// llama.cpp's `ggml_gemv_q4_0_8x8_q8_0` per output, from the unpacked Q4_0 rows.
fn llama_order(w: &[u8], rows: usize, cols: usize, x: &[f32]) -> Vec<f32> {
    let nb = cols / 32;
    let mut out = Vec::new();
    for xr in x.chunks_exact(cols) {
        let mut xq = vec![0u8; nb * 34];
        quantize_act(GgmlType::Q8_0, xr, &mut xq);
        for r in 0..rows {
            let mut acc = 0.0f32;
            for b in 0..nb {
                let wb = &w[(r * nb + b) * 18..][..18];
                let xb = &xq[b * 34..][..34];
                let isum: i32 = (0..32)
                    .map(|e| {
                        let q = if e < 16 {
                            wb[2 + e] & 0xF
                        } else {
                            wb[2 + e - 16] >> 4
                        };
                        (i32::from(q) - 8) * i32::from(xb[2 + e] as i8)
                    })
                    .sum();
                acc = (isum as f32).mul_add(f16_at(wb, 0) * f16_at(xb, 0), acc);
            }
            out.push(acc);
        }
    }
    out
}

#[test]
fn packed_matmul_is_llama_cpp_arithmetic_bit_for_bit() {
    let (rows, cols) = (48, 256);
    let wf = values(rows * cols, 7);
    let mut w = vec![0u8; rows * cols / 32 * 18];
    quantize(GgmlType::Q4_0, &wf, &mut w).unwrap();
    let m = QMatrix::new(GgmlType::Q4_0, &w, rows, cols).unwrap();
    let Some(p) = PackedMatrix::pack(&m) else {
        println!("no packed kernels on this CPU (needs AVX2): nothing to check");
        return;
    };
    let pool = ThreadPool::new(2).unwrap();
    for n_tokens in [1, 2, 3, 4, 5, 9, 70] {
        let x = values(n_tokens * cols, 100 + n_tokens as u64);
        let mut got = vec![0.0; n_tokens * rows];
        matmul_packed(&p, &x, n_tokens, &mut got, &pool).unwrap();
        let want = llama_order(&w, rows, cols, &x);
        for (i, (g, e)) in got.iter().zip(&want).enumerate() {
            assert_eq!(
                g.to_bits(),
                e.to_bits(),
                "{n_tokens} tokens, output {i}: {g} vs {e}"
            );
        }
        let mut rowwise = vec![0.0; n_tokens * rows];
        matmul(&m, &x, n_tokens, &mut rowwise, &pool).unwrap();
        for (g, e) in got.iter().zip(&rowwise) {
            assert!(
                (g - e).abs() <= 1e-4 * e.abs().max(1.0),
                "{g} vs row kernel {e}"
            );
        }
    }
}

#[test]
fn reference_kernel_matches_simd_kernel() {
    let (rows, cols) = (8, 128);
    let wf = values(rows * cols, 3);
    let mut w = vec![0u8; rows * cols / 32 * 18];
    quantize(GgmlType::Q4_0, &wf, &mut w).unwrap();
    let m = QMatrix::new(GgmlType::Q4_0, &w, rows, cols).unwrap();
    let Some(p) = PackedMatrix::pack(&m) else {
        return;
    };
    let nb = cols / 32;
    let x = values(3 * cols, 11);
    let mut xq = vec![0u8; 3 * nb * 34];
    let mut meta = vec![super::BlockMeta::default(); 3 * nb];
    for t in 0..3 {
        quantize_act(
            GgmlType::Q8_0,
            &x[t * cols..][..cols],
            &mut xq[t * nb * 34..][..nb * 34],
        );
        for b in 0..nb {
            let blk = &xq[(t * nb + b) * 34..][..34];
            meta[t * nb + b] = super::BlockMeta {
                d: f16_at(blk, 0),
                sum: blk[2..].iter().map(|&q| i32::from(q as i8)).sum(),
            };
        }
    }
    let mut a = [[0.0f32; 8]; 3];
    let mut b = [[0.0f32; 8]; 3];
    super::group_dot(&p.data, &xq, &meta, nb, &mut a);
    super::reference_group_dot(&p.data, &xq, &meta, nb, &mut b);
    assert_eq!(a, b);
}

#[test]
fn only_q4_0_with_whole_groups_is_packed() {
    let w = vec![0u8; 12 * 32 / 32 * 18];
    let m = QMatrix::new(GgmlType::Q4_0, &w, 12, 32).unwrap();
    assert!(PackedMatrix::pack(&m).is_none());
    let w8 = vec![0u8; 8 * 34];
    let m8 = QMatrix::new(GgmlType::Q8_0, &w8, 8, 32).unwrap();
    assert!(PackedMatrix::pack(&m8).is_none());
}
