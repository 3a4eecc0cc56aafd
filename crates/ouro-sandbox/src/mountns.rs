//! Write-protecting paths inside writable directories with read-only bind mounts.
//!
//! Landlock can only allow, and a grant on a directory covers everything beneath it, so on its
//! own it cannot let a command write the workspace while keeping `.ouro/` inside it read-only:
//! the [`super::allowlist`] fallback grants the entries *beside* each write-denied path
//! instead, which leaves the workspace root itself unwritable. In a private mount namespace
//! (as bubblewrap does) each write-denied path is bind-mounted onto itself and remounted
//! read-only; Landlock then grants writes on the whole workspace. Entered in the child after
//! `fork`, from texts prepared in the parent:
//!
//! - mount propagation is made private first, so nothing leaks back to ouro's namespace;
//! - each remount keeps the flags the kernel locks in a user namespace (nosuid, nodev, noexec,
//!   the atime mode) as they were, read with `statvfs` in the parent; mounts below a denied
//!   path are remounted read-only too;
//! - the working directory is entered again afterwards, so a command started inside a denied
//!   directory holds no handle on the writable original;
//! - `CAP_SYS_ADMIN` leaves the bounding set (and the ambient set is cleared), so a command
//!   running as root cannot make a writable copy of the mount tree (`open_tree` plus
//!   `mount_setattr`); Landlock, entered after the mounts, refuses `mount`, `umount` and
//!   remounts to everyone.
//!
//! Renaming or hard-linking across a mount fails (`EXDEV`), and a mount point cannot be
//! removed or renamed (`EBUSY`), so denied files cannot be moved or linked out either. A denied
//! file with other hard links elsewhere stays writable through them (reported as a gap).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::SandboxError;
use super::unshare::{UnsharePlan, errno_in_child};

/// `statvfs` flag of a relatime mount (libc defines it for glibc only).
const ST_RELATIME: libc::c_ulong = 4096;
/// The capability to administer mounts (`linux/capability.h`).
const CAP_SYS_ADMIN: libc::c_ulong = 21;

/// Which `unshare` flags give a mount namespace here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountnsMode {
    /// `CLONE_NEWNS` alone works (privileged).
    MountOnly,
    /// `CLONE_NEWUSER | CLONE_NEWNS` works (unprivileged user namespaces).
    UserAndMount,
}

/// Tries each way in a forked child (unshare, then a read-only bind mount of `/` onto
/// itself) and returns the first that works, or why none did.
pub fn probe() -> Result<MountnsMode, String> {
    let root = PathBuf::from("/");
    let plan = MountPlan {
        steps: vec![Step::Bind(c"/".to_owned()), read_only(&root)?],
        ..MountPlan::default()
    };
    let try_with = |user| {
        let unshare = UnsharePlan::new(libc::CLONE_NEWNS, user);
        errno_in_child(|| {
            unshare.enter()?;
            plan.enter()
        })
    };
    let mount_only = try_with(false);
    if mount_only == 0 {
        return Ok(MountnsMode::MountOnly);
    }
    let with_user = try_with(true);
    if with_user == 0 {
        return Ok(MountnsMode::UserAndMount);
    }
    Err(format!(
        "a read-only bind mount after unshare(CLONE_NEWNS) failed: {}; after \
         unshare(CLONE_NEWUSER|CLONE_NEWNS): {}",
        std::io::Error::from_raw_os_error(mount_only),
        std::io::Error::from_raw_os_error(with_user)
    ))
}

/// One mount call.
#[derive(Debug)]
enum Step {
    /// Bind-mount the path onto itself, with the mounts below it.
    Bind(CString),
    /// Bind-mount the first path over the second (a private directory over a shared one).
    Over(CString, CString),
    /// Remount the mount at the path read-only, with these kept flags.
    ReadOnly(CString, libc::c_ulong),
}

/// The mounts for one command, run in the child after `unshare(CLONE_NEWNS)`.
#[derive(Debug, Default)]
pub struct MountPlan {
    steps: Vec<Step>,
    cwd: Option<CString>,
}

impl MountPlan {
    /// Plans read-only bind mounts of `paths` (existing, canonical) and of the mounts below
    /// them.
    pub fn new(paths: &[PathBuf]) -> Result<Self, SandboxError> {
        let below = mount_points()
            .map_err(|e| SandboxError::Mount(format!("reading /proc/self/mountinfo: {e}")))?;
        let mut steps = Vec::new();
        for path in paths {
            steps.push(Step::Bind(c_path(path)?));
            steps.push(read_only(path).map_err(SandboxError::Mount)?);
            for sub in below.iter().filter(|m| m.starts_with(path) && *m != path) {
                steps.push(read_only(sub).map_err(SandboxError::Mount)?);
            }
        }
        Ok(Self { steps, cwd: None })
    }

    /// Binds `dir` over `target` (both existing directories), after the read-only mounts.
    pub fn bind_over(&mut self, dir: &Path, target: &Path) -> Result<(), SandboxError> {
        self.steps.push(Step::Over(c_path(dir)?, c_path(target)?));
        Ok(())
    }

