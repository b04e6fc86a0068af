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

mod ffi;
pub mod glue;
pub mod raw_host;
mod runtime;
#[cfg(feature = "validate")]
pub mod validate;
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
