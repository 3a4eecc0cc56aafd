//! `ouro gpu list`, `ouro gpu watch` and `--device` run on any machine: with no GPU they list
//! the CPU, say why GPUs are absent, and exit 0; `--device auto` falls back to the CPU.

use std::process::Command;

fn ouro(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ouro"))
        .args(args)
        .output()
        .expect("running ouro")
}

#[test]
fn gpu_list_shows_the_cpu_and_exits_0() {
    let out = ouro(&["gpu", "list", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inv: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let devices = inv["devices"].as_array().unwrap();
    assert!(
        devices
            .iter()
            .any(|d| d["id"] == "cpu" && d["cpu"]["cores"].as_u64() >= Some(1))
    );
    let has_cuda = devices.iter().any(|d| d["backend"] == "cuda");
    let notes = inv["notes"].as_array().unwrap();
    if !has_cuda {
        assert!(
            notes
                .iter()
                .any(|n| n.as_str().is_some_and(|n| n.starts_with("CUDA:")))
        );
    }
    let table = ouro(&["gpu", "list"]);
    assert!(table.status.success());
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("default device:") && text.contains("cpu"));
}

#[test]
fn gpu_watch_prints_the_requested_samples() {
    let out = ouro(&["gpu", "watch", "--interval", "50", "--count", "2", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[1]["seq"].as_u64() > lines[0]["seq"].as_u64());
}

#[test]
fn device_auto_falls_back_to_the_cpu_without_cuda() {
    let probe = ouro(&["gpu", "list", "--json"]);
    let inv: serde_json::Value = serde_json::from_slice(&probe.stdout).unwrap();
    if inv["devices"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["backend"] == "cuda")
    {
        eprintln!("skipped: this machine has a CUDA device");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    let model = model.to_str().unwrap();
    assert!(ouro(&["llm", "synth", "-o", model]).status.success());
    let out = ouro(&[
        "llm", "generate", "hi", "-m", model, "-n", "3", "--greedy", "--device", "auto",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CUDA not usable") && err.contains("running on the CPU"),
        "{err}"
    );
    let out = ouro(&[
        "llm", "generate", "hi", "-m", model, "-n", "3", "--device", "cuda:0",
    ]);
    assert!(!out.status.success());
    let out = ouro(&["llm", "compare", "-m", model, "-n", "2"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no usable CUDA GPU"));
}
