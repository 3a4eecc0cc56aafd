//! Network isolation with a new network namespace (only a down loopback inside).
//!
//! Root (or a process with `CAP_SYS_ADMIN`) can `unshare(CLONE_NEWNET)` directly; others need
//! a new user namespace too (`CLONE_NEWUSER | CLONE_NEWNET`), in which the process maps its
//! own uid and gid to themselves so files keep their owners (see [`super::unshare`], which
//! enters it together with the other namespaces of a command).

use super::unshare::{UnsharePlan, errno_in_child};

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
    let try_with = |user| {
        let plan = UnsharePlan::new(libc::CLONE_NEWNET, user);
        errno_in_child(|| plan.enter())
    };
    let net_only = try_with(false);
    if net_only == 0 {
        return Ok(NetnsMode::NetOnly);
    }
    let with_user = try_with(true);
    if with_user == 0 {
        return Ok(NetnsMode::UserAndNet);
    }
    Err(format!(
        "unshare(CLONE_NEWNET) failed: {}; unshare(CLONE_NEWUSER|CLONE_NEWNET) failed: {}",
        std::io::Error::from_raw_os_error(net_only),
        std::io::Error::from_raw_os_error(with_user)
    ))
}
