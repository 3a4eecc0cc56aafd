//! Output limits: cutting long tool output down to a byte budget with a visible marker.

/// Cuts `text` to at most `max_bytes` bytes (at a character boundary) and, when anything was
/// cut, appends a marker saying how many bytes and lines were dropped.
pub fn truncate(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_string();
    }
    let mut cut = max_bytes;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let dropped = &text[cut..];
    let dropped_lines = dropped.lines().count();
    format!(
        "{}\n[... output truncated: {} of {} bytes ({} lines) cut ...]\n",
        &text[..cut],
        dropped.len(),
        text.len(),
        dropped_lines
    )
}

/// Collects bytes up to a limit and counts what did not fit.
#[derive(Debug, Default)]
pub struct CappedBuffer {
    kept: Vec<u8>,
    dropped: usize,
    limit: usize,
}

impl CappedBuffer {
    /// A buffer that keeps at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            kept: Vec::new(),
            dropped: 0,
            limit,
        }
    }

    /// Appends `bytes`, keeping what fits and counting the rest.
    pub fn push(&mut self, bytes: &[u8]) {
        let room = self.limit.saturating_sub(self.kept.len());
        let take = room.min(bytes.len());
        self.kept.extend_from_slice(&bytes[..take]);
        self.dropped += bytes.len() - take;
    }

    /// The kept text (lossy UTF-8) followed by a truncation marker when bytes were dropped.
    pub fn finish(self) -> String {
        let text = String::from_utf8_lossy(&self.kept).into_owned();
        if self.dropped == 0 {
            text
        } else {
            format!(
                "{text}\n[... output truncated: {} of {} bytes cut ...]\n",
                self.dropped,
                self.dropped + self.kept.len()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_untouched() {
        assert_eq!(truncate("abc", 3), "abc");
    }

    #[test]
    fn long_text_gets_marker_with_counts() {
        let out = truncate("line1\nline2\nline3\n", 6);
        assert!(out.starts_with("line1\n"));
        assert!(out.contains("12 of 18 bytes (2 lines) cut"), "{out}");
    }

    #[test]
    fn cuts_at_char_boundary() {
        let out = truncate("ééé", 3);
        assert!(out.starts_with('é') && !out.starts_with("éé"));
    }

    #[test]
    fn capped_buffer_counts_dropped_bytes() {
        let mut b = CappedBuffer::new(4);
        b.push(b"abc");
        b.push(b"defgh");
        let out = b.finish();
        assert!(out.starts_with("abcd\n"));
        assert!(out.contains("4 of 8 bytes cut"), "{out}");
    }
}
