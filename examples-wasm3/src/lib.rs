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

#[allow(unsafe_code)] // the FFI module: every unsafe operation of the crate
mod ffi;
#[allow(unsafe_code)] // TEMP: host_fn! expansion moves behind ffi
pub mod glue;
#[allow(unsafe_code)] // TEMP: host_fn! expands unsafe code
pub mod raw_host;
#[allow(unsafe_code)] // TEMP: runtime moves its unsafe into ffi
mod runtime;
#[cfg(feature = "validate")]
pub mod validate;
#[allow(unsafe_code)] // TEMP: host_fn! expands unsafe code
pub mod wasi;

pub use ffi::Wasm3Memory;
pub use glue::{HostFunc, Trap};
pub use runtime::{CallError, Config, LinkError, LoadError, Message, Runtime};
#[cfg(feature = "validate")]
pub use validate::validate;

/// What [`host_fn!`] expands to. Not public API.
#[doc(hidden)]
pub use ffi::dispatch as __dispatch;
/// What [`host_fn!`] expands to. Not public API.
#[doc(hidden)]
pub use wasm3_sys as __m3;
