//! The CUDA C kernels of the forward pass (kernels.cu), their handles once loaded, and a
//! launch helper taking plain values (device addresses as `u64`).

use std::sync::Arc;

use ouro_compute::cuda::{CudaDevice, CudaError, KernelSource, guarded};

use ouro_compute::cudarc::driver::{CudaFunction, CudaStream, LaunchConfig, PushKernelArg};

use crate::GgmlType;

/// The kernel source, compiled by NVRTC at run time.
pub const SOURCE: KernelSource = KernelSource {
    name: "ouro_llm",
    code: include_str!("kernels.cu"),
};

/// Keys per split of the attention kernel (ATT_SPLIT in kernels.cu).
pub const ATT_SPLIT: usize = 256;

/// Queries per block of the attention kernel (ATT_Q in kernels.cu).
pub const ATT_Q: usize = 8;

/// Largest head size the attention kernel holds in shared memory (MAX_HD in kernels.cu).
pub const MAX_HD: usize = 512;

/// The suffix of a weight type's kernels (`mmv_q4_0`, ...), or `None` if unsupported.
pub fn type_suffix(ty: GgmlType) -> Option<&'static str> {
    Some(match ty {
        GgmlType::Q4_0 => "q4_0",
        GgmlType::Q4_1 => "q4_1",
        GgmlType::Q5_0 => "q5_0",
        GgmlType::Q5_1 => "q5_1",
        GgmlType::Q8_0 => "q8_0",
        GgmlType::Q4K => "q4_k",
        GgmlType::Q6K => "q6_k",
        GgmlType::F16 => "f16",
        GgmlType::F32 => "f32",
        _ => return None,
    })
}

/// Whether weights of `ty` multiply q8 activations (else f32 ones).
pub fn uses_q8(ty: GgmlType) -> bool {
    !matches!(ty, GgmlType::F16 | GgmlType::F32)
}

/// One kernel argument.
#[derive(Debug, Clone, Copy)]
pub enum Arg {
    I32(i32),
    I64(i64),
    F32(f32),
    /// A device address (any pointer parameter); 0 is a null pointer.
    Ptr(u64),
}

/// Per weight type: its mat-vec, dequantize-to-f16 and embedding kernels.
#[derive(Debug)]
pub struct TypeKernels {
    pub mmv: CudaFunction,
    /// The K-quants' second mat-vec kernel (`mmv2_*` in kernels.cu) and the rows each of its
    /// warps computes; when set, decode uses it instead of `mmv`.
    pub mmv2: Option<(CudaFunction, u32)>,
    pub dequant: CudaFunction,
    pub embed: CudaFunction,
}

/// Warps per block of the `mmv2_*` kernels (KQ_WARPS in kernels.cu).
pub const KQ_WARPS: u32 = 4;

/// Rows per warp of the K-quant mat-vec kernels: `OURO_CUDA_KQ=old` keeps the first
/// kernels (a lane per 32-value chunk), `r1`, `r2` or `r4` picks the second ones with that
/// many rows per warp; the default is [`DEFAULT_KQ_ROWS`].
fn kq_rows() -> Option<u32> {
    match std::env::var("OURO_CUDA_KQ").as_deref() {
        Ok("old") => None,
        Ok("r1") => Some(1),
        Ok("r2") => Some(2),
        Ok("r4") => Some(4),
        _ => Some(DEFAULT_KQ_ROWS),
    }
}

/// Rows per warp of the K-quant mat-vec kernels unless `OURO_CUDA_KQ` says otherwise.
pub const DEFAULT_KQ_ROWS: u32 = 2;

/// Whether kernels are launched with programmatic dependent launch (each may then start
/// while the previous one finishes; kernels.cu's `pdl_wait`): on by default on Hopper and
/// later (compute capability 9.0+), where it was measured faster (decode +3-4% on an H100);
/// `OURO_CUDA_PDL=off` or `on` overrides.
fn pdl_enabled(major: i32) -> bool {
    match std::env::var("OURO_CUDA_PDL").as_deref() {
        Ok("off") => false,
        Ok("on") => true,
        _ => major >= 9,
    }
}

