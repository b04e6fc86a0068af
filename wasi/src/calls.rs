//! The WASI preview1 host functions, callable without an engine: each takes the host context,
//! the guest memory (a [`GuestFrame`] over any memory, e.g. a byte array in a test) and the
//! guest's arguments, typed as [`for_each_function!`](crate::for_each_function) lists them.
//!
//! # Examples
//!
//! ```
//! use guestmem::{GuestPtr, GuestFrame};
//! use guestmem_wasi::{calls, Errno, TestHost, WasiCtx};
//!
//! let mut bytes = [0u8; 64];
//! bytes[16..20].copy_from_slice(&32u32.to_le_bytes()); // iovec: buf = 32,
//! bytes[20..24].copy_from_slice(&2u32.to_le_bytes()); //         buf_len = 2
//! bytes[32..34].copy_from_slice(b"hi");
//! let mut ctx = WasiCtx::new(TestHost::default());
//! let mem = GuestFrame::new(&mut bytes);
//! let iovs = GuestPtr::new(&mem, (16, 1));
//! let nwritten = GuestPtr::new(&mem, 8);
//! assert_eq!(calls::fd_write(&mut ctx, &mem, 1, iovs, nwritten), Errno::Success);
//! assert_eq!(nwritten.read(), Ok(2));
//! assert_eq!(ctx.host().stdout.as_slice(), b"hi");
//! ```

use guestmem::{GuestFrame, GuestPtr};

pub use crate::files::{
    fd_advise, fd_allocate, fd_datasync, fd_fdstat_set_flags, fd_fdstat_set_rights,
    fd_filestat_get, fd_filestat_set_size, fd_filestat_set_times, fd_pread, fd_prestat_dir_name,
    fd_prestat_get, fd_pwrite, fd_readdir, fd_renumber, fd_sync, fd_tell, path_create_directory,
    path_filestat_get, path_filestat_set_times, path_link, path_open, path_readlink,
    path_remove_directory, path_rename, path_symlink, path_unlink_file,
};

use crate::abi::Trap;
use crate::files;
use crate::iovec::{read_iovecs, write_iovecs};
use crate::types::{check_out, to_u32, Fdflags, Rights};
use crate::{ClockId, Errno, Fdstat, HasWasi, Iovec, Stdio, WasiHost};

/// `Ok` → `ESUCCESS`, `Err(e)` → `e`.
fn errno(r: Result<(), Errno>) -> Errno {
    r.err().unwrap_or(Errno::Success)
}

/// `fd_write(fd, iovs, iovs_len, nwritten)`: writes the buffers of the iovecs `iovs` in order
/// to stdout, stderr or a file opened for writing (`EBADF` for any other descriptor,
/// `EISDIR` for a directory), the byte count into `*nwritten`. Every iovec, every buffer and
/// `nwritten` are checked before the host writes a byte; a short write of the host ends the
/// call, as `writev`'s does. The buffers are lent to the host, not copied, through one view:
/// the frame needs a free slot in its table of views (`EFAULT` without one).
pub fn fd_write<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nwritten: GuestPtr<'a, u32>,
) -> Errno {
    match files::file_target(ctx, fd, true, None) {
        Ok(Some(to)) => files::write_file(ctx, to, iovs, nwritten),
        Ok(None) => errno(write_iovecs(ctx.wasi(), fd, iovs, nwritten)),
        Err(e) => e,
    }
}

/// `fd_read(fd, iovs, iovs_len, nread)`: reads from stdin or a file opened for reading
/// (`EBADF` for any other descriptor, `EISDIR` for a directory) into the first non-empty
/// buffer of `iovs` (a short read, as `readv` may do), the byte count into `*nread`. Every
/// iovec, every buffer and `nread` are checked before the host reads.
pub fn fd_read<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nread: GuestPtr<'a, u32>,
) -> Errno {
    match files::file_target(ctx, fd, false, None) {
        Ok(Some(from)) => files::read_file(ctx, from, iovs, nread),
        Ok(None) => errno(read_iovecs(ctx.wasi(), fd, iovs, nread)),
        Err(e) => e,
    }
}

