//! Model hyper-parameters read from GGUF metadata (`{arch}.embedding_length` etc.).

use crate::gguf::{GgufError, GgufFile};

/// How rotary position embeddings pair up the dimensions of a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum RopeStyle {
    /// Adjacent pairs (x[2i], x[2i+1]): llama, mistral, SmolLM.
    Normal,
    /// Halves (x[i], x[i + d/2]): GPT-NeoX style, used by qwen2.
    Neox,
}

/// The architectures ouro runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Architecture {
    /// llama 2/3, mistral, SmolLM and other llama-shaped models.
    Llama,
    /// qwen2: llama-shaped with biases on the Q, K and V projections and NeoX RoPE.
    Qwen2,
}

impl Architecture {
    /// The architecture for a `general.architecture` name.
    pub fn from_name(name: &str) -> Option<Architecture> {
        match name {
            "llama" | "mistral" => Some(Architecture::Llama),
            "qwen2" => Some(Architecture::Qwen2),
            _ => None,
        }
    }

    /// The RoPE pairing this architecture uses.
    pub fn rope_style(self) -> RopeStyle {
        match self {
            Architecture::Llama => RopeStyle::Normal,
            Architecture::Qwen2 => RopeStyle::Neox,
        }
    }
}

/// Largest head size ouro supports (llama-family models use 64 to 256).
pub const MAX_HEAD_DIM: usize = 512;

/// Hyper-parameters of a llama-family model.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelConfig {
    pub arch: Architecture,
    pub n_embd: usize,
    pub n_layer: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    pub head_dim: usize,
    pub n_ff: usize,
    pub n_vocab: usize,
    /// Context length the model was trained for.
    pub n_ctx_train: usize,
    pub rope_dim: usize,
    pub rope_freq_base: f32,
    pub rms_eps: f32,
}

impl ModelConfig {
    /// Reads the hyper-parameters from a GGUF file, checking that they fit together.
    pub fn from_gguf(file: &GgufFile) -> Result<ModelConfig, GgufError> {
        let arch_name = file.architecture()?;
        let arch = Architecture::from_name(arch_name).ok_or_else(|| GgufError::BadMetadata {
            key: "general.architecture".into(),
            reason: format!("'{arch_name}' is not supported (ouro runs llama, mistral and qwen2)"),
        })?;
        let key = |k: &str| format!("{arch_name}.{k}");
        let int = |k: &str| -> Result<usize, GgufError> { Ok(file.require_u64(&key(k))? as usize) };
        let n_embd = int("embedding_length")?;
        let n_head = int("attention.head_count")?;
        let n_head_kv = match file.get_u64(&key("attention.head_count_kv")) {
            Some(n) => n as usize,
            None => n_head,
        };
        let bad = |k: &str, reason: String| GgufError::BadMetadata {
            key: key(k),
            reason,
        };
        if n_head == 0 || n_embd % n_head != 0 {
            return Err(bad(
                "attention.head_count",
                format!("{n_head} heads do not divide {n_embd} dimensions"),
            ));
        }
        if n_head_kv == 0 || n_head % n_head_kv != 0 {
            return Err(bad(
                "attention.head_count_kv",
                format!("{n_head_kv} KV heads do not divide {n_head} heads"),
            ));
        }
        let head_dim = match file.get_u64(&key("attention.key_length")) {
            Some(d) => d as usize,
            None => n_embd / n_head,
        };
        if head_dim == 0 || head_dim > MAX_HEAD_DIM || !head_dim.is_multiple_of(2) {
            return Err(bad(
                "attention.key_length",
                format!("head size {head_dim} is not an even number in 2..={MAX_HEAD_DIM}"),
            ));
        }
        let rope_dim = match file.get_u64(&key("rope.dimension_count")) {
            Some(d) => d as usize,
            None => head_dim,
        };
        if rope_dim > head_dim || rope_dim % 2 != 0 {
            return Err(bad(
                "rope.dimension_count",
                format!("{rope_dim} does not fit a head of {head_dim}"),
            ));
        }
        let n_vocab = match file.get_u64(&key("vocab_size")) {
            Some(n) => n as usize,
            None => file.require_str_array("tokenizer.ggml.tokens")?.len(),
        };
        let rms_eps = file
            .get_f64(&key("attention.layer_norm_rms_epsilon"))
            .unwrap_or(1e-5) as f32;
        let rope_freq_base = file.get_f64(&key("rope.freq_base")).unwrap_or(10000.0) as f32;
        Ok(ModelConfig {
            arch,
            n_embd,
            n_layer: int("block_count")?,
            n_head,
            n_head_kv,
            head_dim,
            n_ff: int("feed_forward_length")?,
            n_vocab,
            n_ctx_train: int("context_length")?,
            rope_dim,
            rope_freq_base,
            rms_eps,
        })
    }

    /// Width of the K and V projections: KV heads times head size.
    pub fn kv_dim(&self) -> usize {
        self.n_head_kv * self.head_dim
    }

    /// Width of the Q projection: heads times head size.
    pub fn q_dim(&self) -> usize {
        self.n_head * self.head_dim
    }
}
