//! `guestmem-wasm3-c-wasi`: `guestmem-wasm3 run` on wasm3 with wasm3 0.4.7's own C WASI, the
//! implementation guestmem replaces, kept as the baseline to compare with (`cargo xtask
//! wasi-bench`, and the demo).
//!
//! wasm3's C WASI checks no pointer or length a guest passes it, so this program runs only
//! the repository's audited guests ([`guestmem_wasm3::TrustedGuest`]), and refuses any other
//! module before loading it. Choosing the unchecked WASI is choosing another program, never
//! an option of the checked one.

#![forbid(unsafe_code)]

#[path = "../cli/mod.rs"]
mod cli;

/// This program: wasm3's C WASI first, guestmem's for what it lacks.
const PROGRAM: cli::Program = cli::Program {
    name: "guestmem-wasm3-c-wasi",
    c_wasi: true,
};

fn main() -> std::process::ExitCode {
    cli::main()
}