/// The sizes `*_sizes_get` report: count, and bytes with a NUL after each string.
fn string_sizes<'h>(
    count: usize,
    get: impl Fn(usize) -> Option<&'h [u8]>,
) -> Result<(u32, u32), Errno> {
    let mut bytes: u32 = 0;
    for i in 0..count {
        let len = to_u32(get(i).ok_or(Errno::Io)?.len())?;
        bytes = len
            .checked_add(1)
            .and_then(|l| bytes.checked_add(l))
            .ok_or(Errno::Overflow)?;
    }
    Ok((to_u32(count)?, bytes))
}

/// Writes the count of strings and their size (as [`string_sizes`]) into `count_out` and
/// `size_out`, both checked before either is written.
fn sizes_get<'h, 'a>(
    count: usize,
    get: impl Fn(usize) -> Option<&'h [u8]>,
    count_out: GuestPtr<'a, u32>,
    size_out: GuestPtr<'a, u32>,
) -> Result<(), Errno> {
    check_out(count_out)?;
    check_out(size_out)?;
    let (n, bytes) = string_sizes(count, get)?;
    count_out.write(n)?;
    size_out.write(bytes)?;
    Ok(())
}

/// Writes `count` strings as `argv`/`environ`: NUL-terminated into `buf`, their addresses
/// into `ptrs`. Both regions are checked whole, for the sizes the host reports, before
/// anything is written; then no view is live, so the writes cannot be refused (provided the
/// host answers the same during the call, as [`WasiHost::arg`] requires).
fn strings_get<'h, 'a>(
    count: usize,
    get: impl Fn(usize) -> Option<&'h [u8]>,
    ptrs: GuestPtr<'a, GuestPtr<'a, u8>>,
    buf: GuestPtr<'a, u8>,
) -> Result<(), Errno> {
    let (n, total) = string_sizes(count, &get)?;
    ptrs.as_array(n).validate()?;
    buf.as_array(total).validate()?;
    let mut at = buf;
    let mut slot = ptrs;
    for i in 0..count {
        let s = get(i).ok_or(Errno::Io)?;
        let len = to_u32(s.len())?;
        at.as_array(len).copy_from_slice(s)?;
        at.add(len)?.write(0)?;
        slot.write(at)?;
        if i.saturating_add(1) < count {
            at = at.add(len)?.add(1)?;
            slot = slot.add(1)?;
        }
    }
    Ok(())
}

/// `args_sizes_get(argc, argv_buf_size)`: the number of arguments, and the bytes their
/// NUL-terminated strings take.
pub fn args_sizes_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    argc: GuestPtr<'a, u32>,
    buf_size: GuestPtr<'a, u32>,
) -> Errno {
    let host = &ctx.wasi().host;
    errno(sizes_get(host.arg_count(), |i| host.arg(i), argc, buf_size))
}

/// `args_get(argv, argv_buf)`: the NUL-terminated arguments into `argv_buf`, one after the
/// other, their addresses into the array `argv` (sized by [`args_sizes_get`]). Both regions are
/// checked whole before anything is written.
pub fn args_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    argv: GuestPtr<'a, GuestPtr<'a, u8>>,
    buf: GuestPtr<'a, u8>,
) -> Errno {
    let host = &ctx.wasi().host;
    errno(strings_get(host.arg_count(), |i| host.arg(i), argv, buf))
}

/// `environ_sizes_get(count, buf_size)`: as [`args_sizes_get`], for the environment.
pub fn environ_sizes_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    count: GuestPtr<'a, u32>,
    buf_size: GuestPtr<'a, u32>,
) -> Errno {
    let host = &ctx.wasi().host;
    errno(sizes_get(
        host.env_count(),
        |i| host.env(i),
        count,
        buf_size,
    ))
}

/// `environ_get(environ, environ_buf)`: as [`args_get`], for the environment.
pub fn environ_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    environ: GuestPtr<'a, GuestPtr<'a, u8>>,
    buf: GuestPtr<'a, u8>,
) -> Errno {
    let host = &ctx.wasi().host;
    errno(strings_get(host.env_count(), |i| host.env(i), environ, buf))
}

