//! Journal benchmarks (printed, not asserted): recovery time of a journal of 100k small
//! records, full replay time, and append throughput under each fsync policy.
//!
//! Run with `cargo bench -p ouro-core --bench journal`. Set `OURO_BENCH_DIR` to measure
//! on a particular file system (default: the system temp directory).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ouro_core::journal::{FsyncPolicy, Journal, JournalError, JournalOptions};

const RECOVERY_RECORDS: u64 = 100_000;
const SMALL_PAYLOAD: usize = 64;

fn bench_root() -> PathBuf {
    std::env::var_os("OURO_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from)
}

fn temp_dir() -> Result<tempfile::TempDir, JournalError> {
    tempfile::tempdir_in(bench_root()).map_err(|e| JournalError::Io {
        action: "create a temporary directory in",
        path: bench_root(),
        source: e,
    })
}

fn options(fsync: FsyncPolicy) -> JournalOptions {
    JournalOptions {
        fsync,
        ..JournalOptions::default()
    }
}

fn payload(i: u64) -> Vec<u8> {
    let mut bytes = vec![b'x'; SMALL_PAYLOAD];
    bytes[..8].copy_from_slice(&i.to_le_bytes());
    bytes
}

/// Appends `count` records under `fsync` into a fresh journal; returns the elapsed time.
fn append_run(fsync: FsyncPolicy, count: u64) -> Result<Duration, JournalError> {
    let dir = temp_dir()?;
    let mut journal = Journal::open(dir.path(), options(fsync))?;
    let start = Instant::now();
    for i in 0..count {
        journal.append(&payload(i))?;
    }
    journal.sync()?;
    Ok(start.elapsed())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn recovery() -> Result<(), JournalError> {
    let dir = temp_dir()?;
    {
        let mut journal = Journal::open(dir.path(), options(FsyncPolicy::Never))?;
        for i in 0..RECOVERY_RECORDS {
            journal.append(&payload(i))?;
        }
        journal.sync()?;
    }
    let mut opens = Vec::new();
    let mut replays = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        let journal = Journal::open(dir.path(), options(FsyncPolicy::Always))?;
        opens.push(start.elapsed());
        assert_eq!(journal.recovery_report().records, RECOVERY_RECORDS);
        let start = Instant::now();
        let mut count = 0u64;
        for record in journal.iter_from(1)? {
            record?;
            count += 1;
        }
        replays.push(start.elapsed());
        assert_eq!(count, RECOVERY_RECORDS);
    }
    let open = median(opens);
    let replay = median(replays);
    let mb = (RECOVERY_RECORDS * (SMALL_PAYLOAD as u64 + 16)) as f64 / 1e6;
    println!(
        "recovery: open of {RECOVERY_RECORDS} records ({SMALL_PAYLOAD}-byte payloads, {mb:.1} MB) \
         {:.1} ms median of 7 ({:.0} records/s); full replay {:.1} ms ({:.0} records/s)",
        open.as_secs_f64() * 1e3,
        RECOVERY_RECORDS as f64 / open.as_secs_f64(),
        replay.as_secs_f64() * 1e3,
        RECOVERY_RECORDS as f64 / replay.as_secs_f64(),
    );
    Ok(())
}

fn main() -> Result<(), JournalError> {
    println!(
        "journal bench in {} ({SMALL_PAYLOAD}-byte payloads)",
        bench_root().display()
    );
    recovery()?;
    let policies = [
        (FsyncPolicy::Always, 2_000),
        (FsyncPolicy::EveryN(100), 100_000),
        (FsyncPolicy::Interval(Duration::from_millis(10)), 100_000),
        (FsyncPolicy::Never, 100_000),
    ];
    for (policy, count) in policies {
        let elapsed = median(
            (0..3)
                .map(|_| append_run(policy, count))
                .collect::<Result<_, _>>()?,
        );
        let per_second = count as f64 / elapsed.as_secs_f64();
        println!(
            "append {policy:?}: {count} records in {:.1} ms, {per_second:.0} records/s, \
             {:.2} µs/record, {:.1} MB/s payload",
            elapsed.as_secs_f64() * 1e3,
            elapsed.as_secs_f64() * 1e6 / count as f64,
            per_second * SMALL_PAYLOAD as f64 / 1e6,
        );
    }
    Ok(())
}
