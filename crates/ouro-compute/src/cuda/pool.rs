//! A device memory pool with size-class free lists: freed buffers go back to the list of
//! their class and are handed out again instead of calling the driver, so steady-state
//! work (per-token scratch, per-request caches) allocates nothing.
//!
//! Small requests round up to a power of two (at least 256 bytes); above 32 MiB they round
//! up to 2 MiB, so large weight tensors waste little. The bookkeeping ([`SizeClassPool`]) is
//! generic over the allocator; [`DevicePool`] is the pool over CUDA memory.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use cudarc::driver::{CudaSlice, CudaStream, DevicePtr};

use super::{CudaError, guarded};

const MIN_CLASS: usize = 256;
const POW2_LIMIT: usize = 32 << 20;
const LARGE_GRANULE: usize = 2 << 20;

/// The size class (bytes actually allocated) for a request of `bytes`.
pub fn size_class(bytes: usize) -> usize {
    if bytes <= MIN_CLASS {
        MIN_CLASS
    } else if bytes <= POW2_LIMIT {
        bytes.next_power_of_two()
    } else {
        bytes.div_ceil(LARGE_GRANULE) * LARGE_GRANULE
    }
}

/// Where a pool gets new memory from.
pub trait Allocator {
    type Buffer;
    type Error;
    fn allocate(&self, bytes: usize) -> Result<Self::Buffer, Self::Error>;
}

/// Counters of a pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PoolStats {
    /// Bytes obtained from the allocator (in use plus cached).
    pub allocated_bytes: usize,
    /// Bytes handed out and not yet returned.
    pub in_use_bytes: usize,
    /// Bytes sitting in the free lists.
    pub cached_bytes: usize,
    /// Calls to the allocator.
    pub allocations: usize,
    /// Requests served from a free list.
    pub reuses: usize,
}

/// Free lists by size class over an allocator.
#[derive(Debug)]
pub struct SizeClassPool<A: Allocator> {
    alloc: A,
    inner: Mutex<Lists<A::Buffer>>,
}

#[derive(Debug)]
struct Lists<B> {
    free: BTreeMap<usize, Vec<B>>,
    stats: PoolStats,
}

impl<A: Allocator> SizeClassPool<A> {
    pub fn new(alloc: A) -> Self {
        SizeClassPool {
            alloc,
            inner: Mutex::new(Lists {
                free: BTreeMap::new(),
                stats: PoolStats::default(),
            }),
        }
    }

    fn lists(&self) -> std::sync::MutexGuard<'_, Lists<A::Buffer>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A buffer of at least `bytes`, with its class (pass both back to [`Self::give`]).
    pub fn take(&self, bytes: usize) -> Result<(usize, A::Buffer), A::Error> {
        let class = size_class(bytes);
        {
            let mut lists = self.lists();
            if let Some(buf) = lists.free.get_mut(&class).and_then(|l| l.pop()) {
                lists.stats.reuses += 1;
                lists.stats.cached_bytes -= class;
                lists.stats.in_use_bytes += class;
                return Ok((class, buf));
            }
        }
        let buf = self.alloc.allocate(class)?;
        let mut lists = self.lists();
        lists.stats.allocations += 1;
        lists.stats.allocated_bytes += class;
        lists.stats.in_use_bytes += class;
        Ok((class, buf))
    }

    /// Returns a buffer of `class` to its free list.
    pub fn give(&self, class: usize, buf: A::Buffer) {
        let mut lists = self.lists();
        lists.stats.in_use_bytes = lists.stats.in_use_bytes.saturating_sub(class);
        lists.stats.cached_bytes += class;
        lists.free.entry(class).or_default().push(buf);
    }

    /// Releases every cached buffer to the allocator (by dropping it).
    pub fn trim(&self) {
        let mut lists = self.lists();
        let cached = lists.stats.cached_bytes;
        lists.free.clear();
        lists.stats.cached_bytes = 0;
        lists.stats.allocated_bytes -= cached;
    }

    pub fn stats(&self) -> PoolStats {
        self.lists().stats
    }
}

/// Allocates device memory on a stream.
#[derive(Debug)]
pub struct CudaAllocator {
    stream: Arc<CudaStream>,
}

impl Allocator for CudaAllocator {
    type Buffer = CudaSlice<u8>;
    type Error = CudaError;
    fn allocate(&self, bytes: usize) -> Result<CudaSlice<u8>, CudaError> {
        guarded(|| Ok(self.stream.alloc_zeros::<u8>(bytes)?))
    }
}

/// The pool over one device's memory.
pub type DevicePool = SizeClassPool<CudaAllocator>;

impl DevicePool {
    /// A pool allocating on `stream`'s device.
    pub fn for_stream(stream: Arc<CudaStream>) -> Arc<DevicePool> {
        Arc::new(SizeClassPool::new(CudaAllocator { stream }))
    }

