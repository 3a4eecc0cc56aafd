//! The built-in 5×7 bitmap font of `WRITE_TEXT`: one glyph per printable ASCII character
//! (U+0020 to U+007E). Each glyph is 35 bits, bit `row * 5 + col` set where the glyph has
//! ink (row 0 at the top, col 0 at the left). Glyphs sit in 6×8 cells: one blank column on
//! the right and one blank row below.

/// Glyph width in font pixels.
pub const GLYPH_W: u32 = 5;
/// Glyph height in font pixels.
pub const GLYPH_H: u32 = 7;
/// Horizontal advance per character, in font pixels.
pub const CELL_W: u32 = 6;
/// Vertical advance per line, in font pixels.
pub const CELL_H: u32 = 8;
/// First character of the font.
pub const FIRST: char = ' ';
/// Last character of the font.
pub const LAST: char = '~';

/// The glyph bitmaps, indexed by `char - ' '`.
pub const GLYPHS: [u64; 95] = [
    0x000000000,
    0x100421084,
    0x00000294a,
    0x295f57d4a, // ' !"#'
    0x11f4717c4,
    0x632222263,
    0x593511526,
    0x000000884, // "$%&'"
    0x208210888,
    0x088842082,
    0x009575480,
    0x0084f9080, // '()*+'
    0x088600000,
    0x0000f8000,
    0x18c000000,
    0x002222200, // ',-./'
    0x3a33ae62e,
    0x3884210c4,
    0x7c444422e,
    0x3a304111f, // '0123'
    0x211f4a988,
    0x3a3083c3f,
    0x3a317844c,
    0x08422221f, // '4567'
    0x3a317462e,
    0x1910f462e,
    0x00c6018c0,
    0x0886018c0, // '89:;'
    0x208208888,
    0x001f07c00,
    0x088882082,
    0x10044422e, // '<=>?'
    0x3ab5b422e,
    0x4631fc62e,
    0x3e317c62f,
    0x3a210862e, // '@ABC'
    0x1d318c527,
    0x7c217843f,
    0x04217843f,
    0x7a31e862e, // 'DEFG'
    0x4631fc631,
    0x38842108e,
    0x19284211c,
    0x452519531, // 'HIJK'
    0x7c2108421,
    0x4631ad771,
    0x4639ace31,
    0x3a318c62e, // 'LMNO'
    0x04217c62f,
    0x59358c62e,
    0x45257c62f,
    0x3e107043e, // 'PQRS'
    0x10842109f,
    0x3a318c631,
    0x11518c631,
    0x2ab5ac631, // 'TUVW'
    0x462a22a31,
    0x108454631,
    0x7c222221f,
    0x38421084e, // 'XYZ['
    0x020820820,
    0x39084210e,
    0x000004544,
    0x7c0000000, // '\\]^_'
    0x000002082,
    0x7a3e83800,
    0x3e319b421,
    0x3a210b800, // '`abc'
    0x7a31cda10,
    0x383f8b800,
    0x084238a4c,
    0x3a1e8c7c0, // 'defg'
    0x46319b421,
    0x388421804,
    0x192843008,
    0x24a32a421, // 'hijk'
    0x388421086,
    0x4635aac00,
    0x46319b400,
    0x3a318b800, // 'lmno'
    0x042f8bc00,
    0x421ecd800,
    0x04219b400,
    0x3e0e0b800, // 'pqrs'
    0x324211c42,
    0x5b318c400,
    0x11518c400,
    0x2ab58c400, // 'tuvw'
    0x454454400,
    0x3a1e8c400,
    0x7c4447c00,
    0x208411088, // 'xyz{'
    0x108421084,
    0x088441082,
    0x0008a8800, // '|}~'
];

/// Whether `c` can be drawn (a glyph of the font, or `\n`, which starts a new line).
pub fn is_drawable(c: char) -> bool {
    c == '\n' || (FIRST..=LAST).contains(&c)
}

/// The glyph bits of the printable ASCII byte `code`, or `None` outside the font.
pub fn glyph(code: u32) -> Option<u64> {
    let index = code.checked_sub(FIRST as u32)?;
    GLYPHS.get(index as usize).copied()
}

/// Whether the font pixel (`col`, `row`) of glyph `code` has ink; `false` outside the glyph.
pub fn ink(code: u32, col: u32, row: u32) -> bool {
    col < GLYPH_W
        && row < GLYPH_H
        && glyph(code).is_some_and(|g| (g >> (row * GLYPH_W + col)) & 1 == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn art(c: char) -> Vec<String> {
        (0..GLYPH_H)
            .map(|row| {
                (0..GLYPH_W)
                    .map(|col| if ink(c as u32, col, row) { '#' } else { '.' })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn letters_look_right() {
        assert_eq!(
            art('A'),
            [
                ".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"
            ]
        );
        assert_eq!(
            art('7'),
            [
                "#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."
            ]
        );
        assert!(art(' ').iter().all(|r| r == "....."));
    }

    #[test]
    fn every_printable_glyph_except_space_has_ink_and_no_stray_bits() {
        for code in 0x21..=0x7e_u32 {
            let g = glyph(code).unwrap_or(0);
            assert_ne!(g, 0, "glyph {code:#x} is empty");
            assert_eq!(g >> 35, 0, "glyph {code:#x} has bits outside 5x7");
        }
        assert_eq!(glyph(0x7f), None);
        assert_eq!(glyph(0x1f), None);
    }

    #[test]
    fn drawable_set() {
        assert!(is_drawable('\n') && is_drawable('~') && is_drawable(' '));
        assert!(!is_drawable('\t') && !is_drawable('é') && !is_drawable('\u{7f}'));
    }
}
