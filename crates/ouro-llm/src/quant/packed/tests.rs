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
fn only_q4_0_and_k_quants_with_whole_groups_are_packed() {
    let w = vec![0u8; 12 * 32 / 32 * 18];
    let m = QMatrix::new(GgmlType::Q4_0, &w, 12, 32).unwrap();
    assert!(PackedMatrix::pack(&m).is_none());
    let wk = vec![0u8; 12 * 144];
    let mk = QMatrix::new(GgmlType::Q4K, &wk, 12, 256).unwrap();
    assert!(PackedMatrix::pack(&mk).is_none());
    let w6 = vec![0u8; 12 * 210];
    let m6 = QMatrix::new(GgmlType::Q6K, &w6, 12, 256).unwrap();
    assert!(PackedMatrix::pack(&m6).is_none());
    let w5 = vec![0u8; 8 * 176];
    let m5 = QMatrix::new(GgmlType::Q5K, &w5, 8, 256).unwrap();
    assert!(PackedMatrix::pack(&m5).is_none());
    let w8 = vec![0u8; 8 * 34];
    let m8 = QMatrix::new(GgmlType::Q8_0, &w8, 8, 32).unwrap();
    assert!(PackedMatrix::pack(&m8).is_none());
}

/// A random K-quant matrix of type `ty` and its packed copy (`None` without AVX2).
fn k_matrix(ty: GgmlType, rows: usize, cols: usize, seed: u64) -> (Vec<u8>, Option<PackedMatrix>) {
    let wf = values(rows * cols, seed);
    let mut w = vec![0u8; ty.bytes_for((rows * cols) as u64).unwrap() as usize];
    quantize(ty, &wf, &mut w).unwrap();
    let m = QMatrix::new(ty, &w, rows, cols).unwrap();
    let p = PackedMatrix::pack(&m);
    (w, p)
}

/// Q8_K rows of `x` and their super-block metadata.
fn q8k_rows(x: &[f32], cols: usize) -> (Vec<u8>, Vec<super::q4k::KMeta>) {
    let nb = cols / 256;
    let mut xq = vec![0u8; x.len() / cols * nb * 292];
    for (xr, q) in x.chunks_exact(cols).zip(xq.chunks_exact_mut(nb * 292)) {
        quantize_act(GgmlType::Q8K, xr, q);
    }
    let meta = xq.chunks_exact(292).map(super::q4k::KMeta::of).collect();
    (xq, meta)
}

/// The reference arithmetic of `p`'s layout for `out.len()` tokens from token `t`.
fn k_reference(
    p: &PackedMatrix,
    wg: &[u8],
    xq: &[u8],
    meta: &[super::q4k::KMeta],
    t: usize,
    out: &mut [[f32; 8]],
) {
    let nb = p.cols / 256;
    let (xs, stride) = (&xq[t * nb * 292..], nb * 292);
    match p.layout {
        super::Layout::Q4K => {
            super::q4k::reference_group_dot(wg, xs, stride, &meta[t * nb..], nb, out)
        }
        super::Layout::Q6K => super::q6k::reference_group_dot(wg, xs, stride, nb, out),
        super::Layout::Q4_0 => unreachable!("not a K-quant layout"),
    }
}

/// The SIMD kernel of `p`'s layout, as [`k_reference`].
fn k_kernel(
    p: &PackedMatrix,
    wg: &[u8],
    xq: &[u8],
    meta: &[super::q4k::KMeta],
    t: usize,
    out: &mut [[f32; 8]],
) {
    let nb = p.cols / 256;
    let (xs, stride) = (&xq[t * nb * 292..], nb * 292);
    match p.layout {
        super::Layout::Q4K => super::group_dot_q4k(wg, xs, stride, &meta[t * nb..], nb, out),
        super::Layout::Q6K => super::group_dot_q6k(wg, xs, stride, nb, out),
        super::Layout::Q4_0 => unreachable!("not a K-quant layout"),
    }
}

