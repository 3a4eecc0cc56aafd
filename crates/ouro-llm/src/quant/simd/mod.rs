//! x86_64 SIMD dot kernels. One kernel set is written once (in [`kernels`]) and compiled
//! twice: for AVX2 + FMA + F16C, and again with AVX-512 VNNI (VL) integer dot products.

#[macro_use]
mod kernels;

pub(crate) mod avx2 {
    //! The kernel set compiled for AVX2 + FMA + F16C.
    x86_kernels!("avx2,fma,f16c", false);
}

pub(crate) mod vnni {
    //! The kernel set compiled with AVX-512 VNNI/VL `vpdpbusd` integer dot products.
    x86_kernels!("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni", true);
}
