//! The CUDA engine against the CPU engine on small synth models of every weight type it
//! runs: logits within the tolerance and the same greedy tokens. Needs an NVIDIA GPU
//! with libcuda and libnvrtc; skipped with a message elsewhere (scripts/device/gpu-check.sh
//! runs the same comparison on larger models through `ouro llm compare`).

use ouro_llm::GgmlType;
use ouro_llm::compare::compare;
use ouro_llm::device::DeviceChoice;
use ouro_llm::engine::Engine;
use ouro_llm::synth::{SynthArch, SynthSpec, write_synth_model};

#[test]
fn cuda_logits_and_greedy_tokens_match_the_cpu() {
    if let Err(e) = ouro_compute::cuda::CudaDevice::open(0) {
        eprintln!("skipped: no usable CUDA device ({e})");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let types = [
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q5_0,
        GgmlType::Q5_1,
        GgmlType::Q8_0,
        GgmlType::Q4K,
        GgmlType::Q6K,
        GgmlType::F16,
        GgmlType::F32,
    ];
    for arch in [SynthArch::Llama, SynthArch::Qwen2] {
        for ty in types {
            let mut spec = SynthSpec::preset(arch, "tiny").unwrap();
            spec.ty = ty;
            let path = dir.path().join(format!("{arch}-{ty}.gguf"));
            write_synth_model(&spec, &path, &mut |_, _| {}).unwrap();
            let (engine, note) = Engine::load_on(&path, 0, DeviceChoice::Cuda(0)).unwrap();
            assert!(note.is_none());
            // 20 prompt tokens: long enough to take the cuBLAS path when it is there.
            let prompt: Vec<u32> = (1..=20).collect();
            let r = compare(&engine, &prompt, 32).unwrap();
            assert!(r.passed, "{arch} {ty}: {r:?}");
        }
    }
}
