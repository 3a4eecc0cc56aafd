//! Terminal previews of a rendered image: truecolor half-blocks (two pixels per character
//! cell, `▀` with the top pixel as foreground and the bottom one as background) and plain
//! ASCII (a brightness ramp). Images wider than the requested columns are downsampled by
//! nearest-neighbour sampling; transparent pixels are shown over black.

use crate::color::Rgba;
use crate::image::Image;

/// Brightness ramp of the ASCII preview, darkest first.
const RAMP: &[u8] = b" .:-=+*#%@";

/// The displayed colour of (x, y) in a `cols`×`rows` resampling of `img`, over black.
fn sample(img: &Image, x: u32, y: u32, cols: u32, rows: u32) -> [u32; 3] {
    let sx = (x as u64 * img.width as u64 / cols as u64) as u32;
    let sy = (y as u64 * img.height as u64 / rows as u64) as u32;
    let Rgba([r, g, b, a]) = img.get(sx, sy).unwrap_or(Rgba([0, 0, 0, 0]));
    let over_black = |c: u8| (c as u32 * a as u32 + 127) / 255;
    [over_black(r), over_black(g), over_black(b)]
}

/// The size, in pixels, that a preview at most `max_cols` wide samples to, where a
/// character cell shows `cell_h` pixels vertically: the aspect ratio is kept.
fn grid(img: &Image, max_cols: u32, cell_h: u32) -> (u32, u32) {
    let cols = img.width.min(max_cols.max(1));
    let px_rows = ((img.height as u64 * cols as u64).div_ceil(img.width as u64) as u32).max(1);
    (cols, px_rows.div_ceil(cell_h) * cell_h)
}

/// Builds a preview of at most `max_cols` characters a line, one line per two pixel rows:
/// `cell(out, x, y, cols, rows)` writes the character for column `x` of pixel row `y`, then
/// `line_end` closes each line.
fn cells(
    img: &Image,
    max_cols: u32,
    line_end: &str,
    cell: impl Fn(&mut String, u32, u32, u32, u32),
) -> String {
    if img.width == 0 || img.height == 0 {
        return String::new();
    }
    let (cols, rows) = grid(img, max_cols, 2);
    let mut out = String::new();
    for y in (0..rows).step_by(2) {
        for x in 0..cols {
            cell(&mut out, x, y, cols, rows);
        }
        out.push_str(line_end);
    }
    out
}

/// A truecolor preview at most `max_cols` characters wide, one line per two pixel rows.
pub fn truecolor(img: &Image, max_cols: u32) -> String {
    cells(img, max_cols, "\x1b[0m\n", |out, x, y, cols, rows| {
        let [r, g, b] = sample(img, x, y, cols, rows);
        let [r2, g2, b2] = sample(img, x, y + 1, cols, rows);
        out.push_str(&format!(
            "\x1b[38;2;{r};{g};{b}m\x1b[48;2;{r2};{g2};{b2}m\u{2580}"
        ));
    })
}

/// A plain ASCII preview at most `max_cols` characters wide, one line per two pixel rows.
pub fn ascii(img: &Image, max_cols: u32) -> String {
    cells(img, max_cols, "\n", |out, x, y, cols, rows| {
        let [r, g, b] = sample(img, x, y, cols, rows);
        // Rec. 601 luma in 0..=255 (weights sum to 1000).
        let luma = (299 * r + 587 * g + 114 * b) / 1000;
        out.push(RAMP[(luma as usize * RAMP.len()) / 256] as char);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_tone() -> Image {
        // 4x4: left half white, right half black, opaque.
        let mut img = Image::transparent(4, 4);
        for (i, p) in img.pixels.iter_mut().enumerate() {
            *p = if i % 4 < 2 {
                Rgba([255, 255, 255, 255]).pack()
            } else {
                Rgba([0, 0, 0, 255]).pack()
            };
        }
        img
    }

    #[test]
    fn ascii_shows_brightness() {
        assert_eq!(ascii(&two_tone(), 80), "@@  \n@@  \n");
    }

    #[test]
    fn ascii_downsamples_to_the_column_limit() {
        assert_eq!(ascii(&two_tone(), 2), "@ \n");
    }

    #[test]
    fn truecolor_uses_half_blocks_with_both_colours() {
        let out = truecolor(&two_tone(), 80);
        assert_eq!(out.lines().count(), 2);
        assert_eq!(out.matches('\u{2580}').count(), 8);
        assert!(out.starts_with("\x1b[38;2;255;255;255m\x1b[48;2;255;255;255m\u{2580}"));
        assert!(out.contains("\x1b[38;2;0;0;0m\x1b[48;2;0;0;0m\u{2580}"));
    }

    #[test]
    fn transparent_shows_as_black() {
        assert_eq!(ascii(&Image::transparent(3, 2), 80), "   \n");
    }
}
