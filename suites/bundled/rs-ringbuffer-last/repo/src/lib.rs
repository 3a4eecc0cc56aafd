//! A fixed-capacity ring buffer: pushing into a full buffer overwrites the
//! oldest element.

pub struct RingBuffer<T> {
    slots: Vec<Option<T>>,
    head: usize,
    len: usize,
}

impl<T> RingBuffer<T> {
    pub fn with_capacity(capacity: usize) -> Self {
        assert!(capacity > 0, "capacity must be positive");
        RingBuffer { slots: (0..capacity).map(|_| None).collect(), head: 0, len: 0 }
    }

    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Append an item; returns the overwritten oldest item when full.
    pub fn push(&mut self, item: T) -> Option<T> {
        let cap = self.capacity();
        if self.len == cap {
            let old = self.slots[self.head].replace(item);
            self.head = (self.head + 1) % cap;
            old
        } else {
            let tail = (self.head + self.len) % cap;
            self.slots[tail] = Some(item);
            self.len += 1;
            None
        }
    }

    /// Remove and return the oldest item.
    pub fn pop_front(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let item = self.slots[self.head].take();
        self.head = (self.head + 1) % self.capacity();
        self.len -= 1;
        item
    }

    /// The i-th item counting from the oldest.
    pub fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len {
            return None;
        }
        self.slots[(self.head + i) % self.capacity()].as_ref()
    }

    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    /// The most recently pushed item.
    pub fn last(&self) -> Option<&T> {
        self.get(self.len)
    }

    pub fn to_vec(&self) -> Vec<&T> {
        (0..self.len).filter_map(|i| self.get(i)).collect()
    }
}
