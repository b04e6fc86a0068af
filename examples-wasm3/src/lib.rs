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
// one module only, `ffi`: every call into wasm3, the guest memory it owns, and the trampoline
// wasm3 calls for a host function, behind a safe API. Everything else, `host_fn!`'s expansion
// included, is safe code. The slot ABI and the WASI functions are `guestmem-wasi`'s
// (engine-neutral), the `env` functions `guestmem-example-host`'s. Modules import downwards
// only: lower <- audited <- ffi <- glue <- runtime, wasi, raw_host.
#[cfg(feature = "wasm3-wasi")]
mod audited;
#[allow(unsafe_code)] // the FFI boundary: every unsafe operation on wasm3
mod ffi;
pub mod glue;
#[cfg(feature = "validate")]
pub mod lower;
pub mod raw_host;
mod runtime;
#[cfg(feature = "validate")]
pub mod validate;
pub mod wasi;

#[cfg(feature = "wasm3-wasi")]
pub use audited::TrustedGuest;
#[cfg(not(feature = "validate"))]
pub use ffi::TrustedModule;
pub use ffi::Wasm3Memory;
pub use glue::{HostFunc, Trap};
/// What [`host_fn!`] expands to. Not public API.
#[doc(hidden)]
pub use guestmem::GuestFrame as __GuestFrame;
/// What [`host_fn!`] expands to: the slot ABI's macros. Not public API.
#[doc(hidden)]
pub use guestmem_wasi as __wasi;
#[cfg(feature = "validate")]
pub use lower::{lower, LowerError};
pub use runtime::{CallError, CompileError, Config, LinkError, LoadError, Message, Runtime};
#[cfg(feature = "validate")]
pub use validate::validate;
