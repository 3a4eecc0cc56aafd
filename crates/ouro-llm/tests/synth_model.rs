//! Synthetic models: what `write_synth_model` writes reads back with the right layout,
//! metadata, tokenizer and weight statistics, and depends only on the spec and seed.

use std::path::PathBuf;

use ouro_llm::GgmlType;
use ouro_llm::gguf::GgufFile;
use ouro_llm::quant;
use ouro_llm::synth::{SynthArch, SynthSpec, write_synth_model};

fn tmp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn tiny(arch: SynthArch, ty: GgmlType, seed: u64) -> SynthSpec {
    let mut s = SynthSpec::preset(arch, "tiny").unwrap();
    s.ty = ty;
    s.seed = seed;
    s
}

/// Dequantizes a whole tensor.
fn values(f: &GgufFile, name: &str) -> Vec<f32> {
    let t = f.tensor(name).unwrap();
    let mut out = vec![0f32; t.n_elements() as usize];
    quant::dequantize(t.ty, f.tensor_data(t), &mut out).unwrap();
    out
}

fn mean_std(xs: &[f32]) -> (f32, f32) {
    let n = xs.len() as f32;
    let mean = xs.iter().sum::<f32>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / n;
    (mean, var.sqrt())
}

#[test]
fn tiny_models_read_back() {
    for (arch, ty) in [
        (SynthArch::Llama, GgmlType::Q4_0),
        (SynthArch::Qwen2, GgmlType::Q6K),
        (SynthArch::Llama, GgmlType::BF16),
    ] {
        let spec = tiny(arch, ty, 11);
        let path = tmp(&format!("synth_{arch}_{ty}.gguf"));
        let mut calls = Vec::new();
        let summary = write_synth_model(&spec, &path, &mut |d, t| calls.push((d, t))).unwrap();

        let f = GgufFile::open(&path).unwrap();
        assert_eq!(f.file_size(), summary.file_bytes);
        assert_eq!(f.architecture().unwrap(), arch.name());
        let key = |k: &str| format!("{arch}.{k}");
        assert_eq!(f.require_u64(&key("embedding_length")).unwrap(), 256);
        assert_eq!(f.require_u64(&key("block_count")).unwrap(), 4);
        assert_eq!(f.require_u64(&key("attention.head_count_kv")).unwrap(), 2);
        assert_eq!(f.get_f64(&key("rope.freq_base")), Some(10_000.0));
        assert_eq!(f.require_str("tokenizer.ggml.model").unwrap(), "gpt2");
        let tokens = f.require_str_array("tokenizer.ggml.tokens").unwrap();
        assert_eq!(tokens.len(), 2048);
        assert_eq!(tokens[3 + b' ' as usize], "Ġ");
        let merges = f.require_str_array("tokenizer.ggml.merges").unwrap();
        assert_eq!(merges.len(), 2048 - 259);
        assert!(
            f.require_str("tokenizer.chat_template")
                .unwrap()
                .contains("<|im_start|>")
        );

        // 2 + output + 4 layers of 9 (+3 biases for qwen2).
        let per_layer = if arch == SynthArch::Qwen2 { 12 } else { 9 };
        assert_eq!(f.tensors().len(), 3 + 4 * per_layer);
        assert_eq!(summary.n_tensors, f.tensors().len());
        assert_eq!(f.tensor("blk.0.attn_q.weight").unwrap().ty, ty);
        assert_eq!(
            f.tensor("blk.0.attn_norm.weight").unwrap().ty,
            GgmlType::F32
        );
        assert_eq!(
            f.tensor("blk.1.attn_k.weight").unwrap().dims,
            vec![256, 128]
        );
        assert_eq!(
            f.tensor("blk.3.ffn_down.weight").unwrap().dims,
            vec![768, 256]
        );
        assert_eq!(
            f.tensor("blk.2.attn_v.bias").is_some(),
            arch == SynthArch::Qwen2
        );

        let (m, s) = mean_std(&values(&f, "blk.2.ffn_up.weight"));
        assert!(
            m.abs() < 0.002 && (s - 0.02).abs() < 0.003,
            "{ty}: mean {m} std {s}"
        );
        let (m, s) = mean_std(&values(&f, "blk.2.ffn_norm.weight"));
        assert!((m - 1.0).abs() < 0.01 && s < 0.03, "norm mean {m} std {s}");

        // Progress starts at zero, only grows, and ends at the total.
        let total = calls[0].1;
        assert_eq!(calls[0].0, 0);
        assert!(
            calls
                .windows(2)
                .all(|w| w[0].0 <= w[1].0 && w[1].1 == total)
        );
        assert_eq!(calls.last().unwrap().0, total);
        assert!(total < summary.file_bytes);
        assert!(!tmp(&format!("synth_{arch}_{ty}.gguf.part")).exists());
    }
}

