//! The wasm3 example's commands: `guests`, the demo, and the WASI benchmark.
//! Owned by the wasm3 example (examples-wasm3/); until it exists the demo runs the core's
//! example program.

use crate::util::{cargo, step, StepResult};

/// `cargo xtask demo`.
pub fn demo() -> StepResult {
    step(
        "demo: the core's host-function example",
        &mut cargo(
            None,
            &[
                "run",
                "--quiet",
                "-p",
                "guestmem",
                "--example",
                "host_functions",
            ],
        ),
    )
}

/// `cargo xtask guests`: rebuilds the guest modules from their sources.
pub fn guests(_args: &[String]) -> StepResult {
    Err("guests: the wasm3 example does not exist yet".into())
}

/// `cargo xtask bench`: the wasm3 WASI benchmark.
pub fn bench(_args: &[String]) -> StepResult {
    Err("bench: the wasm3 example does not exist yet".into())
}
