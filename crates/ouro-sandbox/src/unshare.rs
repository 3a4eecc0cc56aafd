//! Entering the new namespaces of a command: one `unshare` for all of them (network, mount,
//! and the user namespace that lets an unprivileged process create the others), then, in a
//! user namespace, the uid/gid maps (the process's own ids mapped to themselves, so files keep
//! their owners). Runs in the child after `fork`: everything it uses is prepared in the parent
//! and it only makes async-signal-safe system calls.

use std::ffi::CString;

/// The `unshare` flags for one command and the map texts for its user namespace.
#[derive(Debug)]
pub struct UnsharePlan {
    flags: libc::c_int,
    user: bool,
    setgroups: CString,
    uid_map_path: CString,
    gid_map_path: CString,
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
}

impl UnsharePlan {
    /// Prepares unsharing `flags` (`CLONE_NEWNET`, `CLONE_NEWNS`), inside a new user
    /// namespace when `user` (the uid/gid maps name this process's ids).
    pub fn new(flags: libc::c_int, user: bool) -> Self {
        // SAFETY: getuid/getgid cannot fail.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        Self {
            flags: if user {
                flags | libc::CLONE_NEWUSER
            } else {
                flags
            },
            user,
            setgroups: c"/proc/self/setgroups".to_owned(),
            uid_map_path: c"/proc/self/uid_map".to_owned(),
            gid_map_path: c"/proc/self/gid_map".to_owned(),
            uid_map: format!("{uid} {uid} 1\n").into_bytes(),
            gid_map: format!("{gid} {gid} 1\n").into_bytes(),
        }
    }

    /// Runs in the child after `fork`: unshares and, in a user namespace, writes the maps.
    pub fn enter(&self) -> std::io::Result<()> {
        // SAFETY: unshare is async-signal-safe and takes no pointers.
        if unsafe { libc::unshare(self.flags) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if self.user {
            write_file(&self.setgroups, b"deny")?;
            write_file(&self.uid_map_path, &self.uid_map)?;
            write_file(&self.gid_map_path, &self.gid_map)?;
        }
        Ok(())
    }
}

/// open/write/close with raw syscalls (async-signal-safe).
pub(super) fn write_file(path: &CString, data: &[u8]) -> std::io::Result<()> {
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

/// Runs `step` in a forked child and returns its errno (0 when it succeeded). The child exits
/// right after, so nothing `step` changes outlives the probe; `step` must be
/// async-signal-safe.
pub(super) fn errno_in_child(step: impl Fn() -> std::io::Result<()>) -> i32 {
    // SAFETY: the child only runs `step` (async-signal-safe by contract) and _exit.
    unsafe {
        let pid = libc::fork();
        if pid < 0 {
            return std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EAGAIN);
        }
        if pid == 0 {
            let code = match step() {
                Ok(()) => 0,
                Err(e) => e.raw_os_error().unwrap_or(libc::EINVAL),
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
