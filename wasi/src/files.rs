//! The WASI functions on files and directories: `path_open` and the `path_*` functions, and
//! the `fd_*` functions on the descriptors it opens (the ones that also work on the standard
//! streams, `fd_read`, `fd_write`, `fd_seek`, `fd_fdstat_get`, `fd_close`, are in
//! [`calls`](crate::calls) and come here for a file or a directory).
//!
//! Every function is all-or-nothing, as those of [`calls`](crate::calls): the descriptor, the
//! flags, the paths and every guest region it will write are checked before the host is asked
//! anything. A path is copied out of guest memory into a buffer of
//! [`MAX_PATH`] bytes on the stack (`ENAMETOOLONG` past it) and must be UTF-8 (`EILSEQ`) without
//! NUL (`EINVAL`); keeping it beneath its directory is the host's job (see
//! [`WasiHost`](crate::WasiHost)).
//!
//! What is implemented, and what answers with a fixed errno:
//!
//! - `fd_allocate`: `ENOTSUP` on a file (which the WASI test suite accepts: preview1's
//!   `posix_fallocate` cannot be done atomically on every file system), `EBADF` otherwise.
//! - `fd_fdstat_set_rights`: `ENOTSUP` on an open descriptor (rights are not a capability
//!   here, as in wasmtime's preview1; the test suite takes `ENOTSUP` to mean so), `EBADF`
//!   otherwise. `fd_fdstat_get` reports the rights a descriptor has in effect: a file's
//!   `FD_READ` and `FD_WRITE` as it was opened, a directory's path rights.
//! - `fd_advise`: checks its arguments and succeeds on a file (advice is advisory).
//! - the others do what preview1 says, through the host.
//!
//! A host without files ([`WasiHost::FILES`] `false`) gets `EBADF` from every one of them
//! before anything is read, and none of their code is linked.

use guestmem::{GuestFrame, GuestPtr, GuestType};

use crate::ctx::Descriptor;
use crate::fs::{
    Advice, DirEntry, Filestat, Fstflags, Lookupflags, Oflags, OpenRequest, Opened, SetTime,
    Whence, DIR_RIGHTS, FILE_RIGHTS, MAX_PATH,
};
use crate::iovec::{read_from, write_to, Target};
use crate::types::{check_out, to_u32, Fdflags, Fdstat, Filetype, Rights};
use crate::{Errno, HasWasi, Iovec, WasiCtx, WasiHost};

/// `Ok` → `ESUCCESS`, `Err(e)` → `e`.
fn errno(r: Result<(), Errno>) -> Errno {
    r.err().unwrap_or(Errno::Success)
}

/// Whether the host of `C` has files.
#[inline(always)]
fn has_files<C: HasWasi>() -> bool {
    <C::Host as WasiHost>::FILES
}

/// The host's handle of the directory `fd`: `ENOTDIR` for a file or a stream, `EBADF` if not
/// open.
fn dir_handle<H: WasiHost>(wasi: &WasiCtx<H>, fd: u32) -> Result<u32, Errno> {
    match wasi.descriptor(fd)? {
        Descriptor::Dir { handle, .. } => Ok(handle),
        Descriptor::File { .. } | Descriptor::Stdio(_) => Err(Errno::Notdir),
    }
}

/// The host's handle of `fd`, a file or a directory: `EBADF` for a stream or if not open.
fn any_handle<H: WasiHost>(wasi: &WasiCtx<H>, fd: u32) -> Result<u32, Errno> {
    match wasi.descriptor(fd)? {
        Descriptor::Dir { handle, .. } | Descriptor::File { handle, .. } => Ok(handle),
        Descriptor::Stdio(_) => Err(Errno::Badf),
    }
}

/// The host's handle of the file `fd`: `EISDIR` for a directory, `EBADF` for a stream or if
/// not open.
fn file_handle<H: WasiHost>(wasi: &WasiCtx<H>, fd: u32) -> Result<u32, Errno> {
    match wasi.descriptor(fd)? {
        Descriptor::File { handle, .. } => Ok(handle),
        Descriptor::Dir { .. } => Err(Errno::Isdir),
        Descriptor::Stdio(_) => Err(Errno::Badf),
    }
}