    /// A buffer of at least `bytes` that goes back to the pool when dropped.
    pub fn buffer(self: &Arc<Self>, bytes: usize) -> Result<DeviceBuffer, CudaError> {
        let (class, slice) = self.take(bytes.max(1))?;
        let ptr = {
            let (ptr, _sync) = slice.device_ptr(&self.alloc.stream);
            ptr
        };
        Ok(DeviceBuffer {
            class,
            len: bytes,
            ptr,
            slice: Some(slice),
            pool: self.clone(),
        })
    }
}

/// A device buffer from a [`DevicePool`]: `len` usable bytes at device address `ptr`.
#[derive(Debug)]
pub struct DeviceBuffer {
    class: usize,
    len: usize,
    ptr: u64,
    slice: Option<CudaSlice<u8>>,
    pool: Arc<DevicePool>,
}

impl DeviceBuffer {
    /// The device address (for kernel arguments).
    pub fn ptr(&self) -> u64 {
        self.ptr
    }

    /// The address `offset` bytes in.
    pub fn at(&self, offset: usize) -> u64 {
        self.ptr + offset as u64
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn check(&self, what: &str, offset: usize, n: usize) -> Result<(), CudaError> {
        if offset.checked_add(n).is_none_or(|end| end > self.len) {
            return Err(CudaError::Invalid(format!(
                "{what} of {n} bytes at offset {offset} outside a buffer of {} bytes",
                self.len
            )));
        }
        Ok(())
    }

    /// Copies `src` to the buffer at byte `offset`.
    pub fn upload(&mut self, offset: usize, src: &[u8]) -> Result<(), CudaError> {
        self.check("upload", offset, src.len())?;
        let stream = self.pool.alloc.stream.clone();
        let slice = self.slice.as_mut().ok_or_else(released)?;
        guarded(|| {
            let mut view = slice.slice_mut(offset..offset + src.len());
            Ok(stream.memcpy_htod(src, &mut view)?)
        })
    }

    /// Copies bytes `offset..offset + dst.len()` of the buffer to `dst` (waits for the copy).
    pub fn download(&self, offset: usize, dst: &mut [u8]) -> Result<(), CudaError> {
        self.check("download", offset, dst.len())?;
        let stream = &self.pool.alloc.stream;
        let slice = self.slice.as_ref().ok_or_else(released)?;
        guarded(|| {
            let view = slice.slice(offset..offset + dst.len());
            stream.memcpy_dtoh(&view, dst)?;
            Ok(stream.synchronize()?)
        })
    }
}

fn released() -> CudaError {
    CudaError::Invalid("device buffer already released".into())
}

impl Drop for DeviceBuffer {
    fn drop(&mut self) {
        if let Some(slice) = self.slice.take() {
            self.pool.give(self.class, slice);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// Host memory standing in for a device, counting calls.
    struct HostAlloc {
        calls: Cell<usize>,
    }

    impl Allocator for HostAlloc {
        type Buffer = Vec<u8>;
        type Error = String;
        fn allocate(&self, bytes: usize) -> Result<Vec<u8>, String> {
            self.calls.set(self.calls.get() + 1);
            if bytes > 1 << 40 {
                return Err("too big".into());
            }
            Ok(vec![0; bytes])
        }
    }

    #[test]
    fn size_classes() {
        assert_eq!(size_class(0), 256);
        assert_eq!(size_class(256), 256);
        assert_eq!(size_class(257), 512);
        assert_eq!(size_class(3 << 20), 4 << 20);
        assert_eq!(size_class(32 << 20), 32 << 20);
        assert_eq!(size_class((32 << 20) + 1), 34 << 20);
        assert_eq!(size_class(100 << 20), 100 << 20);
        for b in [1usize, 300, 5000, 40 << 20, 123_456_789] {
            assert!(size_class(b) >= b);
        }
    }

    #[test]
    fn freed_buffers_are_reused_by_class() {
        let pool = SizeClassPool::new(HostAlloc {
            calls: Cell::new(0),
        });
        let (c1, b1) = pool.take(1000).unwrap();
        assert_eq!((c1, b1.len()), (1024, 1024));
        let (c2, b2) = pool.take(600).unwrap();
        assert_eq!(c2, 1024);
        assert_eq!(pool.alloc.calls.get(), 2);
        pool.give(c1, b1);
        let s = pool.stats();
        assert_eq!(
            (s.in_use_bytes, s.cached_bytes, s.allocated_bytes),
            (1024, 1024, 2048)
        );
        // Same class: served from the free list.
        let (c3, _b3) = pool.take(1024).unwrap();
        assert_eq!(c3, 1024);
        assert_eq!(pool.alloc.calls.get(), 2);
        assert_eq!(pool.stats().reuses, 1);
        // Other class: a new allocation.
        let (c4, b4) = pool.take(100).unwrap();
        assert_eq!((c4, pool.alloc.calls.get()), (256, 3));
        pool.give(c4, b4);
        pool.give(c2, b2);
        pool.trim();
        let s = pool.stats();
        assert_eq!(
            (s.cached_bytes, s.allocated_bytes, s.in_use_bytes),
            (0, 1024, 1024)
        );
        assert!(pool.take(2 << 40).is_err());
    }
}
