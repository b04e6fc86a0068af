//! The project's commands, each a list of named steps a person can also run by hand.
//!
//! ```text
//! cargo xtask demo            the demo (the wasm3 example running real guests)
//! cargo xtask test            every proof obligation: what CI runs
//! cargo xtask miri            only the Miri runs
//! cargo xtask no-panic        only the no-panic link of the core, with its .text size
//! cargo xtask cross           only the bare-metal builds: the core (every feature set), alloc, WASI
//! cargo xtask package         only the publishing checks: MSRV, docs.rs build, package
//!                             contents and README links, cargo publish --dry-run
//! cargo xtask package-check   only the package contents and README links
//! cargo xtask guests          rebuild the example guests from their sources
//! cargo xtask firmware        build, run and measure the Cortex-M firmware under QEMU
//! cargo xtask bench [--quick] guestmem against memcpy, the hand-written check and wiggle
//! cargo xtask wasi-bench [N]  our WASI against wasm3's C WASI on an fd_write-heavy guest
//! cargo xtask fuzz [SECONDS] [TARGET]  each finished fuzz target for SECONDS (default 60)
//! cargo xtask wasi-testsuite [--check|--bless] [DIR...]
//!                             the WASI test suite's preview1 programs on the wasm3 CLI;
//!                             --check: the tests in xtask/wasi-testsuite.expected must pass
//! ```

#![allow(unreachable_pub)] // a binary: `pub` marks what other modules call

mod bench;
mod checks;
mod firmware;
mod fuzz;
mod publish;
mod util;
mod wasi_testsuite;
mod wasm3;

use std::process::ExitCode;

use util::StepResult;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result: StepResult = match command {
        "demo" => wasm3::demo(),
        "test" => checks::all(),
        "miri" => checks::miri(),
        "no-panic" => checks::no_panic(),
        "cross" => checks::cross(),
        "package" => publish::all(),
        "package-check" => publish::package_check(),
        "guests" => wasm3::guests(rest),
        "firmware" => firmware::run(rest),
        "bench" => bench::run(rest),
        "wasi-bench" => wasm3::bench(rest),
        "fuzz" => fuzz::run(rest),
        "wasi-testsuite" => wasi_testsuite::run(rest),
        "help" | "--help" | "-h" => {
            println!("{}", USAGE);
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n{USAGE}")),
    };
    if command == "test" {
        // The closing line CI reads: every step is a command that passed or failed.
        let failed = usize::from(result.is_err());
        println!("\nsteps: {} passed, {failed} failed", util::passed());
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask {command}: {e}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str =
    "usage: cargo xtask <demo|test|miri|no-panic|cross|package|package-check|guests|firmware|bench [--quick]|wasi-bench [N]|fuzz [SECONDS] [TARGET]|wasi-testsuite [--check|--bless] [DIR...]>";
