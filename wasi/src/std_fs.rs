//! [`StdHost`]'s files: preopened host directories, and every path resolved beneath one by
//! `cap-std`.
//!
//! The sandbox is `cap-std`'s: a [`Dir`] resolves a path beneath itself (with `openat2`
//! `RESOLVE_BENEATH` on Linux, an `O_NOFOLLOW` walk of each component elsewhere), refusing
//! an absolute path, a `..` above it, and a symbolic link that leads outside, also one swapped
//! in between a check and a use, since no path is ever resolved twice. This module adds no
//! resolution of its own: it maps the WASI calls onto `cap-std`'s, and the guest's handles
//! onto open files and directories.
//!
//! Open handles are bounded: at most [`MAX_FDS`] at once (`EMFILE` past it), as the guest's
//! descriptors are. `fd_readdir` reads the directory afresh for each call, skipping to the
//! cookie, so the host holds one entry at a time whatever the directory's size.

use std::io::{self, IoSlice, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirEntryExt as _, FileExt};
use std::path::Path;
use std::vec::Vec;

use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, OpenOptionsSyncExt,
};
use cap_std::fs::{Dir, FileType, FileTypeExt, Metadata, MetadataExt, OpenOptions};
use rustix::fs::{OFlags, Timespec as FsTimespec, Timestamps, UTIME_NOW, UTIME_OMIT};

use crate::fs::{DirEntry, Filestat, OpenRequest, Opened, SetTime, Whence, MAX_FDS};
use crate::types::{Errno, Fdflags, Filetype};
use crate::StdHost;

/// What a handle is.
#[derive(Debug)]
enum Open {
    File(std::fs::File),
    Dir {
        dir: Dir,
        /// The guest's name of a preopened directory.
        name: Option<Vec<u8>>,
    },
}

/// The open files and directories of a [`StdHost`], by handle (the index).
#[derive(Debug, Default)]
pub(crate) struct Files {
    open: Vec<Option<Open>>,
}

/// The errno of a host I/O error: the OS's errno mapped to WASI's; `cap-std`'s refusal of a
/// path that leads outside the directory (an error without an OS errno, of kind
/// `PermissionDenied`) is `EPERM`.
pub(crate) fn fs_errno(e: &io::Error) -> Errno {
    use rustix::io::Errno as E;
    let Some(os) = E::from_io_error(e) else {
        return match e.kind() {
            io::ErrorKind::PermissionDenied => Errno::Perm,
            io::ErrorKind::NotFound => Errno::Noent,
            io::ErrorKind::AlreadyExists => Errno::Exist,
            io::ErrorKind::InvalidInput => Errno::Inval,
            io::ErrorKind::Unsupported => Errno::Notsup,
            io::ErrorKind::NotADirectory => Errno::Notdir,
            io::ErrorKind::IsADirectory => Errno::Isdir,
            io::ErrorKind::DirectoryNotEmpty => Errno::Notempty,
            _ => Errno::Io,
        };
    };
    match os {
        E::PERM => Errno::Perm,
        E::NOENT => Errno::Noent,
        E::BADF => Errno::Badf,
        E::ACCESS => Errno::Acces,
        E::EXIST => Errno::Exist,
        E::XDEV => Errno::Xdev,
        E::NOTDIR => Errno::Notdir,
        E::ISDIR => Errno::Isdir,
        E::INVAL => Errno::Inval,
        E::NFILE => Errno::Nfile,
        E::MFILE => Errno::Mfile,
        E::TXTBSY => Errno::Txtbsy,
        E::FBIG => Errno::Fbig,
        E::NOSPC => Errno::Nospc,
        E::SPIPE => Errno::Spipe,
        E::ROFS => Errno::Rofs,
        E::MLINK => Errno::Mlink,
        E::NAMETOOLONG => Errno::Nametoolong,
        E::NOTEMPTY => Errno::Notempty,
        E::LOOP => Errno::Loop,
        E::NOTSUP => Errno::Notsup,
        E::AGAIN => Errno::Again,
        E::INTR => Errno::Intr,
        E::BUSY => Errno::Busy,
        E::OVERFLOW => Errno::Overflow,
        E::NXIO => Errno::Nxio,
        E::NODEV => Errno::Nodev,
        E::NOMEM => Errno::Nomem,
        E::DQUOT => Errno::Dquot,
        E::STALE => Errno::Stale,
        E::PIPE => Errno::Pipe,
        E::ILSEQ => Errno::Ilseq,
        _ => Errno::Io,
    }
}

