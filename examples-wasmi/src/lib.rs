//! wasmi on guestmem: the WASI host functions of `guestmem-wasi` and the example host
//! functions of `guestmem-example-host`, unchanged, linked into the pure-Rust interpreter
//! [wasmi](https://docs.rs/wasmi) through one glue ([`link`]), with no unsafe code.
//!
//! A host function borrows the guest's memory and the host context together from the store
//! ([`wasmi::Memory::data_and_store_mut`]), builds a fresh
//! [`GuestFrame`](guestmem::GuestFrame) over the bytes for that call (growth since the last
//! call is seen), and calls the engine-neutral [`HostFn`](guestmem_wasi::abi::HostFn).
//! [`Runtime`] loads, links, instantiates and calls a module, reporting traps in wasm3's
//! words so that both engines' CLIs print the same thing.
//!
//! ```
//! use guestmem_wasi::{host_functions, TestHost, WasiCtx};
//! use guestmem_wasmi::Runtime;
//!
//! // A module that writes "hi" to stdout through fd_write, then exits with 3.
//! let wasm = wat::parse_str(r#"(module
//!   (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
//!   (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
//!   (memory (export "memory") 1)
//!   (data (i32.const 0) "\10\00\00\00\02\00\00\00")
//!   (data (i32.const 16) "hi")
//!   (func (export "_start")
//!     (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
//!     (call $exit (i32.const 3))))"#).unwrap();
//! let wasi = host_functions();
//! let mut rt = Runtime::new(&wasm, WasiCtx::new(TestHost::default()), &[&wasi]).unwrap();
//! rt.instantiate().unwrap();
//! assert_eq!(rt.call("_start", &[]), Err(guestmem_wasmi::CallError::Exit));
//! let mut ctx = rt.into_ctx();
//! assert_eq!(ctx.exit_code(), Some(3));
//! assert_eq!(ctx.host().stdout.as_slice(), b"hi");
//! ```
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

extern crate alloc;

mod glue;
mod runtime;
mod slots;

pub use glue::{func_type, link, Host, HostTrap};
pub use runtime::{CallError, LoadError, Runtime, StartError};
