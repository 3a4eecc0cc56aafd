//! Device discovery: every device ouro could run on, with figures measured at discovery
//! time, a score per device and the default (highest score). Where a kind of device is
//! missing the inventory says why (no driver, library not found, ...), and discovery itself
//! never fails: the CPU is always there.

pub mod cpu;
pub mod cuda;
pub mod nvml;
pub mod wgpu;

use serde::Serialize;

pub use self::cpu::CpuFigures;
pub use self::cuda::CudaFigures;
pub use self::nvml::NvmlFigures;
pub use self::wgpu::WgpuFigures;

/// The broad class of a device, which orders the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// Software rasterizers seen as GPUs (llvmpipe, SwiftShader): slower than the CPU path.
    Software,
    Cpu,
    /// Software or virtual adapters (llvmpipe, virtio GPUs).
    Virtual,
    IntegratedGpu,
    DiscreteGpu,
}

/// One device as found, with the figures of each view of it.
#[derive(Debug, Clone, Serialize)]
pub struct Device {
    /// How to name it on the command line: `cpu`, `cuda:0`, `nvml:0`, `wgpu:1`.
    pub id: String,
    pub kind: DeviceKind,
    pub name: String,
    /// `cpu`, `cuda`, `vulkan`, `gl`, ...
    pub backend: String,
    pub memory_total: Option<u64>,
    pub memory_used: Option<u64>,
    pub score: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cuda: Option<CudaFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nvml: Option<NvmlFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wgpu: Option<WgpuFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<CpuFigures>,
}

/// Everything discovery found, and why anything is missing.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    pub devices: Vec<Device>,
    /// Index into `devices` of the default device (the highest score).
    pub default: usize,
    /// NVIDIA driver version, when NVML is loaded.
    pub driver_version: Option<String>,
    /// Why a kind of device is absent, e.g. "CUDA: libcuda.so not found".
    pub notes: Vec<String>,
}

/// A device's score: its class first (discrete GPU over integrated over virtual over CPU
/// over a software rasterizer),
/// then its memory (GiB), so the bigger of two GPUs of a class wins. CUDA devices get a
/// bonus over a wgpu view of the same class, as ouro's fastest backend.
pub fn score(kind: DeviceKind, memory_bytes: Option<u64>, backend: &str) -> f64 {
    let class = match kind {
        DeviceKind::Software => 0.0,
        DeviceKind::Cpu => 1.0,
        DeviceKind::Virtual => 2.0,
        DeviceKind::IntegratedGpu => 3.0,
        DeviceKind::DiscreteGpu => 4.0,
    };
    let gib = memory_bytes.map_or(0.0, |b| b as f64 / (1u64 << 30) as f64);
    let backend_bonus = if backend == "cuda" { 500.0 } else { 0.0 };
    class * 1000.0 + backend_bonus + gib.min(499.0)
}

