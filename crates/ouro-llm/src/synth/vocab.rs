//! A synthetic but valid byte-level BPE vocabulary (GPT-2 style) and a ChatML template.
//!
//! The vocabulary holds three control tokens, the 256 byte tokens spelled with GPT-2's
//! byte-to-unicode mapping, and then one token per merge. Each merge joins a word-like
//! token (letters, optionally after the space marker `Ġ`) with a letters-only token, and
//! is kept only if BPE then really encodes the joined text as that one token; the merges
//! are drawn deterministically from the seed.

use std::collections::{HashMap, HashSet};

use super::rng::Rng;

/// The control tokens, in id order: end of text, message start (BOS), message end (EOS).
pub const SPECIAL_TOKENS: [&str; 3] = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];
/// Id of the beginning-of-sequence token.
pub const BOS_ID: u32 = 1;
/// Id of the end-of-sequence token.
pub const EOS_ID: u32 = 2;
/// Smallest vocabulary: the control tokens and the byte tokens.
pub const MIN_VOCAB: u64 = SPECIAL_TOKENS.len() as u64 + 256;

/// llama.cpp's token type of ordinary tokens.
const TOKEN_TYPE_NORMAL: i32 = 1;
/// llama.cpp's token type of control tokens.
const TOKEN_TYPE_CONTROL: i32 = 3;
/// Longest merged token, in bytes.
const MAX_TOKEN_BYTES: usize = 12;

/// The ChatML chat template (as used by SmolLM2 and Qwen2 instruct models).
pub const CHAT_TEMPLATE: &str = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/// A generated vocabulary, ready for the `tokenizer.ggml.*` metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Vocab {
    pub tokens: Vec<String>,
    pub token_types: Vec<i32>,
    /// Merges in rank order, each "left right".
    pub merges: Vec<String>,
}

/// GPT-2's mapping of the 256 byte values to printable characters.
pub fn byte_to_unicode() -> [char; 256] {
    let mut map = ['\0'; 256];
    let mut next = 256u32;
    for (b, slot) in map.iter_mut().enumerate() {
        let printable = matches!(b, 0x21..=0x7E | 0xA1..=0xAC | 0xAE..=0xFF);
        let code = if printable {
            b as u32
        } else {
            next += 1;
            next - 1
        };
        // Every code point here is below 0x200, so always a valid char.
        *slot = char::from_u32(code).unwrap_or('\u{FFFD}');
    }
    map
}

/// A merge: the rank it has and the token it makes.
type Merges = HashMap<(u32, u32), (usize, u32)>;

/// Runs byte-pair encoding over `symbols` (token ids): repeatedly joins the adjacent pair
/// with the lowest merge rank, as llama.cpp's BPE tokenizer does within one pre-token.
fn bpe(mut symbols: Vec<u32>, merges: &Merges) -> Vec<u32> {
    loop {
        let best = symbols
            .windows(2)
            .enumerate()
            .filter_map(|(i, w)| merges.get(&(w[0], w[1])).map(|&(rank, id)| (rank, i, id)))
            .min();
        let Some((_, i, id)) = best else {
            return symbols;
        };
        symbols[i] = id;
        symbols.remove(i + 1);
    }
}

