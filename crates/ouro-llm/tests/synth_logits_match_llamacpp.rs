//! Random-weight llama and qwen2 models give the same logits as llama.cpp.
//!
//! Each case re-creates a synth model (deterministic from its seed) with ouro's writer, runs
//! the fixture's prompt tokens and compares the logits after the prompt with llama.cpp's
//! (scripts/reference/make-fixtures.py), then the 16-token greedy continuation.

use ouro_llm::GgmlType;
use ouro_llm::model::{Logits, Model};
use ouro_llm::synth::{SynthArch, SynthSpec, write_synth_model};
use ouro_llm::threadpool::ThreadPool;
use serde_json::Value;

/// Largest allowed `max |ouro - llama.cpp| / max |llama.cpp|` over the logits.
///
/// The target is 1e-3; most cases are bit-identical. Known gaps, held to 2e-2 so that they
/// cannot get worse unnoticed: llama.cpp's x86 CPU backend repacks Q4_K weights into an
/// interleaved layout whose GEMM kernels round differently from ouro's (ouro's packed Q4_K
/// kernels accumulate per super-block too, but not in llama.cpp's exact order: about 1.2e-2
/// here, 1.4e-2 with the row kernels), and multi-token Q6_K products differed in the last bit
/// (the first difference was in the prompt's V projection; with ouro's packed Q6_K kernels
/// the case agrees to about 1e-5).
fn max_relative_error(ty: GgmlType) -> f32 {
    match ty {
        GgmlType::Q4K | GgmlType::Q6K => 2e-2,
        _ => 1e-3,
    }
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|t| t.as_u64().expect("id") as u32)
        .collect()
}

#[test]
fn synth_logits_match_llamacpp() {
    let fixture: Value = serde_json::from_str(include_str!("fixtures/generation/synth.json"))
        .expect("fixture is JSON");
    let dir = tempfile::tempdir().expect("temp dir");
    let pool = ThreadPool::new(2).expect("threads start");
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for case in fixture["cases"].as_array().expect("cases") {
        let arch = SynthArch::from_name(case["arch"].as_str().unwrap()).unwrap();
        let mut spec = SynthSpec::preset(arch, case["shape"].as_str().unwrap()).unwrap();
        spec.ty = GgmlType::from_name(case["type"].as_str().unwrap()).unwrap();
        spec.seed = case["seed"].as_u64().unwrap();
        let name = format!("{}-{}", case["arch"].as_str().unwrap(), spec.ty);
        let path = dir.path().join(format!("{name}.gguf"));
        write_synth_model(&spec, &path, &mut |_, _| {}).expect("synth model written");
        let model = Model::load(&path).expect("synth model loads");

        let prompt = ids(&case["prompt_tokens"]);
        let expected: Vec<f32> = case["logits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        let mut state = model.new_state(prompt.len() + 17);
        let mut logits = model
            .forward(&mut state, &prompt, Logits::Last, &pool)
            .unwrap()
            .to_vec();
        assert_eq!(logits.len(), expected.len(), "{name}: vocabulary size");
        let max_ref = expected.iter().fold(0f32, |m, v| m.max(v.abs()));
        let max_diff = logits
            .iter()
            .zip(&expected)
            .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        let rel = max_diff / max_ref;
        let limit = max_relative_error(spec.ty);
        report.push(format!(
            "{name}: relative error {rel:.2e} (limit {limit:.0e})"
        ));
        if rel >= limit {
            failures.push(format!(
                "{name}: logits differ from llama.cpp by {rel:.2e} (max |diff| {max_diff})"
            ));
            continue;
        }

        let mut got = Vec::new();
        for _ in 0..ids(&case["tokens"]).len() {
            let t = logits
                .iter()
                .enumerate()
                .fold(0, |best, (i, &v)| if v > logits[best] { i } else { best })
                as u32;
            got.push(t);
            logits = model
                .forward(&mut state, &[t], Logits::Last, &pool)
                .unwrap()
                .to_vec();
        }
        // Greedy tokens are compared only where the logits meet the 1e-3 target.
        if limit <= 1e-3 && got != ids(&case["tokens"]) {
            failures.push(format!(
                "{name}: greedy tokens {got:?} differ from llama.cpp's {:?}",
                ids(&case["tokens"])
            ));
        }
    }
    println!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
