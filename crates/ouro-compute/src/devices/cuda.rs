//! CUDA devices through the driver API (libcuda, loaded at run time): compute capability,
//! SM count, memory and UUID, each entry point guarded so a missing driver is an error.

use serde::Serialize;

use crate::cuda::{self, CudaError};

/// What the CUDA driver reports for one device.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CudaFigures {
    pub ordinal: usize,
    pub name: String,
    /// UUID in NVML's spelling (`GPU-xxxxxxxx-xxxx-...`), to match the two views of a GPU.
    pub uuid: String,
    pub compute_capability: (i32, i32),
    pub sm_count: i32,
    pub memory_total: u64,
}

/// Every CUDA device, or why there are none.
pub fn probe() -> Result<Vec<CudaFigures>, CudaError> {
    cuda::guarded(|| {
        cuda::check_driver()?;
        use cudarc::driver::{CudaContext, sys::CUdevice_attribute};
        let count = CudaContext::device_count().map_err(CudaError::from)?;
        let mut out = Vec::new();
        for ordinal in 0..count.max(0) as usize {
            let ctx = CudaContext::new(ordinal)?;
            let uuid = ctx.uuid()?;
            out.push(CudaFigures {
                ordinal,
                name: ctx.name()?,
                uuid: uuid_string(&uuid.bytes.map(|b| b as u8)),
                compute_capability: ctx.compute_capability()?,
                sm_count: ctx
                    .attribute(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)?,
                memory_total: ctx.total_mem()? as u64,
            });
        }
        Ok(out)
    })
}

/// Formats 16 UUID bytes as NVML does: `GPU-` then 8-4-4-4-12 hex digits.
pub fn uuid_string(bytes: &[u8; 16]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "GPU-{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_spelled_like_nvml() {
        let b: [u8; 16] = std::array::from_fn(|i| i as u8 * 17);
        assert_eq!(uuid_string(&b), "GPU-00112233-4455-6677-8899-aabbccddeeff");
    }
}
