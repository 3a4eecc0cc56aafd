//! The truncation filters and the temperature of the chain, each as llama.cpp applies
//! it (with `min_keep` = 0): top-k, locally typical, top-p (nucleus), min-p.
//! Probabilities are always those of the candidates still in the list.

use std::cmp::Ordering;

use super::candidates::{Candidate, Candidates};

/// Above this many candidates, top-p first sorts only the best [`TOP_P_FIRST_GUESS`]
/// and sorts everything only if their probability falls short of `p`.
const TOP_P_PARTIAL_SORT_ABOVE: usize = 1024;
const TOP_P_FIRST_GUESS: usize = 256;

/// Keeps the `k` best candidates, sorted best first; `k` = 0 keeps all (unsorted).
pub(crate) fn top_k(cands: &mut Candidates, k: usize) {
    if k == 0 {
        return;
    }
    cands.sort_prefix(k);
    cands.truncate(k);
}

/// Locally typical sampling: with `H` the entropy of the candidates, orders them by
/// `|-ln p - H|` and keeps them until their probability sum exceeds `p` (at least one).
/// `scores` and `kept` are reused buffers.
pub(crate) fn typical(
    cands: &mut Candidates,
    p: f32,
    scores: &mut Vec<(f32, usize)>,
    kept: &mut Vec<Candidate>,
) {
    if p >= 1.0 || cands.is_empty() {
        return;
    }
    cands.softmax();
    let entropy: f32 = cands
        .items()
        .iter()
        .filter(|c| c.p > 0.0)
        .map(|c| -c.p * c.p.ln())
        .sum();
    scores.clear();
    scores.extend(
        cands
            .items()
            .iter()
            .enumerate()
            .map(|(i, c)| ((-c.p.ln() - entropy).abs(), i)),
    );
    let items = cands.items();
    scores.sort_unstable_by(|a, b| {
        a.0.partial_cmp(&b.0)
            .unwrap_or(Ordering::Equal)
            .then(items[a.1].id.cmp(&items[b.1].id))
    });
    let mut cum = 0.0f32;
    let mut keep = scores.len();
    for (n, &(_, i)) in scores.iter().enumerate() {
        cum += items[i].p;
        if cum > p {
            keep = n + 1;
            break;
        }
    }
    kept.clear();
    kept.extend(scores[..keep].iter().map(|&(_, i)| items[i]));
    cands.replace(kept);
}

/// Nucleus sampling: keeps the smallest set of best candidates whose probability sum
/// reaches `p` (at least one).
pub(crate) fn top_p(cands: &mut Candidates, p: f32) {
    if p >= 1.0 || cands.is_empty() {
        return;
    }
    cands.softmax();
    let len = cands.len();
    let mut sorted_upto = if cands.is_sorted() {
        len
    } else if len > TOP_P_PARTIAL_SORT_ABOVE {
        cands.sort_prefix(TOP_P_FIRST_GUESS);
        TOP_P_FIRST_GUESS
    } else {
        cands.sort();
        len
    };
    let mut cum = 0.0f32;
    let mut keep = len;
    for i in 0..len {
        if i == sorted_upto {
            cands.sort();
            sorted_upto = len;
        }
        cum += cands.items()[i].p;
        if cum >= p {
            keep = i + 1;
            break;
        }
    }
    cands.truncate(keep);
}

/// Keeps the candidates whose probability is at least `p` times the best one's, that is
/// whose logit is at least `max + ln p`.
pub(crate) fn min_p(cands: &mut Candidates, p: f32) {
    if p <= 0.0 || cands.is_empty() {
        return;
    }
    let min_logit = cands.max_logit() + p.ln();
    cands.retain(|c| c.logit >= min_logit);
}

