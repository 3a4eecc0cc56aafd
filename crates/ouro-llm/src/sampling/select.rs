//! Weighted selection: the smallest best-first prefix of a list whose probability mass
//! reaches a target, found in expected linear time by repeated `select_nth_unstable`
//! (quickselect on the mass) instead of sorting the whole list. Top-p and typical
//! sampling both cut their lists this way.

use std::cmp::Ordering;

/// Below this many items the search sorts what is left and scans it.
const SCAN_BELOW: usize = 32;

/// Reorders `items` so that its first `m` entries are the `m` best by `better`, in no
/// particular order, where `m` is the smallest count whose summed `mass` reaches `target`
/// (exceeds it when `strict`). Returns `m`: at least 1 for a non-empty list, the whole
/// length if even the full sum falls short.
pub(crate) fn best_prefix_reaching<T>(
    items: &mut [T],
    better: impl Fn(&T, &T) -> Ordering,
    mass: impl Fn(&T) -> f32,
    target: f32,
    strict: bool,
) -> usize {
    let target = f64::from(target);
    let reached = |sum: f64| if strict { sum > target } else { sum >= target };
    // Invariant: items[..lo] are the `lo` best and their mass `acc` falls short;
    // items[..hi] are the `hi` best; the answer lies in (lo, hi].
    let (mut lo, mut hi, mut acc) = (0, items.len(), 0.0f64);
    while hi - lo > SCAN_BELOW {
        let mid = lo + (hi - lo) / 2;
        items[lo..hi].select_nth_unstable_by(mid - lo, &better);
        let upto_mid: f64 = items[lo..=mid].iter().map(|x| f64::from(mass(x))).sum();
        if reached(acc + upto_mid) {
            hi = mid + 1;
        } else {
            acc += upto_mid;
            lo = mid + 1;
        }
    }
    items[lo..hi].sort_unstable_by(&better);
    for (i, x) in items[lo..hi].iter().enumerate() {
        acc += f64::from(mass(x));
        if reached(acc) {
            return lo + i + 1;
        }
    }
    hi
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for n in [1usize, 5, 31, 33, 100, 1000, 5000] {
            // Distinct masses (a permutation), normalized to sum to 1.
            let raw: Vec<f32> = (0..n).map(|i| ((i * 7919) % n + 1) as f32).collect();
            let total: f32 = raw.iter().sum();
            let masses: Vec<f32> = raw.iter().map(|m| m / total).collect();
            for target in [0.0, 0.001, 0.3, 0.5, 0.9, 0.999, 1.5] {
                for strict in [false, true] {
                    let mut items = masses.clone();
                    let m = best_prefix_reaching(
                        &mut items,
                        |a, b| b.total_cmp(a),
                        |x| *x,
                        target,
                        strict,
                    );
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
        assert_eq!(
            best_prefix_reaching(&mut items, |a, b| b.total_cmp(a), |x| *x, 0.5, false),
            0
        );
    }
}
