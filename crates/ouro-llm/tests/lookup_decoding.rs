//! Speculative decoding from prompt-lookup drafts changes how many forward passes a reply
//! takes, never which tokens it holds: on a tiny random-weight model, a prompt full of
//! repeats (so drafts are made and some are kept) decodes to the same tokens with and
//! without lookup, greedy and sampled, and a chat session that continues after a lookup
//! reply sees the same cache as one that never drafted.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use ouro_llm::engine::{Engine, GenerateOptions};
use ouro_llm::lookup::Lookup;
use ouro_llm::sampling::SamplingConfig;
use ouro_llm::synth::{SynthArch, SynthSpec, write_synth_model};

fn tiny_engine(name: &str) -> Engine {
    let mut spec = SynthSpec::preset(SynthArch::Llama, "tiny").unwrap();
    spec.seed = 11;
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("lookup_{name}.gguf"));
    write_synth_model(&spec, &path, &mut |_, _| {}).unwrap();
    Engine::load(&path, 1).unwrap()
}

fn options(sampling: SamplingConfig, lookup: Option<Lookup>) -> GenerateOptions {
    GenerateOptions {
        max_tokens: 96,
        sampling,
        ignore_eos: true,
        lookup,
        ..GenerateOptions::default()
    }
}

/// A prompt whose token stream repeats, so that n-grams recur from the start.
fn prompt(engine: &Engine) -> Vec<u32> {
    let text = "def add(a, b):\n    return a + b\n\n".repeat(6);
    engine.tokenize_prompt(&text)
}

#[test]
fn lookup_decoding_yields_the_same_tokens() {
    let engine = tiny_engine("same");
    let tokens = prompt(&engine);
    let cancel = AtomicBool::new(false);
    let sampled = SamplingConfig {
        temperature: 0.4,
        seed: 5,
        ..SamplingConfig::default()
    };
    let mut any_kept = false;
    for sampling in [SamplingConfig::greedy(), sampled] {
        let plain = engine
            .generate(
                &tokens,
                512,
                &options(sampling.clone(), None),
                &cancel,
                &mut |_| {},
            )
            .unwrap();
        assert_eq!((plain.drafted, plain.accepted), (0, 0));
        for max_draft in [1, 4, 16] {
            let lookup = Lookup {
                max_draft,
                ..Lookup::default()
            };
            let fast = engine
                .generate(
                    &tokens,
                    512,
                    &options(sampling.clone(), Some(lookup)),
                    &cancel,
                    &mut |_| {},
                )
                .unwrap();
            assert_eq!(
                fast.tokens, plain.tokens,
                "max_draft {max_draft}, {sampling:?}"
            );
            assert_eq!(fast.text, plain.text);
            assert!(fast.drafted > 0, "the repeats must give drafts");
            assert!(fast.accepted <= fast.drafted);
            any_kept |= fast.accepted > 0;
        }
    }
    assert!(any_kept, "no draft token was ever kept");
}

#[test]
fn a_session_continues_cleanly_after_a_lookup_reply() {
    let engine = tiny_engine("session");
    let cancel = AtomicBool::new(false);
    let first = "def add(a, b):\n    return a + b\n\n".repeat(4);
    let run = |lookup: Option<Lookup>| {
        let mut session = engine.session(1024).unwrap();
        let opts = options(SamplingConfig::greedy(), lookup);
        let one = session
            .generate(&engine, &first, &opts, &cancel, &mut |_| {})
            .unwrap();
        let second = format!("{first}{}\n# next\ndef add(a, b):\n", one.text);
        let two = session
            .generate(&engine, &second, &opts, &cancel, &mut |_| {})
            .unwrap();
        (one.tokens, two.tokens)
    };
    assert_eq!(run(Some(Lookup::default())), run(None));
}
