//! What a synthetic model looks like: architecture, shape, tensor type and seed, with the
//! named presets and the checks that make a shape loadable.

use std::fmt;

use serde::Serialize;

use super::SynthError;
use super::vocab::MIN_VOCAB;
use crate::GgmlType;

/// The architectures ouro can synthesize.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SynthArch {
    /// Llama: RMS norm, rotary attention without biases, SwiGLU feed-forward.
    Llama,
    /// Qwen2: the llama layout plus Q, K and V biases.
    Qwen2,
}

impl SynthArch {
    /// The `general.architecture` name, which also prefixes the architecture's keys.
    pub fn name(self) -> &'static str {
        match self {
            SynthArch::Llama => "llama",
            SynthArch::Qwen2 => "qwen2",
        }
    }

    /// Parses "llama" or "qwen2".
    pub fn from_name(name: &str) -> Result<SynthArch, SynthError> {
        match name {
            "llama" => Ok(SynthArch::Llama),
            "qwen2" => Ok(SynthArch::Qwen2),
            _ => Err(SynthError::UnknownArch(name.into())),
        }
    }
}

impl fmt::Display for SynthArch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a synthetic model's matrices get their types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum QuantMix {
    /// Every matrix is [`SynthSpec::ty`] (or its fallback where rows do not fit its blocks).
    Uniform,
    /// llama.cpp's Q4_K_M (`llama-quantize ... Q4_K_M`): Q4_K for most matrices, Q6_K for
    /// `attn_v` and `ffn_down` on the layers where its `use_more_bits` holds and for the
    /// output projection (see `plan::mix_type`).
    #[serde(rename = "q4_K_M")]
    Q4KM,
}

impl QuantMix {
    /// Parses a mix name ("q4_K_M", any case); `None` for a plain type name.
    pub fn from_name(name: &str) -> Option<QuantMix> {
        name.eq_ignore_ascii_case("q4_K_M")
            .then_some(QuantMix::Q4KM)
    }
}

/// The preset shape names accepted by [`SynthSpec::preset`].
pub const PRESETS: [&str; 5] = ["tiny", "135m", "1b", "7b", "8b"];

/// Tensor types a synthetic model's matrices may use.
pub const MATRIX_TYPES: [GgmlType; 11] = GgmlType::WEIGHT_TYPES;

/// Largest vocabulary ouro synthesizes.
const MAX_VOCAB: u64 = 1 << 20;
/// Largest embedding, feed-forward or context size ouro synthesizes.
const MAX_DIM: u64 = 1 << 20;

/// A synthetic model: every field can be set; [`SynthSpec::preset`] fills them from a
/// named shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SynthSpec {
    pub arch: SynthArch,
    pub n_embd: u64,
    pub n_layer: u64,
    pub n_head: u64,
    pub n_head_kv: u64,
    pub n_ff: u64,
    pub n_vocab: u64,
    pub n_ctx: u64,
    pub rope_base: f32,
    pub rms_eps: f32,
    /// The output projection reuses the token embedding (no `output.weight`).
    pub tied_embeddings: bool,
    /// Type of the weight matrices (norms and biases are always F32). A matrix whose rows
    /// do not fit the type's blocks falls back as llama.cpp's quantizer does.
    #[serde(serialize_with = "serialize_type")]
    pub ty: GgmlType,
    /// How matrices get their types: all `ty`, or a llama.cpp mix (whose base type `ty`
    /// must then be; see [`SynthSpec::set_mix`]).
    pub mix: QuantMix,
    pub seed: u64,
    /// Standard deviation of the matrix weights (norm weights are 1 plus this much noise).
    pub std: f32,
}

fn serialize_type<S: serde::Serializer>(ty: &GgmlType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(ty.name())
}

impl SynthSpec {
    /// A named shape (see [`PRESETS`]) with type Q4_0, seed 0 and weight std 0.02.
    pub fn preset(arch: SynthArch, name: &str) -> Result<SynthSpec, SynthError> {
        // (n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_ctx, rope_base, tied)
        let (n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_ctx, rope_base, tied) = match name
        {
            "tiny" => (256, 4, 4, 2, 768, 2048, 2048, 10_000.0, false),
            "135m" => (576, 30, 9, 3, 1536, 49152, 8192, 100_000.0, true),
            "1b" => (2048, 22, 32, 4, 5632, 32000, 2048, 10_000.0, false),
            "7b" => (4096, 32, 32, 32, 11008, 32000, 4096, 10_000.0, false),
            "8b" => (4096, 32, 32, 8, 14336, 128_256, 8192, 500_000.0, false),
            _ => return Err(SynthError::UnknownPreset(name.into())),
        };
        Ok(SynthSpec {
            arch,
            n_embd,
            n_layer,
            n_head,
            n_head_kv,
            n_ff,
            n_vocab,
            n_ctx,
            rope_base,
            rms_eps: 1e-5,
            tied_embeddings: tied,
            ty: GgmlType::Q4_0,
            mix: QuantMix::Uniform,
            seed: 0,
            std: 0.02,
        })
    }

