//! Random-weight ("synthetic") models: GGUF files with the exact layout, metadata and
//! tokenizer of a llama or qwen2 model, weights drawn from a seed. They let ouro test and
//! benchmark model loading and inference at any size (up to 8B) without downloading one,
//! and llama.cpp loads them too.
//!
//! [`write_synth_model`] generates and quantizes the tensors on all cores and streams them
//! to disk in order, so even a multi-gigabyte model never sits in memory.

mod generate;
mod pipeline;
mod plan;
mod rng;
mod spec;
mod vocab;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::GgmlType;
use crate::gguf::{GgufWriteError, GgufWriter};
use crate::quant::QuantError;

pub use spec::{MATRIX_TYPES, PRESETS, QuantMix, SynthArch, SynthSpec};
pub use vocab::{BOS_ID, CHAT_TEMPLATE, EOS_ID, SPECIAL_TOKENS, byte_to_unicode};

/// What can go wrong making a synthetic model.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("unknown architecture '{0}' (known: llama, qwen2)")]
    UnknownArch(String),
    #[error("unknown shape preset '{0}' (known: tiny, 135m, 1b, 7b, 8b)")]
    UnknownPreset(String),
    #[error("invalid model shape: {0}")]
    BadSpec(String),
    #[error(
        "tensor type {0} cannot be used for synthetic weights (use f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q4_K, q5_K or q6_K)"
    )]
    UnsupportedType(GgmlType),
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Write(#[from] GgufWriteError),
    #[error("quantizing tensor '{tensor}': {source}")]
    Quant {
        tensor: String,
        #[source]
        source: QuantError,
    },
}

/// What [`write_synth_model`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct SynthSummary {
    pub path: PathBuf,
    pub spec: SynthSpec,
    pub n_tensors: usize,
    pub n_params: u64,
    pub file_bytes: u64,
    /// Number of tensors of each type (matrices that could not use the requested type fall
    /// back, and norms and biases are F32).
    pub tensor_types: BTreeMap<String, usize>,
    pub seconds: f64,
}

/// Writes the synthetic model `spec` to `path`, calling `progress(done, total)` (in bytes of
/// tensor data) as it goes. The file is written as `path` + ".part" and renamed when
/// complete, so `path` never holds a partial model.
pub fn write_synth_model(
    spec: &SynthSpec,
    path: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<SynthSummary, SynthError> {
    let start = Instant::now();
    spec.validate()?;
    let tensors = plan::plan_tensors(spec);
    let mut writer = GgufWriter::new();
    for (key, value) in plan::metadata(spec, vocab::build_vocab(spec.n_vocab, spec.seed)) {
        writer.add_metadata(key, value)?;
    }
    for t in &tensors {
        writer.add_tensor(t.name.as_str(), &t.dims, t.ty)?;
    }

    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    let part = PathBuf::from(part);
    let io = |what, path: &Path| {
        let path = path.to_path_buf();
        move |source| SynthError::Io { what, path, source }
    };
    let file = File::create(&part).map_err(io("cannot create", &part))?;
    let written = write_data(spec, &tensors, writer, file, progress);
    let file_bytes = match written {
        Ok(n) => n,
        Err(e) => {
            // Best effort: the error being reported matters more than a leftover file.
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
    };
    std::fs::rename(&part, path).map_err(io("cannot rename the finished model to", path))?;

    let mut tensor_types = BTreeMap::new();
    for t in &tensors {
        *tensor_types.entry(t.ty.name().to_string()).or_insert(0) += 1;
    }
    Ok(SynthSummary {
        path: path.to_path_buf(),
        spec: spec.clone(),
        n_tensors: tensors.len(),
        n_params: tensors.iter().map(plan::PlannedTensor::n_elements).sum(),
        file_bytes,
        tensor_types,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Writes the header and streams every chunk into `file`; returns the file size.
fn write_data(
    spec: &SynthSpec,
    tensors: &[plan::PlannedTensor],
    writer: GgufWriter,
    file: File,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64, SynthError> {
    let mut data = writer.write_header(BufWriter::with_capacity(1 << 20, file))?;
    let total: u64 = tensors
        .iter()
        .map(|t| t.ty.bytes_for(t.n_elements()).unwrap_or(0))
        .sum();
    let mut done = 0u64;
    progress(done, total);
    let chunks = generate::chunks(tensors);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    pipeline::ordered_parallel(
        chunks.len(),
        threads,
        2 * threads,
        |i| SCRATCH.with_borrow_mut(|s| generate::make_chunk(spec.seed, tensors, chunks[i], s)),
        |_, bytes| {
            data.write_chunk(&bytes)?;
            done += bytes.len() as u64;
            progress(done, total);
            Ok(())
        },
    )?;
    let size = data.bytes_written();
    data.finish()?
        .into_inner()
        .map_err(|e| GgufWriteError::Io {
            what: "file (flush)".into(),
            source: e.into_error(),
        })?;
    Ok(size)
}

thread_local! {
    /// Each worker's reusable buffer for the values of a chunk before quantization.
    static SCRATCH: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}
