//! Prompt-lookup drafts for speculative decoding: when a reply copies text it has seen (a
//! corrected file written back whole, the SEARCH part of an edit, a quoted line), the tokens
//! that followed the last few tokens the last time they occurred are a good guess of what
//! comes next. The engine runs such a guess through the model in one batch and keeps the
//! longest prefix the sampler itself would have produced, so the output is exactly what
//! token-by-token decoding samples, only with fewer forward passes when the guess is right.

/// Settings of prompt-lookup drafting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lookup {
    /// The longest n-gram looked up (tried first).
    pub ngram_max: usize,
    /// The shortest n-gram looked up.
    pub ngram_min: usize,
    /// Most tokens of one draft.
    pub max_draft: usize,
}

impl Default for Lookup {
    fn default() -> Self {
        Lookup {
            ngram_max: 4,
            ngram_min: 2,
            max_draft: 8,
        }
    }
}

impl Lookup {
    /// The draft after `history`: the tokens that followed the latest earlier occurrence of
    /// its last n tokens (longest n first), at most `limit` of them; empty when no n-gram
    /// recurs.
    pub fn draft(&self, history: &[u32], limit: usize) -> Vec<u32> {
        let limit = limit.min(self.max_draft);
        if limit == 0 {
            return Vec::new();
        }
        for n in (self.ngram_min.max(1)..=self.ngram_max).rev() {
            if history.len() <= n {
                continue;
            }
            let key = &history[history.len() - n..];
            // Latest occurrence that ends before the key itself and has a token after it.
            let found = (0..history.len() - n)
                .rev()
                .find(|&start| &history[start..start + n] == key);
            if let Some(start) = found {
                let from = start + n;
                let to = (from + limit).min(history.len());
                return history[from..to].to_vec();
            }
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_what_followed_the_last_ngram() {
        let lookup = Lookup::default();
        // "1 2 3 4 5 6 ... 1 2 3" → 4 5 6 (limited).
        let history = [1, 2, 3, 4, 5, 6, 9, 1, 2, 3];
        assert_eq!(lookup.draft(&history, 3), vec![4, 5, 6]);
        assert_eq!(lookup.draft(&history, 0), Vec::<u32>::new());
    }

    #[test]
    fn the_longest_and_latest_match_wins() {
        let lookup = Lookup::default();
        // The bigram (7, 8) occurs twice; the latest one is followed by 30.
        let history = [7, 8, 20, 7, 8, 30, 5, 7, 8];
        assert_eq!(lookup.draft(&history, 1), vec![30]);
        // A trigram match beats a later bigram one.
        let history = [1, 7, 8, 40, 2, 7, 8, 50, 1, 7, 8];
        assert_eq!(lookup.draft(&history, 1), vec![40]);
    }

    #[test]
    fn no_recurring_ngram_means_no_draft() {
        let lookup = Lookup::default();
        assert!(lookup.draft(&[1, 2, 3, 4, 5], 8).is_empty());
        assert!(lookup.draft(&[1], 8).is_empty());
        assert!(lookup.draft(&[], 8).is_empty());
    }
}
