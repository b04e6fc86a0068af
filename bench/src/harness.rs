//! The two measures: wall time (median of interleaved timed batches) and, under callgrind,
//! the instructions of one call of each kernel.

use core::hint::black_box;
use std::time::Instant;

use crate::{Bufs, Case, Kernel};

/// How long to measure.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// The least time of one timed batch, in nanoseconds.
    pub batch_ns: u64,
    /// Timed batches per implementation; the median is reported.
    pub rounds: usize,
}

impl Budget {
    /// `--quick`: a few seconds for every case.
    pub const QUICK: Budget = Budget {
        batch_ns: 200_000,
        rounds: 15,
    };
    /// The default: about half a minute for every case.
    pub const FULL: Budget = Budget {
        batch_ns: 1_000_000,
        rounds: 41,
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
        reps = reps.saturating_mul(scale as u32);
    }
}

/// The median wall time of one operation of each implementation of `case`, in nanoseconds, in
/// the order of `case.impls`. The implementations are timed in turn, round after round, so that
/// a burst of load on the machine hits them alike.
pub fn wall(case: &Case, b: &mut Bufs, budget: Budget) -> Vec<f64> {
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
            let t = time_batch(case.impls[i].1, b, case.size, reps[i]);
            let ops = f64::from(reps[i]) * case.ops_per_rep as f64;
            samples[i].push(t as f64 / ops);
        }
    }
    samples.into_iter().map(median).collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Repetitions of one measured call under callgrind: enough that the kernel's own setup is
/// noise, few enough that valgrind stays quick.
pub fn callgrind_reps(case: &Case) -> u32 {
    if case.ops_per_rep > 1 {
        return 4;
    }
    let bytes = case.bytes_per_op.max(case.size * 8);
    (65_536 / bytes.max(1)).clamp(1, 64) as u32
}

/// Runs a kernel outside the measured function, so that its first-call costs (page faults,
/// allocator growth) are paid before [`cg_measure`].
#[inline(never)]
pub fn cg_warm(k: Kernel, b: &mut Bufs, size: usize, reps: u32) -> u64 {
    let first = k(b, size, 1);
    black_box(first ^ k(b, size, reps))
}

/// The function whose instructions callgrind counts: run it under
/// `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*cg_measure*'
/// --dump-after='*cg_measure*'`, and each call leaves one dump with exactly one kernel's cost.
#[inline(never)]
pub fn cg_measure(k: Kernel, b: &mut Bufs, size: usize, reps: u32) -> u64 {
    black_box(k(b, size, reps))
}
