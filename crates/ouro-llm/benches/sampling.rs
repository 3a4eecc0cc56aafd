//! Time per `Sampler::sample` call on a vocabulary the size of SmolLM2's (49152), for the
//! default chain and the configurations that take other paths. Run with
//! `cargo bench -p ouro-llm --bench sampling`.

use std::hint::black_box;
use std::time::Instant;

use ouro_llm::sampling::{Mirostat, Sampler, SamplingConfig};

const N_VOCAB: usize = 49152;
const CALLS: usize = 2000;

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
            "top_k 0, typical 0.9 (full sort)",
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
    println!("Sampler::sample, n_vocab {N_VOCAB}, {CALLS} calls each");
    for (name, config) in cases {
        let Ok(mut sampler) = Sampler::new(config, N_VOCAB) else {
            eprintln!("{name}: invalid config");
            continue;
        };
        let start = Instant::now();
        for _ in 0..CALLS {
            let token = sampler.sample(black_box(&logits));
            sampler.accept(token);
        }
        let per_call = start.elapsed().as_secs_f64() / CALLS as f64;
        println!("{name:<52} {:>8.1} µs/call", per_call * 1e6);
    }
}
