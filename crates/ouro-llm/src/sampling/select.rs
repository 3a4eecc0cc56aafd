//! Weighted selection: the smallest best-first prefix of a list whose probability mass
//! reaches a target, without sorting the whole list. Top-p and typical sampling both cut
//! their lists this way.
//!
//! A long list is first split into buckets of a key that grows as items get worse (one
//! pass summing the mass per bucket, one partition pass); only the bucket where the mass
//! crosses the target is then searched by quickselect on the mass (repeated
//! `select_nth_unstable`), and a short remainder is sorted and scanned.

use std::cmp::Ordering;

/// Lists up to this long skip the bucket pass.
const BUCKET_ABOVE: usize = 1024;
/// Keys in `[0, KEY_RANGE)` fall into `BUCKETS` equal buckets, all others into one more.
const BUCKETS: usize = 64;
const KEY_RANGE: f32 = 16.0;
/// Below this many items the quickselect sorts what is left and scans it.
const SCAN_BELOW: usize = 32;

/// How to rank and weigh the items of one search.
pub(crate) struct Weighing<B, K, M> {
    /// The ranking, best first (a total order).
    pub better: B,
    /// A key that never decreases from a better item to a worse one, typically a
    /// distance from the best, so the best items gather in the first buckets.
    pub key: K,
    /// The item's probability mass.
    pub mass: M,
}

fn bucket(key: f32) -> usize {
    if key < KEY_RANGE {
        // `as` saturates: a negative key lands in the first bucket.
        (key * (BUCKETS as f32 / KEY_RANGE)) as usize
    } else {
        BUCKETS
    }
}

/// Moves the items for which `pred` holds to the front; returns how many there are.
fn partition<T>(items: &mut [T], pred: impl Fn(&T) -> bool) -> usize {
    let mut front = 0;
    for i in 0..items.len() {
        if pred(&items[i]) {
            items.swap(front, i);
            front += 1;
        }
    }
    front
}

/// Reorders `items` so that its first `m` entries are the `m` best by `w.better`, in no
/// particular order, where `m` is the smallest count whose summed mass reaches `target`
/// (exceeds it when `strict`). Returns `m`: at least 1 for a non-empty list, the whole
/// length if even the full sum falls short.
pub(crate) fn best_prefix_reaching<T, B, K, M>(
    items: &mut [T],
    w: &Weighing<B, K, M>,
    target: f32,
    strict: bool,
) -> usize
where
    B: Fn(&T, &T) -> Ordering,
    K: Fn(&T) -> f32,
    M: Fn(&T) -> f32,
{
    let target = f64::from(target);
    let reached = |sum: f64| if strict { sum > target } else { sum >= target };
    if items.len() <= BUCKET_ABOVE {
        return quickselect_prefix(items, w, &reached, 0.0);
    }
    let mut mass = [0.0f64; BUCKETS + 1];
    let mut count = [0usize; BUCKETS + 1];
    for x in items.iter() {
        let b = bucket((w.key)(x));
        mass[b] += f64::from((w.mass)(x));
        count[b] += 1;
    }
    let mut acc = 0.0f64;
    let Some(crossing) = (0..=BUCKETS).filter(|&b| count[b] > 0).find(|&b| {
        let hit = reached(acc + mass[b]);
        if !hit {
            acc += mass[b];
        }
        hit
    }) else {
        return items.len();
    };
    let before = partition(items, |x| bucket((w.key)(x)) < crossing);
    let rest = &mut items[before..];
    let inside = partition(rest, |x| bucket((w.key)(x)) == crossing);
    before + quickselect_prefix(&mut rest[..inside], w, &reached, acc)
}

/// [`best_prefix_reaching`] on a list whose better outsiders already hold mass `acc`,
/// by quickselect: split at the middle rank, keep the half where the target is crossed.
fn quickselect_prefix<T, B, K, M>(
    items: &mut [T],
    w: &Weighing<B, K, M>,
    reached: &impl Fn(f64) -> bool,
    mut acc: f64,
) -> usize
where
    B: Fn(&T, &T) -> Ordering,
    M: Fn(&T) -> f32,
{
    // Invariant: items[..lo] are the `lo` best and `acc` (with them) falls short;
    // items[..hi] are the `hi` best; the answer lies in (lo, hi].
    let (mut lo, mut hi) = (0, items.len());
    while hi - lo > SCAN_BELOW {
        let mid = lo + (hi - lo) / 2;
        items[lo..hi].select_nth_unstable_by(mid - lo, &w.better);
        let upto_mid: f64 = items[lo..=mid].iter().map(|x| f64::from((w.mass)(x))).sum();
        if reached(acc + upto_mid) {
            hi = mid + 1;
        } else {
            acc += upto_mid;
            lo = mid + 1;
        }
    }
    items[lo..hi].sort_unstable_by(&w.better);
    for (i, x) in items[lo..hi].iter().enumerate() {
        acc += f64::from((w.mass)(x));
        if reached(acc) {
            return lo + i + 1;
        }
    }
    hi
}

#[cfg(test)]
mod tests {
    use super::*;

    type F32Weighing = Weighing<fn(&f32, &f32) -> Ordering, fn(&f32) -> f32, fn(&f32) -> f32>;

    /// Masses ranked largest first; the key is `-ln mass`, so the buckets spread them.
    fn weighing() -> F32Weighing {
        Weighing {
            better: |a, b| b.total_cmp(a),
            key: |x| -x.ln(),
            mass: |x| *x,
        }
    }

    /// The answer by sorting everything and scanning.
    fn by_sorting(masses: &[f32], target: f32, strict: bool) -> usize {
        let mut sorted = masses.to_vec();
        sorted.sort_unstable_by(|a, b| b.total_cmp(a));
        let mut acc = 0.0f64;
        for (i, &m) in sorted.iter().enumerate() {
            acc += f64::from(m);
            if (strict && acc > f64::from(target)) || (!strict && acc >= f64::from(target)) {
                return i + 1;
            }
        }
        sorted.len()
    }

    #[test]
    fn matches_sorting_on_many_lists() {
        for n in [1usize, 5, 31, 33, 100, 1000, 1025, 5000, 40000] {
            // Distinct masses (a permutation), normalized to sum to 1.
            let raw: Vec<f32> = (0..n).map(|i| ((i * 7919) % n + 1) as f32).collect();
            let total: f32 = raw.iter().sum();
            let masses: Vec<f32> = raw.iter().map(|m| m / total).collect();
            for target in [0.0, 0.001, 0.3, 0.5, 0.9, 0.999, 1.5] {
                for strict in [false, true] {
                    let mut items = masses.clone();
                    let m = best_prefix_reaching(&mut items, &weighing(), target, strict);
                    assert_eq!(
                        m,
                        by_sorting(&masses, target, strict),
                        "n {n} target {target} strict {strict}"
                    );
                    let mut kept = items[..m].to_vec();
                    let mut want = masses.clone();
                    want.sort_unstable_by(|a, b| b.total_cmp(a));
                    kept.sort_unstable_by(|a, b| b.total_cmp(a));
                    assert_eq!(kept, want[..m]);
                }
            }
        }
    }

    #[test]
    fn empty_list_keeps_nothing() {
        let mut items: Vec<f32> = Vec::new();
        assert_eq!(best_prefix_reaching(&mut items, &weighing(), 0.5, false), 0);
    }
}
