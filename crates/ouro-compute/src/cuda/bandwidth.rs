//! Measured device memory bandwidth: a device-to-device copy, timed over repetitions. The
//! figure (bytes read plus bytes written per second) is the ceiling that decode speed is
//! judged against: weight bytes × tokens/s over this.

use std::time::Instant;

use serde::Serialize;

use super::{CudaDevice, CudaError, guarded};

/// The result of one measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Bandwidth {
    pub device: String,
    /// Size of the buffer copied.
    pub bytes: usize,
    pub repetitions: usize,
    /// Best (read + written) bytes per second over the repetitions.
    pub best_bytes_per_s: f64,
    /// Median of the repetitions.
    pub median_bytes_per_s: f64,
}

/// Copies a `bytes`-sized buffer `repetitions` times (after one warm-up) on `dev`.
pub fn measure_copy(
    dev: &CudaDevice,
    bytes: usize,
    repetitions: usize,
) -> Result<Bandwidth, CudaError> {
    guarded(|| {
        let stream = dev.stream();
        let src = stream.alloc_zeros::<u8>(bytes)?;
        let mut dst = stream.alloc_zeros::<u8>(bytes)?;
        let mut rates = Vec::with_capacity(repetitions);
        for rep in 0..=repetitions {
            stream.synchronize()?;
            let started = Instant::now();
            stream.memcpy_dtod(&src, &mut dst)?;
            stream.synchronize()?;
            let secs = started.elapsed().as_secs_f64().max(1e-9);
            if rep > 0 {
                rates.push(2.0 * bytes as f64 / secs);
            }
        }
        rates.sort_by(f64::total_cmp);
        Ok(Bandwidth {
            device: dev.name().to_string(),
            bytes,
            repetitions,
            best_bytes_per_s: rates.last().copied().unwrap_or(0.0),
            median_bytes_per_s: rates.get(rates.len() / 2).copied().unwrap_or(0.0),
        })
    })
}
