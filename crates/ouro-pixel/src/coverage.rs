//! Per-pixel semantics of the primitive records made by [`crate::lower`]: whether a pixel
//! is covered and with which colour. This is the reference the WGSL shader mirrors line
//! for line; it uses `i32` arithmetic only (the limits guarantee nothing overflows).

use crate::font::{CELL_H, CELL_W, GLYPH_H, GLYPH_W};
use crate::lower::{K_CIRCLE, K_GRADIENT, K_LINE, K_POLYGON, K_RECT, K_TEXT, Prim};

fn param(p: &Prim, i: usize) -> i32 {
    p[7 + i] as i32
}

/// Floor division for a positive divisor.
fn floor_div(n: i32, d: i32) -> i32 {
    let q = n / d;
    if n % d != 0 && n < 0 { q - 1 } else { q }
}

/// The colour `p` paints at (`px`, `py`), which lies inside the record's bounding box, or
/// `None` where the primitive does not cover that pixel.
#[inline]
pub fn shade(p: &Prim, data: &[u32], px: i32, py: i32) -> Option<u32> {
    let covered = match p[0] {
        K_RECT => rect(p, px, py),
        K_LINE => line(p, px, py),
        K_CIRCLE => circle(p, px, py),
        K_POLYGON => polygon(p, data, px, py),
        K_GRADIENT => return Some(gradient(p, px, py)),
        K_TEXT => text(p, data, px, py),
        _ => false,
    };
    covered.then_some(p[5])
}

fn rect(p: &Prim, px: i32, py: i32) -> bool {
    !(px >= param(p, 0) && px < param(p, 2) && py >= param(p, 1) && py < param(p, 3))
}

fn line(p: &Prim, px: i32, py: i32) -> bool {
    let (a0, b0, da, db, lo, hi) = (
        param(p, 0),
        param(p, 1),
        param(p, 2),
        param(p, 3),
        param(p, 4),
        param(p, 5),
    );
    let (a, b) = if param(p, 6) != 0 { (py, px) } else { (px, py) };
    let bc = if da == 0 {
        b0
    } else {
        b0 + floor_div(2 * (a - a0) * db + da, 2 * da)
    };
    b - bc >= -lo && b - bc <= hi
}

fn circle(p: &Prim, px: i32, py: i32) -> bool {
    let (dx, dy) = (px - param(p, 0), py - param(p, 1));
    let d2 = dx * dx + dy * dy;
    d2 <= param(p, 2) && d2 > param(p, 3)
}

