//! Network isolation with a new network namespace (only a down loopback inside).
//!
//! Root (or a process with `CAP_SYS_ADMIN`) can `unshare(CLONE_NEWNET)` directly; others need
//! a new user namespace too (`CLONE_NEWUSER | CLONE_NEWNET`), in which the process maps its
//! own uid and gid to themselves so files keep their owners. Everything that runs in the
//! child after `fork` is async-signal-safe: the map texts are prepared in the parent.

use std::ffi::CString;

/// Which `unshare` flags this kernel and these privileges allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetnsMode {
    /// `CLONE_NEWNET` alone works (privileged).
    NetOnly,
    /// `CLONE_NEWUSER | CLONE_NEWNET` works (unprivileged user namespaces).
    UserAndNet,
}

/// Tries each way in a forked child and returns the first that works, or why none did.
pub fn probe() -> Result<NetnsMode, String> {
    let net_only = try_in_child(libc::CLONE_NEWNET);
    if net_only == 0 {
        return Ok(NetnsMode::NetOnly);
    }
    let with_user = try_in_child(libc::CLONE_NEWUSER | libc::CLONE_NEWNET);
    if with_user == 0 {
        return Ok(NetnsMode::UserAndNet);
    }
    Err(format!(
        "unshare(CLONE_NEWNET) failed: {}; unshare(CLONE_NEWUSER|CLONE_NEWNET) failed: {}",
        std::io::Error::from_raw_os_error(net_only),
        std::io::Error::from_raw_os_error(with_user)
    ))
}

/// Forks, calls `unshare(flags)` in the child and returns its errno (0 on success).
fn try_in_child(flags: libc::c_int) -> i32 {
    // SAFETY: the child only calls async-signal-safe functions (unshare, _exit).
    unsafe {
        let pid = libc::fork();
        if pid < 0 {
            return std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EAGAIN);
        }
        if pid == 0 {
            let rc = libc::unshare(flags);
            let code = if rc == 0 {
                0
            } else {
                *libc::__errno_location()
            };
            libc::_exit(code.clamp(0, 255));
        }
        let mut status = 0;
        if libc::waitpid(pid, &mut status, 0) < 0 {
            return libc::ECHILD;
        }
        if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            libc::ECHILD
        }
    }
}

/// What the child does to leave the network: prepared in the parent, run after `fork`.
#[derive(Debug)]
pub struct NetnsPlan {
    mode: NetnsMode,
    setgroups: CString,
    uid_map_path: CString,
    gid_map_path: CString,
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
}

impl NetnsPlan {
    /// Prepares the plan for `mode` (the uid/gid maps name this process's ids).
    pub fn new(mode: NetnsMode) -> Self {
        // SAFETY: getuid/getgid cannot fail.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        Self {
            mode,
            setgroups: c"/proc/self/setgroups".to_owned(),
            uid_map_path: c"/proc/self/uid_map".to_owned(),
            gid_map_path: c"/proc/self/gid_map".to_owned(),
            uid_map: format!("{uid} {uid} 1\n").into_bytes(),
            gid_map: format!("{gid} {gid} 1\n").into_bytes(),
        }
    }

    /// Runs in the child after `fork`: unshares and, in a user namespace, writes the maps.
    pub fn enter(&self) -> std::io::Result<()> {
        let flags = match self.mode {
            NetnsMode::NetOnly => libc::CLONE_NEWNET,
            NetnsMode::UserAndNet => libc::CLONE_NEWUSER | libc::CLONE_NEWNET,
        };
        // SAFETY: unshare is async-signal-safe and takes no pointers.
        if unsafe { libc::unshare(flags) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if self.mode == NetnsMode::UserAndNet {
            write_file(&self.setgroups, b"deny")?;
            write_file(&self.uid_map_path, &self.uid_map)?;
            write_file(&self.gid_map_path, &self.gid_map)?;
        }
        Ok(())
    }
}

/// open/write/close with raw syscalls (async-signal-safe).
fn write_file(path: &CString, data: &[u8]) -> std::io::Result<()> {
    // SAFETY: `path` is NUL-terminated; `data` is a valid buffer for its length.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let n = libc::write(fd, data.as_ptr().cast(), data.len());
        let err = std::io::Error::last_os_error();
        libc::close(fd);
        if n < 0 || n as usize != data.len() {
            return Err(err);
        }
    }
    Ok(())
}
