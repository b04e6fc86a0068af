//! The table that links the WASI preview1 functions of [`calls`](super::calls) into wasm3.

use guestmem::GuestPtr;

use super::calls::{
    args_get, args_sizes_get, clock_res_get, clock_time_get, environ_get, environ_sizes_get,
    fd_close, fd_fdstat_get, fd_prestat_dir_name, fd_prestat_get, fd_read, fd_seek, fd_write,
    proc_exit, random_get, sched_yield,
};
use super::{Errno, Fdstat, HasWasi, Iovec};
use crate::glue::Trap;
use crate::{host_fn, HostFunc};

/// The import module of WASI preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// Every WASI preview1 function: the subset in [`calls`](super::calls), and an `ENOSYS` stub for each other one,
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
