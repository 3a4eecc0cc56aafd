//! Running a grammar during generation: [`GrammarCompiler`] holds a model's token
//! environment and compiles [`Grammar`]s into [`Guide`]s; a guide masks each step's logits
//! to the tokens the grammar allows and advances with each chosen token.

use llguidance::toktrie::SimpleVob;
use llguidance::{Matcher, ParserFactory};

use super::tok_env::token_env;
use super::{ConstrainedError, Grammar};
use crate::tokenizer::Tokenizer;

/// Compiles grammars for one model's vocabulary. Building it indexes every token (a few
/// tens of milliseconds for a 50k vocabulary); [`crate::engine::Engine`] builds one on
/// first use and keeps it.
pub struct GrammarCompiler {
    factory: ParserFactory,
    n_vocab: usize,
}

impl std::fmt::Debug for GrammarCompiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrammarCompiler")
            .field("n_vocab", &self.n_vocab)
            .finish()
    }
}

impl GrammarCompiler {
    /// A compiler for a model with `tokenizer` whose logits have `n_vocab` entries.
    pub fn new(tokenizer: &Tokenizer, n_vocab: usize) -> Result<GrammarCompiler, ConstrainedError> {
        let env = token_env(tokenizer, n_vocab)?;
        let mut factory =
            ParserFactory::new_simple(&env).map_err(|e| ConstrainedError::Vocabulary {
                reason: e.to_string(),
            })?;
        factory.quiet();
        Ok(GrammarCompiler { factory, n_vocab })
    }

    /// A fresh guide for `grammar`, or [`ConstrainedError::InvalidGrammar`] saying what is
    /// wrong with it.
    pub fn compile(&self, grammar: &Grammar) -> Result<Guide, ConstrainedError> {
        let parser = self
            .factory
            .create_parser(grammar.top_level().clone())
            .map_err(|e| ConstrainedError::InvalidGrammar {
                what: grammar.describe().to_string(),
                reason: e.to_string(),
            })?;
        let matcher = Matcher::new(Ok(parser));
        if let Some(reason) = matcher.get_error() {
            return Err(ConstrainedError::InvalidGrammar {
                what: grammar.describe().to_string(),
                reason,
            });
        }
        Ok(Guide {
            matcher,
            n_vocab: self.n_vocab,
            tokens: 0,
        })
    }
}

/// One generation's position in a grammar.
pub struct Guide {
    matcher: Matcher,
    n_vocab: usize,
    /// Tokens committed so far.
    tokens: usize,
}

impl std::fmt::Debug for Guide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guide")
            .field("tokens", &self.tokens)
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl Guide {
    /// The tokens the grammar allows next.
    pub fn allowed(&mut self) -> Result<SimpleVob, ConstrainedError> {
        self.matcher
            .compute_mask()
            .map_err(|e| ConstrainedError::Matcher {
                step: self.tokens,
                reason: e.to_string(),
            })
    }

    /// Sets the logit of every token the grammar does not allow next to `-inf`, so that
    /// any sampler picks an allowed one. Fails if the grammar allows no token at all.
    pub fn mask_logits(&mut self, logits: &mut [f32]) -> Result<(), ConstrainedError> {
        let allowed = self.allowed()?;
        if allowed.is_zero() {
            return Err(ConstrainedError::Matcher {
                step: self.tokens,
                reason: "the grammar allows no token here".into(),
            });
        }
        let words = allowed.as_slice();
        for (chunk, &word) in logits.chunks_mut(32).zip(words) {
            if word == u32::MAX {
                continue;
            }
            for (bit, logit) in chunk.iter_mut().enumerate() {
                if word & (1 << bit) == 0 {
                    *logit = f32::NEG_INFINITY;
                }
            }
        }
        let covered = words.len() * 32;
        if logits.len() > covered {
            logits[covered..].fill(f32::NEG_INFINITY);
        }
        Ok(())
    }

    /// Advances the grammar by the chosen token; fails if the grammar does not allow it.
    pub fn commit(&mut self, token: u32) -> Result<(), ConstrainedError> {
        if token as usize >= self.n_vocab {
            return Err(ConstrainedError::Matcher {
                step: self.tokens,
                reason: format!(
                    "token {token} is outside the vocabulary of {}",
                    self.n_vocab
                ),
            });
        }
        self.matcher
            .consume_token(token)
            .map_err(|e| ConstrainedError::Matcher {
                step: self.tokens,
                reason: e.to_string(),
            })?;
        self.tokens += 1;
        Ok(())
    }

    /// True once the text is complete: the grammar allows nothing but ending.
    pub fn is_finished(&self) -> bool {
        self.matcher.is_stopped()
    }

    /// True when the text so far is a complete match (ending now is allowed).
    pub fn is_accepting(&mut self) -> bool {
        self.matcher.is_accepting().unwrap_or(false)
    }
}
