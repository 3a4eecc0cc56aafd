//! The GPU source for NVIDIA devices until ouro-compute's NVML sampler is wired in: one
//! long-lived `nvidia-smi --query-gpu ... -lms N` child (NVML is opened once, not per
//! sample) whose CSV lines a reader thread parses into [`GpuSample`]s.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::data::{GpuReading, GpuSample};

/// The fields asked of `nvidia-smi`, in the order [`parse_line`] reads them.
const QUERY: &str = "index,name,utilization.gpu,memory.used,memory.total,temperature.gpu,\
                     power.draw,power.limit";

/// A number field, `None` for `[N/A]`, `[Not Supported]` and the like.
fn number(field: &str) -> Option<f64> {
    field.trim().parse().ok()
}

/// Parses one CSV line of the query (no header, no units); `None` if it is not one.
pub fn parse_line(line: &str) -> Option<GpuSample> {
    let f: Vec<&str> = line.split(',').map(str::trim).collect();
    if f.len() != 8 {
        return None;
    }
    let mib = |s: &str| number(s).map(|v| (v * 1024.0 * 1024.0) as u64);
    Some(GpuSample {
        index: f[0].parse().ok()?,
        name: f[1].to_string(),
        backend: "cuda".to_string(),
        utilization_pct: number(f[2]).map(|v| v as f32),
        memory_used: mib(f[3]),
        memory_total: mib(f[4]),
        temperature_c: number(f[5]).map(|v| v as f32),
        power_w: number(f[6]).map(|v| v as f32),
        power_limit_w: number(f[7]).map(|v| v as f32),
    })
}

#[derive(Debug, Default)]
struct Shared {
    devices: BTreeMap<u32, GpuSample>,
    /// Why the child stopped, once it has.
    ended: Option<String>,
}

/// The running `nvidia-smi` child, or why there is none.
#[derive(Debug)]
pub struct NvidiaSmi {
    child: Option<Child>,
    shared: Arc<Mutex<Shared>>,
}

impl NvidiaSmi {
    /// Starts sampling every `interval`; never fails: a missing tool or driver becomes the
    /// reason [`NvidiaSmi::read`] reports.
    pub fn start(interval: Duration) -> NvidiaSmi {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let spawned = Command::new("nvidia-smi")
            .arg(format!("--query-gpu={QUERY}"))
            .arg("--format=csv,noheader,nounits")
            .arg(format!("-lms={}", interval.as_millis().max(100)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(err) => {
                let reason = if err.kind() == std::io::ErrorKind::NotFound {
                    "no NVIDIA driver tools (nvidia-smi is not on PATH)".to_string()
                } else {
                    format!("cannot start nvidia-smi: {err}")
                };
                lock(&shared).ended = Some(reason);
                return NvidiaSmi {
                    child: None,
                    shared,
                };
            }
        };
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let thread_shared = Arc::clone(&shared);
        let spawned_thread = std::thread::Builder::new()
            .name("ouro-tui-nvidia-smi".into())
            .spawn(move || follow(stdout, stderr, &thread_shared));
        if let Err(err) = spawned_thread {
            lock(&shared).ended = Some(format!("cannot start the nvidia-smi reader: {err}"));
        }
        NvidiaSmi {
            child: Some(child),
            shared,
        }
    }

    /// Whether a sample came or the child ended.
    pub fn settled(&self) -> bool {
        let shared = lock(&self.shared);
        !shared.devices.is_empty() || shared.ended.is_some()
    }

    /// The latest figures of every device seen, or why there are none.
    pub fn read(&self) -> GpuReading {
        let shared = lock(&self.shared);
        if !shared.devices.is_empty() && shared.ended.is_none() {
            return GpuReading::Devices(shared.devices.values().cloned().collect());
        }
        GpuReading::NoGpu {
            reason: shared
                .ended
                .clone()
                .unwrap_or_else(|| "waiting for nvidia-smi's first sample".to_string()),
        }
    }
}

impl Drop for NvidiaSmi {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            // It may have exited already; either way it is reaped.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads the child's lines until it exits, then records why it did.
fn follow(
    stdout: Option<std::process::ChildStdout>,
    stderr: Option<std::process::ChildStderr>,
    shared: &Mutex<Shared>,
) {
    let mut last_other = None;
    if let Some(stdout) = stdout {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            match parse_line(&line) {
                Some(sample) => {
                    lock(shared).devices.insert(sample.index, sample);
                }
                None if !line.trim().is_empty() => last_other = Some(line.trim().to_string()),
                None => {}
            }
        }
    }
    let mut err = String::new();
    if let Some(mut stderr) = stderr {
        let _ = stderr.read_to_string(&mut err);
    }
    let reason = err
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
        .or(last_other)
        .unwrap_or_else(|| "nvidia-smi exited".to_string());
    lock(shared).ended = Some(format!("nvidia-smi: {reason}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_query_line() {
        let s =
            parse_line("0, NVIDIA H100 80GB HBM3, 87, 40960, 81559, 65, 312.45, 700.00").unwrap();
        assert_eq!(s.index, 0);
        assert_eq!(s.name, "NVIDIA H100 80GB HBM3");
        assert_eq!(s.utilization_pct, Some(87.0));
        assert_eq!(s.memory_used, Some(40960 * 1024 * 1024));
        assert_eq!(s.temperature_c, Some(65.0));
        assert_eq!(s.power_limit_w, Some(700.0));
    }

    #[test]
    fn unsupported_fields_are_none_and_junk_is_rejected() {
        let s = parse_line("1, Tesla T4, [N/A], 0, 15360, 40, [Not Supported], 70.00").unwrap();
        assert_eq!(s.utilization_pct, None);
        assert_eq!(s.power_w, None);
        assert!(parse_line("NVIDIA-SMI has failed because it couldn't communicate").is_none());
        assert!(parse_line("x, a, 1, 2, 3, 4, 5, 6").is_none());
    }
}