fn err(e: io::Error) -> Errno {
    fs_errno(&e)
}

/// Runs `op` until it is not interrupted.
fn retry<T>(mut op: impl FnMut() -> io::Result<T>) -> Result<T, Errno> {
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other.map_err(err),
        }
    }
}

/// The WASI type of a file type.
fn filetype(t: FileType) -> Filetype {
    if t.is_dir() {
        Filetype::Directory
    } else if t.is_file() {
        Filetype::RegularFile
    } else if t.is_symlink() {
        Filetype::SymbolicLink
    } else if t.is_block_device() {
        Filetype::BlockDevice
    } else if t.is_char_device() {
        Filetype::CharacterDevice
    } else if t.is_socket() {
        Filetype::SocketStream
    } else {
        Filetype::Unknown
    }
}

/// Nanoseconds since 1970 of a time in seconds and nanoseconds (0 before 1970).
fn ns(secs: i64, nsec: i64) -> u64 {
    let secs = u64::try_from(secs).unwrap_or(0);
    let nsec = u64::try_from(nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nsec)
}

/// The WASI attributes of `m`.
fn filestat(m: &Metadata) -> Filestat {
    Filestat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: filetype(m.file_type()),
        nlink: m.nlink(),
        size: m.size(),
        atim: ns(m.atime(), m.atime_nsec()),
        mtim: ns(m.mtime(), m.mtime_nsec()),
        ctim: ns(m.ctime(), m.ctime_nsec()),
    }
}

/// A timestamp for `utimensat`/`futimens`.
fn timespec(t: SetTime) -> FsTimespec {
    match t {
        SetTime::Keep => FsTimespec {
            tv_sec: 0,
            tv_nsec: UTIME_OMIT,
        },
        SetTime::Now => FsTimespec {
            tv_sec: 0,
            tv_nsec: UTIME_NOW,
        },
        SetTime::At(ns) => FsTimespec {
            tv_sec: i64::try_from(ns / 1_000_000_000).unwrap_or(i64::MAX),
            tv_nsec: i64::try_from(ns % 1_000_000_000).unwrap_or(0),
        },
    }
}

/// A time for `cap-fs-ext`'s `set_times`: `None` keeps it; `EOVERFLOW` past the host's times.
fn time_spec(t: SetTime) -> Result<Option<cap_fs_ext::SystemTimeSpec>, Errno> {
    Ok(match t {
        SetTime::Keep => None,
        SetTime::Now => Some(cap_fs_ext::SystemTimeSpec::SymbolicNow),
        SetTime::At(ns) => {
            let at = std::time::UNIX_EPOCH
                .checked_add(std::time::Duration::from_nanos(ns))
                .ok_or(Errno::Overflow)?;
            Some(cap_fs_ext::SystemTimeSpec::Absolute(
                cap_std::time::SystemTime::from_std(at),
            ))
        }
    })
}

impl Files {
    /// Stores `o` at the lowest free handle: `EMFILE` past [`MAX_FDS`] open.
    fn insert(&mut self, o: Open) -> Result<u32, Errno> {
        let i = match self.open.iter().position(Option::is_none) {
            Some(i) => i,
            None if self.open.len() < MAX_FDS => {
                self.open.push(None);
                self.open.len().saturating_sub(1)
            }
            None => return Err(Errno::Mfile),
        };
        let slot = self.open.get_mut(i).ok_or(Errno::Mfile)?;
        *slot = Some(o);
        u32::try_from(i).map_err(|_| Errno::Mfile)
    }

    fn get(&self, h: u32) -> Result<&Open, Errno> {
        let i = usize::try_from(h).map_err(|_| Errno::Badf)?;
        self.open.get(i).and_then(Option::as_ref).ok_or(Errno::Badf)
    }

    fn dir(&self, h: u32) -> Result<&Dir, Errno> {
        match self.get(h)? {
            Open::Dir { dir, .. } => Ok(dir),
            Open::File(_) => Err(Errno::Notdir),
        }
    }

    fn file(&self, h: u32) -> Result<&std::fs::File, Errno> {
        match self.get(h)? {
            Open::File(f) => Ok(f),
            Open::Dir { .. } => Err(Errno::Isdir),
        }
    }

