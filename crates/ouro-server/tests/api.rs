//! The server end to end over real HTTP on loopback, on a tiny random-weight model given
//! Qwen2.5-Coder's tool-calling chat template: chat (whole and streamed, usage included),
//! completions, a forced tool call that parses and validates, json_schema output that
//! validates, log-probabilities, embeddings, models, health, metrics, the API key, and
//! bad requests answered with a 4xx naming the field (never a 5xx).

mod common;

use common::{agent, get, json_of, post, start};
use ouro_llm::constrained::validate;
use serde_json::{Value, json};

#[test]
fn chat_completions_whole_streamed_tools_and_schema() {
    let s = start("chat", None);
    let chat = json!({
        "model": "tiny",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hi"}],
        "max_tokens": 12, "temperature": 0, "seed": 1,
    });
    let (status, body) = post(&s, "/v1/chat/completions", &chat.to_string(), None);
    assert_eq!(status, 200, "{body}");
    let whole = json_of(&body);
    assert_eq!(whole["object"], "chat.completion");
    assert_eq!(whole["choices"][0]["message"]["role"], "assistant");
    let text = whole["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    let usage = &whole["usage"];
    assert!(usage["prompt_tokens"].as_u64().unwrap() > 5);
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(
            usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
        )
    );

    // Streamed: the same greedy text in pieces, then the finish reason, usage and [DONE].
    let mut streamed = chat.clone();
    streamed["stream"] = json!(true);
    streamed["stream_options"] = json!({"include_usage": true});
    let (status, body) = post(&s, "/v1/chat/completions", &streamed.to_string(), None);
    assert_eq!(status, 200, "{body}");
    let events: Vec<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect();
    assert_eq!(events.last(), Some(&"[DONE]"), "{body}");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| json_of(e))
        .collect();
    let joined: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(joined, text);
    assert!(
        chunks
            .iter()
            .any(|c| c["choices"][0]["finish_reason"].is_string())
    );
    assert_eq!(chunks.last().unwrap()["usage"], *usage);

    // A forced call: one call to the named tool whose arguments validate.
    let schema = json!({"type": "object", "properties": {"path": {"type": "string"}, "line": {"type": "integer"}}, "required": ["path", "line"]});
    let tools = json!([
        {"type": "function", "function": {"name": "read_file", "description": "Read a file.", "parameters": schema}},
        {"type": "function", "function": {"name": "finish", "description": "End.", "parameters": {"type": "object", "properties": {}}}},
    ]);
    let call = json!({
        "messages": [{"role": "user", "content": "Read main.rs"}],
        "tools": tools, "tool_choice": {"type": "function", "function": {"name": "read_file"}},
        "max_tokens": 120, "temperature": 0.7, "seed": 3,
    });
    let (status, body) = post(&s, "/v1/chat/completions", &call.to_string(), None);
    assert_eq!(status, 200, "{body}");
    let reply = json_of(&body);
    assert_eq!(reply["choices"][0]["finish_reason"], "tool_calls", "{body}");
    let function = &reply["choices"][0]["message"]["tool_calls"][0]["function"];
    assert_eq!(function["name"], "read_file");
    let arguments = json_of(function["arguments"].as_str().unwrap());
    assert!(validate(&schema, &arguments, "").is_ok(), "{arguments}");

    // The call goes back as history with its result: the template renders it.
    let follow = json!({
        "messages": [
            {"role": "user", "content": "Read main.rs"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "read_file", "arguments": "{\"path\": \"main.rs\", \"line\": 1}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "fn main() {}"},
        ],
        "tools": [tools[1]], "tool_choice": "required", "max_tokens": 120, "seed": 4,
    });
    let (status, body) = post(&s, "/v1/chat/completions", &follow.to_string(), None);
    assert_eq!(status, 200, "{body}");
    let reply = json_of(&body);
    assert_eq!(reply["choices"][0]["finish_reason"], "tool_calls", "{body}");
    assert_eq!(
        reply["choices"][0]["message"]["tool_calls"][0]["function"]["name"],
        "finish"
    );

    // auto: free text or calls; a reply that starts with `<` is always a well-formed call.
    for seed in 0..6 {
        let auto = json!({
            "messages": [{"role": "user", "content": "Read main.rs if you need to"}],
            "tools": tools, "max_tokens": 60, "temperature": 1.0, "seed": seed,
        });
        let (status, body) = post(&s, "/v1/chat/completions", &auto.to_string(), None);
        assert_eq!(status, 200, "{body}");
        let reply = json_of(&body);
        let message = &reply["choices"][0]["message"];
        let text = message["content"].as_str().unwrap_or_default();
        assert!(
            message["tool_calls"].is_array() || !text.trim_start().starts_with('<'),
            "{body}"
        );
    }

    // json_schema output validates.
    let item = json!({"type": "object", "properties": {"name": {"type": "string", "maxLength": 8}, "n": {"type": "integer"}}, "required": ["name", "n"], "additionalProperties": false});
    let structured = json!({
        "messages": [{"role": "user", "content": "An item"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "item", "schema": item}},
        "max_tokens": 80, "seed": 9,
    });
    let (status, body) = post(&s, "/v1/chat/completions", &structured.to_string(), None);
    assert_eq!(status, 200, "{body}");
    let content = json_of(&body)["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(validate(&item, &json_of(&content), "").is_ok(), "{content}");

    // n: several replies.
    let mut several = chat.clone();
    several["n"] = json!(3);
    several["temperature"] = json!(0.9);
    let (status, body) = post(&s, "/v1/chat/completions", &several.to_string(), None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["choices"].as_array().unwrap().len(), 3);
}

#[test]
fn completions_models_health_and_metrics() {
    let s = start("plain", None);
    let (status, body) = post(
        &s,
        "/v1/completions",
        &json!({"prompt": "fn main() {", "max_tokens": 8, "temperature": 0}).to_string(),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let reply = json_of(&body);
    assert_eq!(reply["object"], "text_completion");
    assert_eq!(reply["usage"]["completion_tokens"], 8);
    assert_eq!(reply["choices"][0]["finish_reason"], "length");

    let (status, body) = get(&s, "/v1/models");
    assert_eq!(status, 200);
    assert_eq!(json_of(&body)["data"][0]["id"], "tiny");
    let (status, body) = get(&s, "/health");
    assert_eq!(
        (status, json_of(&body)["status"].clone()),
        (200, json!("ok"))
    );
    let (status, body) = get(&s, "/metrics");
    assert_eq!(status, 200);
    assert!(
        body.contains("ouro_requests_total{endpoint=\"completions\",status=\"200\"} 1"),
        "{body}"
    );
    assert!(body.contains("ouro_generated_tokens_total 8"), "{body}");
    assert!(
        body.contains("ouro_time_to_first_token_seconds_count 1"),
        "{body}"
    );
}

#[test]
fn logprobs_come_with_each_token_whole_and_streamed() {
    let s = start("logprobs", None);
    let chat = json!({
        "messages": [{"role": "user", "content": "count: 1 2 3"}],
        "max_tokens": 6, "temperature": 0, "logprobs": true, "top_logprobs": 3,
    });
    let (status, body) = post(&s, "/v1/chat/completions", &chat.to_string(), None);
    assert_eq!(status, 200, "{body}");
    let reply = json_of(&body);
    let content = reply["choices"][0]["logprobs"]["content"]
        .as_array()
        .expect("logprobs.content");
    assert_eq!(
        content.len() as u64,
        reply["usage"]["completion_tokens"].as_u64().unwrap()
    );
    for t in content {
        let logprob = t["logprob"].as_f64().expect("logprob");
        let top = t["top_logprobs"].as_array().expect("top_logprobs");
        assert_eq!(top.len(), 3);
        // Greedy: the chosen token is the likeliest one.
        assert_eq!(top[0]["token"], t["token"]);
        assert!(logprob <= 0.0 && (logprob - top[0]["logprob"].as_f64().unwrap()).abs() < 1e-6);
        assert!(top[1]["logprob"].as_f64() <= top[0]["logprob"].as_f64());
    }
    // Without logprobs asked, none.
    let (_, body) = post(
        &s,
        "/v1/chat/completions",
        &json!({"messages": [{"role": "user", "content": "x"}], "max_tokens": 2}).to_string(),
        None,
    );
    assert_eq!(json_of(&body)["choices"][0]["logprobs"], Value::Null);
    // The legacy completions shape, and streamed: the last chunk carries them.
    let completion = json!({"prompt": "fn main", "max_tokens": 4, "temperature": 0, "logprobs": 2});
    let (status, body) = post(&s, "/v1/completions", &completion.to_string(), None);
    assert_eq!(status, 200, "{body}");
    let lp = &json_of(&body)["choices"][0]["logprobs"];
    assert_eq!(lp["tokens"].as_array().map(Vec::len), Some(4));
    assert_eq!(lp["token_logprobs"].as_array().map(Vec::len), Some(4));
    assert_eq!(lp["text_offset"][0], 0);
    let mut streamed = chat.clone();
    streamed["stream"] = json!(true);
    let (status, body) = post(&s, "/v1/chat/completions", &streamed.to_string(), None);
    assert_eq!(status, 200, "{body}");
    let last = body
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .map(json_of)
        .find(|c| c["choices"][0]["finish_reason"].is_string())
        .expect("a final chunk");
    assert_eq!(
        last["choices"][0]["logprobs"]["content"],
        Value::Array(content.clone())
    );
}

#[test]
fn embeddings_are_unit_vectors_that_tell_texts_apart() {
    let s = start("embed", None);
    let ask = |body: Value| {
        let (status, text) = post(&s, "/v1/embeddings", &body.to_string(), None);
        (status, json_of(&text))
    };
    let (status, reply) =
        ask(json!({"input": ["def add(a, b):", "the cat sat", "def add(a, b):"]}));
    assert_eq!(status, 200, "{reply}");
    let vectors: Vec<Vec<f64>> = reply["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|d| {
            d["embedding"]
                .as_array()
                .expect("floats")
                .iter()
                .map(|x| x.as_f64().expect("a float"))
                .collect()
        })
        .collect();
    assert_eq!(vectors.len(), 3);
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    for v in &vectors {
        assert!((dot(v, v) - 1.0).abs() < 1e-4, "unit length");
    }
    // The same text gives the same vector, another text another one.
    assert!((dot(&vectors[0], &vectors[2]) - 1.0).abs() < 1e-5);
    assert!(dot(&vectors[0], &vectors[1]) < 0.9999);
    assert!(reply["usage"]["prompt_tokens"].as_u64().unwrap_or(0) > 3);
    // base64 of little-endian f32, cut to fewer dimensions on request.
    let (status, reply) = ask(json!({"input": "x", "encoding_format": "base64", "dimensions": 8}));
    assert_eq!(status, 200, "{reply}");
    let text = reply["data"][0]["embedding"].as_str().expect("base64 text");
    assert_eq!(
        text.len(),
        44,
        "8 floats are 32 bytes, 44 base64 characters"
    );
    // Bad input names its field.
    for (body, param) in [
        (json!({"input": []}), "input"),
        (json!({"input": [""]}), "input"),
        (json!({"input": [[1, 2, 4000000000u64]]}), "input"),
        (
            json!({"input": "x", "encoding_format": "hex"}),
            "encoding_format",
        ),
        (json!({"input": "x", "dimensions": 0}), "dimensions"),
        (json!({"input": "x", "model": "other"}), "model"),
    ] {
        let (status, reply) = ask(body.clone());
        assert!((400..500).contains(&status), "{body} -> {reply}");
        assert_eq!(reply["error"]["param"], param, "{body} -> {reply}");
    }
}

#[test]
fn bad_requests_get_a_4xx_naming_the_field() {
    let s = start("bad", Some("sekret"));
    let key = Some("sekret");
    let cases: Vec<(String, u16, &str)> = vec![
        ("{not json".into(), 400, "invalid request body"),
        (json!({"messages": []}).to_string(), 400, "messages"),
        (json!({"model": "gpt-9", "messages": [{"role": "user", "content": "x"}]}).to_string(), 404, "model"),
        (json!({"messages": [{"role": "wizard", "content": "x"}]}).to_string(), 400, "messages[0].role"),
        (json!({"messages": [{"role": "user", "content": "x"}], "temperature": 7}).to_string(), 400, "temperature"),
        (json!({"messages": [{"role": "user", "content": "x"}], "n": 99}).to_string(), 400, "n"),
        (json!({"messages": [{"role": "user", "content": "x"}], "logprobs": true, "top_logprobs": 21}).to_string(), 400, "top_logprobs"),
        (json!({"messages": [{"role": "user", "content": "x"}], "top_logprobs": 2}).to_string(), 400, "top_logprobs"),
        (json!({"messages": [{"role": "user", "content": "x"}], "logprobs": "yes"}).to_string(), 400, "logprobs"),
        (json!({"messages": [{"role": "user", "content": "x"}], "tool_choice": "required"}).to_string(), 400, "tool_choice"),
        (json!({"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "xml"}}).to_string(), 400, "response_format.type"),
        (json!({"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "wat"}}}}).to_string(), 400, "response_format"),
        (json!({"messages": [{"role": "user", "content": "x".repeat(5000)}]}).to_string(), 400, "context"),
        (json!({"messages": "hello"}).to_string(), 400, "invalid request body"),
        (json!({"messages": [{"role": "user", "content": "x"}], "tools": vec![json!({"type": "function", "function": {"name": "f"}}); 129]}).to_string(), 400, "tools"),
        // A schema with no finite instance compiles but cannot be decoded: refused by name,
        // even where the model is free not to call the tool.
        (json!({"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function", "function": {"name": "f", "parameters": {"$ref": "#"}}}]}).to_string(), 400, "tools[0].function.parameters"),
    ];
    for (body, status, needle) in cases {
        let (got, text) = post(&s, "/v1/chat/completions", &body, key);
        assert_eq!(got, status, "{body} -> {text}");
        let error = json_of(&text);
        let message = error["error"]["message"].as_str().unwrap_or_default();
        let param = error["error"]["param"].as_str().unwrap_or_default();
        assert!(
            message.contains(needle) || param.contains(needle),
            "{body} -> {text}"
        );
    }
    // The key is required on /v1/*, and a wrong one is refused.
    let chat = json!({"messages": [{"role": "user", "content": "x"}], "max_tokens": 2}).to_string();
    assert_eq!(post(&s, "/v1/chat/completions", &chat, None).0, 401);
    assert_eq!(
        post(&s, "/v1/chat/completions", &chat, Some("wrong")).0,
        401
    );
    assert_eq!(post(&s, "/v1/chat/completions", &chat, key).0, 200);
    assert_eq!(get(&s, "/v1/nothing").0, 404);
    let (status, text) = get(&s, "/v1/chat/completions");
    assert_eq!(status, 405);
    assert!(json_of(&text)["error"]["message"].is_string(), "{text}");
    // Oversized bodies are refused before they are read: the answer is 413, unless the
    // server closed the connection while the client was still sending (then the client
    // sees the connection end, never a reply of another status).
    let huge = format!("{{\"prompt\": \"{}\"}}", "a".repeat(9 << 20));
    let sent = agent()
        .post(&format!("{}/v1/completions", s.base))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer sekret")
        .send(&huge);
    match sent {
        Ok(mut resp) => {
            assert_eq!(resp.status().as_u16(), 413);
            let text = resp.body_mut().read_to_string().unwrap();
            assert!(json_of(&text)["error"]["message"].is_string(), "{text}");
        }
        Err(ureq::Error::Io(e)) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ),
            "{e}"
        ),
        Err(other) => panic!("oversized body: {other}"),
    }
}
