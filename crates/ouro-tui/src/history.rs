//! Fixed-capacity histories of measured values, for the panels' sparklines.

use std::collections::VecDeque;

/// A ring buffer of values that drops the oldest when full.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    values: VecDeque<f32>,
    capacity: usize,
}

impl History {
    /// An empty history that keeps at most `capacity` values (at least one).
    pub fn new(capacity: usize) -> History {
        let capacity = capacity.max(1);
        History {
            values: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    pub fn push(&mut self, value: f32) {
        if self.values.len() == self.capacity {
            self.values.pop_front();
        }
        self.values.push_back(value);
    }

    pub fn latest(&self) -> Option<f32> {
        self.values.back().copied()
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The newest `n` values, oldest first, scaled by `scale` and rounded for a sparkline.
    pub fn tail_scaled(&self, n: usize, scale: f32) -> Vec<u64> {
        let skip = self.values.len().saturating_sub(n);
        self.values
            .iter()
            .skip(skip)
            .map(|v| (v * scale).round().max(0.0) as u64)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_the_oldest_when_full() {
        let mut h = History::new(3);
        for v in [1.0, 2.0, 3.0, 4.0] {
            h.push(v);
        }
        assert_eq!(h.len(), 3);
        assert_eq!(h.latest(), Some(4.0));
        assert_eq!(h.tail_scaled(10, 1.0), vec![2, 3, 4]);
    }

    #[test]
    fn tail_takes_the_newest_values_scaled() {
        let mut h = History::new(10);
        for v in [0.5, 1.5, 2.5, -1.0] {
            h.push(v);
        }
        assert_eq!(h.tail_scaled(2, 10.0), vec![25, 0]);
        assert!(History::new(0).is_empty());
    }
}
