//! The WASI preview1 host functions, and the table that links them.

use guestmem::GuestPtr;

use super::iovec::{check_iovecs, write_iovecs};
use super::{
    ClockId, Errno, Fdstat, HasWasi, Iovec, Stdio, WasiCtx, WasiHost, RIGHT_FD_READ,
    RIGHT_FD_WRITE, RIGHT_POLL_FD_READWRITE,
};
use crate::glue::Trap;
use crate::{host_fn, HostFunc, Wasm3Memory};

/// The import module of WASI preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// `Ok` → `ESUCCESS`, `Err(e)` → `e`.
fn errno(r: Result<(), Errno>) -> Errno {
    r.err().unwrap_or(Errno::Success)
}

pub(super) fn to_u32(n: usize) -> Result<u32, Errno> {
    u32::try_from(n).map_err(|_| Errno::Overflow)
}

fn fd_write<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a Wasm3Memory,
    fd: u32,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nwritten: GuestPtr<'a, u32>,
) -> Errno {
    errno(write_iovecs(ctx.wasi(), fd, iovs, nwritten))
}

fn fd_read<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a Wasm3Memory,
    fd: u32,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nread: GuestPtr<'a, u32>,
) -> Errno {
    errno(read_iovecs(ctx.wasi(), fd, iovs, nread))
}

fn read_iovecs<'a, H: WasiHost>(
    wasi: &mut WasiCtx<H>,
    fd: u32,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nread: GuestPtr<'a, u32>,
) -> Result<(), Errno> {
    let stream = wasi.stream(fd)?;
    if stream != Stdio::Stdin {
        return Err(Errno::Badf);
    }
    nread.write(0)?;
    check_iovecs(iovs)?;
    // Read into the first non-empty buffer only: a short read, which POSIX `readv` allows,
    // and no second blocking read once data has arrived.
    let mut n = 0;
    for iov in iovs.iter() {
        let iov = iov?.read()?;
        if iov.buf_len > 0 {
            let mut view = iov.buf.as_array(iov.buf_len).as_slice_mut()?;
            n = wasi.host.read(stream, &mut view)?;
            break;
        }
    }
    nread.write(to_u32(n)?)?;
    Ok(())
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

/// Writes `count` strings as `argv`/`environ`: NUL-terminated into `buf`, their addresses
/// into `ptrs`. Both regions are checked whole before anything is written.
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

fn args_sizes_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a Wasm3Memory,
    argc: GuestPtr<'a, u32>,
    buf_size: GuestPtr<'a, u32>,
) -> Errno {
    let host = &ctx.wasi().host;
    errno(
        string_sizes(host.arg_count(), |i| host.arg(i)).and_then(|(n, bytes)| {
            argc.write(n)?;
            buf_size.write(bytes)?;
            Ok(())
        }),
    )
}

fn args_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a Wasm3Memory,
    argv: GuestPtr<'a, GuestPtr<'a, u8>>,
    buf: GuestPtr<'a, u8>,
) -> Errno {
    let host = &ctx.wasi().host;
    errno(strings_get(host.arg_count(), |i| host.arg(i), argv, buf))
}

fn environ_sizes_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a Wasm3Memory,
    count: GuestPtr<'a, u32>,
    buf_size: GuestPtr<'a, u32>,
) -> Errno {
    let host = &ctx.wasi().host;
    errno(
        string_sizes(host.env_count(), |i| host.env(i)).and_then(|(n, bytes)| {
            count.write(n)?;
            buf_size.write(bytes)?;
            Ok(())
        }),
    )
}

fn environ_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a Wasm3Memory,
    environ: GuestPtr<'a, GuestPtr<'a, u8>>,
    buf: GuestPtr<'a, u8>,
) -> Errno {
    let host = &ctx.wasi().host;
    errno(strings_get(host.env_count(), |i| host.env(i), environ, buf))
}

