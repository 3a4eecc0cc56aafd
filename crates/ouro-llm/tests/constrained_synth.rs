//! Constrained decoding on a tiny random-weight model: whatever the model prefers, the
//! output matches the grammar, with every sampler; masks allow exactly the grammar's
//! tokens; bad grammars are reported as errors.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use ouro_llm::constrained::{ConstrainedError, Grammar, SchemaLimits, bound_schema, validate};
use ouro_llm::engine::{Engine, EngineError, GenerateOptions, StopReason};
use ouro_llm::sampling::{Mirostat, SamplingConfig};
use ouro_llm::synth::{SynthArch, SynthSpec, write_synth_model};
use serde_json::{Value, json};

/// A tiny synth model (2048-token byte-level BPE vocabulary), written once per test.
fn tiny_engine(name: &str) -> Engine {
    let mut spec = SynthSpec::preset(SynthArch::Llama, "tiny").unwrap();
    spec.seed = 7;
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("constrained_{name}.gguf"));
    write_synth_model(&spec, &path, &mut |_, _| {}).unwrap();
    Engine::load(&path, 1).unwrap()
}

fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "kind": {"enum": ["file", "dir", "link"]},
            "size": {"type": "integer", "minimum": 0, "maximum": 5000},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "hidden": {"type": "boolean"}
        },
        "required": ["name", "kind", "size", "tags"],
        "additionalProperties": false
    })
}

fn samplers() -> Vec<SamplingConfig> {
    let base = SamplingConfig {
        temperature: 1.5,
        top_k: 0,
        top_p: 1.0,
        min_p: 0.0,
        ..SamplingConfig::default()
    };
    vec![
        SamplingConfig::greedy(),
        base.clone(),
        SamplingConfig {
            typical_p: 0.9,
            repeat_penalty: 1.3,
            frequency_penalty: 0.5,
            ..base.clone()
        },
        SamplingConfig::default(),
        SamplingConfig {
            mirostat: Mirostat::V2 { tau: 5.0, eta: 0.1 },
            ..base
        },
    ]
}

#[test]
fn json_schema_outputs_always_validate() {
    let engine = tiny_engine("json");
    let limits = SchemaLimits {
        max_string_chars: 12,
        max_items: 4,
        max_abs_number: 1000,
    };
    let grammar = Grammar::json_schema(&bound_schema(&schema(), &limits)).unwrap();
    let prompt = engine.tokenize_prompt("Describe a file as JSON:");
    let cancel = AtomicBool::new(false);
    for (i, sampling) in samplers().into_iter().enumerate() {
        for seed in 0..4 {
            let opts = GenerateOptions {
                max_tokens: 400,
                sampling: SamplingConfig {
                    seed,
                    ..sampling.clone()
                },
                grammar: Some(grammar.clone()),
                ..GenerateOptions::default()
            };
            let mut streamed = String::new();
            let out = engine
                .generate(&prompt, 1024, &opts, &cancel, &mut |p| streamed.push_str(p))
                .unwrap();
            assert_eq!(
                out.stop_reason,
                StopReason::GrammarComplete,
                "sampler {i} seed {seed}: {}",
                out.text
            );
            assert_eq!(streamed, out.text);
            let value: Value = serde_json::from_str(&out.text)
                .unwrap_or_else(|e| panic!("sampler {i} seed {seed}: {e}: {}", out.text));
            validate(&schema(), &value, "output").unwrap();
            assert_eq!(engine.tokenizer.decode(&out.tokens, false), out.text);
        }
    }
}

#[test]
fn lark_grammar_and_eos() {
    let engine = tiny_engine("lark");
    let grammar = Grammar::lark(r#"start: ("yes" | "no") ("!")*"#);
    let prompt = engine.tokenize_prompt("Answer:");
    let cancel = AtomicBool::new(false);
    let mut seen_bang = false;
    for seed in 0..8 {
        let opts = GenerateOptions {
            max_tokens: 20,
            sampling: SamplingConfig {
                seed,
                temperature: 2.0,
                ..SamplingConfig::default()
            },
            grammar: Some(grammar.clone()),
            ..GenerateOptions::default()
        };
        let out = engine
            .generate(&prompt, 256, &opts, &cancel, &mut |_| {})
            .unwrap();
        let body = out.text.trim_end_matches('!');
        assert!(body == "yes" || body == "no", "{:?}", out.text);
        seen_bang |= out.text.ends_with('!');
        // An open-ended grammar ends only by the model choosing end-of-generation (allowed
        // once the grammar accepts) or by running out of tokens.
        assert!(
            matches!(
                out.stop_reason,
                StopReason::EndOfGeneration | StopReason::MaxTokens
            ),
            "{:?}",
            out.stop_reason
        );
    }
    assert!(seen_bang, "the optional tail was never generated");
}

#[test]
fn masks_allow_exactly_the_grammar_tokens() {
    let engine = tiny_engine("mask");
    let compiler = engine.grammar_compiler().unwrap();
    let mut guide = compiler
        .compile(&Grammar::lark(r#"start: "ab" /[0-9]+/"#))
        .unwrap();
    let n_vocab = engine.model.config().n_vocab;
    let mut logits = vec![0.5f32; n_vocab];
    guide.mask_logits(&mut logits).unwrap();
    let allowed: Vec<u32> = (0..n_vocab as u32)
        .filter(|&t| logits[t as usize].is_finite())
        .collect();
    assert!(!allowed.is_empty());
    for &t in &allowed {
        let piece = engine.tokenizer.token_to_piece(t);
        assert!(
            b"ab".starts_with(&piece) || piece.starts_with(b"ab"),
            "token {t} {piece:?} allowed"
        );
    }
    let mask = guide.allowed().unwrap();
    for t in 0..n_vocab as u32 {
        assert_eq!(
            mask.is_allowed(t),
            logits[t as usize].is_finite(),
            "token {t}"
        );
    }
    let a = engine.tokenizer.encode("a", false, false);
    assert_eq!(a.len(), 1);
    let c = engine.tokenizer.encode("c", false, false)[0];
    assert!(!mask.is_allowed(c));
    let err = guide.commit(c).unwrap_err();
    assert!(
        matches!(err, ConstrainedError::Matcher { step: 0, .. }),
        "{err}"
    );
}

#[test]
fn invalid_grammars_are_clear_errors() {
    let engine = tiny_engine("invalid");
    let prompt = engine.tokenize_prompt("x");
    let cancel = AtomicBool::new(false);
    let cases = [
        (Grammar::lark("start: foo"), "invalid Lark grammar"),
        (
            Grammar::json_schema(
                &json!({"type": "object", "properties": {"a": {"$ref": "#/nowhere"}}}),
            )
            .unwrap(),
            "invalid JSON schema",
        ),
    ];
    for (grammar, expected) in cases {
        let opts = GenerateOptions {
            grammar: Some(grammar),
            ..GenerateOptions::default()
        };
        let err = engine
            .generate(&prompt, 64, &opts, &cancel, &mut |_| {})
            .unwrap_err();
        assert!(
            matches!(
                err,
                EngineError::Constrained(ConstrainedError::InvalidGrammar { .. })
            ),
            "{err}"
        );
        assert!(err.to_string().starts_with(expected), "{err}");
    }
}

#[test]
fn engine_stays_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Engine>();
}
