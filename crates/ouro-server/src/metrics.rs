//! The server's counters, exposed as Prometheus text at `GET /metrics`: requests by endpoint
//! and status, prompt and generated tokens, the batcher's queue depth, running sequences and
//! mean batch size, and histograms of the time to first token and of the time per generated
//! token.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ouro_llm::batch::BatchStats;

/// Upper bounds of the time-to-first-token buckets, in seconds.
const TTFT_BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
/// Upper bounds of the per-token latency buckets, in seconds.
const TOKEN_BUCKETS: [f64; 9] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// A histogram with fixed buckets.
#[derive(Debug)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>,
    /// The sum of the observations, in microseconds.
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    fn observe(&self, seconds: f64) {
        if let Some(i) = self.bounds.iter().position(|&b| seconds <= b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            cumulative += count.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

/// Everything `/metrics` reports.
#[derive(Debug)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    prompt_tokens: AtomicU64,
    generated_tokens: AtomicU64,
    time_to_first_token: Histogram,
    time_per_token: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: Mutex::default(),
            prompt_tokens: AtomicU64::new(0),
            generated_tokens: AtomicU64::new(0),
            time_to_first_token: Histogram::new(&TTFT_BUCKETS),
            time_per_token: Histogram::new(&TOKEN_BUCKETS),
        }
    }
}

impl Metrics {
    /// Counts one answered request.
    pub fn request(&self, endpoint: &'static str, status: u16) {
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *requests.entry((endpoint, status)).or_default() += 1;
    }

    /// Records one finished generation.
    pub fn generation(
        &self,
        prompt_tokens: usize,
        generated: usize,
        first: Option<Duration>,
        decode: Duration,
    ) {
        self.prompt_tokens
            .fetch_add(prompt_tokens as u64, Ordering::Relaxed);
        self.generated_tokens
            .fetch_add(generated as u64, Ordering::Relaxed);
        if let Some(first) = first {
            self.time_to_first_token.observe(first.as_secs_f64());
        }
        if generated > 1 {
            self.time_per_token
                .observe(decode.as_secs_f64() / (generated - 1) as f64);
        }
    }

    /// The Prometheus text, with the batcher's gauges.
    pub fn render(&self, batch: &BatchStats) -> String {
        let mut out = String::new();
        out.push_str("# HELP ouro_requests_total Requests answered, by endpoint and status.\n");
        out.push_str("# TYPE ouro_requests_total counter\n");
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        for ((endpoint, status), n) in requests {
            let _ = writeln!(
                out,
                "ouro_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {n}"
            );
        }
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let loadu = |a: &std::sync::atomic::AtomicUsize| a.load(Ordering::Relaxed);
        let steps = loadu(&batch.steps);
        let mean_batch = if steps == 0 {
            0.0
        } else {
            loadu(&batch.sequences_stepped) as f64 / steps as f64
        };
        for (name, kind, help, value) in [
            (
                "ouro_prompt_tokens_total",
                "counter",
                "Prompt tokens evaluated.",
                load(&self.prompt_tokens) as f64,
            ),
            (
                "ouro_generated_tokens_total",
                "counter",
                "Tokens generated.",
                load(&self.generated_tokens) as f64,
            ),
            (
                "ouro_queue_depth",
                "gauge",
                "Requests waiting for a place in the batch.",
                loadu(&batch.queued) as f64,
            ),
            (
                "ouro_running_sequences",
                "gauge",
                "Sequences being decoded.",
                loadu(&batch.running) as f64,
            ),
            (
                "ouro_batch_steps_total",
                "counter",
                "Decoding steps of the batch.",
                steps as f64,
            ),
            (
                "ouro_batch_size_mean",
                "gauge",
                "Mean sequences per decoding step.",
                mean_batch,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        self.time_to_first_token.render(
            &mut out,
            "ouro_time_to_first_token_seconds",
            "Seconds from the request to its first generated token.",
        );
        self.time_per_token.render(
            &mut out,
            "ouro_time_per_output_token_seconds",
            "Seconds per generated token after the first.",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_requests_are_labelled() {
        let m = Metrics::default();
        m.request("chat", 200);
        m.request("chat", 200);
        m.request("chat", 400);
        m.generation(
            10,
            5,
            Some(Duration::from_millis(70)),
            Duration::from_millis(80),
        );
        m.generation(3, 1, Some(Duration::from_secs(100)), Duration::ZERO);
        let text = m.render(&BatchStats::default());
        assert!(
            text.contains("ouro_requests_total{endpoint=\"chat\",status=\"200\"} 2"),
            "{text}"
        );
        assert!(text.contains("ouro_requests_total{endpoint=\"chat\",status=\"400\"} 1"));
        assert!(text.contains("ouro_prompt_tokens_total 13"));
        assert!(text.contains("ouro_generated_tokens_total 6"));
        assert!(text.contains("ouro_time_to_first_token_seconds_bucket{le=\"0.05\"} 0"));
        assert!(text.contains("ouro_time_to_first_token_seconds_bucket{le=\"0.1\"} 1"));
        assert!(text.contains("ouro_time_to_first_token_seconds_bucket{le=\"+Inf\"} 2"));
        assert!(text.contains("ouro_time_per_output_token_seconds_bucket{le=\"0.025\"} 1"));
    }
}