    pub(crate) fn preopen(&mut self, host: &Path, name: &[u8]) -> io::Result<u32> {
        let dir = Dir::open_ambient_dir(host, cap_std::ambient_authority())?;
        if !dir.dir_metadata()?.is_dir() {
            return Err(io::Error::from(io::ErrorKind::NotADirectory));
        }
        // Reading it is what the guest will do first: refuse an unreadable one now.
        dir.entries()?;
        self.insert(Open::Dir {
            dir,
            name: Some(name.to_vec()),
        })
        .map_err(|_| io::Error::other("too many preopened directories"))
    }

    pub(crate) fn preopen_name(&self, h: u32) -> Option<&[u8]> {
        match self.get(h).ok()? {
            Open::Dir { name, .. } => name.as_deref(),
            Open::File(_) => None,
        }
    }

    pub(crate) fn open(&mut self, dir: u32, path: &str, req: OpenRequest) -> Result<Opened, Errno> {
        use crate::fs::Oflags;
        let base = self.dir(dir)?;
        let creat = req.oflags.contains(Oflags::CREAT);
        let trunc = req.oflags.contains(Oflags::TRUNC);
        let want_dir = req.oflags.contains(Oflags::DIRECTORY);
        if want_dir && (creat || trunc) {
            return Err(Errno::Inval);
        }
        let append = req.fdflags.contains(Fdflags::APPEND);
        // Creating and truncating need write access on the host, whatever the guest's rights.
        let write = req.write || creat || trunc || append;
        let mut o = OpenOptions::new();
        // `O_APPEND` is set once open: std's options refuse it with `O_TRUNC`, which POSIX
        // (and WASI) allow.
        o.read(req.read || !write)
            .write(write)
            .truncate(trunc)
            .maybe_dir(!write);
        if creat && req.oflags.contains(Oflags::EXCL) {
            o.create_new(true);
        } else if creat {
            o.create(true);
        }
        o.follow(if req.follow {
            FollowSymlinks::Yes
        } else {
            FollowSymlinks::No
        });
        o.nonblock(req.fdflags.contains(Fdflags::NONBLOCK))
            .sync(req.fdflags.contains(Fdflags::SYNC))
            .dsync(req.fdflags.contains(Fdflags::DSYNC))
            .rsync(req.fdflags.contains(Fdflags::RSYNC));
        let file = retry(|| base.open_with(path, &o))?;
        let is_dir = file.metadata().map_err(err)?.is_dir();
        let file = file.into_std();
        if is_dir {
            let dir = Dir::from_std_file(file);
            return self.insert(Open::Dir { dir, name: None }).map(Opened::Dir);
        }
        if want_dir {
            return Err(Errno::Notdir);
        }
        if append {
            let fl = rustix::fs::fcntl_getfl(&file).map_err(|e| err(e.into()))?;
            rustix::fs::fcntl_setfl(&file, fl | OFlags::APPEND).map_err(|e| err(e.into()))?;
        }
        self.insert(Open::File(file)).map(Opened::File)
    }

    pub(crate) fn close(&mut self, h: u32) -> Result<(), Errno> {
        let i = usize::try_from(h).map_err(|_| Errno::Badf)?;
        let slot = self.open.get_mut(i).ok_or(Errno::Badf)?;
        slot.take().map(drop).ok_or(Errno::Badf)
    }

    pub(crate) fn read(&mut self, h: u32, buf: &mut [u8], at: Option<u64>) -> Result<usize, Errno> {
        let mut f = self.file(h)?;
        match at {
            Some(at) => retry(|| f.read_at(buf, at)),
            None => retry(|| f.read(buf)),
        }
    }

    pub(crate) fn write(
        &mut self,
        h: u32,
        bufs: &[&[u8]],
        at: Option<u64>,
    ) -> Result<usize, Errno> {
        let mut f = self.file(h)?;
        match at {
            Some(at) => {
                let mut done = 0usize;
                for b in bufs {
                    let off = at.saturating_add(u64::try_from(done).unwrap_or(u64::MAX));
                    let n = match retry(|| f.write_at(b, off)) {
                        Ok(n) => n,
                        Err(_) if done > 0 => break,
                        Err(e) => return Err(e),
                    };
                    done = done.saturating_add(n);
                    if n < b.len() {
                        break;
                    }
                }
                Ok(done)
            }
            None => {
                let slices: Vec<IoSlice<'_>> = bufs.iter().map(|b| IoSlice::new(b)).collect();
                retry(|| f.write_vectored(&slices))
            }
        }
    }