/// Every kernel, loaded.
#[derive(Debug)]
pub struct Kernels {
    stream: Arc<CudaStream>,
    /// Launch with programmatic dependent launch ([`pdl_enabled`]).
    pdl: bool,
    pub rms_norm_q8: CudaFunction,
    pub quantize_q8: CudaFunction,
    pub swiglu_q8: CudaFunction,
    pub add_bias: CudaFunction,
    pub to_f16: CudaFunction,
    pub rope_store: CudaFunction,
    pub attn_split: CudaFunction,
    /// attn_split's single-query version (decode), when `OURO_CUDA_ATTN` is not `old`.
    pub attn_decode: Option<CudaFunction>,
    pub attn_combine: CudaFunction,
    types: Vec<(GgmlType, TypeKernels)>,
}

/// The weight types the CUDA engine runs.
pub const TYPES: [GgmlType; 9] = [
    GgmlType::Q4_0,
    GgmlType::Q4_1,
    GgmlType::Q5_0,
    GgmlType::Q5_1,
    GgmlType::Q8_0,
    GgmlType::Q4K,
    GgmlType::Q6K,
    GgmlType::F16,
    GgmlType::F32,
];

impl Kernels {
    /// Compiles (or takes from the cache) and loads every kernel on `dev`.
    pub fn load(dev: &CudaDevice) -> Result<Kernels, CudaError> {
        let module = dev.load(&SOURCE)?;
        let f = |name: &str| CudaDevice::function(&module, name);
        let mut types = Vec::new();
        let rows = kq_rows();
        for ty in TYPES {
            let s = type_suffix(ty).ok_or_else(|| CudaError::Invalid(format!("{ty}")))?;
            let mmv2 = match (ty, rows) {
                (GgmlType::Q4K | GgmlType::Q6K, Some(r)) => {
                    Some((f(&format!("mmv2_{s}_r{r}"))?, r))
                }
                _ => None,
            };
            types.push((
                ty,
                TypeKernels {
                    mmv: f(&format!("mmv_{s}"))?,
                    mmv2,
                    dequant: f(&format!("dequant_{s}"))?,
                    embed: f(&format!("embed_{s}"))?,
                },
            ));
        }
        Ok(Kernels {
            stream: dev.stream().clone(),
            pdl: pdl_enabled(dev.compute_capability().0),
            rms_norm_q8: f("rms_norm_q8")?,
            quantize_q8: f("quantize_q8")?,
            swiglu_q8: f("swiglu_q8")?,
            add_bias: f("add_bias")?,
            to_f16: f("to_f16")?,
            rope_store: f("rope_store")?,
            attn_split: f("attn_split")?,
            attn_decode: match std::env::var("OURO_CUDA_ATTN").as_deref() {
                Ok("old") => None,
                _ => Some(f("attn_decode")?),
            },
            attn_combine: f("attn_combine")?,
            types,
        })
    }

    /// The kernels of weight type `ty`.
    pub fn of(&self, ty: GgmlType) -> Result<&TypeKernels, CudaError> {
        self.types
            .iter()
            .find(|(t, _)| *t == ty)
            .map(|(_, k)| k)
            .ok_or_else(|| CudaError::Invalid(format!("no CUDA kernels for {ty} weights")))
    }

    /// Queues `f` on the stream with a `grid` of blocks of `block` threads.
    pub fn launch(
        &self,
        f: &CudaFunction,
        grid: (u32, u32, u32),
        block: u32,
        args: &[Arg],
    ) -> Result<(), CudaError> {
        if self.pdl {
            return self.launch_pdl(f, grid, block, args);
        }
        guarded(|| {
            let mut b = self.stream.launch_builder(f);
            for a in args {
                match a {
                    Arg::I32(v) => b.arg(v),
                    Arg::I64(v) => b.arg(v),
                    Arg::F32(v) => b.arg(v),
                    Arg::Ptr(v) => b.arg(v),
                };
            }
            let cfg = LaunchConfig {
                grid_dim: grid,
                block_dim: (block, 1, 1),
                shared_mem_bytes: 0,
            };
            // SAFETY: every kernel's parameters are the values above in order (checked by
            // the callers against kernels.cu); pointers address live pool buffers.
            unsafe { b.launch(cfg) }?;
            Ok(())
        })
    }

