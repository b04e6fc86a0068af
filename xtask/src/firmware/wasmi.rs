//! The wasmi firmware (examples-wasmi/firmware/): the wasm3 firmware's guests on wasmi on
//! mps2-an386, built, run under QEMU and measured beside the wasm3 image of the same board.
//! Owned by the wasmi example.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::util::{cargo, describe, root, step};

use super::bench::{float, Bench};
use super::sizes::Sizes;
use super::{missing_in_order, run_with_timeout, Board, Run, GUESTS, QEMU_TIMEOUT};

/// The wasmi firmware crate, relative to the workspace root.
const DIR: &str = "examples-wasmi/firmware";

/// `cargo <command> --release` of the wasmi firmware for `board`, in its directory.
fn firmware_cargo(board: &Board, command: &str, features: &str) -> Command {
    let target_dir = root().join(DIR).join("target");
    let mut c = cargo(
        None,
        &[
            command,
            "--release",
            "--target",
            board.target,
            "--features",
            features,
            "--target-dir",
            &target_dir.to_string_lossy(),
        ],
    );
    c.current_dir(root().join(DIR));
    c
}

/// What the wasmi firmware measured: the shipped image's sizes, its guest runs, and the
/// measurement image's counts (when it ran).
pub(super) struct Measured {
    pub(super) sizes: Sizes,
    pub(super) runs: Vec<Run>,
    pub(super) bench: Option<WasmiBench>,
}

/// Builds, runs and measures the wasmi image of `board`, then its measurement image; `None`
/// when the shipped image cannot be built.
pub(super) fn run(board: &Board, failures: &mut Vec<String>) -> Option<Measured> {
    let mut fmt = cargo(None, &["fmt", "--check"]);
    fmt.current_dir(root().join(DIR));
    let built = step("firmware (wasmi): format", &mut fmt)
        .and_then(|()| {
            let mut clippy = firmware_cargo(board, "clippy", board.name);
            clippy.args(["--", "-D", "warnings"]);
            step("firmware (wasmi): clippy", &mut clippy)
        })
        .and_then(|()| {
            step(
                &format!("firmware (wasmi): build {} ({})", board.name, board.target),
                &mut firmware_cargo(board, "build", board.name),
            )
        });
    if let Err(e) = built {
        failures.push(format!("wasmi firmware: {e}"));
        return None;
    }
    panic_free(board);
    let elf: PathBuf = root()
        .join(DIR)
        .join("target")
        .join(board.target)
        .join("release/guestmem-wasmi-firmware");
    let sizes = match Sizes::of_other(&elf) {
        Ok(s) => s,
        Err(e) => {
            failures.push(format!("wasmi firmware: {e}"));
            return None;
        }
    };
    let runs = GUESTS
        .iter()
        .map(|g| run_guest(board, &elf, g.name, failures))
        .collect();
    // Last: cargo links the measurement image to the same path as the shipped one.
    let bench = build_bench(board, &elf)
        .map_err(|e| failures.push(format!("wasmi firmware: {e}")))
        .ok()
        .and_then(|bench_elf| run_bench(board, &bench_elf, failures));
    Some(Measured { sizes, runs, bench })
}

/// Builds the measurement image (`--features bench`) and copies it beside the shipped one;
/// returns the copy.
fn build_bench(board: &Board, elf: &Path) -> Result<PathBuf, String> {
    let features = format!("{},bench", board.name);
    step(
        &format!(
            "firmware (wasmi): build {} ({}) measurement image",
            board.name, board.target
        ),
        &mut firmware_cargo(board, "build", &features),
    )?;
    let copy = elf.with_file_name("guestmem-wasmi-firmware-bench");
    std::fs::copy(elf, &copy)
        .map_err(|e| format!("copy {} to {}: {e}", elf.display(), copy.display()))?;
    Ok(copy)
}

/// The wasmi measurement image's counts: `(function, variant, instructions)` of `calls` calls
/// each (`src/bench.rs` of the wasmi firmware).
pub(super) struct WasmiBench {
    calls: u64,
    counts: Vec<(String, String, u64)>,
}

impl WasmiBench {
    /// Instructions per call of `function`'s `variant` loop (nothing subtracted), or per
    /// iteration of the workload.
    fn per_call(&self, function: &str, variant: &str) -> Option<f64> {
        self.counts
            .iter()
            .find(|c| c.0 == function && c.1 == variant)
            .map(|c| float(c.2) / float(self.calls))
    }
}