/// Finds every device.
pub fn discover() -> Inventory {
    let mut devices = Vec::new();
    let mut notes = Vec::new();

    let (nvml, driver_version) = match nvml::NvmlHandle::open() {
        Ok(h) => {
            let version = h.driver_version();
            match h.figures() {
                Ok(f) => (f, version),
                Err(reason) => {
                    notes.push(reason);
                    (Vec::new(), version)
                }
            }
        }
        Err(reason) => {
            notes.push(reason);
            (Vec::new(), None)
        }
    };
    let cuda = match cuda::probe() {
        Ok(c) => c,
        Err(e) => {
            notes.push(format!("CUDA: {e}"));
            Vec::new()
        }
    };
    let mut nvml_used = vec![false; nvml.len()];
    for c in cuda {
        let matched = nvml.iter().position(|n| n.uuid == c.uuid);
        if let Some(i) = matched {
            nvml_used[i] = true;
        }
        let nv = matched.map(|i| nvml[i].clone());
        devices.push(Device {
            id: format!("cuda:{}", c.ordinal),
            kind: DeviceKind::DiscreteGpu,
            name: c.name.clone(),
            backend: "cuda".into(),
            memory_total: Some(c.memory_total),
            memory_used: nv.as_ref().map(|n| n.memory_used),
            score: score(DeviceKind::DiscreteGpu, Some(c.memory_total), "cuda"),
            cuda: Some(c),
            nvml: nv,
            wgpu: None,
            cpu: None,
        });
    }
    for (n, _) in nvml.iter().zip(&nvml_used).filter(|(_, used)| !**used) {
        devices.push(Device {
            id: format!("nvml:{}", n.index),
            kind: DeviceKind::DiscreteGpu,
            name: n.name.clone(),
            backend: "nvml".into(),
            memory_total: Some(n.memory_total),
            memory_used: Some(n.memory_used),
            score: score(DeviceKind::DiscreteGpu, Some(n.memory_total), "nvml"),
            cuda: None,
            nvml: Some(n.clone()),
            wgpu: None,
            cpu: None,
        });
    }
    let adapters = wgpu::probe();
    if adapters.is_empty() {
        notes.push("wgpu: no adapter on any backend (no Vulkan, Metal, DX12 or GL driver)".into());
    }
    for (i, a) in adapters.into_iter().enumerate() {
        let kind = match a.device_type {
            "discrete" => DeviceKind::DiscreteGpu,
            "integrated" => DeviceKind::IntegratedGpu,
            "cpu" => DeviceKind::Software,
            _ => DeviceKind::Virtual,
        };
        devices.push(Device {
            id: format!("wgpu:{i}"),
            kind,
            name: a.name.clone(),
            backend: a.backend.clone(),
            memory_total: None,
            memory_used: None,
            score: score(kind, None, &a.backend),
            cuda: None,
            nvml: None,
            wgpu: Some(a),
            cpu: None,
        });
    }
    let c = cpu::probe();
    devices.push(Device {
        id: "cpu".into(),
        kind: DeviceKind::Cpu,
        name: c.model.clone(),
        backend: "cpu".into(),
        memory_total: c.memory_total,
        memory_used: None,
        score: score(DeviceKind::Cpu, c.memory_total, "cpu"),
        cuda: None,
        nvml: None,
        wgpu: None,
        cpu: Some(c),
    });
    let default = best(&devices);
    Inventory {
        devices,
        default,
        driver_version,
        notes,
    }
}

/// Index of the highest-scoring device (the first on ties; 0 for an empty list).
pub fn best(devices: &[Device]) -> usize {
    let mut best = 0;
    for (i, d) in devices.iter().enumerate() {
        if d.score > devices[best].score {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    #[test]
    fn score_orders_classes_then_memory() {
        let soft = score(DeviceKind::Software, None, "vulkan");
        let cpu = score(DeviceKind::Cpu, Some(512 * GIB), "cpu");
        let virt = score(DeviceKind::Virtual, None, "vulkan");
        let igpu = score(DeviceKind::IntegratedGpu, Some(16 * GIB), "vulkan");
        let small = score(DeviceKind::DiscreteGpu, Some(8 * GIB), "vulkan");
        let big = score(DeviceKind::DiscreteGpu, Some(80 * GIB), "vulkan");
        let cuda = score(DeviceKind::DiscreteGpu, Some(8 * GIB), "cuda");
        assert!(
            soft < cpu && cpu < virt && virt < igpu && igpu < small && small < big && big < cuda
        );
    }

    #[test]
    fn discovery_always_lists_the_cpu_and_explains_absences() {
        let inv = discover();
        let cpu = inv.devices.iter().find(|d| d.id == "cpu");
        assert!(cpu.is_some_and(|d| d.cpu.is_some()));
        assert!(inv.default < inv.devices.len());
        let gpus = inv.devices.iter().filter(|d| d.backend == "cuda").count();
        if gpus == 0 {
            assert!(
                inv.notes.iter().any(|n| n.starts_with("CUDA:")),
                "no CUDA device but no reason given: {:?}",
                inv.notes
            );
        }
        let best = &inv.devices[inv.default];
        assert!(inv.devices.iter().all(|d| d.score <= best.score));
    }
}
