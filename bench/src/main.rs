//! `guestmem-bench`: runs the benchmarks of issue 9 and prints one tab-separated line per
//! measurement, for `cargo xtask bench` to gather into its report.
//!
//! ```text
//! guestmem-bench [--quick] [FILTER]    wall time, every repetition (each the best of a few
//!                                      batches):
//!                                      budget <repetitions> <best of> <least ns per batch>
//!                                      wall <workload> <size> <impl> <ns/op>,<ns/op>,...
//! guestmem-bench --callgrind [FILTER]  two measured calls per kernel (reps, then 2 * reps
//!                                      host calls), for callgrind; dumps <a> and <b>:
//!                                      cg <a> <b> <workload> <size> <impl> <ops in reps calls>
//! guestmem-bench --check               every implementation agrees, and every check refuses
//!                                      a hostile argument, at every size
//! guestmem-bench --list                the cases
//! ```
//!
//! FILTER keeps the cases whose label (`workload size`) contains it.

// Counting measured calls; the workspace lints guard the library crates.
#![allow(clippy::arithmetic_side_effects, clippy::as_conversions)]

use std::process::ExitCode;

use guestmem_bench::harness::{self, Budget};
use guestmem_bench::{cases, verify, Bufs, Case, MAX_SIZE};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let filter = args.iter().find(|a| !a.starts_with("--")).cloned();
    let selected: Vec<Case> = cases()
        .into_iter()
        .filter(|c| {
            filter
                .as_ref()
                .is_none_or(|f| c.label().contains(f.as_str()))
        })
        .collect();
    if flag("--list") {
        for c in &selected {
            let impls: Vec<&str> = c.impls.iter().map(|i| i.0).collect();
            println!("{}\t{}", c.label(), impls.join(" "));
        }
        return ExitCode::SUCCESS;
    }
    if flag("--check") {
        return match verify(MAX_SIZE) {
            Ok(runs) => {
                println!("check\tok\t{runs} runs agree, every check refuses hostile arguments");
                ExitCode::SUCCESS
            }
            Err(m) => {
                eprintln!("mismatch: {m:?}");
                ExitCode::FAILURE
            }
        };
    }
    let mut bufs = Bufs::new();
    if flag("--callgrind") {
        let mut n = 0;
        for c in &selected {
            let reps = harness::callgrind_reps(c);
            for &(name, k) in &c.impls {
                harness::cg_warm(k, &mut bufs, c.size, reps);
                harness::cg_measure(k, &mut bufs, c.size, reps);
                harness::cg_measure(k, &mut bufs, c.size, 2 * reps);
                n += 2;
                let ops = u64::from(reps) * c.ops_per_rep as u64;
                println!(
                    "cg\t{}\t{n}\t{}\t{}\t{name}\t{ops}",
                    n - 1,
                    c.workload,
                    c.size
                );
            }
        }
        return ExitCode::SUCCESS;
    }
    let budget = if flag("--quick") {
        Budget::QUICK
    } else {
        Budget::FULL
    };
    println!(
        "budget\t{}\t{}\t{}",
        budget.rounds, budget.best_of, budget.batch_ns
    );
    for c in &selected {
        let samples = harness::wall(c, &mut bufs, budget);
        for (&(name, _), s) in c.impls.iter().zip(samples) {
            let s: Vec<String> = s.iter().map(|t| format!("{t:.3}")).collect();
            println!("wall\t{}\t{}\t{name}\t{}", c.workload, c.size, s.join(","));
        }
    }
    ExitCode::SUCCESS
}