/// Copies the guest's path `p` into `buf` and checks it: `ENAMETOOLONG` past [`MAX_PATH`]
/// bytes, `EFAULT` out of bounds, `EILSEQ` when not UTF-8, `EINVAL` with a NUL.
fn guest_path<'b>(p: GuestPtr<'_, [u8]>, buf: &'b mut [u8; MAX_PATH]) -> Result<&'b str, Errno> {
    let len = usize::try_from(p.len()).map_err(|_| Errno::Nametoolong)?;
    let dst = buf.get_mut(..len).ok_or(Errno::Nametoolong)?;
    p.copy_to_slice(dst)?;
    let path = core::str::from_utf8(dst).map_err(|_| Errno::Ilseq)?;
    if path.contains('\0') {
        return Err(Errno::Inval);
    }
    Ok(path)
}

/// A flags argument of `N` bits passed in an `i32`: `EINVAL` for a bit beyond.
fn narrow<T: TryFrom<u32>>(raw: u32) -> Result<T, Errno> {
    T::try_from(raw).map_err(|_| Errno::Inval)
}

/// Where `fd_read`/`fd_write` (`at` `None`) or `fd_pread`/`fd_pwrite` go for `fd`: `Ok(None)`
/// when `fd` is not a file or directory (a stream, or not open: the caller answers), `EBADF`
/// for a file not opened for it, `EISDIR` for a directory.
pub(crate) fn file_target<C: HasWasi>(
    ctx: &mut C,
    fd: u32,
    write: bool,
    at: Option<u64>,
) -> Result<Option<Target>, Errno> {
    if !has_files::<C>() {
        return Ok(None);
    }
    match ctx.wasi().descriptor(fd) {
        Ok(Descriptor::File {
            handle,
            read,
            write: writable,
        }) => {
            if (write && !writable) || (!write && !read) {
                return Err(Errno::Badf);
            }
            Ok(Some(Target::File { handle, at }))
        }
        Ok(Descriptor::Dir { .. }) => Err(Errno::Isdir),
        Ok(Descriptor::Stdio(_)) | Err(_) => Ok(None),
    }
}

/// `fd_write` to a file (`calls::fd_write` for a stream).
pub(crate) fn write_file<'a, C: HasWasi>(
    ctx: &mut C,
    to: Target,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nwritten: GuestPtr<'a, u32>,
) -> Errno {
    errno(write_to(&mut ctx.wasi().host, to, iovs, nwritten))
}

/// `fd_read` from a file (`calls::fd_read` for a stream).
pub(crate) fn read_file<'a, C: HasWasi>(
    ctx: &mut C,
    from: Target,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nread: GuestPtr<'a, u32>,
) -> Errno {
    errno(read_from(&mut ctx.wasi().host, from, iovs, nread))
}

/// `fd_seek` of a file or directory; `None` when `fd` is neither (the caller answers).
pub(crate) fn seek<C: HasWasi>(
    ctx: &mut C,
    fd: u32,
    offset: i64,
    whence: u32,
    newoffset: GuestPtr<'_, u64>,
) -> Option<Errno> {
    if !has_files::<C>() {
        return None;
    }
    let wasi = ctx.wasi();
    let handle = match wasi.descriptor(fd) {
        Ok(Descriptor::File { handle, .. }) => handle,
        Ok(Descriptor::Dir { .. }) => return Some(Errno::Isdir),
        Ok(Descriptor::Stdio(_)) | Err(_) => return None,
    };
    Some(errno((|| {
        let whence = Whence::from_raw(narrow(whence)?)?;
        check_out(newoffset)?;
        let at = wasi.host.seek(handle, offset, whence)?;
        newoffset.write(at)?;
        Ok(())
    })()))
}

