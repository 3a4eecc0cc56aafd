//! Continuous batching gives each request the reply it gets alone: on a tiny random-weight
//! model, requests with different prompts, samplings and a grammar, submitted together to a
//! batcher with fewer places than requests and small prompt chunks (so requests join while
//! others decode and leave mid-way), each get exactly the tokens of a separate `generate`.
//! Cancelling or dropping one leaves the others untouched, and a full queue refuses work.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use ouro_llm::batch::{BatchError, BatchLimits, Batcher, Event, Request};
use ouro_llm::constrained::Grammar;
use ouro_llm::engine::{Engine, GenerateOptions, Generation, StopReason};
use ouro_llm::sampling::SamplingConfig;
use ouro_llm::synth::{SynthArch, SynthSpec, write_synth_model};

fn tiny_engine(name: &str) -> Arc<Engine> {
    let mut spec = SynthSpec::preset(SynthArch::Llama, "tiny").unwrap();
    spec.seed = 31;
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("batch_{name}.gguf"));
    write_synth_model(&spec, &path, &mut |_, _| {}).unwrap();
    Arc::new(Engine::load(&path, 2).unwrap())
}

fn options(max_tokens: usize, sampling: SamplingConfig) -> GenerateOptions {
    GenerateOptions {
        max_tokens,
        sampling,
        ignore_eos: true,
        ..GenerateOptions::default()
    }
}

fn sampled(temperature: f32, seed: u64) -> SamplingConfig {
    SamplingConfig {
        temperature,
        seed,
        ..SamplingConfig::default()
    }
}

const N_CTX: usize = 256;

fn alone(engine: &Engine, request: &Request) -> Generation {
    engine
        .generate(
            &request.prompt_tokens,
            N_CTX,
            &request.opts,
            &AtomicBool::new(false),
            &mut |_| {},
        )
        .unwrap()
}

fn limits(max_sequences: usize, max_queue: usize) -> BatchLimits {
    BatchLimits {
        max_sequences,
        max_queue,
        n_ctx: N_CTX,
        prefill_chunk: 5,
    }
}

#[test]
fn each_request_gets_the_reply_it_gets_alone() {
    let engine = tiny_engine("alone");
    let prompts = [
        "fn main() {\n    println!(\"hello\");\n}\n",
        "def add(a, b):\n    return a + b\n",
        "The quick brown fox",
        "SELECT name FROM users WHERE id = 7;",
        "a",
    ];
    let samplings = [
        SamplingConfig::greedy(),
        sampled(0.8, 3),
        SamplingConfig::greedy(),
        sampled(1.0, 11),
        SamplingConfig::greedy(),
    ];
    let mut requests: Vec<Request> = prompts
        .iter()
        .zip(samplings)
        .enumerate()
        .map(|(i, (prompt, sampling))| Request {
            prompt_tokens: engine.tokenize_prompt(prompt),
            // Different lengths, so requests leave at different steps.
            opts: options(12 + 9 * i, sampling),
        })
        .collect();
    requests[2].opts.grammar = Some(Grammar::lark(r#"start: ("yes" | "no") ("!")*"#));
    requests[2].opts.ignore_eos = false;
    requests[1].opts.stop = vec!["\n\n".into()];

    // Two places for five requests: the later ones join as the first ones end.
    let batcher = Batcher::start(engine.clone(), limits(2, 8));
    let handles: Vec<_> = requests
        .iter()
        .map(|r| batcher.submit(r.clone()).unwrap())
        .collect();
    for (i, (handle, request)) in handles.into_iter().zip(&requests).enumerate() {
        let mut streamed = String::new();
        let together = handle.wait(&mut |piece| streamed.push_str(piece)).unwrap();
        let alone = alone(&engine, request);
        assert_eq!(together.tokens, alone.tokens, "request {i}");
        assert_eq!(together.text, alone.text, "request {i}");
        assert_eq!(streamed, together.text, "request {i}: streamed text");
        assert_eq!(together.stop_reason, alone.stop_reason, "request {i}");
        assert_eq!(together.prompt_tokens, request.prompt_tokens.len());
    }
    let stats = batcher.stats();
    let steps = stats.steps.load(std::sync::atomic::Ordering::Relaxed);
    let stepped = stats
        .sequences_stepped
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        stepped > steps,
        "no step decoded two sequences together ({stepped} in {steps} steps)"
    );
}

#[test]
fn a_cancelled_or_dropped_request_leaves_the_others_alone() {
    let engine = tiny_engine("cancel");
    let request = |prompt: &str, max_tokens| Request {
        prompt_tokens: engine.tokenize_prompt(prompt),
        opts: options(max_tokens, SamplingConfig::greedy()),
    };
    let keep = request("let x = 1;", 40);
    let batcher = Batcher::start(engine.clone(), limits(4, 8));
    let cancelled = batcher.submit(request("while true do", 200)).unwrap();
    let dropped = batcher.submit(request("for i in 0..", 200)).unwrap();
    let kept = batcher.submit(keep.clone()).unwrap();
    drop(dropped);
    // Cancel once it has produced something.
    match cancelled.recv_timeout(Duration::from_secs(60)) {
        Some(Event::Text(_)) => {}
        other => panic!("expected text first, got {other:?}"),
    }
    cancelled.cancel();
    let ended = cancelled.wait(&mut |_| {}).unwrap();
    assert_eq!(ended.stop_reason, StopReason::Cancelled);
    assert!(ended.tokens.len() < 200);
    let kept = kept.wait(&mut |_| {}).unwrap();
    assert_eq!(kept.tokens, alone(&engine, &keep).tokens);
}

#[test]
fn a_full_queue_refuses_and_bad_requests_are_errors() {
    let engine = tiny_engine("queue");
    let request = |max_tokens| Request {
        prompt_tokens: engine.tokenize_prompt("x = 1"),
        opts: options(max_tokens, SamplingConfig::greedy()),
    };
    let batcher = Batcher::start(engine.clone(), limits(1, 1));
    let running = batcher.submit(request(400)).unwrap();
    // Once it runs, one more fits in the queue and the next is refused.
    assert!(matches!(
        running.recv_timeout(Duration::from_secs(60)),
        Some(Event::Text(_))
    ));
    let queued = batcher.submit(request(3)).unwrap();
    let refused = batcher.submit(request(3)).expect_err("queue full");
    assert!(
        matches!(refused, BatchError::QueueFull { limit: 1 }),
        "{refused}"
    );
    running.cancel();
    assert_eq!(queued.wait(&mut |_| {}).unwrap().tokens.len(), 3);

    let empty = Request {
        prompt_tokens: Vec::new(),
        ..request(3)
    };
    assert!(matches!(
        batcher.submit(empty),
        Err(BatchError::EmptyPrompt)
    ));
    let long = Request {
        prompt_tokens: vec![1; N_CTX],
        ..request(3)
    };
    assert!(matches!(
        batcher.submit(long),
        Err(BatchError::PromptTooLong { .. })
    ));
}
