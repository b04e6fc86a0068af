//! `cargo xtask bench [--quick]`: guestmem against its limits and peers (issue 5), then the
//! wasm3 WASI benchmark. Owned by the benchmark crate (bench/).

use crate::util::StepResult;

/// `cargo xtask bench`.
pub fn run(args: &[String]) -> StepResult {
    crate::wasm3::bench(args)
}
