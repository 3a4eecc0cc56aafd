//! The candidate list the sampler chain narrows down: token ids with their logits and
//! probabilities, plus the selection and softmax operations every filter shares.
//!
//! Order is "higher logit first, lower id first among equal logits", a total order once
//! NaN logits are replaced by `-inf` (done whenever logits are read), so every selection
//! is deterministic.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

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

/// A candidate ordered by [`best_first`], so a `BinaryHeap` of them has the worst on top.
#[derive(Debug, Clone, Copy)]
struct Ranked(Candidate);

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        best_first(&self.0, &other.0)
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

/// A logit as the chain sees it: NaN becomes `-inf`, so a broken logit can never win.
fn sanitize(logit: f32) -> f32 {
    if logit.is_nan() {
        f32::NEG_INFINITY
    } else {
        logit
    }
}

/// [`Candidates::fill_best`] keeps a heap for `k` below `len / HEAP_BELOW_SHARE`, and
/// selects in the full list above.
const HEAP_BELOW_SHARE: usize = 8;

/// The candidate list, reused from one call to the next (no allocation per call).
#[derive(Debug, Default)]
pub(crate) struct Candidates {
    items: Vec<Candidate>,
    /// How many leading items are known to be the best ones, in [`best_first`] order.
    sorted_prefix: usize,
    /// Scratch heap of [`Candidates::fill_best`].
    heap: BinaryHeap<Ranked>,
}

impl Candidates {
    pub fn with_capacity(n: usize) -> Self {
        Self {
            items: Vec::with_capacity(n),
            sorted_prefix: 0,
            heap: BinaryHeap::new(),
        }
    }

    /// Refills the list with every token of `logits`, in id order (so index == id).
    pub fn fill(&mut self, logits: &[f32]) {
        self.items.clear();
        self.items
            .extend(logits.iter().zip(0u32..).map(|(&logit, id)| Candidate {
                id,
                logit: sanitize(logit),
                p: 0.0,
            }));
        self.sorted_prefix = 0;
    }

    /// Refills the list with only the `k` best tokens of `logits` (all of them when `k`
    /// is 0 or not below their number), in no particular order: top-k straight from the
    /// logits. A small `k` is kept in a heap during one pass, so most tokens cost a single
    /// comparison with the worst logit kept so far.
    pub fn fill_best(&mut self, logits: &[f32], k: usize) {
        if k == 0 || k >= logits.len() / HEAP_BELOW_SHARE {
            self.fill(logits);
            if k > 0 {
                self.keep_best(k);
            }
            return;
        }
        self.heap.clear();
        let mut tokens = logits.iter().zip(0u32..);
        for (&logit, id) in tokens.by_ref().take(k) {
            self.heap.push(Ranked(Candidate {
                id,
                logit: sanitize(logit),
                p: 0.0,
            }));
        }
        let mut worst = self.heap.peek().map_or(f32::NEG_INFINITY, |w| w.0.logit);
        for (&logit, id) in tokens {
            // NaN never passes; ids only grow, so an equal logit never ranks better.
            if logit > worst {
                if let Some(mut top) = self.heap.peek_mut() {
                    *top = Ranked(Candidate { id, logit, p: 0.0 });
                }
                worst = self.heap.peek().map_or(f32::NEG_INFINITY, |w| w.0.logit);
            }
        }
        self.items.clear();
        self.items.extend(self.heap.drain().map(|r| r.0));
        self.sorted_prefix = 0;
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn items(&self) -> &[Candidate] {
        &self.items
    }

    /// Mutable access that may change the logits or the order, so the known order is
    /// forgotten.
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

    /// Keeps the `k` best items (all when `k` >= len) in linear time; their order is
    /// known only as far as a sorted prefix already covered them.
    pub fn keep_best(&mut self, k: usize) {
        if k >= self.items.len() {
            return;
        }
        if k > self.sorted_prefix {
            self.items.select_nth_unstable_by(k - 1, best_first);
            self.sorted_prefix = 0;
        }
        self.truncate(k);
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
        c.sort_prefix(6);
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

    fn sorted_ids(c: &Candidates) -> Vec<u32> {
        let mut ids = ids(c);
        ids.sort_unstable();
        ids
    }

    #[test]
    fn fill_best_keeps_the_k_best_on_both_paths() {
        // Many ties (values repeat every 50 tokens) and some NaN.
        let logits: Vec<f32> = (0..1000)
            .map(|i| {
                if i % 97 == 0 {
                    f32::NAN
                } else {
                    ((i * 31) % 50) as f32
                }
            })
            .collect();
        for k in [1, 7, 49, 124, 125, 600, 999, 1000, 5000] {
            let mut fast = Candidates::with_capacity(1000);
            fast.fill_best(&logits, k);
            let mut reference = filled(&logits);
            reference.sort_prefix(1000);
            reference.truncate(k);
            assert_eq!(sorted_ids(&fast), sorted_ids(&reference), "k {k}");
        }
        let mut all = Candidates::with_capacity(1000);
        all.fill_best(&logits, 0);
        assert_eq!(all.items().len(), 1000);
    }

    #[test]
    fn keep_best_respects_a_sorted_prefix() {
        let mut c = filled(&[1.0, 5.0, 3.0, 4.0, 2.0]);
        c.sort_prefix(3);
        c.keep_best(2);
        assert_eq!(ids(&c), vec![1, 3]);
        assert!(c.is_sorted());
        let mut c = filled(&[1.0, 5.0, 3.0, 4.0, 2.0]);
        c.keep_best(3);
        assert_eq!(sorted_ids(&c), vec![1, 2, 3]);
        c.keep_best(0);
        assert!(c.is_empty());
    }

    #[test]
    fn best_of_logits_skips_nan_and_prefers_low_ids() {
        let best = |logits: &[f32]| {
            let mut c = Candidates::with_capacity(logits.len());
            c.fill_best(logits, 1);
            c.argmax().map(|i| c.items()[i].id)
        };
        let many: Vec<f32> = (0..100).map(|i| (i % 10) as f32).collect();
        assert_eq!(best(&many), Some(9));
        let mut nan = vec![f32::NAN; 50];
        nan[20] = 1.0;
        nan[30] = 1.0;
        assert_eq!(best(&nan), Some(20));
        assert_eq!(best(&[f32::NAN; 40]), Some(0));
        let mut inf = vec![0.0; 64];
        inf[33] = f32::INFINITY;
        inf[40] = f32::INFINITY;
        assert_eq!(best(&inf), Some(33));
        assert_eq!(best(&[]), None);
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
        c.sort_prefix(3);
        c.retain(|x| x.logit > 1.5);
        assert!(c.is_sorted());
        assert_eq!(ids(&c), vec![0, 2]);
    }
}
