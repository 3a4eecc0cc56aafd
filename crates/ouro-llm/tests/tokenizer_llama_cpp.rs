//! The tokenizers against llama.cpp: every fixture under `tests/fixtures/tokenizer/` holds the
//! token ids `llama-tokenize` produced (see `gen_fixtures.py` there), and ouro must produce the
//! same ids, then decode them back to the text.
//!
//! - `smollm2.json`: the default model (byte-level BPE, pre-tokenizer "smollm");
//! - `bpe_pre.json`: the default model's vocabulary under other pre-tokenizers, rebuilt here in
//!   memory as a vocabulary-only GGUF with another `tokenizer.ggml.pre`;
//! - `bpe_probe.json`: the same pre-tokenizers with a "probe" vocabulary made from the corpus
//!   (every byte-level substring of up to `max_len` characters, merged by length), whose ids
//!   show word boundaries far better than a real vocabulary's;
//! - `spm.json` with `spm_vocab.gguf`: a small SentencePiece vocabulary.

mod common;

use std::path::PathBuf;

use ouro_llm::gguf::{GgufFile, MetaType, MetaValue};
use ouro_llm::tokenizer::TokenAttr;
use ouro_llm::{Tokenizer, Utf8Stream};
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

    // llama.cpp's load log: "printing all EOG tokens: 0, 2, 4".
    assert_eq!(eog_ids(&tok), [0, 2, 4]);
    assert_eq!(
        (tok.bos(), tok.eos(), tok.n_vocab()),
        (Some(1), Some(2), 49152)
    );
    assert!(!tok.adds_bos());
    assert_eq!(tok.encode("", true, true), Vec::<u32>::new());
    assert_eq!(tok.token_text(1), Some("<|im_start|>"));
    assert_eq!(tok.token_text(49152), None);
    // Control tokens vanish when special tokens are skipped; unknown ids are ignored.
    let ids = tok.encode("<|im_start|>user\nhi<|im_end|>", false, true);
    assert_eq!(tok.decode(&ids, true), "user\nhi");
    assert_eq!(tok.decode(&[u32::MAX, ids[1]], false), "user");
}

/// Pieces streamed through a `Utf8Stream` print the same text as decoding all at once, even
/// where one character spans several tokens.
#[test]
fn streamed_pieces_make_the_decoded_text() {
    let Some(path) = common::default_model() else {
        return;
    };
    let gguf = GgufFile::open(&path).unwrap();
    let tok = Tokenizer::from_gguf(&gguf).unwrap();
    let text = "Emoji 👨‍👩‍👧‍👦 and 你好 and naïve";
    let ids = tok.encode(text, false, false);
    assert!(
        ids.iter()
            .any(|&id| std::str::from_utf8(&tok.token_to_piece(id)).is_err())
    );
    let mut stream = Utf8Stream::new();
    let mut printed = String::new();
    for &id in &ids {
        let chunk = stream.push(&tok.token_to_piece(id));
        assert!(!chunk.contains('\u{FFFD}'));
        printed.push_str(&chunk);
    }
    printed.push_str(&stream.finish());
    assert_eq!(printed, text);
    assert_eq!(tok.decode(&ids, false), text);
}

fn eog_ids(tok: &Tokenizer) -> Vec<u32> {
    (0..tok.n_vocab() as u32)
        .filter(|&t| tok.is_eog(t))
        .collect()
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
fn bpe_probe_vocabulary_matches_llama_cpp() {
    let fixture = read_fixture("bpe_probe.json");
    let max_len = fixture["max_len"].as_u64().expect("max_len") as usize;
    let variants = fixture["variants"].as_object().expect("variants");
    assert_eq!(variants.len(), 5);
    for (pre, cases) in variants {
        let texts: Vec<&str> = cases
            .as_array()
            .expect("a case list")
            .iter()
            .map(|c| c["text"].as_str().expect("a text"))
            .collect();
        let gguf = GgufFile::from_bytes(probe_gguf(&texts, max_len, pre)).unwrap();
        let tok = Tokenizer::from_gguf(&gguf).unwrap();
        check_cases(
            &tok,
            &format!("probe {pre}"),
            cases,
            &[("ids", true, true), ("ids_no_parse_special", true, false)],
        );
    }
}

/// The probe vocabulary of `gen_fixtures.py`: three control tokens, the 256 byte-level
/// characters, then every byte-level substring of 2..=`max_len` characters of the texts
/// (ordered by length, then text), each merged from itself less its last character.
fn probe_gguf(texts: &[&str], max_len: usize, pre: &str) -> Vec<u8> {
    let byte_chars = gpt2_byte_chars();
    let mut pieces = std::collections::BTreeSet::new();
    for text in texts {
        let encoded: Vec<char> = text.bytes().map(|b| byte_chars[b as usize]).collect();
        for i in 0..encoded.len() {
            for n in 2..=max_len.min(encoded.len() - i) {
                pieces.insert((n, encoded[i..i + n].iter().collect::<String>()));
            }
        }
    }
    let specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];
    let mut tokens: Vec<String> = specials.iter().map(|s| s.to_string()).collect();
    tokens.extend(byte_chars.iter().map(|c| c.to_string()));
    let mut merges = Vec::new();
    for (_, piece) in pieces {
        let last = piece.chars().last().expect("a non-empty piece");
        let head = &piece[..piece.len() - last.len_utf8()];
        merges.push(MetaValue::String(format!("{head} {last}")));
        tokens.push(piece);
    }
    let types = (0..tokens.len())
        .map(|i| MetaValue::I32(if i < specials.len() { 3 } else { 1 }))
        .collect();
    let metadata = vec![
        (
            "tokenizer.ggml.model".to_owned(),
            MetaValue::String("gpt2".into()),
        ),
        (
            "tokenizer.ggml.pre".to_owned(),
            MetaValue::String(pre.into()),
        ),
        (
            "tokenizer.ggml.tokens".to_owned(),
            MetaValue::Array(
                MetaType::String,
                tokens.into_iter().map(MetaValue::String).collect(),
            ),
        ),
        (
            "tokenizer.ggml.token_type".to_owned(),
            MetaValue::Array(MetaType::I32, types),
        ),
        (
            "tokenizer.ggml.merges".to_owned(),
            MetaValue::Array(MetaType::String, merges),
        ),
        ("tokenizer.ggml.bos_token_id".to_owned(), MetaValue::U32(0)),
        ("tokenizer.ggml.eos_token_id".to_owned(), MetaValue::U32(0)),
        (
            "tokenizer.ggml.add_bos_token".to_owned(),
            MetaValue::Bool(false),
        ),
    ];
    gguf_bytes(&metadata)
}

