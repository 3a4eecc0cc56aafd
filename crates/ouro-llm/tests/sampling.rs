//! The sampler through its public API: greedy, temperature, seeds, the chain's filters and
//! penalties working together, mirostat, and robustness against broken logits.

use ouro_llm::sampling::{Mirostat, Sampler, SamplingConfig, SamplingError};

/// Sampling at temperature 1 from exactly the softmax of the logits.
fn plain(seed: u64) -> SamplingConfig {
    SamplingConfig {
        temperature: 1.0,
        top_k: 0,
        top_p: 1.0,
        min_p: 0.0,
        seed,
        ..SamplingConfig::greedy()
    }
}

/// Logits whose softmax is `probs`.
fn logits_of(probs: &[f32]) -> Vec<f32> {
    probs.iter().map(|p| p.ln()).collect()
}

/// A fixed, bumpy 1000-token logits vector.
fn wide_logits() -> Vec<f32> {
    (0..1000)
        .map(|i| ((i * 37 % 101) as f32 * 0.05) - (i as f32 * 0.002))
        .collect()
}

fn draws(sampler: &mut Sampler, logits: &[f32], n: usize) -> Vec<u32> {
    (0..n)
        .map(|_| {
            let t = sampler.sample(logits);
            sampler.accept(t);
            t
        })
        .collect()
}

#[test]
fn greedy_is_argmax_with_ties_to_the_lowest_id() {
    let mut s = Sampler::new(SamplingConfig::greedy(), 5).unwrap();
    assert_eq!(s.sample(&[0.1, 3.0, -1.0, 2.9, 0.0]), 1);
    assert_eq!(s.sample(&[0.1, 3.0, -1.0, 3.0, 3.0]), 1);
    assert_eq!(s.sample(&[-5.0, -4.0, -3.0, -2.0, -2.5]), 3);
    let mut s = Sampler::new(
        SamplingConfig {
            temperature: -1.0,
            ..SamplingConfig::default()
        },
        5,
    )
    .unwrap();
    assert_eq!(s.sample(&[0.1, 3.0, -1.0, 3.0, 3.0]), 1);
}

#[test]
fn temperature_zero_and_tiny_temperature_both_pick_the_best() {
    let logits = [1.0, 2.0, 1.5, -0.5];
    let mut zero = Sampler::new(
        SamplingConfig {
            temperature: 0.0,
            ..plain(3)
        },
        4,
    )
    .unwrap();
    let mut tiny = Sampler::new(
        SamplingConfig {
            temperature: 1e-3,
            ..plain(3)
        },
        4,
    )
    .unwrap();
    let mut warm = Sampler::new(plain(3), 4).unwrap();
    assert!(draws(&mut zero, &logits, 500).iter().all(|&t| t == 1));
    assert!(draws(&mut tiny, &logits, 500).iter().all(|&t| t == 1));
    // At temperature 1 the other tokens (p = 0.54 for the best) do come up.
    assert!(draws(&mut warm, &logits, 500).iter().any(|&t| t != 1));
}

#[test]
fn same_seed_same_tokens_different_seed_different_tokens() {
    let logits = wide_logits();
    let config = SamplingConfig {
        temperature: 1.5,
        top_k: 0,
        top_p: 1.0,
        min_p: 0.0,
        ..SamplingConfig::default()
    };
    let run = |seed| {
        let mut s = Sampler::new(
            SamplingConfig {
                seed,
                ..config.clone()
            },
            logits.len(),
        )
        .unwrap();
        draws(&mut s, &logits, 64)
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11), run(12));
}

#[test]
fn reset_replays_the_same_tokens() {
    let logits = wide_logits();
    let config = SamplingConfig {
        repeat_penalty: 1.3,
        seed: 99,
        ..SamplingConfig::default()
    };
    let mut s = Sampler::new(config, logits.len()).unwrap();
    let first = draws(&mut s, &logits, 50);
    s.reset();
    assert_eq!(draws(&mut s, &logits, 50), first);
}