/// `fd_fdstat_get` of a file or directory; `None` when `fd` is neither.
pub(crate) fn fdstat<C: HasWasi>(
    ctx: &mut C,
    fd: u32,
    stat: GuestPtr<'_, Fdstat>,
) -> Option<Errno> {
    if !has_files::<C>() {
        return None;
    }
    let wasi = ctx.wasi();
    let d = wasi.descriptor(fd).ok()?;
    if let Descriptor::Stdio(_) = d {
        return None;
    }
    Some(errno((|| {
        let (handle, filetype, base) = match d {
            Descriptor::Stdio(_) => return Err(Errno::Badf),
            Descriptor::Dir { handle, .. } => (handle, Filetype::Directory, DIR_RIGHTS),
            Descriptor::File {
                handle,
                read,
                write,
            } => {
                let mut drop = 0u64;
                if !read {
                    drop |= Rights::FD_READ.to_raw();
                }
                if !write {
                    drop |= Rights::FD_WRITE.to_raw();
                }
                let base = Rights::from_raw_truncate(FILE_RIGHTS.to_raw() & !drop);
                (handle, Filetype::RegularFile, base)
            }
        };
        check_out(stat)?;
        let (filetype, fs_flags) = match filetype {
            Filetype::Directory => (filetype, Fdflags::empty()),
            _ => (
                wasi.host.filestat(handle)?.filetype,
                wasi.host.fdflags(handle)?,
            ),
        };
        stat.write(Fdstat {
            fs_filetype: filetype,
            fs_flags,
            fs_rights_base: base,
            fs_rights_inheriting: Rights::from_raw_truncate(
                FILE_RIGHTS.to_raw() | DIR_RIGHTS.to_raw(),
            ),
        })?;
        Ok(())
    })()))
}

/// `fd_prestat_get(fd, prestat)`: for a preopened directory, `prestat` (8 bytes: tag 0, a
/// directory, and the length of its name) is written; `EBADF` for any other descriptor.
pub fn fd_prestat_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    prestat: GuestPtr<'a, u32>,
) -> Errno {
    if !has_files::<C>() {
        return Errno::Badf;
    }
    let wasi = ctx.wasi();
    errno((|| {
        let Descriptor::Dir {
            handle,
            preopen: true,
        } = wasi.descriptor(fd)?
        else {
            return Err(Errno::Badf);
        };
        let name = wasi.host.preopen_name(handle).ok_or(Errno::Badf)?;
        let out = prestat.as_array(2);
        out.validate()?;
        out.copy_from_slice(&[0, to_u32(name.len())?])?;
        Ok(())
    })())
}

/// `fd_prestat_dir_name(fd, path, path_len)`: the name of a preopened directory into `path`
/// (no NUL after it): `ENAMETOOLONG` if `path_len` is shorter, `EBADF` for any other descriptor.
pub fn fd_prestat_dir_name<'a, C: HasWasi>(
    ctx: &mut C,
    mem: &'a GuestFrame<'a>,
    fd: u32,
    path: GuestPtr<'a, [u8]>,
) -> Errno {
    if !has_files::<C>() {
        return Errno::Badf;
    }
    let wasi = ctx.wasi();
    errno((|| {
        let Descriptor::Dir {
            handle,
            preopen: true,
        } = wasi.descriptor(fd)?
        else {
            return Err(Errno::Badf);
        };
        let name = wasi.host.preopen_name(handle).ok_or(Errno::Badf)?;
        let len = to_u32(name.len())?;
        if path.len() < len {
            return Err(Errno::Nametoolong);
        }
        // The whole buffer the guest declared, as for every other out-parameter.
        path.validate()?;
        GuestPtr::<u8>::new(mem, path.offset_base())
            .as_array(len)
            .copy_from_slice(name)?;
        Ok(())
    })())
}