#[test]
fn k_quant_packed_matmul_is_the_reference_arithmetic_bit_for_bit() {
    let (rows, cols) = (40, 768);
    let pools: Vec<ThreadPool> = [1, 2, 3].map(|n| ThreadPool::new(n).unwrap()).into();
    for ty in [GgmlType::Q4K, GgmlType::Q6K] {
        let (w, Some(p)) = k_matrix(ty, rows, cols, 21) else {
            println!("no packed kernels on this CPU (needs AVX2): nothing to check");
            return;
        };
        let m = QMatrix::new(ty, &w, rows, cols).unwrap();
        let gb = p.group_bytes();
        for n_tokens in [1, 2, 3, 4, 5, 6, 7, 9, 13, 70] {
            let x = values(n_tokens * cols, 200 + n_tokens as u64);
            let (xq, meta) = q8k_rows(&x, cols);
            let mut want = vec![0.0f32; n_tokens * rows];
            for g in 0..rows / 8 {
                for t in 0..n_tokens {
                    let mut res = [[0.0f32; 8]; 1];
                    k_reference(&p, &p.data[g * gb..(g + 1) * gb], &xq, &meta, t, &mut res);
                    want[t * rows + 8 * g..][..8].copy_from_slice(&res[0]);
                }
            }
            for pool in &pools {
                let mut got = vec![f32::NAN; n_tokens * rows];
                matmul_packed(&p, &x, n_tokens, &mut got, pool).unwrap();
                for (i, (g, e)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(
                        g.to_bits(),
                        e.to_bits(),
                        "{ty}: {n_tokens} tokens, {} threads, output {i}: {g} vs {e}",
                        pool.n_threads()
                    );
                }
            }
            let mut rowwise = vec![0.0; n_tokens * rows];
            matmul(&m, &x, n_tokens, &mut rowwise, &pools[1]).unwrap();
            let scale = rowwise.iter().fold(0f32, |a, v| a.max(v.abs()));
            for (g, e) in want.iter().zip(&rowwise) {
                assert!(
                    (g - e).abs() <= 1e-5 * scale.max(1.0),
                    "{ty}: {g} vs row kernel {e}"
                );
            }
        }
    }
}

#[test]
fn k_quant_kernels_match_the_reference_for_every_token_count() {
    let (rows, cols) = (8, 512);
    let n = super::K_MAX_NT;
    // Extreme activations too: blocks of all -127 / +127 quants (sums at their limits).
    let mut x = values(n * cols, 17);
    x[..256].iter_mut().for_each(|v| *v = -1.0);
    x[cols + 256..cols + 512].iter_mut().for_each(|v| *v = 1.0);
    let (xq, meta) = q8k_rows(&x, cols);
    for ty in [GgmlType::Q4K, GgmlType::Q6K] {
        let (_, Some(p)) = k_matrix(ty, rows, cols, 5) else {
            return;
        };
        for nt in 1..=n {
            for t0 in 0..=n - nt {
                let mut a = vec![[0.0f32; 8]; nt];
                let mut b = vec![[0.0f32; 8]; nt];
                k_kernel(&p, &p.data, &xq, &meta, t0, &mut a);
                k_reference(&p, &p.data, &xq, &meta, t0, &mut b);
                assert_eq!(a, b, "{ty}: nt = {nt}, first token {t0}");
            }
        }
    }
}

/// A random `ty` matrix (its blocks, for [`QMatrix`]); `extreme` puts a block of ±1 (and so
/// quants of ±127 or -16/15) at the start of every row.
fn legacy_matrix(ty: GgmlType, rows: usize, cols: usize, seed: u64, extreme: bool) -> Vec<u8> {
    let mut wf = values(rows * cols, seed);
    if extreme {
        for (r, row) in wf.chunks_exact_mut(cols).enumerate() {
            let sign = if r % 2 == 0 { 1.0 } else { -1.0 };
            row[..32].iter_mut().for_each(|v| *v = sign);
        }
    }
    let mut w = vec![0u8; ty.bytes_for((rows * cols) as u64).unwrap() as usize];
    quantize(ty, &wf, &mut w).unwrap();
    w
}