/// Builds a vocabulary of exactly `n_vocab` tokens (at least [`MIN_VOCAB`]).
///
/// A candidate merge `left right` is kept only when BPE over its bytes, with the merges
/// so far, ends in exactly `[left, right]`: then the new merge makes it one token, and
/// later (higher-ranked) merges can never change that, so every token's text encodes to
/// that token.
pub fn build_vocab(n_vocab: u64, seed: u64) -> Vocab {
    let chars = byte_to_unicode();
    let mut tokens: Vec<String> = SPECIAL_TOKENS.iter().map(|s| s.to_string()).collect();
    let mut token_types = vec![TOKEN_TYPE_CONTROL; SPECIAL_TOKENS.len()];
    let n_special = tokens.len() as u32;
    let byte_token = |b: u8| n_special + u32::from(b);
    // The bytes each token stands for (none for the control tokens).
    let mut token_bytes: Vec<Vec<u8>> = vec![Vec::new(); tokens.len()];
    for b in 0..=255u8 {
        tokens.push(chars[b as usize].to_string());
        token_bytes.push(vec![b]);
    }
    token_types.resize(tokens.len(), TOKEN_TYPE_NORMAL);

    // Letters-only tokens may be right parts; those and space-led ones may be left parts.
    // The first 52 letters are the single ASCII letters.
    let mut letters: Vec<u32> = (b'a'..=b'z').chain(b'A'..=b'Z').map(byte_token).collect();
    let mut words = letters.clone();
    words.push(byte_token(b' '));
    let mut seen: HashSet<Vec<u8>> = token_bytes
        .iter()
        .skip(SPECIAL_TOKENS.len())
        .cloned()
        .collect();

    let n_merges = n_vocab.saturating_sub(tokens.len() as u64) as usize;
    let mut merges = Vec::with_capacity(n_merges);
    let mut ranks = Merges::new();
    let mut rng = Rng::new(seed ^ 0x7E57_0CAB);
    while merges.len() < n_merges {
        let left = words[rng.below(words.len() as u64) as usize];
        // Half the time a single letter, so that long left parts still find partners.
        let pool = if rng.below(2) == 0 { 52 } else { letters.len() };
        let right = letters[rng.below(pool as u64) as usize];
        let bytes = [
            &token_bytes[left as usize][..],
            &token_bytes[right as usize][..],
        ]
        .concat();
        if bytes.len() > MAX_TOKEN_BYTES || seen.contains(&bytes) {
            continue;
        }
        if bpe(bytes.iter().map(|&b| byte_token(b)).collect(), &ranks) != [left, right] {
            continue;
        }
        let id = tokens.len() as u32;
        ranks.insert((left, right), (merges.len(), id));
        merges.push(format!(
            "{} {}",
            tokens[left as usize], tokens[right as usize]
        ));
        tokens.push(bytes.iter().map(|&b| chars[b as usize]).collect());
        token_types.push(TOKEN_TYPE_NORMAL);
        if bytes[0] != b' ' {
            letters.push(id);
        }
        // Only tokens that can still grow stay candidates for left parts.
        if bytes.len() < MAX_TOKEN_BYTES {
            words.push(id);
        }
        seen.insert(bytes.clone());
        token_bytes.push(bytes);
    }
    Vocab {
        tokens,
        token_types,
        merges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_mapping_matches_gpt2() {
        let m = byte_to_unicode();
        assert_eq!(m[b'a' as usize], 'a');
        assert_eq!(m[b' ' as usize], 'Ġ');
        assert_eq!(m[b'\n' as usize], 'Ċ');
        assert_eq!(m[0], 'Ā');
        assert_eq!(m[0xAD], 'Ń');
        let unique: HashSet<char> = m.iter().copied().collect();
        assert_eq!(unique.len(), 256);
    }

    #[test]
    fn vocab_is_valid_bpe() {
        let v = build_vocab(5000, 7);
        assert_eq!(v.tokens.len(), 5000);
        assert_eq!(v.token_types.len(), 5000);
        assert_eq!(v.merges.len(), 5000 - MIN_VOCAB as usize);
        let ids: std::collections::HashMap<&str, usize> = v
            .tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i))
            .collect();
        assert_eq!(ids.len(), v.tokens.len(), "tokens are unique");
        // Every merge joins two earlier tokens into the token at its rank.
        for (rank, m) in v.merges.iter().enumerate() {
            let (l, r) = m.split_once(' ').unwrap();
            let id = MIN_VOCAB as usize + rank;
            assert_eq!(v.tokens[id], format!("{l}{r}"));
            assert!(ids[l] < id && ids[r] < id, "{m}");
            assert!(!r.starts_with('Ġ') && !l.is_empty());
        }
        // Every token's text encodes to exactly that token.
        let mut ranks = Merges::new();
        for (rank, m) in v.merges.iter().enumerate() {
            let (l, r) = m.split_once(' ').unwrap();
            let id = (MIN_VOCAB as usize + rank) as u32;
            ranks.insert((ids[l] as u32, ids[r] as u32), (rank, id));
        }
        let unicode_to_id: HashMap<char, u32> = byte_to_unicode()
            .iter()
            .enumerate()
            .map(|(b, &c)| (c, 3 + b as u32))
            .collect();
        for (id, text) in v.tokens.iter().enumerate().skip(3) {
            let symbols = text.chars().map(|c| unicode_to_id[&c]).collect();
            assert_eq!(bpe(symbols, &ranks), [id as u32], "{text}");
        }
        assert_eq!(v.tokens[BOS_ID as usize], "<|im_start|>");
        assert_eq!(v.tokens[EOS_ID as usize], "<|im_end|>");
    }

    #[test]
    fn vocab_depends_on_the_seed_only() {
        assert_eq!(build_vocab(1000, 1), build_vocab(1000, 1));
        assert_ne!(build_vocab(1000, 1).merges, build_vocab(1000, 2).merges);
        assert_eq!(build_vocab(MIN_VOCAB, 1).merges.len(), 0);
    }
}
