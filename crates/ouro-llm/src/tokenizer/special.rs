//! Special tokens in raw text: cutting text into plain-text fragments and special token ids
//! before tokenizing, exactly as llama.cpp's `tokenizer_st_partition` does (longest special
//! token first; control and unknown tokens only when special parsing is on).

use super::attr::TokenAttr;
use super::vocab::Vocab;

/// A piece of input: text still to tokenize, or a special token found in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fragment<'t> {
    Text(&'t str),
    Token(u32),
}

/// Cut `text` at every occurrence of the vocabulary's special tokens. User-defined tokens are
/// always cut out; control and unknown ones only when `parse_special` is true.
pub(crate) fn partition<'t>(
    vocab: &Vocab,
    text: &'t str,
    parse_special: bool,
) -> Vec<Fragment<'t>> {
    let mut fragments = Vec::new();
    if !text.is_empty() {
        fragments.push(Fragment::Text(text));
    }
    for &id in &vocab.special_tokens {
        let token = &vocab.tokens[id as usize];
        if !parse_special
            && token
                .attr
                .intersects(TokenAttr::CONTROL | TokenAttr::UNKNOWN)
        {
            continue;
        }
        let needle = token.text.as_str();
        if !fragments
            .iter()
            .any(|f| matches!(f, Fragment::Text(t) if t.contains(needle)))
        {
            continue;
        }
        let lstrip = token.attr.intersects(TokenAttr::LSTRIP);
        let rstrip = token.attr.intersects(TokenAttr::RSTRIP);
        let mut next = Vec::with_capacity(fragments.len() + 2);
        for fragment in fragments {
            let Fragment::Text(mut rest) = fragment else {
                next.push(fragment);
                continue;
            };
            while let Some(at) = rest.find(needle) {
                let mut left = &rest[..at];
                if lstrip {
                    left = left.trim_end_matches(is_c_space);
                }
                if !left.is_empty() {
                    next.push(Fragment::Text(left));
                }
                next.push(Fragment::Token(id));
                rest = &rest[at + needle.len()..];
                if rstrip {
                    rest = rest.trim_start_matches(is_c_space);
                }
            }
            if !rest.is_empty() {
                next.push(Fragment::Text(rest));
            }
        }
        fragments = next;
    }
    fragments
}

/// C's `isspace` in the "C" locale.
fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
}
