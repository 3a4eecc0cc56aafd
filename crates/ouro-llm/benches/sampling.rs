//! Time per `Sampler::sample` call on a vocabulary the size of SmolLM2's (49152), for the
//! default chain and the configurations that take other paths. Run with
//! `cargo bench -p ouro-llm --bench sampling`.

use std::hint::black_box;
use std::time::Instant;

use ouro_llm::sampling::{Mirostat, Sampler, SamplingConfig};

const N_VOCAB: usize = 49152;
/// Calls per batch; each case reports its fastest batch, the least disturbed by other
/// work on the machine.
const BATCH: usize = 200;
const BATCHES: usize = 10;

/// Nanoseconds this thread has run on a CPU (Linux's `/proc/thread-self/schedstat`),
/// which time spent waiting for a busy machine's cores does not inflate.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// A fixed logits vector shaped like a language model's: a broad, low body and a few
/// dozen tokens standing well above it.
fn logits() -> Vec<f32> {
    (0..N_VOCAB)
        .map(|i| {
            let h = ((i as f32 * 12.9898).sin() * 43758.547).fract().abs();
            let body = -4.0 + 6.0 * h;
            if i % 1500 == 7 { body + 8.0 } else { body }
        })
        .collect()
}

fn main() {
    let logits = logits();
    let cases = [
        (
            "default (top_k 40, top_p 0.95, min_p 0.05, T 0.8)",
            SamplingConfig::default(),
        ),
        ("greedy", SamplingConfig::greedy()),
        (
            "default + repeat_penalty 1.1 (window 64)",
            SamplingConfig {
                repeat_penalty: 1.1,
                ..SamplingConfig::default()
            },
        ),
        (
            "top_k 0, top_p 0.95, min_p 0",
            SamplingConfig {
                top_k: 0,
                min_p: 0.0,
                ..SamplingConfig::default()
            },
        ),
        (
            "top_k 0, top_p 1, min_p 0 (full softmax draw)",
            SamplingConfig {
                top_k: 0,
                top_p: 1.0,
                min_p: 0.0,
                ..SamplingConfig::default()
            },
        ),
        (
            "top_k 0, typical 0.9",
            SamplingConfig {
                top_k: 0,
                typical_p: 0.9,
                ..SamplingConfig::default()
            },
        ),
        (
            "mirostat v1 (tau 5, eta 0.1)",
            SamplingConfig {
                mirostat: Mirostat::V1 { tau: 5.0, eta: 0.1 },
                ..SamplingConfig::default()
            },
        ),
        (
            "mirostat v2 (tau 5, eta 0.1)",
            SamplingConfig {
                mirostat: Mirostat::V2 { tau: 5.0, eta: 0.1 },
                ..SamplingConfig::default()
            },
        ),
    ];
    println!("Sampler::sample + accept, n_vocab {N_VOCAB}, best of {BATCHES} batches of {BATCH}");
    for (name, config) in cases {
        let Ok(mut sampler) = Sampler::new(config, N_VOCAB) else {
            eprintln!("{name}: invalid config");
            continue;
        };
        let (mut best_wall, mut best_cpu) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..BATCHES {
            let cpu_start = thread_cpu_ns();
            let start = Instant::now();
            for _ in 0..BATCH {
                let token = sampler.sample(black_box(&logits));
                sampler.accept(token);
            }
            best_wall = best_wall.min(start.elapsed().as_secs_f64() / BATCH as f64);
            if let (Some(a), Some(b)) = (cpu_start, thread_cpu_ns()) {
                best_cpu = best_cpu.min(b.saturating_sub(a) as f64 * 1e-9 / BATCH as f64);
            }
        }
        println!(
            "{name:<52} {:>8.1} µs/call wall {:>8.1} µs/call on-CPU",
            best_wall * 1e6,
            best_cpu * 1e6
        );
    }
}