/// `path_open(fd, dirflags, path, oflags, rights_base, rights_inheriting, fdflags, opened)`:
/// opens `path` beneath the directory `fd`, the new descriptor (the lowest free) into
/// `*opened`. It is opened for reading when `rights_base` has `FD_READ` or `FD_READDIR`, for
/// writing when it has `FD_WRITE`, `FD_ALLOCATE` or `FD_FILESTAT_SET_SIZE` (or `fdflags` has
/// `APPEND`), and for reading when neither. `EMFILE` when the guest has
/// [`MAX_FDS`](crate::fs::MAX_FDS) descriptors open.
#[allow(clippy::too_many_arguments)] // preview1's signature
pub fn path_open<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    dirflags: u32,
    path: GuestPtr<'a, [u8]>,
    oflags: u32,
    rights_base: u64,
    _rights_inheriting: u64,
    fdflags: u32,
    opened: GuestPtr<'a, u32>,
) -> Errno {
    if !has_files::<C>() {
        return Errno::Badf;
    }
    let wasi = ctx.wasi();
    errno((|| {
        let dir = dir_handle(wasi, fd)?;
        let follow = Lookupflags::from_raw(dirflags)?.contains(Lookupflags::SYMLINK_FOLLOW);
        let oflags = Oflags::from_raw(narrow(oflags)?)?;
        let fdflags = Fdflags::from_raw(narrow(fdflags)?)?;
        let mut buf = [0u8; MAX_PATH];
        let path = guest_path(path, &mut buf)?;
        check_out(opened)?;
        wasi.check_free()?;
        let rights = Rights::from_raw_truncate(rights_base);
        let has = |r: Rights| rights.to_raw() & r.to_raw() != 0;
        let write = has(Rights::FD_WRITE | Rights::FD_ALLOCATE | Rights::FD_FILESTAT_SET_SIZE)
            || fdflags.contains(Fdflags::APPEND);
        let read = has(Rights::FD_READ | Rights::FD_READDIR) || !write;
        let req = OpenRequest {
            oflags,
            follow,
            read,
            write,
            fdflags,
        };
        let d = match wasi.host.open(dir, path, req)? {
            Opened::File(handle) => Descriptor::File {
                handle,
                read,
                write,
            },
            Opened::Dir(handle) => Descriptor::Dir {
                handle,
                preopen: false,
            },
        };
        let new_fd = match wasi.insert(d) {
            Ok(new_fd) => new_fd,
            Err(e) => {
                // Not reached (a slot was checked free), but never leak the host's handle.
                if let Descriptor::File { handle, .. } | Descriptor::Dir { handle, .. } = d {
                    let _ = wasi.host.close(handle);
                }
                return Err(e);
            }
        };
        opened.write(new_fd)?;
        Ok(())
    })())
}

/// `fd_pread(fd, iovs, offset, nread)`: as `fd_read` on a file, at `offset`, not moving the
/// file's offset; `ESPIPE` for a stream.
pub fn fd_pread<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    offset: u64,
    nread: GuestPtr<'a, u32>,
) -> Errno {
    match file_target(ctx, fd, false, Some(offset)) {
        Ok(Some(from)) => read_file(ctx, from, iovs, nread),
        Ok(None) => errno(ctx.wasi().stream(fd).and(Err(Errno::Spipe))),
        Err(e) => e,
    }
}

/// `fd_pwrite(fd, iovs, offset, nwritten)`: as `fd_write` on a file, at `offset`, not moving
/// the file's offset; `ESPIPE` for a stream.
pub fn fd_pwrite<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    offset: u64,
    nwritten: GuestPtr<'a, u32>,
) -> Errno {
    match file_target(ctx, fd, true, Some(offset)) {
        Ok(Some(to)) => write_file(ctx, to, iovs, nwritten),
        Ok(None) => errno(ctx.wasi().stream(fd).and(Err(Errno::Spipe))),
        Err(e) => e,
    }
}

/// `fd_tell(fd, offset)`: the offset of a file into `*offset`; `ESPIPE` for a stream.
pub fn fd_tell<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    offset: GuestPtr<'a, u64>,
) -> Errno {
    // `Whence::Cur` is 1.
    files_or_stream(seek(ctx, fd, 0, 1, offset), ctx, fd)
}

/// `answer`, or for a stream (`answer` is `None`) `ESPIPE` (`EBADF` if `fd` is not open).
fn files_or_stream<C: HasWasi>(answer: Option<Errno>, ctx: &mut C, fd: u32) -> Errno {
    answer.unwrap_or_else(|| errno(ctx.wasi().stream(fd).and(Err(Errno::Spipe))))
}

/// `fd_sync(fd)` and `fd_datasync(fd)` of a file or directory: `EINVAL` for a stream.
fn sync<C: HasWasi>(ctx: &mut C, fd: u32, data_only: bool) -> Errno {
    if !has_files::<C>() {
        return errno(ctx.wasi().stream(fd).and(Err(Errno::Inval)));
    }
    let wasi = ctx.wasi();
    errno(match wasi.descriptor(fd) {
        Ok(Descriptor::File { handle, .. } | Descriptor::Dir { handle, .. }) => {
            wasi.host.sync(handle, data_only)
        }
        Ok(Descriptor::Stdio(_)) => Err(Errno::Inval),
        Err(e) => Err(e),
    })
}

