//! The tokenizers against llama.cpp: every fixture under `tests/fixtures/tokenizer/` holds the
//! token ids `llama-tokenize` produced (see `gen_fixtures.py` there), and ouro must produce the
//! same ids, then decode them back to the text.
//!
//! - `smollm2.json`: the default model (byte-level BPE, pre-tokenizer "smollm");
//! - `bpe_pre.json`: the default model's vocabulary under other pre-tokenizers, rebuilt here in
//!   memory as a vocabulary-only GGUF with another `tokenizer.ggml.pre`;
//! - `spm.json` with `spm_vocab.gguf`: a small SentencePiece vocabulary.

mod common;

use std::path::PathBuf;

use ouro_llm::Tokenizer;
use ouro_llm::gguf::{GgufFile, MetaValue};
use serde_json::Value;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tokenizer")
}

fn read_fixture(name: &str) -> Value {
    let path = fixtures_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad fixture {}: {e}", path.display()))
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .expect("an id list")
        .iter()
        .map(|x| x.as_u64().expect("an id") as u32)
        .collect()
}

/// Check every case of `cases`; `fields` pairs a fixture key with (add_special, parse_special).
fn check_cases(tok: &Tokenizer, label: &str, cases: &Value, fields: &[(&str, bool, bool)]) {
    let cases = cases.as_array().expect("a case list");
    assert!(cases.len() >= 40, "{label}: only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let text = case["text"].as_str().expect("a text");
        for &(field, add_special, parse_special) in fields {
            let want = ids(&case[field]);
            let got = tok.encode(text, add_special, parse_special);
            if got != want {
                failures.push(format!(
                    "{label} {field} {text:?}:\n  llama.cpp {want:?}\n  ouro      {got:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Decoding what was encoded (special tokens parsed and rendered) gives the text back.
fn check_round_trip(tok: &Tokenizer, cases: &Value) {
    for case in cases.as_array().expect("a case list") {
        let text = case["text"].as_str().expect("a text");
        let ids = tok.encode(text, false, true);
        assert_eq!(tok.decode(&ids, false), text, "round trip of {text:?}");
    }
}

#[test]
fn smollm2_matches_llama_cpp() {
    let Some(path) = common::default_model() else {
        return;
    };
    let gguf = GgufFile::open(&path).unwrap();
    let tok = Tokenizer::from_gguf(&gguf).unwrap();
    let fixture = read_fixture("smollm2.json");
    // SmolLM2 adds no BOS, so llama-tokenize's add_special changes nothing.
    check_cases(
        &tok,
        "smollm2",
        &fixture["cases"],
        &[
            ("ids", false, true),
            ("ids", true, true),
            ("ids_no_parse_special", false, false),
        ],
    );
    check_round_trip(&tok, &fixture["cases"]);
}

#[test]
fn bpe_pre_tokenizers_match_llama_cpp() {
    let Some(path) = common::default_model() else {
        return;
    };
    let gguf = GgufFile::open(&path).unwrap();
    let fixture = read_fixture("bpe_pre.json");
    let variants = fixture["variants"].as_object().expect("variants");
    assert_eq!(variants.len(), 4);
    for (pre, cases) in variants {
        let bytes = vocab_only_gguf(&gguf, pre);
        let variant = GgufFile::from_bytes(bytes).unwrap();
        let tok = Tokenizer::from_gguf(&variant).unwrap();
        check_cases(
            &tok,
            pre,
            cases,
            &[("ids", true, true), ("ids_no_parse_special", true, false)],
        );
    }
}

#[test]
fn spm_matches_llama_cpp() {
    let gguf = GgufFile::open(fixtures_dir().join("spm_vocab.gguf")).unwrap();
    let tok = Tokenizer::from_gguf(&gguf).unwrap();
    let fixture = read_fixture("spm.json");
    check_cases(
        &tok,
        "spm",
        &fixture["cases"],
        &[
            ("ids", true, true),
            ("ids_no_bos", false, true),
            ("ids_no_parse_special", true, false),
        ],
    );
    // The SentencePiece space prefix is dropped again, and BOS renders as nothing.
    let ids = tok.encode("Hello world", true, true);
    assert_eq!(ids[0], tok.bos().unwrap());
    assert_eq!(tok.decode(&ids, true), "Hello world");
}

/// A vocabulary-only GGUF (no tensors) with `src`'s metadata and `tokenizer.ggml.pre` = `pre`.
fn vocab_only_gguf(src: &GgufFile, pre: &str) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"GGUF");
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&(src.metadata().len() as u64).to_le_bytes());
    for (key, value) in src.metadata() {
        let value = if key == "tokenizer.ggml.pre" {
            MetaValue::String(pre.to_owned())
        } else {
            value.clone()
        };
        write_str(&mut out, key);
        out.extend_from_slice(&value.meta_type().id().to_le_bytes());
        write_value(&mut out, &value);
    }
    out
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn write_value(out: &mut Vec<u8>, v: &MetaValue) {
    match v {
        MetaValue::U8(x) => out.push(*x),
        MetaValue::I8(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::U16(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I16(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::U32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::F32(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::Bool(x) => out.push(u8::from(*x)),
        MetaValue::String(s) => write_str(out, s),
        MetaValue::Array(ty, items) => {
            out.extend_from_slice(&ty.id().to_le_bytes());
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for item in items {
                write_value(out, item);
            }
        }
        MetaValue::U64(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::I64(x) => out.extend_from_slice(&x.to_le_bytes()),
        MetaValue::F64(x) => out.extend_from_slice(&x.to_le_bytes()),
    }
}
