//! Retries for transient provider failures: exponential backoff with jitter, `Retry-After`
//! honoured, and sleeps that end early on cancellation.

use std::time::{Duration, Instant, SystemTime};

use super::Cancel;

/// How often and how long to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: never retry).
    pub max_retries: u32,
    /// The backoff before the first retry; it doubles with each further retry.
    pub base_delay: Duration,
    /// The longest wait between attempts, `Retry-After` included.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0 for the first): the server's `Retry-After`
    /// when it gave one, else `base * 2^retry` with "equal jitter" (half fixed, half random),
    /// never more than `max_delay`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.max_delay);
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry.min(16)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        exp / 2 + exp.mul_f64(crate::random::unit() / 2.0)
    }
}

/// Reads a `Retry-After` header (RFC 9110 section 10.2.3): delay-seconds, or an HTTP date
/// (IMF-fixdate, or the obsolete RFC 850 and asctime forms), which becomes the time left until
/// that date as of `now` (zero when it has passed). `None` when the value is neither.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Sleeps for `total`, waking early when `cancel` is set; returns whether it was cancelled.
pub fn sleep_unless_cancelled(total: Duration, cancel: &Cancel) -> bool {
    let end = Instant::now() + total;
    loop {
        if cancel.is_cancelled() {
            return true;
        }
        let now = Instant::now();
        if now >= end {
            return false;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let p = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        for retry in 0..6 {
            let full = Duration::from_millis(100 * (1 << retry)).min(p.max_delay);
            let d = p.delay(retry, None);
            assert!(
                d >= full / 2 && d <= full,
                "retry {retry}: {d:?} vs {full:?}"
            );
        }
        assert!(p.delay(40, None) <= p.max_delay);
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(p.delay(0, Some(Duration::from_secs(999))), p.max_delay);
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_as_an_http_date() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let secs = |n| Some(Duration::from_secs(n));
        assert_eq!(parse_retry_after(" 3 ", now), secs(3));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            secs(30)
        );
        // The obsolete forms RFC 9110 still asks recipients to accept.
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", now),
            secs(60)
        );
        assert_eq!(parse_retry_after("Wed Oct 21 07:28:05 2015", now), secs(5));
        // A date already past means "retry now".
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn sleep_ends_on_cancel() {
        let cancel = Cancel::new();
        cancel.cancel();
        let start = Instant::now();
        assert!(sleep_unless_cancelled(Duration::from_secs(10), &cancel));
        assert!(start.elapsed() < Duration::from_secs(1));
        assert!(!sleep_unless_cancelled(
            Duration::from_millis(1),
            &Cancel::new()
        ));
    }
}