/// Runs the measurement image's `bench` guest under `-icount shift=0` (as the wasm3 bench) and
/// reads its `bench:` lines; it must exit 0 with every measurement checked.
fn run_bench(board: &Board, elf: &Path, failures: &mut Vec<String>) -> Option<WasmiBench> {
    let mut c = Command::new("qemu-system-arm");
    c.args(["-machine", board.name, "-cpu", board.cpu, "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native"])
        .args(["-icount", "shift=0"])
        .arg("-kernel")
        .arg(elf)
        .args(["-append", "bench"]);
    println!(
        "\n==> firmware (wasmi): bench (instructions per host call) on {}\n    $ {}",
        board.name,
        describe(&c)
    );
    let mut fail = |what: String| failures.push(format!("wasmi: bench on {}: {what}", board.name));
    let (status, stdout, stderr) = match run_with_timeout(&mut c, QEMU_TIMEOUT) {
        Ok(r) => r,
        Err(e) => {
            fail(e);
            return None;
        }
    };
    for line in stdout.lines().chain(stderr.lines()) {
        println!("    | {line}");
    }
    if status != Some(0) {
        fail(format!("exit status {status:?}, expected 0"));
    }
    if let Some(missing) = missing_in_order(&stdout, &["fw: bench: 0 measurements failed\n"]) {
        fail(format!("output lacks {missing:?}"));
    }
    if let Some(e) = stack_overrun(&stdout) {
        fail(e);
    }
    let mut counts = Vec::new();
    let mut calls = None;
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("bench: ") else {
            continue;
        };
        let number = |s: &str| -> Option<u64> { s.split_whitespace().next()?.parse().ok() };
        match rest.split(" | ").collect::<Vec<_>>().as_slice() {
            [function, variant, n, instructions] => {
                let (Some(n), Some(instructions)) = (number(n), number(instructions)) else {
                    fail(format!("cannot read {line:?}"));
                    return None;
                };
                if calls.is_some_and(|c| c != n) || n == 0 {
                    fail("the measurements differ in their number of calls".into());
                    return None;
                }
                calls = Some(n);
                counts.push((function.to_string(), variant.to_string(), instructions));
            }
            _ => {
                fail(format!("cannot read {line:?}"));
                return None;
            }
        }
    }
    let bench = WasmiBench {
        calls: calls?,
        counts,
    };
    for (f, v) in [
        ("fd_write", "empty"),
        ("fd_write", "guestmem"),
        ("fill16", "empty"),
        ("fill16", "guestmem"),
        ("workload", "fill16_expected"),
    ] {
        if bench.per_call(f, v).is_none() {
            fail(format!("no measurement of {f} | {v}"));
            return None;
        }
    }
    Some(bench)
}

/// Tries the panic-free release link (the wasm3 firmware's link-time check) and says whether
/// it links: wasmi keeps panics reachable (e.g. on instantiation paths validation excludes).
fn panic_free(board: &Board) {
    let features = format!("{},panic-free", board.name);
    let mut c = firmware_cargo(board, "build", &features);
    let out = c.output();
    let verdict = match out {
        Ok(o) if o.status.success() => "links: no panic reachable".to_string(),
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stderr);
            let refs = text.matches("__firmware_panic_is_reachable").count();
            format!(
                "does not link: a panic is reachable ({refs} mention(s) of the undefined handler)"
            )
        }
        Err(e) => format!("not tried: {e}"),
    };
    println!(
        "\n==> firmware (wasmi): panic-free release link ({}): {verdict}",
        describe(&c)
    );
}

/// Runs the guest `name` of the wasmi image in QEMU; judges it as on wasm3.
fn run_guest(board: &Board, elf: &Path, name: &'static str, failures: &mut Vec<String>) -> Run {
    let mut c = Command::new("qemu-system-arm");
    c.args(["-machine", board.name, "-cpu", board.cpu, "-nographic"])
        .args(["-semihosting-config", "enable=on,target=native"])
        .arg("-kernel")
        .arg(elf)
        .args(["-append", name]);
    println!(
        "\n==> firmware (wasmi): {name} on {}\n    $ {}",
        board.name,
        describe(&c)
    );
    let start = Instant::now();
    let result = run_with_timeout(&mut c, QEMU_TIMEOUT);
    let secs = start.elapsed().as_secs_f64();
    let mut problems = Vec::new();
    let (mut stack, mut heap) = (None, None);
    match result {
        Err(e) => problems.push(e),
        Ok((status, stdout, stderr)) => {
            for line in stdout.lines().chain(stderr.lines()) {
                println!("    | {line}");
            }
            let number_after = |key: &str| -> Option<u64> {
                let at = stdout.rfind(key)?.saturating_add(key.len());
                stdout.get(at..)?.split_whitespace().next()?.parse().ok()
            };
            stack = number_after("fw: stack high-water ");
            heap = number_after("heap peak ");
            // Judged as on wasm3: the same status, the same lines (the hostile guest's "past
            // the end of memory" is past the memory each engine maps, which the host tells it).
            let g = GUESTS.iter().find(|g| g.name == name);
            if status != g.map(|g| g.status) {
                problems.push(format!("exit status {status:?}"));
            }
            if let Some(missing) = g.and_then(|g| missing_in_order(&stdout, g.expect)) {
                problems.push(format!("output lacks {missing:?}"));
            }
            problems.extend(stack_overrun(&stdout));
            for bad in ["check failed", "WRONG", "ACCEPTED", "panic"] {
                if stdout.contains(bad) || stderr.contains(bad) {
                    problems.push(format!("output contains {bad:?}"));
                }
            }
        }
    }
    let ok = problems.is_empty();
    for p in problems {
        failures.push(format!("wasmi: {name} on {}: {p}", board.name));
    }
    Run {
        guest: name,
        ok,
        stack,
        heap,
        secs,
    }
}

