//! Tokenizer throughput on the default model: encodes and decodes a few megabytes of real text
//! (the repository's own sources and fixtures) and prints bytes and tokens per second.
//!
//!     cargo bench -p ouro-llm --bench tokenizer
//!
//! `OURO_BENCH_TEXT=file` encodes that file instead; with `OURO_BENCH_IDS=file` (the output of
//! `llama-tokenize -f TEXT --no-escape --ids`) the ids are also compared with llama.cpp's.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ouro_llm::Tokenizer;
use ouro_llm::gguf::GgufFile;

/// All `.rs`, `.py`, `.json` and `.md` files under `dir`, concatenated.
fn collect_text(dir: &Path, out: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() && !path.ends_with("target") && !path.ends_with(".git") {
            collect_text(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("rs" | "py" | "json" | "md")
        ) && let Ok(text) = std::fs::read_to_string(&path)
        {
            out.push_str(&text);
        }
    }
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let model = ouro_core::paths::default_model(&root);
    let Ok(gguf) = GgufFile::open(&model) else {
        eprintln!(
            "skipped: {} is missing (run scripts/fetch-models.sh)",
            model.display()
        );
        return;
    };
    let start = Instant::now();
    let tok = match Tokenizer::from_gguf(&gguf) {
        Ok(tok) => tok,
        Err(e) => {
            eprintln!("cannot build the tokenizer: {e}");
            return;
        }
    };
    println!("load: {:.1} ms", start.elapsed().as_secs_f64() * 1e3);

    let text = match std::env::var_os("OURO_BENCH_TEXT") {
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("cannot read {}: {e}", Path::new(&path).display());
                return;
            }
        },
        None => {
            let mut text = String::new();
            collect_text(&root.join("crates"), &mut text);
            let one = text.clone();
            while !one.is_empty() && text.len() < 4 << 20 {
                text.push_str(&one);
            }
            text
        }
    };
    let mb = text.len() as f64 / 1e6;

    let start = Instant::now();
    let ids = tok.encode(&text, false, true);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "encode: {mb:.2} MB -> {} tokens in {:.3} s: {:.2} MB/s, {:.0} k tokens/s",
        ids.len(),
        secs,
        mb / secs,
        ids.len() as f64 / secs / 1e3
    );

    if let Some(path) = std::env::var_os("OURO_BENCH_IDS") {
        let want: Vec<u32> = std::fs::read_to_string(&path)
            .unwrap_or_default()
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(", ")
            .filter_map(|s| s.parse().ok())
            .collect();
        let same = want == ids;
        println!("llama.cpp ids: {} tokens, identical: {same}", want.len());
    }

    let start = Instant::now();
    let back = tok.decode(&ids, false);
    let secs = start.elapsed().as_secs_f64();
    println!("decode: {:.2} MB/s", back.len() as f64 / 1e6 / secs);
    assert_eq!(back.len(), text.len(), "decode must give the text back");
}
