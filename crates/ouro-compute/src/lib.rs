//! ouro-compute: the devices ouro can run on and the backends that drive them.
//!
//! [`devices`] finds every device (NVIDIA GPUs through NVML and CUDA, wgpu adapters, the CPU)
//! with measured figures and a score that picks the default; [`telemetry`] samples their load
//! periodically for the dashboard and the scheduler; [`cuda`] is the CUDA backend (context and
//! stream, NVRTC compilation cached on disk, a device memory pool, cuBLAS), loaded dynamically
//! so that the same binary runs where there is no GPU and no CUDA at all.

pub mod cuda;
pub mod devices;
pub mod telemetry;

/// The CUDA bindings the backend is built on (dynamic loading), for kernel launches.
pub use cudarc;
pub use devices::{Device, DeviceKind, Inventory};
