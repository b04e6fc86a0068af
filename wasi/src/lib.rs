#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    test,
    allow(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects,
        clippy::as_conversions
    )
)]

#[cfg(any(feature = "std", test))]
extern crate std;

// Modules, each importing only from those before it: `abi` (slots, signatures, traps), `types`
// (errno, flags, guest structures), `fs` (the types and limits of files), `host` (the
// embedder's trait), `ctx` (a guest's state and
// descriptors), `iovec` (guest iovecs to host buffers), `files` (the functions on files and
// directories), `calls` (the functions, those of `files` re-exported), `list` (the
// one list of them, and the neutral table); `random`, `test_host` and `std_host` are hosts
// and their helpers.
// `poll` and `sock` are functions beside `calls` (the list names them); `preview0` is the
// `wasi_unstable` list built from `list`'s.
pub mod abi;
pub mod calls;
mod ctx;
mod files;
pub mod fs;
mod host;
mod iovec;
mod list;
pub mod poll;
pub mod preview0;
mod random;
pub mod sock;
#[cfg(feature = "std")]
mod std_fs;
#[cfg(feature = "std")]
mod std_host;
mod test_host;
mod types;

/// The core crate, whose types ([`GuestPtr`](guestmem::GuestPtr),
/// [`GuestFrame`](guestmem::GuestFrame)) appear in this crate's API and in the
/// [`for_each_function!`] list.
pub use guestmem;

pub use ctx::{Descriptor, HasWasi, WasiCtx};
pub use host::WasiHost;
pub use list::{host_functions, FUNCTION_COUNT, MODULE};
pub use random::SeededRandom;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use std_host::StdHost;
pub use test_host::{HostCall, TestHost};
pub use types::{check_out, ClockId, Errno, Fdflags, Fdstat, Filetype, Iovec, Rights, Stdio};