/// `fd_sync(fd)`: flushes a file or directory to storage; `EINVAL` for a stream.
pub fn fd_sync<C: HasWasi>(ctx: &mut C, _mem: &GuestFrame<'_>, fd: u32) -> Errno {
    sync(ctx, fd, false)
}

/// `fd_datasync(fd)`: flushes a file's data to storage; `EINVAL` for a stream.
pub fn fd_datasync<C: HasWasi>(ctx: &mut C, _mem: &GuestFrame<'_>, fd: u32) -> Errno {
    sync(ctx, fd, true)
}

/// `fd_filestat_get(fd, buf)`: the attributes of a file or directory into `*buf`; for a
/// stream, its type and zeroes.
pub fn fd_filestat_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    buf: GuestPtr<'a, Filestat>,
) -> Errno {
    errno(fd_filestat(ctx, fd, buf))
}

/// [`fd_filestat_get`] into a `filestat` of layout `S` (preview1's [`Filestat`], or
/// preview0's).
pub(crate) fn fd_filestat<'a, C: HasWasi, S: GuestType<'a> + From<Filestat>>(
    ctx: &mut C,
    fd: u32,
    buf: GuestPtr<'a, S>,
) -> Result<(), Errno> {
    let wasi = ctx.wasi();
    let d = wasi.descriptor(fd)?;
    check_out(buf)?;
    let stat = match d {
        Descriptor::Stdio(s) => Filestat::of_type(wasi.host.filetype(s)),
        Descriptor::File { handle, .. } | Descriptor::Dir { handle, .. } => {
            if !has_files::<C>() {
                return Err(Errno::Badf);
            }
            wasi.host.filestat(handle)?
        }
    };
    buf.write(S::from(stat))?;
    Ok(())
}

/// `path_filestat_get(fd, flags, path, buf)`: the attributes of `path` beneath the directory
/// `fd` into `*buf` (of a final symbolic link itself, unless `flags` has `SYMLINK_FOLLOW`).
pub fn path_filestat_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    flags: u32,
    path: GuestPtr<'a, [u8]>,
    buf: GuestPtr<'a, Filestat>,
) -> Errno {
    errno(path_filestat(ctx, fd, flags, path, buf))
}

/// [`path_filestat_get`] into a `filestat` of layout `S` (preview1's [`Filestat`], or
/// preview0's).
pub(crate) fn path_filestat<'a, C: HasWasi, S: GuestType<'a> + From<Filestat>>(
    ctx: &mut C,
    fd: u32,
    flags: u32,
    path: GuestPtr<'a, [u8]>,
    buf: GuestPtr<'a, S>,
) -> Result<(), Errno> {
    if !has_files::<C>() {
        return Err(Errno::Badf);
    }
    let wasi = ctx.wasi();
    let dir = dir_handle(wasi, fd)?;
    let follow = Lookupflags::from_raw(flags)?.contains(Lookupflags::SYMLINK_FOLLOW);
    let mut pbuf = [0u8; MAX_PATH];
    let path = guest_path(path, &mut pbuf)?;
    check_out(buf)?;
    let stat = wasi.host.path_filestat(dir, path, follow)?;
    buf.write(S::from(stat))?;
    Ok(())
}

/// The two timestamps of `fst_flags`: `EINVAL` for a time both given and "now", or an
/// unknown flag.
fn set_times(atim: u64, mtim: u64, fst_flags: u32) -> Result<(SetTime, SetTime), Errno> {
    let f = Fstflags::from_raw(narrow(fst_flags)?)?;
    let one = |at: Fstflags, now: Fstflags, t: u64| match (f.contains(at), f.contains(now)) {
        (true, true) => Err(Errno::Inval),
        (true, false) => Ok(SetTime::At(t)),
        (false, true) => Ok(SetTime::Now),
        (false, false) => Ok(SetTime::Keep),
    };
    Ok((
        one(Fstflags::ATIM, Fstflags::ATIM_NOW, atim)?,
        one(Fstflags::MTIM, Fstflags::MTIM_NOW, mtim)?,
    ))
}

