#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]
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

#[cfg(feature = "validate")]
extern crate alloc;

// The unsafe boundary: `unsafe_code` is denied for the crate (workspace lints) and allowed in
// two modules only. `ffi`: every call into wasm3, the guest memory it owns, and the trampoline
// wasm3 calls for a host function, behind a safe API. `sys` (std only): the CPU-time clocks of
// the host OS through libc, which std does not offer. Everything else, `host_fn!`'s expansion
// included, is safe code. Modules import downwards only: abi <- ffi <- glue <- runtime, wasi,
// raw_host; `sys` and `stdio` are leaves.
mod abi;
#[allow(unsafe_code)] // the FFI boundary: every unsafe operation on wasm3
mod ffi;
pub mod glue;
#[cfg(feature = "validate")]
pub mod lower;
pub mod raw_host;
mod runtime;
#[cfg(feature = "std")]
mod stdio;
#[cfg(feature = "std")]
#[allow(unsafe_code)] // the host OS boundary: libc's CPU-time clocks
mod sys;
#[cfg(feature = "validate")]
pub mod validate;
pub mod wasi;

#[cfg(feature = "wasm3-wasi")]
pub use ffi::TrustedGuest;
#[cfg(not(feature = "validate"))]
pub use ffi::TrustedModule;
pub use ffi::Wasm3Memory;
pub use glue::{HostFunc, Trap};
/// What [`host_fn!`] expands to. Not public API.
#[doc(hidden)]
pub use guestmem::GuestFrame as __GuestFrame;
#[cfg(feature = "validate")]
pub use lower::{lower, LowerError};
pub use runtime::{CallError, CompileError, Config, LinkError, LoadError, Message, Runtime};
#[cfg(feature = "validate")]
pub use validate::validate;
