//! Kernel-level tests: every fused dot kernel at every available SIMD level against a
//! dequantize-then-f64 reference, SIMD against scalar, and the threaded matmul against a
//! naive loop for awkward shapes.

use super::act::quantize_act;
use super::blocks::f16_at;
use super::dot::{MAX_NT, SimdLevel, kernel, kernel2};
use super::matmul::matmul_with;
use super::{QMatrix, QuantError, dequantize, matmul, quantize, vec_dot_type};
use crate::GgmlType;
use crate::threadpool::ThreadPool;

const WEIGHT_TYPES: [GgmlType; 11] = GgmlType::WEIGHT_TYPES;

const LEVELS: [SimdLevel; 3] = [SimdLevel::Scalar, SimdLevel::Avx2, SimdLevel::Avx512Vnni];

/// Deterministic pseudo-random values with block-to-block changes of scale.
pub(super) fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            u * (1.0 + ((i / 32) % 5) as f32)
        })
        .collect()
}

fn quantized(ty: GgmlType, x: &[f32]) -> Vec<u8> {
    let mut q = vec![0u8; ty.bytes_for(x.len() as u64).unwrap() as usize];
    quantize(ty, x, &mut q).unwrap();
    q
}

fn activations(vdt: GgmlType, x: &[f32]) -> Vec<u8> {
    let mut q = vec![0u8; vdt.bytes_for(x.len() as u64).unwrap() as usize];
    quantize_act(vdt, x, &mut q);
    q
}

fn deq(ty: GgmlType, q: &[u8], n: usize) -> Vec<f32> {
    let mut y = vec![0.0; n];
    dequantize(ty, q, &mut y).unwrap();
    y
}

/// The exact dot of the dequantized operands and the error bound allowed for a kernel:
/// f32 rounding, plus the f16 rounding of Q8_1's stored `d * sum` used with the weight
/// mins of q4_1/q5_1.
fn reference(wty: GgmlType, w: &[u8], xq: &[u8], n: usize) -> (f64, f64) {
    let vdt = vec_dot_type(wty).unwrap();
    let (wf, xf) = (deq(wty, w, n), deq(vdt, xq, n));
    let exact: f64 = wf.iter().zip(&xf).map(|(a, b)| *a as f64 * *b as f64).sum();
    let mag: f64 = wf
        .iter()
        .zip(&xf)
        .map(|(a, b)| (*a as f64 * *b as f64).abs())
        .sum();
    let mut tol = 2e-6 * mag + 1e-30;
    if vdt == GgmlType::Q8_1 {
        let wsz = wty.type_size();
        for (wb, xb) in w.chunks_exact(wsz).zip(xq.chunks_exact(36)) {
            tol += (f16_at(wb, 2) as f64 * f16_at(xb, 2) as f64).abs() / 1024.0;
        }
    }
    (exact, tol)
}

#[test]
fn every_kernel_matches_the_f64_reference() {
    let n = 512;
    for wty in WEIGHT_TYPES {
        let vdt = vec_dot_type(wty).unwrap();
        let w = quantized(wty, &values(n, 1));
        let xs: Vec<Vec<u8>> = (0..MAX_NT)
            .map(|t| activations(vdt, &values(n, 10 + t as u64)))
            .collect();
        let stride = xs[0].len();
        let x: Vec<u8> = xs.concat();
        for level in LEVELS.into_iter().filter(|l| l.is_available()) {
            let f = kernel(wty, level).unwrap();
            for nt in 1..=MAX_NT {
                let mut out = vec![0.0f32; nt];
                // SAFETY: the level is available and `x` holds `MAX_NT` rows.
                unsafe { f(&w, &x, stride, &mut out) };
                for (t, &got) in out.iter().enumerate() {
                    let (exact, tol) = reference(wty, &w, &xs[t], n);
                    assert!(
                        (got as f64 - exact).abs() <= tol,
                        "{wty} {level:?} nt={nt} t={t}: got {got}, want {exact} ± {tol}"
                    );
                }
            }
        }
    }
}

#[test]
fn simd_kernels_agree_with_scalar() {
    let n = 2048;
    for wty in WEIGHT_TYPES {
        let vdt = vec_dot_type(wty).unwrap();
        let w = quantized(wty, &values(n, 3));
        let x = activations(vdt, &values(n, 4));
        let mut want = [0.0f32];
        // SAFETY: scalar kernels run anywhere; `x` is one full row.
        unsafe { kernel(wty, SimdLevel::Scalar).unwrap()(&w, &x, x.len(), &mut want) };
        let (_, tol) = reference(wty, &w, &x, n);
        for level in [SimdLevel::Avx2, SimdLevel::Avx512Vnni] {
            if !level.is_available() {
                continue;
            }
            let mut got = [0.0f32];
            // SAFETY: the level is available.
            unsafe { kernel(wty, level).unwrap()(&w, &x, x.len(), &mut got) };
            assert!(
                ((got[0] - want[0]) as f64).abs() <= 2.0 * tol,
                "{wty} {level:?}: {} vs scalar {}",
                got[0],
                want[0]
            );
        }
    }
}

