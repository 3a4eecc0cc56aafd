//! Agreement of the engine on a GPU with the engine on the CPU for the same model: the
//! logits of a prompt (every position) and of `n` greedy decoding steps, with the CPU's
//! tokens fed to both (so the two see the same context even after a disagreement).
//! When the argmax agrees at every step, greedy decoding on either device gives the same
//! tokens.
//!
//! It also measures the model's noise floor on the CPU alone: the prompt's logits computed
//! as one batch and token by token are both exactly llama.cpp's arithmetic (its tiled f32
//! attention for batches of 64 and more, its f16-accumulator attention for single tokens),
//! yet they differ, on random-weight models by as much as 1e-2 after one layer, because the
//! 8-bit quantization of activations turns last-bit differences into whole quantization
//! steps. A GPU, which accumulates in f32 throughout, cannot be expected to agree with the
//! CPU more closely than the CPU agrees with itself.
//!
//! The decoding steps are measured against two CPU references: the token-by-token logits
//! the CPU decoded with (llama.cpp's single-token attention, whose f16 accumulators are the
//! CPU's least exact arithmetic), and the same positions recomputed as one batch (its f32
//! tiled attention, the CPU's most exact). The tolerance and the argmax agreement are
//! judged on the latter; agreement with the CPU's own greedy tokens is reported as well.

use serde::Serialize;

use crate::GgmlType;
use crate::device::{Placement, Sequence};
use crate::engine::{Engine, EngineError};
use crate::model::Logits;
use crate::model::cuda::CudaModelError;

/// What a comparison found.
#[derive(Debug, Clone, Serialize)]
pub struct CompareReport {
    pub device: String,
    pub weight_type: String,
    pub prompt_tokens: usize,
    pub steps: usize,
    /// Largest relative error `‖gpu − cpu‖₂ / ‖cpu‖₂` of a position's logits over the
    /// prompt: the usual relative error of a vector, and what the tolerance bounds.
    pub rel_error_prompt: f32,
    /// The same over the decoding steps, against the CPU's token-by-token logits.
    pub rel_error_decode: f32,
    /// The same over the decoding steps, against the CPU's batched (f32-attention) logits of
    /// the same positions: what the tolerance judges for decoding.
    pub rel_error_decode_batched: f32,
    /// Largest element-wise `max|gpu − cpu| / max|cpu|` over the prompt's positions (a
    /// stricter figure, reported alongside).
    pub max_rel_error_prompt: f32,
    /// The same over the decoding steps.
    pub max_rel_error_decode: f32,
    /// The bound the issue sets: 1e-3 for F16/F32 weights, 1e-2 for quantized ones.
    pub tolerance: f32,
    /// Largest `‖seq − batch‖₂ / ‖batch‖₂` over the prompt's positions between the CPU's
    /// token-by-token and batched logits: the model's noise floor (0 for prompts under 64
    /// tokens, where both take the same path).
    pub cpu_floor_prompt: f32,
    /// Prompt positions where those two CPU computations pick different argmaxes.
    pub cpu_floor_argmax_flips: usize,
    /// Steps where the GPU's argmax equals the CPU's greedy (token-by-token) token.
    pub greedy_agreement: usize,
    /// Steps where the GPU's argmax equals the argmax of the CPU's batched logits of the
    /// same position.
    pub argmax_agreement_batched: usize,
    /// First step where they differ, if any.
    pub first_divergence: Option<usize>,
    /// The CPU's greedy tokens.
    pub cpu_tokens: Vec<u32>,
    /// The GPU's argmax at each step.
    pub gpu_tokens: Vec<u32>,
    /// Whether the prompt's and the batched decode errors are within the tolerance and
    /// every argmax agrees with the batched logits'.
    pub passed: bool,
    /// Whether those errors are within the tolerance or within twice the CPU's noise floor.
    pub within_cpu_floor: bool,
}

/// `max|a − b| / max|b|` (0 for an all-zero `b` equal to `a`).
/// `‖a − b‖₂ / ‖b‖₂` (infinite when a difference is NaN).
pub fn l2_rel_error(a: &[f32], b: &[f32]) -> f32 {
    let (diff, norm) = a.iter().zip(b).fold((0.0f64, 0.0f64), |(d, n), (&x, &y)| {
        let e = f64::from(x - y);
        (d + e * e, n + f64::from(y) * f64::from(y))
    });
    if diff.is_nan() {
        return f32::INFINITY;
    }
    (if norm == 0.0 {
        diff.sqrt()
    } else {
        (diff / norm).sqrt()
    }) as f32
}

