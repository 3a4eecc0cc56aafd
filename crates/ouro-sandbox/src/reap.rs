//! Sweeping what a command left running, where no PID namespace holds it.
//!
//! Each command carries a unique [`Marker`] in its environment, which every process it starts
//! inherits, including those that left its process group (`setsid`, `nohup`, a double fork).
//! After the command ends, [`Marker::sweep`] kills every process that carries the marker and
//! every descendant of one, round after round until none is left (a process may fork while
//! the sweep runs). A process that cleared its environment and was orphaned escapes: the PID
//! namespace ([`super::pidns`]) is the protection, this the fallback the startup report names.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The environment variable that carries the marker.
pub const VAR: &str = "OURO_COMMAND_ID";

/// How many rounds a sweep makes at most.
const ROUNDS: usize = 20;

/// A unique marker for one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker(String);

impl Marker {
    /// A marker no other command of this or another ouro process carries.
    pub fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Self(format!(
            "{}-{nanos:x}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ))
    }

    /// The value to put in [`VAR`].
    pub fn value(&self) -> &str {
        &self.0
    }

    /// Kills every process that carries this marker and all their descendants; returns how
    /// many were killed.
    pub fn sweep(&self) -> usize {
        let needle = format!("{VAR}={}", self.0);
        let me = std::process::id() as libc::pid_t;
        let mut killed = BTreeSet::new();
        for _ in 0..ROUNDS {
            let table = processes();
            let mut doomed: BTreeSet<libc::pid_t> = table
                .keys()
                .copied()
                .filter(|&pid| pid != me && carries(pid, &needle))
                .collect();
            // Add descendants until nothing changes.
            loop {
                let before = doomed.len();
                for (&pid, &parent) in &table {
                    if doomed.contains(&parent) && pid != me {
                        doomed.insert(pid);
                    }
                }
                if doomed.len() == before {
                    break;
                }
            }
            let alive: Vec<libc::pid_t> = doomed.into_iter().filter(|p| !is_zombie(*p)).collect();
            if alive.is_empty() {
                break;
            }
            for pid in alive {
                // SAFETY: kill takes no pointers; a process gone already gives ESRCH.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
                killed.insert(pid);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        killed.len()
    }
}

impl Default for Marker {
    fn default() -> Self {
        Self::new()
    }
}

/// Every process's parent, from `/proc/PID/stat`.
fn processes() -> BTreeMap<libc::pid_t, libc::pid_t> {
    let mut table = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return table;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        if let Some(parent) = stat_field(pid, 1).and_then(|f| f.parse().ok()) {
            table.insert(pid, parent);
        }
    }
    table
}

/// Field `n` (0-based) after the command name of `/proc/PID/stat` (0: state, 1: parent).
fn stat_field(pid: libc::pid_t, n: usize) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(n).map(str::to_string)
}

fn is_zombie(pid: libc::pid_t) -> bool {
    stat_field(pid, 0).is_none_or(|state| state == "Z" || state == "X")
}

/// Whether the process's environment holds `needle` (`VAR=value`).
fn carries(pid: libc::pid_t, needle: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|env| env.split(|&b| b == 0).any(|v| v == needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    #[test]
    fn sweeps_setsid_and_double_forked_processes() {
        let marker = Marker::new();
        let tag = format!("{}", 7_000_000 + std::process::id() % 1_000_000);
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "setsid sleep {tag}.1 & ( ( sleep {tag}.2 & ) & ) ; nohup sleep {tag}.3 >/dev/null 2>&1 &"
            ))
            .env(VAR, marker.value())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        std::thread::sleep(Duration::from_millis(200));
        let running = || {
            processes()
                .keys()
                .filter(|pid| {
                    !is_zombie(**pid)
                        && std::fs::read(format!("/proc/{pid}/cmdline"))
                            .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&tag))
                })
                .count()
        };
        assert_eq!(running(), 3, "the test processes did not start");
        assert!(marker.sweep() >= 3);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(running(), 0, "a process survived the sweep");
        assert_eq!(Marker::new().sweep(), 0);
    }
}
