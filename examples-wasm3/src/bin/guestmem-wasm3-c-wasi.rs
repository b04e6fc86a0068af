//! `guestmem-wasm3-c-wasi`: `guestmem-wasm3 run` on wasm3 with wasm3 0.4.7's own C WASI, the
//! implementation guestmem replaces, kept as the baseline to compare with (`cargo xtask
//! wasi-bench`, and the demo, which shows it crashing on the hostile guest).
//!
//! wasm3's C WASI checks no pointer or length a guest passes it, so linking it takes the
//! embedder's promise that the guest is trusted ([`guestmem_wasm3::TrustedGuest`]). This
//! program makes that promise for every guest it runs, on its user's word: its name and its
//! `--help` say it trusts the guest. That is the one place the promise is made, outside the
//! product CLI (which forbids unsafe code): choosing the unchecked WASI is choosing another
//! program, never an option of the checked one.

#[path = "../cli/mod.rs"]
mod cli;

/// This program: wasm3's C WASI first, guestmem's for what it lacks.
#[allow(unsafe_code)] // the comparison binary's one promise, argued below
const PROGRAM: cli::Program = cli::Program {
    name: "guestmem-wasm3-c-wasi",
    // SAFETY: `TrustedGuest::new`'s one condition, that every guest run with wasm3's C WASI
    // passes it only pointers and lengths inside its memory, is not argued here: it is the
    // user's, who runs this program (its name, module docs and `--help` say it trusts the
    // guest) only on guests they trust. It exists to measure and show what guestmem replaces.
    c_wasi: Some(unsafe { guestmem_wasm3::TrustedGuest::new() }),
};

fn main() -> std::process::ExitCode {
    cli::main()
}
