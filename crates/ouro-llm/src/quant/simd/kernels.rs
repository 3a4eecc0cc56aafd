//! The x86 kernel set, written once as a macro and instantiated per feature level.
//!
//! Every kernel multiplies one weight row with `NT` (1..=4) activation rows; the weight
//! block is unpacked once and used for all `NT` tokens. The arithmetic follows llama.cpp's
//! AVX2 `ggml_vec_dot_*`: an exact integer dot per block (`maddubs`/`madd`, or `vpdpbusd`
//! with VNNI), converted to f32 and accumulated with one FMA per block and token.

/// Unsigned × signed byte dot product summed over groups of four into 8 × i32.
macro_rules! us8_dot {
    (true, $a:expr, $b:expr) => {
        _mm256_dpbusd_epi32(_mm256_setzero_si256(), $a, $b)
    };
    (false, $a:expr, $b:expr) => {
        _mm256_madd_epi16(_mm256_maddubs_epi16($a, $b), _mm256_set1_epi16(1))
    };
}

/// A `DotFn` that dispatches on the number of tokens to the const-generic kernel.
macro_rules! by_nt {
    ($name:ident, $generic:ident) => {
        /// # Safety
        /// See `DotFn`; the CPU must have this module's target features.
        unsafe fn $name(w: &[u8], x: &[u8], xs: usize, out: &mut [f32]) {
            // SAFETY: forwarded contract.
            unsafe {
                match out.len() {
                    1 => $generic::<1>(w, x, xs, out),
                    2 => $generic::<2>(w, x, xs, out),
                    3 => $generic::<3>(w, x, xs, out),
                    _ => $generic::<4>(w, x, xs, out),
                }
            }
        }
    };
}