fn fd_close<C: HasWasi>(ctx: &mut C, _mem: &Wasm3Memory, fd: u32) -> Errno {
    let wasi = ctx.wasi();
    errno(wasi.stream(fd).map(|s| {
        if let Some(closed) = wasi.closed.get_mut(s.index()) {
            *closed = true;
        }
    }))
}

fn fd_seek<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a Wasm3Memory,
    fd: u32,
    _offset: i64,
    whence: u32,
    _newoffset: GuestPtr<'a, u64>,
) -> Errno {
    errno(ctx.wasi().stream(fd).and_then(|_| {
        if whence > 2 {
            return Err(Errno::Inval);
        }
        // The standard streams are pipes or terminals here: not seekable.
        Err(Errno::Spipe)
    }))
}

fn fd_fdstat_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a Wasm3Memory,
    fd: u32,
    stat: GuestPtr<'a, Fdstat>,
) -> Errno {
    let wasi = ctx.wasi();
    errno(wasi.stream(fd).and_then(|s| {
        let rights = match s {
            Stdio::Stdin => RIGHT_FD_READ,
            Stdio::Stdout | Stdio::Stderr => RIGHT_FD_WRITE,
        } | RIGHT_POLL_FD_READWRITE;
        stat.write(Fdstat {
            fs_filetype: wasi.host.filetype(s),
            fs_flags: 0,
            fs_rights_base: rights,
            fs_rights_inheriting: 0,
        })?;
        Ok(())
    }))
}

fn fd_prestat_get<'a, C: HasWasi>(
    _ctx: &mut C,
    _mem: &'a Wasm3Memory,
    _fd: u32,
    _prestat: GuestPtr<'a, u32>,
) -> Errno {
    // No directory is pre-opened: every descriptor is "not a pre-opened one".
    Errno::Badf
}

fn fd_prestat_dir_name<'a, C: HasWasi>(
    _ctx: &mut C,
    _mem: &'a Wasm3Memory,
    _fd: u32,
    _path: GuestPtr<'a, [u8]>,
) -> Errno {
    Errno::Badf
}

fn clock_res_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a Wasm3Memory,
    id: u32,
    res: GuestPtr<'a, u64>,
) -> Errno {
    errno((|| {
        let clock = ClockId::from_raw(id).ok_or(Errno::Inval)?;
        let ns = ctx.wasi().host.clock_res(clock)?;
        res.write(ns)?;
        Ok(())
    })())
}

fn clock_time_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a Wasm3Memory,
    id: u32,
    _precision: u64,
    time: GuestPtr<'a, u64>,
) -> Errno {
    errno((|| {
        let clock = ClockId::from_raw(id).ok_or(Errno::Inval)?;
        let ns = ctx.wasi().host.clock_time(clock)?;
        time.write(ns)?;
        Ok(())
    })())
}

fn random_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a Wasm3Memory,
    buf: GuestPtr<'a, [u8]>,
) -> Errno {
    errno((|| {
        let mut view = buf.as_slice_mut()?;
        ctx.wasi().host.random(&mut view)
    })())
}

fn sched_yield<C: HasWasi>(ctx: &mut C, _mem: &Wasm3Memory) -> Errno {
    ctx.wasi().host.sched_yield();
    Errno::Success
}

fn proc_exit<C: HasWasi>(ctx: &mut C, _mem: &Wasm3Memory, code: u32) -> Result<(), Trap> {
    ctx.wasi().exit_code = Some(code);
    Err(Trap::Exit)
}

