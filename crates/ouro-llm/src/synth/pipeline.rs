//! An ordered parallel pipeline: worker threads produce numbered items, the calling thread
//! consumes them strictly in order, and at most a fixed window of items is ever in flight,
//! so memory stays bounded however long the sequence.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

/// Runs `produce(i)` for `i` in `0..n` on `threads` workers and `consume(i, item)` on the
/// calling thread in increasing `i`. Stops at the first error from either side and returns
/// it (the one with the lowest index when several workers fail).
pub fn ordered_parallel<T: Send, E: Send>(
    n: usize,
    threads: usize,
    window: usize,
    produce: impl Fn(usize) -> Result<T, E> + Sync,
    mut consume: impl FnMut(usize, T) -> Result<(), E>,
) -> Result<(), E> {
    let window = window.max(1);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // Index of the next item to consume, guarded so that workers can wait on it.
    let consumed = Mutex::new(0usize);
    let advanced = Condvar::new();

    // Sets `stop` and wakes every waiting worker. The flag is set under the lock that the
    // workers check it under, so that no worker can miss the wake-up.
    let halt = || {
        let guard = consumed.lock().unwrap_or_else(|p| p.into_inner());
        stop.store(true, Ordering::Relaxed);
        drop(guard);
        advanced.notify_all();
    };

    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, Result<T, E>)>();
        for _ in 0..threads.max(1) {
            let tx = tx.clone();
            let (next, stop, consumed, advanced, produce, halt) =
                (&next, &stop, &consumed, &advanced, &produce, &halt);
            scope.spawn(move || {
                // A panicking worker halts the others (the scope then re-raises the panic)
                // instead of leaving them waiting for an item that never comes.
                let _guard = OnPanic(halt);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return;
                    }
                    // Wait until item i is inside the window.
                    let mut done = consumed.lock().unwrap_or_else(|p| p.into_inner());
                    while i >= *done + window && !stop.load(Ordering::Relaxed) {
                        done = advanced.wait(done).unwrap_or_else(|p| p.into_inner());
                    }
                    drop(done);
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let result = produce(i);
                    let failed = result.is_err();
                    if tx.send((i, result)).is_err() || failed {
                        return;
                    }
                }
            });
        }
        drop(tx);

        let finish = |result: Result<(), E>| {
            halt();
            result
        };
        let mut pending = BTreeMap::new();
        let mut want = 0usize;
        while want < n {
            let Ok((i, item)) = rx.recv() else {
                break;
            };
            pending.insert(i, item);
            while let Some(item) = pending.remove(&want) {
                let consumed_ok = item.and_then(|item| consume(want, item));
                if let Err(e) = consumed_ok {
                    return finish(Err(e));
                }
                want += 1;
                *consumed.lock().unwrap_or_else(|p| p.into_inner()) = want;
                advanced.notify_all();
            }
        }
        // Either all items were consumed, or every worker exited early, which only a
        // failed item (still pending here) makes them do.
        match pending.into_values().find_map(Result::err) {
            Some(e) => finish(Err(e)),
            None => finish(Ok(())),
        }
    })
}

/// Calls its function when dropped during a panic.
struct OnPanic<F: Fn()>(F);

impl<F: Fn()> Drop for OnPanic<F> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            (self.0)();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumes_in_order_with_bounded_window() {
        let in_flight = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let mut seen = Vec::new();
        ordered_parallel(
            500,
            4,
            3,
            |i| {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                // Uneven work so that items finish out of order.
                std::thread::sleep(std::time::Duration::from_micros((i % 7) as u64 * 50));
                Ok::<_, String>(i * 2)
            },
            |i, v| {
                in_flight.fetch_sub(1, Ordering::SeqCst);
                assert_eq!(v, i * 2);
                seen.push(i);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, (0..500).collect::<Vec<_>>());
        // Produced but not yet consumed items never exceed the window.
        assert!(peak.load(Ordering::SeqCst) <= 3, "{peak:?}");
    }

    #[test]
    fn stops_at_the_first_error() {
        let produced = AtomicUsize::new(0);
        let r = ordered_parallel(
            10_000,
            3,
            8,
            |i| {
                produced.fetch_add(1, Ordering::SeqCst);
                if i == 40 {
                    Err(format!("item {i}"))
                } else {
                    Ok(i)
                }
            },
            |_, _| Ok(()),
        );
        assert_eq!(r, Err("item 40".to_string()));
        assert!(produced.load(Ordering::SeqCst) < 100);

        let r = ordered_parallel(100, 2, 4, Ok::<usize, String>, |i, _| {
            if i == 5 {
                Err("consumer".to_string())
            } else {
                Ok(())
            }
        });
        assert_eq!(r, Err("consumer".to_string()));
    }

    #[test]
    fn a_panicking_worker_does_not_hang_the_others() {
        let r = std::panic::catch_unwind(|| {
            ordered_parallel(
                1000,
                4,
                2,
                |i| {
                    assert!(i != 3, "worker fails on item 3");
                    Ok::<_, String>(i)
                },
                |_, _| Ok(()),
            )
        });
        assert!(r.is_err());
    }
}
