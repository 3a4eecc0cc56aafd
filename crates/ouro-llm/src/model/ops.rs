//! Element-wise transformer operations, with llama.cpp's arithmetic (so that greedy
//! decoding agrees with it token for token): RMS norm, rotary embeddings, SwiGLU.

use super::config::RopeStyle;

/// `out = x / rms(x) * weight`, with the sum of squares accumulated in f64 as ggml does.
pub fn rms_norm(x: &[f32], weight: &[f32], eps: f32, out: &mut [f32]) {
    let sum: f64 = x.iter().map(|&v| f64::from(v * v)).sum();
    let mean = (sum / x.len() as f64) as f32;
    let scale = 1.0 / (mean + eps).sqrt();
    for ((o, &v), &w) in out.iter_mut().zip(x).zip(weight) {
        *o = (v * scale) * w;
    }
}

/// Cosines and sines of the rotary angles for one position, laid out as ggml's rope cache:
/// `[cos θ0, sin θ0, cos θ1, sin θ1, ...]` for `rope_dim / 2` frequencies.
pub fn rope_table(pos: usize, rope_dim: usize, freq_base: f32, table: &mut [f32]) {
    let theta_scale = freq_base.powf(-2.0 / rope_dim as f32);
    let mut theta = pos as f32;
    for pair in table[..rope_dim].chunks_exact_mut(2) {
        pair[0] = theta.cos();
        pair[1] = theta.sin();
        theta *= theta_scale;
    }
}

/// Rotates the first `rope_dim` dimensions of each `head_dim`-sized head in `x` in place.
pub fn apply_rope(
    x: &mut [f32],
    head_dim: usize,
    rope_dim: usize,
    style: RopeStyle,
    table: &[f32],
) {
    for head in x.chunks_exact_mut(head_dim) {
        match style {
            RopeStyle::Normal => {
                for (pair, cs) in head[..rope_dim]
                    .chunks_exact_mut(2)
                    .zip(table.chunks_exact(2))
                {
                    let (x0, x1) = (pair[0], pair[1]);
                    pair[0] = x0 * cs[0] - x1 * cs[1];
                    pair[1] = x0 * cs[1] + x1 * cs[0];
                }
            }
            RopeStyle::Neox => {
                let half = rope_dim / 2;
                for (i, cs) in table[..rope_dim].chunks_exact(2).enumerate() {
                    let (x0, x1) = (head[i], head[i + half]);
                    head[i] = x0 * cs[0] - x1 * cs[1];
                    head[i + half] = x0 * cs[1] + x1 * cs[0];
                }
            }
        }
    }
}

/// `gate = silu(gate) * up`, element-wise (SwiGLU).
pub fn swiglu(gate: &mut [f32], up: &[f32]) {
    for (g, &u) in gate.iter_mut().zip(up) {
        *g = *g / (1.0 + (-*g).exp()) * u;
    }
}

/// `x += y`, element-wise.
pub fn add_assign(x: &mut [f32], y: &[f32]) {
    for (a, &b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

/// Adds a bias vector to each row of `x`.
pub fn add_bias(x: &mut [f32], bias: &[f32]) {
    for row in x.chunks_exact_mut(bias.len()) {
        add_assign(row, bias);
    }
}

/// Dot product of two f32 slices with eight partial sums (vectorizes well).
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = a.len() / 8 * 8;
    for (ca, cb) in a[..chunks].chunks_exact(8).zip(b[..chunks].chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += ca[k] * cb[k];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in a[chunks..].iter().zip(&b[chunks..]) {
        sum += x * y;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rms_norm_unit_weight_has_unit_rms() {
        let x = [1.0, -2.0, 3.0, 4.0];
        let mut out = [0.0; 4];
        rms_norm(&x, &[1.0; 4], 0.0, &mut out);
        let rms: f32 = (out.iter().map(|v| v * v).sum::<f32>() / 4.0).sqrt();
        assert!((rms - 1.0).abs() < 1e-6);
        assert!((out[3] / out[0] - 4.0).abs() < 1e-6);
    }

    #[test]
    fn rope_at_position_zero_is_identity_and_preserves_norm() {
        let mut table = vec![0.0; 8];
        rope_table(0, 8, 10000.0, &mut table);
        let mut x = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let orig = x.clone();
        apply_rope(&mut x, 8, 8, RopeStyle::Normal, &table);
        assert_eq!(x, orig);
        rope_table(7, 8, 10000.0, &mut table);
        for style in [RopeStyle::Normal, RopeStyle::Neox] {
            let mut y = orig.clone();
            apply_rope(&mut y, 8, 8, style, &table);
            assert_ne!(y, orig);
            let n0: f32 = orig.iter().map(|v| v * v).sum();
            let n1: f32 = y.iter().map(|v| v * v).sum();
            assert!((n0 - n1).abs() < 1e-3);
        }
    }

    #[test]
    fn rope_rotates_first_pair_by_position() {
        let mut table = vec![0.0; 4];
        rope_table(1, 4, 10000.0, &mut table);
        let mut x = vec![1.0, 0.0, 1.0, 0.0];
        apply_rope(&mut x, 4, 4, RopeStyle::Normal, &table);
        assert!((x[0] - 1f32.cos()).abs() < 1e-6 && (x[1] - 1f32.sin()).abs() < 1e-6);
    }

    #[test]
    fn swiglu_and_dot() {
        let mut g = [0.0, 1.0];
        swiglu(&mut g, &[5.0, 2.0]);
        assert_eq!(g[0], 0.0);
        assert!((g[1] - 2.0 / (1.0 + (-1f32).exp())).abs() < 1e-6);
        let a: Vec<f32> = (0..19).map(|i| i as f32).collect();
        assert_eq!(dot(&a, &a), (0..19).map(|i| (i * i) as f32).sum::<f32>());
    }
}
