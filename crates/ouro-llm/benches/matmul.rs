//! Times `quant::matmul` as GEMV (1 token) and GEMM (512 tokens) for 2048×2048 and
//! 5632×2048 weight matrices in Q4_0, Q4_1, Q8_0, Q4_K and Q6_K, on 2 threads (override
//! with `OURO_BENCH_THREADS`), and prints weight bandwidth (GB/s) and GFLOP/s.
//!
//! Run: `cargo bench -p ouro-llm --bench matmul`

use ouro_llm::GgmlType;
use ouro_llm::quant::{QMatrix, SimdLevel, matmul, quantize};
use ouro_llm::threadpool::ThreadPool;
use std::time::{Duration, Instant};

/// Distinct quantized rows generated; the matrix repeats them (speed does not depend on
/// the values, and quantizing 11M values with the K-quant reference search is slow).
const DISTINCT_ROWS: usize = 16;

fn values(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        })
        .collect()
}

fn weights(ty: GgmlType, rows: usize, cols: usize) -> Vec<u8> {
    let row_bytes = ty.bytes_for(cols as u64).unwrap_or(0) as usize;
    let mut one = vec![0u8; row_bytes * DISTINCT_ROWS];
    if let Err(e) = quantize(ty, &values(cols * DISTINCT_ROWS, 7), &mut one) {
        panic!("quantizing {ty}: {e}");
    }
    one.iter().copied().cycle().take(row_bytes * rows).collect()
}

/// Mean seconds per call of `f`, over at least `min_time` (after one warm-up call).
fn time(min_time: Duration, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < min_time || n < 3 {
        f();
        n += 1;
    }
    start.elapsed().as_secs_f64() / n as f64
}

fn main() {
    let threads = std::env::var("OURO_BENCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let pool = match ThreadPool::new(threads) {
        Ok(p) => p,
        Err(e) => panic!("starting {threads} threads: {e}"),
    };
    println!(
        "quant::matmul, {threads} threads, kernels {:?}",
        SimdLevel::best()
    );
    println!(
        "{:<6} {:>11} {:>7} {:>10} {:>8} {:>9}",
        "type", "shape", "tokens", "ms/call", "GB/s", "GFLOP/s"
    );
    for ty in [
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q8_0,
        GgmlType::Q4K,
        GgmlType::Q6K,
    ] {
        for (rows, cols) in [(2048, 2048), (5632, 2048)] {
            let data = weights(ty, rows, cols);
            let m = match QMatrix::new(ty, &data, rows, cols) {
                Ok(m) => m,
                Err(e) => panic!("{e}"),
            };
            for n_tokens in [1, 512] {
                let x = values(n_tokens * cols, 3);
                let mut out = vec![0.0f32; n_tokens * rows];
                let min_time = Duration::from_millis(if n_tokens == 1 { 500 } else { 1500 });
                let secs = time(min_time, || {
                    if let Err(e) = matmul(&m, &x, n_tokens, &mut out, &pool) {
                        panic!("{e}");
                    }
                });
                let gbs = data.len() as f64 / secs / 1e9;
                let gflops = 2.0 * (rows * cols * n_tokens) as f64 / secs / 1e9;
                println!(
                    "{:<6} {:>11} {:>7} {:>10.3} {:>8.2} {:>9.1}",
                    ty.name(),
                    format!("{rows}x{cols}"),
                    n_tokens,
                    secs * 1e3,
                    gbs,
                    gflops
                );
            }
        }
    }
}
