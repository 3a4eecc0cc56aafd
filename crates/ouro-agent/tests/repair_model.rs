//! Direct repair on a real coding model (Qwen2.5-Coder-0.5B-Instruct Q4_K_M, fetched by
//! `scripts/fetch-models.sh qwen2.5-coder-0.5b`): a small bug, its failing output, one
//! greedy attempt under the SEARCH/REPLACE grammar, and the edit applied to the file.
//! Skipped with a printed reason when the model is absent.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use ouro_agent::repair::{EditFormat, RepairConfig, RepairRequest, Repairer};
use ouro_llm::device::DeviceChoice;
use ouro_llm::sampling::SamplingConfig;

fn model() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = ouro_core::paths::models_dir(&root).join("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf");
    if path.is_file() {
        Some(path)
    } else if std::env::var_os("OURO_REQUIRE_MODELS").is_some() {
        panic!(
            "OURO_REQUIRE_MODELS is set but {} is missing",
            path.display()
        );
    } else {
        eprintln!(
            "skipped: {} is missing (scripts/fetch-models.sh qwen2.5-coder-0.5b)",
            path.display()
        );
        None
    }
}

#[test]
fn the_edit_is_decoded_under_the_grammar_and_applies() {
    let Some(path) = model() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("calc.py"),
        "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n",
    )
    .expect("write");
    // SEARCH/REPLACE, the grammar this test is about (a file this small would go whole).
    let config = RepairConfig {
        format: Some(EditFormat::SearchReplace),
        ..RepairConfig::default()
    };
    let (repairer, _) = Repairer::load(&path, 0, DeviceChoice::Cpu, config).expect("load");
    let failure = "Traceback (most recent call last):\n  File \"calc.py\", line 2, in add\nAssertionError: add(2, 3) == -1, expected 5";
    let report = repairer
        .attempt(
            &RepairRequest {
                root: dir.path(),
                title: "Fix add in calc.py",
                description: "add(a, b) subtracts; it must return a + b.",
                inputs: &[],
                failure: Some(failure),
                test_files: &[],
                previous: &[],
                sampling: SamplingConfig::greedy(),
                later: &[],
                explain: false,
                avoid: &[],
                focus_inputs: true,
            },
            &AtomicBool::new(false),
            &mut |_| {},
        )
        .expect("an edit that applies");
    eprintln!("{report:#?}");
    assert_eq!(report.written, ["calc.py"]);
    let text = std::fs::read_to_string(dir.path().join("calc.py")).expect("read");
    assert!(text.contains("return a + b"), "{text}");
    assert!(text.contains("return a * b"), "{text}");
}
