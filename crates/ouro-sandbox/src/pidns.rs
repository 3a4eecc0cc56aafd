//! Processes end with their command: each command runs as PID 1 of a new PID namespace.
//!
//! A command may leave processes behind that outlive it and the agent (`setsid cmd &`,
//! `nohup`, a double fork): they escape the process group the tool kills, and could keep
//! working on the workspace between later calls (swapping files under the file tools, for
//! one). When PID 1 of a namespace exits, the kernel kills every other process in it, so the
//! shell is made PID 1: `unshare(CLONE_NEWPID)` (entered together with the other namespaces,
//! see [`super::unshare`]) only affects the next child, so the forked child forks once more
//! ([`become_init`]); the grandchild becomes PID 1 and goes on to `exec` the shell, and the
//! child waits for it and exits the same way, so the caller sees the shell's status. The
//! grandchild dies with the child (`PR_SET_PDEATHSIG`), so killing the process group the tool
//! knows kills the namespace too. Where no PID namespace can be made, [`super::reap`] sweeps.

use super::unshare::{UnsharePlan, errno_in_child};

/// Which `unshare` flags make a PID namespace here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PidnsMode {
    /// `CLONE_NEWPID` alone works (privileged).
    PidOnly,
    /// `CLONE_NEWUSER | CLONE_NEWPID` works (unprivileged user namespaces).
    UserAndPid,
}

/// Tries each way in a forked child and returns the first that works, or why none did.
pub fn probe() -> Result<PidnsMode, String> {
    let try_with = |user| {
        let plan = UnsharePlan::new(libc::CLONE_NEWPID, user);
        errno_in_child(|| plan.enter())
    };
    let pid_only = try_with(false);
    if pid_only == 0 {
        return Ok(PidnsMode::PidOnly);
    }
    let with_user = try_with(true);
    if with_user == 0 {
        return Ok(PidnsMode::UserAndPid);
    }
    Err(format!(
        "unshare(CLONE_NEWPID) failed: {}; unshare(CLONE_NEWUSER|CLONE_NEWPID) failed: {}",
        std::io::Error::from_raw_os_error(pid_only),
        std::io::Error::from_raw_os_error(with_user)
    ))
}

/// Runs in the forked child after `unshare(CLONE_NEWPID)`: forks the namespace's PID 1, which
/// returns (and goes on to `exec`), while this process waits for it and exits with its status.
/// Only async-signal-safe system calls.
pub fn become_init() -> std::io::Result<()> {
    // SAFETY: fork in the single-threaded forked child; both sides only make
    // async-signal-safe calls (prctl, close_range/close, waitpid, signal, kill, _exit).
    unsafe {
        let pid = libc::fork();
        if pid < 0 {
            return Err(std::io::Error::last_os_error());
        }
        if pid == 0 {
            // PID 1 of the new namespace: it dies with the waiting parent.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            return Ok(());
        }
        // The waiting parent keeps nothing open: not the output pipes (their readers must see
        // the end when PID 1 closes them) nor the pipe on which the spawner learns that the
        // exec succeeded (it closes when PID 1 execs).
        if libc::syscall(libc::SYS_close_range, 0u32, u32::MAX, 0u32) != 0 {
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
            for fd in 0..limit.rlim_cur.min(1 << 20) as libc::c_int {
                libc::close(fd);
            }
        }
        let mut status = 0;
        while libc::waitpid(pid, &mut status, 0) < 0 {
            if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                libc::_exit(127);
            }
        }
        if libc::WIFSIGNALED(status) {
            let signal = libc::WTERMSIG(status);
            libc::signal(signal, libc::SIG_DFL);
            libc::kill(libc::getpid(), signal);
            libc::_exit(128 + signal);
        }
        libc::_exit(libc::WEXITSTATUS(status));
    }
}