    /// How many paths are mounted read-only.
    pub fn binds(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| matches!(s, Step::Bind(_)))
            .count()
    }

    /// Sets the directory the child enters again once the mounts are in place.
    pub fn set_cwd(&mut self, dir: &Path) -> Result<(), SandboxError> {
        self.cwd = Some(c_path(dir)?);
        Ok(())
    }

    /// Runs in the child after `fork` and `unshare(CLONE_NEWNS)`: makes propagation private,
    /// mounts, enters the working directory again and drops `CAP_SYS_ADMIN` for what it runs.
    pub fn enter(&self) -> std::io::Result<()> {
        let null = std::ptr::null();
        // SAFETY: mount, chdir and prctl are async-signal-safe; every pointer is a
        // NUL-terminated string prepared before the fork, or null.
        unsafe {
            check(libc::mount(
                null,
                c"/".as_ptr(),
                null,
                libc::MS_REC | libc::MS_PRIVATE,
                null.cast(),
            ))?;
            for step in &self.steps {
                match step {
                    Step::Bind(path) => check(libc::mount(
                        path.as_ptr(),
                        path.as_ptr(),
                        null,
                        libc::MS_BIND | libc::MS_REC,
                        null.cast(),
                    ))?,
                    Step::Over(dir, target) => check(libc::mount(
                        dir.as_ptr(),
                        target.as_ptr(),
                        null,
                        libc::MS_BIND,
                        null.cast(),
                    ))?,
                    Step::ReadOnly(path, kept) => check(libc::mount(
                        null,
                        path.as_ptr(),
                        null,
                        libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | kept,
                        null.cast(),
                    ))?,
                }
            }
            if let Some(cwd) = &self.cwd {
                check(libc::chdir(cwd.as_ptr()))?;
            }
            if !self.steps.is_empty() {
                check(libc::prctl(libc::PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0))?;
                check(libc::prctl(
                    libc::PR_CAP_AMBIENT,
                    libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
                    0,
                    0,
                    0,
                ))?;
            }
        }
        Ok(())
    }
}

fn check(rc: libc::c_int) -> std::io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn c_path(path: &Path) -> Result<CString, SandboxError> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| SandboxError::Mount(format!("`{}` contains a NUL byte", path.display())))
}

/// The remount step for `path`, keeping the flags of the mount it is on.
fn read_only(path: &Path) -> Result<Step, String> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| format!("`{}` contains a NUL byte", path.display()))?;
    // SAFETY: `c` is NUL-terminated; `stat` is a valid out-buffer.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut stat) } != 0 {
        return Err(format!(
            "statvfs `{}`: {}",
            path.display(),
            std::io::Error::last_os_error()
        ));
    }
    Ok(Step::ReadOnly(c, kept_flags(stat.f_flag)))
}

/// The mount flags (from `statvfs` flags) a read-only remount must keep: a user namespace
/// locks them, and dropping them would weaken the mount anyway. With no atime flag the mount
/// uses strict atime, which a remount must say (it defaults to relatime).
fn kept_flags(st: libc::c_ulong) -> libc::c_ulong {
    let pairs = [
        (libc::ST_NOSUID, libc::MS_NOSUID),
        (libc::ST_NODEV, libc::MS_NODEV),
        (libc::ST_NOEXEC, libc::MS_NOEXEC),
        (libc::ST_NOATIME, libc::MS_NOATIME),
        (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
        (ST_RELATIME, libc::MS_RELATIME),
    ];
    let mut flags = pairs
        .iter()
        .filter(|(s, _)| st & s != 0)
        .fold(0, |acc, (_, m)| acc | m);
    if st & (libc::ST_NOATIME | ST_RELATIME) == 0 {
        flags |= libc::MS_STRICTATIME;
    }
    flags
}

/// Every mount point of this process, in mount order.
fn mount_points() -> std::io::Result<Vec<PathBuf>> {
    let text = std::fs::read_to_string("/proc/self/mountinfo")?;
    Ok(text
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|field| PathBuf::from(unescape(field)))
        .collect())
}

/// Undoes mountinfo's octal escapes (`\040` for a space, ...).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|d| {
            std::str::from_utf8(d)
                .ok()
                .and_then(|d| u8::from_str_radix(d, 8).ok())
        });
        match (bytes[i], octal) {
            (b'\\', Some(b)) => {
                out.push(b);
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_mountinfo_fields() {
        assert_eq!(unescape(r"/mnt/a\040b\134c"), r"/mnt/a b\c");
        assert_eq!(unescape(r"/plain"), "/plain");
        assert_eq!(unescape(r"/odd\04"), r"/odd\04");
    }

    #[test]
    fn keeps_locked_flags_and_the_atime_mode() {
        let st = libc::ST_NOSUID | libc::ST_NODEV | ST_RELATIME | libc::ST_RDONLY;
        assert_eq!(
            kept_flags(st),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_RELATIME
        );
        assert_eq!(
            kept_flags(libc::ST_NOEXEC),
            libc::MS_NOEXEC | libc::MS_STRICTATIME
        );
    }

    #[test]
    fn plans_submounts_of_denied_paths() {
        let below = mount_points().unwrap();
        assert!(below.contains(&PathBuf::from("/")), "{below:?}");
        let plan = MountPlan::new(&[PathBuf::from("/proc")]).unwrap();
        assert_eq!(plan.binds(), 1);
        assert!(plan.steps.len() >= 2);
    }
}