/// `max|a − b| / max|b|` (infinite when a difference is NaN).
pub fn rel_error(a: &[f32], b: &[f32]) -> f32 {
    let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let diff = a.iter().zip(b).fold(0.0f32, |m, (x, y)| {
        if (x - y).is_nan() {
            f32::INFINITY
        } else {
            m.max((x - y).abs())
        }
    });
    if scale == 0.0 { diff } else { diff / scale }
}

/// Index of the largest value (the first on ties).
pub fn argmax(v: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best as u32
}

/// Compares the engine's GPU placement with its CPU path on `prompt` and `steps` greedy
/// tokens. The engine must have been loaded on a CUDA device.
pub fn compare(
    engine: &Engine,
    prompt: &[u32],
    steps: usize,
) -> Result<CompareReport, EngineError> {
    let Placement::Cuda(_) = &engine.placement else {
        return Err(CudaModelError::WrongDevice.into());
    };
    if prompt.is_empty() {
        return Err(EngineError::EmptyPrompt);
    }
    let model = &engine.model;
    let n_vocab = model.config().n_vocab;
    let n_ctx = prompt.len() + steps + 1;
    let mut cpu = Sequence::Cpu(Box::new(model.new_state(n_ctx)));
    let mut gpu = engine.new_sequence(n_ctx)?;
    let cpu_logits = Placement::Cpu
        .forward(model, &mut cpu, prompt, Logits::All, &engine.pool)?
        .to_vec();
    let gpu_logits = engine.forward(&mut gpu, prompt, Logits::All)?.to_vec();
    let worst = |metric: fn(&[f32], &[f32]) -> f32| {
        cpu_logits
            .chunks_exact(n_vocab)
            .zip(gpu_logits.chunks_exact(n_vocab))
            .map(|(c, g)| metric(g, c))
            .fold(0.0f32, f32::max)
    };
    let (rel_error_prompt, max_rel_error_prompt) = (worst(l2_rel_error), worst(rel_error));
    let (cpu_floor_prompt, cpu_floor_argmax_flips) = cpu_floor(engine, prompt, &cpu_logits)?;
    let mut last_cpu = cpu_logits[cpu_logits.len() - n_vocab..].to_vec();
    let mut last_gpu = gpu_logits[gpu_logits.len() - n_vocab..].to_vec();
    let (mut cpu_tokens, mut gpu_tokens) = (Vec::new(), Vec::new());
    let (mut rel_error_decode, mut max_rel_error_decode) = (0.0f32, 0.0f32);
    let mut gpu_steps = Vec::new();
    for step in 0..steps {
        let (tc, tg) = (argmax(&last_cpu), argmax(&last_gpu));
        cpu_tokens.push(tc);
        gpu_tokens.push(tg);
        if step + 1 == steps {
            break;
        }
        last_cpu = Placement::Cpu
            .forward(model, &mut cpu, &[tc], Logits::Last, &engine.pool)?
            .to_vec();
        last_gpu = engine.forward(&mut gpu, &[tc], Logits::Last)?.to_vec();
        max_rel_error_decode = max_rel_error_decode.max(rel_error(&last_gpu, &last_cpu));
        rel_error_decode = rel_error_decode.max(l2_rel_error(&last_gpu, &last_cpu));
        gpu_steps.extend_from_slice(&last_gpu);
    }
    let batched = batched_decode(engine, prompt, &cpu_tokens, &gpu_steps)?;
    let rel_error_decode_batched = batched.rel_error;
    // Step 0's CPU token comes from the batched prompt: it counts for both references.
    let argmax_agreement_batched =
        usize::from(cpu_tokens.first() == gpu_tokens.first()) + batched.argmax_agreement;
    let greedy_agreement = cpu_tokens
        .iter()
        .zip(&gpu_tokens)
        .filter(|(a, b)| a == b)
        .count();
    let first_divergence = cpu_tokens.iter().zip(&gpu_tokens).position(|(a, b)| a != b);
    let ty = model.main_weight_type();
    let tolerance = if matches!(ty, GgmlType::F16 | GgmlType::F32) {
        1e-3
    } else {
        1e-2
    };
    let passed = argmax_agreement_batched == steps
        && rel_error_prompt <= tolerance
        && rel_error_decode_batched <= tolerance;
    let bound = tolerance.max(2.0 * cpu_floor_prompt);
    let within_cpu_floor = rel_error_prompt <= bound && rel_error_decode_batched <= bound;
    Ok(CompareReport {
        device: engine.placement.describe(),
        weight_type: ty.to_string(),
        prompt_tokens: prompt.len(),
        steps,
        rel_error_prompt,
        rel_error_decode,
        rel_error_decode_batched,
        max_rel_error_prompt,
        max_rel_error_decode,
        tolerance,
        greedy_agreement,
        argmax_agreement_batched,
        first_divergence,
        cpu_floor_prompt,
        cpu_floor_argmax_flips,
        cpu_tokens,
        gpu_tokens,
        passed,
        within_cpu_floor,
    })
}

