//! The system source: CPU per core from `/proc/stat`, memory from `/proc/meminfo` and load
//! from `/proc/loadavg` (Linux). Utilization is the busy share of the jiffies elapsed since
//! the previous read, so the first read reports none.

use crate::data::SystemSample;

/// Busy and total jiffies of one CPU line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Jiffies {
    pub busy: u64,
    pub total: u64,
}

/// The aggregate line and the per-core lines of `/proc/stat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuTimes {
    pub all: Jiffies,
    pub cores: Vec<Jiffies>,
}

/// Parses one `cpu...` line's counters (user nice system idle iowait irq softirq steal).
fn jiffies(fields: &str) -> Option<Jiffies> {
    let v: Vec<u64> = fields
        .split_whitespace()
        .take(8)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    if v.len() < 4 {
        return None;
    }
    let total: u64 = v.iter().sum();
    let idle = v[3] + v.get(4).copied().unwrap_or(0);
    Some(Jiffies {
        busy: total.saturating_sub(idle),
        total,
    })
}

/// Parses `/proc/stat`; `None` when it has no aggregate `cpu` line.
pub fn parse_stat(stat: &str) -> Option<CpuTimes> {
    let mut all = None;
    let mut cores = Vec::new();
    for line in stat.lines() {
        if let Some(rest) = line.strip_prefix("cpu ") {
            all = jiffies(rest);
        } else if let Some(rest) = line.strip_prefix("cpu") {
            let (index, fields) = rest.split_once(' ')?;
            if index.chars().all(|c| c.is_ascii_digit()) {
                cores.push(jiffies(fields)?);
            }
        }
    }
    Some(CpuTimes { all: all?, cores })
}

/// Percent busy between two readings of the same CPU line.
fn busy_pct(before: Jiffies, after: Jiffies) -> f32 {
    let total = after.total.saturating_sub(before.total);
    if total == 0 {
        return 0.0;
    }
    after.busy.saturating_sub(before.busy) as f32 / total as f32 * 100.0
}

/// A `/proc/meminfo` field in bytes (the file gives kB).
pub fn meminfo_bytes(meminfo: &str, key: &str) -> Option<u64> {
    meminfo.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        let kib: u64 = rest.split_whitespace().next()?.parse().ok()?;
        Some(kib * 1024)
    })
}

/// The three load averages of `/proc/loadavg`.
pub fn parse_loadavg(loadavg: &str) -> Option<[f32; 3]> {
    let mut it = loadavg.split_whitespace().map(str::parse::<f32>);
    Some([it.next()?.ok()?, it.next()?.ok()?, it.next()?.ok()?])
}

/// Builds a sample from two `/proc/stat` readings and the memory and load files.
pub fn sample_from(
    before: &CpuTimes,
    after: &CpuTimes,
    meminfo: &str,
    loadavg: &str,
) -> Option<SystemSample> {
    let cpu_per_core = before
        .cores
        .iter()
        .zip(&after.cores)
        .map(|(b, a)| busy_pct(*b, *a))
        .collect();
    Some(SystemSample {
        cpu_per_core,
        cpu_total: busy_pct(before.all, after.all),
        memory_total: meminfo_bytes(meminfo, "MemTotal")?,
        memory_available: meminfo_bytes(meminfo, "MemAvailable")?,
        swap_total: meminfo_bytes(meminfo, "SwapTotal").unwrap_or(0),
        swap_free: meminfo_bytes(meminfo, "SwapFree").unwrap_or(0),
        load: parse_loadavg(loadavg)?,
    })
}

/// Reads the system figures from `/proc`, keeping the previous CPU times.
#[derive(Debug, Default)]
pub struct ProcReader {
    previous: Option<CpuTimes>,
}

impl ProcReader {
    pub fn new() -> ProcReader {
        ProcReader::default()
    }

    /// The figures since the previous call; `None` on the first call or when `/proc` cannot
    /// be read.
    pub fn read(&mut self) -> Option<SystemSample> {
        let now = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| parse_stat(&s))?;
        let before = self.previous.replace(now.clone())?;
        let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
        let loadavg = std::fs::read_to_string("/proc/loadavg").ok()?;
        sample_from(&before, &now, &meminfo, &loadavg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT_A: &str = "cpu  100 0 100 800 0 0 0 0 0 0\n\
        cpu0 50 0 50 400 0 0 0 0 0 0\n\
        cpu1 50 0 50 400 0 0 0 0 0 0\n\
        intr 1 2 3\nctxt 5\n";
    const STAT_B: &str = "cpu  250 0 150 1000 0 0 0 0 0 0\n\
        cpu0 150 0 100 450 0 0 0 0 0 0\n\
        cpu1 100 0 50 550 0 0 0 0 0 0\n";
    const MEMINFO: &str = "MemTotal:       1000 kB\nMemFree:         100 kB\n\
        MemAvailable:    400 kB\nSwapTotal:        50 kB\nSwapFree:         25 kB\n";

    #[test]
    fn utilization_is_the_busy_share_of_elapsed_jiffies() {
        let a = parse_stat(STAT_A).unwrap();
        let b = parse_stat(STAT_B).unwrap();
        let s = sample_from(&a, &b, MEMINFO, "0.50 1.25 2.00 1/100 42\n").unwrap();
        // all: busy 200 -> 400 (+200) of total 1000 -> 1400 (+400).
        assert_eq!(s.cpu_total, 50.0);
        // core0: +150 busy of +200; core1: +50 of +200.
        assert_eq!(s.cpu_per_core, vec![75.0, 25.0]);
        assert_eq!(s.memory_total, 1000 * 1024);
        assert_eq!(s.memory_available, 400 * 1024);
        assert_eq!(s.swap_free, 25 * 1024);
        assert_eq!(s.load, [0.5, 1.25, 2.0]);
    }

    #[test]
    fn bad_files_give_none() {
        assert!(parse_stat("intr 1 2\n").is_none());
        assert!(parse_stat("cpu  1 2 x 4\n").is_none());
        assert!(parse_loadavg("0.5 zz").is_none());
        assert!(meminfo_bytes(MEMINFO, "Mem").is_none());
    }

    #[test]
    fn reads_this_machine() {
        let mut r = ProcReader::new();
        assert!(r.read().is_none(), "the first read has no delta");
        if std::path::Path::new("/proc/stat").exists() {
            let s = r.read().unwrap();
            assert!(!s.cpu_per_core.is_empty());
            assert!(s.memory_total > 0);
        }
    }
}