/// `fd_close(fd)`: closes a descriptor (a standard stream, a file, a directory, preopened or
/// not); later calls on it get `EBADF`.
pub fn fd_close<C: HasWasi>(ctx: &mut C, _mem: &GuestFrame<'_>, fd: u32) -> Errno {
    errno(ctx.wasi().close(fd))
}

/// `fd_seek(fd, offset, whence, newoffset)`: moves the offset of a file, the new one into
/// `*newoffset` (`EISDIR` for a directory). The standard streams are not seekable, so
/// `ESPIPE` (`EINVAL` for a bad `whence`, `EBADF` for a bad descriptor); then `*newoffset` is
/// never written, so it is not checked either.
pub fn fd_seek<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    offset: i64,
    whence: u32,
    newoffset: GuestPtr<'a, u64>,
) -> Errno {
    if let Some(e) = files::seek(ctx, fd, offset, whence, newoffset) {
        return e;
    }
    errno(ctx.wasi().stream(fd).and_then(|_| {
        if whence > 2 {
            return Err(Errno::Inval);
        }
        // The standard streams are pipes or terminals here: not seekable.
        Err(Errno::Spipe)
    }))
}

/// `fd_fdstat_get(fd, stat)`: the type, flags and rights of a descriptor into `*stat`.
pub fn fd_fdstat_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    stat: GuestPtr<'a, Fdstat>,
) -> Errno {
    if let Some(e) = files::fdstat(ctx, fd, stat) {
        return e;
    }
    let wasi = ctx.wasi();
    errno(wasi.stream(fd).and_then(|s| {
        check_out(stat)?;
        let rights = match s {
            Stdio::Stdin => Rights::FD_READ,
            Stdio::Stdout | Stdio::Stderr => Rights::FD_WRITE,
        } | Rights::POLL_FD_READWRITE;
        stat.write(Fdstat {
            fs_filetype: wasi.host.filetype(s),
            fs_flags: Fdflags::empty(),
            fs_rights_base: rights,
            fs_rights_inheriting: Rights::empty(),
        })?;
        Ok(())
    }))
}

/// `clock_res_get(id, res)`: the resolution of a clock in nanoseconds into `*res`; `res` is
/// checked before the host is asked.
pub fn clock_res_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    id: u32,
    res: GuestPtr<'a, u64>,
) -> Errno {
    errno((|| {
        let clock = ClockId::from_raw(id)?;
        check_out(res)?;
        let ns = ctx.wasi().host.clock_res(clock)?;
        res.write(ns)?;
        Ok(())
    })())
}

/// `clock_time_get(id, precision, time)`: the time of a clock in nanoseconds into `*time`;
/// `time` is checked before the host is asked.
pub fn clock_time_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    id: u32,
    _precision: u64,
    time: GuestPtr<'a, u64>,
) -> Errno {
    errno((|| {
        let clock = ClockId::from_raw(id)?;
        check_out(time)?;
        let ns = ctx.wasi().host.clock_time(clock)?;
        time.write(ns)?;
        Ok(())
    })())
}

/// `random_get(buf, buf_len)`: fills the buffer with the host's random bytes, after checking
/// all of it.
pub fn random_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    buf: GuestPtr<'a, [u8]>,
) -> Errno {
    errno((|| {
        // The view checks the whole buffer before the host draws a byte.
        let mut view = buf.as_slice_mut()?;
        ctx.wasi().host.random(&mut view)
    })())
}

/// `sched_yield()`: tells the host.
pub fn sched_yield<C: HasWasi>(ctx: &mut C, _mem: &GuestFrame<'_>) -> Errno {
    ctx.wasi().host.sched_yield();
    Errno::Success
}

/// `proc_exit(code)`: records `code` as the exit code and ends the guest's call with
/// [`Trap::Exit`].
///
/// # Errors
///
/// Always [`Trap::Exit`].
pub fn proc_exit<C: HasWasi>(ctx: &mut C, _mem: &GuestFrame<'_>, code: u32) -> Result<(), Trap> {
    ctx.wasi().exit_code = Some(code);
    Err(Trap::Exit)
}
