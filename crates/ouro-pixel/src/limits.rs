//! Limits that every valid pixel program stays within, so that a hostile program can cost
//! at most a bounded amount of memory and time (and so that every integer computed while
//! rendering fits in an `i32`, which the GPU shaders rely on).

/// Largest canvas width or height, in pixels.
pub const MAX_CANVAS_SIDE: u32 = 4096;
/// Most operations in one program.
pub const MAX_OPS: usize = 100_000;
/// Coordinates (x, y, endpoints, centres, polygon points) lie in `-MAX_COORD..=MAX_COORD`.
pub const MAX_COORD: i32 = 8192;
/// Largest rectangle/gradient side, circle radius and stroke width.
pub const MAX_EXTENT: u32 = 8192;
/// Largest line width.
pub const MAX_LINE_WIDTH: u32 = 1024;
/// Largest text scale factor.
pub const MAX_TEXT_SCALE: u32 = 64;
/// Most characters in one `WRITE_TEXT` op.
pub const MAX_TEXT_CHARS: usize = 4096;
/// Most characters over all `WRITE_TEXT` ops of a program.
pub const MAX_TOTAL_TEXT_CHARS: usize = 262_144;
/// Most points in one polygon.
pub const MAX_POLYGON_POINTS: usize = 1024;
/// Most polygon points over all `POLYGON` ops of a program.
pub const MAX_TOTAL_POLYGON_POINTS: usize = 262_144;
/// Most palette entries.
pub const MAX_PALETTE: usize = 256;
/// Longest program or palette name, in characters.
pub const MAX_NAME_CHARS: usize = 128;
/// Most pixel tests a program may cost: the sum over its ops of the clipped bounding-box
/// area (times the number of edges, for polygons).
pub const MAX_WORK: u64 = 1 << 32;
/// Largest program file the loaders read, in bytes.
pub const MAX_FILE_BYTES: u64 = 64 << 20;
