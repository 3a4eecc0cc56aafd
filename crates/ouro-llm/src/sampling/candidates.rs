//! The candidate list the sampler chain narrows down: token ids with their logits and
//! probabilities, plus the ordering and softmax operations every filter shares.
//!
//! Order is "higher logit first, lower id first among equal logits", a total order once
//! NaN logits are replaced by `-inf` (done when the list is filled), so every sort and
//! selection is deterministic.

use std::cmp::Ordering;

/// One token still in the running.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Candidate {
    pub id: u32,
    pub logit: f32,
    /// Its probability after the last [`Candidates::softmax`].
    pub p: f32,
}

/// The chain's order: higher logit first, then lower id.
pub(crate) fn best_first(a: &Candidate, b: &Candidate) -> Ordering {
    b.logit
        .partial_cmp(&a.logit)
        .unwrap_or(Ordering::Equal)
        .then(a.id.cmp(&b.id))
}

/// The candidate list, reused from one call to the next (no allocation per call).
#[derive(Debug, Default)]
pub(crate) struct Candidates {
    items: Vec<Candidate>,
    /// How many leading items are known to be the best ones, in [`best_first`] order.
    sorted_prefix: usize,
}

impl Candidates {
    pub fn with_capacity(n: usize) -> Self {
        Self {
            items: Vec::with_capacity(n),
            sorted_prefix: 0,
        }
    }

