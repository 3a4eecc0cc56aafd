//! Robustness: thousands of randomly generated and mutated programs (seeded, so any
//! failure reproduces) go through parse, validate, lower and the CPU renderer without a
//! panic; random programs render identically on the GPU.

mod common;

use common::random::{Rng, mutate_text, mutate_value, program};
use ouro_pixel::{cpu, lower, parse_program, program_from_value};

/// Renders a program if it is valid and small enough to render quickly in a test.
fn exercise(text: &str) -> bool {
    match parse_program(text) {
        Ok(p) if p.width as u64 * p.height as u64 <= 128 * 128 => {
            let img = cpu::render(&lower(&p));
            assert_eq!(img.pixels.len() as u64, p.width as u64 * p.height as u64);
            true
        }
        Ok(_) => true,
        Err(e) => {
            assert!(
                !e.path.is_empty() && !e.reason.is_empty(),
                "empty error for {text}"
            );
            false
        }
    }
}

#[test]
fn mutated_json_never_panics() {
    let mut rng = Rng::new(6);
    let seeds: Vec<String> = common::golden_programs()
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    let (mut valid, mut total) = (0, 0);
    for round in 0..3000 {
        let base = rng.pick(&seeds).clone();
        let text = if round % 2 == 0 {
            mutate_text(&mut rng, &base)
        } else {
            let mut v: serde_json::Value = serde_json::from_str(&base).unwrap_or_default();
            for _ in 0..rng.range(1, 3) {
                mutate_value(&mut rng, &mut v);
            }
            v.to_string()
        };
        total += 1;
        valid += exercise(&text) as usize;
    }
    // Both outcomes must actually be exercised.
    assert!(
        valid > 100 && valid < total,
        "{valid} of {total} mutated programs were valid"
    );
}

#[test]
fn random_programs_never_panic() {
    let mut rng = Rng::new(42);
    for _ in 0..500 {
        let (w, h) = (rng.range(1, 40), rng.range(1, 40));
        let (ops, size) = (rng.range(0, 30) as usize, rng.range(1, 60));
        let v = program(&mut rng, w, h, ops, size);
        let p = program_from_value(&v)
            .unwrap_or_else(|e| panic!("generated program invalid: {e}\n{v}"));
        cpu::render(&lower(&p));
    }
}

#[test]
fn random_programs_render_identically_on_gpu() -> Result<(), Box<dyn std::error::Error>> {
    let Some(gpu) = common::gpu() else {
        return Ok(());
    };
    let mut rng = Rng::new(7);
    for i in 0..150 {
        let (w, h) = (rng.range(1, 70), rng.range(1, 50));
        let (ops, size) = (rng.range(1, 40) as usize, rng.range(1, 80));
        let v = program(&mut rng, w, h, ops, size);
        let c = lower(&program_from_value(&v)?);
        let (a, b) = (cpu::render(&c), gpu.render(&c)?);
        assert!(a == b, "program {i} differs between CPU and GPU:\n{v}");
    }
    Ok(())
}
