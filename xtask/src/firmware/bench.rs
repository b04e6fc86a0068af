//! The measurement image's bench (issue 9 item 3): runs the `bench` guest under QEMU's
//! instruction counter and prints instructions per host call for each host function written
//! three ways — C with wasm3's macros, guestmem as the example's host functions are written,
//! guestmem's fastest path — with the ratio to C.
//!
//! Method: `-icount shift=0` makes QEMU's virtual clock advance 1 ns per guest instruction,
//! and SysTick runs on it, so the firmware reads instructions as ticks × ns-per-tick (it checks
//! this first on a loop of a known instruction count). The guest calls each variant `N` times
//! from one loop (through a function table, so the loop is the same code for every variant);
//! the count of the same loop calling an empty C host function is subtracted, and the rest
//! divided by `N`: the instructions of one host call, as wasm3 sees it (glue included).

use std::path::Path;
use std::process::Command;

use super::{describe, missing_in_order, run_with_timeout, Board, QEMU_TIMEOUT};

/// The host functions the bench measures, as the firmware names them, and how the table
/// describes them.
const FUNCTIONS: [(&str, &str); 2] = [
    ("fd_write", "fd_write, 4 iovecs (33 B) to a sink"),
    ("fill16", "fill16, 16-byte out-parameter"),
];

/// The variants, as the firmware names them.
const EMPTY_C: &str = "empty C";
const C_MACROS: &str = "C macros";
const GUESTMEM: &str = "guestmem";
const FASTEST: &str = "guestmem fastest";
const EMPTY_HOST_FN: &str = "empty host_fn!";
/// `fill16` only: guestmem's body behind a lean glue written in the firmware (a what-if).
const LEAN: &str = "guestmem, lean glue";
const VARIANTS: [&str; 5] = [EMPTY_C, C_MACROS, GUESTMEM, FASTEST, EMPTY_HOST_FN];

/// The target of issue 9: guestmem's host functions within this factor of the C macros.
const TARGET: f64 = 1.1;