    /// Sets a mix and its base type (Q4_K for Q4_K_M).
    pub fn set_mix(&mut self, mix: QuantMix) {
        self.mix = mix;
        if mix == QuantMix::Q4KM {
            self.ty = GgmlType::Q4K;
        }
    }

    /// The name of the model's quantization: the mix's ("q4_K_M") or the type's.
    pub fn type_name(&self) -> &'static str {
        match self.mix {
            QuantMix::Uniform => self.ty.name(),
            QuantMix::Q4KM => "q4_K_M",
        }
    }

    /// Size of one attention head.
    pub fn head_dim(&self) -> u64 {
        self.n_embd / self.n_head.max(1)
    }

    /// Checks that the shape is one llama.cpp (and ouro) can load.
    pub fn validate(&self) -> Result<(), SynthError> {
        let bad = |reason: String| Err(SynthError::BadSpec(reason));
        for (what, v) in [
            ("n_embd", self.n_embd),
            ("n_ff", self.n_ff),
            ("n_ctx", self.n_ctx),
        ] {
            if v == 0 || v > MAX_DIM {
                return bad(format!("{what} = {v} is outside 1..={MAX_DIM}"));
            }
        }
        if self.n_layer == 0 || self.n_layer > 1024 {
            return bad(format!("n_layer = {} is outside 1..=1024", self.n_layer));
        }
        if self.n_head == 0 || !self.n_embd.is_multiple_of(self.n_head) {
            return bad(format!(
                "n_head = {} must divide n_embd = {}",
                self.n_head, self.n_embd
            ));
        }
        if !self.head_dim().is_multiple_of(2) {
            return bad(format!(
                "the head size n_embd / n_head = {} must be even for rotary embeddings",
                self.head_dim()
            ));
        }
        if self.n_head_kv == 0 || !self.n_head.is_multiple_of(self.n_head_kv) {
            return bad(format!(
                "n_head_kv = {} must divide n_head = {}",
                self.n_head_kv, self.n_head
            ));
        }
        if !(MIN_VOCAB..=MAX_VOCAB).contains(&self.n_vocab) {
            return bad(format!(
                "n_vocab = {} is outside {MIN_VOCAB}..={MAX_VOCAB} (3 control tokens and 256 byte tokens come first)",
                self.n_vocab
            ));
        }
        if !MATRIX_TYPES.contains(&self.ty) {
            return Err(SynthError::UnsupportedType(self.ty));
        }
        let finite_positive = |x: f32| x.is_finite() && x > 0.0;
        if !finite_positive(self.rope_base) {
            return bad(format!("rope_base = {} must be positive", self.rope_base));
        }
        if !finite_positive(self.rms_eps) {
            return bad(format!("rms_eps = {} must be positive", self.rms_eps));
        }
        if !(self.std.is_finite() && self.std >= 0.0) {
            return bad(format!(
                "std = {} must be finite and non-negative",
                self.std
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        for arch in [SynthArch::Llama, SynthArch::Qwen2] {
            for name in PRESETS {
                SynthSpec::preset(arch, name).unwrap().validate().unwrap();
            }
        }
        let s = SynthSpec::preset(SynthArch::Llama, "135m").unwrap();
        assert_eq!(
            (s.n_embd, s.n_layer, s.n_head, s.n_head_kv),
            (576, 30, 9, 3)
        );
        assert_eq!((s.n_ff, s.n_vocab, s.head_dim()), (1536, 49152, 64));
        assert!(s.tied_embeddings);
        assert!(matches!(
            SynthSpec::preset(SynthArch::Llama, "3b"),
            Err(SynthError::UnknownPreset(_))
        ));
    }

    #[test]
    fn rejects_unloadable_shapes() {
        let ok = SynthSpec::preset(SynthArch::Qwen2, "tiny").unwrap();
        type Change = fn(&mut SynthSpec);
        let cases: [(&str, Change); 8] = [
            ("n_head", |s| s.n_head = 3),
            ("n_head_kv", |s| s.n_head_kv = 3),
            ("even", |s| {
                s.n_embd = 20;
                s.n_head = 4
            }),
            ("n_vocab", |s| s.n_vocab = 100),
            ("n_layer", |s| s.n_layer = 0),
            ("n_ff", |s| s.n_ff = 0),
            ("rope_base", |s| s.rope_base = f32::NAN),
            ("std", |s| s.std = -1.0),
        ];
        for (want, change) in cases {
            let mut s = ok.clone();
            change(&mut s);
            let err = s.validate().unwrap_err().to_string();
            assert!(err.contains(want), "{want}: {err}");
        }
        let mut s = ok;
        s.ty = GgmlType::Q8K;
        assert!(matches!(
            s.validate(),
            Err(SynthError::UnsupportedType(GgmlType::Q8K))
        ));
    }
}
