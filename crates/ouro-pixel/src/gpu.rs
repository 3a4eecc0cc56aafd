//! The GPU renderer: wgpu compute shaders (`shader.wgsl`) on whatever adapter the machine
//! has (Vulkan, Metal, DX12 or GL; Mesa's llvmpipe without a GPU). Each primitive record
//! is one dispatch over its clipped bounding box; wgpu orders the dispatches (the pixel
//! buffer is read-write storage), so ops apply in program order exactly as on the CPU.

use std::sync::mpsc;

use wgpu::util::DeviceExt;

use crate::image::Image;
use crate::lower::{Compiled, WORDS};

/// Why the GPU renderer could not run.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No wgpu adapter exists on this machine.
    #[error(
        "no wgpu adapter found ({0}); install a Vulkan, Metal, DX12 or GL driver (on Debian: mesa-vulkan-drivers)"
    )]
    NoAdapter(String),
    /// The adapter refused to open a device.
    #[error("could not open a device on {adapter}: {reason}")]
    Device {
        /// The adapter's name.
        adapter: String,
        /// The cause.
        reason: String,
    },
    /// The canvas does not fit the device's storage buffer limit.
    #[error("canvas of {bytes} bytes exceeds the device's storage buffer limit of {limit} bytes")]
    TooLarge {
        /// Bytes the canvas needs.
        bytes: u64,
        /// The device limit.
        limit: u64,
    },
    /// wgpu reported an error while rendering.
    #[error("GPU render failed: {0}")]
    Render(String),
}

/// Workgroup side of the shader (`@workgroup_size(8, 8, 1)`).
const GROUP: u32 = 8;

/// An open device with the compiled render pipeline, reusable for many renders.
pub struct GpuRenderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    adapter: String,
}

/// The first adapter of the native APIs (Vulkan, Metal, DX12), else of GL; `WGPU_BACKEND`
/// (e.g. `gl`) overrides the choice.
fn open_adapter() -> Result<wgpu::Adapter, GpuError> {
    let from_env = std::env::var_os("WGPU_BACKEND").is_some();
    let tiers = if from_env {
        vec![None]
    } else {
        vec![Some(wgpu::Backends::PRIMARY), Some(wgpu::Backends::GL)]
    };
    let mut last = String::from("no backend tried");
    for backends in tiers {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        if let Some(b) = backends {
            desc.backends = b;
        }
        let instance = wgpu::Instance::new(desc);
        let options = wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        };
        match pollster::block_on(instance.request_adapter(&options)) {
            Ok(adapter) => return Ok(adapter),
            Err(e) => last = e.to_string(),
        }
    }
    Err(GpuError::NoAdapter(last))
}

fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

impl GpuRenderer {
    /// Opens the default adapter and compiles the shader.
    pub fn new() -> Result<Self, GpuError> {
        let adapter = open_adapter()?;
        let info = adapter.get_info();
        let name = format!("{} ({:?})", info.name, info.backend);
        let device_err = |reason: String| GpuError::Device {
            adapter: name.clone(),
            reason,
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("ouro-pixel"),
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|e| device_err(e.to_string()))?;

        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("pixel shader"),
            source: wgpu::ShaderSource::Wgsl(include_str!("shader.wgsl").into()),
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("pixel bindings"),
            entries: &[
                storage_entry(0, false),
                storage_entry(1, true),
                storage_entry(2, true),
                wgpu::BindGroupLayoutEntry {
                    binding: 3,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: true,
                        min_binding_size: wgpu::BufferSize::new(16),
                    },
                    count: None,
                },
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("pixel layout"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("pixel pipeline"),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(device_err(format!("shader setup failed: {e}")));
        }
        Ok(GpuRenderer {
            device,
            queue,
            pipeline,
            layout,
            adapter: name,
        })
    }

    /// The adapter's name and backend, e.g. `llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan)`.
    pub fn adapter(&self) -> &str {
        &self.adapter
    }

    /// Renders a lowered program and reads the pixels back.
    pub fn render(&self, c: &Compiled) -> Result<Image, GpuError> {
        let pixel_count = c.width as u64 * c.height as u64;
        let bytes = pixel_count * 4;
        let limit = self.device.limits().max_storage_buffer_binding_size;
        if bytes > limit {
            return Err(GpuError::TooLarge { bytes, limit });
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let result = self.encode_and_read(c, bytes);
        let oom_err = pollster::block_on(oom.pop());
        let val_err = pollster::block_on(scope.pop());
        if let Some(e) = oom_err.or(val_err) {
            return Err(GpuError::Render(e.to_string()));
        }
        let pixels = result?;
        Ok(Image {
            width: c.width,
            height: c.height,
            pixels,
        })
    }

    fn encode_and_read(&self, c: &Compiled, bytes: u64) -> Result<Vec<u32>, GpuError> {
        let d = &self.device;
        let pixels = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("pixels"),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let readback = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let init = |label, contents: &[u8], usage| {
            d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents,
                usage,
            })
        };
        // Never bind an empty buffer: pad with one unused record.
        let mut prim_words: Vec<u32> = c.prims.iter().flatten().copied().collect();
        prim_words.resize(prim_words.len().max(WORDS), 0);
        let prims = init(
            "prims",
            &words_to_bytes(&prim_words),
            wgpu::BufferUsages::STORAGE,
        );
        let data = init(
            "data",
            &words_to_bytes(&c.data),
            wgpu::BufferUsages::STORAGE,
        );
        let stride = (d.limits().min_uniform_buffer_offset_alignment as usize).max(16);
        let mut uniform = vec![0u8; stride * c.prims.len().max(1)];
        for i in 0..c.prims.len() {
            uniform[i * stride..][..8].copy_from_slice(&words_to_bytes(&[i as u32, c.width]));
        }
        let params = init("params", &uniform, wgpu::BufferUsages::UNIFORM);
        let bind = d.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("pixel bind group"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: pixels.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: prims.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: data.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &params,
                        offset: 0,
                        size: wgpu::BufferSize::new(16),
                    }),
                },
            ],
        });
        let mut encoder = d.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("pixel render"),
        });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            pass.set_pipeline(&self.pipeline);
            for (i, p) in c.prims.iter().enumerate() {
                pass.set_bind_group(0, &bind, &[(i * stride) as u32]);
                pass.dispatch_workgroups(
                    (p[3] - p[1]).div_ceil(GROUP),
                    (p[4] - p[2]).div_ceil(GROUP),
                    1,
                );
            }
        }
        encoder.copy_buffer_to_buffer(&pixels, 0, &readback, 0, bytes);
        self.queue.submit([encoder.finish()]);

        let (tx, rx) = mpsc::channel();
        readback.map_async(wgpu::MapMode::Read, .., move |r| {
            // The receiver lives until after the poll below; a send error cannot happen.
            let _ = tx.send(r);
        });
        d.poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Render(e.to_string()))?;
        match rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(GpuError::Render(format!("reading back pixels: {e}"))),
            Err(_) => {
                return Err(GpuError::Render(
                    "reading back pixels: mapping never completed".into(),
                ));
            }
        }
        let view = readback
            .get_mapped_range(..)
            .map_err(|e| GpuError::Render(e.to_string()))?;
        let out = view
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        drop(view);
        readback.unmap();
        Ok(out)
    }
}

fn words_to_bytes(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}
