//! The GPU source: ouro-compute's telemetry sampler, which reads every NVIDIA GPU through
//! NVML (opened once) on its own thread; the panel gets its latest sample, or why there
//! is none (no driver, no device).

use std::time::Duration;

use ouro_compute::devices::NvmlFigures;
use ouro_compute::telemetry::{Sample, Sampler};

use crate::data::{GpuReading, GpuSample};

/// The panel's figures of one NVML reading.
pub fn gpu_sample(f: &NvmlFigures) -> GpuSample {
    GpuSample {
        index: f.index,
        name: f.name.clone(),
        backend: "cuda".to_string(),
        utilization_pct: f.utilization_gpu.map(|v| v as f32),
        memory_used: Some(f.memory_used),
        memory_total: Some(f.memory_total),
        temperature_c: f.temperature_c.map(|v| v as f32),
        power_w: f.power_w.map(|v| v as f32),
        power_limit_w: f.power_limit_w.map(|v| v as f32),
    }
}

/// What the panel shows for one telemetry sample.
pub fn reading(sample: &Sample) -> GpuReading {
    if sample.gpus.is_empty() {
        GpuReading::NoGpu {
            reason: "NVML found no GPU".to_string(),
        }
    } else {
        GpuReading::Devices(sample.gpus.iter().map(gpu_sample).collect())
    }
}

/// The running sampler, or why there is none.
#[derive(Debug)]
pub struct GpuSource {
    sampler: Result<Sampler, String>,
}

impl GpuSource {
    /// Starts sampling every `interval` (at least 100 ms); never fails: a missing driver
    /// becomes the reason [`GpuSource::read`] reports.
    pub fn start(interval: Duration) -> GpuSource {
        let sampler = Sampler::start(interval.max(Duration::from_millis(100)), 2)
            .map_err(|e| format!("cannot start the GPU sampler: {e}"));
        GpuSource { sampler }
    }

    /// Whether a sample came, or it is known that none will.
    pub fn settled(&self) -> bool {
        match &self.sampler {
            Ok(s) => s.gpu_note().is_some() || s.latest().is_some(),
            Err(_) => true,
        }
    }

    /// The latest figures of every device, or why there are none.
    pub fn read(&self) -> GpuReading {
        let no_gpu = |reason: &str| GpuReading::NoGpu {
            reason: reason.to_string(),
        };
        match &self.sampler {
            Err(reason) => no_gpu(reason),
            Ok(s) => match (s.gpu_note(), s.latest()) {
                (Some(note), _) => no_gpu(note),
                (None, Some(sample)) => reading(&sample),
                (None, None) => no_gpu("waiting for the first NVML sample"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvml_figures_map_to_the_panel() {
        let f = NvmlFigures {
            index: 1,
            name: "NVIDIA H100 80GB HBM3".into(),
            uuid: "GPU-x".into(),
            memory_total: 80 << 30,
            memory_used: 1 << 30,
            utilization_gpu: Some(97),
            utilization_memory: Some(60),
            temperature_c: Some(51),
            power_w: Some(412.5),
            power_limit_w: None,
            clock_sm_mhz: None,
            clock_memory_mhz: None,
            pcie_gen: None,
            pcie_width: None,
        };
        let s = gpu_sample(&f);
        assert_eq!((s.index, s.name.as_str()), (1, "NVIDIA H100 80GB HBM3"));
        assert_eq!(
            (s.memory_used, s.memory_total),
            (Some(1 << 30), Some(80 << 30))
        );
        assert_eq!(
            (s.utilization_pct, s.temperature_c),
            (Some(97.0), Some(51.0))
        );
        assert_eq!((s.power_w, s.power_limit_w), (Some(412.5), None));
    }

    #[test]
    fn a_sample_without_gpus_says_so() {
        let sample: Sample = serde_json::from_str(
            r#"{"seq":0,"elapsed_ms":0,"gpus":[],"cpu":{"utilization":null,"memory_total":1,"memory_available":1}}"#,
        )
        .unwrap();
        assert_eq!(
            reading(&sample),
            GpuReading::NoGpu {
                reason: "NVML found no GPU".into()
            }
        );
    }
}