#[test]
fn draws_follow_the_probabilities() {
    let probs = [0.2, 0.3, 0.5];
    let logits = logits_of(&probs);
    let mut s = Sampler::new(plain(2024), 3).unwrap();
    let n = 100_000;
    let mut counts = [0usize; 3];
    for _ in 0..n {
        counts[s.sample(&logits) as usize] += 1;
    }
    for (count, p) in counts.iter().zip(probs) {
        let freq = *count as f32 / n as f32;
        // One standard deviation is at most 0.0016; allow six.
        assert!((freq - p).abs() < 0.01, "counts {counts:?} vs {probs:?}");
    }
}

#[test]
fn temperature_sharpens_the_distribution() {
    // At temperature 0.5, p ∝ p^2: 0.04, 0.09, 0.25 -> 0.105, 0.237, 0.658.
    let logits = logits_of(&[0.2, 0.3, 0.5]);
    let mut s = Sampler::new(
        SamplingConfig {
            temperature: 0.5,
            ..plain(7)
        },
        3,
    )
    .unwrap();
    let n = 50_000;
    let best = (0..n).filter(|_| s.sample(&logits) == 2).count() as f32 / n as f32;
    assert!((best - 0.658).abs() < 0.015, "{best}");
}

#[test]
fn filters_never_let_dropped_tokens_through() {
    // p: 0.45 0.30 0.15 0.06 0.04
    let logits = logits_of(&[0.45, 0.30, 0.15, 0.06, 0.04]);
    let cases = [
        (
            SamplingConfig {
                top_k: 2,
                ..plain(1)
            },
            vec![0, 1],
        ),
        (
            SamplingConfig {
                top_p: 0.8,
                ..plain(1)
            },
            vec![0, 1, 2],
        ),
        (
            SamplingConfig {
                min_p: 0.3,
                ..plain(1)
            },
            vec![0, 1, 2],
        ),
        (
            SamplingConfig {
                top_k: 4,
                top_p: 0.7,
                ..plain(1)
            },
            vec![0, 1],
        ),
        (
            SamplingConfig {
                seed: 1,
                ..SamplingConfig::default()
            },
            vec![0, 1, 2, 3],
        ),
    ];
    for (config, allowed) in cases {
        let mut s = Sampler::new(config.clone(), 5).unwrap();
        let seen = draws(&mut s, &logits, 2000);
        for t in &allowed {
            assert!(seen.contains(t), "{config:?}: {t} never drawn");
        }
        assert!(
            seen.iter().all(|t| allowed.contains(t)),
            "{config:?}: {seen:?}"
        );
    }
}

#[test]
fn greedy_respects_the_typical_filter_like_llama_cpp() {
    // Typical 0.2 keeps only the token whose surprise is closest to the entropy (p = 0.3).
    let logits = logits_of(&[0.5, 0.3, 0.2]);
    let config = SamplingConfig {
        typical_p: 0.2,
        ..SamplingConfig::greedy()
    };
    let mut s = Sampler::new(config, 3).unwrap();
    assert_eq!(s.sample(&logits), 1);
}

#[test]
fn penalties_steer_away_from_recent_tokens() {
    let logits = [2.0, 1.9, -1.0];
    let config = SamplingConfig {
        repeat_penalty: 1.1,
        repeat_last_n: 2,
        ..SamplingConfig::greedy()
    };
    let mut s = Sampler::new(config, 3).unwrap();
    assert_eq!(s.sample(&logits), 0);
    s.accept(0); // 2.0 / 1.1 = 1.82 < 1.9
    assert_eq!(s.sample(&logits), 1);
    s.accept(1); // both penalized: 1.82 vs 1.73
    assert_eq!(s.sample(&logits), 0);
    s.accept(2);
    s.accept(2); // the window of 2 now only holds token 2
    assert_eq!(s.sample(&logits), 0);

    let config = SamplingConfig {
        presence_penalty: 0.5,
        frequency_penalty: 0.1,
        ..SamplingConfig::greedy()
    };
    let mut s = Sampler::new(config, 3).unwrap();
    s.accept(0);
    assert_eq!(s.sample(&logits), 1);
    s.reset();
    assert_eq!(s.sample(&logits), 0);
}

