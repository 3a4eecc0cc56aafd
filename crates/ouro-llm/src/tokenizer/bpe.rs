//! Byte-level BPE: merge the characters of one pre-tokenized word by merge rank.
//!
//! The word arrives in GPT-2's byte-level encoding. Adjacent symbol pairs wait in a priority
//! queue (lowest rank first, then leftmost); a popped pair whose symbols have changed since it
//! was queued is skipped, so every merge costs O(log n) instead of a rescan.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::symbols::{NONE, Symbol};
use super::vocab::Vocab;

/// A candidate merge: (rank, left symbol, right symbol, byte length of the pair).
type Bigram = Reverse<(u32, usize, usize, usize)>;

/// Reusable buffers for encoding many words.
#[derive(Default)]
pub(crate) struct BpeSession {
    symbols: Vec<Symbol>,
    queue: BinaryHeap<Bigram>,
    key: String,
}

impl BpeSession {
    /// Append the tokens of `word` (byte-level encoded) to `out`.
    pub(crate) fn encode_word(&mut self, vocab: &Vocab, word: &str, out: &mut Vec<u32>) {
        if vocab.ignore_merges
            && let Some(id) = vocab.id_of(word)
        {
            out.push(id);
            return;
        }
        self.symbols.clear();
        self.queue.clear();
        for (i, (start, c)) in word.char_indices().enumerate() {
            self.symbols.push(Symbol {
                start,
                len: c.len_utf8(),
                prev: i.wrapping_sub(1),
                next: i + 1,
            });
        }
        if let Some(last) = self.symbols.last_mut() {
            last.next = NONE;
        }
        for i in 1..self.symbols.len() {
            self.push_pair(vocab, word, i - 1, i);
        }
        while let Some(Reverse((_, left, right, size))) = self.queue.pop() {
            let (l, r) = (self.symbols[left], self.symbols[right]);
            if l.len == 0 || r.len == 0 || l.len + r.len != size {
                continue; // outdated
            }
            self.symbols[left].len += r.len;
            self.symbols[right].len = 0;
            self.symbols[left].next = r.next;
            if r.next != NONE {
                self.symbols[r.next].prev = left;
            }
            self.push_pair(vocab, word, l.prev, left);
            self.push_pair(vocab, word, left, r.next);
        }
        for sym in self.symbols.iter().filter(|s| s.len > 0) {
            let text = &word[sym.start..sym.start + sym.len];
            match vocab.id_of(text) {
                Some(id) => out.push(id),
                // As llama.cpp: fall back to single-byte tokens (only ASCII bytes can be one).
                None => out.extend(
                    text.bytes()
                        .filter(u8::is_ascii)
                        .filter_map(|b| vocab.id_of(char::from(b).encode_utf8(&mut [0; 4]))),
                ),
            }
        }
    }

    /// Queue the merge of symbols `left` and `right` if the merges list has it.
    fn push_pair(&mut self, vocab: &Vocab, word: &str, left: usize, right: usize) {
        if left == NONE || right == NONE {
            return;
        }
        let (l, r) = (self.symbols[left], self.symbols[right]);
        self.key.clear();
        self.key.push_str(&word[l.start..l.start + l.len]);
        self.key.push(' ');
        self.key.push_str(&word[r.start..r.start + r.len]);
        if let Some(&rank) = vocab.merge_ranks.get(self.key.as_str()) {
            self.queue.push(Reverse((rank, left, right, l.len + r.len)));
        }
    }
}
