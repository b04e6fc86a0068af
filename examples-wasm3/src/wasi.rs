//! WASI preview1 for wasm3: the crate [`guestmem_wasi`] (types, [`WasiHost`], [`calls`], its
//! hosts), re-exported whole, and [`functions`], its one list of host functions as a wasm3
//! link table.

pub use guestmem_wasi::*;

use crate::HostFunc;

/// Every WASI preview1 function as a wasm3 [`HostFunc`]: the subset in [`calls`], and an
/// `ENOSYS` stub for each other one, so that any preview1 import links. Link them with
/// [`Runtime::link_all`](crate::Runtime::link_all).
///
/// Generated from [`for_each_function!`], `guestmem-wasi`'s one list, one monomorphised
/// entry point per function (no call through a pointer). A `const fn`: a `static` of the
/// table lives in flash instead of being built on the stack (46 entries of about 72 bytes on
/// a 32-bit target).
///
/// # Examples
///
/// ```
/// use guestmem_wasm3::wasi::{self, Errno, Stdio, WasiCtx, WasiHost, FUNCTION_COUNT};
/// use guestmem_wasm3::HostFunc;
///
/// struct Host;
/// impl WasiHost for Host {
///     fn write(&mut self, _: Stdio, bufs: &[&[u8]]) -> Result<usize, Errno> {
///         Ok(bufs.iter().map(|b| b.len()).sum())
///     }
/// }
///
/// static WASI: [HostFunc<WasiCtx<Host>>; FUNCTION_COUNT] = wasi::functions();
/// assert_eq!(WASI[4].name(), "fd_write");
/// assert_eq!(WASI[4].signature().to_str(), Ok("i(i*i*)"));
/// ```
pub const fn functions<C: HasWasi>() -> [HostFunc<C>; FUNCTION_COUNT] {
    use crate::host_fn_table;
    guestmem_wasi::for_each_function!(host_fn_table, C)
}

/// Every WASI preview0 (`wasi_unstable`) function as a wasm3 [`HostFunc`]: the preview1 list
/// under the older name, with `guestmem-wasi`'s shims where preview0 differs (see
/// [`preview0`]). Link them beside [`functions`] to run modules that import either name, or
/// both.
///
/// # Examples
///
/// ```
/// use guestmem_wasm3::wasi::{self, preview0, StdHost, WasiCtx};
///
/// let fs = wasi::functions_preview0::<WasiCtx<StdHost>>();
/// assert_eq!(fs.len(), preview0::FUNCTION_COUNT);
/// assert!(fs.iter().all(|f| f.module() == "wasi_unstable"));
/// ```
pub const fn functions_preview0<C: HasWasi>() -> [HostFunc<C>; preview0::FUNCTION_COUNT] {
    use crate::host_fn_table;
    guestmem_wasi::for_each_function_preview0!(host_fn_table, C)
}
