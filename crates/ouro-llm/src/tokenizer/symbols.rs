//! The linked list of symbols both BPE merge loops (byte-level and SentencePiece) work on.

/// A symbol: a byte range of the text, linked to its neighbours ([`NONE`] for none).
#[derive(Debug, Clone, Copy)]
pub(super) struct Symbol {
    pub start: usize,
    pub len: usize,
    pub prev: usize,
    pub next: usize,
}

/// "No neighbour" in [`Symbol::prev`] and [`Symbol::next`].
pub(super) const NONE: usize = usize::MAX;
