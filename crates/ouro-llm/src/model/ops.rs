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

crate::cpu::multiversion! {
    /// Rotates the first `rope_dim` dimensions of each `head_dim`-sized head in `x` in place,
    /// with llama.cpp's arithmetic (bit for bit on x86 with FMA).
    pub fn apply_rope(
        x: &mut [f32],
        head_dim: usize,
        rope_dim: usize,
        style: RopeStyle,
        table: &[f32],
    ) => apply_rope_generic
}

#[inline(always)]
fn apply_rope_generic(
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
                    // llama.cpp's x86 build contracts these into fused multiply-adds.
                    pair[0] = x0.mul_add(cs[0], -(x1 * cs[1]));
                    pair[1] = x0.mul_add(cs[1], x1 * cs[0]);
                }
            }
            RopeStyle::Neox => {
                let half = rope_dim / 2;
                for (i, cs) in table[..rope_dim].chunks_exact(2).enumerate() {
                    let (x0, x1) = (head[i], head[i + half]);
                    head[i] = x0.mul_add(cs[0], -(x1 * cs[1]));
                    head[i + half] = x0.mul_add(cs[1], x1 * cs[0]);
                }
            }
        }
    }
}

/// `gate = silu(gate) * up`, element-wise (SwiGLU).
pub fn swiglu(gate: &mut [f32], up: &[f32]) {
    swiglu_multiversion(gate, up);
}

crate::cpu::multiversion! {
    fn swiglu_multiversion(gate: &mut [f32], up: &[f32]) => swiglu_generic
}

#[inline(always)]
fn swiglu_generic(gate: &mut [f32], up: &[f32]) {
    for (g, &u) in gate.iter_mut().zip(up) {
        *g = *g / (1.0 + ggml_expf(0.0 - *g)) * u;
    }
}

/// `eˣ` computed exactly as ggml's vectorized `ggml_v_expf` does in each lane (a polynomial
/// from ARM's optimized routines, within about 1.5 ulp of the true value), so that SiLU gives
/// llama.cpp's results bit for bit. `mul_add` is its fused multiply-add.
#[inline(always)]
pub(crate) fn ggml_expf(x: f32) -> f32 {
    let c = |bits: u32| f32::from_bits(bits);
    let r = c(0x4b40_0000); // 0x1.8p23: rounds z to an integer in its low mantissa bits
    let z = x.mul_add(c(0x3fb8_aa3b), r); // x · log2(e) + r
    let n = z - r;
    let b = (-n).mul_add(c(0x35bf_be8e), (-n).mul_add(c(0x3f31_7200), x));
    let e = z.to_bits() << 23;
    let k = c(e.wrapping_add(1f32.to_bits()));
    let u = b * b;
    let j = c(0x3c07_2010)
        .mul_add(b, c(0x3d2b_9f17))
        .mul_add(u, c(0x3e2a_af33).mul_add(b, c(0x3eff_fedb)))
        .mul_add(u, c(0x3f7f_fff6) * b);
    if n.abs() <= 126.0 {
        return j.mul_add(k, k);
    }
    // Large |n|: scale in two steps so that 2ⁿ does not overflow or flush too early.
    let g: u32 = if n <= 0.0 { 0x8200_0000 } else { 0 };
    let s1 = c(g.wrapping_add(0x7f00_0000));
    let s2 = c(e.wrapping_sub(g));
    if n.abs() > 192.0 {
        s1 * s1
    } else {
        s2.mul_add(j, s2) * s1
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
    fn swiglu_and_ggml_expf() {
        let mut g = [0.0, 1.0];
        swiglu(&mut g, &[5.0, 2.0]);
        assert_eq!(g[0], 0.0);
        assert!((g[1] - 2.0 / (1.0 + (-1f32).exp())).abs() < 1e-6);
        for x in [
            -200.0f32, -100.0, -87.5, -10.0, -1.0, -1e-3, 0.0, 1e-3, 0.5, 1.0, 10.0, 80.0,
        ] {
            let (got, want) = (ggml_expf(x), x.exp());
            assert!(
                (got - want).abs() <= 4.0 * f32::EPSILON * want,
                "exp({x}): {got} vs {want}"
            );
        }
    }
}
