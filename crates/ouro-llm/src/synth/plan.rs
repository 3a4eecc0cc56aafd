//! The tensors and metadata of a synthetic model: names, shapes and types as llama.cpp's
//! loaders for `llama` and `qwen2` expect them, and how each tensor is initialised.

use super::spec::{QuantMix, SynthArch, SynthSpec};
use super::vocab::{BOS_ID, CHAT_TEMPLATE, EOS_ID, Vocab};
use crate::GgmlType;
use crate::gguf::{MetaType, MetaValue};

/// How a tensor's values are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// Normal-ish with mean 0 and this standard deviation.
    Normal(f32),
    /// Normal-ish with mean 1 and this standard deviation (norm weights).
    AroundOne(f32),
}

/// One tensor of the model.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedTensor {
    pub name: String,
    /// Innermost first, as in ggml's `ne`.
    pub dims: Vec<u64>,
    pub ty: GgmlType,
    pub init: Init,
}

impl PlannedTensor {
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }

    /// Length of one row (the innermost dimension).
    pub fn row_len(&self) -> u64 {
        self.dims[0]
    }
}

/// The type a matrix with rows of `ncols` values gets when `ty` is requested: llama.cpp's
/// fallback for shapes a 256-block type cannot hold (Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0), then
/// F16 when even 32-blocks do not fit.
pub fn matrix_type(ty: GgmlType, ncols: u64) -> GgmlType {
    if ncols.is_multiple_of(ty.block_size() as u64) {
        return ty;
    }
    let fallback = match ty {
        GgmlType::Q4K => GgmlType::Q5_0,
        GgmlType::Q5K => GgmlType::Q5_1,
        GgmlType::Q6K => GgmlType::Q8_0,
        other => other,
    };
    if ncols.is_multiple_of(fallback.block_size() as u64) {
        fallback
    } else {
        GgmlType::F16
    }
}

/// The roles of matrices that a mix treats apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    TokenEmbd,
    Output,
    AttnV,
    FfnDown,
    /// Every other matrix (attn_q, attn_k, attn_output, ffn_gate, ffn_up).
    Other,
}

/// llama.cpp's `use_more_bits(i_layer, n_layers)` (llama-quant.cpp): the first and last
/// eighth of the layers and every third one between them.
pub fn use_more_bits(i: u64, n: u64) -> bool {
    let (i, n) = (i as i64, n as i64);
    i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2
}

/// The type a matrix of `role` in `layer` gets before the shape fallback
/// ([`matrix_type`]): `spec.ty`, or as llama.cpp's `llama_tensor_get_type` chooses for the
/// mix (its rules for llama-like models without experts: Q4_K_M puts Q6_K on attn_v and
/// ffn_down where [`use_more_bits`] holds, counting layers in file order, and on the output
/// projection, or on the token embedding when tied; Q8_0 there when rows are not whole
/// 256-blocks).
pub fn mix_type(spec: &SynthSpec, role: Role, layer: u64, ncols: u64) -> GgmlType {
    if spec.mix == QuantMix::Uniform {
        return spec.ty;
    }
    let output_type = if ncols.is_multiple_of(GgmlType::Q4K.block_size() as u64) {
        GgmlType::Q6K
    } else {
        GgmlType::Q8_0
    };
    match role {
        Role::Output => output_type,
        Role::TokenEmbd if spec.tied_embeddings => output_type,
        Role::AttnV | Role::FfnDown if use_more_bits(layer, spec.n_layer) => GgmlType::Q6K,
        _ => GgmlType::Q4K,
    }
}

/// llama.cpp's `general.file_type` (`enum llama_ftype`) for `spec`'s mix or type.
pub fn spec_file_type(spec: &SynthSpec) -> u32 {
    match spec.mix {
        QuantMix::Uniform => file_type(spec.ty),
        // LLAMA_FTYPE_MOSTLY_Q4_K_M
        QuantMix::Q4KM => 15,
    }
}

/// llama.cpp's `general.file_type` (`enum llama_ftype`) for a model whose matrices are `ty`.
pub fn file_type(ty: GgmlType) -> u32 {
    match ty {
        GgmlType::F32 => 0,
        GgmlType::F16 => 1,
        GgmlType::Q4_0 => 2,
        GgmlType::Q4_1 => 3,
        GgmlType::Q8_0 => 7,
        GgmlType::Q5_0 => 8,
        GgmlType::Q5_1 => 9,
        GgmlType::Q4K => 14,
        GgmlType::Q5K => 16,
        GgmlType::Q6K => 18,
        GgmlType::BF16 => 32,
        // Not a synth matrix type; "guessed" is llama.cpp's marker for unknown mixes.
        _ => 1024,
    }
}