/// One board's measurements: per function, instructions per call of each variant beyond
/// the empty C host function.
pub(super) struct Bench {
    /// Calls per measurement.
    calls: u64,
    /// `(function label, [C macros, guestmem, fastest, empty host_fn!])`.
    rows: Vec<(&'static str, [f64; 4])>,
    /// `(function label, C macros, guestmem behind the lean glue)`, where measured.
    lean: Vec<(&'static str, f64, f64)>,
    /// The known-loop check: instructions run, instructions counted.
    counter: (u64, u64),
    /// Every count as read: `(function, variant, instructions)` of `calls` calls (or, for
    /// the workload, `calls` iterations).
    counts: Vec<(String, String, u64)>,
    secs: f64,
}

impl Bench {
    /// Instructions per call of `function`'s `variant` loop (the loop and the call, nothing
    /// subtracted), or per iteration of the workload (`"workload"`, `"fill16_expected"`).
    pub(super) fn per_call(&self, function: &str, variant: &str) -> Option<f64> {
        self.counts
            .iter()
            .find(|c| c.0 == function && c.1 == variant)
            .map(|c| float(c.2) / float(self.calls))
    }
}

/// Runs the bench image `elf` on `board` under `-icount shift=0` and reads its measurements;
/// what went wrong goes to `failures`.
pub(super) fn run(board: &Board, elf: &Path, failures: &mut Vec<String>) -> Option<Bench> {
    let mut c = Command::new("qemu-system-arm");
    c.args(["-machine", board.name, "-cpu", board.cpu, "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native"])
        .args(["-icount", "shift=0"])
        .arg("-kernel")
        .arg(elf)
        .args(["-append", "bench"]);
    println!(
        "\n==> firmware: bench (instructions per host call) on {}\n    $ {}",
        board.name,
        describe(&c)
    );
    let start = std::time::Instant::now();
    let result = run_with_timeout(&mut c, QEMU_TIMEOUT);
    let secs = start.elapsed().as_secs_f64();
    let mut fail = |what: String| failures.push(format!("bench on {}: {what}", board.name));
    let (status, stdout, stderr) = match result {
        Ok(r) => r,
        Err(e) => {
            fail(e);
            return None;
        }
    };
    for line in stdout.lines() {
        println!("    | {line}");
    }
    for line in stderr.lines() {
        println!("    ! {line}");
    }
    if status != Some(0) {
        fail(format!("exit status {status:?}, expected 0"));
    }
    if let Some(missing) = missing_in_order(&stdout, &["fw: bench: 0 measurements failed\n"]) {
        fail(format!("output lacks {missing:?}"));
    }
    let bench = parse(&stdout, secs);
    match &bench {
        Err(e) => fail(e.clone()),
        Ok(b) => {
            // The counter must count the known loop to within a tick or two (the reads of
            // SysTick themselves take a few dozen instructions).
            let (known, counted) = b.counter;
            let slack = 2 * 80 + 64;
            if counted.abs_diff(known) > slack {
                fail(format!(
                    "the instruction counter is off: a loop of {known} instructions counted as \
                     {counted} (is QEMU running with -icount shift=0?)"
                ));
            } else {
                println!(
                    "<== firmware: bench on {}: ok ({secs:.2} s; counter checked: {known} \
                     instructions counted as {counted})",
                    board.name
                );
            }
        }
    }
    bench.ok()
}

/// Reads the firmware's `bench:` lines.
fn parse(stdout: &str, secs: f64) -> Result<Bench, String> {
    let mut counter = None;
    let mut counts: Vec<(&str, &str, u64, u64)> = Vec::new();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("bench: ") else {
            continue;
        };
        let parts: Vec<&str> = rest.split(" | ").collect();
        match parts.as_slice() {
            ["counter", what] => {
                // "<known> instructions of a known loop counted as <counted> (...)"
                let words: Vec<&str> = what.split_whitespace().collect();
                let known = words.first().and_then(|w| w.parse().ok());
                let counted = words
                    .iter()
                    .position(|w| *w == "as")
                    .and_then(|i| words.get(i.saturating_add(1)))
                    .and_then(|w| w.parse().ok());
                counter = known.zip(counted);
            }
            [function, variant, calls, instructions] => {
                let number = |s: &str| s.split_whitespace().next().and_then(|n| n.parse().ok());
                let (Some(calls), Some(instructions)) = (number(calls), number(instructions))
                else {
                    return Err(format!("cannot read {line:?}"));
                };
                counts.push((function, variant, calls, instructions));
            }
            _ => return Err(format!("cannot read {line:?}")),
        }
    }
    let counter = counter.ok_or("no counter check in the output")?;
    let calls = counts.first().map(|c| c.2).ok_or("no measurements")?;
    if calls == 0 || counts.iter().any(|c| c.2 != calls) {
        return Err("the measurements differ in their number of calls".into());
    }
    let mut rows = Vec::new();
    let mut lean = Vec::new();
    for (function, label) in FUNCTIONS {
        let count = |variant: &str| {
            counts
                .iter()
                .find(|c| c.0 == function && c.1 == variant)
                .map(|c| c.3)
                .ok_or_else(|| format!("no measurement of {function} | {variant}"))
        };
        let base = count(EMPTY_C)?;
        let mut per_call = [0.0; 4];
        for (slot, variant) in per_call.iter_mut().zip(&VARIANTS[1..]) {
            let n = count(variant)?;
            // Counts are exact to a tick (40 or 80 instructions) per measurement.
            *slot = (float(n) - float(base)) / float(calls);
        }
        if let Ok(n) = count(LEAN) {
            lean.push((label, per_call[0], (float(n) - float(base)) / float(calls)));
        }
        rows.push((label, per_call));
    }
    let counts = counts
        .iter()
        .map(|c| (c.0.to_string(), c.1.to_string(), c.3))
        .collect();
    Ok(Bench {
        calls,
        rows,
        lean,
        counter,
        counts,
        secs,
    })
}

/// `n` as a float (the counts stay far below 2^53, where it would round).
pub(super) fn float(n: u64) -> f64 {
    u32::try_from(n).map_or(f64::MAX, f64::from)
}

/// Prints the table of one board.
pub(super) fn print_table(board: &Board, b: &Bench) {
    println!(
        "\n{} ({}): instructions per host call, QEMU -icount shift=0 (SysTick), mean of {} \
         calls from a guest loop, minus the same loop calling an empty C host function",
        board.name, board.target, b.calls
    );
    println!(
        "  {:<40} {:>9} {:>9} {:>7} {:>9} {:>7}   {:>14}",
        "host function", "C macros", "guestmem", "ratio", "fastest", "ratio", "empty host_fn!"
    );
    for (label, [c, gm, fast, glue]) in &b.rows {
        let ratio = |x: f64| if *c > 0.0 { x / c } else { f64::NAN };
        println!(
            "  {label:<40} {c:>9.1} {gm:>9.1} {:>6.2}× {fast:>9.1} {:>6.2}×   {glue:>14.1}",
            ratio(*gm),
            ratio(*fast)
        );
    }
    let verdict = |x: f64, c: f64| if x <= TARGET * c { "met" } else { "missed" };
    let verdicts: Vec<String> = b
        .rows
        .iter()
        .map(|(label, [c, gm, fast, _])| {
            let name = label.split(',').next().unwrap_or(label);
            format!(
                "{name}: guestmem {}, fastest {}",
                verdict(*gm, *c),
                verdict(*fast, *c)
            )
        })
        .collect();
    println!(
        "  target (issue 9): guestmem ≤ {TARGET}× the C macros — {}",
        verdicts.join("; ")
    );
    for (label, c, lean) in &b.lean {
        let name = label.split(',').next().unwrap_or(label);
        println!(
            "  what-if: {name} with guestmem's body behind a lean glue (the trampoline's work \
             without its null checks of the stack and the context, and without a context): \
             {lean:.1} ({:.2}×)",
            if *c > 0.0 { lean / c } else { f64::NAN }
        );
    }
    println!(
        "  (every variant checked: fd_write's bytes hashed by the sink against the guest's, \
         *nwritten and byte totals; fill16's out-parameter summed by the guest after every \
         call; {:.2} s)",
        b.secs
    );
}
