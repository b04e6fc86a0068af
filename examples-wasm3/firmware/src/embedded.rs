//! The guest modules embedded in the image (built from `guests/*.c`, see `cargo xtask firmware
//! --guests`), and the one promise the firmware makes about them to guestmem-wasm3.
//!
//! The firmware has no allocator, so the binding cannot validate a module here (wasmparser
//! needs `alloc`); wasm3 0.4.7 has undefined behaviour on some modules validation rejects.
//! `cargo xtask firmware` validates every embedded module with guestmem-wasm3's `validate`
//! (`guestmem-wasm3 check guests/*.wasm`) before it builds the image, and these bytes are
//! those files, included at compile time.

use guestmem_wasm3::TrustedModule;

// The modules as named statics, so that the image's symbol table shows their flash.
static HELLO_WASM: [u8; include_bytes!("../guests/hello.wasm").len()] =
    *include_bytes!("../guests/hello.wasm");
static RAW_WASM: [u8; include_bytes!("../guests/raw.wasm").len()] =
    *include_bytes!("../guests/raw.wasm");
static HOSTILE_WASM: [u8; include_bytes!("../guests/hostile.wasm").len()] =
    *include_bytes!("../guests/hostile.wasm");
#[cfg(feature = "bench")]
static BENCH_WASM: [u8; include_bytes!("../guests/bench.wasm").len()] =
    *include_bytes!("../guests/bench.wasm");

// SAFETY (for the four below): `TrustedModule::new`'s precondition 1 is that the bytes pass
// guestmem-wasm3's `validate`; `cargo xtask firmware` checks `guests/hello.wasm`,
// `guests/raw.wasm`, `guests/hostile.wasm` and `guests/bench.wasm` with it before building
// the images that include them.

/// `guests/hello.c`: a WASI command.
// SAFETY: validated before the build, as argued above.
pub(crate) const HELLO: TrustedModule<'static> = unsafe { TrustedModule::new(&HELLO_WASM) };
/// `guests/raw.c`: a guest of the `env` host functions.
// SAFETY: validated before the build, as argued above.
pub(crate) const RAW: TrustedModule<'static> = unsafe { TrustedModule::new(&RAW_WASM) };
/// `guests/hostile.c`: bad pointers and lengths for every host function.
// SAFETY: validated before the build, as argued above.
pub(crate) const HOSTILE: TrustedModule<'static> = unsafe { TrustedModule::new(&HOSTILE_WASM) };
/// `guests/bench.c`: the measurement image's bench guest.
#[cfg(feature = "bench")]
// SAFETY: validated before the build, as argued above.
pub(crate) const BENCH: TrustedModule<'static> = unsafe { TrustedModule::new(&BENCH_WASM) };
