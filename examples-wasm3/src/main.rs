//! The `guestmem-wasm3` command line (work in progress).
fn main() {}
