//! The two measures: wall time (interleaved timed batches, every sample kept) and, under
//! callgrind, the instructions of measured calls of each kernel.

use core::hint::black_box;
use std::time::Instant;

use crate::{Bufs, Case, Kernel};

/// How long to measure.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// The least time of one timed batch, in nanoseconds.
    pub batch_ns: u64,
    /// Repetitions per implementation; the report gives their median, min and max.
    pub rounds: usize,
    /// Timed batches per repetition, of which the fastest is the repetition's sample: a burst
    /// of load from elsewhere on the machine only slows a batch down.
    pub best_of: usize,
}

impl Budget {
    /// `--quick`: 7 repetitions, each the best of 3 batches of at least 0.3 ms.
    pub const QUICK: Budget = Budget {
        batch_ns: 300_000,
        rounds: 7,
        best_of: 3,
    };
    /// The default: 21 repetitions, each the best of 3 batches of at least 1 ms.
    pub const FULL: Budget = Budget {
        batch_ns: 1_000_000,
        rounds: 21,
        best_of: 3,
    };
}

fn time_batch(k: Kernel, b: &mut Bufs, size: usize, reps: u32) -> u64 {
    let start = Instant::now();
    black_box(k(black_box(b), size, reps));
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The repetitions that make one batch last at least `batch_ns`.
fn calibrate(k: Kernel, b: &mut Bufs, size: usize, batch_ns: u64) -> u32 {
    let mut reps = 1u32;
    loop {
        let t = time_batch(k, b, size, reps);
        if t >= batch_ns || reps >= 1 << 24 {
            return reps;
        }
        let scale = batch_ns.checked_div(t).map_or(16, |s| (s + 1).clamp(2, 16));
        reps = reps.saturating_mul(u32::try_from(scale).unwrap_or(16));
    }
}

/// The wall time of one operation of each implementation of `case`, in nanoseconds, one
/// sample per round (the best of `best_of` batches), in the order of `case.impls`. The implementations are timed in turn,
/// round after round, starting one further each round, so that a burst of load on the machine
/// hits them alike and sample `i` of every implementation comes from the same moment.
pub fn wall(case: &Case, b: &mut Bufs, budget: Budget) -> Vec<Vec<f64>> {
    let reps: Vec<u32> = case
        .impls
        .iter()
        .map(|&(_, k)| calibrate(k, b, case.size, budget.batch_ns))
        .collect();
    let count = case.impls.len();
    let mut samples = vec![Vec::with_capacity(budget.rounds); count];
    for round in 0..budget.rounds {
        for j in 0..count {
            let i = (j + round) % count;
            let t = (0..budget.best_of.max(1))
                .map(|_| time_batch(case.impls[i].1, b, case.size, reps[i]))
                .min()
                .unwrap_or(u64::MAX);
            let ops = f64::from(reps[i]) * case.ops_per_rep as f64;
            samples[i].push(t as f64 / ops);
        }
    }
    samples
}

/// The host calls of the smaller of the two measured calls under callgrind: enough that a
/// call costs far more than the kernel's entry, few enough that valgrind stays quick. The
/// instructions per operation are the difference between a call of `2 * reps` and one of
/// `reps`, so the kernel's fixed cost (entry, buffer split, exit) cancels exactly.
pub fn callgrind_reps(case: &Case) -> u32 {
    let work = case.bytes_per_op.max(case.ops_per_rep * 8).max(64);
    u32::try_from((32_768 / work).clamp(1, 32)).unwrap_or(1)
}

/// Runs a kernel outside the measured function, so that its first-call costs (page faults,
/// allocator growth, lazy binding) are paid before [`cg_measure`].
#[inline(never)]
pub fn cg_warm(k: Kernel, b: &mut Bufs, size: usize, reps: u32) -> u64 {
    let first = k(b, size, 1);
    black_box(first ^ k(b, size, 2 * reps))
}

/// The function whose instructions callgrind counts: run it under
/// `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*cg_measure*'
/// --dump-after='*cg_measure*'`, and each call leaves one dump with exactly one kernel's cost.
#[inline(never)]
pub fn cg_measure(k: Kernel, b: &mut Bufs, size: usize, reps: u32) -> u64 {
    black_box(k(b, size, reps))
}
