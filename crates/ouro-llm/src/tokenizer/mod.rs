//! Tokenizers built from a GGUF file's vocabulary, producing exactly llama.cpp's token ids.
//!
//! [`Tokenizer::from_gguf`] reads `tokenizer.ggml.*`: byte-level BPE vocabularies ("gpt2", with
//! the pre-tokenizer named by `tokenizer.ggml.pre`) and SentencePiece ones ("llama"). Encoding
//! first cuts special tokens out of the text ([`special`]), then pre-tokenizes
//! ([`pretokenize`]) and merges ([`bpe`], [`spm`]). [`Utf8Stream`] turns streamed token pieces
//! into printable text.

mod attr;
mod bpe;
mod decode;
mod pretokenize;
mod special;
mod spm;
mod symbols;
mod unicode;
mod unicode_table;
mod utf8_stream;
mod vocab;

pub use attr::TokenAttr;
pub use pretokenize::PreTokenizerKind;
pub use utf8_stream::Utf8Stream;
pub use vocab::TokenizerModel;

use crate::gguf::{GgufError, GgufFile};
use bpe::BpeSession;
use special::Fragment;
use unicode::ByteEncoder;
use vocab::Vocab;

/// Why a tokenizer could not be built from a GGUF file.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    #[error(transparent)]
    Gguf(#[from] GgufError),
    #[error(
        "unsupported tokenizer model '{0}' in tokenizer.ggml.model (ouro reads \"gpt2\" and \"llama\")"
    )]
    UnsupportedModel(String),
    #[error("unsupported pre-tokenizer '{0}' in tokenizer.ggml.pre")]
    UnsupportedPreTokenizer(String),
    #[error("metadata key '{key}': {reason}")]
    BadMetadata { key: String, reason: String },
}

/// A model's tokenizer: text to token ids and back.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    vocab: Vocab,
    /// Every token's bytes (special tokens as their text), computed once.
    pieces: Vec<Vec<u8>>,
    bytes: ByteEncoder,
}

impl Tokenizer {
    /// Build the tokenizer described by `gguf`'s metadata.
    pub fn from_gguf(gguf: &GgufFile) -> Result<Tokenizer, TokenizerError> {
        let vocab = Vocab::from_gguf(gguf)?;
        let pieces = (0..vocab.tokens.len())
            .map(|i| decode::piece(&vocab, u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        Ok(Tokenizer {
            vocab,
            pieces,
            bytes: ByteEncoder::new(),
        })
    }

    /// Token ids of `text`, as llama.cpp's `llama_tokenize(vocab, text, add_special,
    /// parse_special)`: `add_special` adds BOS/EOS where the vocabulary asks for them;
    /// `parse_special` turns the text of control tokens (like `<|im_start|>`) into those tokens.
    pub fn encode(&self, text: &str, add_special: bool, parse_special: bool) -> Vec<u32> {
        let vocab = &self.vocab;
        let fragments = special::partition(vocab, text, parse_special);
        let mut out = Vec::with_capacity(text.len() / 3 + 2);
        if add_special
            && vocab.add_bos
            && let Some(bos) = vocab.bos
        {
            out.push(bos);
        }
        match vocab.model {
            TokenizerModel::Spm => {
                let mut prev_special = true;
                let mut buf = String::new();
                for fragment in fragments {
                    match fragment {
                        Fragment::Text(t) => {
                            buf.clear();
                            if vocab.add_space_prefix && prev_special {
                                buf.push('\u{2581}');
                            }
                            for c in t.chars() {
                                buf.push(if c == ' ' { '\u{2581}' } else { c });
                            }
                            spm::encode(vocab, &buf, &mut out);
                            prev_special = false;
                        }
                        Fragment::Token(id) => {
                            out.push(id);
                            prev_special = true;
                        }
                    }
                }
            }
            TokenizerModel::Bpe(pre) => {
                let mut session = BpeSession::default();
                let mut word_buf = String::new();
                for fragment in fragments {
                    match fragment {
                        Fragment::Text(t) => {
                            for word in pre.split(t) {
                                word_buf.clear();
                                self.bytes.encode_into(word, &mut word_buf);
                                session.encode_word(vocab, &word_buf, &mut out);
                            }
                        }
                        Fragment::Token(id) => out.push(id),
                    }
                }
            }
        }
        if add_special
            && vocab.add_eos
            && let Some(eos) = vocab.eos
        {
            out.push(eos);
        }
        out
    }

    /// The text of `tokens`. With `skip_special`, control and unknown tokens (and a BOS/EOS the
    /// vocabulary adds) are left out; otherwise they appear as their text. Bytes that are not
    /// valid UTF-8 become U+FFFD, but only after all pieces are joined.
    pub fn decode(&self, tokens: &[u32], skip_special: bool) -> String {
        let bytes = decode::detokenize(
            &self.vocab,
            &self.pieces,
            tokens,
            skip_special,
            !skip_special,
        );
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The raw bytes of one token (special tokens as their text; empty for an unknown id). A
    /// piece may be part of a UTF-8 character: feed pieces to a [`Utf8Stream`] to print them.
    pub fn token_to_piece(&self, token: u32) -> Vec<u8> {
        self.pieces.get(token as usize).cloned().unwrap_or_default()
    }

    /// Number of tokens in the vocabulary.
    pub fn n_vocab(&self) -> usize {
        self.vocab.tokens.len()
    }

    /// The beginning-of-sequence token.
    pub fn bos(&self) -> Option<u32> {
        self.vocab.bos
    }

    /// The end-of-sequence token.
    pub fn eos(&self) -> Option<u32> {
        self.vocab.eos
    }

    /// Whether [`Tokenizer::encode`] with `add_special` starts with BOS.
    pub fn adds_bos(&self) -> bool {
        self.vocab.add_bos && self.vocab.bos.is_some()
    }

    /// True for tokens that end generation: EOS, end-of-turn tokens (`<|im_end|>`,
    /// `<|eot_id|>`, `<|endoftext|>`, ...) and the other ones llama.cpp treats so.
    pub fn is_eog(&self, token: u32) -> bool {
        self.vocab.eog.contains(&token)
    }

    /// Every end-of-generation token (see [`Tokenizer::is_eog`]), in id order.
    pub fn eog_tokens(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self.vocab.eog.iter().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// The vocabulary text of a token (byte-level encoded for BPE vocabularies).
    pub fn token_text(&self, token: u32) -> Option<&str> {
        self.vocab
            .tokens
            .get(token as usize)
            .map(|t| t.text.as_str())
    }

    /// The attributes of a token (undefined for an unknown id).
    pub fn token_attr(&self, token: u32) -> TokenAttr {
        self.vocab.attr(token)
    }

    /// The id of a token text, if the vocabulary has it.
    pub fn token_id(&self, text: &str) -> Option<u32> {
        self.vocab.id_of(text)
    }

    /// The tokenization algorithm.
    pub fn model(&self) -> TokenizerModel {
        self.vocab.model
    }
}
