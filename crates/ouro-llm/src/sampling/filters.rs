//! The truncation filters after top-k and the temperature of the chain, each as
//! llama.cpp applies it (with `min_keep` = 0): locally typical, top-p (nucleus), min-p.
//! (Top-k happens while the candidates are read, in `Candidates::fill_best`.)
//! Probabilities are always those of the candidates still in the list.

use std::cmp::Ordering;

use super::candidates::{Candidate, Candidates, best_first};
use super::select::{Weighing, best_prefix_reaching};

/// Locally typical sampling: with `H` the entropy of the candidates, ranks them by
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
    let items = cands.items();
    let entropy: f32 = items
        .iter()
        .filter(|c| c.p > 0.0)
        .map(|c| -c.p * c.p.ln())
        .sum();
    scores.clear();
    scores.extend(
        items
            .iter()
            .enumerate()
            .map(|(i, c)| ((-c.p.ln() - entropy).abs(), i)),
    );
    let closest_first = |a: &(f32, usize), b: &(f32, usize)| {
        a.0.partial_cmp(&b.0)
            .unwrap_or(Ordering::Equal)
            .then(items[a.1].id.cmp(&items[b.1].id))
    };
    let weighing = Weighing {
        better: closest_first,
        key: |s: &(f32, usize)| s.0,
        mass: |s: &(f32, usize)| items[s.1].p,
    };
    let keep = best_prefix_reaching(scores, &weighing, p, true);
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
    let max = cands.max_logit();
    let weighing = Weighing {
        better: best_first,
        key: |c: &Candidate| max - c.logit,
        mass: |c: &Candidate| c.p,
    };
    let keep = best_prefix_reaching(cands.items_mut_unordered(), &weighing, p, false);
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
    fn top_p_on_a_large_vocabulary_keeps_the_best_prefix() {
        // 4096 distinct, nearly flat logits: the nucleus spans many selection rounds.
        let logits: Vec<f32> = (0..4096)
            .map(|i| -((i * 7919 % 4096) as f32) / 4096.0)
            .collect();
        let weights: Vec<f64> = (0..4096).map(|i| (-(i as f64) / 4096.0).exp()).collect();
        let total: f64 = weights.iter().sum();
        let mass = |m: usize| weights[..m].iter().sum::<f64>() / total;
        for p in [0.01, 0.5, 0.95] {
            let mut c = Candidates::with_capacity(logits.len());
            c.fill(&logits);
            top_p(&mut c, p);
            let n = c.items().len();
            // Exactly the n best logits, which are 0, -1/4096, -2/4096, ...
            let mut kept: Vec<f32> = c.items().iter().map(|c| c.logit).collect();
            kept.sort_unstable_by(|a, b| b.total_cmp(a));
            let want: Vec<f32> = (0..n).map(|i| -(i as f32) / 4096.0).collect();
            assert_eq!(kept, want, "top_p {p}");
            // And the smallest such set: it reaches p, one token fewer does not.
            let p = f64::from(p);
            assert!(
                mass(n) >= p - 1e-6 && mass(n - 1) < p + 1e-6,
                "top_p {p}: {n}"
            );
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
        assert_eq!(c.items().len(), 4);
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
        assert_eq!(c.items().len(), 3);
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
