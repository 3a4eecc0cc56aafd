//! Lowering: a [`Program`] becomes a flat list of primitive records (16 `u32` words each)
//! and one `u32` data buffer (the font, polygon points, text). Both renderers read exactly
//! these records, the CPU one in [`crate::coverage`], the GPU one in `shader.wgsl`, so the
//! two share every decision made here (bounding boxes, clipping, line direction, layout).
//!
//! Record words: `[0]` kind, `[1..5]` the bounding box clipped to the canvas
//! (`x0, y0, x1, y1`, end exclusive, never empty), `[5]` colour, `[6]` second colour,
//! `[7..16]` kind-specific parameters (signed values stored as `i32` bit patterns).

use crate::font;
use crate::program::{Direction, Op, Program};

/// Words per primitive record.
pub const WORDS: usize = 16;
/// Rectangle minus an inner rectangle (FILL, PIXEL, RECT).
pub const K_RECT: u32 = 0;
/// Thick line.
pub const K_LINE: u32 = 1;
/// Disc or ring.
pub const K_CIRCLE: u32 = 2;
/// Even-odd polygon.
pub const K_POLYGON: u32 = 3;
/// Linear gradient.
pub const K_GRADIENT: u32 = 4;
/// Bitmap text.
pub const K_TEXT: u32 = 5;

/// One primitive record.
pub type Prim = [u32; WORDS];

/// A lowered program, ready for either renderer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    /// Canvas width.
    pub width: u32,
    /// Canvas height.
    pub height: u32,
    /// The primitives, in drawing order; ops that touch no pixel of the canvas are dropped.
    pub prims: Vec<Prim>,
    /// Shared data: the font (two words per glyph, low then high bits), then polygon
    /// points and text layouts referenced by offset from the records.
    pub data: Vec<u32>,
}

/// An unclipped box, end exclusive, in `i64` so that no sum can overflow.
#[derive(Debug, Clone, Copy)]
struct Box64 {
    x0: i64,
    y0: i64,
    x1: i64,
    y1: i64,
}

impl Box64 {
    /// Clips to the canvas; `None` when nothing is left.
    fn clip(self, w: u32, h: u32) -> Option<[u32; 4]> {
        let x0 = self.x0.max(0);
        let y0 = self.y0.max(0);
        let x1 = self.x1.min(w as i64);
        let y1 = self.y1.min(h as i64);
        (x0 < x1 && y0 < y1).then_some([x0 as u32, y0 as u32, x1 as u32, y1 as u32])
    }
}

fn bx(x0: i64, y0: i64, x1: i64, y1: i64) -> Box64 {
    Box64 { x0, y0, x1, y1 }
}

/// A line in major/minor axis coordinates, `a` along the major axis, ends ordered by `a`.
struct LineGeom {
    y_major: bool,
    a0: i64,
    b0: i64,
    da: i64,
    db: i64,
    lo: i64,
    hi: i64,
}

fn line_geom(x0: i32, y0: i32, x1: i32, y1: i32, width: u32) -> LineGeom {
    let (x0, y0, x1, y1) = (x0 as i64, y0 as i64, x1 as i64, y1 as i64);
    let y_major = (y1 - y0).abs() > (x1 - x0).abs();
    let (a0, b0, a1, b1) = if y_major {
        (y0, x0, y1, x1)
    } else {
        (x0, y0, x1, y1)
    };
    let (a0, b0, a1, b1) = if a0 <= a1 {
        (a0, b0, a1, b1)
    } else {
        (a1, b1, a0, b0)
    };
    let w = width as i64;
    LineGeom {
        y_major,
        a0,
        b0,
        da: a1 - a0,
        db: b1 - b0,
        lo: (w - 1) / 2,
        hi: w / 2,
    }
}

impl LineGeom {
    fn bbox(&self) -> Box64 {
        let (bmin, bmax) = (
            self.b0.min(self.b0 + self.db),
            self.b0.max(self.b0 + self.db),
        );
        let (a0, a1, b0, b1) = (
            self.a0,
            self.a0 + self.da + 1,
            bmin - self.lo,
            bmax + self.hi + 1,
        );
        if self.y_major {
            bx(b0, a0, b1, a1)
        } else {
            bx(a0, b0, a1, b1)
        }
    }
}

/// Text split into lines: `(first char index, length)` per line.
fn text_lines(text: &str) -> Vec<(u32, u32)> {
    let mut lines = Vec::new();
    let mut start = 0u32;
    for line in text.split('\n') {
        let len = line.len() as u32;
        lines.push((start, len));
        start += len;
    }
    lines
}

