//! Scoring text: the log-probability the model gives each token of a text after the tokens
//! before it (prompt log-probabilities, as llama.cpp's perplexity tool and OpenAI's `echo`
//! with `logprobs` report them), and the token the model expected instead: `ouro llm score`
//! prints them, to see where a model finds a text surprising. The same figures for each
//! token of a generated reply, with the likeliest alternatives, come from
//! [`token_logprob`] when [`crate::engine::GenerateOptions::logprobs`] asks for them.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::engine::{Engine, EngineError, TokenLogprob};
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

/// `token`'s log-probability in one row of logits, with the `k` likeliest tokens
/// (at most [`crate::engine::MAX_TOP_LOGPROBS`]).
pub(crate) fn token_logprob(row: &[f32], token: u32, k: usize) -> TokenLogprob {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let log_sum = max + row.iter().map(|&l| (l - max).exp()).sum::<f32>().ln();
    let k = k.min(crate::engine::MAX_TOP_LOGPROBS).min(row.len());
    let mut order: Vec<u32> = (0..row.len() as u32).collect();
    let by_logit = |a: &u32, b: &u32| row[*b as usize].total_cmp(&row[*a as usize]);
    if k > 0 && k < order.len() {
        order.select_nth_unstable_by(k - 1, by_logit);
    }
    order.truncate(k);
    order.sort_by(by_logit);
    TokenLogprob {
        token,
        logprob: row
            .get(token as usize)
            .map_or(f32::NEG_INFINITY, |&l| l - log_sum),
        top: order
            .into_iter()
            .map(|t| (t, row[t as usize] - log_sum))
            .collect(),
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

    #[test]
    fn a_chosen_token_comes_with_the_likeliest_alternatives() {
        let row = [0.0f32, 2.0, 1.0, -1.0];
        let z = row.iter().map(|l| l.exp()).sum::<f32>().ln();
        let t = token_logprob(&row, 3, 2);
        assert!((t.logprob - (-1.0 - z)).abs() < 1e-5, "{t:?}");
        assert_eq!(t.top.iter().map(|p| p.0).collect::<Vec<_>>(), vec![1, 2]);
        assert!((t.top[0].1 - (2.0 - z)).abs() < 1e-5);
        assert!(token_logprob(&row, 0, 0).top.is_empty());
        assert_eq!(token_logprob(&row, 0, 99).top.len(), 4);
    }
}
