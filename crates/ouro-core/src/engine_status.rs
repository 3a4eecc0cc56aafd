//! Live engine figures shared between processes. Every running engine keeps a small JSON
//! file, `<dir>/<pid>.json`, with its model, device and token counts, rewritten at most
//! four times a second (atomically: a temporary file renamed over it) and removed when the
//! engine goes; the dashboard shows the freshest file of a process that is still alive.
//! Writing is best effort: a full disk or a read-only folder never stops generation.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// How often a writer rewrites its file, at most.
const WRITE_EVERY: Duration = Duration::from_millis(250);

/// A file not rewritten for this long belongs to an engine that is idle or gone.
pub const STALE_AFTER: Duration = Duration::from_secs(5);

/// One engine's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineStatus {
    pub pid: u32,
    /// The model file's name, e.g. `SmolLM2-135M-Instruct.Q4_1.gguf`.
    pub model: String,
    /// Where it runs, e.g. `CPU (2 threads)` or `CUDA (NVIDIA H100 80GB HBM3)`.
    pub device: String,
    /// Tokens generated one at a time (decode steps) since the engine started.
    pub generated: u64,
    /// Prompt tokens processed in batches since the engine started.
    pub prompt: u64,
    /// Decode steps per second over the last window (0 when it only read prompts).
    pub tokens_per_s: f32,
    /// Milliseconds since the Unix epoch at the last rewrite.
    pub updated_ms: u64,
}

/// Where engines keep their status files: `$XDG_RUNTIME_DIR/ouro/engines`, or
/// `<temp>/ouro-<user>/engines` without one.
pub fn status_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir).join("ouro").join("engines"),
        None => {
            let user = std::env::var("USER").unwrap_or_else(|_| "user".into());
            std::env::temp_dir()
                .join(format!("ouro-{user}"))
                .join("engines")
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Counts an engine's tokens and keeps its status file up to date.
#[derive(Debug)]
pub struct StatusWriter {
    path: PathBuf,
    status: EngineStatus,
    /// Start of the current speed window and the decode steps counted then.
    window: (Instant, u64),
}

impl StatusWriter {
    /// A writer for this process's file in `dir` (nothing is written until tokens come).
    pub fn new(dir: &Path, model: &str, device: &str) -> StatusWriter {
        let pid = std::process::id();
        StatusWriter {
            path: dir.join(format!("{pid}.json")),
            status: EngineStatus {
                pid,
                model: model.to_string(),
                device: device.to_string(),
                generated: 0,
                prompt: 0,
                tokens_per_s: 0.0,
                updated_ms: 0,
            },
            window: (Instant::now(), 0),
        }
    }

    /// Records a forward pass over `tokens` tokens (one: a decode step; more: a prompt).
    pub fn record(&mut self, tokens: usize) {
        if tokens == 1 {
            self.status.generated += 1;
        } else {
            self.status.prompt += tokens as u64;
        }
        let elapsed = self.window.0.elapsed();
        if elapsed >= WRITE_EVERY {
            let steps = self.status.generated - self.window.1;
            self.status.tokens_per_s = (steps as f64 / elapsed.as_secs_f64()) as f32;
            self.window = (Instant::now(), self.status.generated);
            self.status.updated_ms = now_ms();
            self.write();
        }
    }

    fn write(&self) {
        let Some(dir) = self.path.parent() else {
            return;
        };
        let Ok(json) = serde_json::to_vec(&self.status) else {
            return;
        };
        let tmp = self.path.with_extension("json.tmp");
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&tmp, json))
            .and_then(|()| std::fs::rename(&tmp, &self.path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

impl Drop for StatusWriter {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether process `pid` is running (on systems without `/proc`, assumed so).
fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// The freshest status in `dir` of a live engine rewritten within [`STALE_AFTER`]; files
/// that do not parse (one being replaced, a stray file) are skipped.
pub fn latest(dir: &Path) -> Option<EngineStatus> {
    let now = now_ms();
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| serde_json::from_slice::<EngineStatus>(&std::fs::read(e.path()).ok()?).ok())
        .filter(|s| now.saturating_sub(s.updated_ms) <= STALE_AFTER.as_millis() as u64)
        .filter(|s| alive(s.pid))
        .max_by_key(|s| s.updated_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writer_publishes_its_counts_and_removes_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = StatusWriter::new(dir.path(), "m.gguf", "CPU");
        w.record(12);
        assert!(
            latest(dir.path()).is_none(),
            "nothing before the first window ends"
        );
        std::thread::sleep(WRITE_EVERY);
        w.record(1);
        let s = latest(dir.path()).expect("a status");
        assert_eq!((s.prompt, s.generated, s.pid), (12, 1, std::process::id()));
        assert_eq!((s.model.as_str(), s.device.as_str()), ("m.gguf", "CPU"));
        assert!(s.tokens_per_s > 0.0 && s.tokens_per_s <= 1.0 / WRITE_EVERY.as_secs_f32());
        drop(w);
        assert!(latest(dir.path()).is_none());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn stale_dead_and_broken_files_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = EngineStatus {
            pid: std::process::id(),
            model: "fresh".into(),
            device: "CPU".into(),
            generated: 5,
            prompt: 0,
            tokens_per_s: 10.0,
            updated_ms: now_ms(),
        };
        let stale = EngineStatus {
            model: "stale".into(),
            updated_ms: now_ms() - 60_000,
            ..fresh.clone()
        };
        let dead = EngineStatus {
            model: "dead".into(),
            pid: u32::MAX,
            ..fresh.clone()
        };
        for (name, s) in [("1", &fresh), ("2", &stale), ("3", &dead)] {
            std::fs::write(
                dir.path().join(format!("{name}.json")),
                serde_json::to_vec(s).unwrap(),
            )
            .unwrap();
        }
        std::fs::write(dir.path().join("4.json"), b"{not json").unwrap();
        assert_eq!(latest(dir.path()).map(|s| s.model), Some("fresh".into()));
        assert!(latest(&dir.path().join("missing")).is_none());
    }
}
