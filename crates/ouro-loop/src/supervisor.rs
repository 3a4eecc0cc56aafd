//! A one_for_one supervisor (after OTP): each worker runs on its own thread; a worker that
//! fails or panics is restarted alone, unless more than `max_restarts` restarts happened
//! within `period`, when the supervisor stops the others and gives up with an error.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::LoopError;

/// How many restarts are allowed in how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Restarts allowed within `period`.
    pub max_restarts: usize,
    /// The sliding window.
    pub period: Duration,
}

/// Runs `workers` copies of `work` (given the worker index) until each returns `Ok`.
///
/// A worker returning `Err` or panicking is passed to `on_crash` (to release what it
/// held) and restarted. When the restart intensity is exceeded (or `on_crash` fails),
/// `stop` is set, the remaining workers are awaited and the error returned.
pub fn supervise<W, C>(
    workers: usize,
    policy: RestartPolicy,
    stop: &Arc<AtomicBool>,
    work: W,
    mut on_crash: C,
) -> Result<(), LoopError>
where
    W: Fn(usize) -> Result<(), LoopError> + Send + Sync + 'static,
    C: FnMut(usize, &LoopError) -> Result<(), LoopError>,
{
    let work = Arc::new(work);
    let (tx, rx) = mpsc::channel::<(usize, Result<(), LoopError>)>();
    let spawn = |index: usize| {
        let work = work.clone();
        let tx = tx.clone();
        std::thread::Builder::new()
            .name(format!("ouro-worker-{index}"))
            .spawn(move || {
                let result =
                    catch_unwind(AssertUnwindSafe(|| work(index))).unwrap_or_else(|panic| {
                        let message = panic
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "unknown panic".into());
                        Err(LoopError::Panic {
                            worker: index,
                            message,
                        })
                    });
                let _ = tx.send((index, result));
            })
            .map_err(|e| LoopError::io("spawn a worker thread", "ouro-worker", e))
    };
    let mut running = 0;
    for index in 0..workers {
        spawn(index)?;
        running += 1;
    }
    let mut restarts: VecDeque<Instant> = VecDeque::new();
    let mut failure: Option<LoopError> = None;
    while running > 0 {
        let Ok((index, result)) = rx.recv() else {
            break;
        };
        running -= 1;
        let Err(err) = result else { continue };
        tracing::error!("worker {index} crashed: {err}");
        if failure.is_some() {
            continue;
        }
        let now = Instant::now();
        while restarts
            .front()
            .is_some_and(|t| now.duration_since(*t) > policy.period)
        {
            restarts.pop_front();
        }
        let cleaned = on_crash(index, &err);
        if restarts.len() >= policy.max_restarts || cleaned.is_err() {
            stop.store(true, Ordering::Relaxed);
            failure = Some(match cleaned {
                Err(e) => e,
                Ok(()) => LoopError::RestartIntensity {
                    restarts: restarts.len() + 1,
                    max: policy.max_restarts,
                    period_s: policy.period.as_secs(),
                    last: err.to_string(),
                },
            });
            continue;
        }
        restarts.push_back(now);
        spawn(index)?;
        running += 1;
    }
    failure.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::AtomicUsize;

    use super::*;

    const POLICY: RestartPolicy = RestartPolicy {
        max_restarts: 5,
        period: Duration::from_secs(60),
    };

    #[test]
    fn restarts_only_the_crashed_worker() {
        let calls = Arc::new(Mutex::new(vec![0usize; 3]));
        let seen = calls.clone();
        let crashed = Arc::new(Mutex::new(Vec::new()));
        let log = crashed.clone();
        let result = supervise(
            3,
            POLICY,
            &Arc::new(AtomicBool::new(false)),
            move |i| {
                let n = {
                    let mut calls = seen.lock().map_err(|_| LoopError::Panic {
                        worker: i,
                        message: "poisoned".into(),
                    })?;
                    calls[i] += 1;
                    calls[i]
                };
                match (i, n) {
                    (1, 1) => panic!("worker one falls over"),
                    (2, 1 | 2) => Err(LoopError::InvalidTask("flaky".into())),
                    _ => Ok(()),
                }
            },
            |i, _| {
                log.lock()
                    .map(|mut l| l.push(i))
                    .map_err(|_| LoopError::Panic {
                        worker: i,
                        message: "poisoned".into(),
                    })
            },
        );
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(*calls.lock().expect("lock"), [1, 2, 3]);
        let mut crashed = crashed.lock().expect("lock").clone();
        crashed.sort();
        assert_eq!(crashed, [1, 2, 2]);
    }

    #[test]
    fn gives_up_past_the_intensity_limit() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let result = supervise(
            1,
            POLICY,
            &stop,
            move |_| {
                counted.fetch_add(1, Ordering::Relaxed);
                Err(LoopError::InvalidTask("always".into()))
            },
            |_, _| Ok(()),
        );
        let err = result.expect_err("gives up");
        assert!(
            matches!(err, LoopError::RestartIntensity { restarts: 6, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("always"));
        assert_eq!(
            calls.load(Ordering::Relaxed),
            6,
            "first start plus five restarts"
        );
        assert!(stop.load(Ordering::Relaxed));
    }
}