/// `fd_filestat_set_times(fd, atim, mtim, fst_flags)`: sets the times of a file or directory.
pub fn fd_filestat_set_times<C: HasWasi>(
    ctx: &mut C,
    _mem: &GuestFrame<'_>,
    fd: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> Errno {
    if !has_files::<C>() {
        return Errno::Badf;
    }
    let wasi = ctx.wasi();
    errno((|| {
        let h = any_handle(wasi, fd)?;
        let (a, m) = set_times(atim, mtim, fst_flags)?;
        wasi.host.set_times(h, None, true, a, m)
    })())
}

/// `path_filestat_set_times(fd, flags, path, atim, mtim, fst_flags)`: sets the times of
/// `path` beneath the directory `fd`.
#[allow(clippy::too_many_arguments)] // preview1's signature
pub fn path_filestat_set_times<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    flags: u32,
    path: GuestPtr<'a, [u8]>,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> Errno {
    if !has_files::<C>() {
        return Errno::Badf;
    }
    let wasi = ctx.wasi();
    errno((|| {
        let dir = dir_handle(wasi, fd)?;
        let follow = Lookupflags::from_raw(flags)?.contains(Lookupflags::SYMLINK_FOLLOW);
        let (a, m) = set_times(atim, mtim, fst_flags)?;
        let mut pbuf = [0u8; MAX_PATH];
        let path = guest_path(path, &mut pbuf)?;
        wasi.host.set_times(dir, Some(path), follow, a, m)
    })())
}

/// `fd_filestat_set_size(fd, size)`: truncates or extends a file.
pub fn fd_filestat_set_size<C: HasWasi>(
    ctx: &mut C,
    _mem: &GuestFrame<'_>,
    fd: u32,
    size: u64,
) -> Errno {
    if !has_files::<C>() {
        return Errno::Badf;
    }
    let wasi = ctx.wasi();
    errno(file_handle(wasi, fd).and_then(|h| wasi.host.set_size(h, size)))
}

/// `fd_allocate(fd, offset, len)`: `ENOTSUP` for a file (see the module's documentation).
pub fn fd_allocate<C: HasWasi>(
    ctx: &mut C,
    _mem: &GuestFrame<'_>,
    fd: u32,
    _offset: u64,
    _len: u64,
) -> Errno {
    if !has_files::<C>() {
        return Errno::Badf;
    }
    errno(file_handle(ctx.wasi(), fd).and(Err(Errno::Notsup)))
}

/// `fd_advise(fd, offset, len, advice)`: checks the advice and the file, then succeeds.
pub fn fd_advise<C: HasWasi>(
    ctx: &mut C,
    _mem: &GuestFrame<'_>,
    fd: u32,
    _offset: u64,
    _len: u64,
    advice: u32,
) -> Errno {
    if !has_files::<C>() {
        return Errno::Badf;
    }
    errno((|| {
        file_handle(ctx.wasi(), fd)?;
        Advice::from_raw(narrow(advice)?)?;
        Ok(())
    })())
}

/// `fd_fdstat_set_flags(fd, flags)`: sets the flags of a file (`ENOTSUP` for a stream).
pub fn fd_fdstat_set_flags<C: HasWasi>(
    ctx: &mut C,
    _mem: &GuestFrame<'_>,
    fd: u32,
    flags: u32,
) -> Errno {
    if !has_files::<C>() {
        return errno(ctx.wasi().stream(fd).and(Err(Errno::Notsup)));
    }
    let wasi = ctx.wasi();
    errno((|| {
        let h = match wasi.descriptor(fd)? {
            Descriptor::File { handle, .. } | Descriptor::Dir { handle, .. } => handle,
            Descriptor::Stdio(_) => return Err(Errno::Notsup),
        };
        let flags = Fdflags::from_raw(narrow(flags)?)?;
        wasi.host.set_fdflags(h, flags)
    })())
}