#[test]
fn q8_0_and_q5_0_tiles_are_the_row_kernels_bit_for_bit() {
    if crate::quant::SimdLevel::best() != crate::quant::SimdLevel::Avx2 {
        println!("no AVX2-only CPU: the tiles are not used here, nothing to check");
        return;
    }
    let pools: Vec<ThreadPool> = [1, 2, 3].map(|n| ThreadPool::new(n).unwrap()).into();
    for ty in [GgmlType::Q8_0, GgmlType::Q5_0] {
        for (rows, cols) in [(8, 32), (24, 96), (40, 224), (16, 896)] {
            let w = legacy_matrix(ty, rows, cols, 31 + cols as u64, rows == 24);
            let m = QMatrix::new(ty, &w, rows, cols).unwrap();
            for n_tokens in [1, 2, 3, 7, 8, 9, 64, 65, 70] {
                let mut x = values(n_tokens * cols, 300 + n_tokens as u64);
                // Extreme activations too: a block of all +127 and one of all -127 quants.
                x[..32].iter_mut().for_each(|v| *v = 2.0);
                let last = x.len() - 32;
                x[last..].iter_mut().for_each(|v| *v = -2.0);
                let mut want = vec![0.0f32; n_tokens * rows];
                crate::quant::matmul::matmul_with(
                    &m,
                    &x,
                    n_tokens,
                    &mut want,
                    &pools[1],
                    crate::quant::SimdLevel::Avx2,
                )
                .unwrap();
                for pool in &pools {
                    let mut got = vec![f32::NAN; n_tokens * rows];
                    super::q8::matmul_tiles(&m, &x, n_tokens, &mut got, pool).unwrap();
                    let mut public = vec![f32::NAN; n_tokens * rows];
                    matmul(&m, &x, n_tokens, &mut public, pool).unwrap();
                    for (i, ((g, p), e)) in got.iter().zip(&public).zip(&want).enumerate() {
                        let what = format!(
                            "{ty} {rows}x{cols}: {n_tokens} tokens, {} threads, output {i}",
                            pool.n_threads()
                        );
                        assert_eq!(g.to_bits(), e.to_bits(), "{what}: {g} vs {e}");
                        assert_eq!(p.to_bits(), e.to_bits(), "{what}: matmul {p} vs {e}");
                    }
                }
            }
        }
    }
}

#[test]
fn q8_tile_kernels_match_the_reference() {
    if !crate::cpu::has_avx2() {
        println!("no AVX2: the tile kernels do not run here, nothing to check");
        return;
    }
    let (rows, cols) = (8, 160);
    let nb = cols / 32;
    let mut x = values(cols, 41);
    x[32..64].iter_mut().for_each(|v| *v = -3.0);
    x[64..96].iter_mut().for_each(|v| *v = 3.0);
    let mut xq = vec![0u8; nb * 34];
    let mut meta = Vec::new();
    super::fill_q8_0_act(&x, cols, 1, &mut xq, &mut meta);
    for ty in [GgmlType::Q8_0, GgmlType::Q5_0] {
        let w = legacy_matrix(ty, rows, cols, 43, true);
        let mut tile = vec![0u8; nb * super::q8::BLOCK];
        let mut want_tile = vec![0u8; nb * super::q8::BLOCK];
        super::q8::build_tile(ty, &w, nb, &mut tile);
        super::q8::reference_build_tile(ty, &w, nb, &mut want_tile);
        assert_eq!(tile, want_tile, "{ty}: tile bytes");
        let (mut got, mut want) = ([0.0f32; 8], [0.0f32; 8]);
        super::q8::tile_dot(&tile, &xq, &meta, nb, &mut got);
        super::q8::reference_tile_dot(&tile, &xq, &meta, nb, &mut want);
        assert_eq!(
            got.map(f32::to_bits),
            want.map(f32::to_bits),
            "{ty}: {got:?} vs {want:?}"
        );
    }
}

#[test]
fn q8_tiles_take_only_whole_groups_enough_tokens_and_their_types() {
    let w = vec![0u8; 12 * 34];
    let partial = QMatrix::new(GgmlType::Q8_0, &w, 12, 32).unwrap();
    assert!(!super::q8::takes(&partial, 64));
    let w8 = vec![0u8; 8 * 34];
    let whole = QMatrix::new(GgmlType::Q8_0, &w8, 8, 32).unwrap();
    assert!(!super::q8::takes(&whole, 7));
    let w41 = vec![0u8; 8 * 20];
    let q4_1 = QMatrix::new(GgmlType::Q4_1, &w41, 8, 32).unwrap();
    assert!(!super::q8::takes(&q4_1, 64));
    let avx2_only = crate::quant::SimdLevel::best() == crate::quant::SimdLevel::Avx2;
    assert_eq!(super::q8::takes(&whole, 8), avx2_only);
}
