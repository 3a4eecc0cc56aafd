//! Log-probabilities in OpenAI's shapes, from the per-token figures the engine records
//! ([`ouro_llm::engine::GenerateOptions::logprobs`]): chat's `{"content": [{token,
//! logprob, bytes, top_logprobs}]}` and the legacy completions' `{tokens,
//! token_logprobs, top_logprobs, text_offset}`.

use ouro_llm::engine::{Engine, Generation};
use serde_json::{Map, Value, json};

/// A token's bytes and its text (invalid UTF-8, as in a piece of a multi-byte character,
/// shown lossily; `bytes` stays exact).
fn piece(engine: &Engine, token: u32) -> (Vec<u8>, String) {
    let bytes = engine.tokenizer.token_to_piece(token);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (bytes, text)
}

/// `choices[].logprobs` of a chat reply, or `null` when none were asked for.
pub fn chat(engine: &Engine, generation: &Generation, asked: bool) -> Value {
    if !asked {
        return Value::Null;
    }
    let content: Vec<Value> = generation
        .logprobs
        .iter()
        .map(|t| {
            let (bytes, token) = piece(engine, t.token);
            let top: Vec<Value> = t
                .top
                .iter()
                .map(|&(id, logprob)| {
                    let (bytes, token) = piece(engine, id);
                    json!({"token": token, "logprob": logprob, "bytes": bytes})
                })
                .collect();
            json!({"token": token, "logprob": t.logprob, "bytes": bytes, "top_logprobs": top})
        })
        .collect();
    json!({ "content": content })
}

/// `choices[].logprobs` of a completion, or `null` when none were asked for.
pub fn completion(engine: &Engine, generation: &Generation, asked: bool) -> Value {
    if !asked {
        return Value::Null;
    }
    let (mut tokens, mut logprobs, mut tops, mut offsets) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut offset = 0;
    for t in &generation.logprobs {
        let (_, text) = piece(engine, t.token);
        offsets.push(offset);
        offset += text.len();
        tokens.push(text);
        logprobs.push(t.logprob);
        let top: Map<String, Value> = t
            .top
            .iter()
            .map(|&(id, logprob)| (piece(engine, id).1, json!(logprob)))
            .collect();
        tops.push(Value::Object(top));
    }
    json!({
        "tokens": tokens,
        "token_logprobs": logprobs,
        "top_logprobs": tops,
        "text_offset": offsets,
    })
}
