//! Summary statistics over integer samples (latencies in microseconds).

/// Arithmetic mean, `None` for an empty slice.
pub fn mean(xs: &[i64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let sum: i64 = xs.iter().sum();
    Some(sum as f64 / xs.len())
}

/// Population variance.
pub fn variance(xs: &[i64]) -> Option<f64> {
    let m = mean(xs)?;
    let sq: f64 = xs.iter().map(|&x| (x as f64 - m).powi(2)).sum();
    Some(sq / xs.len() as f64)
}

/// Smallest and largest value.
pub fn min_max(xs: &[i64]) -> Option<(i64, i64)> {
    let min = *xs.iter().min()?;
    let max = *xs.iter().max()?;
    Some((min, max))
}

/// Nearest-rank percentile, `p` in 0..=100.
pub fn percentile(xs: &[i64], p: u32) -> Option<i64> {
    if xs.is_empty() || p > 100 {
        return None;
    }
    let mut sorted = xs.to_vec();
    sorted.sort_unstable();
    let rank = ((p as f64 / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.saturating_sub(1)])
}
