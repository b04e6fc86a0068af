//! `cargo xtask bench [--quick]`: guestmem against its limits and peers (issue 5), then the
//! wasm3 WASI benchmark. Owned by the benchmark crate (bench/).
//!
//! Two measures of the same kernels (bench/src/kernels): the median wall time of interleaved
//! timed batches, and the instructions of one measured call of each kernel under callgrind
//! (deterministic on a loaded machine). One table, also written as JSON to
//! `<target>/bench/report.json`.

// Report arithmetic on floats and counts that the harness chose; nothing here guards memory.
#![allow(
    clippy::as_conversions,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use crate::util::{cargo, describe, root, step, StepResult};

/// The implementation columns, as the bench binary names them.
const IMPLS: [&str; 5] = ["limit", "hand", "guestmem", "guestmem-devirt", "wiggle"];

/// `cargo xtask bench`.
pub fn run(args: &[String]) -> StepResult {
    let quick = args.iter().any(|a| a == "--quick");
    let ours = guestmem_bench(quick);
    if let Err(e) = crate::wasm3::bench(args) {
        println!("\nwasm3 WASI benchmark not run: {e}");
    }
    ours
}

/// Measures of one case: per implementation, ns per operation and instructions per operation.
#[derive(Default)]
struct Row {
    ns: BTreeMap<String, f64>,
    ir: BTreeMap<String, f64>,
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(|| root().join("target"), |d| root().join(d))
}

fn output(name: &str, command: &mut Command) -> Result<String, String> {
    println!("\n==> {name}\n    $ {}", describe(command));
    let start = Instant::now();
    let out = command
        .output()
        .map_err(|e| format!("{name}: cannot start: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{name}: failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    println!("<== {name}: ok ({:.1} s)", start.elapsed().as_secs_f64());
    String::from_utf8(out.stdout).map_err(|e| format!("{name}: output not UTF-8: {e}"))
}

fn guestmem_bench(quick: bool) -> StepResult {
    step(
        "build the benchmarks (release, with wiggle)",
        &mut cargo(
            None,
            &[
                "build",
                "--release",
                "-p",
                "guestmem-bench",
                "--features",
                "wiggle",
            ],
        ),
    )?;
    let target = target_dir();
    let bin = target.join("release/guestmem-bench");
    let bin_str = bin.to_string_lossy().into_owned();
    step(
        "every implementation computes the same results",
        Command::new(&bin).arg("--check"),
    )?;

    let mut rows: BTreeMap<(usize, String, usize), Row> = BTreeMap::new();
    let mut order: BTreeMap<(String, usize), usize> = BTreeMap::new();
    let mut key = |workload: &str, size: usize| {
        let next = order.len();
        let n = *order.entry((workload.to_owned(), size)).or_insert(next);
        (n, workload.to_owned(), size)
    };

    let mut wall = Command::new(&bin);
    if quick {
        wall.arg("--quick");
    }
    let text = output("wall time (median of interleaved batches)", &mut wall)?;
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if let ["wall", workload, size, imp, ns] = f[..] {
            let (Ok(size), Ok(ns)) = (size.parse::<usize>(), ns.parse::<f64>()) else {
                continue;
            };
            rows.entry(key(workload, size))
                .or_default()
                .ns
                .insert(imp.to_owned(), ns);
        }
    }

    match callgrind(&bin_str, &target) {
        Ok(counts) => {
            for (workload, size, imp, ir) in counts {
                rows.entry(key(&workload, size))
                    .or_default()
                    .ir
                    .insert(imp, ir);
            }
        }
        Err(e) => println!("\ninstruction counts skipped: {e}"),
    }

    let machine = machine();
    let (table, json) = report(&rows, &machine, quick);
    println!("\n{table}");
    let dir = target.join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("report.json");
    std::fs::write(&path, json).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("report written to {}", path.display());
    Ok(())
}

/// Instructions per operation of every kernel: one callgrind run, one dump per measured call.
fn callgrind(
    bin: &str,
    target: &std::path::Path,
) -> Result<Vec<(String, usize, String, f64)>, String> {
    let dir = target.join("bench/callgrind");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let out_file = dir.join("cg.out");
    let measured = "guestmem_bench::harness::cg_measure";
    let mut cmd = Command::new("valgrind");
    cmd.args([
        "--tool=callgrind",
        "--collect-atstart=no",
        &format!("--toggle-collect={measured}"),
        &format!("--dump-after={measured}"),
        &format!("--callgrind-out-file={}", out_file.display()),
        bin,
        "--callgrind",
    ]);
    let text = output("instruction counts (valgrind --tool=callgrind)", &mut cmd)?;
    let mut counts = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if let ["cg", n, workload, size, imp, ops] = f[..] {
            let (Ok(size), Ok(ops)) = (size.parse::<usize>(), ops.parse::<f64>()) else {
                continue;
            };
            let dump = dir.join(format!("cg.out.{n}"));
            let body = std::fs::read_to_string(&dump)
                .map_err(|e| format!("cannot read {}: {e}", dump.display()))?;
            let total = body
                .lines()
                .find_map(|l| l.strip_prefix("totals:"))
                .and_then(|t| t.trim().parse::<f64>().ok())
                .ok_or_else(|| format!("no totals in {}", dump.display()))?;
            counts.push((workload.to_owned(), size, imp.to_owned(), total / ops));
        }
    }
    if counts.is_empty() {
        return Err("the benchmark printed no measured call".into());
    }
    Ok(counts)
}

fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{model}, {cores} cores")
}

