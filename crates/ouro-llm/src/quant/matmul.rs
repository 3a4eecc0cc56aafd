//! The threaded quantized matrix multiplication `out = x · Wᵀ`, the engine's hot path.
//!
//! Like llama.cpp, the activations are quantized once per call to the weight type's vec dot
//! type, then fused integer dot kernels run block by block. Work is split into tiles of
//! [`ROW_TILE`]-ish rows × [`TOKEN_TILE`] tokens handed out through an atomic counter;
//! inside a tile each weight row is multiplied with [`MAX_NT`] tokens per kernel call, so a
//! weight block is loaded once for several tokens and a tile's weights stay in cache while
//! all its tokens pass (a GEMM micro-kernel for prefill, a plain GEMV for one token).

use super::act::quantize_act;
use super::dot::{Dot2Fn, DotFn, MAX_NT, SimdLevel, kernel, kernel2};
use super::packed::q8;
use super::{QuantError, check_len, check_matmul_io, row_bytes};
use crate::GgmlType;
use crate::threadpool::ThreadPool;
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Tokens per tile in prefill: their quantized activations (≈ 64 × 2 KiB for 2048 columns)
/// stay in L2 while the tile's weight rows stream past.
const TOKEN_TILE: usize = 64;

/// Tiles per thread to aim for, so uneven progress balances out.
const TILES_PER_THREAD: usize = 8;

/// Row tile bounds: at least this many rows per tile (multiple of 4) ...
const ROW_TILE: usize = 16;
/// ... and at most this many, so a tile's weights stay in L1/L2 in prefill.
const ROW_TILE_MAX: usize = 64;

/// A row-major weight matrix as stored in GGUF: `rows` rows of `cols` elements of type
/// `ty` (`cols` is ggml's contiguous `ne0`).
#[derive(Debug, Clone, Copy)]
pub struct QMatrix<'a> {
    pub ty: GgmlType,
    pub data: &'a [u8],
    pub rows: usize,
    pub cols: usize,
}

impl<'a> QMatrix<'a> {
    /// Wraps `data`, checking that it holds exactly `rows` rows of `cols` elements.
    pub fn new(
        ty: GgmlType,
        data: &'a [u8],
        rows: usize,
        cols: usize,
    ) -> Result<QMatrix<'a>, QuantError> {
        let rb = row_bytes(ty, cols, "matrix row")?;
        let expected = rb.checked_mul(rows).ok_or(QuantError::LengthMismatch {
            what: "matrix data",
            unit: "bytes (size overflows)",
            expected: usize::MAX,
            got: data.len(),
        })?;
        check_len("matrix data", "bytes", expected, data.len())?;
        Ok(QMatrix {
            ty,
            data,
            rows,
            cols,
        })
    }

    /// Bytes of one row.
    fn row_bytes(&self) -> usize {
        self.data.len().checked_div(self.rows).unwrap_or(0)
    }
}

/// The type activations are converted to before multiplying with weights of type `ty`
/// (ggml's `vec_dot_type`), or `None` when `ty` is not a supported weight type.
pub fn vec_dot_type(ty: GgmlType) -> Option<GgmlType> {
    Some(match ty {
        GgmlType::F32 => GgmlType::F32,
        GgmlType::F16 => GgmlType::F16,
        GgmlType::BF16 => GgmlType::BF16,
        GgmlType::Q4_0 | GgmlType::Q5_0 | GgmlType::Q8_0 => GgmlType::Q8_0,
        GgmlType::Q4_1 | GgmlType::Q5_1 => GgmlType::Q8_1,
        GgmlType::Q4K | GgmlType::Q5K | GgmlType::Q6K => GgmlType::Q8K,
        _ => return None,
    })
}

