//! SentencePiece-style BPE ("llama" vocabularies): merge adjacent pieces by token score.
//!
//! The text arrives with spaces already escaped as "▁". Adjacent pairs whose concatenation is
//! a token wait in a priority queue (highest score first, then leftmost); pieces that never
//! become tokens fall back to byte tokens `<0xXX>`.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::symbols::{NONE, Symbol};
use super::vocab::Vocab;

/// A candidate merge, ordered by score, then by position (leftmost first).
#[derive(Debug, Clone, Copy)]
struct Bigram {
    score: f32,
    left: usize,
    right: usize,
    size: usize,
}

impl PartialEq for Bigram {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Bigram {}

impl PartialOrd for Bigram {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Bigram {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.left.cmp(&self.left))
    }
}

/// Append the tokens of `text` (spaces escaped) to `out`.
pub(crate) fn encode(vocab: &Vocab, text: &str, out: &mut Vec<u32>) {
    let mut symbols: Vec<Symbol> = text
        .char_indices()
        .enumerate()
        .map(|(i, (start, c))| Symbol {
            start,
            len: c.len_utf8(),
            prev: i.wrapping_sub(1),
            next: i + 1,
        })
        .collect();
    let Some(last) = symbols.last_mut() else {
        return;
    };
    last.next = NONE;

    let mut queue = BinaryHeap::new();
    let push_pair =
        |symbols: &[Symbol], queue: &mut BinaryHeap<Bigram>, left: usize, right: usize| {
            if left == NONE || right == NONE {
                return;
            }
            let (l, r) = (symbols[left], symbols[right]);
            let pair = &text[l.start..r.start + r.len];
            if let Some(id) = vocab.id_of(pair) {
                queue.push(Bigram {
                    score: vocab.tokens[id as usize].score,
                    left,
                    right,
                    size: pair.len(),
                });
            }
        };
    for i in 1..symbols.len() {
        push_pair(&symbols, &mut queue, i - 1, i);
    }
    while let Some(bigram) = queue.pop() {
        let (l, r) = (symbols[bigram.left], symbols[bigram.right]);
        if l.len == 0 || r.len == 0 || l.len + r.len != bigram.size {
            continue; // outdated
        }
        symbols[bigram.left].len += r.len;
        symbols[bigram.right].len = 0;
        symbols[bigram.left].next = r.next;
        if r.next != NONE {
            symbols[r.next].prev = bigram.left;
        }
        push_pair(&symbols, &mut queue, l.prev, bigram.left);
        push_pair(&symbols, &mut queue, bigram.left, r.next);
    }

    let mut i = 0;
    while i != NONE {
        let sym = symbols[i];
        let piece = &text[sym.start..sym.start + sym.len];
        match vocab.id_of(piece) {
            Some(id) => out.push(id),
            None => out.extend(piece.bytes().filter_map(|b| byte_token(vocab, b))),
        }
        i = sym.next;
    }
}

/// The token of one byte: `<0xXX>`, else the byte itself as a token, else (where llama.cpp
/// gives up) the unknown token.
fn byte_token(vocab: &Vocab, b: u8) -> Option<u32> {
    vocab
        .id_of(&format!("<0x{b:02X}>"))
        .or_else(|| {
            b.is_ascii()
                .then(|| vocab.id_of(char::from(b).encode_utf8(&mut [0; 4])))?
        })
        .or(vocab.unk)
}
