//! The key/value cache: per layer, the K and V rows of every position seen so far,
//! stored as f16 like llama.cpp's default cache (half the memory of f32).

use half::f16;

use super::config::ModelConfig;

/// K and V rows for `capacity` positions in each layer.
#[derive(Debug)]
pub struct KvCache {
    capacity: usize,
    kv_dim: usize,
    k: Vec<Vec<f16>>,
    v: Vec<Vec<f16>>,
}

impl KvCache {
    /// An empty cache for `capacity` positions.
    pub fn new(cfg: &ModelConfig, capacity: usize) -> KvCache {
        let kv_dim = cfg.kv_dim();
        let layer = || vec![f16::ZERO; capacity * kv_dim];
        KvCache {
            capacity,
            kv_dim,
            k: (0..cfg.n_layer).map(|_| layer()).collect(),
            v: (0..cfg.n_layer).map(|_| layer()).collect(),
        }
    }

    /// Number of positions the cache holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes of memory the cache takes.
    pub fn bytes(&self) -> usize {
        2 * self.k.len() * self.capacity * self.kv_dim * std::mem::size_of::<f16>()
    }

    /// Stores the K and V rows (`n` rows of `kv_dim`) of positions `pos..pos + n` of `layer`.
    pub fn store(&mut self, layer: usize, pos: usize, k: &[f32], v: &[f32]) {
        let start = pos * self.kv_dim;
        let dst_k = &mut self.k[layer][start..start + k.len()];
        for (d, &s) in dst_k.iter_mut().zip(k) {
            *d = f16::from_f32(s);
        }
        let dst_v = &mut self.v[layer][start..start + v.len()];
        for (d, &s) in dst_v.iter_mut().zip(v) {
            *d = f16::from_f32(s);
        }
    }

    /// Copies the first `n` positions of every layer from `other` (a cache of the same model).
    pub fn copy_prefix(&mut self, other: &KvCache, n: usize) {
        let len = n.min(self.capacity).min(other.capacity) * self.kv_dim;
        for (dst, src) in self.k.iter_mut().zip(&other.k) {
            dst[..len].copy_from_slice(&src[..len]);
        }
        for (dst, src) in self.v.iter_mut().zip(&other.v) {
            dst[..len].copy_from_slice(&src[..len]);
        }
    }

    /// The K rows of `layer` (all positions; row `p` starts at `p * kv_dim`).
    pub fn keys(&self, layer: usize) -> &[f16] {
        &self.k[layer]
    }

    /// The V rows of `layer`.
    pub fn values(&self, layer: usize) -> &[f16] {
        &self.v[layer]
    }
}