macro_rules! x86_kernels {
    ($feat:literal, $vnni:tt) => {
        use crate::GgmlType;
        use crate::quant::dot::{Dot2Fn, DotFn};
        use core::arch::x86_64::*;

        /// The kernel for weight type `ty`, if this level has one.
        pub(crate) fn kernel(ty: GgmlType) -> Option<DotFn> {
            let f: DotFn = match ty {
                GgmlType::F32 => f32_dot,
                GgmlType::F16 => f16_dot,
                GgmlType::BF16 => bf16_dot,
                GgmlType::Q4_0 => q4_0_dot,
                GgmlType::Q4_1 => q4_1_dot,
                GgmlType::Q5_0 => q5_0_dot,
                GgmlType::Q5_1 => q5_1_dot,
                GgmlType::Q8_0 => q8_0_dot,
                GgmlType::Q4K => q4_k_dot,
                GgmlType::Q5K => q5_k_dot,
                GgmlType::Q6K => q6_k_dot,
                _ => return None,
            };
            Some(f)
        }

        #[inline]
        #[target_feature(enable = $feat)]
        fn hsum(v: __m256) -> f32 {
            let s = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
            hsum4(s)
        }

        #[inline]
        #[target_feature(enable = $feat)]
        fn hsum4(s: __m128) -> f32 {
            let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)))
        }

        /// The two f16 at `p` and `p + 2` as f32 in lanes 0 and 1 (lanes 2, 3: zero).
        ///
        /// Reading all four bytes with one `vmovd` matters: a 2-byte load into an xmm
        /// register becomes `vpinsrw` into some live register, a false dependency that
        /// serialized whole kernels on the accumulator chain.
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn f16x2(p: *const u8) -> __m128 {
            // SAFETY: the caller passes 4 readable bytes.
            let v = unsafe { (p as *const u32).read_unaligned() };
            _mm_cvtph_ps(_mm_cvtsi32_si128(v as i32))
        }

        /// 16 bytes at `p` split into 32 nibbles: low nibbles first, then high ones.
        #[inline]
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn nibbles(p: *const u8) -> __m256i {
            // SAFETY: the caller passes 16 readable bytes.
            let t = unsafe { _mm_loadu_si128(p as *const __m128i) };
            _mm256_and_si256(
                _mm256_set_m128i(_mm_srli_epi16(t, 4), t),
                _mm256_set1_epi8(0xF),
            )
        }

        /// The 32 bits at `p` spread to 32 bytes of 0x00 / 0xFF.
        #[inline]
        #[target_feature(enable = $feat)]
        pub(crate) unsafe fn bits32(p: *const u8) -> __m256i {
            // SAFETY: the caller passes 4 readable bytes.
            let v = unsafe { (p as *const u32).read_unaligned() };
            let shuf = _mm256_set_epi64x(
                0x0303030303030303,
                0x0202020202020202,
                0x0101010101010101,
                0,
            );
            let bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(v as i32), shuf);
            let bytes = _mm256_or_si256(bytes, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));
            _mm256_cmpeq_epi8(bytes, _mm256_set1_epi64x(-1))
        }

        /// Unsigned × signed bytes, summed in fours to 8 × i32.
        #[inline]
        #[target_feature(enable = $feat)]
        fn dot_us8(a: __m256i, b: __m256i) -> __m256i {
            us8_dot!($vnni, a, b)
        }

        /// Bit `s` of every byte of `hbits`, moved to bit 4 (the fifth quant bit).
        #[inline]
        #[target_feature(enable = $feat)]
        fn fifth_bit(hbits: __m256i, s: i32) -> __m256i {
            let h = _mm256_srl_epi16(hbits, _mm_cvtsi32_si128(s));
            _mm256_slli_epi16(_mm256_and_si256(h, _mm256_set1_epi8(1)), 4)
        }

        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn load(p: *const u8) -> __m256i {
            // SAFETY: the caller passes 32 readable bytes.
            unsafe { _mm256_loadu_si256(p as *const __m256i) }
        }

        /// The legacy 32-element formats: `unpack` gives the weight quants and whether
        /// they are signed, `W`/`X` the block sizes, `$xq` the activation quants' offset,
        /// `$min` whether the weight has a min right after its scale (q4_1/q5_1, paired
        /// with the q8_1 activation's sum field right after its scale).
        macro_rules! legacy_kernel {
            ($name:ident, $generic:ident, $wsz:expr, $xsz:expr, $xq:expr, $min:literal, |$wb:ident| $unpack:expr, $signed:expr) => {
                by_nt!($name, $generic);

                #[target_feature(enable = $feat)]
                unsafe fn $generic<const NT: usize>(
                    w: &[u8],
                    x: &[u8],
                    xs: usize,
                    out: &mut [f32],
                ) {
                    let nb = w.len() / $wsz;
                    debug_assert!(x.len() >= (NT - 1) * xs + nb * $xsz);
                    let (wp, xp) = (w.as_ptr(), x.as_ptr());
                    let mut acc = [_mm256_setzero_ps(); NT];
                    // Lane 1 accumulates the min terms Σ m_w · s_x (q4_1/q5_1 only).
                    let mut summs = [_mm_setzero_ps(); NT];
                    // SAFETY: blocks are read inside `w` and the `NT` rows of `x`; every
                    // block has at least 4 bytes from its scale fields on.
                    unsafe {
                        for b in 0..nb {
                            let $wb = wp.add(b * $wsz);
                            // Lane 0: the weight's scale; lane 1: its min when it has one.
                            let wdm = f16x2($wb);
                            let q: __m256i = $unpack;
                            let aq = if $signed { _mm256_sign_epi8(q, q) } else { q };
                            for t in 0..NT {
                                let xb = xp.add(t * xs + b * $xsz);
                                let y = load(xb.add($xq));
                                let sy = if $signed { _mm256_sign_epi8(y, q) } else { y };
                                let p = _mm256_cvtepi32_ps(dot_us8(aq, sy));
                                // Lane 0: d_w · d_x; lane 1: m_w · s_x.
                                let scales = _mm_mul_ps(wdm, f16x2(xb));
                                acc[t] = _mm256_fmadd_ps(_mm256_broadcastss_ps(scales), p, acc[t]);
                                if $min {
                                    summs[t] = _mm_add_ps(summs[t], scales);
                                }
                            }
                        }
                    }
                    for t in 0..NT {
                        let min_sum = _mm_cvtss_f32(_mm_movehdup_ps(summs[t]));
                        out[t] = hsum(acc[t]) + min_sum;
                    }
                }
            };
        }

        legacy_kernel!(
            q4_0_dot,
            q4_0_nt,
            18,
            34,
            2,
            false,
            |wb| _mm256_sub_epi8(nibbles(wb.add(2)), _mm256_set1_epi8(8)),
            true
        );
        legacy_kernel!(
            q4_1_dot,
            q4_1_nt,
            20,
            36,
            4,
            true,
            |wb| nibbles(wb.add(4)),
            false
        );
        legacy_kernel!(
            q5_0_dot,
            q5_0_nt,
            22,
            34,
            2,
            false,
            |wb| _mm256_or_si256(
                nibbles(wb.add(6)),
                _mm256_andnot_si256(bits32(wb.add(2)), _mm256_set1_epi8(0xF0u8 as i8))
            ),
            true
        );
        legacy_kernel!(
            q5_1_dot,
            q5_1_nt,
            24,
            36,
            4,
            true,
            |wb| _mm256_or_si256(
                nibbles(wb.add(8)),
                _mm256_and_si256(bits32(wb.add(4)), _mm256_set1_epi8(0x10))
            ),
            false
        );
        legacy_kernel!(q8_0_dot, q8_0_nt, 34, 34, 2, false, |wb| load(wb.add(2)), true);

        /// The two-row kernel for `ty`, if this level has one (see `Dot2Fn`).
        pub(crate) fn kernel2(ty: GgmlType) -> Option<Dot2Fn> {
            match ty {
                GgmlType::Q8_0 => Some(q8_0_rows2),
                _ => None,
            }
        }

        /// # Safety
        /// See `Dot2Fn`; the CPU must have this module's target features.
        unsafe fn q8_0_rows2(w: [&[u8]; 2], x: &[u8], xs: usize, out: [&mut [f32]; 2]) {
            // SAFETY: forwarded contract.
            unsafe {
                match out[0].len() {
                    1 => q8_0_rows2_nt::<1>(w, x, xs, out),
                    2 => q8_0_rows2_nt::<2>(w, x, xs, out),
                    3 => q8_0_rows2_nt::<3>(w, x, xs, out),
                    _ => q8_0_rows2_nt::<4>(w, x, xs, out),
                }
            }
        }

        /// Two Q8_0 rows times `NT` tokens: each activation block is loaded once for both
        /// rows; every (row, token) keeps the 8-lane accumulator of the one-row kernel, so the
        /// results are the same bit for bit.
        #[target_feature(enable = $feat)]
        unsafe fn q8_0_rows2_nt<const NT: usize>(
            w: [&[u8]; 2],
            x: &[u8],
            xs: usize,
            out: [&mut [f32]; 2],
        ) {
            let nb = w[0].len() / 34;
            debug_assert!(w[1].len() == w[0].len() && x.len() >= (NT - 1) * xs + nb * 34);
            let (w0, w1, xp) = (w[0].as_ptr(), w[1].as_ptr(), x.as_ptr());
            let mut acc = [[_mm256_setzero_ps(); NT]; 2];
            // SAFETY: blocks are read inside the two rows and the `NT` rows of `x`.
            unsafe {
                for b in 0..nb {
                    let (b0, b1) = (w0.add(b * 34), w1.add(b * 34));
                    let (q0, q1) = (load(b0.add(2)), load(b1.add(2)));
                    let (a0, a1) = (_mm256_sign_epi8(q0, q0), _mm256_sign_epi8(q1, q1));
                    let (d0, d1) = (f16x2(b0), f16x2(b1));
                    for t in 0..NT {
                        let xb = xp.add(t * xs + b * 34);
                        let y = load(xb.add(2));
                        let dy = f16x2(xb);
                        let p0 = _mm256_cvtepi32_ps(dot_us8(a0, _mm256_sign_epi8(y, q0)));
                        let p1 = _mm256_cvtepi32_ps(dot_us8(a1, _mm256_sign_epi8(y, q1)));
                        let s0 = _mm256_broadcastss_ps(_mm_mul_ps(d0, dy));
                        let s1 = _mm256_broadcastss_ps(_mm_mul_ps(d1, dy));
                        acc[0][t] = _mm256_fmadd_ps(s0, p0, acc[0][t]);
                        acc[1][t] = _mm256_fmadd_ps(s1, p1, acc[1][t]);
                    }
                }
            }
            let [o0, o1] = out;
            for t in 0..NT {
                o0[t] = hsum(acc[0][t]);
                o1[t] = hsum(acc[1][t]);
            }
        }

        /// Plain float rows: `$load(p)` reads 8 elements as f32, `$one(p)` one element.
        macro_rules! float_kernel {
            ($name:ident, $generic:ident, $esz:expr, |$p:ident| $load:expr, $one:expr) => {
                by_nt!($name, $generic);

                #[target_feature(enable = $feat)]
                unsafe fn $generic<const NT: usize>(
                    w: &[u8],
                    x: &[u8],
                    xs: usize,
                    out: &mut [f32],
                ) {
                    let n = w.len() / $esz;
                    let (wp, xp) = (w.as_ptr(), x.as_ptr());
                    let mut acc = [[_mm256_setzero_ps(); 2]; NT];
                    let mut tail = [0.0f32; NT];
                    // SAFETY: elements are read inside `w` and the `NT` rows of `x`.
                    unsafe {
                        let mut i = 0;
                        while i + 16 <= n {
                            for h in 0..2 {
                                let wv = {
                                    let $p = wp.add((i + 8 * h) * $esz);
                                    $load
                                };
                                for t in 0..NT {
                                    let xv = {
                                        let $p = xp.add(t * xs + (i + 8 * h) * $esz);
                                        $load
                                    };
                                    acc[t][h] = _mm256_fmadd_ps(wv, xv, acc[t][h]);
                                }
                            }
                            i += 16;
                        }
                        for j in i..n {
                            let wv = {
                                let $p = wp.add(j * $esz);
                                $one
                            };
                            for t in 0..NT {
                                tail[t] += wv * {
                                    let $p = xp.add(t * xs + j * $esz);
                                    $one
                                };
                            }
                        }
                    }
                    for t in 0..NT {
                        out[t] = hsum(_mm256_add_ps(acc[t][0], acc[t][1])) + tail[t];
                    }
                }
            };
        }

        float_kernel!(
            f32_dot,
            f32_nt,
            4,
            |p| _mm256_loadu_ps(p as *const f32),
            (p as *const f32).read_unaligned()
        );
        float_kernel!(
            f16_dot,
            f16_nt,
            2,
            |p| _mm256_cvtph_ps(_mm_loadu_si128(p as *const __m128i)),
            half::f16::from_bits((p as *const u16).read_unaligned()).to_f32()
        );
        float_kernel!(
            bf16_dot,
            bf16_nt,
            2,
            |p| _mm256_castsi256_ps(_mm256_slli_epi32(
                _mm256_cvtepu16_epi32(_mm_loadu_si128(p as *const __m128i)),
                16
            )),
            f32::from_bits(((p as *const u16).read_unaligned() as u32) << 16)
        );

        /// The 6-bit scales (bytes 0..8) and mins (bytes 8..16) of a q4_K/q5_K block,
        /// unpacked from its 12 scale bytes at `p` (llama.cpp's `utmp` shuffle).
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn k4_scales(p: *const u8) -> (u64, u64) {
            const KMASK1: u32 = 0x3f3f3f3f;
            const KMASK2: u32 = 0x0f0f0f0f;
            const KMASK3: u32 = 0x03030303;
            // SAFETY: the caller passes 12 readable bytes.
            let u = unsafe {
                [
                    (p as *const u32).read_unaligned(),
                    (p.add(4) as *const u32).read_unaligned(),
                    (p.add(8) as *const u32).read_unaligned(),
                ]
            };
            let m3 = ((u[2] >> 4) & KMASK2) | (((u[1] >> 6) & KMASK3) << 4);
            let m2 = u[1] & KMASK1;
            let s1 = (u[2] & KMASK2) | (((u[0] >> 6) & KMASK3) << 4);
            let s0 = u[0] & KMASK1;
            (s0 as u64 | (s1 as u64) << 32, m2 as u64 | (m3 as u64) << 32)
        }

        /// Σ_j mins\[j\] · (bsums\[2j\] + bsums\[2j+1\]) of a q8_K block at `xb`, as 4 × f32.
        #[inline]
        #[target_feature(enable = $feat)]
        unsafe fn k4_min_sums(mins: __m128i, xb: *const u8) -> __m128 {
            // SAFETY: the caller passes a full q8_K block.
            let s = unsafe { load(xb.add(260)) };
            let pairs = _mm_hadd_epi16(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
            _mm_cvtepi32_ps(_mm_madd_epi16(mins, pairs))
        }

        /// q4_K and q5_K: `$unpack(wb, j)` gives the two 32-quant vectors of 64-chunk `j`.
        macro_rules! k4_kernel {
            ($name:ident, $generic:ident, $wsz:expr, |$wb:ident, $j:ident| $unpack:expr) => {
                by_nt!($name, $generic);

                #[target_feature(enable = $feat)]
                unsafe fn $generic<const NT: usize>(
                    w: &[u8],
                    x: &[u8],
                    xs: usize,
                    out: &mut [f32],
                ) {
                    let nb = w.len() / $wsz;
                    debug_assert!(x.len() >= (NT - 1) * xs + nb * 292);
                    let (wp, xp) = (w.as_ptr(), x.as_ptr());
                    let mut acc = [_mm256_setzero_ps(); NT];
                    let mut acc_m = [_mm_setzero_ps(); NT];
                    // SAFETY: blocks are read inside `w` and the `NT` rows of `x`.
                    unsafe {
                        for b in 0..nb {
                            let $wb = wp.add(b * $wsz);
                            let dd = f16x2($wb);
                            let (dw, dmw) = (_mm_cvtss_f32(dd), _mm_cvtss_f32(_mm_movehdup_ps(dd)));
                            let (sc, mn) = k4_scales($wb.add(4));
                            let mins = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(mn as i64));
                            let mut sumi = [_mm256_setzero_si256(); NT];
                            for $j in 0..4 {
                                let (ql, qh): (__m256i, __m256i) = $unpack;
                                let s_l = _mm256_set1_epi16(((sc >> (16 * $j)) & 0xFF) as i16);
                                let s_h = _mm256_set1_epi16(((sc >> (16 * $j + 8)) & 0xFF) as i16);
                                for t in 0..NT {
                                    let y = xp.add(t * xs + b * 292 + 4 + 64 * $j);
                                    let pl =
                                        _mm256_madd_epi16(s_l, _mm256_maddubs_epi16(ql, load(y)));
                                    let ph = _mm256_madd_epi16(
                                        s_h,
                                        _mm256_maddubs_epi16(qh, load(y.add(32))),
                                    );
                                    sumi[t] = _mm256_add_epi32(sumi[t], _mm256_add_epi32(pl, ph));
                                }
                            }
                            for t in 0..NT {
                                let xb = xp.add(t * xs + b * 292);
                                let yd = (xb as *const f32).read_unaligned();
                                let d = _mm256_set1_ps(yd * dw);
                                acc[t] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sumi[t]), acc[t]);
                                let dm = _mm_set1_ps(yd * dmw);
                                acc_m[t] = _mm_fmadd_ps(dm, k4_min_sums(mins, xb), acc_m[t]);
                            }
                        }
                    }
                    for t in 0..NT {
                        out[t] = hsum(acc[t]) - hsum4(acc_m[t]);
                    }
                }
            };
        }

        k4_kernel!(q4_k_dot, q4_k_nt, 144, |wb, j| {
            let bits = load(wb.add(16 + 32 * j));
            let m4 = _mm256_set1_epi8(0xF);
            (
                _mm256_and_si256(bits, m4),
                _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4),
            )
        });
        k4_kernel!(q5_k_dot, q5_k_nt, 176, |wb, j| {
            let bits = load(wb.add(48 + 32 * j));
            let hbits = load(wb.add(16));
            let m4 = _mm256_set1_epi8(0xF);
            let lo = _mm256_and_si256(bits, m4);
            let hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
            let s = 2 * j as i32;
            (
                _mm256_or_si256(lo, fifth_bit(hbits, s)),
                _mm256_or_si256(hi, fifth_bit(hbits, s + 1)),
            )
        });

        by_nt!(q6_k_dot, q6_k_nt);

        #[target_feature(enable = $feat)]
        unsafe fn q6_k_nt<const NT: usize>(w: &[u8], x: &[u8], xs: usize, out: &mut [f32]) {
            let nb = w.len() / 210;
            debug_assert!(x.len() >= (NT - 1) * xs + nb * 292);
            let (wp, xp) = (w.as_ptr(), x.as_ptr());
            let mut acc = [_mm256_setzero_ps(); NT];
            let m15 = _mm256_set1_epi8(15);
            let m3 = _mm256_set1_epi8(3);
            // SAFETY: blocks are read inside `w` and the `NT` rows of `x`.
            unsafe {
                for b in 0..nb {
                    let wb = wp.add(b * 210);
                    // Lane 1 of the pair ending the block (reading past it could fault).
                    let dw = _mm_cvtss_f32(_mm_movehdup_ps(f16x2(wb.add(206))));
                    let sc8 = _mm_loadu_si128(wb.add(192) as *const __m128i);
                    let mut sumi = [_mm256_setzero_si256(); NT];
                    for n in 0..2 {
                        let b1 = load(wb.add(64 * n));
                        let b2 = load(wb.add(64 * n + 32));
                        let hb = load(wb.add(128 + 32 * n));
                        let q = [
                            _mm256_or_si256(
                                _mm256_and_si256(b1, m15),
                                _mm256_slli_epi16(_mm256_and_si256(hb, m3), 4),
                            ),
                            _mm256_or_si256(
                                _mm256_and_si256(b2, m15),
                                _mm256_slli_epi16(
                                    _mm256_and_si256(_mm256_srli_epi16(hb, 2), m3),
                                    4,
                                ),
                            ),
                            _mm256_or_si256(
                                _mm256_and_si256(_mm256_srli_epi16(b1, 4), m15),
                                _mm256_slli_epi16(
                                    _mm256_and_si256(_mm256_srli_epi16(hb, 4), m3),
                                    4,
                                ),
                            ),
                            _mm256_or_si256(
                                _mm256_and_si256(_mm256_srli_epi16(b2, 4), m15),
                                _mm256_slli_epi16(
                                    _mm256_and_si256(_mm256_srli_epi16(hb, 6), m3),
                                    4,
                                ),
                            ),
                        ];
                        for (k, qk) in q.iter().enumerate() {
                            let s = 8 * n + 2 * k;
                            let lo = *wb.add(192 + s) as i8 as i16;
                            let hi = *wb.add(193 + s) as i8 as i16;
                            let scv = _mm256_set_m128i(_mm_set1_epi16(hi), _mm_set1_epi16(lo));
                            for t in 0..NT {
                                let y = load(xp.add(t * xs + b * 292 + 4 + 128 * n + 32 * k));
                                let p = _mm256_madd_epi16(scv, _mm256_maddubs_epi16(*qk, y));
                                sumi[t] = _mm256_add_epi32(sumi[t], p);
                            }
                        }
                    }
                    let sc16 = _mm256_cvtepi8_epi16(sc8);
                    for t in 0..NT {
                        let xb = xp.add(t * xs + b * 292);
                        let bsums = load(xb.add(260));
                        let sub = _mm256_slli_epi32(_mm256_madd_epi16(bsums, sc16), 5);
                        let s = _mm256_sub_epi32(sumi[t], sub);
                        let yd = (xb as *const f32).read_unaligned();
                        acc[t] =
                            _mm256_fmadd_ps(_mm256_set1_ps(yd * dw), _mm256_cvtepi32_ps(s), acc[t]);
                    }
                }
            }
            for t in 0..NT {
                out[t] = hsum(acc[t]);
            }
        }
    };
}