#[test]
fn mirostat_keeps_updating_mu() {
    let logits = wide_logits();
    for mirostat in [
        Mirostat::V1 { tau: 3.0, eta: 0.1 },
        Mirostat::V2 { tau: 3.0, eta: 0.1 },
    ] {
        let config = SamplingConfig {
            mirostat,
            seed: 5,
            ..SamplingConfig::default()
        };
        let mut s = Sampler::new(config.clone(), logits.len()).unwrap();
        assert_eq!(s.mirostat_mu(), Some(6.0));
        let mut mus = vec![6.0];
        for _ in 0..30 {
            let t = s.sample(&logits);
            s.accept(t);
            mus.push(s.mirostat_mu().unwrap());
        }
        assert!(
            mus.windows(2).all(|w| w[0] != w[1]),
            "{mirostat:?}: {mus:?}"
        );
        // Sampling without accepting leaves mu alone.
        let mu = s.mirostat_mu();
        s.sample(&logits);
        assert_eq!(s.mirostat_mu(), mu);
        // Same seed, same tokens.
        let mut a = Sampler::new(config.clone(), logits.len()).unwrap();
        let mut b = Sampler::new(config, logits.len()).unwrap();
        assert_eq!(draws(&mut a, &logits, 40), draws(&mut b, &logits, 40));
        s.reset();
        assert_eq!(s.mirostat_mu(), Some(6.0));
    }
    let s = Sampler::new(SamplingConfig::default(), 4).unwrap();
    assert_eq!(s.mirostat_mu(), None);
}

#[test]
fn mirostat_at_temperature_zero_is_greedy() {
    let config = SamplingConfig {
        temperature: 0.0,
        mirostat: Mirostat::V2 { tau: 5.0, eta: 0.1 },
        ..SamplingConfig::default()
    };
    let mut s = Sampler::new(config, 3).unwrap();
    assert_eq!(draws(&mut s, &[0.0, 1.0, 0.5], 10), vec![1; 10]);
    // Each accepted token had surprise 0, so mu rose by eta * tau per step.
    assert!((s.mirostat_mu().unwrap() - 15.0).abs() < 1e-4);
}

#[test]
fn broken_logits_do_not_panic() {
    let configs = [
        SamplingConfig::default(),
        SamplingConfig::greedy(),
        plain(1),
        SamplingConfig {
            typical_p: 0.5,
            repeat_penalty: 1.2,
            ..SamplingConfig::default()
        },
        SamplingConfig {
            mirostat: Mirostat::V1 { tau: 5.0, eta: 0.1 },
            ..SamplingConfig::default()
        },
        SamplingConfig {
            mirostat: Mirostat::V2 { tau: 5.0, eta: 0.1 },
            ..SamplingConfig::default()
        },
    ];
    let nan = f32::NAN;
    let inf = f32::INFINITY;
    for config in configs {
        let mut s = Sampler::new(config.clone(), 4).unwrap();
        s.accept(3);
        s.accept(1000); // out of the vocabulary: ignored
        assert_eq!(s.sample(&[nan, 1.0, nan, 0.0]), 1, "{config:?}");
        assert_eq!(s.sample(&[0.0, inf, 1.0, nan]), 1, "{config:?}");
        assert!(s.sample(&[-inf; 4]) < 4, "{config:?}");
        assert!(s.sample(&[nan; 4]) < 4, "{config:?}");
        assert_eq!(s.sample(&[]), 0, "{config:?}");
    }
}

#[test]
fn new_rejects_bad_configs_and_vocabularies() {
    assert!(matches!(
        Sampler::new(
            SamplingConfig {
                top_p: 2.0,
                ..SamplingConfig::default()
            },
            10
        ),
        Err(SamplingError::InvalidSetting { name: "top_p", .. })
    ));
    assert!(matches!(
        Sampler::new(SamplingConfig::default(), 0),
        Err(SamplingError::EmptyVocabulary)
    ));
}
