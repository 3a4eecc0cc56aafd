//! From tokens back to text: each token's piece (its bytes) and whole-sequence detokenizing
//! with llama.cpp's rules (leading-space removal for SentencePiece, optional space clean-up).

use super::attr::TokenAttr;
use super::unicode::char_to_byte;
use super::vocab::{TokenizerModel, Vocab};

/// The bytes a token stands for, special tokens rendered as their text.
pub(crate) fn piece(vocab: &Vocab, id: u32) -> Vec<u8> {
    let Some(token) = vocab.tokens.get(id as usize) else {
        return Vec::new();
    };
    let attr = token.attr;
    let text = token.text.as_str();
    if attr.intersects(TokenAttr::UNKNOWN | TokenAttr::CONTROL | TokenAttr::USER_DEFINED) {
        return text.as_bytes().to_vec();
    }
    if attr.intersects(TokenAttr::NORMAL) {
        return match vocab.model {
            TokenizerModel::Spm => text.replace('\u{2581}', " ").into_bytes(),
            TokenizerModel::Bpe(_) => byte_level_decode(text),
        };
    }
    if attr.intersects(TokenAttr::BYTE) {
        // "<0xXX>"
        return text
            .get(3..5)
            .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            .map_or_else(Vec::new, |b| vec![b]);
    }
    Vec::new()
}

/// Undo GPT-2's byte-level encoding; a character no byte maps to is kept visible the way
/// llama.cpp shows it.
fn byte_level_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match char_to_byte(c) {
            Some(b) => out.push(b),
            None => {
                out.extend_from_slice(b"[UNK_BYTE_0x");
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.extend_from_slice(format!("{b:02x}").as_bytes());
                }
                out.extend_from_slice(text.as_bytes());
                out.push(b']');
            }
        }
    }
    out
}

/// Detokenize as llama.cpp's `llama_detokenize(remove_special, unparse_special)`.
pub(crate) fn detokenize(
    vocab: &Vocab,
    pieces: &[Vec<u8>],
    mut tokens: &[u32],
    remove_special: bool,
    unparse_special: bool,
) -> Vec<u8> {
    let mut remove_space = vocab.add_space_prefix;
    if remove_special && vocab.add_bos && tokens.first().is_some_and(|&t| Some(t) == vocab.bos) {
        remove_space = false;
        tokens = &tokens[1..];
    }
    if remove_special && vocab.add_eos && tokens.last().is_some_and(|&t| Some(t) == vocab.eos) {
        tokens = &tokens[..tokens.len() - 1];
    }
    let mut text = Vec::new();
    for &id in tokens {
        let hidden = !unparse_special
            && vocab
                .attr(id)
                .intersects(TokenAttr::UNKNOWN | TokenAttr::CONTROL);
        let mut piece: &[u8] = match pieces.get(id as usize) {
            Some(p) if !hidden => p,
            _ => &[],
        };
        if remove_space && piece.first() == Some(&b' ') {
            piece = &piece[1..];
        }
        remove_space = false;
        text.extend_from_slice(piece);
    }
    if vocab.clean_spaces {
        clean_spaces(&mut text);
    }
    text
}

/// `clean_up_tokenization_spaces`: " ?" " !" " ." " ," lose the space, " ' " loses both,
/// and " 's" " 'm" " 're" " 've" lose the space. Three in-place passes, as llama.cpp runs them
/// (the second leaves a NUL where it removed a space, which the next test then sees).
fn clean_spaces(text: &mut Vec<u8>) {
    if text.is_empty() {
        return;
    }
    // Pass 1: a space before ? ! . ,
    let mut total = 1;
    for i in 1..text.len() {
        let x = text[i];
        if text[i - 1] == b' ' && matches!(x, b'?' | b'!' | b'.' | b',') {
            total -= 1;
        }
        text[total] = x;
        total += 1;
    }
    // Pass 2: a single apostrophe between spaces.
    let n = total;
    total = 1;
    let mut i = 1;
    while i < n {
        let x = text[i];
        if x == b'\'' && i + 1 < n && text[i - 1] == b' ' && text[i + 1] == b' ' {
            total -= 1;
            i += 1;
            text[i] = 0;
        }
        text[total] = x;
        total += 1;
        i += 1;
    }
    // Pass 3: contractions.
    let n = total;
    total = 1;
    for i in 1..n {
        let x = text[i];
        if text[i - 1] == b' ' && x == b'\'' && i + 1 < n {
            let x1 = text[i + 1];
            let pair = (i + 2 < n).then(|| (x1, text[i + 2]));
            if matches!(x1, b's' | b'm') || matches!(pair, Some((b'r' | b'v', b'e'))) {
                total -= 1;
            }
        }
        text[total] = x;
        total += 1;
    }
    text.truncate(total);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cleaned(s: &str) -> String {
        let mut v = s.as_bytes().to_vec();
        clean_spaces(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    }

    #[test]
    fn clean_spaces_follows_llama_cpp() {
        assert_eq!(cleaned("Hello , world !"), "Hello, world!");
        assert_eq!(cleaned("a ' b"), "a'b");
        assert_eq!(
            cleaned("it 's we 're I 'm you 've"),
            "it's we're I'm you've"
        );
        assert_eq!(cleaned("don 't we 'll"), "don 't we 'll");
        // The space removed around the first quote hides the second one's.
        assert_eq!(cleaned("x ' ' y"), "x'' y");
    }

    #[test]
    fn byte_level_pieces() {
        assert_eq!(byte_level_decode("Ġhello"), b" hello");
        assert_eq!(byte_level_decode("Ċ"), b"\n");
        assert_eq!(byte_level_decode("中"), b"[UNK_BYTE_0xe4b8ad\xe4\xb8\xad]");
    }
}
