//! Opening files beneath a directory handle without following symbolic links.
//!
//! The file tools check a path against the permission policy and then use it. A process left
//! running by an earlier command could swap a component of that path for a symbolic link in
//! between (to `.env`, or out of the workspace), so the use must not resolve the path again
//! the way the check did. Every open here resolves the path relative to a handle on the
//! workspace root with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`: the file opened is
//! the one at the checked path, or the call fails. Kernels without `openat2` (before 5.6, or
//! behind a container filter that answers `ENOSYS`) get the same guarantee from a walk that
//! opens one component at a time with `O_NOFOLLOW`. Writes create missing directories the
//! same way, never follow a link at the final name, and refuse anything but regular files
//! (a FIFO would block the agent).

use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Component, Path};
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

/// Set once `openat2` answered `ENOSYS`; later opens walk component by component.
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

/// How an open resolves its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolver {
    /// `openat2` when the kernel has it, else the walk.
    Best,
    /// Always the component-by-component walk (the fallback, also used in tests).
    Walk,
}

/// Whether this kernel resolves with `openat2` (false once it answered `ENOSYS`).
pub fn has_openat2() -> bool {
    !NO_OPENAT2.load(Ordering::Relaxed)
}

/// Opens the directory `path` as a handle for the functions here.
pub fn open_root(path: &Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::open(
        path,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// The plain names of a relative path; `..`, a root or a prefix is refused.
fn names(rel: &Path) -> io::Result<Vec<&OsStr>> {
    let mut names = Vec::new();
    for component in rel.components() {
        match component {
            Component::Normal(name) => names.push(name),
            Component::CurDir => {}
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("`{}` must be a relative path without `..`", rel.display()),
                ));
            }
        }
    }
    Ok(names)
}

/// Names the cause plainly when a symbolic link stopped the resolution.
fn explain(errno: Errno) -> io::Error {
    let err = io::Error::from(errno);
    match errno {
        Errno::LOOP | Errno::XDEV => io::Error::new(
            err.kind(),
            format!(
                "a component of the path is a symbolic link (the file tools do not follow links \
                 at use; resolve it and pass the target): {err}"
            ),
        ),
        _ => err,
    }
}

/// Opens `rel` beneath `dir` with `flags`, following no symbolic link anywhere in it.
pub fn open(
    dir: BorrowedFd<'_>,
    rel: &Path,
    flags: OFlags,
    mode: Mode,
    resolver: Resolver,
) -> io::Result<OwnedFd> {
    let names = names(rel)?;
    let flags = flags | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    if resolver == Resolver::Best && has_openat2() {
        let target: &Path = if names.is_empty() {
            Path::new(".")
        } else {
            rel
        };
        let how = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
        match rustix::fs::openat2(dir, target, flags, mode, how) {
            Err(Errno::NOSYS) => NO_OPENAT2.store(true, Ordering::Relaxed),
            other => return other.map_err(explain),
        }
    }
    let Some((last, parents)) = names.split_last() else {
        return rustix::fs::openat(dir, ".", flags, mode).map_err(explain);
    };
    let parent = walk_dirs(dir, parents, false)?;
    let base = parent.as_ref().map_or(dir, |fd| fd.as_fd());
    rustix::fs::openat(base, *last, flags, mode).map_err(explain)
}

/// Opens each of `names` in turn as a directory below `dir` (creating missing ones when
/// `create`), never following a link; `None` when `names` is empty (`dir` itself).
fn walk_dirs(dir: BorrowedFd<'_>, names: &[&OsStr], create: bool) -> io::Result<Option<OwnedFd>> {
    let mut current: Option<OwnedFd> = None;
    for name in names {
        let base = current.as_ref().map_or(dir, |fd| fd.as_fd());
        if create {
            match rustix::fs::mkdirat(base, *name, Mode::from_raw_mode(0o777)) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let next = rustix::fs::openat(
            base,
            *name,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| match e {
            // O_DIRECTORY | O_NOFOLLOW on a link reports ENOTDIR.
            Errno::NOTDIR => io::Error::new(
                io::ErrorKind::NotADirectory,
                format!(
                    "`{}` is not a directory (or is a symbolic link, which the file tools do \
                     not follow at use)",
                    Path::new(name).display()
                ),
            ),
            other => other.into(),
        })?;
        current = Some(next);
    }
    Ok(current)
}

/// Fails unless `fd` is a regular file; returns its size.
fn regular_size(fd: BorrowedFd<'_>) -> io::Result<u64> {
    let stat = rustix::fs::fstat(fd)?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(io::Error::other("not a regular file"));
    }
    Ok(stat.st_size as u64)
}

