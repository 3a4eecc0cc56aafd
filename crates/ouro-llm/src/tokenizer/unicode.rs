//! Unicode facts the tokenizers need: the category class and white-space property of a code
//! point (as llama.cpp's tables define them, Unicode 15.1), and GPT-2's byte <-> character map.

use super::unicode_table::CATEGORY_RUNS;

/// What the pre-tokenizers know about one code point: its category class (`\p{L}`, `\p{N}`, ...)
/// and whether it is white space (`\s`). The empty value ([`Flags::NONE`]) stands for "outside the
/// text being split", so that a look-ahead past the end matches nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flags(u16);

impl Flags {
    pub(crate) const NONE: Flags = Flags(0);
    pub(crate) const UNDEFINED: u16 = 0x0001;
    pub(crate) const NUMBER: u16 = 0x0002;
    pub(crate) const LETTER: u16 = 0x0004;
    pub(crate) const PUNCTUATION: u16 = 0x0020;
    const CATEGORY_MASK: u16 = 0x00FF;
    const WHITESPACE: u16 = 0x0100;

    /// The flags of a code point.
    pub(crate) fn of(cpt: u32) -> Flags {
        let idx = CATEGORY_RUNS.partition_point(|&(start, _)| start <= cpt);
        let class = match idx.checked_sub(1) {
            Some(i) if cpt < 0x11_0000 => u16::from(CATEGORY_RUNS[i].1),
            _ => Self::UNDEFINED,
        };
        let ws = if is_whitespace(cpt) {
            Self::WHITESPACE
        } else {
            0
        };
        Flags(class | ws)
    }

    /// True for the empty value (a position outside the text).
    pub(crate) fn is_none(self) -> bool {
        self.0 == 0
    }

    /// The category class bits alone (one of the class constants for a real code point).
    pub(crate) fn category(self) -> u16 {
        self.0 & Self::CATEGORY_MASK
    }

    pub(crate) fn is_letter(self) -> bool {
        self.0 & Self::LETTER != 0
    }

    pub(crate) fn is_number(self) -> bool {
        self.0 & Self::NUMBER != 0
    }

    pub(crate) fn is_whitespace(self) -> bool {
        self.0 & Self::WHITESPACE != 0
    }
}

/// The Unicode `White_Space` property.
fn is_whitespace(cpt: u32) -> bool {
    matches!(
        cpt,
        0x09..=0x0D
            | 0x20
            | 0x85
            | 0xA0
            | 0x1680
            | 0x2000..=0x200A
            | 0x2028
            | 0x2029
            | 0x202F
            | 0x205F
            | 0x3000
    )
}

/// Bytes that GPT-2's byte-level encoding maps to the character of the same number.
fn is_printable_byte(b: u8) -> bool {
    matches!(b, 0x21..=0x7E | 0xA1..=0xAC | 0xAE..=0xFF)
}

/// GPT-2's byte-level encoding: every byte becomes a printable character (printable bytes map to
/// themselves, the others to U+0100 onwards, in byte order).
pub(crate) fn byte_to_char(b: u8) -> char {
    if is_printable_byte(b) {
        char::from(b)
    } else {
        let rank = (0..b).filter(|&x| !is_printable_byte(x)).count() as u32;
        char::from_u32(0x100 + rank).unwrap_or(char::REPLACEMENT_CHARACTER)
    }
}

/// The inverse of [`byte_to_char`], or `None` for a character no byte maps to.
pub(crate) fn char_to_byte(c: char) -> Option<u8> {
    let cpt = u32::from(c);
    if let Ok(b) = u8::try_from(cpt)
        && is_printable_byte(b)
    {
        return Some(b);
    }
    let rank = cpt.checked_sub(0x100)?;
    (0..=255u8)
        .filter(|&x| !is_printable_byte(x))
        .nth(rank as usize)
}

/// The 256 characters of [`byte_to_char`], computed once: the encoder's hot path.
#[derive(Debug, Clone)]
pub(crate) struct ByteEncoder {
    table: [char; 256],
}

impl ByteEncoder {
    pub(crate) fn new() -> ByteEncoder {
        let mut table = ['\0'; 256];
        for (b, slot) in table.iter_mut().enumerate() {
            *slot = byte_to_char(b as u8);
        }
        ByteEncoder { table }
    }

    /// Append the byte-level encoding of `text` to `out`.
    pub(crate) fn encode_into(&self, text: &str, out: &mut String) {
        for &b in text.as_bytes() {
            out.push(self.table[usize::from(b)]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_follow_unicode() {
        assert!(Flags::of('a' as u32).is_letter());
        assert!(Flags::of('é' as u32).is_letter());
        assert!(Flags::of('中' as u32).is_letter());
        assert!(Flags::of('7' as u32).is_number());
        assert!(Flags::of('½' as u32).is_number());
        assert_eq!(Flags::of('!' as u32).category(), Flags::PUNCTUATION);
        assert!(Flags::of(' ' as u32).is_whitespace());
        assert!(Flags::of(0x3000).is_whitespace());
        assert!(!Flags::of('x' as u32).is_whitespace());
        // 😀 is a symbol, not a letter.
        assert!(!Flags::of(0x1F600).is_letter());
        assert!(!Flags::of(0x1F600).is_none());
        // An unassigned code point.
        assert_eq!(Flags::of(0x0378).category(), Flags::UNDEFINED);
    }

    #[test]
    fn byte_map_round_trips_and_matches_gpt2() {
        assert_eq!(byte_to_char(b' '), 'Ġ');
        assert_eq!(byte_to_char(b'\n'), 'Ċ');
        assert_eq!(byte_to_char(b'A'), 'A');
        assert_eq!(byte_to_char(0xAD), '\u{143}');
        for b in 0..=255u8 {
            assert_eq!(char_to_byte(byte_to_char(b)), Some(b));
        }
        assert_eq!(char_to_byte('中'), None);
        assert_eq!(char_to_byte(' '), None);
    }
}
