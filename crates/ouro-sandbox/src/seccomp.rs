//! UNIX-domain sockets refused while the network is denied (a seccomp filter).
//!
//! The network namespace cuts IP traffic and Landlock ABI >= 6 scopes abstract UNIX sockets,
//! but sockets on disk (`/tmp/*.sock`, `$SSH_AUTH_SOCK`, `/var/run/docker.sock`) are reached
//! through the file system and stay connectable. seccomp cannot read the path a `connect`
//! names, so with the network denied the filter refuses UNIX sockets at their creation:
//! `socket(AF_UNIX, ...)` and datagram `socketpair`s (a datagram socket can `sendto` any path)
//! fail with `EACCES`. Connected stream and seqpacket pairs, which reach nothing on disk, stay
//! allowed (pipelines, `multiprocessing`). `io_uring_setup` is refused too, since io_uring
//! creates and connects sockets without the system calls the filter sees. The x32 ABI's calls
//! are refused; a 32-bit program (another audit architecture) cannot run under the filter.
//! Tools that look up users or hosts through `nscd` or `systemd` over a UNIX socket fall back
//! to the files, as they do when those daemons are not running.

/// The seccomp audit architecture of this build.
#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7;

const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JEQ_K: u16 = 0x15;
const BPF_JGE_K: u16 = 0x35;
const BPF_AND_K: u16 = 0x54;
const BPF_RET_K: u16 = 0x06;
const RET_ALLOW: u32 = 0x7fff_0000;
const RET_ERRNO: u32 = 0x0005_0000;
/// Offsets in `struct seccomp_data`: nr, arch, then args[6] (u64, little-endian) at 16.
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
const OFF_ARG0: u32 = 16;
const OFF_ARG1: u32 = 24;
/// System call numbers at or above this are the x32 ABI on x86_64.
const X32_BIT: u32 = 0x4000_0000;
/// The socket type bits of `socketpair`'s second argument (the rest are flags).
const SOCK_TYPE_MASK: u32 = 0xf;

/// A compiled filter, built in the parent and installed in the child before `exec`.
#[derive(Debug)]
pub struct UnixSocketFilter {
    program: Vec<libc::sock_filter>,
}

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

impl UnixSocketFilter {
    /// The filter described in the module documentation.
    pub fn new() -> Self {
        let deny = RET_ERRNO | libc::EACCES as u32;
        let program = vec![
            /* 0 */ stmt(BPF_LD_W_ABS, OFF_ARCH),
            /* 1 */ jump(BPF_JEQ_K, AUDIT_ARCH, 1, 0),
            /* 2 */ stmt(BPF_RET_K, RET_ERRNO | libc::ENOSYS as u32),
            /* 3 */ stmt(BPF_LD_W_ABS, OFF_NR),
            /* 4 */ jump(BPF_JGE_K, X32_BIT, 13, 0),
            /* 5 */ jump(BPF_JEQ_K, libc::SYS_socket as u32, 3, 0),
            /* 6 */ jump(BPF_JEQ_K, libc::SYS_socketpair as u32, 5, 0),
            /* 7 */ jump(BPF_JEQ_K, libc::SYS_io_uring_setup as u32, 10, 0),
            /* 8 */ stmt(BPF_RET_K, RET_ALLOW),
            // socket(domain, ...): refuse AF_UNIX.
            /* 9 */
            stmt(BPF_LD_W_ABS, OFF_ARG0),
            /* 10 */ jump(BPF_JEQ_K, libc::AF_UNIX as u32, 7, 0),
            /* 11 */ stmt(BPF_RET_K, RET_ALLOW),
            // socketpair(domain, type, ...): refuse AF_UNIX datagrams.
            /* 12 */
            stmt(BPF_LD_W_ABS, OFF_ARG0),
            /* 13 */ jump(BPF_JEQ_K, libc::AF_UNIX as u32, 0, 3),
            /* 14 */ stmt(BPF_LD_W_ABS, OFF_ARG1),
            /* 15 */ stmt(BPF_AND_K, SOCK_TYPE_MASK),
            /* 16 */ jump(BPF_JEQ_K, libc::SOCK_DGRAM as u32, 1, 0),
            /* 17 */ stmt(BPF_RET_K, RET_ALLOW),
            /* 18 */ stmt(BPF_RET_K, deny),
        ];
        Self { program }
    }

    /// Installs the filter on the calling thread and its future children (in the child after
    /// `fork`; async-signal-safe: two `prctl`s on memory prepared before the fork).
    pub fn install(&self) -> std::io::Result<()> {
        let prog = libc::sock_fprog {
            len: self.program.len() as u16,
            filter: self.program.as_ptr().cast_mut(),
        };
        // SAFETY: `prog` points at the filter, which lives as long as `self`; the kernel copies
        // it during the call.
        unsafe {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    &prog as *const libc::sock_fprog,
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

impl Default for UnixSocketFilter {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether this kernel accepts seccomp filters (`PR_GET_SECCOMP` answers).
pub fn probe() -> Result<(), String> {
    // SAFETY: PR_GET_SECCOMP takes no pointers.
    if unsafe { libc::prctl(libc::PR_GET_SECCOMP) } < 0 {
        return Err(format!(
            "seccomp unavailable: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::unshare::errno_in_child;
    use super::*;

    /// Runs `call` in a forked child under the filter; its errno (0 for success).
    fn under_filter(call: impl Fn() -> libc::c_int) -> i32 {
        let filter = UnixSocketFilter::new();
        errno_in_child(|| {
            filter.install()?;
            if call() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }

    #[test]
    fn refuses_unix_sockets_and_datagram_pairs_only() {
        if probe().is_err() {
            eprintln!("!!! no seccomp: skipped");
            return;
        }
        // SAFETY (all closures): plain socket calls on stack memory.
        let unix = under_filter(|| unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0) });
        assert_eq!(unix, libc::EACCES);
        let inet = under_filter(|| unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0) });
        assert_eq!(inet, 0);
        let pair = |ty| {
            under_filter(move || {
                let mut fds = [0; 2];
                unsafe { libc::socketpair(libc::AF_UNIX, ty, 0, fds.as_mut_ptr()) }
            })
        };
        assert_eq!(pair(libc::SOCK_STREAM | libc::SOCK_CLOEXEC), 0);
        assert_eq!(pair(libc::SOCK_DGRAM | libc::SOCK_CLOEXEC), libc::EACCES);
        let uring = under_filter(|| unsafe {
            libc::syscall(libc::SYS_io_uring_setup, 1, std::ptr::null_mut::<u8>()) as libc::c_int
        });
        assert_eq!(uring, libc::EACCES);
        let pid = under_filter(|| unsafe { libc::getpid() });
        assert_eq!(pid, 0);
    }
}
