//! Where the engine runs a model: the CPU or a CUDA GPU, chosen by `--device auto|cpu|cuda:N`,
//! and the per-sequence state of either.

use crate::model::cuda::{CudaModel, CudaModelError, CudaState};
use crate::model::{Logits, Model, State};
use crate::threadpool::ThreadPool;

/// The device asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceChoice {
    /// CUDA device 0 when usable, else the CPU (saying why).
    Auto,
    Cpu,
    Cuda(usize),
}

impl std::str::FromStr for DeviceChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(DeviceChoice::Auto),
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" => Ok(DeviceChoice::Cuda(0)),
            _ => s
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(DeviceChoice::Cuda)
                .ok_or_else(|| format!("unknown device '{s}' (expected auto, cpu or cuda:N)")),
        }
    }
}

/// A model placed on a device.
#[derive(Debug)]
pub enum Placement {
    Cpu,
    Cuda(Box<CudaModel>),
}

impl Placement {
    /// Places `model` as `choice` asks. With [`DeviceChoice::Auto`] a GPU that can't be used
    /// is not an error: the model stays on the CPU and the second value says why.
    pub fn new(
        model: &Model,
        choice: DeviceChoice,
    ) -> Result<(Placement, Option<String>), CudaModelError> {
        match choice {
            DeviceChoice::Cpu => Ok((Placement::Cpu, None)),
            DeviceChoice::Cuda(n) => {
                Ok((Placement::Cuda(Box::new(CudaModel::load(model, n)?)), None))
            }
            DeviceChoice::Auto => match CudaModel::load(model, 0) {
                Ok(m) => Ok((Placement::Cuda(Box::new(m)), None)),
                Err(e) => Ok((
                    Placement::Cpu,
                    Some(format!("CUDA not usable ({e}); running on the CPU")),
                )),
            },
        }
    }

    /// A short name for reports: "CPU" or "CUDA (device name)".
    pub fn describe(&self) -> String {
        match self {
            Placement::Cpu => "CPU".into(),
            Placement::Cuda(m) => format!("CUDA ({})", m.device_name()),
        }
    }

    /// A fresh sequence with room for `n_ctx` tokens on this device.
    pub fn new_sequence(&self, model: &Model, n_ctx: usize) -> Result<Sequence, CudaModelError> {
        Ok(match self {
            Placement::Cpu => Sequence::Cpu(Box::new(model.new_state(n_ctx))),
            Placement::Cuda(m) => Sequence::Cuda(m.new_state(n_ctx)?),
        })
    }

    /// Runs `tokens` through the model on this device (see [`Model::forward`]).
    pub fn forward<'s>(
        &self,
        model: &Model,
        seq: &'s mut Sequence,
        tokens: &[u32],
        logits: Logits,
        pool: &ThreadPool,
    ) -> Result<&'s [f32], CudaModelError> {
        match (self, seq) {
            (Placement::Cpu, Sequence::Cpu(state)) => {
                Ok(model.forward(state, tokens, logits, pool)?)
            }
            (Placement::Cuda(m), Sequence::Cuda(state)) => m.forward(state, tokens, logits),
            _ => Err(CudaModelError::WrongDevice),
        }
    }
}

/// One sequence's state on the CPU or the GPU.
#[derive(Debug)]
pub enum Sequence {
    Cpu(Box<State>),
    Cuda(CudaState),
}

impl Sequence {
    pub fn pos(&self) -> usize {
        match self {
            Sequence::Cpu(s) => s.pos(),
            Sequence::Cuda(s) => s.pos(),
        }
    }

    pub fn capacity(&self) -> usize {
        match self {
            Sequence::Cpu(s) => s.capacity(),
            Sequence::Cuda(s) => s.capacity(),
        }
    }

    pub fn truncate(&mut self, pos: usize) {
        match self {
            Sequence::Cpu(s) => s.truncate(pos),
            Sequence::Cuda(s) => s.truncate(pos),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_device_choices() {
        assert_eq!("auto".parse(), Ok(DeviceChoice::Auto));
        assert_eq!("cpu".parse(), Ok(DeviceChoice::Cpu));
        assert_eq!("cuda".parse(), Ok(DeviceChoice::Cuda(0)));
        assert_eq!("cuda:3".parse(), Ok(DeviceChoice::Cuda(3)));
        assert!("cuda:x".parse::<DeviceChoice>().is_err());
        assert!("gpu".parse::<DeviceChoice>().is_err());
    }
}
