//! A persistent pool of worker threads for the compute kernels.
//!
//! [`ThreadPool::run`] hands one closure to all `n` threads (the caller is thread 0) and
//! returns when every thread has finished it. Workers spin for a short while after each
//! job, so the many small back-to-back jobs of a forward pass (a 135M model runs ~200
//! matmuls per token) start without a wake-up system call, then park on a condition
//! variable when idle. No thread is spawned per call.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

/// The job type: called as `f(ith, nth)` on every thread.
type Job<'a> = dyn Fn(usize, usize) + Sync + 'a;

/// Spin iterations a worker waits for the next job before it parks (tens of microseconds:
/// enough to bridge the gaps between the jobs of one forward pass). Longer spins cost dearly
/// when the machine has more runnable threads than cores: a spinning thread burns the time
/// slice that the thread it waits for needs (at 1 << 15 a 2-thread decode on a busy 2-core
/// machine ran 15x slower than on one thread).
const SPIN_ITERS: u32 = 1 << 11;

struct Shared {
    /// Bumped once per job (and once at shutdown); workers compare with the last seen.
    generation: AtomicUsize,
    /// Points at the caller's `&Job` while a job runs.
    job: AtomicPtr<()>,
    /// Workers that have not finished the current job yet.
    pending: AtomicUsize,
    /// Workers parked (or about to park) on `wake`.
    sleepers: AtomicUsize,
    panicked: AtomicBool,
    shutdown: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
    n_threads: usize,
}

/// A fixed set of worker threads that run closures in parallel.
pub struct ThreadPool {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    /// Serializes `run` calls made from several threads.
    run_lock: Mutex<()>,
}

impl ThreadPool {
    /// A pool of `n_threads` threads in all (the caller counts as one, so `n_threads - 1`
    /// workers are spawned); `0` is taken as `1`.
    pub fn new(n_threads: usize) -> std::io::Result<ThreadPool> {
        let n = n_threads.max(1);
        let shared = Arc::new(Shared {
            generation: AtomicUsize::new(0),
            job: AtomicPtr::new(std::ptr::null_mut()),
            pending: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            shutdown: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            n_threads: n,
        });
        let mut workers = Vec::with_capacity(n - 1);
        for ith in 1..n {
            let s = Arc::clone(&shared);
            let handle = std::thread::Builder::new()
                .name(format!("ouro-compute-{ith}"))
                .spawn(move || worker(&s, ith))?;
            workers.push(handle);
        }
        Ok(ThreadPool {
            shared,
            workers,
            run_lock: Mutex::new(()),
        })
    }

    /// Number of threads that run each job, the caller included.
    pub fn n_threads(&self) -> usize {
        self.shared.n_threads
    }

    /// Runs `f(ith, nth)` for every `ith` in `0..nth` in parallel (the calling thread runs
    /// `ith == 0`) and returns when all have finished. Must not be called from inside `f`.
    ///
    /// # Panics
    /// Re-raises a panic of `f` on any thread after all threads have finished.
    pub fn run(&self, f: &(dyn Fn(usize, usize) + Sync)) {
        let n = self.shared.n_threads;
        if n == 1 {
            f(0, 1);
            return;
        }
        let _serial = self.run_lock.lock().unwrap_or_else(|e| e.into_inner());
        let s = &*self.shared;
        // The workers reach `f` through this local reference; `Finish` below keeps it (and
        // `f`) alive until every worker is done with it, even if `f` panics here.
        let job_ref: &Job<'_> = f;
        s.job
            .store(&job_ref as *const &Job<'_> as *mut (), Ordering::Relaxed);
        s.pending.store(n - 1, Ordering::Relaxed);
        s.generation.fetch_add(1, Ordering::SeqCst);
        if s.sleepers.load(Ordering::SeqCst) > 0 {
            let _g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.wake.notify_all();
        }
        let finish = Finish(s);
        f(0, n);
        drop(finish);
        if s.panicked.swap(false, Ordering::Relaxed) {
            panic!("a thread-pool worker panicked");
        }
    }
}

/// Waits for the workers to finish the current job when dropped.
struct Finish<'a>(&'a Shared);

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        let mut spins = 0u32;
        while self.0.pending.load(Ordering::Acquire) != 0 {
            if spins < SPIN_ITERS {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        self.0.job.store(std::ptr::null_mut(), Ordering::Relaxed);
    }
}