fn bbox(op: &Op, w: u32, h: u32) -> Box64 {
    match op {
        Op::Fill { .. } => bx(0, 0, w as i64, h as i64),
        Op::Pixel { x, y, .. } => bx(*x as i64, *y as i64, *x as i64 + 1, *y as i64 + 1),
        Op::Rect {
            x,
            y,
            width,
            height,
            ..
        }
        | Op::Gradient {
            x,
            y,
            width,
            height,
            ..
        } => bx(
            *x as i64,
            *y as i64,
            *x as i64 + *width as i64,
            *y as i64 + *height as i64,
        ),
        Op::Line {
            x0,
            y0,
            x1,
            y1,
            width,
            ..
        } => line_geom(*x0, *y0, *x1, *y1, *width).bbox(),
        Op::Circle { cx, cy, radius, .. } => {
            let (cx, cy, r) = (*cx as i64, *cy as i64, *radius as i64);
            bx(cx - r, cy - r, cx + r + 1, cy + r + 1)
        }
        Op::Polygon { points, .. } => {
            let xs = points.iter().map(|p| p.0 as i64);
            let ys = points.iter().map(|p| p.1 as i64);
            bx(
                xs.clone().min().unwrap_or(0),
                ys.clone().min().unwrap_or(0),
                xs.max().unwrap_or(0),
                ys.max().unwrap_or(0),
            )
        }
        Op::Text {
            x, y, text, scale, ..
        } => {
            let lines = text_lines(text);
            let cols = lines.iter().map(|l| l.1).max().unwrap_or(0) as i64;
            let s = *scale as i64;
            let (x, y) = (*x as i64, *y as i64);
            bx(
                x,
                y,
                x + cols * (font::CELL_W as i64) * s,
                y + lines.len() as i64 * (font::CELL_H as i64) * s,
            )
        }
    }
}

/// The number of pixel tests `op` costs on a `w`×`h` canvas: its clipped bounding-box
/// area, times the number of edges for a polygon.
pub fn work(op: &Op, w: u32, h: u32) -> u64 {
    let Some([x0, y0, x1, y1]) = bbox(op, w, h).clip(w, h) else {
        return 0;
    };
    let area = (x1 - x0) as u64 * (y1 - y0) as u64;
    match op {
        Op::Polygon { points, .. } => area * points.len() as u64,
        _ => area,
    }
}

/// The font as stored at the start of [`Compiled::data`].
fn font_words() -> Vec<u32> {
    font::GLYPHS
        .iter()
        .flat_map(|g| [*g as u32, (*g >> 32) as u32])
        .collect()
}

/// Lowers a validated program.
pub fn lower(program: &Program) -> Compiled {
    let (w, h) = (program.width, program.height);
    let mut data = font_words();
    let mut prims = Vec::with_capacity(program.ops.len());
    for op in &program.ops {
        let Some(clip) = bbox(op, w, h).clip(w, h) else {
            continue;
        };
        let mut p: Prim = [0; WORDS];
        p[1..5].copy_from_slice(&clip);
        let mut params: Vec<i64> = Vec::new();
        match op {
            Op::Fill { color } | Op::Pixel { color, .. } => {
                p[0] = K_RECT;
                p[5] = color.pack();
                params.extend([0, 0, 0, 0]);
            }
            Op::Rect {
                x,
                y,
                width,
                height,
                color,
                stroke,
            } => {
                p[0] = K_RECT;
                p[5] = color.pack();
                let (x, y, s) = (*x as i64, *y as i64, *stroke as i64);
                if s == 0 {
                    params.extend([0, 0, 0, 0]);
                } else {
                    params.extend([x + s, y + s, x + *width as i64 - s, y + *height as i64 - s]);
                }
            }
            Op::Line {
                x0,
                y0,
                x1,
                y1,
                color,
                width,
            } => {
                p[0] = K_LINE;
                p[5] = color.pack();
                let g = line_geom(*x0, *y0, *x1, *y1, *width);
                params.extend([g.a0, g.b0, g.da, g.db, g.lo, g.hi, g.y_major as i64]);
            }
            Op::Circle {
                cx,
                cy,
                radius,
                color,
                stroke,
            } => {
                p[0] = K_CIRCLE;
                p[5] = color.pack();
                let (r, s) = (*radius as i64, *stroke as i64);
                let inner = if s == 0 || s > r {
                    -1
                } else {
                    (r - s) * (r - s + 1)
                };
                params.extend([*cx as i64, *cy as i64, r * (r + 1), inner]);
            }
            Op::Polygon { points, color } => {
                p[0] = K_POLYGON;
                p[5] = color.pack();
                params.extend([data.len() as i64, points.len() as i64]);
                for (x, y) in points {
                    data.extend([(2 * x) as u32, (2 * y) as u32]);
                }
            }
            Op::Gradient {
                x,
                y,
                width,
                height,
                from,
                to,
                direction,
            } => {
                p[0] = K_GRADIENT;
                p[5] = from.pack();
                p[6] = to.pack();
                let (origin, extent, vertical) = match direction {
                    Direction::Horizontal => (*x, *width, 0),
                    Direction::Vertical => (*y, *height, 1),
                };
                params.extend([origin as i64, extent as i64 - 1, vertical]);
            }
            Op::Text {
                x,
                y,
                text,
                color,
                scale,
            } => {
                p[0] = K_TEXT;
                p[5] = color.pack();
                params.extend([*x as i64, *y as i64, *scale as i64, data.len() as i64]);
                let lines = text_lines(text);
                data.push(lines.len() as u32);
                data.extend(lines.iter().flat_map(|(s, l)| [*s, *l]));
                data.extend(text.bytes().filter(|b| *b != b'\n').map(u32::from));
            }
        }
        for (slot, v) in p[7..].iter_mut().zip(params) {
            *slot = v as i32 as u32;
        }
        prims.push(p);
    }
    Compiled {
        width: w,
        height: h,
        prims,
        data,
    }
}