/// `fd_fdstat_set_rights(fd, base, inheriting)`: `ENOTSUP` for an open descriptor (see the
/// module's documentation), `EBADF` otherwise.
pub fn fd_fdstat_set_rights<C: HasWasi>(
    ctx: &mut C,
    _mem: &GuestFrame<'_>,
    fd: u32,
    _base: u64,
    _inheriting: u64,
) -> Errno {
    errno(ctx.wasi().descriptor(fd).and(Err(Errno::Notsup)))
}

/// `fd_renumber(from, to)`: moves the descriptor `from` to `to`, closing what `to` was; both
/// must be open (`EBADF`).
pub fn fd_renumber<C: HasWasi>(ctx: &mut C, _mem: &GuestFrame<'_>, from: u32, to: u32) -> Errno {
    errno(ctx.wasi().renumber(from, to))
}

/// `fd_readdir(fd, buf, buf_len, cookie, bufused)`: the entries of the directory `fd` from
/// `cookie` on (0: the first), each a 24-byte `dirent` and its name, into `buf`, as many as
/// fit — the last one cut off when it does not — and the bytes used into `*bufused`: fewer
/// than `buf_len` means the end was reached. An entry's `d_next` is the cookie to go on after
/// it. The whole buffer and `bufused` are checked before the host is asked; the host hands
/// the entries one at a time, so the guest's buffer bounds the work.
pub fn fd_readdir<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    buf: GuestPtr<'a, [u8]>,
    cookie: u64,
    bufused: GuestPtr<'a, u32>,
) -> Errno {
    if !has_files::<C>() {
        return Errno::Badf;
    }
    let wasi = ctx.wasi();
    errno((|| {
        let dir = dir_handle(wasi, fd)?;
        check_out(bufused)?;
        let used = {
            let mut view = buf.as_slice_mut()?;
            let mut used = 0usize;
            let mut sink = |e: DirEntry<'_>| {
                let header = e.header();
                let room = view.get_mut(used..).unwrap_or_default();
                let bytes = header.iter().chain(e.name);
                let mut copied = 0usize;
                for (dst, src) in room.iter_mut().zip(bytes) {
                    *dst = *src;
                    copied = copied.saturating_add(1);
                }
                used = used.saturating_add(copied);
                // Go on while the whole entry fit and there is room left.
                copied == header.len().saturating_add(e.name.len()) && used < view.len()
            };
            wasi.host.readdir(dir, cookie, &mut sink)?;
            used
        }; // the view ends here
        bufused.write(to_u32(used)?)?;
        Ok(())
    })())
}

/// Calls `op` with the host, the directory `fd` and the guest's `path` (checked, on the
/// stack): the body of the `path_*` functions that take one path.
fn on_path<C: HasWasi>(
    ctx: &mut C,
    fd: u32,
    path: GuestPtr<'_, [u8]>,
    op: impl FnOnce(&mut C::Host, u32, &str) -> Result<(), Errno>,
) -> Errno {
    if !has_files::<C>() {
        return Errno::Badf;
    }
    let wasi = ctx.wasi();
    errno((|| {
        let dir = dir_handle(wasi, fd)?;
        let mut pbuf = [0u8; MAX_PATH];
        op(&mut wasi.host, dir, guest_path(path, &mut pbuf)?)
    })())
}

/// Calls `op` with the host, the directories `fd1` and `fd2` and the guest's `path1` and
/// `path2` (checked, on the stack): the body of the `path_*` functions that take two.
fn on_paths<C: HasWasi>(
    ctx: &mut C,
    (fd1, path1): (u32, GuestPtr<'_, [u8]>),
    (fd2, path2): (u32, GuestPtr<'_, [u8]>),
    op: impl FnOnce(&mut C::Host, u32, &str, u32, &str) -> Result<(), Errno>,
) -> Errno {
    if !has_files::<C>() {
        return Errno::Badf;
    }
    let wasi = ctx.wasi();
    errno((|| {
        let dir1 = dir_handle(wasi, fd1)?;
        let dir2 = dir_handle(wasi, fd2)?;
        let (mut a, mut b) = ([0u8; MAX_PATH], [0u8; MAX_PATH]);
        let path1 = guest_path(path1, &mut a)?;
        let path2 = guest_path(path2, &mut b)?;
        op(&mut wasi.host, dir1, path1, dir2, path2)
    })())
}

/// `path_create_directory(fd, path)`: creates a directory beneath the directory `fd`.
pub fn path_create_directory<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    path: GuestPtr<'a, [u8]>,
) -> Errno {
    on_path(ctx, fd, path, |host, dir, path| host.create_dir(dir, path))
}

/// `path_remove_directory(fd, path)`: removes an empty directory beneath the directory `fd`.
pub fn path_remove_directory<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    path: GuestPtr<'a, [u8]>,
) -> Errno {
    on_path(ctx, fd, path, |host, dir, path| host.remove_dir(dir, path))
}

