//! The one list of the WASI preview1 host functions, [`for_each_function!`], and what is
//! built from it here: the engine-neutral table [`host_functions`].

use crate::__host_fn_table;
use crate::abi::HostFn;
use crate::HasWasi;

/// The import module of WASI preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// How many functions [`for_each_function!`](crate::for_each_function) lists: every import of preview1.
pub const FUNCTION_COUNT: usize = 46;

/// The one list of every WASI preview1 host function: the subset in [`calls`](crate::calls),
/// and an `ENOSYS` stub for each other import, so that any preview1 module links. Every
/// engine binding builds its link table from it, with no per-function code.
///
/// `for_each_function!(callback)` or `for_each_function!(callback, EXTRA...)` expands to one
/// invocation of the caller's macro `callback!` (a name, or a path such as
/// `$crate::name`) with the whole list:
///
/// ```text
/// callback! {
///     [EXTRA...]                                   // the caller's own tokens, or nothing
///     module "wasi_snapshot_preview1";
///     bound $crate::HasWasi;                       // what the context type must implement
///     fn "fd_write" (u32, GuestPtr<'_, [Iovec<'_>]>, GuestPtr<'_, u32>) -> Errno = calls::fd_write;
///     ...
///     const "poll_oneoff" (u32, u32, u32, u32) -> Errno = Errno::Nosys;
///     ...
/// }
/// ```
///
/// Each entry is the import name, the argument types (each a [`WasmArg`](crate::abi::WasmArg);
/// `'_` for lifetimes), the result type (a [`WasmRet`](crate::abi::WasmRet)), and either
/// `fn` and the function, called as `f(ctx: &mut C, mem: &GuestFrame<'_>, args...)`, or
/// `const` and the value returned whatever the arguments. Every path is absolute
/// (`$crate::...`). The entries match `$($kind:tt $name:literal ($($arg:ty),*) -> $ret:ty =
/// $target:expr;)*`, and [`slot_call!`](crate::slot_call) takes `$kind` and the rest as they
/// come: an engine's glue is one `macro_rules!` of a few lines. Adding a function (e.g.
/// `path_open`) is one line here, in the crate that implements it.
///
/// # Examples
///
/// An engine's glue, here counting the argument slots of every function:
///
/// ```
/// macro_rules! slot_counts {
///     ([] module $module:literal; bound $bound:path;
///      $($kind:tt $name:literal ($($arg:ty),*) -> $ret:ty = $target:expr;)*) => {
///         [$(($name, guestmem_wasi::slot_sig!(($($arg),*) -> $ret).slots())),*]
///     };
/// }
///
/// let counts = guestmem_wasi::for_each_function!(slot_counts);
/// assert_eq!(counts.len(), guestmem_wasi::FUNCTION_COUNT);
/// assert!(counts.contains(&("fd_write", 4)));
/// assert!(counts.contains(&("path_open", 9)));
/// ```
#[macro_export]
macro_rules! for_each_function {
    ($($callback:ident)::+ $(, $($extra:tt)*)?) => {
        $($callback)::+! {
            [$($($extra)*)?]
            module "wasi_snapshot_preview1";
            bound $crate::HasWasi;
            fn "args_get" ($crate::guestmem::GuestPtr<'_, $crate::guestmem::GuestPtr<'_, u8>>, $crate::guestmem::GuestPtr<'_, u8>) -> $crate::Errno = $crate::calls::args_get;
            fn "args_sizes_get" ($crate::guestmem::GuestPtr<'_, u32>, $crate::guestmem::GuestPtr<'_, u32>) -> $crate::Errno = $crate::calls::args_sizes_get;
            fn "environ_get" ($crate::guestmem::GuestPtr<'_, $crate::guestmem::GuestPtr<'_, u8>>, $crate::guestmem::GuestPtr<'_, u8>) -> $crate::Errno = $crate::calls::environ_get;
            fn "environ_sizes_get" ($crate::guestmem::GuestPtr<'_, u32>, $crate::guestmem::GuestPtr<'_, u32>) -> $crate::Errno = $crate::calls::environ_sizes_get;
            fn "fd_write" (u32, $crate::guestmem::GuestPtr<'_, [$crate::Iovec<'_>]>, $crate::guestmem::GuestPtr<'_, u32>) -> $crate::Errno = $crate::calls::fd_write;
            fn "fd_read" (u32, $crate::guestmem::GuestPtr<'_, [$crate::Iovec<'_>]>, $crate::guestmem::GuestPtr<'_, u32>) -> $crate::Errno = $crate::calls::fd_read;
            fn "fd_close" (u32) -> $crate::Errno = $crate::calls::fd_close;
            fn "fd_seek" (u32, i64, u32, $crate::guestmem::GuestPtr<'_, u64>) -> $crate::Errno = $crate::calls::fd_seek;
            fn "fd_fdstat_get" (u32, $crate::guestmem::GuestPtr<'_, $crate::Fdstat>) -> $crate::Errno = $crate::calls::fd_fdstat_get;
            fn "fd_prestat_get" (u32, $crate::guestmem::GuestPtr<'_, u32>) -> $crate::Errno = $crate::calls::fd_prestat_get;
            fn "fd_prestat_dir_name" (u32, $crate::guestmem::GuestPtr<'_, [u8]>) -> $crate::Errno = $crate::calls::fd_prestat_dir_name;
            fn "clock_res_get" (u32, $crate::guestmem::GuestPtr<'_, u64>) -> $crate::Errno = $crate::calls::clock_res_get;
            fn "clock_time_get" (u32, u64, $crate::guestmem::GuestPtr<'_, u64>) -> $crate::Errno = $crate::calls::clock_time_get;
            fn "random_get" ($crate::guestmem::GuestPtr<'_, [u8]>) -> $crate::Errno = $crate::calls::random_get;
            fn "sched_yield" () -> $crate::Errno = $crate::calls::sched_yield;
            fn "proc_exit" (u32) -> ::core::result::Result<(), $crate::abi::Trap> = $crate::calls::proc_exit;
            // poll.rs and sock.rs.
            fn "poll_oneoff" ($crate::guestmem::GuestPtr<'_, $crate::poll::Subscription>, $crate::guestmem::GuestPtr<'_, $crate::poll::Event>, u32, $crate::guestmem::GuestPtr<'_, u32>) -> $crate::Errno = $crate::poll::poll_oneoff;
            fn "sock_accept" (u32, u32, u32) -> $crate::Errno = $crate::sock::sock_accept;
            fn "sock_recv" (u32, u32, u32, u32, u32, u32) -> $crate::Errno = $crate::sock::sock_recv;
            fn "sock_send" (u32, u32, u32, u32, u32) -> $crate::Errno = $crate::sock::sock_send;
            fn "sock_shutdown" (u32, u32) -> $crate::Errno = $crate::sock::sock_shutdown;
            // Files and directories (guestmem-wasi's `files`, re-exported by `calls`).
            fn "fd_advise" (u32, u64, u64, u32) -> $crate::Errno = $crate::calls::fd_advise;
            fn "fd_allocate" (u32, u64, u64) -> $crate::Errno = $crate::calls::fd_allocate;
            fn "fd_datasync" (u32) -> $crate::Errno = $crate::calls::fd_datasync;
            fn "fd_fdstat_set_flags" (u32, u32) -> $crate::Errno = $crate::calls::fd_fdstat_set_flags;
            fn "fd_fdstat_set_rights" (u32, u64, u64) -> $crate::Errno = $crate::calls::fd_fdstat_set_rights;
            fn "fd_filestat_get" (u32, $crate::guestmem::GuestPtr<'_, $crate::fs::Filestat>) -> $crate::Errno = $crate::calls::fd_filestat_get;
            fn "fd_filestat_set_size" (u32, u64) -> $crate::Errno = $crate::calls::fd_filestat_set_size;
            fn "fd_filestat_set_times" (u32, u64, u64, u32) -> $crate::Errno = $crate::calls::fd_filestat_set_times;
            fn "fd_pread" (u32, $crate::guestmem::GuestPtr<'_, [$crate::Iovec<'_>]>, u64, $crate::guestmem::GuestPtr<'_, u32>) -> $crate::Errno = $crate::calls::fd_pread;
            fn "fd_pwrite" (u32, $crate::guestmem::GuestPtr<'_, [$crate::Iovec<'_>]>, u64, $crate::guestmem::GuestPtr<'_, u32>) -> $crate::Errno = $crate::calls::fd_pwrite;
            fn "fd_readdir" (u32, $crate::guestmem::GuestPtr<'_, [u8]>, u64, $crate::guestmem::GuestPtr<'_, u32>) -> $crate::Errno = $crate::calls::fd_readdir;
            fn "fd_renumber" (u32, u32) -> $crate::Errno = $crate::calls::fd_renumber;
            fn "fd_sync" (u32) -> $crate::Errno = $crate::calls::fd_sync;
            fn "fd_tell" (u32, $crate::guestmem::GuestPtr<'_, u64>) -> $crate::Errno = $crate::calls::fd_tell;
            fn "path_create_directory" (u32, $crate::guestmem::GuestPtr<'_, [u8]>) -> $crate::Errno = $crate::calls::path_create_directory;
            fn "path_filestat_get" (u32, u32, $crate::guestmem::GuestPtr<'_, [u8]>, $crate::guestmem::GuestPtr<'_, $crate::fs::Filestat>) -> $crate::Errno = $crate::calls::path_filestat_get;
            fn "path_filestat_set_times" (u32, u32, $crate::guestmem::GuestPtr<'_, [u8]>, u64, u64, u32) -> $crate::Errno = $crate::calls::path_filestat_set_times;
            fn "path_link" (u32, u32, $crate::guestmem::GuestPtr<'_, [u8]>, u32, $crate::guestmem::GuestPtr<'_, [u8]>) -> $crate::Errno = $crate::calls::path_link;
            fn "path_open" (u32, u32, $crate::guestmem::GuestPtr<'_, [u8]>, u32, u64, u64, u32, $crate::guestmem::GuestPtr<'_, u32>) -> $crate::Errno = $crate::calls::path_open;
            fn "path_readlink" (u32, $crate::guestmem::GuestPtr<'_, [u8]>, $crate::guestmem::GuestPtr<'_, [u8]>, $crate::guestmem::GuestPtr<'_, u32>) -> $crate::Errno = $crate::calls::path_readlink;
            fn "path_remove_directory" (u32, $crate::guestmem::GuestPtr<'_, [u8]>) -> $crate::Errno = $crate::calls::path_remove_directory;
            fn "path_rename" (u32, $crate::guestmem::GuestPtr<'_, [u8]>, u32, $crate::guestmem::GuestPtr<'_, [u8]>) -> $crate::Errno = $crate::calls::path_rename;
            fn "path_symlink" ($crate::guestmem::GuestPtr<'_, [u8]>, u32, $crate::guestmem::GuestPtr<'_, [u8]>) -> $crate::Errno = $crate::calls::path_symlink;
            fn "path_unlink_file" (u32, $crate::guestmem::GuestPtr<'_, [u8]>) -> $crate::Errno = $crate::calls::path_unlink_file;
            // Everything else in preview1: ENOSYS.
            const "proc_raise" (u32) -> $crate::Errno = $crate::Errno::Nosys;
        }
    };
}

/// Every WASI preview1 function as an engine-neutral [`HostFn`], built from
/// [`for_each_function!`](crate::for_each_function): for an engine that calls host functions through a pointer, and to
/// look the functions up by name. A `const fn`, so a `static` of the table can live in flash.
///
/// # Examples
///
/// ```
/// use guestmem_wasi::abi::HostFn;
/// use guestmem_wasi::guestmem::GuestFrame;
/// use guestmem_wasi::{host_functions, Errno, TestHost, WasiCtx, FUNCTION_COUNT};
///
/// static WASI: [HostFn<WasiCtx<TestHost<'static>>>; FUNCTION_COUNT] = host_functions();
/// let fd_write = WASI.iter().find(|f| f.name == "fd_write").unwrap();
/// assert_eq!(fd_write.sig.as_cstr(), c"i(i*i*)");
///
/// // fd_write(1, iovs = 16, 1 iovec, nwritten = 8): the iovec points at "hi" at 32.
/// let mut bytes = [0u8; 64];
/// bytes[16..24].copy_from_slice(&[32, 0, 0, 0, 2, 0, 0, 0]);
/// bytes[32..34].copy_from_slice(b"hi");
/// let mut ctx = WasiCtx::new(TestHost::default());
/// let r = (fd_write.call)(&mut ctx, &GuestFrame::new(&mut bytes), &[1, 16, 1, 8]);
/// assert_eq!(r, Ok(Some(u64::from(Errno::Success.to_raw()))));
/// assert_eq!(ctx.host().stdout.as_slice(), b"hi");
/// assert_eq!(bytes[8], 2);
/// ```
pub const fn host_functions<C: HasWasi>() -> [HostFn<C>; FUNCTION_COUNT] {
    crate::for_each_function!(__host_fn_table, C)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TestHost, WasiCtx};

    #[test]
    fn every_import_once_with_its_preview1_signature() {
        let fs = host_functions::<WasiCtx<TestHost<'static>>>();
        for (i, f) in fs.iter().enumerate() {
            assert_eq!(f.module, MODULE);
            assert!(f.sig.is_valid(), "{f:?}");
            assert!(fs[..i].iter().all(|g| g.name != f.name), "{f:?} twice");
        }
        let sig = |name: &str| fs.iter().find(|f| f.name == name).map(|f| f.sig.as_cstr());
        assert_eq!(sig("fd_write"), Some(c"i(i*i*)"));
        assert_eq!(sig("proc_exit"), Some(c"v(i)"));
        assert_eq!(sig("clock_time_get"), Some(c"i(iI*)"));
        assert_eq!(sig("path_open"), Some(c"i(ii*iiIIi*)"));
        assert_eq!(sig("fd_readdir"), Some(c"i(i*iI*)"));
        assert_eq!(sig("sched_yield"), Some(c"i()"));
    }
}
