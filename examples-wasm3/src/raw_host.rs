//! The example host functions of module `env` for wasm3: the crate [`guestmem_example_host`]
//! (strings, arrays of structs and out-pointers, engine-neutral), re-exported whole, and
//! [`functions`], its one list as a wasm3 link table.

pub use guestmem_example_host::*;

use crate::wasi::HasWasi;
use crate::HostFunc;

/// The raw guest's host functions, module `env`, generated from
/// [`for_each_function!`]. A `const fn`, so that a `static` of the table can live in flash
/// (see [`wasi::functions`](crate::wasi::functions)).
pub const fn functions<C: HasWasi>() -> [HostFunc<C>; FUNCTION_COUNT] {
    use crate::host_fn_table;
    guestmem_example_host::for_each_function!(host_fn_table, C)
}
