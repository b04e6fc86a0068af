//! Fuzz targets of guestmem.
//!
//! Each target is a module with a `run(data: &[u8])` that turns the fuzzer's bytes into a
//! structured input (with `arbitrary`) and panics on a finding. The binaries in
//! `fuzz_targets/` hand them to libFuzzer (`cargo fuzz`, feature `libfuzzer`, nightly); the
//! test `tests/replay.rs` runs every file of `corpus/<target>/` through them on stable, with
//! no fuzzing engine: that is what CI runs.
//!
//! | target | what it checks |
//! |---|---|
//! | [`core_model`] | the core and `guestmem-alloc` against a reference model of memory and views |
//! | [`wasi_calls`] | every WASI and raw host function of the wasm3 example, called directly over an arbitrary memory: nothing written or done when a call fails, exactly the documented errno, bytes and host calls otherwise |
//! | [`modules`] | the CLI's load → link → run path on `wasm-smith` modules and mutated guests: no signal, panic or hang |
#![deny(unsafe_code)]
// The harness reports a finding by panicking, and its model indexes and counts with values
// it has bounded itself: an out-of-range index there is a harness bug, reported as a panic
// like any finding.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

// The views' bytes are compared as host bytes with the guest's little-endian ones.
#[cfg(target_endian = "big")]
compile_error!(
    "guestmem-fuzz compares views as little-endian bytes: build it on a little-endian host"
);

pub mod core_model;
pub mod modules;
pub mod wasi_calls;

/// A target's entry point: runs one input, panics on a finding.
pub type Run = fn(&[u8]);

/// The finished targets, by name: what `cargo xtask fuzz` runs and the replay test replays.
pub const TARGETS: &[(&str, Run)] = &[
    ("core_model", core_model::run),
    ("wasi_calls", wasi_calls::run),
    ("modules", modules::run),
];
