//! NVRTC compilation of CUDA C kernels for one architecture, cached on disk.
//!
//! The cache key hashes the source, the architecture, the compiler options and NVRTC's
//! version, so a new driver, toolkit or kernel never reuses a stale PTX file. The cache lives
//! under `$OURO_CACHE/cuda`, else `$XDG_CACHE_HOME/ouro/cuda`, else `~/.cache/ouro/cuda`.

use std::path::{Path, PathBuf};

use cudarc::nvrtc::{CompileOptions, compile_ptx_with_opts};

use super::{CudaError, check_nvrtc, guarded};

/// A CUDA C translation unit: a name (for messages and cache files) and its code.
#[derive(Debug, Clone, Copy)]
pub struct KernelSource {
    pub name: &'static str,
    pub code: &'static str,
}

/// NVRTC options for `arch` (e.g. `sm_90`). Fast math is not used: the engine compares its
/// results with the CPU's, and the few places that tolerate approximations call the fast
/// intrinsics (`__expf`) explicitly.
pub fn options(arch: &str) -> Vec<String> {
    vec![
        format!("--gpu-architecture={arch}"),
        "-default-device".into(),
        "--std=c++17".into(),
    ]
}

/// NVRTC's version as `(major, minor)`.
pub fn nvrtc_version() -> Result<(i32, i32), CudaError> {
    guarded(|| {
        check_nvrtc()?;
        let (mut major, mut minor) = (0, 0);
        // SAFETY: nvrtcVersion writes two ints through valid pointers.
        unsafe { cudarc::nvrtc::sys::nvrtcVersion(&mut major, &mut minor) }
            .result()
            .map_err(|e| CudaError::Invalid(format!("nvrtcVersion: {e:?}")))?;
        Ok((major, minor))
    })
}

/// Compiles `source` to PTX for `arch`, without the cache.
pub fn compile_ptx(source: &KernelSource, arch: &str) -> Result<String, CudaError> {
    guarded(|| {
        check_nvrtc()?;
        let opts = CompileOptions {
            options: options(arch),
            name: Some(format!("{}.cu", source.name)),
            ..Default::default()
        };
        compile_ptx_with_opts(source.code, opts)
            .map(|ptx| ptx.to_src())
            .map_err(|e| CudaError::Compile {
                name: source.name.into(),
                arch: arch.into(),
                log: compile_log(&e),
            })
    })
}

fn compile_log(e: &cudarc::nvrtc::CompileError) -> String {
    match e {
        cudarc::nvrtc::CompileError::CompileError { log, .. } => log.to_string_lossy().into_owned(),
        other => format!("{other:?}"),
    }
}

/// 64-bit FNV-1a: a stable hash (unlike std's) for cache file names.
pub fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        // Separate parts so ("ab", "c") and ("a", "bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A folder of compiled PTX files, or none (compile every time).
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: Option<PathBuf>,
}

impl CompileCache {
    /// The cache in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> CompileCache {
        CompileCache {
            dir: Some(dir.into()),
        }
    }

    /// The cache at its default place (see the module docs); none without a home folder.
    pub fn default_location() -> CompileCache {
        let var = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let dir = var("OURO_CACHE")
            .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("ouro")))
            .or_else(|| var("HOME").map(|d| d.join(".cache").join("ouro")))
            .map(|d| d.join("cuda"));
        CompileCache { dir }
    }

    /// The cache folder, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The file a compiled `source` for `arch` is kept in.
    pub fn path_for(
        &self,
        source: &KernelSource,
        arch: &str,
        nvrtc: (i32, i32),
    ) -> Option<PathBuf> {
        let version = format!("{}.{}", nvrtc.0, nvrtc.1);
        let opts = options(arch).join(" ");
        let key = fnv1a(&[
            source.code.as_bytes(),
            arch.as_bytes(),
            opts.as_bytes(),
            version.as_bytes(),
        ]);
        self.dir
            .as_ref()
            .map(|d| d.join(format!("{}-{arch}-{key:016x}.ptx", source.name)))
    }

    /// PTX for `source` on `arch`: from the cache when there, else compiled and stored.
    /// A cache that cannot be written only costs a recompilation next time.
    pub fn ptx(&self, source: &KernelSource, arch: &str) -> Result<String, CudaError> {
        let path = self.path_for(source, arch, nvrtc_version()?);
        if let Some(p) = &path
            && let Ok(ptx) = std::fs::read_to_string(p)
            && ptx.contains(".entry")
        {
            return Ok(ptx);
        }
        let ptx = compile_ptx(source, arch)?;
        if let Some(p) = &path {
            store(p, &ptx).ok();
        }
        Ok(ptx)
    }
}

/// Writes `ptx` to `path` through a temporary file, so readers never see half a file.
fn store(path: &Path, ptx: &str) -> Result<(), CudaError> {
    let err = |source| CudaError::Cache {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, ptx).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_separates_parts() {
        assert_eq!(fnv1a(&[b"abc"]), fnv1a(&[b"abc"]));
        assert_ne!(fnv1a(&[b"ab", b"c"]), fnv1a(&[b"a", b"bc"]));
    }

    #[test]
    fn cache_key_changes_with_source_arch_and_version() {
        let cache = CompileCache::new("/tmp/x");
        let a = KernelSource {
            name: "k",
            code: "extern \"C\" __global__ void k() {}",
        };
        let b = KernelSource {
            name: "k",
            code: "extern \"C\" __global__ void k() { }",
        };
        let p = |s: &KernelSource, arch: &str, v: (i32, i32)| cache.path_for(s, arch, v);
        assert_ne!(p(&a, "sm_90", (13, 0)), p(&b, "sm_90", (13, 0)));
        assert_ne!(p(&a, "sm_90", (13, 0)), p(&a, "sm_80", (13, 0)));
        assert_ne!(p(&a, "sm_90", (13, 0)), p(&a, "sm_90", (12, 9)));
        assert_eq!(p(&a, "sm_90", (13, 0)), p(&a, "sm_90", (13, 0)));
    }
}
