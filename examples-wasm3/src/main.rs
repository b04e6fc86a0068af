//! `guestmem-wasm3`: runs a WASI (or raw) WebAssembly program on wasm3 or wasmi, with
//! guestmem's WASI: every pointer and length the guest passes is checked. The command line is
//! in [`cli`] (shared with the comparison binary `guestmem-wasm3-c-wasi`); this program makes
//! no promise about the guest and needs no unsafe code.

#![forbid(unsafe_code)]

mod cli;

/// This program: guestmem's WASI only.
const PROGRAM: cli::Program = cli::Program {
    name: "guestmem-wasm3",
    c_wasi: false,
};

fn main() -> std::process::ExitCode {
    cli::main()
}
