//! Streaming UTF-8: token pieces can end inside a multi-byte character, so text printed token
//! by token must hold the incomplete tail until the next piece completes it.

/// Turns a stream of byte chunks into text, emitting only complete UTF-8 characters. Bytes
/// that can never form a character come out as U+FFFD.
#[derive(Debug, Default, Clone)]
pub struct Utf8Stream {
    pending: Vec<u8>,
}

impl Utf8Stream {
    pub fn new() -> Utf8Stream {
        Utf8Stream::default()
    }

    /// Add `bytes`; returns the text completed so far (possibly empty).
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let mut out = String::new();
        let mut rest: &[u8] = &self.pending;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    rest = &[];
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        // Invalid bytes: replace them and go on.
                        Some(n) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            rest = &after[n..];
                        }
                        // An incomplete character at the end: keep it for later.
                        None => {
                            rest = after;
                            break;
                        }
                    }
                }
            }
        }
        let keep = rest.len();
        self.pending.drain(..self.pending.len() - keep);
        out
    }

    /// End of stream: whatever is still held, with an incomplete character as U+FFFD.
    pub fn finish(&mut self) -> String {
        let out = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        out
    }

    /// True when no partial character is being held.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_partial_characters() {
        let mut s = Utf8Stream::new();
        let euro = "€".as_bytes(); // 3 bytes
        assert_eq!(s.push(b"a"), "a");
        assert_eq!(s.push(&euro[..1]), "");
        assert!(!s.is_empty());
        assert_eq!(s.push(&euro[1..2]), "");
        assert_eq!(s.push(&[euro[2], b'b']), "€b");
        assert!(s.is_empty());
    }

    #[test]
    fn invalid_bytes_become_replacement_characters() {
        let mut s = Utf8Stream::new();
        assert_eq!(s.push(b"x\xFFy"), "x\u{FFFD}y");
        assert_eq!(s.push(b"\xE2\x82"), "");
        assert_eq!(s.finish(), "\u{FFFD}");
        assert!(s.is_empty());
    }

    #[test]
    fn emoji_split_over_four_pushes() {
        let mut s = Utf8Stream::new();
        let text: String = "😀".bytes().map(|b| s.push(&[b])).collect();
        assert_eq!(text, "😀");
    }
}