    /// [`Self::launch`] with the programmatic-stream-serialization attribute: the kernel
    /// may start before the previous one in the stream has finished (every kernel in
    /// kernels.cu waits for it with `pdl_wait` before touching its outputs).
    fn launch_pdl(
        &self,
        f: &CudaFunction,
        grid: (u32, u32, u32),
        block: u32,
        args: &[Arg],
    ) -> Result<(), CudaError> {
        use ouro_compute::cudarc::driver::sys;
        // Each argument's value in its own 8-byte slot; the driver reads as many bytes as
        // the parameter has.
        let mut slots: Vec<u64> = args
            .iter()
            .map(|a| match *a {
                Arg::I32(v) => u64::from(v as u32),
                Arg::I64(v) => v as u64,
                Arg::F32(v) => u64::from(v.to_bits()),
                Arg::Ptr(v) => v,
            })
            .collect();
        let mut params: Vec<*mut std::ffi::c_void> = slots
            .iter_mut()
            .map(|v| (v as *mut u64).cast::<std::ffi::c_void>())
            .collect();
        guarded(|| {
            self.stream.context().bind_to_thread()?;
            // SAFETY: the union is plain data; zeroed is a valid value for every member.
            let mut attr: sys::CUlaunchAttribute = unsafe { std::mem::zeroed() };
            attr.id =
                sys::CUlaunchAttributeID::CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
            attr.value.programmaticStreamSerializationAllowed = 1;
            let cfg = sys::CUlaunchConfig {
                gridDimX: grid.0,
                gridDimY: grid.1,
                gridDimZ: grid.2,
                blockDimX: block,
                blockDimY: 1,
                blockDimZ: 1,
                sharedMemBytes: 0,
                hStream: self.stream.cu_stream(),
                attrs: &mut attr,
                numAttrs: 1,
            };
            // SAFETY: `params` points at one live slot per kernel parameter, in order and
            // of the parameter's size or more (little-endian, so a 4-byte parameter reads
            // the low half); the function and stream belong to the bound context.
            unsafe {
                sys::cuLaunchKernelEx(
                    &cfg,
                    f.cu_function(),
                    params.as_mut_ptr(),
                    std::ptr::null_mut(),
                )
            }
            .result()?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_kernels_in_the_source() {
        for ty in TYPES {
            let s = type_suffix(ty).unwrap();
            let quantized = uses_q8(ty);
            let mmv = if quantized { "MMV_Q" } else { "MMV_F" };
            assert!(SOURCE.code.contains(&format!("{mmv}({s})")), "{ty}");
            assert!(SOURCE.code.contains(&format!("DEQUANT({s})")), "{ty}");
        }
        assert!(
            SOURCE
                .code
                .contains(&format!("#define ATT_SPLIT {ATT_SPLIT}"))
        );
        assert!(SOURCE.code.contains(&format!("#define MAX_HD {MAX_HD}")));
        assert!(SOURCE.code.contains(&format!("#define ATT_Q {ATT_Q}")));
    }

    /// Compiles every kernel with NVRTC for sm_90 (and sm_75, the oldest CUDA 13 targets),
    /// so compile errors show up on machines without a GPU. Needs libnvrtc on the library
    /// path; skipped with a message where it is absent.
    #[test]
    fn kernels_compile_with_nvrtc() {
        if let Err(e) = ouro_compute::cuda::check_nvrtc() {
            eprintln!("skipped: {e}");
            return;
        }
        for arch in ["sm_90", "sm_75"] {
            let ptx = ouro_compute::cuda::compile::compile_ptx(&SOURCE, arch)
                .unwrap_or_else(|e| panic!("{e}"));
            for name in [
                "rms_norm_q8",
                "quantize_q8",
                "swiglu_q8",
                "add_bias",
                "to_f16",
                "rope_store",
                "attn_split",
                "attn_decode",
                "attn_combine",
            ] {
                assert!(ptx.contains(&format!(".entry {name}(")), "{arch}: {name}");
            }
            for ty in TYPES {
                let s = type_suffix(ty).unwrap();
                for k in ["mmv", "dequant", "embed"] {
                    assert!(ptx.contains(&format!(".entry {k}_{s}(")), "{arch}: {k}_{s}");
                }
            }
            for s in ["q4_k", "q6_k"] {
                for r in [1, 2, 4] {
                    assert!(
                        ptx.contains(&format!(".entry mmv2_{s}_r{r}(")),
                        "{arch}: {s} r{r}"
                    );
                }
            }
        }
    }
}
