//! Where the dashboard's data comes from. [`Source`] is the seam: the event loop asks it for
//! a [`Reading`] at every tick. [`LocalSources`] reads this machine (`/proc`, the GPUs
//! through ouro-compute's NVML sampler), the running engines' status files and the
//! repository's `.ouro/` folder (the loop's task store, the agent's session journals).

pub mod engine;
pub mod gpu;
pub mod loop_store;
pub mod proc;
pub mod repo;
pub mod session;

use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::data::Reading;

/// Modification time and size of a file, if it exists: what changes when it is written,
/// so that a source re-reads a file only when its stamp differs from the last one.
pub(crate) type FileStamp = Option<(SystemTime, u64)>;

pub(crate) fn file_stamp(path: &Path) -> FileStamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Something that can be asked for the current figures.
pub trait Source {
    fn read(&mut self) -> Reading;

    /// Whether every part has reported at least once (or said why it cannot), so that a
    /// single frame (`--once`) shows figures rather than "waiting".
    fn settled(&self) -> bool {
        true
    }
}

/// This machine and one repository.
#[derive(Debug)]
pub struct LocalSources {
    system: proc::ProcReader,
    gpu: gpu::GpuSource,
    engine: engine::EngineSource,
    agent: session::SessionSource,
    tasks: repo::LoopSource,
}

impl LocalSources {
    /// Starts the readers; GPU samples are taken every `interval` (at least 100 ms).
    pub fn start(repo: &Path, interval: Duration) -> LocalSources {
        let repo = std::fs::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf());
        let mut system = proc::ProcReader::new();
        // Primes the CPU counters so that the first reading has utilization.
        let _ = system.read();
        LocalSources {
            system,
            gpu: gpu::GpuSource::start(interval),
            engine: engine::EngineSource::new(),
            agent: session::SessionSource::new(&repo),
            tasks: repo::LoopSource::new(&repo),
        }
    }
}

impl Source for LocalSources {
    fn read(&mut self) -> Reading {
        Reading {
            gpu: self.gpu.read(),
            system: self.system.read(),
            loop_status: self.tasks.read(),
            agent: self.agent.read(),
            engine: self.engine.read(),
        }
    }

    fn settled(&self) -> bool {
        self.gpu.settled()
    }
}
