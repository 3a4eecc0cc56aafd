//! The CPU as a device: model name from /proc/cpuinfo, core count, and the SIMD features
//! detected at run time (never assumed from the build target).

use serde::Serialize;

/// What was found about the CPU.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CpuFigures {
    pub model: String,
    /// Logical cores available to this process.
    pub cores: usize,
    /// SIMD features the CPU reports at run time (e.g. "avx2", "fma", "f16c", "avx512f").
    pub simd: Vec<&'static str>,
    /// Total memory from /proc/meminfo, when readable.
    pub memory_total: Option<u64>,
}

/// Reads the CPU's figures.
pub fn probe() -> CpuFigures {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    CpuFigures {
        model: model_name(&cpuinfo).unwrap_or_else(|| std::env::consts::ARCH.to_string()),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        simd: simd_features(),
        memory_total: meminfo_kib(&meminfo, "MemTotal").map(|k| k * 1024),
    }
}

/// The `model name` (x86) or `Model`/`Hardware` (ARM) line of /proc/cpuinfo.
pub fn model_name(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        let key = key.trim();
        let value = value.trim();
        (matches!(key, "model name" | "Model" | "Hardware") && !value.is_empty())
            .then(|| value.to_string())
    })
}

/// A `Key:   123 kB` value of /proc/meminfo, in KiB.
pub fn meminfo_kib(meminfo: &str, key: &str) -> Option<u64> {
    meminfo.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        if k.trim() != key {
            return None;
        }
        v.split_whitespace().next()?.parse().ok()
    })
}

/// SIMD features detected at run time.
pub fn simd_features() -> Vec<&'static str> {
    let mut found = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! check {
            ($($f:tt),*) => {$(
                if std::is_x86_feature_detected!($f) {
                    found.push($f);
                }
            )*};
        }
        check!(
            "sse4.2",
            "avx",
            "avx2",
            "fma",
            "f16c",
            "avx512f",
            "avx512bw",
            "avx512vl",
            "avx512vnni",
            "avx512bf16",
            "avx512fp16",
            "avxvnni"
        );
    }
    #[cfg(target_arch = "aarch64")]
    {
        macro_rules! check {
            ($($f:tt),*) => {$(
                if std::arch::is_aarch64_feature_detected!($f) {
                    found.push($f);
                }
            )*};
        }
        check!("neon", "fp16", "dotprod", "i8mm", "sve", "sve2");
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_model_name_and_meminfo() {
        let info = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n";
        assert_eq!(model_name(info).as_deref(), Some("AMD EPYC 7B13"));
        assert_eq!(model_name("processor: 0\n"), None);
        let mem = "MemTotal:       24576000 kB\nMemFree:  100 kB\n";
        assert_eq!(meminfo_kib(mem, "MemTotal"), Some(24_576_000));
        assert_eq!(meminfo_kib(mem, "MemAvailable"), None);
    }

    #[test]
    fn probe_finds_this_cpu() {
        let cpu = probe();
        assert!(cpu.cores >= 1);
        assert!(!cpu.model.is_empty());
        #[cfg(target_arch = "x86_64")]
        assert_eq!(
            cpu.simd.contains(&"avx2"),
            std::is_x86_feature_detected!("avx2")
        );
    }
}