fn polygon(p: &Prim, data: &[u32], px: i32, py: i32) -> bool {
    let (off, n) = (param(p, 0) as usize, param(p, 1) as usize);
    let Some(pts) = data.get(off..off + 2 * n).filter(|_| n > 0) else {
        return false;
    };
    let (qx, qy) = (2 * px + 1, 2 * py + 1);
    let mut inside = false;
    let mut j = n - 1;
    for i in 0..n {
        let (ax, ay) = (pts[2 * j] as i32, pts[2 * j + 1] as i32);
        let (bx, by) = (pts[2 * i] as i32, pts[2 * i + 1] as i32);
        if (ay > qy) != (by > qy) {
            let lhs = (qx - ax) * (by - ay);
            let rhs = (qy - ay) * (bx - ax);
            if (by > ay && lhs < rhs) || (by < ay && lhs > rhs) {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

fn gradient(p: &Prim, px: i32, py: i32) -> u32 {
    let (origin, n) = (param(p, 0), param(p, 1) as u32);
    let pos = if param(p, 2) != 0 { py } else { px };
    if n == 0 {
        return p[5];
    }
    let i = (pos - origin) as u32;
    let mut out = 0;
    for shift in [0, 8, 16, 24] {
        let (f, t) = ((p[5] >> shift) & 255, (p[6] >> shift) & 255);
        out |= ((2 * (f * (n - i) + t * i) + n) / (2 * n)) << shift;
    }
    out
}

fn text(p: &Prim, data: &[u32], px: i32, py: i32) -> bool {
    let (x, y, scale, off) = (
        param(p, 0),
        param(p, 1),
        param(p, 2) as u32,
        param(p, 3) as usize,
    );
    let fx = (px - x) as u32 / scale;
    let fy = (py - y) as u32 / scale;
    let (col, gx) = (fx / CELL_W, fx % CELL_W);
    let (line, gy) = (fy / CELL_H, fy % CELL_H);
    let nlines = data.get(off).copied().unwrap_or(0);
    if line >= nlines || gx >= GLYPH_W || gy >= GLYPH_H {
        return false;
    }
    let l = off + 1 + 2 * line as usize;
    let (start, len) = (
        data.get(l).copied().unwrap_or(0),
        data.get(l + 1).copied().unwrap_or(0),
    );
    if col >= len {
        return false;
    }
    let code_at = off + 1 + 2 * nlines as usize + (start + col) as usize;
    let code = data.get(code_at).copied().unwrap_or(32);
    let glyph = code.wrapping_sub(32) as usize;
    let bit = gy * GLYPH_W + gx;
    let word = data
        .get(2 * glyph + (bit / 32) as usize)
        .copied()
        .unwrap_or(0);
    (word >> (bit % 32)) & 1 == 1
}

#[cfg(test)]
mod tests {
    use crate::{cpu, lower, parse_program};

    /// Renders `ops` (all drawing opaque white) on a `w`×`h` canvas as `#`/`.` rows.
    fn mask(w: u32, h: u32, ops: &str) -> Vec<String> {
        let text = format!(
            r#"{{"kind":"pixel_program","version":1,"name":"t","canvas":{{"width":{w},"height":{h}}},"palette":{{"w":[255,255,255]}},"ops":[{ops}]}}"#
        );
        let img = match parse_program(&text) {
            Ok(p) => cpu::render(&lower(&p)),
            Err(e) => panic!("{e}"),
        };
        (0..h)
            .map(|y| {
                (0..w)
                    .map(|x| {
                        if img.pixels[(y * w + x) as usize] != 0 {
                            '#'
                        } else {
                            '.'
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn shallow_line_rounds_half_up_and_includes_both_ends() {
        // dy/dx = 2/4: centre rows 0, 0.5 -> 1, 1, 1.5 -> 2, 2.
        let m = mask(
            5,
            3,
            r#"{"op":"LINE","x0":4,"y0":2,"x1":0,"y1":0,"color":"w"}"#,
        );
        assert_eq!(m, ["#....", ".##..", "...##"]);
    }

    #[test]
    fn thick_line_grows_across_the_minor_axis() {
        let m = mask(
            4,
            4,
            r#"{"op":"LINE","x0":1,"y0":0,"x1":1,"y1":3,"color":"w","width":2}"#,
        );
        assert_eq!(m, [".##.", ".##.", ".##.", ".##."]);
    }

    #[test]
    fn circles_discs_and_rings() {
        let m = mask(
            5,
            5,
            r#"{"op":"CIRCLE","cx":2,"cy":2,"radius":1,"color":"w"}"#,
        );
        // d2 <= r * (r + 1) = 2 takes the diagonal neighbours too.
        assert_eq!(m, [".....", ".###.", ".###.", ".###.", "....."]);
        let m = mask(
            5,
            5,
            r#"{"op":"CIRCLE","cx":2,"cy":2,"radius":2,"color":"w","stroke":1}"#,
        );
        // 2 < d2 <= 6.
        assert_eq!(m, [".###.", "#...#", "#...#", "#...#", ".###."]);
    }

    #[test]
    fn polygon_tests_pixel_centres_with_even_odd() {
        let m = mask(
            4,
            4,
            r#"{"op":"POLYGON","points":[[0,0],[4,0],[0,4]],"color":"w"}"#,
        );
        assert_eq!(m, ["###.", "##..", "#...", "...."]);
    }

    #[test]
    fn stroked_rect_and_text() {
        let m = mask(
            4,
            4,
            r#"{"op":"RECT","x":0,"y":0,"width":4,"height":4,"color":"w","stroke":1}"#,
        );
        assert_eq!(m, ["####", "#..#", "#..#", "####"]);
        let m = mask(
            6,
            7,
            r#"{"op":"WRITE_TEXT","x":0,"y":0,"text":"T","color":"w"}"#,
        );
        assert_eq!(m[0], "#####.");
        assert!(m[1..].iter().all(|r| r == "..#..."));
    }
}
