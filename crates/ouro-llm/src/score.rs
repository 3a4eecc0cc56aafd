//! Scoring text: the log-probability the model gives each token of a text after the tokens
//! before it (prompt log-probabilities, as llama.cpp's perplexity tool and OpenAI's `echo`
//! with `logprobs` report them), and the token the model expected instead: `ouro llm score`
//! prints them, to see where a model finds a text surprising.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::engine::{Engine, EngineError};
use crate::model::Logits;

/// Tokens run through the model per forward pass while scoring: bounds the logits buffer
/// (one row of the vocabulary per token).
const CHUNK: usize = 64;

/// One token of a scored text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenScore {
    /// The token.
    pub token: u32,
    /// ln p(token | the tokens before it).
    pub logprob: f32,
    /// The token the model found most likely at this place.
    pub top: u32,
    /// ln p(top | the tokens before it).
    pub top_logprob: f32,
}

impl Engine {
    /// Scores `tokens[from..]` given all the tokens before each: one [`TokenScore`] per token
    /// from `from` on (`from` ≥ 1: the first token has nothing to be predicted from). The
    /// text is run in chunks in a fresh context of `tokens.len()` positions. Setting
    /// `cancel` stops early, with the scores so far.
    pub fn score(
        &self,
        tokens: &[u32],
        from: usize,
        cancel: &AtomicBool,
    ) -> Result<Vec<TokenScore>, EngineError> {
        if tokens.is_empty() {
            return Err(EngineError::EmptyPrompt);
        }
        let from = from.max(1);
        let mut seq = self.new_sequence(tokens.len())?;
        let mut scores = Vec::with_capacity(tokens.len().saturating_sub(from));
        // Logits are needed for positions from-1 .. len-1 (each predicts the next token);
        // the tokens before that are only context.
        let context_end = from - 1;
        if context_end > 0 {
            self.forward(&mut seq, &tokens[..context_end], Logits::Last)?;
        }
        let mut start = context_end;
        while start < tokens.len() - 1 {
            if cancel.load(Ordering::Relaxed) {
                break;
            }
            let end = (start + CHUNK).min(tokens.len() - 1);
            let logits = self.forward(&mut seq, &tokens[start..end], Logits::All)?;
            let n_vocab = logits.len() / (end - start);
            for (row, next) in logits.chunks_exact(n_vocab).zip(&tokens[start + 1..=end]) {
                scores.push(score_row(row, *next));
            }
            start = end;
        }
        Ok(scores)
    }
}

/// The score of `token` in one row of logits.
fn score_row(row: &[f32], token: u32) -> TokenScore {
    let (top, max) = row
        .iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &l)| {
            if l > best.1 { (i, l) } else { best }
        });
    let log_sum = max + row.iter().map(|&l| (l - max).exp()).sum::<f32>().ln();
    let at = |i: usize| row.get(i).map_or(f32::NEG_INFINITY, |&l| l - log_sum);
    TokenScore {
        token,
        logprob: at(token as usize),
        top: top as u32,
        top_logprob: at(top),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_scores_its_token_against_the_most_likely_one() {
        let row = [0.0f32, 2.0, 1.0, f32::NEG_INFINITY];
        let s = score_row(&row, 2);
        assert_eq!(s.top, 1);
        let z = (0f32.exp() + 2f32.exp() + 1f32.exp()).ln();
        assert!((s.logprob - (1.0 - z)).abs() < 1e-5, "{s:?}");
        assert!((s.top_logprob - (2.0 - z)).abs() < 1e-5, "{s:?}");
        assert_eq!(score_row(&row, 3).logprob, f32::NEG_INFINITY);
        assert_eq!(score_row(&row, 9).logprob, f32::NEG_INFINITY);
    }
}
