//! The model's tensors, located in the GGUF file and checked against the config.
//!
//! Matrices stay in the memory-mapped file (no copy), except those that the CPU kernels
//! multiply faster (and exactly as llama.cpp does) in a repacked layout: those are copied
//! into it on their first use on the CPU (llama.cpp's CPU backend repacks them at load; a
//! model that runs on a GPU never pays for the copy). The small vectors (norm weights,
//! biases) are converted to f32 once at load.

use std::sync::OnceLock;

use super::ModelError;
use super::config::{Architecture, ModelConfig};
use crate::gguf::{GgufFile, TensorInfo};
use crate::quant::{self, PackedMatrix, QMatrix};

/// A weight matrix in the file: `rows` outputs of `cols` inputs each.
#[derive(Debug, Clone)]
pub struct Matrix {
    pub info: TensorInfo,
    pub rows: usize,
    pub cols: usize,
    /// Whether the CPU may use a repacked copy. Only matrices used for nothing but matrix
    /// products are packed (not the token embedding, also when the output projection
    /// shares it), as in llama.cpp.
    packable: bool,
    /// The repacked copy, made on first use; `None` inside when the type and shape have no
    /// packed layout on this CPU.
    packed: OnceLock<Option<PackedMatrix>>,
}

impl Matrix {
    /// The same matrix, marked as one the CPU may repack.
    fn packable(mut self) -> Matrix {
        self.packable = true;
        self
    }

    /// The repacked copy for the CPU kernels, made on the first call, if the matrix has one.
    pub fn packed(&self, file: &GgufFile) -> Result<Option<&PackedMatrix>, ModelError> {
        if !self.packable {
            return Ok(None);
        }
        if let Some(p) = self.packed.get() {
            return Ok(p.as_ref());
        }
        let packed = PackedMatrix::pack(&self.view(file)?);
        Ok(self.packed.get_or_init(|| packed).as_ref())
    }

    /// The matrix as a view over the file's bytes.
    pub fn view<'a>(&self, file: &'a GgufFile) -> Result<QMatrix<'a>, ModelError> {
        Ok(QMatrix::new(
            self.info.ty,
            file.tensor_data(&self.info),
            self.rows,
            self.cols,
        )?)
    }
}

/// The tensors of one transformer block.
#[derive(Debug)]
pub struct LayerWeights {
    pub attn_norm: Vec<f32>,
    pub wq: Matrix,
    pub wk: Matrix,
    pub wv: Matrix,
    pub wo: Matrix,
    /// Q, K and V biases (qwen2).
    pub bq: Option<Vec<f32>>,
    pub bk: Option<Vec<f32>>,
    pub bv: Option<Vec<f32>>,
    pub ffn_norm: Vec<f32>,
    pub w_gate: Matrix,
    pub w_up: Matrix,
    pub w_down: Matrix,
}

/// All tensors of a model.
#[derive(Debug)]
pub struct Weights {
    pub token_embd: Matrix,
    pub layers: Vec<LayerWeights>,
    pub output_norm: Vec<f32>,
    /// The output projection; the token embedding when the model ties them.
    pub output: Matrix,
}

impl Weights {
    /// Finds and checks every tensor the config calls for.
    pub fn load(file: &GgufFile, cfg: &ModelConfig) -> Result<Weights, ModelError> {
        let token_embd = matrix(file, "token_embd.weight", cfg.n_vocab, cfg.n_embd)?;
        let output = match file.tensor("output.weight") {
            Some(_) => matrix(file, "output.weight", cfg.n_vocab, cfg.n_embd)?.packable(),
            None => token_embd.clone(),
        };
        let mut layers = Vec::with_capacity(cfg.n_layer);
        for i in 0..cfg.n_layer {
            let name = |t: &str| format!("blk.{i}.{t}");
            let biases = cfg.arch == Architecture::Qwen2;
            let bias = |t: &str, n: usize| -> Result<Option<Vec<f32>>, ModelError> {
                if biases {
                    vector(file, &name(t), n).map(Some)
                } else {
                    Ok(None)
                }
            };
            layers.push(LayerWeights {
                attn_norm: vector(file, &name("attn_norm.weight"), cfg.n_embd)?,
                wq: matrix(file, &name("attn_q.weight"), cfg.q_dim(), cfg.n_embd)?.packable(),
                wk: matrix(file, &name("attn_k.weight"), cfg.kv_dim(), cfg.n_embd)?.packable(),
                wv: matrix(file, &name("attn_v.weight"), cfg.kv_dim(), cfg.n_embd)?.packable(),
                wo: matrix(file, &name("attn_output.weight"), cfg.n_embd, cfg.q_dim())?.packable(),
                bq: bias("attn_q.bias", cfg.q_dim())?,
                bk: bias("attn_k.bias", cfg.kv_dim())?,
                bv: bias("attn_v.bias", cfg.kv_dim())?,
                ffn_norm: vector(file, &name("ffn_norm.weight"), cfg.n_embd)?,
                w_gate: matrix(file, &name("ffn_gate.weight"), cfg.n_ff, cfg.n_embd)?.packable(),
                w_up: matrix(file, &name("ffn_up.weight"), cfg.n_ff, cfg.n_embd)?.packable(),
                w_down: matrix(file, &name("ffn_down.weight"), cfg.n_embd, cfg.n_ff)?.packable(),
            });
        }
        Ok(Weights {
            token_embd,
            layers,
            output_norm: vector(file, "output_norm.weight", cfg.n_embd)?,
            output,
        })
    }
}

fn find<'a>(file: &'a GgufFile, name: &str) -> Result<&'a TensorInfo, ModelError> {
    file.tensor(name)
        .ok_or_else(|| ModelError::MissingTensor(name.to_string()))
}

fn matrix(file: &GgufFile, name: &str, rows: usize, cols: usize) -> Result<Matrix, ModelError> {
    let info = find(file, name)?;
    if info.dims != [cols as u64, rows as u64] {
        return Err(ModelError::BadShape {
            name: name.into(),
            expected: vec![cols as u64, rows as u64],
            found: info.dims.clone(),
        });
    }
    Ok(Matrix {
        info: info.clone(),
        rows,
        cols,
        packable: false,
        packed: OnceLock::new(),
    })
}

fn vector(file: &GgufFile, name: &str, n: usize) -> Result<Vec<f32>, ModelError> {
    let info = find(file, name)?;
    if info.n_elements() != n as u64 {
        return Err(ModelError::BadShape {
            name: name.into(),
            expected: vec![n as u64],
            found: info.dims.clone(),
        });
    }
    let mut out = vec![0.0; n];
    quant::dequantize(info.ty, file.tensor_data(info), &mut out)?;
    Ok(out)
}
