//! Telemetry: a sampler thread that reads every GPU through NVML, and the CPU's load and
//! memory from /proc/stat and /proc/meminfo, at a set interval into a ring buffer. The
//! dashboard and the scheduler read the latest sample or the history; `ouro gpu watch`
//! waits for each new one.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::devices::cpu::meminfo_kib;
use crate::devices::nvml::{NvmlFigures, NvmlHandle};

/// The CPU's load and memory at one instant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CpuSample {
    /// Percent of all cores busy since the previous sample (`None` on the first).
    pub utilization: Option<f32>,
    pub memory_total: Option<u64>,
    pub memory_available: Option<u64>,
}

/// One reading of every device.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Sample {
    /// 0, 1, 2, ... in the order taken.
    pub seq: u64,
    /// Milliseconds since the sampler started.
    pub elapsed_ms: u64,
    pub gpus: Vec<NvmlFigures>,
    pub cpu: CpuSample,
}

/// A fixed-capacity FIFO that drops the oldest entry when full.
#[derive(Debug, Clone)]
pub struct Ring<T> {
    items: VecDeque<T>,
    capacity: usize,
}

impl<T: Clone> Ring<T> {
    pub fn new(capacity: usize) -> Ring<T> {
        Ring {
            items: VecDeque::with_capacity(capacity.max(1)),
            capacity: capacity.max(1),
        }
    }

    pub fn push(&mut self, item: T) {
        if self.items.len() == self.capacity {
            self.items.pop_front();
        }
        self.items.push_back(item);
    }

    pub fn latest(&self) -> Option<&T> {
        self.items.back()
    }

    /// Oldest first.
    pub fn to_vec(&self) -> Vec<T> {
        self.items.iter().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Busy and total jiffies from the aggregate `cpu` line of /proc/stat.
pub fn cpu_jiffies(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    if v.len() < 4 {
        return None;
    }
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let total: u64 = v.iter().take(8).sum();
    let idle = v[3] + v.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// Reads CPU figures; `prev` holds the previous jiffies for the utilization delta.
fn sample_cpu(prev: &mut Option<(u64, u64)>) -> CpuSample {
    let now = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| cpu_jiffies(&s));
    let utilization = match (*prev, now) {
        (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => {
            Some((b1.saturating_sub(b0)) as f32 / (t1 - t0) as f32 * 100.0)
        }
        _ => None,
    };
    *prev = now;
    let mem = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    CpuSample {
        utilization,
        memory_total: meminfo_kib(&mem, "MemTotal").map(|k| k * 1024),
        memory_available: meminfo_kib(&mem, "MemAvailable").map(|k| k * 1024),
    }
}

struct Shared {
    ring: Mutex<Ring<Sample>>,
    new_sample: Condvar,
    stop: AtomicBool,
    stop_lock: Mutex<()>,
    stop_signal: Condvar,
}

/// A running sampler; stops its thread when dropped.
pub struct Sampler {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    gpu_note: Option<String>,
}

impl std::fmt::Debug for Sampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sampler")
            .field("gpu_note", &self.gpu_note)
            .finish_non_exhaustive()
    }
}

impl Sampler {
    /// Starts sampling every `interval`, keeping the last `capacity` samples.
    pub fn start(interval: Duration, capacity: usize) -> std::io::Result<Sampler> {
        let (nvml, gpu_note) = match NvmlHandle::open() {
            Ok(h) => (Some(h), None),
            Err(reason) => (None, Some(reason)),
        };
        let shared = Arc::new(Shared {
            ring: Mutex::new(Ring::new(capacity)),
            new_sample: Condvar::new(),
            stop: AtomicBool::new(false),
            stop_lock: Mutex::new(()),
            stop_signal: Condvar::new(),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("ouro-telemetry".into())
            .spawn(move || run(&s, nvml, interval))?;
        Ok(Sampler {
            shared,
            thread: Some(thread),
            gpu_note,
        })
    }

    /// Why there are no GPU figures (NVML missing), if so.
    pub fn gpu_note(&self) -> Option<&str> {
        self.gpu_note.as_deref()
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring<Sample>> {
        self.shared.ring.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn latest(&self) -> Option<Sample> {
        self.ring().latest().cloned()
    }

    /// The kept samples, oldest first.
    pub fn history(&self) -> Vec<Sample> {
        self.ring().to_vec()
    }

    /// Waits up to `timeout` for a sample newer than `seq` (any sample when `seq` is None).
    pub fn wait_after(&self, seq: Option<u64>, timeout: Duration) -> Option<Sample> {
        let deadline = Instant::now() + timeout;
        let mut ring = self.ring();
        loop {
            if let Some(s) = ring.latest()
                && seq.is_none_or(|q| s.seq > q)
            {
                return Some(s.clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            ring = self
                .shared
                .new_sample
                .wait_timeout(ring, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

fn run(shared: &Shared, nvml: Option<NvmlHandle>, interval: Duration) {
    let started = Instant::now();
    let mut prev = None;
    let mut seq = 0;
    while !shared.stop.load(Ordering::Relaxed) {
        let gpus = nvml
            .as_ref()
            .and_then(|h| h.figures().ok())
            .unwrap_or_default();
        let sample = Sample {
            seq,
            elapsed_ms: started.elapsed().as_millis() as u64,
            gpus,
            cpu: sample_cpu(&mut prev),
        };
        seq += 1;
        shared
            .ring
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(sample);
        shared.new_sample.notify_all();
        let guard = shared.stop_lock.lock().unwrap_or_else(|e| e.into_inner());
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        drop(
            shared
                .stop_signal
                .wait_timeout(guard, interval)
                .unwrap_or_else(|e| e.into_inner()),
        );
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        {
            let _guard = self
                .shared
                .stop_lock
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            self.shared.stop.store(true, Ordering::Relaxed);
            self.shared.stop_signal.notify_all();
        }
        if let Some(t) = self.thread.take() {
            t.join().ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_keeps_the_newest() {
        let mut r = Ring::new(3);
        for i in 0..5 {
            r.push(i);
        }
        assert_eq!(r.to_vec(), vec![2, 3, 4]);
        assert_eq!(r.latest(), Some(&4));
        assert_eq!(r.len(), 3);
    }

    #[test]
    fn parses_proc_stat() {
        let stat = "cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 1 2 3 4\n";
        assert_eq!(cpu_jiffies(stat), Some((160, 980)));
        assert_eq!(cpu_jiffies("intr 1 2\n"), None);
    }

    #[test]
    fn sampler_produces_ordered_samples_and_stops() {
        let s = Sampler::start(Duration::from_millis(20), 4).unwrap();
        let first = s.wait_after(None, Duration::from_secs(5)).unwrap();
        let next = s
            .wait_after(Some(first.seq), Duration::from_secs(5))
            .unwrap();
        assert!(next.seq > first.seq && next.elapsed_ms >= first.elapsed_ms);
        assert!(next.cpu.memory_total.is_some_and(|m| m > 0));
        assert!(s.history().len() <= 4);
        if s.gpu_note().is_some() {
            assert!(next.gpus.is_empty());
        }
    }
}
