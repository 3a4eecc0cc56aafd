//! The token environment llguidance works in, built from ouro's [`Tokenizer`]: every token's
//! bytes in a token trie (special tokens behind llguidance's `0xFF` marker, so that no text
//! can produce them), the end-of-generation tokens, and tokenizing bytes with ouro's own
//! encoder. (So a normal token for the raw byte 0xFF, which no UTF-8 text contains, reads
//! as a special token to llguidance; grammars of text never need it.)

use std::sync::Arc;

use llguidance::toktrie::{TokEnv, TokRxInfo, TokTrie, TokenId, TokenizerEnv};

use super::ConstrainedError;
use crate::tokenizer::{TokenAttr, Tokenizer};

/// A [`TokenizerEnv`] over an ouro [`Tokenizer`].
struct OuroTokEnv {
    trie: TokTrie,
    tokenizer: Tokenizer,
}

/// The bytes llguidance sees for each of `n_vocab` token ids: control and unknown tokens as
/// `0xFF` followed by their text, other tokens as the bytes they decode to, and ids past the
/// tokenizer's vocabulary (padding rows of the output matrix) as nothing, so that they are
/// never allowed.
pub(crate) fn token_bytes(tokenizer: &Tokenizer, n_vocab: usize) -> Vec<Vec<u8>> {
    (0..n_vocab)
        .map(|i| {
            let Ok(id) = u32::try_from(i) else {
                return Vec::new();
            };
            if i >= tokenizer.n_vocab() {
                return Vec::new();
            }
            let attr = tokenizer.token_attr(id);
            if attr.intersects(TokenAttr::CONTROL | TokenAttr::UNKNOWN) {
                let mut bytes = vec![TokTrie::SPECIAL_TOKEN_MARKER];
                bytes.extend_from_slice(tokenizer.token_text(id).unwrap_or("").as_bytes());
                bytes
            } else {
                tokenizer.token_to_piece(id)
            }
        })
        .collect()
}

/// The token environment of a model whose logits cover `n_vocab` ids.
pub(crate) fn token_env(tokenizer: &Tokenizer, n_vocab: usize) -> Result<TokEnv, ConstrainedError> {
    let vocab_size = u32::try_from(n_vocab).map_err(|_| ConstrainedError::Vocabulary {
        reason: format!("{n_vocab} tokens do not fit 32-bit ids"),
    })?;
    if tokenizer.n_vocab() > n_vocab {
        return Err(ConstrainedError::Vocabulary {
            reason: format!(
                "the tokenizer has {} tokens but the model's logits only {n_vocab}",
                tokenizer.n_vocab()
            ),
        });
    }
    let eog = tokenizer.eog_tokens();
    let Some(&first_eog) = eog.first() else {
        return Err(ConstrainedError::Vocabulary {
            reason: "the vocabulary has no end-of-generation token to end a grammar with".into(),
        });
    };
    let info = TokRxInfo {
        vocab_size,
        tok_eos: first_eog,
        tok_bos: tokenizer.bos(),
        tok_pad: None,
        tok_unk: None,
        tok_end_of_turn: None,
    };
    let words = token_bytes(tokenizer, n_vocab);
    let trie = TokTrie::from(&info, &words).with_eos_tokens(&eog);
    Ok(Arc::new(OuroTokEnv {
        trie,
        tokenizer: tokenizer.clone(),
    }))
}

impl OuroTokEnv {
    /// Tokenizes bytes with ouro's encoder; stretches that are not UTF-8 fall back to the
    /// longest-match tokens of the trie (byte tokens).
    fn tokenize(&self, bytes: &[u8], parse_special: bool) -> Vec<TokenId> {
        let mut out = Vec::new();
        for chunk in bytes.utf8_chunks() {
            if !chunk.valid().is_empty() {
                out.extend(self.tokenizer.encode(chunk.valid(), false, parse_special));
            }
            if !chunk.invalid().is_empty() {
                out.extend(self.trie.greedy_tokenize(chunk.invalid()));
            }
        }
        out
    }
}

impl TokenizerEnv for OuroTokEnv {
    fn tok_trie(&self) -> &TokTrie {
        &self.trie
    }

    fn tokenize_bytes(&self, s: &[u8]) -> Vec<TokenId> {
        self.tokenize(s, false)
    }

    fn tokenize_bytes_special(&self, s: &[u8]) -> Vec<TokenId> {
        self.tokenize(s, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::GgufFile;
    use crate::synth::{SynthArch, SynthSpec, write_synth_model};

    fn tokenizer() -> Tokenizer {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        let spec = SynthSpec::preset(SynthArch::Llama, "tiny").unwrap();
        write_synth_model(&spec, &path, &mut |_, _| {}).unwrap();
        Tokenizer::from_gguf(&GgufFile::open(&path).unwrap()).unwrap()
    }

    #[test]
    fn special_tokens_are_marked_and_padding_is_empty() {
        let tok = tokenizer();
        let n = tok.n_vocab();
        let words = token_bytes(&tok, n + 3);
        assert_eq!(words.len(), n + 3);
        for eog in tok.eog_tokens() {
            let w = &words[eog as usize];
            assert_eq!(w[0], TokTrie::SPECIAL_TOKEN_MARKER, "{w:?}");
            assert_eq!(&w[1..], tok.token_text(eog).unwrap().as_bytes());
        }
        let a = tok.encode("a", false, false)[0];
        assert_eq!(words[a as usize], b"a");
        assert!(words[n..].iter().all(Vec::is_empty));
        let err = token_env(&tok, n - 1).err().unwrap();
        assert!(err.to_string().contains("logits only"), "{err}");
    }

    #[test]
    fn tokenizing_bytes_round_trips_even_when_not_utf8() {
        let tok = tokenizer();
        let env = token_env(&tok, tok.n_vocab()).unwrap();
        // (Byte 0xFF, never in UTF-8, is llguidance's special-token marker: left out.)
        let text = b"let x = \"caf\xc3\xa9\"; \xfe\xc3 end \xe2\x82";
        let ids = env.tokenize_bytes(text);
        assert_eq!(env.tok_trie().decode(&ids), text);
        assert_eq!(env.tok_trie().eos_tokens(), tok.eog_tokens());
        let valid = "fn main() {}";
        assert_eq!(
            env.tokenize_bytes(valid.as_bytes()),
            tok.encode(valid, false, false)
        );
    }
}