/// The GPU's decoding steps against the CPU's batched logits of the same positions.
struct BatchedDecode {
    /// The largest relative error over the steps.
    rel_error: f32,
    /// Steps whose argmaxes agree.
    argmax_agreement: usize,
}

/// Compares the GPU's decoding logits (`gpu_steps`, one row per step after the first) with
/// the CPU's logits of the same positions computed as one batch: the prompt followed by the
/// fed tokens.
fn batched_decode(
    engine: &Engine,
    prompt: &[u32],
    fed: &[u32],
    gpu_steps: &[f32],
) -> Result<BatchedDecode, EngineError> {
    let model = &engine.model;
    let n_vocab = model.config().n_vocab;
    let n_steps = gpu_steps.len() / n_vocab;
    let mut found = BatchedDecode {
        rel_error: 0.0,
        argmax_agreement: 0,
    };
    if n_steps == 0 {
        return Ok(found);
    }
    let tokens: Vec<u32> = prompt.iter().chain(&fed[..n_steps]).copied().collect();
    let mut seq = Sequence::Cpu(Box::new(model.new_state(tokens.len() + 1)));
    let all = Placement::Cpu.forward(model, &mut seq, &tokens, Logits::All, &engine.pool)?;
    let decoded = &all[prompt.len() * n_vocab..];
    for (c, g) in decoded
        .chunks_exact(n_vocab)
        .zip(gpu_steps.chunks_exact(n_vocab))
    {
        found.rel_error = found.rel_error.max(l2_rel_error(g, c));
        found.argmax_agreement += usize::from(argmax(g) == argmax(c));
    }
    Ok(found)
}

/// The CPU's token-by-token logits of `prompt` against its batched ones (`batch`): the
/// largest relative error over positions, and the positions whose argmaxes differ.
fn cpu_floor(engine: &Engine, prompt: &[u32], batch: &[f32]) -> Result<(f32, usize), EngineError> {
    let model = &engine.model;
    let n_vocab = model.config().n_vocab;
    let mut seq = Sequence::Cpu(Box::new(model.new_state(prompt.len() + 1)));
    let (mut worst, mut flips) = (0.0f32, 0);
    for (&t, b) in prompt.iter().zip(batch.chunks_exact(n_vocab)) {
        let l = Placement::Cpu.forward(model, &mut seq, &[t], Logits::Last, &engine.pool)?;
        worst = worst.max(l2_rel_error(l, b));
        flips += usize::from(argmax(l) != argmax(b));
    }
    Ok((worst, flips))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_error_and_argmax() {
        assert_eq!(rel_error(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
        assert!((rel_error(&[1.0, 2.2], &[1.0, 2.0]) - 0.1).abs() < 1e-6);
        assert_eq!(rel_error(&[f32::NAN], &[1.0]), f32::INFINITY);
        assert_eq!(argmax(&[0.5, 3.0, 3.0, -1.0]), 1);
        assert!((l2_rel_error(&[3.0, 4.4], &[3.0, 4.0]) - 0.08).abs() < 1e-6);
        assert_eq!(l2_rel_error(&[f32::NAN], &[1.0]), f32::INFINITY);
    }

    #[test]
    fn compare_needs_a_gpu_placement() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        let spec = crate::synth::SynthSpec::preset(crate::synth::SynthArch::Llama, "tiny").unwrap();
        crate::synth::write_synth_model(&spec, &path, &mut |_, _| {}).unwrap();
        let engine = Engine::load(&path, 1).unwrap();
        assert!(matches!(
            compare(&engine, &[1, 2, 3], 4),
            Err(EngineError::Device(CudaModelError::WrongDevice))
        ));
    }
}
