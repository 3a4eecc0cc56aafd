//! Helpers shared by the integration tests: the golden programs and the GPU renderer.

#![allow(dead_code)]

pub mod random;

use std::path::PathBuf;

use ouro_pixel::gpu::{GpuError, GpuRenderer};

/// The folder of golden programs (`*.pixel.json`) and their PNGs.
pub fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Every golden program, sorted by path.
pub fn golden_programs() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    out.retain(|p| p.to_string_lossy().ends_with(".pixel.json"));
    out.sort();
    assert!(!out.is_empty(), "no golden programs found");
    out
}

/// The GPU renderer, or `None` (after printing why) when the machine has no wgpu adapter.
pub fn gpu() -> Option<GpuRenderer> {
    match GpuRenderer::new() {
        Ok(g) => {
            eprintln!("GPU adapter: {}", g.adapter());
            Some(g)
        }
        Err(GpuError::NoAdapter(e)) => {
            eprintln!("skipped: no wgpu adapter (install mesa-vulkan-drivers): {e}");
            None
        }
        Err(e) => panic!("GPU renderer failed to start: {e}"),
    }
}
