//! Run-time CPU feature checks shared by the engine's hand-vectorized and multiversioned
//! code paths (the crate is compiled for the baseline x86-64, so anything faster is
//! chosen at run time, never assumed).

/// Whether this CPU has AVX2, FMA and F16C (checked once, then cached).
pub(crate) fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static AVX2: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *AVX2.get_or_init(|| {
            std::is_x86_feature_detected!("avx2")
                && std::is_x86_feature_detected!("fma")
                && std::is_x86_feature_detected!("f16c")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Defines `$name` calling `$generic` (which must be `#[inline(always)]`), compiled a second
/// time with AVX2/FMA/F16C enabled and chosen at run time. The arithmetic is unchanged: Rust
/// never contracts `a * b + c` into a fused multiply-add, so both copies give identical
/// results; the AVX2 copy just vectorizes wider and rounds with `vroundps`.
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? => $generic:ident) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma,f16c")]
                unsafe fn avx2($($arg: $ty),*) $(-> $ret)? {
                    $generic($($arg),*)
                }
                if $crate::cpu::has_avx2() {
                    // SAFETY: the CPU features were checked just above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $generic($($arg),*)
        }
    };
}
pub(crate) use multiversion;