/// Every tensor of the model, in file order.
pub fn plan_tensors(spec: &SynthSpec) -> Vec<PlannedTensor> {
    let n_embd_kv = spec.head_dim() * spec.n_head_kv;
    let matrix = |name: String, cols: u64, rows: u64, role: Role, layer: u64| PlannedTensor {
        name,
        dims: vec![cols, rows],
        ty: matrix_type(mix_type(spec, role, layer, cols), cols),
        init: Init::Normal(spec.std),
    };
    let vector = |name: String, n: u64, init: Init| PlannedTensor {
        name,
        dims: vec![n],
        ty: GgmlType::F32,
        init,
    };
    let norm = Init::AroundOne(spec.std);
    let bias = Init::Normal(spec.std);

    let mut t = vec![
        matrix(
            "token_embd.weight".into(),
            spec.n_embd,
            spec.n_vocab,
            Role::TokenEmbd,
            0,
        ),
        vector("output_norm.weight".into(), spec.n_embd, norm),
    ];
    if !spec.tied_embeddings {
        t.push(matrix(
            "output.weight".into(),
            spec.n_embd,
            spec.n_vocab,
            Role::Output,
            0,
        ));
    }
    for i in 0..spec.n_layer {
        let n = |s: &str| format!("blk.{i}.{s}");
        t.push(vector(n("attn_norm.weight"), spec.n_embd, norm));
        t.push(matrix(
            n("attn_q.weight"),
            spec.n_embd,
            spec.n_embd,
            Role::Other,
            i,
        ));
        t.push(matrix(
            n("attn_k.weight"),
            spec.n_embd,
            n_embd_kv,
            Role::Other,
            i,
        ));
        t.push(matrix(
            n("attn_v.weight"),
            spec.n_embd,
            n_embd_kv,
            Role::AttnV,
            i,
        ));
        if spec.arch == SynthArch::Qwen2 {
            t.push(vector(n("attn_q.bias"), spec.n_embd, bias));
            t.push(vector(n("attn_k.bias"), n_embd_kv, bias));
            t.push(vector(n("attn_v.bias"), n_embd_kv, bias));
        }
        t.push(matrix(
            n("attn_output.weight"),
            spec.n_embd,
            spec.n_embd,
            Role::Other,
            i,
        ));
        t.push(vector(n("ffn_norm.weight"), spec.n_embd, norm));
        t.push(matrix(
            n("ffn_gate.weight"),
            spec.n_embd,
            spec.n_ff,
            Role::Other,
            i,
        ));
        t.push(matrix(
            n("ffn_up.weight"),
            spec.n_embd,
            spec.n_ff,
            Role::Other,
            i,
        ));
        t.push(matrix(
            n("ffn_down.weight"),
            spec.n_ff,
            spec.n_embd,
            Role::FfnDown,
            i,
        ));
    }
    t
}

/// Converts a count that [`SynthSpec::validate`] bounded to a u32 metadata value.
fn u32_value(v: u64) -> MetaValue {
    MetaValue::U32(u32::try_from(v).unwrap_or(u32::MAX))
}