/// Every WASI preview1 function: the subset above, and an `ENOSYS` stub for each other one,
/// so that any preview1 import links. Link them with
/// [`Runtime::link_all`](crate::Runtime::link_all).
///
/// A `const fn`: a `static` of the table lives in flash instead of being built on the stack
/// (46 entries of about 72 bytes on a 32-bit target).
///
/// # Examples
///
/// ```
/// use guestmem_wasm3::wasi::{self, Errno, Stdio, WasiCtx, WasiHost};
/// use guestmem_wasm3::HostFunc;
///
/// struct Host;
/// impl WasiHost for Host {
///     fn write(&mut self, _: Stdio, bufs: &[&[u8]]) -> Result<usize, Errno> {
///         Ok(bufs.iter().map(|b| b.len()).sum())
///     }
/// }
///
/// static WASI: [HostFunc<WasiCtx<Host>>; 46] = wasi::functions();
/// assert_eq!(WASI[4].name(), "fd_write");
/// assert_eq!(WASI[4].signature().to_str(), Ok("i(i*i*)"));
/// ```
pub const fn functions<C: HasWasi>() -> [HostFunc<C>; 46] {
    type P<'a> = GuestPtr<'a, u8>;
    [
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "args_get" => args_get(GuestPtr<'_, GuestPtr<'_, u8>>, P<'_>) -> Errno),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "args_sizes_get" => args_sizes_get(GuestPtr<'_, u32>, GuestPtr<'_, u32>) -> Errno),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "environ_get" => environ_get(GuestPtr<'_, GuestPtr<'_, u8>>, P<'_>) -> Errno),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "environ_sizes_get" => environ_sizes_get(GuestPtr<'_, u32>, GuestPtr<'_, u32>) -> Errno),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_write" => fd_write(u32, GuestPtr<'_, [Iovec<'_>]>, GuestPtr<'_, u32>) -> Errno),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_read" => fd_read(u32, GuestPtr<'_, [Iovec<'_>]>, GuestPtr<'_, u32>) -> Errno),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_close" => fd_close(u32) -> Errno),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_seek" => fd_seek(u32, i64, u32, GuestPtr<'_, u64>) -> Errno),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_fdstat_get" => fd_fdstat_get(u32, GuestPtr<'_, Fdstat>) -> Errno),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_prestat_get" => fd_prestat_get(u32, GuestPtr<'_, u32>) -> Errno),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_prestat_dir_name" => fd_prestat_dir_name(u32, GuestPtr<'_, [u8]>) -> Errno),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "clock_res_get" => clock_res_get(u32, GuestPtr<'_, u64>) -> Errno),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "clock_time_get" => clock_time_get(u32, u64, GuestPtr<'_, u64>) -> Errno),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "random_get" => random_get(GuestPtr<'_, [u8]>) -> Errno),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "sched_yield" => sched_yield() -> Errno),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "proc_exit" => proc_exit(u32) -> Result<(), Trap>),
        // Everything else in preview1: ENOSYS.
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_advise" => const(u32, u64, u64, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_allocate" => const(u32, u64, u64) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_datasync" => const(u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_fdstat_set_flags" => const(u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_fdstat_set_rights" => const(u32, u64, u64) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_filestat_get" => const(u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_filestat_set_size" => const(u32, u64) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_filestat_set_times" => const(u32, u64, u64, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_pread" => const(u32, u32, u32, u64, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_pwrite" => const(u32, u32, u32, u64, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_readdir" => const(u32, u32, u32, u64, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_renumber" => const(u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_sync" => const(u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "fd_tell" => const(u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "path_create_directory" => const(u32, u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "path_filestat_get" => const(u32, u32, u32, u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "path_filestat_set_times" => const(u32, u32, u32, u32, u64, u64, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "path_link" => const(u32, u32, u32, u32, u32, u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "path_open" => const(u32, u32, u32, u32, u32, u64, u64, u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "path_readlink" => const(u32, u32, u32, u32, u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "path_remove_directory" => const(u32, u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "path_rename" => const(u32, u32, u32, u32, u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "path_symlink" => const(u32, u32, u32, u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "path_unlink_file" => const(u32, u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "poll_oneoff" => const(u32, u32, u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "proc_raise" => const(u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "sock_accept" => const(u32, u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "sock_recv" => const(u32, u32, u32, u32, u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "sock_send" => const(u32, u32, u32, u32, u32) -> Errno = Errno::Nosys),
        host_fn!(<C: HasWasi> "wasi_snapshot_preview1" "sock_shutdown" => const(u32, u32) -> Errno = Errno::Nosys),
    ]
}
