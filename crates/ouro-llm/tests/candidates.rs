//! Candidates decoded side by side are the replies each sampling gives on its own: on a tiny
//! random-weight model, `generate_candidates` with a greedy and two sampled configurations
//! yields, for each, the tokens of a separate `generate` with that configuration, and a chat
//! session that made candidates keeps the prompt (not the replies) cached.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use ouro_llm::engine::{Engine, GenerateOptions, StopReason};
use ouro_llm::model::Logits;
use ouro_llm::sampling::SamplingConfig;
use ouro_llm::synth::{SynthArch, SynthSpec, write_synth_model};

fn tiny_engine(name: &str) -> Engine {
    let mut spec = SynthSpec::preset(SynthArch::Llama, "tiny").unwrap();
    spec.seed = 23;
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cand_{name}.gguf"));
    write_synth_model(&spec, &path, &mut |_, _| {}).unwrap();
    Engine::load(&path, 2).unwrap()
}

fn samplings() -> Vec<SamplingConfig> {
    let sampled = |temperature, seed| SamplingConfig {
        temperature,
        seed,
        ..SamplingConfig::default()
    };
    vec![
        SamplingConfig::greedy(),
        sampled(0.5, 5),
        sampled(0.9, 9),
        sampled(0.9, 10),
    ]
}

fn options(max_tokens: usize) -> GenerateOptions {
    GenerateOptions {
        max_tokens,
        sampling: SamplingConfig::greedy(),
        ignore_eos: true,
        ..GenerateOptions::default()
    }
}

#[test]
fn each_candidate_is_the_reply_its_sampling_gives_alone() {
    let engine = tiny_engine("alone");
    let prompt = engine.tokenize_prompt("fn main() {\n    println!(\"hello\");\n}\n");
    let cancel = AtomicBool::new(false);
    let mut state = engine.new_sequence(256).unwrap();
    let mut streamed = vec![String::new(); samplings().len()];
    let together = engine
        .generate_candidates(
            &mut state,
            &prompt,
            &options(40),
            &samplings(),
            &cancel,
            &mut |i, piece| streamed[i].push_str(piece),
        )
        .unwrap();
    assert_eq!(together.len(), samplings().len());
    assert_eq!(state.pos(), prompt.len(), "only the prompt stays cached");
    for (i, (candidate, sampling)) in together.iter().zip(samplings()).enumerate() {
        let alone = engine
            .generate(
                &prompt,
                256,
                &GenerateOptions {
                    sampling: sampling.clone(),
                    ..options(40)
                },
                &cancel,
                &mut |_| {},
            )
            .unwrap();
        assert_eq!(
            candidate.tokens, alone.tokens,
            "candidate {i}: {sampling:?}"
        );
        assert_eq!(candidate.text, alone.text);
        assert_eq!(
            streamed[i], alone.text,
            "candidate {i} streamed its own text"
        );
        assert_eq!(candidate.stop_reason, StopReason::MaxTokens);
    }
    // The sampled candidates differ from one another (the test could not tell them apart
    // otherwise).
    assert_ne!(together[2].tokens, together[3].tokens);
}