    pub(crate) fn seek(&mut self, h: u32, offset: i64, whence: Whence) -> Result<u64, Errno> {
        let mut f = self.file(h)?;
        let to = match whence {
            Whence::Set => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?),
            Whence::Cur => SeekFrom::Current(offset),
            Whence::End => SeekFrom::End(offset),
        };
        retry(|| f.seek(to))
    }

    pub(crate) fn sync(&mut self, h: u32, data_only: bool) -> Result<(), Errno> {
        let sync = |fd: std::os::fd::BorrowedFd<'_>| {
            if data_only {
                rustix::fs::fdatasync(fd)
            } else {
                rustix::fs::fsync(fd)
            }
        };
        use std::os::fd::AsFd;
        match self.get(h)? {
            Open::File(f) => sync(f.as_fd()),
            Open::Dir { dir, .. } => sync(dir.as_fd()),
        }
        .map_err(|e| err(e.into()))
    }

    pub(crate) fn filestat(&mut self, h: u32) -> Result<Filestat, Errno> {
        let m = match self.get(h)? {
            Open::File(f) => Metadata::from_just_metadata(f.metadata().map_err(err)?),
            Open::Dir { dir, .. } => dir.dir_metadata().map_err(err)?,
        };
        Ok(filestat(&m))
    }

    pub(crate) fn path_filestat(
        &mut self,
        dir: u32,
        path: &str,
        follow: bool,
    ) -> Result<Filestat, Errno> {
        let d = self.dir(dir)?;
        let m = if follow {
            d.metadata(path)
        } else {
            d.symlink_metadata(path)
        };
        Ok(filestat(&m.map_err(err)?))
    }

    pub(crate) fn fdflags(&mut self, h: u32) -> Result<Fdflags, Errno> {
        let fl = rustix::fs::fcntl_getfl(self.file(h)?).map_err(|e| err(e.into()))?;
        let mut flags = Fdflags::empty();
        for (os, wasi) in [
            (OFlags::APPEND, Fdflags::APPEND),
            (OFlags::NONBLOCK, Fdflags::NONBLOCK),
            (OFlags::DSYNC, Fdflags::DSYNC),
            (OFlags::RSYNC, Fdflags::RSYNC),
            (OFlags::SYNC, Fdflags::SYNC),
        ] {
            if fl.contains(os) {
                flags |= wasi;
            }
        }
        Ok(flags)
    }

    pub(crate) fn set_fdflags(&mut self, h: u32, flags: Fdflags) -> Result<(), Errno> {
        let f = self.file(h)?;
        // Linux's `fcntl(F_SETFL)` changes only these two; the sync flags are set at open.
        let sync = Fdflags::DSYNC.to_raw() | Fdflags::RSYNC.to_raw() | Fdflags::SYNC.to_raw();
        if flags.to_raw() & sync != 0 {
            return Err(Errno::Notsup);
        }
        let mut fl = rustix::fs::fcntl_getfl(f).map_err(|e| err(e.into()))?;
        fl.set(OFlags::APPEND, flags.contains(Fdflags::APPEND));
        fl.set(OFlags::NONBLOCK, flags.contains(Fdflags::NONBLOCK));
        rustix::fs::fcntl_setfl(f, fl).map_err(|e| err(e.into()))
    }

    pub(crate) fn set_size(&mut self, h: u32, size: u64) -> Result<(), Errno> {
        let f = self.file(h)?;
        retry(|| f.set_len(size))
    }

    pub(crate) fn set_times(
        &mut self,
        h: u32,
        path: Option<&str>,
        follow: bool,
        atim: SetTime,
        mtim: SetTime,
    ) -> Result<(), Errno> {
        match path {
            None => {
                let times = Timestamps {
                    last_access: timespec(atim),
                    last_modification: timespec(mtim),
                };
                let r = match self.get(h)? {
                    Open::File(f) => rustix::fs::futimens(f, &times),
                    Open::Dir { dir, .. } => rustix::fs::futimens(dir, &times),
                };
                r.map_err(|e| err(e.into()))
            }
            Some(path) => {
                let d = self.dir(h)?;
                let (a, m) = (time_spec(atim)?, time_spec(mtim)?);
                if follow {
                    d.set_times(path, a, m).map_err(err)
                } else {
                    d.set_symlink_times(path, a, m).map_err(err)
                }
            }
        }
    }

    pub(crate) fn readdir(
        &mut self,
        dir: u32,
        cookie: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        let d = self.dir(dir)?;
        // Cookies 0 and 1 are `.` and `..`; the directory's own entries follow from 2.
        if cookie == 0 {
            let ino = d.dir_metadata().map_err(err)?.ino();
            let e = DirEntry {
                next: 1,
                ino,
                filetype: Filetype::Directory,
                name: b".",
            };
            if !sink(e) {
                return Ok(());
            }
        }
        if cookie <= 1 {
            // The parent of a preopened directory is outside: its inode is not told.
            let ino = d.metadata("..").map(|m| m.ino()).unwrap_or(0);
            let e = DirEntry {
                next: 2,
                ino,
                filetype: Filetype::Directory,
                name: b"..",
            };
            if !sink(e) {
                return Ok(());
            }
        }
        let skip = usize::try_from(cookie.saturating_sub(2)).unwrap_or(usize::MAX);
        let mut next = cookie.max(2);
        for entry in d.entries().map_err(err)?.skip(skip) {
            let entry = entry.map_err(err)?;
            next = next.saturating_add(1);
            let name = entry.file_name();
            let e = DirEntry {
                next,
                ino: entry.ino(),
                filetype: entry.file_type().map(filetype).map_err(err)?,
                name: name.as_bytes(),
            };
            if !sink(e) {
                break;
            }
        }
        Ok(())
    }

    pub(crate) fn create_dir(&mut self, dir: u32, path: &str) -> Result<(), Errno> {
        self.dir(dir)?.create_dir(path).map_err(err)
    }

    pub(crate) fn remove_dir(&mut self, dir: u32, path: &str) -> Result<(), Errno> {
        self.dir(dir)?.remove_dir(path).map_err(err)
    }

    pub(crate) fn unlink(&mut self, dir: u32, path: &str) -> Result<(), Errno> {
        self.dir(dir)?.remove_file_or_symlink(path).map_err(err)
    }

    pub(crate) fn rename(
        &mut self,
        from_dir: u32,
        from: &str,
        to_dir: u32,
        to: &str,
    ) -> Result<(), Errno> {
        let (a, b) = (self.dir(from_dir)?, self.dir(to_dir)?);
        a.rename(from, b, to).map_err(err)
    }

    pub(crate) fn link(
        &mut self,
        from_dir: u32,
        from: &str,
        follow: bool,
        to_dir: u32,
        to: &str,
    ) -> Result<(), Errno> {
        if follow {
            // Resolving the source beneath its directory and linking the result is not
            // offered by cap-std; the WASI test suite links without following.
            return Err(Errno::Inval);
        }
        let (a, b) = (self.dir(from_dir)?, self.dir(to_dir)?);
        a.hard_link(from, b, to).map_err(err)
    }

    pub(crate) fn symlink(&mut self, target: &str, dir: u32, path: &str) -> Result<(), Errno> {
        DirExt::symlink(self.dir(dir)?, target, path).map_err(err)
    }

    pub(crate) fn readlink(
        &mut self,
        dir: u32,
        path: &str,
        buf: &mut [u8],
    ) -> Result<usize, Errno> {
        let target = self.dir(dir)?.read_link_contents(path).map_err(err)?;
        let bytes = target.as_os_str().as_bytes();
        let n = bytes.len().min(buf.len());
        let (dst, src) = (buf.get_mut(..n), bytes.get(..n));
        if let (Some(dst), Some(src)) = (dst, src) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    }
}

impl StdHost {
    /// Opens the host directory `host_dir` for the guest, which sees it as `guest_name`
    /// (e.g. `/` or `.`); returns the host's handle, for
    /// [`WasiCtx::add_preopen`](crate::WasiCtx::add_preopen). Every guest path is resolved
    /// beneath it.
    ///
    /// # Errors
    ///
    /// When `host_dir` cannot be opened or read, is not a directory, or more than
    /// [`MAX_FDS`] are open.
    pub fn preopen(&mut self, host_dir: &Path, guest_name: &[u8]) -> io::Result<u32> {
        self.files.preopen(host_dir, guest_name)
    }
}
