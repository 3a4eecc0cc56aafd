//! Crash test of the journal: a child process appends records under
//! [`FsyncPolicy::Always`] and is killed (SIGKILL on Unix) at random moments; after each
//! kill the journal is reopened and every record the child acknowledged must be there,
//! intact, with contiguous lsns, and nothing corrupt may be returned.
//!
//! This is its own test binary (`harness = false`): started with `OURO_JOURNAL_CRASH_CHILD`
//! set to a directory it is the child, otherwise it is the parent and spawns itself.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use common::{Rng, payload, read_all};
use ouro_core::journal::{FsyncPolicy, Journal, JournalOptions, Lsn};

const CHILD_ENV: &str = "OURO_JOURNAL_CRASH_CHILD";
const ROUNDS: usize = 20;
/// Large enough that a kill can land inside one record's write.
const MAX_PAYLOAD: usize = 16 * 1024;

fn options() -> JournalOptions {
    JournalOptions {
        segment_size: 256 * 1024,
        fsync: FsyncPolicy::Always,
        ..JournalOptions::default()
    }
}

fn main() -> ExitCode {
    match std::env::var_os(CHILD_ENV) {
        Some(dir) => child(Path::new(&dir)),
        None => {
            parent();
            ExitCode::SUCCESS
        }
    }
}

/// Appends records forever, printing each lsn once `append` has returned.
fn child(dir: &Path) -> ExitCode {
    let mut journal = match Journal::open(dir, options()) {
        Ok(journal) => journal,
        Err(e) => {
            eprintln!("crash child: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    loop {
        let lsn = journal.next_lsn();
        let acked = journal.append(&payload(lsn, MAX_PAYLOAD));
        let reported = match acked {
            Ok(acked) => writeln!(out, "{acked}").and_then(|()| out.flush()),
            Err(e) => {
                eprintln!("crash child: {e}");
                return ExitCode::from(3);
            }
        };
        if reported.is_err() {
            return ExitCode::from(4);
        }
    }
}

/// Runs one child until a random moment, kills it, and returns the lsns it acknowledged.
fn run_child(dir: &Path, rng: &mut Rng) -> Vec<Lsn> {
    let exe = std::env::current_exe().expect("path of the test binary");
    let mut child = Command::new(exe)
        .env(CHILD_ENV, dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let mut stdout = child.stdout.take().expect("child stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    std::thread::sleep(Duration::from_millis(10 + rng.below(300)));
    child.kill().expect("kill child");
    let status = child.wait().expect("wait for child");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "child ended by itself: {status}");
    }
    #[cfg(not(unix))]
    assert!(!status.success(), "child ended by itself: {status}");
    let text = reader
        .join()
        .expect("reader thread")
        .expect("read child stdout");
    // A line cut short by the kill was never fully reported: only whole lines count.
    text.split_inclusive('\n')
        .filter(|line| line.ends_with('\n'))
        .map(|line| line.trim_end().parse().expect("child prints lsns"))
        .collect()
}

fn parent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng::from_clock("journal crash");
    let (mut acked_total, mut truncations, mut last_acked) = (0usize, 0usize, 0);
    for round in 0..ROUNDS {
        let acked = run_child(dir.path(), &mut rng);
        if let (Some(first), Some(last)) = (acked.first(), acked.last()) {
            assert!(*first > last_acked, "round {round}: lsns went backwards");
            assert_eq!(
                *last - *first + 1,
                acked.len() as Lsn,
                "round {round}: gap in acks"
            );
            last_acked = *last;
        }
        acked_total += acked.len();

        let journal = Journal::open(dir.path(), options())
            .unwrap_or_else(|e| panic!("round {round}: reopen failed: {e}"));
        truncations += usize::from(journal.recovery_report().truncation.is_some());
        let records = read_all(&journal);
        for (record, lsn) in records.iter().zip(1..) {
            assert_eq!(record.lsn, lsn, "round {round}: lsns not contiguous");
            assert_eq!(
                record.payload,
                payload(lsn, MAX_PAYLOAD),
                "round {round}: lsn {lsn}"
            );
        }
        let recovered = records.last().map_or(0, |r| r.lsn);
        assert!(
            recovered >= last_acked,
            "round {round}: acknowledged lsn {last_acked} lost (log ends at {recovered})"
        );
        println!(
            "round {round}: {} acked, log ends at lsn {recovered}, {} segments, truncated: {:?}",
            acked.len(),
            journal.segment_count(),
            journal
                .recovery_report()
                .truncation
                .as_ref()
                .map(|t| t.bytes)
        );
    }
    assert!(acked_total > 0, "the child never acknowledged a record");
    println!(
        "journal crash: {ROUNDS} kills, {acked_total} acknowledged records all recovered, \
         {truncations} torn tails truncated"
    );
}