#[test]
fn matmul_matches_naive_loop_for_odd_shapes() {
    let pools: Vec<ThreadPool> = [1, 2, 3].map(|n| ThreadPool::new(n).unwrap()).into();
    for wty in WEIGHT_TYPES {
        let cols = wty.block_size().max(32) * 2;
        let rows = 37;
        let vdt = vec_dot_type(wty).unwrap();
        let wq = quantized(wty, &values(rows * cols, 5));
        let m = QMatrix::new(wty, &wq, rows, cols).unwrap();
        for n_tokens in [1, 3, 17] {
            let x = values(n_tokens * cols, 6);
            let mut want = vec![(0.0, 0.0); n_tokens * rows];
            let rb = wq.len() / rows;
            for t in 0..n_tokens {
                let xq = activations(vdt, &x[t * cols..(t + 1) * cols]);
                for r in 0..rows {
                    want[t * rows + r] = reference(wty, &wq[r * rb..(r + 1) * rb], &xq, cols);
                }
            }
            for pool in &pools {
                for level in LEVELS.into_iter().filter(|l| l.is_available()) {
                    let mut out = vec![f32::NAN; n_tokens * rows];
                    matmul_with(&m, &x, n_tokens, &mut out, pool, level).unwrap();
                    for (i, (&got, &(exact, tol))) in out.iter().zip(&want).enumerate() {
                        assert!(
                            (got as f64 - exact).abs() <= tol,
                            "{wty} {level:?} threads={} n_tokens={n_tokens} i={i}: {got} vs {exact}",
                            pool.n_threads()
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn bad_shapes_are_errors() {
    let pool = ThreadPool::new(2).unwrap();
    let w = quantized(GgmlType::Q4_0, &values(64, 1));
    assert!(matches!(
        QMatrix::new(GgmlType::Q4_0, &w, 2, 64),
        Err(QuantError::LengthMismatch { .. })
    ));
    assert!(matches!(
        QMatrix::new(GgmlType::Q4_0, &w, 1, 48),
        Err(QuantError::NotBlockMultiple { .. })
    ));
    let m = QMatrix::new(GgmlType::Q4_0, &w, 1, 64).unwrap();
    let mut out = [0.0f32; 2];
    assert!(matmul(&m, &[0.0; 64], 2, &mut out, &pool).is_err());
    assert!(matmul(&m, &[0.0; 128], 2, &mut out[..1], &pool).is_err());
    assert!(matmul(&m, &[0.0; 128], 2, &mut out, &pool).is_ok());
    // A hand-built matrix with inconsistent fields is rejected, not read out of bounds.
    let bad = QMatrix {
        ty: GgmlType::Q4_0,
        data: &w,
        rows: 4,
        cols: 64,
    };
    assert!(matmul(&bad, &[0.0; 64], 1, &mut [0.0; 4], &pool).is_err());
    let q2k = QMatrix {
        ty: GgmlType::Q2K,
        data: &[0u8; 84],
        rows: 1,
        cols: 256,
    };
    assert!(matches!(
        matmul(&q2k, &[0.0; 256], 1, &mut [0.0; 1], &pool),
        Err(QuantError::Unsupported { .. })
    ));
    assert!(dequantize(GgmlType::Q4_0, &w[..17], &mut [0.0; 32]).is_err());
    assert!(dequantize(GgmlType::Q2K, &[0; 84], &mut [0.0; 256]).is_err());
    assert!(quantize(GgmlType::Q8_0, &[0.0; 31], &mut [0; 34]).is_err());
    assert!(quantize(GgmlType::Q8_0, &[0.0; 32], &mut [0; 33]).is_err());
}

#[test]
fn quantize_round_trips_within_the_format_step() {
    let x = values(512, 9);
    // Largest error allowed, as a fraction of the largest magnitude in the element's block.
    for (ty, rel) in [
        (GgmlType::Q4_0, 0.126),
        (GgmlType::Q4_1, 0.067),
        (GgmlType::Q5_0, 0.063),
        (GgmlType::Q5_1, 0.033),
        (GgmlType::Q8_0, 0.0045),
        (GgmlType::Q8_1, 0.0045),
        (GgmlType::Q4K, 0.1),
        (GgmlType::Q5K, 0.05),
        (GgmlType::Q6K, 0.03),
        (GgmlType::Q8K, 0.0045),
        (GgmlType::F16, 0.001),
        (GgmlType::BF16, 0.004),
        (GgmlType::F32, 0.0),
    ] {
        let y = deq(ty, &quantized(ty, &x), x.len());
        let bs = ty.block_size().max(32);
        for (i, (a, b)) in x.iter().zip(&y).enumerate() {
            let blk = &x[i / bs * bs..(i / bs + 1) * bs];
            let amax = blk.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!((a - b).abs() <= rel * amax, "{ty} [{i}]: {a} -> {b}");
        }
    }
}

#[test]
fn two_row_kernels_equal_the_one_row_kernels_bit_for_bit() {
    let n = 256;
    for ty in WEIGHT_TYPES {
        for level in LEVELS.into_iter().filter(|l| l.is_available()) {
            let (Some(dot2), Some(dot)) = (kernel2(ty, level), kernel(ty, level)) else {
                continue;
            };
            let vdt = vec_dot_type(ty).unwrap();
            let rows = [quantized(ty, &values(n, 1)), quantized(ty, &values(n, 2))];
            let x = activations(vdt, &values(MAX_NT * n, 3));
            let xs = x.len() / MAX_NT;
            for nt in 1..=MAX_NT {
                let (mut a, mut b) = (vec![0.0f32; nt], vec![0.0f32; nt]);
                // SAFETY: the level is available; `x` holds `MAX_NT` activation rows.
                unsafe { dot2([&rows[0], &rows[1]], &x, xs, [&mut a, &mut b]) };
                for (r, got) in [&a, &b].into_iter().enumerate() {
                    let mut want = vec![0.0f32; nt];
                    // SAFETY: as above.
                    unsafe { dot(&rows[r], &x, xs, &mut want) };
                    let same = got
                        .iter()
                        .zip(&want)
                        .all(|(g, w)| g.to_bits() == w.to_bits());
                    assert!(same, "{ty} {level:?} row {r} nt {nt}: {got:?} vs {want:?}");
                }
            }
        }
    }
}
