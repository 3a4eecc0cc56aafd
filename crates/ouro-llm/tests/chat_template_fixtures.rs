//! Chat templates against Python's jinja2 (rendering as Hugging Face and llama.cpp do): the
//! expected prompts in `tests/fixtures/chat_template/chat_templates.json` come from
//! `gen_fixtures.py` there, for SmolLM2's template and several other models' templates.

mod common;

use std::path::PathBuf;

use ouro_llm::gguf::GgufFile;
use ouro_llm::{ChatMessage, ChatTemplate, Tokenizer};
use serde_json::Value;

fn fixture() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/chat_template/chat_templates.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad fixture {}: {e}", path.display()))
}

fn template(fixture: &Value, name: &str) -> ChatTemplate {
    let t = &fixture["templates"][name];
    ChatTemplate::new(
        t["source"].as_str().expect("source"),
        t["bos"].as_str().expect("bos"),
        t["eos"].as_str().expect("eos"),
    )
    .unwrap_or_else(|e| panic!("template {name}: {e}"))
}

fn messages(case: &Value) -> Vec<ChatMessage> {
    serde_json::from_value(case["messages"].clone()).expect("messages")
}

#[test]
fn templates_render_like_jinja2() {
    let fixture = fixture();
    let cases = fixture["cases"].as_array().expect("cases");
    assert!(cases.len() >= 60);
    let mut failures = Vec::new();
    for case in cases {
        let name = case["template"].as_str().expect("template name");
        let add_gen = case["add_generation_prompt"].as_bool().expect("flag");
        let msgs = messages(case);
        let got = template(&fixture, name).render(&msgs, add_gen);
        match (&got, case.get("expected"), case.get("error")) {
            (Ok(text), Some(want), _) if want.as_str() == Some(text.as_str()) => {}
            (Err(e), _, Some(want)) if e.to_string().contains(want.as_str().expect("error")) => {}
            _ => failures.push(format!(
                "{name} gen={add_gen} {msgs:?}:\n  jinja2 {:?}\n  ouro   {got:?}",
                case.get("expected").or(case.get("error"))
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn smollm2_template_from_gguf() {
    let Some(path) = common::default_model() else {
        return;
    };
    let gguf = GgufFile::open(&path).unwrap();
    let template = ChatTemplate::from_gguf(&gguf)
        .unwrap()
        .expect("SmolLM2 has a template");
    let fixture = fixture();
    assert_eq!(
        template.source(),
        fixture["templates"]["smollm2"]["source"].as_str().unwrap()
    );
    let msgs = [ChatMessage::new("user", "Hello!")];
    let prompt = template.render(&msgs, true).unwrap();
    let want = fixture["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["template"] == "smollm2" && c["add_generation_prompt"] == true)
        .and_then(|c| c["expected"].as_str())
        .unwrap();
    assert_eq!(prompt, want);

    // The prompt's markers become single special tokens; the last turn is the assistant's.
    let tok = Tokenizer::from_gguf(&gguf).unwrap();
    let ids = tok.encode(&prompt, false, true);
    let im_start = tok.token_id("<|im_start|>").unwrap();
    let im_end = tok.token_id("<|im_end|>").unwrap();
    assert_eq!(ids.iter().filter(|&&t| t == im_start).count(), 3);
    assert_eq!(ids.iter().filter(|&&t| t == im_end).count(), 2);
    assert!(tok.is_eog(im_end));
    assert_eq!(tok.decode(&ids, false), prompt);
}

#[test]
fn messages_deserialize_from_json() {
    let msgs: Vec<ChatMessage> =
        serde_json::from_str(r#"[{"role":"user","content":"hi"}]"#).unwrap();
    assert_eq!(msgs, [ChatMessage::new("user", "hi")]);
}