/// GPT-2's byte-level encoding (printable bytes stand for themselves, the rest from U+0100).
fn gpt2_byte_chars() -> Vec<char> {
    let printable = |b: u8| matches!(b, 0x21..=0x7E | 0xA1..=0xAC | 0xAE..=0xFF);
    let mut extra = 0;
    (0..=255u8)
        .map(|b| {
            if printable(b) {
                char::from(b)
            } else {
                extra += 1;
                char::from_u32(0x100 + extra - 1).expect("a valid code point")
            }
        })
        .collect()
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
    // Decoding drops the space prefix again (llama.cpp keeps it after a leading BOS), and
    // round-trips every text without special tokens (a space prefix follows each of those).
    let ids = tok.encode("Hello world", true, true);
    assert_eq!(ids[0], tok.bos().unwrap());
    assert_eq!(tok.decode(&ids[1..], true), "Hello world");
    assert_eq!(tok.decode(&ids, true), " Hello world");
    let special = TokenAttr::CONTROL | TokenAttr::USER_DEFINED;
    let mut round_trips = 0;
    for case in fixture["cases"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        let ids = tok.encode(text, false, true);
        if ids
            .iter()
            .all(|&id| !tok.token_attr(id).intersects(special))
        {
            assert_eq!(tok.decode(&ids, false), text, "round trip of {text:?}");
            round_trips += 1;
        }
    }
    assert!(round_trips >= 40, "only {round_trips} round trips");
    // llama.cpp's load log: EOG tokens 2 ('</s>') and 5 ('<|im_end|>'), 6 special tokens.
    assert_eq!(eog_ids(&tok), [2, 5]);
    assert!(tok.adds_bos());
}

#[test]
fn bad_vocabularies_are_errors() {
    let tokens = MetaValue::Array(
        MetaType::String,
        ["a", "b"].map(|t| MetaValue::String(t.into())).to_vec(),
    );
    let build = |extra: Vec<(&str, MetaValue)>| {
        let mut metadata = vec![("tokenizer.ggml.tokens".to_owned(), tokens.clone())];
        metadata.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
        let gguf = GgufFile::from_bytes(gguf_bytes(&metadata)).unwrap();
        Tokenizer::from_gguf(&gguf)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    let model = |m: &str| ("tokenizer.ggml.model", MetaValue::String(m.into()));
    assert!(build(vec![]).contains("tokenizer.ggml.model"));
    assert!(build(vec![model("bert")]).contains("'bert'"));
    // A byte-level BPE vocabulary needs its merges, and a pre-tokenizer ouro knows.
    assert!(build(vec![model("gpt2")]).contains("tokenizer.ggml.merges"));
    let merges = MetaValue::Array(MetaType::String, vec![MetaValue::String("a b".into())]);
    let err = build(vec![
        model("gpt2"),
        ("tokenizer.ggml.merges", merges),
        (
            "tokenizer.ggml.pre",
            MetaValue::String("no-such-pre".into()),
        ),
    ]);
    assert!(err.contains("'no-such-pre'"), "{err}");
    // Scores must cover every token.
    let scores = MetaValue::Array(MetaType::F32, vec![MetaValue::F32(0.0)]);
    let err = build(vec![model("llama"), ("tokenizer.ggml.scores", scores)]);
    assert!(
        err.contains("tokenizer.ggml.scores") && err.contains("1 entries for 2"),
        "{err}"
    );
}

/// A vocabulary-only GGUF (no tensors) with `src`'s metadata and `tokenizer.ggml.pre` = `pre`.
fn vocab_only_gguf(src: &GgufFile, pre: &str) -> Vec<u8> {
    let metadata: Vec<(String, MetaValue)> = src
        .metadata()
        .iter()
        .map(|(key, value)| {
            let value = if key == "tokenizer.ggml.pre" {
                MetaValue::String(pre.to_owned())
            } else {
                value.clone()
            };
            (key.clone(), value)
        })
        .collect();
    gguf_bytes(&metadata)
}

/// A GGUF file (version 3) with `metadata` and no tensors.
fn gguf_bytes(metadata: &[(String, MetaValue)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"GGUF");
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&(metadata.len() as u64).to_le_bytes());
    for (key, value) in metadata {
        write_str(&mut out, key);
        out.extend_from_slice(&value.meta_type().id().to_le_bytes());
        write_value(&mut out, value);
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