fn worker(s: &Shared, ith: usize) {
    // Generation 0 is the pool's state at creation, before any job: a job (or shutdown)
    // published before this thread got going is still seen as new.
    let mut seen = 0;
    loop {
        let mut spins = 0u32;
        let mut gen_now = s.generation.load(Ordering::Acquire);
        while gen_now == seen {
            if spins < SPIN_ITERS {
                spins += 1;
                std::hint::spin_loop();
            } else {
                s.sleepers.fetch_add(1, Ordering::SeqCst);
                let mut g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
                while s.generation.load(Ordering::SeqCst) == seen {
                    g = s.wake.wait(g).unwrap_or_else(|e| e.into_inner());
                }
                drop(g);
                s.sleepers.fetch_sub(1, Ordering::SeqCst);
            }
            gen_now = s.generation.load(Ordering::Acquire);
        }
        seen = gen_now;
        if s.shutdown.load(Ordering::Acquire) {
            return;
        }
        let ptr = s.job.load(Ordering::Relaxed) as *const &Job<'static>;
        // SAFETY: `run` published this pointer before bumping `generation` (SeqCst, read
        // here with Acquire) and keeps the referenced closure alive until `pending` is 0,
        // which happens only after the call below returns.
        let f: &Job<'static> = unsafe { *ptr };
        if catch_unwind(AssertUnwindSafe(|| f(ith, s.n_threads))).is_err() {
            s.panicked.store(true, Ordering::Relaxed);
        }
        s.pending.fetch_sub(1, Ordering::Release);
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        let s = &*self.shared;
        s.shutdown.store(true, Ordering::Release);
        s.generation.fetch_add(1, Ordering::SeqCst);
        {
            let _g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.wake.notify_all();
        }
        for w in self.workers.drain(..) {
            // A worker cannot panic outside `catch_unwind`; nothing to report on join.
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn every_thread_runs_once_per_job() {
        let pool = ThreadPool::new(3).unwrap();
        assert_eq!(pool.n_threads(), 3);
        for _ in 0..1000 {
            let hits: Vec<AtomicUsize> = (0..3).map(|_| AtomicUsize::new(0)).collect();
            pool.run(&|ith, nth| {
                assert_eq!(nth, 3);
                hits[ith].fetch_add(1, Ordering::Relaxed);
            });
            assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
        }
    }

    #[test]
    fn wakes_parked_workers() {
        let pool = ThreadPool::new(2).unwrap();
        let sum = AtomicUsize::new(0);
        pool.run(&|ith, _| {
            sum.fetch_add(ith + 1, Ordering::Relaxed);
        });
        // Long enough for the worker to stop spinning and park.
        std::thread::sleep(Duration::from_millis(300));
        pool.run(&|ith, _| {
            sum.fetch_add(ith + 1, Ordering::Relaxed);
        });
        assert_eq!(sum.load(Ordering::Relaxed), 6);
    }

    #[test]
    fn single_thread_pool_runs_inline() {
        let pool = ThreadPool::new(0).unwrap();
        let ran = AtomicUsize::new(0);
        pool.run(&|ith, nth| {
            assert_eq!((ith, nth), (0, 1));
            ran.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(ran.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn worker_panic_is_reraised_and_pool_survives() {
        let pool = ThreadPool::new(2).unwrap();
        let r = catch_unwind(AssertUnwindSafe(|| {
            pool.run(&|ith, _| {
                if ith == 1 {
                    panic!("boom");
                }
            })
        }));
        assert!(r.is_err());
        let ran = AtomicUsize::new(0);
        pool.run(&|_, _| {
            ran.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(ran.load(Ordering::Relaxed), 2);
    }
}