#[test]
fn a_session_keeps_the_prompt_cached_across_candidates() {
    let engine = tiny_engine("session");
    let prompt = "def area(r):\n    return 3.14 * r * r\n";
    let cancel = AtomicBool::new(false);
    let mut session = engine.session(256).unwrap();
    let first = session
        .generate_candidates(
            &engine,
            prompt,
            &options(12),
            &samplings()[..2],
            &cancel,
            &mut |_, _| {},
        )
        .unwrap();
    // Asked again, the session reuses the cached prompt and gives the same greedy reply as
    // a fresh context.
    let again = session
        .generate(&engine, prompt, &options(12), &cancel, &mut |_| {})
        .unwrap();
    let fresh = engine
        .generate(
            &engine.tokenize_prompt(prompt),
            256,
            &options(12),
            &cancel,
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(first[0].tokens, fresh.tokens);
    assert_eq!(again.tokens, fresh.tokens);
    assert_eq!(
        again.prompt_tokens, 1,
        "only the last prompt token is run again"
    );
}

#[test]
fn cancelling_stops_every_candidate() {
    let engine = tiny_engine("cancel");
    let prompt = engine.tokenize_prompt("hello");
    let cancel = AtomicBool::new(true);
    let mut state = engine.new_sequence(64).unwrap();
    let out = engine
        .generate_candidates(
            &mut state,
            &prompt,
            &options(8),
            &samplings(),
            &cancel,
            &mut |_, _| {},
        )
        .unwrap();
    assert!(
        out.iter()
            .all(|g| g.stop_reason == StopReason::Cancelled && g.tokens.is_empty())
    );
}

#[test]
fn prompts_with_different_endings_share_their_start_and_each_get_their_own_reply() {
    let engine = tiny_engine("branches");
    let start = "def area(r):\n    return 3.14 * r * r\n\n# Line ";
    let endings = ["2 is wrong:", "1 is fine, and so is 2", "1:"];
    let prompts: Vec<String> = endings.iter().map(|e| format!("{start}{e}")).collect();
    let cancel = AtomicBool::new(false);
    let mut session = engine.session(256).unwrap();
    let asked: Vec<(&str, SamplingConfig)> = prompts
        .iter()
        .zip(samplings())
        .map(|(p, s)| (p.as_str(), s))
        .collect();
    let together = session
        .generate_branches(&engine, &asked, &options(10), &cancel, &mut |_, _| {})
        .unwrap();
    assert_eq!(together.len(), prompts.len());
    // Each reply is what the same sampling gives alone, with its prompt run in the same two
    // pieces (the shared start, then its ending), so the arithmetic is the same.
    let tokenized: Vec<Vec<u32>> = prompts.iter().map(|p| engine.tokenize_prompt(p)).collect();
    let shared = (0..)
        .take_while(|&i| tokenized.iter().all(|t| t.get(i) == tokenized[0].get(i)))
        .count();
    assert!(shared > 8, "the prompts share their start");
    for ((tokens, (prompt, sampling)), reply) in tokenized.iter().zip(&asked).zip(&together) {
        let mut state = engine.new_sequence(256).unwrap();
        engine
            .forward(&mut state, &tokens[..shared], Logits::Last)
            .unwrap();
        let alone = engine
            .generate_in(
                &mut state,
                &tokens[shared..],
                &GenerateOptions {
                    sampling: sampling.clone(),
                    ..options(10)
                },
                &cancel,
                &mut |_| {},
            )
            .unwrap();
        assert_eq!(reply.tokens, alone.tokens, "{prompt:?}");
    }
    // The shared start stays cached: asking the first prompt again runs only its ending.
    let again = session
        .generate(&engine, &prompts[0], &options(10), &cancel, &mut |_| {})
        .unwrap();
    assert_eq!(again.tokens, together[0].tokens);
    let whole = engine.tokenize_prompt(&prompts[0]).len();
    assert!(
        again.prompt_tokens < whole / 2,
        "{} of {whole} prompt tokens run again",
        again.prompt_tokens
    );
}

#[test]
fn a_greedy_reply_scores_as_the_most_likely_token_at_every_place() {
    let engine = tiny_engine("score");
    let prompt = engine.tokenize_prompt("fn main() {\n    let x = 1;\n");
    let cancel = AtomicBool::new(false);
    let reply = engine
        .generate(&prompt, 256, &options(12), &cancel, &mut |_| {})
        .unwrap();
    let text: Vec<u32> = prompt.iter().chain(&reply.tokens).copied().collect();
    let scores = engine.score(&text, prompt.len(), &cancel).unwrap();
    assert_eq!(scores.len(), reply.tokens.len());
    for (s, &token) in scores.iter().zip(&reply.tokens) {
        assert_eq!(s.token, token);
        assert_eq!(s.top, token, "greedy took the top token");
        assert!(
            s.logprob <= 0.0 && (s.logprob - s.top_logprob).abs() < 1e-4,
            "{s:?}"
        );
    }
    // The prompt's own tokens are mostly not what this random model expects.
    let prompt_scores = engine.score(&prompt, 1, &cancel).unwrap();
    assert_eq!(prompt_scores.len(), prompt.len() - 1);
    assert!(prompt_scores.iter().any(|s| s.top != s.token));
}
