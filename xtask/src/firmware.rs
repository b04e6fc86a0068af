//! `cargo xtask firmware`: builds the Cortex-M firmware for both QEMU boards, runs each
//! embedded guest, checks its output and exit status, and prints the flash and RAM budgets.
//! Owned by the firmware example (examples-wasm3/firmware/).

use crate::util::StepResult;

/// `cargo xtask firmware`.
pub fn run(_args: &[String]) -> StepResult {
    Err("firmware: not built yet".into())
}
