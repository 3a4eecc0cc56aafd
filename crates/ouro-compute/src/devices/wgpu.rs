//! wgpu adapters on every backend wgpu was built with (Vulkan, Metal, DX12, GL).

use serde::Serialize;

/// What wgpu reports for one adapter.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WgpuFigures {
    pub name: String,
    /// "discrete", "integrated", "virtual", "cpu" or "other".
    pub device_type: &'static str,
    /// "vulkan", "metal", "dx12", "gl".
    pub backend: String,
    pub driver: String,
    pub driver_info: String,
    pub vendor: u32,
    pub device: u32,
}

/// Every adapter wgpu finds (empty when none).
pub fn probe() -> Vec<WgpuFigures> {
    let desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    let instance = wgpu::Instance::new(desc);
    let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    adapters
        .iter()
        .map(|a| {
            let info = a.get_info();
            WgpuFigures {
                name: info.name,
                device_type: match info.device_type {
                    wgpu::DeviceType::DiscreteGpu => "discrete",
                    wgpu::DeviceType::IntegratedGpu => "integrated",
                    wgpu::DeviceType::VirtualGpu => "virtual",
                    wgpu::DeviceType::Cpu => "cpu",
                    wgpu::DeviceType::Other => "other",
                },
                backend: info.backend.to_str().to_string(),
                driver: info.driver,
                driver_info: info.driver_info,
                vendor: info.vendor,
                device: info.device,
            }
        })
        .collect()
}
