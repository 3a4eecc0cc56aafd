//! The engine source: the freshest status file of a running ouro engine (see
//! `ouro_core::engine_status`: `ouro llm generate`, `chat`, `bench` and the agent's local
//! model all publish one).

use std::path::{Path, PathBuf};

use ouro_core::engine_status::{EngineStatus, latest, status_dir};

use crate::data::EngineSample;

/// The panel's figures of one engine status.
pub fn engine_sample(s: &EngineStatus) -> EngineSample {
    EngineSample {
        model: format!("{} on {}", s.model, s.device),
        tokens_per_s: s.tokens_per_s,
        tokens_total: s.generated,
    }
}

/// Reads engines' status files from one folder.
#[derive(Debug)]
pub struct EngineSource {
    dir: PathBuf,
}

impl EngineSource {
    /// The status folder this user's engines write to.
    pub fn new() -> EngineSource {
        EngineSource::at(&status_dir())
    }

    pub fn at(dir: &Path) -> EngineSource {
        EngineSource {
            dir: dir.to_path_buf(),
        }
    }

    /// The most recently updated live engine's figures, `None` when none is running.
    pub fn read(&self) -> Option<EngineSample> {
        latest(&self.dir).as_ref().map(engine_sample)
    }
}

impl Default for EngineSource {
    fn default() -> Self {
        EngineSource::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ouro_core::engine_status::StatusWriter;

    #[test]
    fn a_running_engine_shows_up_and_goes_away() {
        let dir = std::env::temp_dir().join(format!("ouro-tui-engine-{}", std::process::id()));
        let source = EngineSource::at(&dir);
        assert_eq!(source.read(), None);
        let mut w = StatusWriter::new(&dir, "m.gguf", "CPU");
        w.record(8);
        std::thread::sleep(std::time::Duration::from_millis(300));
        w.record(1);
        let s = source.read().expect("the engine's figures");
        assert_eq!((s.model.as_str(), s.tokens_total), ("m.gguf on CPU", 1));
        drop(w);
        assert_eq!(source.read(), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