/// The model's metadata: general keys, hyperparameters and the tokenizer.
pub fn metadata(spec: &SynthSpec, vocab: Vocab) -> Vec<(String, MetaValue)> {
    let arch = spec.arch.name();
    let key = |k: &str| format!("{arch}.{k}");
    let strings = |items: Vec<String>| {
        MetaValue::Array(
            MetaType::String,
            items.into_iter().map(MetaValue::String).collect(),
        )
    };
    let name = format!(
        "ouro-synth {arch} {}x{} {} seed {}",
        spec.n_layer,
        spec.n_embd,
        spec.type_name(),
        spec.seed
    );
    vec![
        (
            "general.architecture".into(),
            MetaValue::String(arch.into()),
        ),
        ("general.name".into(), MetaValue::String(name)),
        (
            "general.file_type".into(),
            MetaValue::U32(spec_file_type(spec)),
        ),
        ("general.quantization_version".into(), MetaValue::U32(2)),
        (key("context_length"), u32_value(spec.n_ctx)),
        (key("embedding_length"), u32_value(spec.n_embd)),
        (key("block_count"), u32_value(spec.n_layer)),
        (key("feed_forward_length"), u32_value(spec.n_ff)),
        (key("attention.head_count"), u32_value(spec.n_head)),
        (key("attention.head_count_kv"), u32_value(spec.n_head_kv)),
        (key("rope.freq_base"), MetaValue::F32(spec.rope_base)),
        (key("rope.dimension_count"), u32_value(spec.head_dim())),
        (
            key("attention.layer_norm_rms_epsilon"),
            MetaValue::F32(spec.rms_eps),
        ),
        (key("vocab_size"), u32_value(spec.n_vocab)),
        (
            "tokenizer.ggml.model".into(),
            MetaValue::String("gpt2".into()),
        ),
        (
            "tokenizer.ggml.pre".into(),
            MetaValue::String("default".into()),
        ),
        ("tokenizer.ggml.tokens".into(), strings(vocab.tokens)),
        (
            "tokenizer.ggml.token_type".into(),
            MetaValue::Array(
                MetaType::I32,
                vocab.token_types.into_iter().map(MetaValue::I32).collect(),
            ),
        ),
        ("tokenizer.ggml.merges".into(), strings(vocab.merges)),
        ("tokenizer.ggml.bos_token_id".into(), MetaValue::U32(BOS_ID)),
        ("tokenizer.ggml.eos_token_id".into(), MetaValue::U32(EOS_ID)),
        (
            "tokenizer.ggml.add_bos_token".into(),
            MetaValue::Bool(false),
        ),
        (
            "tokenizer.chat_template".into(),
            MetaValue::String(CHAT_TEMPLATE.into()),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_types_follow_llama_cpp() {
        assert_eq!(matrix_type(GgmlType::Q4K, 576), GgmlType::Q5_0);
        assert_eq!(matrix_type(GgmlType::Q5K, 576), GgmlType::Q5_1);
        assert_eq!(matrix_type(GgmlType::Q6K, 576), GgmlType::Q8_0);
        assert_eq!(matrix_type(GgmlType::Q6K, 1536), GgmlType::Q6K);
        assert_eq!(matrix_type(GgmlType::Q4_0, 40), GgmlType::F16);
        assert_eq!(matrix_type(GgmlType::BF16, 40), GgmlType::BF16);
    }

    #[test]
    fn use_more_bits_matches_llama_cpp() {
        // 32 layers: 0..4, 28..32, and 4 + 3k + 2 between.
        let more: Vec<u64> = (0..32).filter(|&i| use_more_bits(i, 32)).collect();
        assert_eq!(
            more,
            [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]
        );
        // 22 layers (1B): n / 8 = 2, 7n / 8 = 19.
        let more: Vec<u64> = (0..22).filter(|&i| use_more_bits(i, 22)).collect();
        assert_eq!(more, [0, 1, 4, 7, 10, 13, 16, 19, 20, 21]);
    }

    #[test]
    fn q4_k_m_types_per_tensor() {
        let mut s = SynthSpec::preset(SynthArch::Llama, "7b").unwrap();
        s.set_mix(QuantMix::Q4KM);
        assert_eq!((s.ty, s.type_name()), (GgmlType::Q4K, "q4_K_M"));
        assert_eq!(spec_file_type(&s), 15);
        let t = plan_tensors(&s);
        let ty = |name: &str| t.iter().find(|t| t.name == name).unwrap().ty;
        assert_eq!(ty("token_embd.weight"), GgmlType::Q4K);
        assert_eq!(ty("output.weight"), GgmlType::Q6K);
        for i in 0..32 {
            let more = use_more_bits(i, 32);
            let want = if more { GgmlType::Q6K } else { GgmlType::Q4K };
            assert_eq!(ty(&format!("blk.{i}.attn_v.weight")), want, "{i}");
            assert_eq!(ty(&format!("blk.{i}.ffn_down.weight")), want, "{i}");
            for m in ["attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up"] {
                assert_eq!(ty(&format!("blk.{i}.{m}.weight")), GgmlType::Q4K, "{i} {m}");
            }
            assert_eq!(ty(&format!("blk.{i}.attn_norm.weight")), GgmlType::F32);
        }
        let q6 = t.iter().filter(|t| t.ty == GgmlType::Q6K).count();
        assert_eq!(q6, 1 + 2 * 16);

        // Tied (SmolLM2's shape): the embedding takes the output's rule, and rows of 576
        // are not whole 256-blocks, so Q8_0; Q4_K and Q6_K fall back to Q5_0 and Q8_0,
        // except ffn_down (rows of 1536).
        let mut s = SynthSpec::preset(SynthArch::Llama, "135m").unwrap();
        s.set_mix(QuantMix::Q4KM);
        let t = plan_tensors(&s);
        let ty = |name: &str| t.iter().find(|t| t.name == name).unwrap().ty;
        assert_eq!(ty("token_embd.weight"), GgmlType::Q8_0);
        assert_eq!(ty("blk.0.attn_v.weight"), GgmlType::Q8_0);
        assert_eq!(ty("blk.4.attn_v.weight"), GgmlType::Q5_0);
        assert_eq!(ty("blk.0.ffn_down.weight"), GgmlType::Q6K);
        assert_eq!(ty("blk.4.ffn_down.weight"), GgmlType::Q4K);
        assert_eq!(ty("blk.4.ffn_up.weight"), GgmlType::Q5_0);

        // A uniform spec ignores roles.
        let u = SynthSpec::preset(SynthArch::Llama, "7b").unwrap();
        assert!(
            plan_tensors(&u)
                .iter()
                .filter(|t| t.dims.len() == 2)
                .all(|t| t.ty == GgmlType::Q4_0)
        );
    }

    #[test]
    fn smollm2_shape_has_its_tensor_count() {
        // SmolLM2-135M has 272 tensors: 30 layers of 9, the embedding and the output norm.
        let s = SynthSpec::preset(SynthArch::Llama, "135m").unwrap();
        let t = plan_tensors(&s);
        assert_eq!(t.len(), 272);
        let params: u64 = t.iter().map(PlannedTensor::n_elements).sum();
        assert_eq!(params, 134_515_008);
        let q = SynthSpec::preset(SynthArch::Qwen2, "135m").unwrap();
        let t = plan_tensors(&q);
        assert_eq!(t.len(), 272 + 30 * 3);
        let kb = t.iter().find(|t| t.name == "blk.3.attn_k.bias").unwrap();
        assert_eq!((kb.dims.as_slice(), kb.ty), (&[192u64][..], GgmlType::F32));
    }
}