thread_local! {
    /// The caller's buffer for quantized activations, reused across calls.
    static ACT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `out[t * w.rows + r] = dot(W[r], x[t * w.cols..][..w.cols])` for `n_tokens` rows of
/// `x`, using the best SIMD level of this CPU and all threads of `pool` (Q8_0 and Q5_0
/// prefill through 8-row tiles where this CPU has them, with the same results).
pub fn matmul(
    w: &QMatrix,
    x: &[f32],
    n_tokens: usize,
    out: &mut [f32],
    pool: &ThreadPool,
) -> Result<(), QuantError> {
    if q8::takes(w, n_tokens) {
        return q8::matmul_tiles(w, x, n_tokens, out, pool);
    }
    matmul_with(w, x, n_tokens, out, pool, SimdLevel::best())
}

/// [`matmul`] with an explicit kernel level; errors if this CPU lacks the level.
pub(crate) fn matmul_with(
    w: &QMatrix,
    x: &[f32],
    n_tokens: usize,
    out: &mut [f32],
    pool: &ThreadPool,
    level: SimdLevel,
) -> Result<(), QuantError> {
    let unsupported = QuantError::Unsupported {
        ty: w.ty,
        op: "matmul",
    };
    let vdt = vec_dot_type(w.ty).ok_or(unsupported.clone())?;
    if !level.is_available() {
        return Err(QuantError::Unsupported {
            ty: w.ty,
            op: "matmul at a SIMD level this CPU lacks",
        });
    }
    let dot = kernel(w.ty, level).ok_or(unsupported)?;
    // Re-check the matrix: its fields are public, so it may not come from `QMatrix::new`.
    QMatrix::new(w.ty, w.data, w.rows, w.cols)?;
    check_matmul_io(w.rows, w.cols, n_tokens, x, out)?;
    let act_row = row_bytes(vdt, w.cols, "matmul input row")?;
    if n_tokens == 0 || w.rows == 0 {
        return Ok(());
    }
    if w.cols == 0 {
        out.fill(0.0);
        return Ok(());
    }
    ACT.with(|cell| {
        let mut act = cell.borrow_mut();
        act.resize(act_row * n_tokens, 0);
        quantize_rows(vdt, x, w.cols, &mut act, act_row, pool);
        multiply(
            w,
            &act,
            act_row,
            n_tokens,
            out,
            pool,
            (dot, kernel2(w.ty, level)),
        );
    });
    Ok(())
}

/// A raw pointer that threads of one pool job write through at disjoint offsets.
#[derive(Clone, Copy)]
struct SharedMut<T>(*mut T);
// SAFETY: only used inside `ThreadPool::run`, where each thread writes a disjoint range.
unsafe impl<T> Sync for SharedMut<T> {}
unsafe impl<T> Send for SharedMut<T> {}

impl<T> SharedMut<T> {
    /// The pointer; a method so closures capture the whole (Sync) wrapper.
    fn get(self) -> *mut T {
        self.0
    }
}

/// Quantizes every token row of `x` into `act`, spreading tokens over the pool when
/// there are several.
pub(crate) fn quantize_rows(
    vdt: GgmlType,
    x: &[f32],
    cols: usize,
    act: &mut [u8],
    act_row: usize,
    pool: &ThreadPool,
) {
    let n_tokens = x.len() / cols;
    if n_tokens < 4 || pool.n_threads() == 1 {
        for (xr, ar) in x.chunks_exact(cols).zip(act.chunks_exact_mut(act_row)) {
            quantize_act(vdt, xr, ar);
        }
        return;
    }
    let base = SharedMut(act.as_mut_ptr());
    pool.run(&|ith, nth| {
        for t in (ith..n_tokens).step_by(nth) {
            // SAFETY: token rows are disjoint and each is taken by exactly one thread.
            let ar =
                unsafe { std::slice::from_raw_parts_mut(base.get().add(t * act_row), act_row) };
            quantize_act(vdt, &x[t * cols..(t + 1) * cols], ar);
        }
    });
}

/// Runs the dot kernels over all (row, token) pairs, tiled and threaded: the two-row kernel
/// where the type has one, the one-row kernel for the rest.
fn multiply(
    w: &QMatrix,
    act: &[u8],
    act_row: usize,
    n_tokens: usize,
    out: &mut [f32],
    pool: &ThreadPool,
    (dot, dot2): (DotFn, Option<Dot2Fn>),
) {
    let rows = w.rows;
    let nth = pool.n_threads();
    let token_tile = n_tokens.min(TOKEN_TILE);
    let token_tiles = n_tokens.div_ceil(token_tile);
    let want_row_tiles = (nth * TILES_PER_THREAD).div_ceil(token_tiles).max(1);
    let row_tile = rows
        .div_ceil(want_row_tiles)
        .next_multiple_of(4)
        .clamp(ROW_TILE, ROW_TILE_MAX);
    let row_tiles = rows.div_ceil(row_tile);
    let n_tiles = row_tiles * token_tiles;
    let next = AtomicUsize::new(0);
    let out_ptr = SharedMut(out.as_mut_ptr());
    let w_row = w.row_bytes();
    pool.run(&|_, _| {
        let mut res = [[0.0f32; MAX_NT]; 2];
        let row = |r: usize| &w.data[r * w_row..(r + 1) * w_row];
        loop {
            let tile = next.fetch_add(1, Ordering::Relaxed);
            if tile >= n_tiles {
                break;
            }
            let (tt, rt) = (tile / row_tiles, tile % row_tiles);
            let (t0, t1) = (tt * token_tile, ((tt + 1) * token_tile).min(n_tokens));
            let (r0, r1) = (rt * row_tile, ((rt + 1) * row_tile).min(rows));
            let mut r = r0;
            while r < r1 {
                // Pairs only pay off when several tokens share each weight load (prefill);
                // one token at a time (decode) measured slower with them.
                let pair = dot2.filter(|_| r + 1 < r1 && t1 - t0 > 1);
                let mut t = t0;
                while t < t1 {
                    let nt = (t1 - t).min(MAX_NT);
                    let xs = &act[t * act_row..(t + nt) * act_row];
                    let [res0, res1] = &mut res;
                    // SAFETY: the kernels were chosen for an available level; `xs` holds `nt`
                    // rows of `act_row` bytes, each a full activation row for the weight rows.
                    unsafe {
                        match pair {
                            Some(d2) => d2(
                                [row(r), row(r + 1)],
                                xs,
                                act_row,
                                [&mut res0[..nt], &mut res1[..nt]],
                            ),
                            None => dot(row(r), xs, act_row, &mut res0[..nt]),
                        }
                    }
                    let n_rows = if pair.is_some() { 2 } else { 1 };
                    for (i, rr) in res.iter().enumerate().take(n_rows) {
                        for (k, &v) in rr[..nt].iter().enumerate() {
                            // SAFETY: (t + k, r + i) is inside `out` and owned by this tile.
                            unsafe { *out_ptr.get().add((t + k) * rows + r + i) = v };
                        }
                    }
                    t += nt;
                }
                r += if pair.is_some() { 2 } else { 1 };
            }
        }
    });
}
