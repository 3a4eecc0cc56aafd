//! `ouro pixel gen` with the default model: 20 different requests give 20 different
//! programs, all valid (decoded under the pixel program grammar, then validated).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use ouro_pixel::commands::{self, GenRequest};
use ouro_pixel::generate::{GenOptions, ProgramGenerator, load_engine};

const REQUESTS: [&str; 20] = [
    "a red square on a white background",
    "a night sky with a yellow moon",
    "a green tree on a hill",
    "a blue circle inside a black frame",
    "the word HELLO in big letters",
    "a sunset over the sea",
    "a traffic light",
    "a progress bar at 60 percent",
    "a boot screen that says OURO",
    "a checkerboard of four squares",
    "a house with a red roof",
    "a smiling face",
    "an orange triangle",
    "a button labelled OK",
    "a gradient from purple to pink",
    "a snowman",
    "a battery icon, almost full",
    "two crossing diagonal lines",
    "a dark terminal window with green text",
    "a flag with three stripes",
];

fn model() -> Option<PathBuf> {
    ouro_core::paths::default_model_for_tests(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."),
    )
}

#[test]
fn twenty_requests_give_twenty_valid_different_programs() {
    let Some(model) = model() else { return };
    // One thread: tests run side by side, and spinning worker threads slow down badly when
    // the cores are oversubscribed.
    let engine = load_engine(Some(&model), 1).unwrap();
    let mut generator = ProgramGenerator::new(&engine, 2048).unwrap();
    let cancel = AtomicBool::new(false);
    let started = Instant::now();
    let mut texts = Vec::new();
    let mut tokens = 0;
    for (i, request) in REQUESTS.iter().enumerate() {
        let opts = GenOptions {
            seed: i as u64,
            ..GenOptions::default()
        };
        let generated = generator
            .generate(request, &opts, &cancel)
            .unwrap_or_else(|e| panic!("{request}: {e}"));
        // Valid by construction; check again from the text alone.
        ouro_pixel::parse_program(&generated.text).unwrap();
        ouro_pixel::render_cpu(&generated.text).unwrap();
        eprintln!(
            "{request}: {} ({} tokens, {:.1}s)",
            generated.text, generated.tokens, generated.seconds
        );
        tokens += generated.tokens;
        texts.push(generated.text);
    }
    let elapsed = started.elapsed();
    eprintln!(
        "20 programs, all valid, {tokens} tokens in {elapsed:.1?} ({:.1} tok/s)",
        tokens as f64 / elapsed.as_secs_f64()
    );
    let mut unique = texts.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), texts.len(), "some programs are identical");
}

#[test]
fn the_command_writes_programs_and_pngs() {
    let Some(model) = model() else { return };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pixel_gen_command");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("logo.pixel.json");
    let request = GenRequest {
        prompt: "a yellow star",
        out: Some(&out),
        png: true,
        model: Some(&model),
        threads: 1,
        seed: 3,
        count: 2,
        json: true,
    };
    let text = commands::generate(&request, &AtomicBool::new(false)).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for (i, line) in lines.iter().enumerate() {
        let file = dir.join(format!("logo-{}.pixel.json", i + 1));
        let png = dir.join(format!("logo-{}.png", i + 1));
        assert_eq!(line["file"], serde_json::json!(file));
        assert_eq!(line["seed"], serde_json::json!(3 + i));
        commands::validate(&file).unwrap();
        let image = ouro_pixel::Image::read_png(&png).unwrap();
        let (rendered, _) = commands::render_file(&file, commands::Renderer::Cpu).unwrap();
        assert_eq!(image, rendered);
    }
}
