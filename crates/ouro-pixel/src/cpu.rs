//! The CPU renderer: runs the primitive records in order over horizontal bands of the
//! canvas, one band per thread (each pixel sees the same ops in the same order, so the
//! result does not depend on the number of threads).

use std::thread;

use crate::color::blend;
use crate::coverage::shade;
use crate::image::Image;
use crate::lower::Compiled;

/// Renders a lowered program on the CPU with up to `threads` threads (at least one).
pub fn render_with_threads(c: &Compiled, threads: usize) -> Image {
    let mut image = Image::transparent(c.width, c.height);
    let w = c.width as usize;
    let rows_per_band = (c.height as usize).div_ceil(threads.max(1)).max(1);
    thread::scope(|s| {
        for (band, rows) in image.pixels.chunks_mut(rows_per_band * w).enumerate() {
            let y_start = (band * rows_per_band) as u32;
            s.spawn(move || render_band(c, rows, y_start));
        }
    });
    image
}

/// Renders a lowered program on the CPU using all available cores.
pub fn render(c: &Compiled) -> Image {
    render_with_threads(c, thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Renders the rows `y_start..` that `rows` holds.
fn render_band(c: &Compiled, rows: &mut [u32], y_start: u32) {
    let w = c.width as usize;
    let y_end = y_start + (rows.len() / w.max(1)) as u32;
    for p in &c.prims {
        let (x0, x1) = (p[1], p[3]);
        let (y0, y1) = (p[2].max(y_start), p[4].min(y_end));
        for y in y0..y1 {
            let row = &mut rows[(y - y_start) as usize * w..][..w];
            for x in x0..x1 {
                if let Some(color) = shade(p, &c.data, x as i32, y as i32) {
                    let px = &mut row[x as usize];
                    *px = blend(color, *px);
                }
            }
        }
    }
}