/// `path_unlink_file(fd, path)`: removes a file or symbolic link beneath the directory `fd`.
pub fn path_unlink_file<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    path: GuestPtr<'a, [u8]>,
) -> Errno {
    on_path(ctx, fd, path, |host, dir, path| host.unlink(dir, path))
}

/// `path_rename(fd, old_path, new_fd, new_path)`: renames `old_path` beneath the directory
/// `fd` to `new_path` beneath the directory `new_fd`.
pub fn path_rename<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    old_path: GuestPtr<'a, [u8]>,
    new_fd: u32,
    new_path: GuestPtr<'a, [u8]>,
) -> Errno {
    on_paths(
        ctx,
        (fd, old_path),
        (new_fd, new_path),
        |host, d1, p1, d2, p2| host.rename(d1, p1, d2, p2),
    )
}

/// `path_link(old_fd, old_flags, old_path, new_fd, new_path)`: makes `new_path` beneath the
/// directory `new_fd` a hard link to `old_path` beneath the directory `old_fd`.
pub fn path_link<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    old_fd: u32,
    old_flags: u32,
    old_path: GuestPtr<'a, [u8]>,
    new_fd: u32,
    new_path: GuestPtr<'a, [u8]>,
) -> Errno {
    let follow = match Lookupflags::from_raw(old_flags) {
        Ok(f) => f.contains(Lookupflags::SYMLINK_FOLLOW),
        Err(e) => return e.into(),
    };
    on_paths(
        ctx,
        (old_fd, old_path),
        (new_fd, new_path),
        |host, d1, p1, d2, p2| host.link(d1, p1, follow, d2, p2),
    )
}

/// `path_symlink(old_path, fd, new_path)`: creates the symbolic link `new_path` beneath the
/// directory `fd`, pointing at `old_path` (which the host may refuse when it would lead
/// outside: it is resolved beneath the directory whenever it is followed).
pub fn path_symlink<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    old_path: GuestPtr<'a, [u8]>,
    fd: u32,
    new_path: GuestPtr<'a, [u8]>,
) -> Errno {
    if !has_files::<C>() {
        return Errno::Badf;
    }
    let wasi = ctx.wasi();
    errno((|| {
        let dir = dir_handle(wasi, fd)?;
        let (mut a, mut b) = ([0u8; MAX_PATH], [0u8; MAX_PATH]);
        let target = guest_path(old_path, &mut a)?;
        let path = guest_path(new_path, &mut b)?;
        wasi.host.symlink(target, dir, path)
    })())
}

/// `path_readlink(fd, path, buf, buf_len, bufused)`: the target of the symbolic link `path`
/// beneath the directory `fd` into `buf` (cut to fit, no NUL), its length into `*bufused`.
pub fn path_readlink<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    path: GuestPtr<'a, [u8]>,
    buf: GuestPtr<'a, [u8]>,
    bufused: GuestPtr<'a, u32>,
) -> Errno {
    if !has_files::<C>() {
        return Errno::Badf;
    }
    let wasi = ctx.wasi();
    errno((|| {
        let dir = dir_handle(wasi, fd)?;
        let mut pbuf = [0u8; MAX_PATH];
        let path = guest_path(path, &mut pbuf)?;
        check_out(bufused)?;
        let n = {
            let mut view = buf.as_slice_mut()?;
            let n = wasi.host.readlink(dir, path, &mut view)?;
            n.min(view.len())
        }; // the view ends here
        bufused.write(to_u32(n)?)?;
        Ok(())
    })())
}