/// Why the stack report of a run is bad: missing, or the stack reached the end of the painted
/// region (`fw: stack high-water N B (of M B painted)`), which a bounded stack never does: with
/// wasmi's tail-call dispatch on thumbv7em, the stack grew with every host call of a guest loop
/// (see the firmware's Cargo.toml).
fn stack_overrun(stdout: &str) -> Option<String> {
    let number_after = |key: &str| -> Option<u64> {
        let at = stdout.rfind(key)?.saturating_add(key.len());
        stdout.get(at..)?.split_whitespace().next()?.parse().ok()
    };
    match (
        number_after("fw: stack high-water "),
        number_after("B (of "),
    ) {
        (Some(used), Some(painted)) if used < painted => None,
        (Some(used), Some(painted)) => Some(format!(
            "the stack reached the end of the painted region ({used} of {painted} B)"
        )),
        _ => Some("no stack report".to_string()),
    }
}

/// The side-by-side table of one board: wasm3's image and wasmi's, the same guests; with the
/// measurement images' counts when both ran.
pub(super) fn print_side_by_side(
    board: &Board,
    wasm3: (&Sizes, &[Run], Option<&Bench>),
    wasmi: &Measured,
) {
    let wasmi = (&wasmi.sizes, wasmi.runs.as_slice(), wasmi.bench.as_ref());
    let max = |runs: &[Run], f: fn(&Run) -> Option<u64>| runs.iter().filter_map(f).max();
    let cell = |v: Option<u64>| v.map_or_else(|| "-".to_string(), |b| format!("{b} B"));
    println!(
        "\n{} ({}): wasm3 and wasmi side by side (release images, the same host functions)",
        board.name, board.target
    );
    println!("| measure | wasm3 0.4.7 (C) | wasmi 2.0 (Rust) |");
    println!("|---|---:|---:|");
    println!(
        "| flash (vector table, code, constants, initial data) | {} | {} |",
        cell(Some(wasm3.0.flash())),
        cell(Some(wasmi.0.flash()))
    );
    println!(
        "| static RAM (.data + .bss; wasm3's fixed heap, wasmi's heap inside) | {} | {} |",
        cell(Some(wasm3.0.static_ram())),
        cell(Some(wasmi.0.static_ram()))
    );
    println!(
        "| heap used at most (any guest) | {} | {} |",
        cell(max(wasm3.1, |r| r.heap)),
        cell(max(wasmi.1, |r| r.heap))
    );
    println!(
        "| stack high-water (deepest guest) | {} | {} |",
        cell(max(wasm3.1, |r| r.stack)),
        cell(max(wasmi.1, |r| r.stack))
    );
    for r in wasmi.1 {
        let w3 = wasm3.1.iter().find(|w| w.guest == r.guest);
        println!(
            "| {} under QEMU (wall) | {} | {:.2} s{} |",
            r.guest,
            w3.map_or_else(
                || "-".to_string(),
                |w| format!("{:.2} s{}", w.secs, if w.ok { "" } else { " FAILED" })
            ),
            r.secs,
            if r.ok { "" } else { " FAILED" }
        );
    }
    print_bench_rows(wasm3.2, wasmi.2);
}

/// The rows of the measurement images (QEMU `-icount shift=0`): instructions per guestmem host
/// call beyond an empty host function of the same glue (wasm3: `host_fn!`; wasmi: a `HostFn`
/// through guestmem-wasmi), per call of that empty host function from the guest's loop, and
/// per iteration of one CPU loop without host calls.
fn print_bench_rows(wasm3: Option<&Bench>, wasmi: Option<&WasmiBench>) {
    let (Some(w3), Some(wi)) = (wasm3, wasmi) else {
        println!("| (instructions per host call: a measurement image did not run) | - | - |");
        return;
    };
    let cell = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |x| format!("{x:.1}"));
    let beyond = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a - b);
    for (function, label) in [
        ("fd_write", "fd_write, 4 iovecs (33 B) to a sink"),
        ("fill16", "fill16, 16-byte out-parameter"),
    ] {
        println!(
            "| {label}: instructions per guestmem host call, beyond an empty one | {} | {} |",
            cell(beyond(
                w3.per_call(function, "guestmem"),
                w3.per_call(function, "empty host_fn!")
            )),
            cell(beyond(
                wi.per_call(function, "guestmem"),
                wi.per_call(function, "empty")
            )),
        );
    }
    for (function, label) in [("fd_write", "fd_write's"), ("fill16", "fill16's")] {
        println!(
            "| empty host function of {label} signature: instructions per call from the guest loop (engine, glue, loop) | {} | {} |",
            cell(w3.per_call(function, "empty host_fn!")),
            cell(wi.per_call(function, "empty")),
        );
    }
    println!(
        "| workload: the bench guest's fill16_expected loop (no host call), instructions per iteration | {} | {} |",
        cell(w3.per_call("workload", "fill16_expected")),
        cell(wi.per_call("workload", "fill16_expected")),
    );
}
