//! Greedy generation on the default model against llama.cpp's, token for token.
//!
//! The fixture holds llama.cpp's prompt tokens and 64-token greedy continuations for plain and
//! chat-templated prompts (scripts/reference/make-fixtures.py). This test feeds the same prompt
//! tokens to ouro's engine; the tokenizer and template tests check the prompt side.
//!
//! SmolLM2-135M amplifies a one-ulp difference anywhere (llama.cpp's own flash-attention and
//! non-flash-attention paths give logits 1.4 apart after two tokens), so this holds only because
//! ouro's arithmetic is llama.cpp's bit for bit: every case must agree on all its tokens.

mod common;

use ouro_llm::model::{Logits, Model};
use ouro_llm::threadpool::ThreadPool;
use serde_json::Value;

fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &v) in logits.iter().enumerate() {
        if v > logits[best] {
            best = i;
        }
    }
    best as u32
}

#[test]
fn greedy_tokens_match_llamacpp() {
    let Some(path) = common::default_model() else {
        return;
    };
    let fixture: Value = serde_json::from_str(include_str!("fixtures/generation/smollm2.json"))
        .expect("fixture is JSON");
    let model = Model::load(&path).expect("model loads");
    let pool = ThreadPool::new(2).expect("threads start");
    let ids = |v: &Value| -> Vec<u32> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_u64().unwrap() as u32)
            .collect()
    };
    let mut failures = Vec::new();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for (i, case) in cases.iter().enumerate() {
        let prompt = ids(&case["prompt_tokens"]);
        let expected = ids(&case["tokens"]);
        assert!(expected.len() >= 64);
        let mut state = model.new_state(prompt.len() + expected.len() + 1);
        let mut logits = model
            .forward(&mut state, &prompt, Logits::Last, &pool)
            .unwrap()
            .to_vec();
        let mut got = Vec::new();
        for _ in 0..expected.len() {
            let t = argmax(&logits);
            got.push(t);
            logits = model
                .forward(&mut state, &[t], Logits::Last, &pool)
                .unwrap()
                .to_vec();
        }
        let same = got
            .iter()
            .zip(&expected)
            .take_while(|(a, b)| a == b)
            .count();
        println!(
            "case {i}: {same} of {} tokens agree with llama.cpp",
            expected.len()
        );
        if same < expected.len() {
            failures.push(format!(
                "case {i}: first difference at token {same}: got {:?}, llama.cpp {:?}",
                &got[same..],
                &expected[same..]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