#[test]
fn same_seed_same_file_other_seed_other_weights() {
    let a = tmp("synth_seed_a.gguf");
    let b = tmp("synth_seed_b.gguf");
    let c = tmp("synth_seed_c.gguf");
    write_synth_model(
        &tiny(SynthArch::Qwen2, GgmlType::Q8_0, 5),
        &a,
        &mut |_, _| {},
    )
    .unwrap();
    write_synth_model(
        &tiny(SynthArch::Qwen2, GgmlType::Q8_0, 5),
        &b,
        &mut |_, _| {},
    )
    .unwrap();
    write_synth_model(
        &tiny(SynthArch::Qwen2, GgmlType::Q8_0, 6),
        &c,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let (a, c) = (GgufFile::open(&a).unwrap(), GgufFile::open(&c).unwrap());
    for name in [
        "token_embd.weight",
        "blk.0.attn_q.weight",
        "blk.3.attn_k.bias",
    ] {
        let (ta, tc) = (a.tensor(name).unwrap(), c.tensor(name).unwrap());
        assert_eq!((&ta.dims, ta.ty), (&tc.dims, tc.ty));
        assert_ne!(a.tensor_data(ta), c.tensor_data(tc), "{name}");
    }
    assert_ne!(
        a.require_str_array("tokenizer.ggml.merges").unwrap(),
        c.require_str_array("tokenizer.ggml.merges").unwrap()
    );
}

#[test]
fn smollm2_shape_falls_back_like_llama_cpp() {
    // n_embd 576 is not a multiple of 256: Q4_K matrices with 576-long rows become Q5_0.
    let mut spec = SynthSpec::preset(SynthArch::Llama, "135m").unwrap();
    spec.ty = GgmlType::Q4K;
    spec.n_layer = 2;
    spec.n_vocab = 1024;
    let path = tmp("synth_135m_fallback.gguf");
    let summary = write_synth_model(&spec, &path, &mut |_, _| {}).unwrap();
    let f = GgufFile::open(&path).unwrap();
    assert_eq!(f.tensor("token_embd.weight").unwrap().ty, GgmlType::Q5_0);
    assert!(f.tensor("output.weight").is_none());
    assert_eq!(f.tensor("blk.1.ffn_down.weight").unwrap().ty, GgmlType::Q4K);
    assert_eq!(summary.tensor_types["q4_K"], 2);
    assert_eq!(summary.tensor_types["f32"], 1 + 2 * 2);
}

#[test]
fn invalid_spec_writes_nothing() {
    let mut spec = tiny(SynthArch::Llama, GgmlType::Q4_0, 0);
    spec.n_head = 5;
    let path = tmp("synth_invalid.gguf");
    let err = write_synth_model(&spec, &path, &mut |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("n_head = 5"), "{err}");
    assert!(!path.exists());
    let missing_dir = tmp("no/such/dir/model.gguf");
    let err = write_synth_model(
        &tiny(SynthArch::Llama, GgmlType::F16, 0),
        &missing_dir,
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("cannot create"), "{err}");
}