/// `64B`, `4KiB`, `1MiB`, or the count for scalar batches and iovec arrays.
fn size_label(workload: &str, size: usize) -> String {
    if workload.starts_with("iovec") || workload.starts_with("scalar") {
        format!("{size}")
    } else if size >= 1 << 20 && size.is_multiple_of(1 << 20) {
        format!("{}MiB", size >> 20)
    } else if size >= 1 << 10 && size.is_multiple_of(1 << 10) {
        format!("{}KiB", size >> 10)
    } else {
        format!("{size}B")
    }
}

/// The DESIGN §7 target of a row: the column guestmem is compared with and the largest ratio
/// allowed.
fn target(workload: &str, size: usize) -> Option<(&'static str, f64)> {
    if workload.starts_with("scalar") {
        Some(("hand", 1.1))
    } else if workload.starts_with("copy-out") && size >= 4096 {
        // >= 0.9x memcpy throughput is <= 1/0.9 of its time.
        Some(("limit", 1.0 / 0.9))
    } else if workload == "str copy+validate" {
        Some(("limit", 1.1))
    } else if workload == "iovec iter+read" || workload == "iovec read_iter" {
        Some(("hand", 1.5))
    } else {
        None
    }
}

fn ratio(m: &BTreeMap<String, f64>, a: &str, b: &str) -> Option<f64> {
    Some(m.get(a)? / m.get(b)?)
}

fn fmt_num(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v >= 1000.0 => format!("{v:.0}"),
        Some(v) if v >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.2}"),
    }
}

fn json_num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.4}"),
        _ => "null".into(),
    }
}

fn report(
    rows: &BTreeMap<(usize, String, usize), Row>,
    machine: &str,
    quick: bool,
) -> (String, String) {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "guestmem benchmarks on {machine}{}: ns/op (wall, median) and instructions/op \
         (callgrind). limit = no check; hand = bounds check like wasm3's m3ApiCheckMem; \
         guestmem = through an opaque &dyn GuestMemory; devirt = the same code, memory type known.",
        if quick { " (--quick)" } else { "" }
    );
    let head = format!(
        "{:<20} {:>6} | {:>8} {:>8} {:>8} {:>8} {:>8} | {:>6} {:>6} {:>6} | {:>8} {:>8} {:>8} {:>8} {:>8} | {:>6} {:>6} {:>6} | target (wall, guestmem / devirt)",
        "workload", "size", "limit", "hand", "guestmem", "devirt", "wiggle", "/limit", "/hand", "/wiggle",
        "Ir limit", "Ir hand", "Ir gm", "Ir devrt", "Ir wigg", "/limit", "/hand", "/wiggle"
    );
    let _ = writeln!(t, "{head}\n{}", "-".repeat(head.len()));
    let mut json = String::new();
    let _ = write!(
        json,
        "{{\n  \"machine\": \"{}\",\n  \"quick\": {quick},\n  \"units\": {{\"ns\": \"nanoseconds per operation (median)\", \"ir\": \"instructions per operation (callgrind)\"}},\n  \"rows\": [",
        machine.replace('"', "'")
    );
    for (i, ((_, workload, size), row)) in rows.iter().enumerate() {
        let verdict = match target(workload, *size) {
            None => "-".to_owned(),
            Some((base, max)) => {
                let mark = |imp: &str| match ratio(&row.ns, imp, base) {
                    Some(r) if r <= max => "met".to_owned(),
                    Some(r) => format!("MISS {r:.2}x"),
                    None => "?".to_owned(),
                };
                format!(
                    "<= {max:.2}x {base}: {} / {}",
                    mark("guestmem"),
                    mark("guestmem-devirt")
                )
            }
        };
        let mut line = format!("{:<20} {:>6} |", workload, size_label(workload, *size));
        for imp in IMPLS {
            let _ = write!(line, " {:>8}", fmt_num(row.ns.get(imp).copied()));
        }
        line.push_str(" |");
        for base in ["limit", "hand", "wiggle"] {
            let _ = write!(line, " {:>6}", fmt_num(ratio(&row.ns, "guestmem", base)));
        }
        line.push_str(" |");
        for imp in IMPLS {
            let _ = write!(line, " {:>8}", fmt_num(row.ir.get(imp).copied()));
        }
        line.push_str(" |");
        for base in ["limit", "hand", "wiggle"] {
            let _ = write!(line, " {:>6}", fmt_num(ratio(&row.ir, "guestmem", base)));
        }
        let _ = writeln!(t, "{line} | {verdict}");

        let obj = |m: &BTreeMap<String, f64>| {
            IMPLS
                .iter()
                .map(|imp| format!("\"{imp}\": {}", json_num(m.get(*imp).copied())))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let ratios = |m: &BTreeMap<String, f64>| {
            ["limit", "hand", "wiggle"]
                .iter()
                .map(|b| format!("\"{b}\": {}", json_num(ratio(m, "guestmem", b))))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = write!(
            json,
            "{}\n    {{\"workload\": \"{workload}\", \"size\": {size}, \"size_label\": \"{}\", \"ns\": {{{}}}, \"ir\": {{{}}}, \"guestmem_ratio_ns\": {{{}}}, \"guestmem_ratio_ir\": {{{}}}, \"target\": \"{verdict}\"}}",
            if i == 0 { "" } else { "," },
            size_label(workload, *size),
            obj(&row.ns),
            obj(&row.ir),
            ratios(&row.ns),
            ratios(&row.ir),
        );
    }
    json.push_str("\n  ]\n}\n");
    (t, json)
}