    /// Refills the list with every token of `logits`, in id order (so index == id).
    /// NaN logits become `-inf`, so a broken logit can never win.
    pub fn fill(&mut self, logits: &[f32]) {
        self.items.clear();
        self.items
            .extend(logits.iter().zip(0u32..).map(|(&logit, id)| Candidate {
                id,
                logit: if logit.is_nan() {
                    f32::NEG_INFINITY
                } else {
                    logit
                },
                p: 0.0,
            }));
        self.sorted_prefix = 0;
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn items(&self) -> &[Candidate] {
        &self.items
    }

    /// Mutable access that may change the logits, so the known order is forgotten.
    pub fn items_mut_unordered(&mut self) -> &mut [Candidate] {
        self.sorted_prefix = 0;
        &mut self.items
    }

    pub fn is_sorted(&self) -> bool {
        self.sorted_prefix == self.items.len()
    }

    /// Keeps the first `n` items.
    pub fn truncate(&mut self, n: usize) {
        self.items.truncate(n);
        self.sorted_prefix = self.sorted_prefix.min(self.items.len());
    }

    /// Keeps the items for which `keep` holds, in their order. The order stays known only
    /// if the whole list was sorted (a filter on a sorted list is still sorted).
    pub fn retain(&mut self, keep: impl FnMut(&Candidate) -> bool) {
        let was_sorted = self.is_sorted();
        self.items.retain(keep);
        self.sorted_prefix = if was_sorted { self.items.len() } else { 0 };
    }

    /// Replaces the items by `new` (which the caller built from them), order unknown.
    pub fn replace(&mut self, new: &[Candidate]) {
        self.items.clear();
        self.items.extend_from_slice(new);
        self.sorted_prefix = 0;
    }

    /// Moves the best `n` items to the front, sorted, without sorting the rest
    /// (a selection in O(len) and a sort of `n`).
    pub fn sort_prefix(&mut self, n: usize) {
        let n = n.min(self.items.len());
        if n <= self.sorted_prefix {
            return;
        }
        if n < self.items.len() {
            self.items.select_nth_unstable_by(n - 1, best_first);
            self.items[..n].sort_unstable_by(best_first);
        } else {
            self.items.sort_unstable_by(best_first);
        }
        self.sorted_prefix = n;
    }

    /// Sorts the whole list.
    pub fn sort(&mut self) {
        self.sort_prefix(self.items.len());
    }

    /// The index of the best item (highest logit, lowest id among ties).
    pub fn argmax(&self) -> Option<usize> {
        if self.sorted_prefix > 0 {
            return Some(0);
        }
        let mut best: Option<(usize, &Candidate)> = None;
        for (i, c) in self.items.iter().enumerate() {
            if best.is_none_or(|(_, b)| best_first(c, b) == Ordering::Less) {
                best = Some((i, c));
            }
        }
        best.map(|(i, _)| i)
    }

    /// The highest logit (`-inf` when empty).
    pub fn max_logit(&self) -> f32 {
        if self.sorted_prefix > 0 {
            return self.items[0].logit;
        }
        self.items
            .iter()
            .map(|c| c.logit)
            .fold(f32::NEG_INFINITY, f32::max)
    }

    /// Sets every `p` to the softmax of the logits. Safe for infinite logits: if some
    /// are `+inf` they share the probability equally; if all are `-inf` every item gets
    /// the same probability.
    pub fn softmax(&mut self) {
        let n = self.items.len();
        if n == 0 {
            return;
        }
        let max = self.max_logit();
        if max == f32::INFINITY {
            let winners = self.items.iter().filter(|c| c.logit == max).count();
            let share = 1.0 / winners as f32;
            for c in &mut self.items {
                c.p = if c.logit == max { share } else { 0.0 };
            }
        } else if max == f32::NEG_INFINITY {
            let share = 1.0 / n as f32;
            for c in &mut self.items {
                c.p = share;
            }
        } else {
            let mut sum = 0.0f64;
            for c in &mut self.items {
                c.p = (c.logit - max).exp();
                sum += f64::from(c.p);
            }
            let inv = (1.0 / sum) as f32;
            for c in &mut self.items {
                c.p *= inv;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(logits: &[f32]) -> Candidates {
        let mut c = Candidates::with_capacity(logits.len());
        c.fill(logits);
        c
    }

    fn ids(c: &Candidates) -> Vec<u32> {
        c.items().iter().map(|c| c.id).collect()
    }

    #[test]
    fn sort_prefix_puts_the_best_first_with_ties_by_id() {
        let mut c = filled(&[1.0, 5.0, 3.0, 5.0, -2.0, 4.0]);
        c.sort_prefix(3);
        assert_eq!(&ids(&c)[..3], &[1, 3, 5]);
        assert!(!c.is_sorted());
        c.sort();
        assert_eq!(ids(&c), vec![1, 3, 5, 2, 0, 4]);
        assert!(c.is_sorted());
    }

    #[test]
    fn nan_logits_become_negative_infinity() {
        let mut c = filled(&[f32::NAN, 0.5, f32::NAN]);
        assert_eq!(c.argmax(), Some(1));
        c.softmax();
        assert_eq!(c.items()[0].p, 0.0);
        assert_eq!(c.items()[1].p, 1.0);
    }

    #[test]
    fn argmax_picks_lowest_id_among_ties() {
        let c = filled(&[0.0, 2.0, 1.0, 2.0]);
        assert_eq!(c.argmax(), Some(1));
        assert_eq!(filled(&[]).argmax(), None);
    }

    #[test]
    fn softmax_matches_the_formula() {
        let mut c = filled(&[0.0, (2.0f32).ln(), (5.0f32).ln()]);
        c.softmax();
        let p: Vec<f32> = c.items().iter().map(|c| c.p).collect();
        for (got, want) in p.iter().zip([0.125, 0.25, 0.625]) {
            assert!((got - want).abs() < 1e-6, "{p:?}");
        }
    }

    #[test]
    fn softmax_handles_infinities() {
        let mut c = filled(&[f32::INFINITY, 1.0, f32::INFINITY]);
        c.softmax();
        assert_eq!(
            c.items().iter().map(|c| c.p).collect::<Vec<_>>(),
            vec![0.5, 0.0, 0.5]
        );
        let mut c = filled(&[f32::NEG_INFINITY; 4]);
        c.softmax();
        assert!(c.items().iter().all(|c| c.p == 0.25));
    }

    #[test]
    fn retain_keeps_known_order_only_when_sorted() {
        let mut c = filled(&[3.0, 1.0, 2.0]);
        c.sort();
        c.retain(|x| x.logit > 1.5);
        assert!(c.is_sorted());
        assert_eq!(ids(&c), vec![0, 2]);
    }
}
