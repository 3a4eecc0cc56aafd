//! Pre-tokenizers of byte-level BPE vocabularies: they cut text into words before the merges run.
//!
//! Each `tokenizer.ggml.pre` name selects a list of splitters, applied in turn, each one cutting
//! the pieces the previous ones left (exactly as llama.cpp's `unicode_regex_split`). The big
//! look-ahead regexes (GPT-2, llama-3, Qwen2) are hand-written scanners; the small ones are
//! character-class runs. Categories follow llama.cpp's tables, including its quirk of testing
//! non-ASCII code points by their single category class.

use super::unicode::Flags;

/// The pre-tokenizer families ouro implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreTokenizerKind {
    /// llama.cpp's fallback for a missing or "default" name.
    Default,
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`.
    Gpt2,
    /// GPT-2 after isolating every digit (SmolLM, StarCoder, ...).
    Smollm,
    /// llama-3: case-insensitive contractions, numbers in groups of up to three.
    Llama3,
    /// Qwen2: as llama-3 but one digit per piece.
    Qwen2,
}

/// What a pre-tokenizer name means for the whole vocabulary (llama.cpp's load-time switches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PreTokenizerConfig {
    pub(crate) kind: PreTokenizerKind,
    /// A word that is itself a token is not merged (llama-3 style vocabularies).
    pub(crate) ignore_merges: bool,
    /// Whether the vocabulary adds BOS by default (the GGUF can override it).
    pub(crate) add_bos: bool,
    /// Whether decoding removes spaces before punctuation (`clean_up_tokenization_spaces`).
    pub(crate) clean_spaces: bool,
}

impl PreTokenizerConfig {
    /// The configuration of a `tokenizer.ggml.pre` name (`None` when absent), or `None` for a
    /// name ouro does not implement.
    pub(crate) fn from_name(name: Option<&str>) -> Option<PreTokenizerConfig> {
        use PreTokenizerKind::*;
        let (kind, ignore_merges, add_bos, clean_spaces) = match name.unwrap_or("") {
            "" | "default" => (Default, false, false, true),
            "llama3" | "llama-v3" | "llama-bpe" | "falcon3" | "falcon-h1" | "pixtral"
            | "midm-2.0" | "lfm2" | "jina-v5-nano" => (Llama3, true, true, true),
            "dbrx" | "smaug-bpe" => (Llama3, false, false, true),
            "gpt-2" | "phi-2" | "gigachat" | "a.x-4.0" | "mellum" | "mpt" | "olmo" | "jais"
            | "exaone4" => (Gpt2, false, false, true),
            "trillion" | "granite-docling" => (Gpt2, false, false, false),
            "smollm" | "command-r" => (Smollm, false, false, false),
            "starcoder" | "refact" | "codeshell" | "exaone" | "minerva-7b" | "mellum2" => {
                (Smollm, false, false, true)
            }
            "qwen2" | "deepseek-r1-qwen" | "kormo" | "f2llmv2" | "hunyuan" | "solar-open" => {
                (Qwen2, false, false, false)
            }
            "megrez" | "stablelm2" => (Qwen2, false, false, true),
            _ => return None,
        };
        Some(PreTokenizerConfig {
            kind,
            ignore_merges,
            add_bos,
            clean_spaces,
        })
    }
}

/// One splitting pass.
#[derive(Debug, Clone, Copy)]
enum Splitter {
    Gpt2,
    Llama3,
    Qwen2,
    /// Matches of a character class (leftmost first) become pieces, and so do the gaps.
    Class(CharClass, Repeat),
}

#[derive(Debug, Clone, Copy)]
enum CharClass {
    /// `\p{N}`.
    Number,
    /// `[\p{P}\$\+<=>\^~\|]`.
    PunctuationLike,
    /// `[0-9]`.
    AsciiDigit,
}

#[derive(Debug, Clone, Copy)]
enum Repeat {
    One,
    OneOrMore,
    Exactly(usize),
}

impl CharClass {
    /// Whether code point `cpt` (with `flags`) is in the class.
    fn matches(self, cpt: u32, flags: Flags) -> bool {
        // llama.cpp matches `\p{..}` classes on a "collapsed" text: ASCII stays itself, any other
        // code point stands for its single category class (white space for none of them).
        let class_of = |wanted: u16| !flags.is_whitespace() && flags.category() == wanted;
        match self {
            CharClass::Number if cpt < 0x80 => (0x30..=0x39).contains(&cpt),
            CharClass::Number => class_of(Flags::NUMBER),
            CharClass::PunctuationLike if cpt < 0x80 => {
                // All ASCII punctuation and symbols but the back-tick.
                matches!(cpt, 0x21..=0x2F | 0x3A..=0x40 | 0x5B..=0x5F | 0x7B..=0x7E)
            }
            CharClass::PunctuationLike => class_of(Flags::PUNCTUATION),
            CharClass::AsciiDigit => (0x30..=0x39).contains(&cpt),
        }
    }
}

impl PreTokenizerKind {
    fn splitters(self) -> &'static [Splitter] {
        match self {
            PreTokenizerKind::Default => &[
                Splitter::Class(CharClass::PunctuationLike, Repeat::OneOrMore),
                Splitter::Gpt2,
                Splitter::Class(CharClass::Number, Repeat::OneOrMore),
                Splitter::Class(CharClass::AsciiDigit, Repeat::Exactly(3)),
            ],
            PreTokenizerKind::Gpt2 => &[Splitter::Gpt2],
            PreTokenizerKind::Smollm => &[
                Splitter::Class(CharClass::Number, Repeat::One),
                Splitter::Gpt2,
            ],
            PreTokenizerKind::Llama3 => &[Splitter::Llama3],
            PreTokenizerKind::Qwen2 => &[Splitter::Qwen2],
        }
    }

    /// Cut `text` into words (as UTF-8 slices of `text`, in order, covering all of it).
    pub(crate) fn split(self, text: &str) -> Vec<&str> {
        if text.is_empty() {
            return Vec::new();
        }
        let cpts: Vec<u32> = text.chars().map(u32::from).collect();
        let flags: Vec<Flags> = cpts.iter().map(|&c| Flags::of(c)).collect();
        let mut lengths = vec![cpts.len()];
        for splitter in self.splitters() {
            let mut next = Vec::with_capacity(lengths.len() * 2);
            let mut start = 0;
            for &len in &lengths {
                let chunk = Chunk {
                    cpts: &cpts,
                    flags: &flags,
                    ini: start,
                    end: start + len,
                };
                match *splitter {
                    Splitter::Gpt2 => chunk.split_gpt2(&mut next),
                    Splitter::Llama3 => chunk.split_llama3(&mut next, true),
                    Splitter::Qwen2 => chunk.split_llama3(&mut next, false),
                    Splitter::Class(class, repeat) => chunk.split_class(class, repeat, &mut next),
                }
                start += len;
            }
            lengths = next;
        }
        let mut byte_offsets: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        byte_offsets.push(text.len());
        let mut words = Vec::with_capacity(lengths.len());
        let mut start = 0;
        for len in lengths {
            words.push(&text[byte_offsets[start]..byte_offsets[start + len]]);
            start += len;
        }
        words
    }
}

/// One piece of text being split: code points `ini..end` of `cpts` (and their `flags`).
struct Chunk<'a> {
    cpts: &'a [u32],
    flags: &'a [Flags],
    ini: usize,
    end: usize,
}

impl Chunk<'_> {
    /// The code point at `pos`, or `None` outside the chunk.
    fn cpt(&self, pos: usize) -> Option<u32> {
        (self.ini <= pos && pos < self.end).then(|| self.cpts[pos])
    }

    /// The flags at `pos`, or [`Flags::NONE`] outside the chunk.
    fn flags(&self, pos: usize) -> Flags {
        if self.ini <= pos && pos < self.end {
            self.flags[pos]
        } else {
            Flags::NONE
        }
    }

    /// The contraction (`'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`, `'d`) starting at `pos`, as its
    /// length in code points.
    fn contraction(&self, pos: usize, ignore_case: bool) -> Option<usize> {
        if self.cpt(pos) != Some(u32::from('\'')) || pos + 1 >= self.end {
            return None;
        }
        let lower = |c: Option<u32>| {
            let c = c.and_then(char::from_u32)?;
            Some(if ignore_case {
                c.to_ascii_lowercase()
            } else {
                c
            })
        };
        let next = lower(self.cpt(pos + 1));
        if matches!(next, Some('s' | 't' | 'm' | 'd')) {
            return Some(2);
        }
        if pos + 2 < self.end {
            let pair = (next, lower(self.cpt(pos + 2)));
            if matches!(
                pair,
                (Some('r'), Some('e')) | (Some('v'), Some('e')) | (Some('l'), Some('l'))
            ) {
                return Some(3);
            }
        }
        None
    }

    /// Count the white space starting at `pos`; also the end of its last `\r`/`\n`, if any.
    fn whitespace_run(&self, pos: usize) -> (usize, Option<usize>) {
        let mut n = 0;
        let mut last_newline_end = None;
        while self.flags(pos + n).is_whitespace() {
            if matches!(self.cpt(pos + n), Some(0x0D | 0x0A)) {
                last_newline_end = Some(pos + n + 1);
            }
            n += 1;
        }
        (n, last_newline_end)
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    fn split_gpt2(&self, out: &mut Vec<usize>) {
        let mut pieces = Pieces::new(self.ini, out);
        let mut pos = self.ini;
        while pos < self.end {
            let cpt = self.cpt(pos);
            let flags = self.flags(pos);
            if let Some(len) = self.contraction(pos, false) {
                pos += len;
                pieces.cut(pos);
                continue;
            }
            let space = cpt == Some(0x20);
            let mut f2 = if space { self.flags(pos + 1) } else { flags };
            let is_other = |f: Flags| !(f.is_whitespace() || f.is_letter() || f.is_number());
            if f2.is_letter() || f2.is_number() || (is_other(f2) && !f2.is_none()) {
                // ` ?\p{L}+`, ` ?\p{N}+` or ` ?[^\s\p{L}\p{N}]+`, by the class of the first.
                let same: fn(Flags) -> bool = if f2.is_letter() {
                    Flags::is_letter
                } else if f2.is_number() {
                    Flags::is_number
                } else {
                    |f| !(f.is_whitespace() || f.is_letter() || f.is_number() || f.is_none())
                };
                pos += usize::from(space);
                while same(f2) {
                    pos += 1;
                    f2 = self.flags(pos);
                }
                pieces.cut(pos);
                continue;
            }
            let (n_ws, _) = self.whitespace_run(pos);
            if n_ws > 1 && self.cpt(pos + n_ws).is_some() {
                // `\s+(?!\S)`: leave the last space to the word after it.
                pos += n_ws - 1;
            } else if n_ws > 0 {
                pos += n_ws;
            } else {
                pos += 1;
            }
            pieces.cut(pos);
        }
    }

    /// llama-3 (`max_digits` = 3) or Qwen2 (1):
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    fn split_llama3(&self, out: &mut Vec<usize>, digit_groups: bool) {
        let mut pieces = Pieces::new(self.ini, out);
        let mut pos = self.ini;
        while pos < self.end {
            let cpt = self.cpt(pos);
            let flags = self.flags(pos);
            if let Some(len) = self.contraction(pos, true) {
                pos += len;
                pieces.cut(pos);
                continue;
            }
            // `[^\r\n\p{L}\p{N}]?\p{L}+`
            if !matches!(cpt, Some(0x0D | 0x0A))
                && !flags.is_number()
                && (flags.is_letter() || self.flags(pos + 1).is_letter())
            {
                pos += 1;
                while self.flags(pos).is_letter() {
                    pos += 1;
                }
                pieces.cut(pos);
                continue;
            }
            // `\p{N}{1,3}` or `\p{N}`
            if flags.is_number() {
                if digit_groups {
                    let mut ini = pos;
                    while self.flags(pos).is_number() {
                        pos += 1;
                        if pos - ini >= 3 {
                            pieces.cut(pos);
                            ini = pos;
                        }
                    }
                } else {
                    pos += 1;
                }
                pieces.cut(pos);
                continue;
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            let space = cpt == Some(0x20);
            let mut f2 = if space { self.flags(pos + 1) } else { flags };
            let is_other = |f: Flags| !(f.is_whitespace() || f.is_letter() || f.is_number());
            if is_other(f2) && !flags.is_none() {
                pos += usize::from(space);
                while is_other(f2) && !f2.is_none() {
                    pos += 1;
                    f2 = self.flags(pos);
                }
                while matches!(self.cpt(pos), Some(0x0D | 0x0A)) {
                    pos += 1;
                }
                pieces.cut(pos);
                continue;
            }
            let (n_ws, last_newline_end) = self.whitespace_run(pos);
            if let Some(end) = last_newline_end {
                // `\s*[\r\n]+`
                pos = end;
            } else if n_ws > 1 && self.cpt(pos + n_ws).is_some() {
                // `\s+(?!\S)`
                pos += n_ws - 1;
            } else if n_ws > 0 {
                pos += n_ws;
            } else {
                pos += 1;
            }
            pieces.cut(pos);
        }
    }

    /// Leftmost matches of `class` repeated as `repeat`; matches and the gaps between them
    /// become pieces.
    fn split_class(&self, class: CharClass, repeat: Repeat, out: &mut Vec<usize>) {
        let mut pieces = Pieces::new(self.ini, out);
        let hit = |pos: usize| {
            self.cpt(pos)
                .is_some_and(|c| class.matches(c, self.flags[pos]))
        };
        let mut pos = self.ini;
        while pos < self.end {
            let len = match repeat {
                Repeat::One => usize::from(hit(pos)),
                Repeat::OneOrMore => (pos..self.end).take_while(|&p| hit(p)).count(),
                Repeat::Exactly(n) => {
                    if (pos..pos + n).all(hit) {
                        n
                    } else {
                        0
                    }
                }
            };
            if len == 0 {
                pos += 1;
                continue;
            }
            pieces.cut(pos);
            pos += len;
            pieces.cut(pos);
        }
        pieces.cut(self.end);
    }
}

/// Collects piece lengths: `cut(end)` closes the piece running from the previous cut to `end`
/// (an empty piece is dropped).
struct Pieces<'o> {
    prev: usize,
    out: &'o mut Vec<usize>,
}

impl<'o> Pieces<'o> {
    fn new(ini: usize, out: &'o mut Vec<usize>) -> Pieces<'o> {
        Pieces { prev: ini, out }
    }

    fn cut(&mut self, end: usize) {
        if end > self.prev {
            self.out.push(end - self.prev);
        }
        self.prev = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(kind: PreTokenizerKind, text: &str) -> Vec<&str> {
        kind.split(text)
    }

    #[test]
    fn gpt2_words() {
        assert_eq!(
            split(PreTokenizerKind::Gpt2, "Hello world's  end!!\n\n 42x"),
            [
                "Hello", " world", "'s", " ", " end", "!!", "\n\n", " 42", "x"
            ]
        );
        // A space run before a word leaves its last space to the word; at the end it stays.
        assert_eq!(
            split(PreTokenizerKind::Gpt2, "a   b  "),
            ["a", "  ", " b", "  "]
        );
    }

    #[test]
    fn smollm_isolates_digits_and_chunks_limit_lookahead() {
        assert_eq!(
            split(PreTokenizerKind::Smollm, "x 2024 ab"),
            ["x", " ", "2", "0", "2", "4", " ab"]
        );
        // The digit split ends the chunk, so the spaces before "1" form their own piece.
        assert_eq!(split(PreTokenizerKind::Smollm, "a  1"), ["a", "  ", "1"]);
    }

    #[test]
    fn llama3_words() {
        assert_eq!(
            split(PreTokenizerKind::Llama3, "I'M 1234567 ok?\n\n  x"),
            ["I", "'M", " ", "123", "456", "7", " ok", "?\n\n", " ", " x"]
        );
        assert_eq!(
            split(PreTokenizerKind::Llama3, "a \n b"),
            ["a", " \n", " b"]
        );
    }

    #[test]
    fn qwen2_one_digit_per_piece() {
        assert_eq!(split(PreTokenizerKind::Qwen2, "x123"), ["x", "1", "2", "3"]);
    }

    #[test]
    fn default_splits_punctuation_and_digit_triples() {
        assert_eq!(
            split(PreTokenizerKind::Default, "a+b 12345"),
            ["a", "+", "b", " ", "123", "45"]
        );
    }

    #[test]
    fn names_map_to_kinds() {
        let smollm = PreTokenizerConfig::from_name(Some("smollm")).map(|c| c.kind);
        assert_eq!(smollm, Some(PreTokenizerKind::Smollm));
        let missing = PreTokenizerConfig::from_name(None).map(|c| c.kind);
        assert_eq!(missing, Some(PreTokenizerKind::Default));
        assert!(PreTokenizerConfig::from_name(Some("llama-bpe")).is_some_and(|c| c.add_bos));
        assert_eq!(PreTokenizerConfig::from_name(Some("no-such")), None);
    }
}
