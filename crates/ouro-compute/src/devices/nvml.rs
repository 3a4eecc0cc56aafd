//! NVIDIA GPUs through NVML (libnvidia-ml, loaded at run time): identity, memory, load,
//! temperature, power, clocks and PCIe link, as the driver reports them.

use nvml_wrapper::Nvml;
use nvml_wrapper::enum_wrappers::device::{Clock, TemperatureSensor};
use nvml_wrapper::error::NvmlError;
use serde::{Deserialize, Serialize};

/// What NVML reports for one GPU. A figure the driver does not give is `None`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NvmlFigures {
    pub index: u32,
    pub name: String,
    /// NVML's UUID, e.g. `GPU-5a1c...`.
    pub uuid: String,
    pub memory_total: u64,
    pub memory_used: u64,
    /// GPU and memory-controller busy percentages over the driver's last sample period.
    pub utilization_gpu: Option<u32>,
    pub utilization_memory: Option<u32>,
    pub temperature_c: Option<u32>,
    pub power_w: Option<f64>,
    pub power_limit_w: Option<f64>,
    pub clock_sm_mhz: Option<u32>,
    pub clock_memory_mhz: Option<u32>,
    pub pcie_gen: Option<u32>,
    pub pcie_width: Option<u32>,
}

/// An open NVML session.
pub struct NvmlHandle {
    nvml: Nvml,
}

impl std::fmt::Debug for NvmlHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NvmlHandle").finish_non_exhaustive()
    }
}

/// Why NVML is not usable, in words (e.g. "libnvidia-ml.so not found").
pub fn reason(err: &NvmlError) -> String {
    match err {
        NvmlError::LibloadingError(e) => {
            format!("NVML: libnvidia-ml.so not found or not loadable ({e})")
        }
        NvmlError::DriverNotLoaded => "NVML: the NVIDIA driver is not loaded".into(),
        NvmlError::NoPermission => "NVML: no permission to query the driver".into(),
        other => format!("NVML: {other}"),
    }
}

impl NvmlHandle {
    /// Loads libnvidia-ml and initializes it.
    pub fn open() -> Result<NvmlHandle, String> {
        Nvml::init()
            .map(|nvml| NvmlHandle { nvml })
            .map_err(|e| reason(&e))
    }

    /// The driver version, e.g. "580.159.04".
    pub fn driver_version(&self) -> Option<String> {
        self.nvml.sys_driver_version().ok()
    }

    /// Current figures of every GPU NVML sees.
    pub fn figures(&self) -> Result<Vec<NvmlFigures>, String> {
        let count = self.nvml.device_count().map_err(|e| reason(&e))?;
        let mut out = Vec::with_capacity(count as usize);
        for index in 0..count {
            let dev = self.nvml.device_by_index(index).map_err(|e| reason(&e))?;
            let mem = dev.memory_info().map_err(|e| reason(&e))?;
            let util = dev.utilization_rates().ok();
            out.push(NvmlFigures {
                index,
                name: dev.name().unwrap_or_else(|_| "NVIDIA GPU".into()),
                uuid: dev.uuid().unwrap_or_default(),
                memory_total: mem.total,
                memory_used: mem.used,
                utilization_gpu: util.as_ref().map(|u| u.gpu),
                utilization_memory: util.as_ref().map(|u| u.memory),
                temperature_c: dev.temperature(TemperatureSensor::Gpu).ok(),
                power_w: dev.power_usage().ok().map(|mw| f64::from(mw) / 1000.0),
                power_limit_w: dev
                    .power_management_limit()
                    .ok()
                    .map(|mw| f64::from(mw) / 1000.0),
                clock_sm_mhz: dev.clock_info(Clock::SM).ok(),
                clock_memory_mhz: dev.clock_info(Clock::Memory).ok(),
                pcie_gen: dev.current_pcie_link_gen().ok(),
                pcie_width: dev.current_pcie_link_width().ok(),
            });
        }
        Ok(out)
    }
}
