//! The CUDA backend: a device context with one stream, kernels in CUDA C compiled at run
//! time by NVRTC for the device's architecture (cached on disk), a device memory pool,
//! cuBLAS and CUDA graphs. Everything is loaded dynamically (libcuda, libnvrtc, libcublas): without them
//! each entry point returns a [`CudaError`] naming the missing piece, never a panic.

pub mod bandwidth;
pub mod blas;
pub mod compile;
pub mod graph;
pub mod pool;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use cudarc::driver::{CudaContext, CudaFunction, CudaModule, CudaStream, DriverError};

pub use blas::Blas;
pub use compile::{CompileCache, KernelSource};
pub use graph::Graph;
pub use pool::{DeviceBuffer, DevicePool, PoolStats, SizeClassPool};

/// Errors of the CUDA backend.
#[derive(Debug, thiserror::Error)]
pub enum CudaError {
    #[error("libcuda.so not found (no NVIDIA driver)")]
    NoDriver,
    #[error("libnvrtc not found: install the CUDA runtime compiler (libnvrtc.so) to run kernels")]
    NoNvrtc,
    #[error("libcublas not found")]
    NoCublas,
    #[error("no CUDA device {ordinal} (found {count})")]
    NoDevice { ordinal: usize, count: usize },
    #[error("CUDA driver: {0}")]
    Driver(#[from] DriverError),
    #[error("NVRTC compiling {name} for {arch}: {log}")]
    Compile {
        name: String,
        arch: String,
        log: String,
    },
    #[error("cuBLAS: {0}")]
    Cublas(String),
    #[error("kernel cache {path}: {source}")]
    Cache {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("CUDA library call panicked: {0}")]
    Panicked(String),
    #[error("{0}")]
    Invalid(String),
}

/// Runs `f`, turning a panic inside cudarc (e.g. a missing symbol) into an error.
pub fn guarded<T>(f: impl FnOnce() -> Result<T, CudaError>) -> Result<T, CudaError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            Err(CudaError::Panicked(msg))
        }
    }
}

/// Checks that libcuda can be loaded (cudarc panics on first use otherwise).
pub fn check_driver() -> Result<(), CudaError> {
    // SAFETY: only tries to open the library by its candidate names.
    if unsafe { cudarc::driver::sys::is_culib_present() } {
        Ok(())
    } else {
        Err(CudaError::NoDriver)
    }
}

/// Checks that libnvrtc can be loaded.
pub fn check_nvrtc() -> Result<(), CudaError> {
    // SAFETY: only tries to open the library by its candidate names.
    if unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        Ok(())
    } else {
        Err(CudaError::NoNvrtc)
    }
}

/// Checks that libcublas can be loaded.
pub fn check_cublas() -> Result<(), CudaError> {
    // SAFETY: only tries to open the library by its candidate names.
    if unsafe { cudarc::cublas::sys::is_culib_present() } {
        Ok(())
    } else {
        Err(CudaError::NoCublas)
    }
}

/// One CUDA device, ready to run: its context, one stream, its architecture.
#[derive(Debug)]
pub struct CudaDevice {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    ordinal: usize,
    name: String,
    compute_capability: (i32, i32),
    cache: CompileCache,
}

impl CudaDevice {
    /// Opens device `ordinal` (needs libcuda and libnvrtc).
    pub fn open(ordinal: usize) -> Result<CudaDevice, CudaError> {
        guarded(|| {
            check_driver()?;
            check_nvrtc()?;
            let count = CudaContext::device_count()?.max(0) as usize;
            if ordinal >= count {
                return Err(CudaError::NoDevice { ordinal, count });
            }
            let ctx = CudaContext::new(ordinal)?;
            // One stream only: no cross-stream event tracking needed.
            // SAFETY: no buffers exist yet, and all work goes to the one stream below.
            unsafe { ctx.disable_event_tracking() };
            // Its own stream, not the legacy default one, which cannot be captured as a graph.
            let stream = ctx.new_stream()?;
            let compute_capability = ctx.compute_capability()?;
            Ok(CudaDevice {
                name: ctx.name()?,
                stream,
                ordinal,
                compute_capability,
                cache: CompileCache::default_location(),
                ctx,
            })
        })
    }

    pub fn ordinal(&self) -> usize {
        self.ordinal
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn compute_capability(&self) -> (i32, i32) {
        self.compute_capability
    }

    /// NVRTC's name for this device's architecture, e.g. `sm_90`.
    pub fn arch(&self) -> String {
        let (major, minor) = self.compute_capability;
        format!("sm_{major}{minor}")
    }

    pub fn context(&self) -> &Arc<CudaContext> {
        &self.ctx
    }

    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.stream
    }

    /// Free and total device memory in bytes.
    pub fn memory(&self) -> Result<(usize, usize), CudaError> {
        guarded(|| Ok(self.ctx.mem_get_info()?))
    }

    /// Compiles `source` for this device (or takes it from the disk cache) and loads it.
    pub fn load(&self, source: &KernelSource) -> Result<Arc<CudaModule>, CudaError> {
        guarded(|| {
            let ptx = self.cache.ptx(source, &self.arch())?;
            Ok(self.ctx.load_module(cudarc::nvrtc::Ptx::from_src(ptx))?)
        })
    }

    /// A kernel of a loaded module.
    pub fn function(module: &Arc<CudaModule>, name: &str) -> Result<CudaFunction, CudaError> {
        guarded(|| Ok(module.load_function(name)?))
    }

    /// Waits for all queued work.
    pub fn synchronize(&self) -> Result<(), CudaError> {
        guarded(|| Ok(self.stream.synchronize()?))
    }
}
