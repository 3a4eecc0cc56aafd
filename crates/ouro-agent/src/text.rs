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

/// The first `max_bytes` of `text` (cut at a character boundary), which holds the start of a
/// stream of `total` bytes; when anything of the stream is not shown, a marker says how many
/// of its bytes were cut, out of the true total.
pub fn head(what: &str, text: &str, total: usize, max_bytes: usize) -> String {
    let mut cut = max_bytes.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let shown = &text[..cut];
    let hidden = total.saturating_sub(shown.len());
    if hidden == 0 {
        return shown.to_string();
    }
    let newline = if shown.is_empty() || shown.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    format!("{shown}{newline}[... {what} truncated: {hidden} of {total} bytes cut ...]\n")
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

    /// The kept text (lossy UTF-8) and the number of bytes pushed in all.
    pub fn into_parts(self) -> (String, usize) {
        let total = self.kept.len() + self.dropped;
        (String::from_utf8_lossy(&self.kept).into_owned(), total)
    }
}