/// Divides every logit by `t` (> 0).
pub(crate) fn temperature(cands: &mut Candidates, t: f32) {
    for c in cands.items_mut_unordered() {
        c.logit /= t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Candidates whose softmax is exactly `probs`.
    fn from_probs(probs: &[f32]) -> Candidates {
        let logits: Vec<f32> = probs.iter().map(|p| p.ln()).collect();
        let mut c = Candidates::with_capacity(logits.len());
        c.fill(&logits);
        c
    }

    fn sorted_ids(c: &Candidates) -> Vec<u32> {
        let mut ids: Vec<u32> = c.items().iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn top_k_keeps_the_k_best() {
        let mut c = from_probs(&[0.1, 0.3, 0.05, 0.4, 0.15]);
        top_k(&mut c, 3);
        assert_eq!(
            c.items().iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![3, 1, 4]
        );
        let mut c = from_probs(&[0.1, 0.3, 0.6]);
        top_k(&mut c, 10);
        assert_eq!(c.len(), 3);
        top_k(&mut c, 0);
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn top_p_keeps_the_minimal_nucleus() {
        let probs = [0.1, 0.4, 0.05, 0.3, 0.15];
        // best first: 0.4, 0.3 (0.7), 0.15 (0.85), 0.1 (0.95), 0.05
        for (p, want) in [
            (0.3, vec![1]),
            (0.39, vec![1]),
            (0.5, vec![1, 3]),
            (0.75, vec![1, 3, 4]),
            (0.9, vec![0, 1, 3, 4]),
            (0.99, vec![0, 1, 2, 3, 4]),
            (0.0, vec![1]),
        ] {
            let mut c = from_probs(&probs);
            top_p(&mut c, p);
            assert_eq!(sorted_ids(&c), want, "top_p {p}");
        }
    }

    #[test]
    fn top_p_on_a_large_vocabulary_matches_a_full_sort() {
        // 4096 tokens, a flat tail: the nucleus needs more than the first partial sort.
        let logits: Vec<f32> = (0..4096)
            .map(|i| -((i * 7919 % 4096) as f32) / 4096.0)
            .collect();
        for p in [0.01, 0.5, 0.95] {
            let mut fast = Candidates::with_capacity(logits.len());
            fast.fill(&logits);
            top_p(&mut fast, p);
            let mut full = Candidates::with_capacity(logits.len());
            full.fill(&logits);
            full.sort();
            top_p(&mut full, p);
            let ids = |c: &Candidates| c.items().iter().map(|c| c.id).collect::<Vec<_>>();
            assert_eq!(ids(&fast), ids(&full), "top_p {p}");
            assert!(fast.len() > 1);
        }
    }

    #[test]
    fn min_p_uses_a_threshold_relative_to_the_best() {
        let probs = [0.5, 0.2, 0.05, 0.25];
        let mut c = from_probs(&probs);
        min_p(&mut c, 0.35); // keep p >= 0.175
        assert_eq!(sorted_ids(&c), vec![0, 1, 3]);
        let mut c = from_probs(&probs);
        min_p(&mut c, 0.6); // keep p >= 0.3
        assert_eq!(sorted_ids(&c), vec![0]);
        let mut c = from_probs(&probs);
        min_p(&mut c, 0.0);
        assert_eq!(c.len(), 4);
    }

    #[test]
    fn typical_keeps_tokens_closest_to_the_entropy() {
        // H = -(0.5 ln 0.5 + 0.3 ln 0.3 + 0.2 ln 0.2) = 1.0297
        // |-ln p - H|: 0.5 -> 0.3366, 0.3 -> 0.1743, 0.2 -> 0.5797
        let probs = [0.5, 0.3, 0.2];
        for (p, want) in [(0.2, vec![1]), (0.5, vec![0, 1]), (0.85, vec![0, 1, 2])] {
            let mut c = from_probs(&probs);
            typical(&mut c, p, &mut Vec::new(), &mut Vec::new());
            assert_eq!(sorted_ids(&c), want, "typical {p}");
        }
        // The most likely token is not necessarily kept.
        let mut c = from_probs(&probs);
        typical(&mut c, 0.2, &mut Vec::new(), &mut Vec::new());
        assert_eq!(c.items()[0].id, 1);
        let mut c = from_probs(&probs);
        typical(&mut c, 1.0, &mut Vec::new(), &mut Vec::new());
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn temperature_scales_logits() {
        let mut c = Candidates::with_capacity(2);
        c.fill(&[1.0, -2.0]);
        temperature(&mut c, 0.5);
        assert_eq!(
            c.items().iter().map(|c| c.logit).collect::<Vec<_>>(),
            vec![2.0, -4.0]
        );
    }
}