/// Reads the regular file `rel` beneath `dir`, refusing files over `max_bytes`.
pub fn read(dir: BorrowedFd<'_>, rel: &Path, max_bytes: u64) -> io::Result<Vec<u8>> {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is then refused).
    let fd = open(
        dir,
        rel,
        OFlags::RDONLY | OFlags::NONBLOCK,
        Mode::empty(),
        Resolver::Best,
    )?;
    let size = regular_size(fd.as_fd())?;
    if size > max_bytes {
        return Err(io::Error::other(format!(
            "file is {size} bytes, over the {max_bytes}-byte limit"
        )));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    std::fs::File::from(fd)
        .take(max_bytes + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(io::Error::other(format!(
            "file grew past the {max_bytes}-byte limit while being read"
        )));
    }
    Ok(bytes)
}

/// Writes `data` to `rel` beneath `dir`, creating missing parent directories; an existing
/// file is truncated in place (its mode and links kept), a link or non-regular file refused.
pub fn write(dir: BorrowedFd<'_>, rel: &Path, data: &[u8]) -> io::Result<()> {
    let names = names(rel)?;
    let Some((last, parents)) = names.split_last() else {
        return Err(io::Error::other("the workspace root is a directory"));
    };
    let parent = walk_dirs(dir, parents, true)?;
    let base = parent.as_ref().map_or(dir, |fd| fd.as_fd());
    let fd = rustix::fs::openat(
        base,
        *last,
        OFlags::WRONLY | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o666),
    )
    .map_err(explain)?;
    regular_size(fd.as_fd())?;
    rustix::fs::ftruncate(&fd, 0)?;
    std::fs::File::from(fd).write_all(data)
}

/// Removes the file (or link) `rel` beneath `dir`; never follows a link on the way.
pub fn remove(dir: BorrowedFd<'_>, rel: &Path) -> io::Result<()> {
    let names = names(rel)?;
    let Some((last, parents)) = names.split_last() else {
        return Err(io::Error::other("the workspace root cannot be removed"));
    };
    let parent = walk_dirs(dir, parents, false)?;
    let base = parent.as_ref().map_or(dir, |fd| fd.as_fd());
    Ok(rustix::fs::unlinkat(base, *last, AtFlags::empty())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn setup() -> (tempfile::TempDir, OwnedFd) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ws/sub")).unwrap();
        std::fs::write(dir.path().join("ws/sub/a.txt"), "inside").unwrap();
        std::fs::write(dir.path().join("secret"), "outside").unwrap();
        let root = open_root(&dir.path().join("ws")).unwrap();
        (dir, root)
    }

    fn read_with(root: &OwnedFd, rel: &str, resolver: Resolver) -> io::Result<String> {
        let fd = open(
            root.as_fd(),
            Path::new(rel),
            OFlags::RDONLY,
            Mode::empty(),
            resolver,
        )?;
        let mut s = String::new();
        std::fs::File::from(fd).read_to_string(&mut s)?;
        Ok(s)
    }

    #[test]
    fn both_resolvers_refuse_links_and_dotdot() {
        let (dir, root) = setup();
        let ws = dir.path().join("ws");
        symlink(dir.path().join("secret"), ws.join("file-link")).unwrap();
        symlink(dir.path(), ws.join("dir-link")).unwrap();
        symlink("sub", ws.join("inner-link")).unwrap();
        for resolver in [Resolver::Best, Resolver::Walk] {
            assert_eq!(read_with(&root, "sub/a.txt", resolver).unwrap(), "inside");
            for bad in [
                "file-link",
                "dir-link/secret",
                "inner-link/a.txt",
                "../secret",
            ] {
                assert!(
                    read_with(&root, bad, resolver).is_err(),
                    "{bad} via {resolver:?} opened"
                );
            }
        }
        let err = read(root.as_fd(), Path::new("file-link"), 100).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
    }

    #[test]
    fn write_creates_dirs_and_refuses_links_and_fifos() {
        let (dir, root) = setup();
        let ws = dir.path().join("ws");
        write(root.as_fd(), Path::new("new/deep/f.txt"), b"hi").unwrap();
        assert_eq!(
            std::fs::read_to_string(ws.join("new/deep/f.txt")).unwrap(),
            "hi"
        );
        write(root.as_fd(), Path::new("sub/a.txt"), b"x").unwrap();
        assert_eq!(std::fs::read_to_string(ws.join("sub/a.txt")).unwrap(), "x");
        symlink(dir.path().join("secret"), ws.join("link")).unwrap();
        symlink(dir.path(), ws.join("dlink")).unwrap();
        assert!(write(root.as_fd(), Path::new("link"), b"pwned").is_err());
        assert!(write(root.as_fd(), Path::new("dlink/new.txt"), b"pwned").is_err());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("secret")).unwrap(),
            "outside"
        );
        assert!(!dir.path().join("new.txt").exists());
        let fifo = std::ffi::CString::new(ws.join("fifo").to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        assert!(write(root.as_fd(), Path::new("fifo"), b"x").is_err());
        let err = read(root.as_fd(), Path::new("fifo"), 100).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn read_enforces_the_size_limit_and_remove_keeps_link_targets() {
        let (dir, root) = setup();
        let err = read(root.as_fd(), Path::new("sub/a.txt"), 3).unwrap_err();
        assert!(err.to_string().contains("over the 3-byte limit"), "{err}");
        let ws = dir.path().join("ws");
        symlink(dir.path().join("secret"), ws.join("link")).unwrap();
        remove(root.as_fd(), Path::new("link")).unwrap();
        assert!(dir.path().join("secret").exists());
        symlink(dir.path(), ws.join("dlink")).unwrap();
        assert!(remove(root.as_fd(), Path::new("dlink/secret")).is_err());
        assert!(dir.path().join("secret").exists());
    }
}
