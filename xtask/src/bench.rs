//! `cargo xtask bench [--quick]`: guestmem against its limits and peers (issue 9, DESIGN §7),
//! then the wasm3 WASI benchmark. Owned by the benchmark crate (bench/).
//!
//! Two measures of the same kernels (bench/src/kernels):
//! - the instructions per operation under callgrind, deterministic: the **verdicts** come from
//!   them. glibc's `rep movsb` and `rep stosb` thresholds are raised ([`REP_MOVSB`]) so that
//!   `memcpy` and `memset` run their vector loops, which callgrind counts per instruction,
//!   instead of `rep movsb`/`rep stosb`, which it counts per byte;
//! - the wall time per operation, every repetition kept: median, min and max per
//!   implementation, and guestmem's ratio to the baseline per repetition (the implementations
//!   of a row are timed in turn, so repetition `i` of each comes from the same moment). The
//!   wall ratio must agree with the verdict within its spread.
//!
//! Printed as tables and written to `<target>/bench/report.json` (and the tables to
//! `report.txt`), where `<target>` is `$CARGO_TARGET_DIR` or `target/`.

// Report arithmetic on floats and counts that the harness chose; nothing here guards memory.
#![allow(
    clippy::as_conversions,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::util::{cargo, describe, root, step, StepResult};

/// The implementation columns, as the bench binary names them.
const IMPLS: [&str; 7] = [
    "limit",
    "hand",
    "wasm3",
    "guestmem",
    "guestmem-inline",
    "wiggle",
    "wiggle-lazy",
];
/// Their short names in the tables.
const SHORT: [&str; 7] = ["limit", "hand", "wasm3", "gm", "inline", "wiggle", "w-lazy"];
/// The guestmem flavours that are judged.
const JUDGED: [&str; 2] = ["guestmem", "guestmem-inline"];
/// wiggle 48, and its checks with lazy errors.
const WIGGLES: [&str; 2] = ["wiggle", "wiggle-lazy"];

/// Under callgrind: glibc (2.33 and later, x86-64) copies with `rep movsb` and fills with
/// `rep stosb` from a threshold (a few KiB) up, and callgrind counts each byte they move as an
/// instruction. Above every size measured, the thresholds make `memcpy` and `memset` use their
/// vector loops at every size.
const REP_MOVSB: &str = "glibc.cpu.x86_rep_movsb_threshold=4294967295:\
                         glibc.cpu.x86_rep_stosb_threshold=4294967295";

/// `cargo xtask bench`.
pub fn run(args: &[String]) -> StepResult {
    let quick = args.iter().any(|a| a == "--quick");
    let ours = guestmem_bench(quick);
    if let Err(e) = crate::wasm3::bench(args) {
        println!("\nwasm3 WASI benchmark not run: {e}");
    }
    ours
}

/// The measures of one row: per implementation, its wall samples (ns/op) and instructions/op.
#[derive(Default)]
struct Row {
    wall: BTreeMap<String, Vec<f64>>,
    ir: BTreeMap<String, f64>,
}

/// The rows in the bench binary's order, by `(order, workload, size)`.
type Rows = BTreeMap<(usize, String, usize), Row>;

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
    step(
        "every implementation computes the same results and refuses hostile arguments",
        Command::new(&bin).arg("--check"),
    )?;

    let mut rows = Rows::new();
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
    let text = output("wall time (interleaved repetitions)", &mut wall)?;
    let mut budget = String::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if let ["budget", reps, best_of, batch_ns] = f[..] {
            let ms = batch_ns.parse::<f64>().unwrap_or(f64::NAN) / 1e6;
            budget = format!(
                "wall time: {reps} repetitions per implementation, each the fastest of \
                 {best_of} batches of at least {ms} ms, the implementations of a row in turn"
            );
        }
        if let ["wall", workload, size, imp, samples] = f[..] {
            let Ok(size) = size.parse::<usize>() else {
                continue;
            };
            let samples: Vec<f64> = samples.split(',').filter_map(|s| s.parse().ok()).collect();
            rows.entry(key(workload, size))
                .or_default()
                .wall
                .insert(imp.to_owned(), samples);
        }
    }

    let mut notes = vec![budget];
    match callgrind(&bin, &target) {
        Ok(counts) => {
            for (workload, size, imp, ir) in counts {
                rows.entry(key(&workload, size))
                    .or_default()
                    .ir
                    .insert(imp, ir);
            }
            notes.push(memcpy_note(&rows));
        }
        Err(e) => {
            let note = format!("instruction counts skipped, so no verdicts: {e}");
            println!("\n{note}");
            notes.push(note);
        }
    }

    let machine = machine();
    let (table, json) = report(&rows, &machine, quick, &notes);
    println!("\n{table}");
    let dir = target.join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, body) in [("report.json", &json), ("report.txt", &table)] {
        let path = dir.join(name);
        std::fs::write(&path, body).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("report written to {}", path.display());
    }
    Ok(())
}

/// Instructions per operation of every kernel: one callgrind run with two measured calls per
/// kernel (`reps` and `2 * reps` host calls), each its own dump; the difference is `reps` calls'
/// worth, without the kernel's fixed cost.
fn callgrind(bin: &Path, target: &Path) -> Result<Vec<(String, usize, String, f64)>, String> {
    let dir = target.join("bench/callgrind");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let out_file = dir.join("cg.out");
    let measured = "guestmem_bench::harness::cg_measure";
    let mut cmd = Command::new("valgrind");
    cmd.env("GLIBC_TUNABLES", REP_MOVSB).args([
        "--tool=callgrind",
        "--collect-atstart=no",
        &format!("--toggle-collect={measured}"),
        &format!("--dump-after={measured}"),
        &format!("--callgrind-out-file={}", out_file.display()),
    ]);
    cmd.arg(bin).arg("--callgrind");
    let text = output("instruction counts (valgrind --tool=callgrind)", &mut cmd)?;
    let total = |n: &str| -> Result<f64, String> {
        let dump = dir.join(format!("cg.out.{n}"));
        let body = std::fs::read_to_string(&dump)
            .map_err(|e| format!("cannot read {}: {e}", dump.display()))?;
        body.lines()
            .find_map(|l| l.strip_prefix("totals:"))
            .and_then(|t| t.trim().parse::<f64>().ok())
            .ok_or_else(|| format!("no totals in {}", dump.display()))
    };
    let mut counts = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if let ["cg", a, b, workload, size, imp, ops] = f[..] {
            let (Ok(size), Ok(ops)) = (size.parse::<usize>(), ops.parse::<f64>()) else {
                continue;
            };
            let ir = (total(b)? - total(a)?) / ops;
            counts.push((workload.to_owned(), size, imp.to_owned(), ir));
        }
    }
    if counts.is_empty() {
        return Err("the benchmark printed no measured call".into());
    }
    Ok(counts)
}

/// Whether the `rep movsb` threshold took: `memcpy` of 64 KiB costs a fraction of an
/// instruction per byte in its vector loop, one per byte in `rep movsb`.
fn memcpy_note(rows: &Rows) -> String {
    let ir = rows
        .iter()
        .find(|((_, w, s), _)| w == "copy-out [u8]" && *s == 64 << 10)
        .and_then(|(_, r)| r.ir.get("limit").copied());
    let libc = Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "libc unknown".into());
    match ir {
        Some(ir) if ir / 65536.0 < 0.5 => format!(
            "{libc}: under callgrind GLIBC_TUNABLES={REP_MOVSB}; memcpy of 64 KiB counts \
             {:.3} instructions/byte (its vector loop, not rep movsb)",
            ir / 65536.0
        ),
        Some(ir) => format!(
            "WARNING {libc}: GLIBC_TUNABLES={REP_MOVSB} did not take: memcpy of 64 KiB counts \
             {:.3} instructions/byte (rep movsb counted per byte); copy verdicts are not valid",
            ir / 65536.0
        ),
        None => format!("{libc}: memcpy of 64 KiB not measured"),
    }
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

/// `16B`, `4KiB`, `1MiB`, or `xN` for iovec counts and scalar accesses per call.
fn size_label(workload: &str, size: usize) -> String {
    if workload.starts_with("iovec") || workload.starts_with("scalar") {
        format!("x{size}")
    } else if size >= 1 << 20 && size.is_multiple_of(1 << 20) {
        format!("{}MiB", size >> 20)
    } else if size >= 1 << 10 && size.is_multiple_of(1 << 10) {
        format!("{}KiB", size >> 10)
    } else {
        format!("{size}B")
    }
}

/// What a row is judged against (DESIGN §7).
struct Target {
    /// The implementation column guestmem is compared with.
    baseline: &'static str,
    /// What that column is, for this workload.
    is: &'static str,
    /// The largest ratio of instructions allowed; `None`: the row is shown, not judged.
    max: Option<f64>,
}

/// The DESIGN §7 target of a row.
fn target(workload: &str, size: usize) -> Target {
    let t = |baseline, is, max| Target { baseline, is, max };
    if workload.starts_with("scalar") {
        t("hand", "hand check", Some(1.1))
    } else if workload == "copy-out [u8]" {
        t("limit", "memcpy", Some(if size < 1024 { 1.5 } else { 1.1 }))
    } else if workload == "copy-out [u32]" {
        // <= 1.5x at 16 B, <= 1.1x from 1024 elements (4 KiB).
        let max = match size {
            0..1024 => Some(1.5),
            4096.. => Some(1.1),
            _ => None,
        };
        t("limit", "memcpy", max)
    } else if workload.starts_with("copy-in") || workload.starts_with("to_") {
        t("limit", "memcpy", None)
    } else if workload.starts_with("str copy+validate") {
        t("limit", "from_utf8+copy", Some(1.1))
    } else if workload.starts_with("str to_heapless") {
        t("limit", "from_utf8+copy", None)
    } else if workload.starts_with("str view") {
        t("limit", "from_utf8", None)
    } else if workload == "iovec read_iter" {
        // The way to walk iovecs (the README's and the WASI functions'); the other walks are
        // shown: `iter()+read()` checks each element again, and copying 256 iovecs out first
        // pays for a 256-element array on the stack before the first one is read.
        t("hand", "hand loop", Some(1.5))
    } else if workload.starts_with("iovec") {
        t("hand", "hand loop", None)
    } else {
        t("hand", "hand check", None)
    }
}

/// Median, min and max.
#[derive(Clone, Copy)]
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

fn spread(v: &[f64]) -> Option<Spread> {
    let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    Some(Spread {
        median: *v.get(v.len() / 2)?,
        min: *v.first()?,
        max: *v.last()?,
    })
}

/// The ratio `a / b` per repetition.
fn paired(row: &Row, a: &str, b: &str) -> Option<Spread> {
    let (a, b) = (row.wall.get(a)?, row.wall.get(b)?);
    let r: Vec<f64> = a.iter().zip(b).map(|(x, y)| x / y).collect();
    spread(&r)
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

fn fmt_ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.2}x"))
}

fn fmt_spread(s: Option<Spread>) -> String {
    s.map_or_else(
        || "-".into(),
        |s| {
            format!(
                "{} [{}-{}]",
                fmt_num(Some(s.median)),
                fmt_num(Some(s.min)),
                fmt_num(Some(s.max))
            )
        },
    )
}

fn json_num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.4}"),
        _ => "null".into(),
    }
}

fn json_spread(s: Option<Spread>) -> String {
    s.map_or_else(
        || "null".into(),
        |s| {
            format!(
                "{{\"median\": {}, \"min\": {}, \"max\": {}}}",
                json_num(Some(s.median)),
                json_num(Some(s.min)),
                json_num(Some(s.max))
            )
        },
    )
}

fn json_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn json_opt_str(s: Option<&str>) -> String {
    s.map_or_else(|| "null".into(), json_str)
}

/// Everything the report says about one row.
struct Judged {
    target: Target,
    /// Per judged flavour: instructions ratio to the baseline, and `met` under the target.
    ratio_ir: [Option<f64>; 2],
    verdict: [Option<bool>; 2],
    /// Per judged flavour: the wall ratio to the baseline per repetition.
    ratio_wall: [Option<Spread>; 2],
    /// Whether guestmem's wall ratio agrees with its verdict within its spread.
    agrees: Option<bool>,
    /// guestmem's instructions over wiggle's and wiggle-lazy's.
    vs_wiggle: [Option<f64>; 2],
    /// guestmem's instructions minus wiggle's and wiggle-lazy's.
    minus_wiggle: [Option<f64>; 2],
}

fn judge(row: &Row, workload: &str, size: usize) -> Judged {
    let target = target(workload, size);
    let ratio_ir = JUDGED.map(|imp| ratio(&row.ir, imp, target.baseline));
    let verdict = ratio_ir.map(|r| Some(r? <= target.max?));
    let ratio_wall = JUDGED.map(|imp| paired(row, imp, target.baseline));
    let agrees = match (verdict[0], ratio_wall[0], target.max) {
        (Some(true), Some(w), Some(max)) => Some(w.min <= max),
        (Some(false), Some(w), Some(max)) => Some(w.max > max),
        _ => None,
    };
    let vs_wiggle = WIGGLES.map(|w| ratio(&row.ir, "guestmem", w));
    let minus_wiggle = WIGGLES.map(|w| Some(row.ir.get("guestmem")? - row.ir.get(w)?));
    Judged {
        target,
        ratio_ir,
        verdict,
        ratio_wall,
        agrees,
        vs_wiggle,
        minus_wiggle,
    }
}

fn verdict_word(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "-",
    }
}

/// Where guestmem stands against wiggle 48 and its best case (lazy errors): `ahead` of both,
/// `behind lazy` (ahead of wiggle 48), or `BEHIND` wiggle 48; with the instructions it is
/// behind by.
fn standing(j: &Judged) -> Option<(&'static str, Option<f64>)> {
    match j.minus_wiggle {
        [Some(e), Some(l)] if e < 0.0 && l >= 0.0 => Some(("behind lazy", Some(l))),
        [Some(e), _] if e < 0.0 => Some(("ahead", None)),
        [Some(e), _] => Some(("BEHIND", Some(e))),
        [None, _] => None,
    }
}

fn fmt_standing(j: &Judged) -> String {
    match standing(j) {
        None => "-".into(),
        Some((w, None)) => w.into(),
        Some((w, Some(by))) => format!("{w} +{} Ir", fmt_num(Some(by))),
    }
}

fn report(rows: &Rows, machine: &str, quick: bool, notes: &[String]) -> (String, String) {
    let reps = rows
        .values()
        .find_map(|r| r.wall.values().next().map(Vec::len))
        .unwrap_or(0);
    let mut t = String::new();
    let _ = writeln!(
        t,
        "guestmem benchmarks on {machine}{}. Verdicts from instructions/op (callgrind); wall \
         time per op as median [min-max] of {reps} repetitions.\n\
         limit = no check (memcpy, from_utf8 + copy); hand = the check with the length in a \
         register; wasm3 = m3ApiCheckMem (size re-read out of line per access); gm = guestmem \
         with the call's GuestFrame opaque; inline = the same code, frame in view; \
         wiggle = wiggle 48; w-lazy = wiggle's checks with lazy errors. Every host call builds \
         its memory.",
        if quick { " (--quick)" } else { "" }
    );
    for n in notes {
        let _ = writeln!(t, "{n}");
    }

    // Table 1: the verdicts.
    let head = format!(
        "{:<24} {:>6} | {:<22} {:>8} {:>8} | {:>7} {:>7} | {:>7} {:<15} | {:<26} {:>6} | {:>7} {:>7} {:<11}",
        "workload", "size", "baseline", "Ir base", "Ir gm", "gm", "inline", "target",
        "verdict gm/dvrt", "wall gm/base med [min-max]", "agrees", "gm/wigg", "gm/wlzy", "vs wiggle"
    );
    let _ = writeln!(t, "\n{head}\n{}", "-".repeat(head.len()));
    let mut json_rows = Vec::new();
    let (mut met, mut missed, mut disagree, mut behind) = (0, 0, 0, 0);
    for ((_, workload, size), row) in rows {
        let j = judge(row, workload, *size);
        let base = j.target.baseline;
        match j.verdict[0] {
            Some(true) => met += 1,
            Some(false) => missed += 1,
            None => {}
        }
        if j.agrees == Some(false) {
            disagree += 1;
        }
        if standing(&j).is_some_and(|(w, _)| w == "BEHIND") {
            behind += 1;
        }
        let _ = writeln!(
            t,
            "{:<24} {:>6} | {:<22} {:>8} {:>8} | {:>7} {:>7} | {:>7} {:<15} | {:<26} {:>6} | {:>7} {:>7} {:<11}",
            workload,
            size_label(workload, *size),
            format!("{base} ({})", j.target.is),
            fmt_num(row.ir.get(base).copied()),
            fmt_num(row.ir.get("guestmem").copied()),
            fmt_ratio(j.ratio_ir[0]),
            fmt_ratio(j.ratio_ir[1]),
            j.target.max.map_or_else(|| "-".into(), |m| format!("<={m:.1}x")),
            if j.target.max.is_some() {
                format!("{} / {}", verdict_word(j.verdict[0]), verdict_word(j.verdict[1]))
            } else {
                "(shown)".into()
            },
            fmt_spread(j.ratio_wall[0]),
            match j.agrees {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "-",
            },
            fmt_ratio(j.vs_wiggle[0]),
            fmt_ratio(j.vs_wiggle[1]),
            fmt_standing(&j),
        );
        json_rows.push(json_row(workload, *size, row, &j));
    }
    let _ = writeln!(
        t,
        "\ntargets (guestmem through &dyn, instructions): {met} met, {missed} missed; wall \
         disagrees with the verdict on {disagree} rows; guestmem behind wiggle 48 on {behind} rows"
    );

    // Tables 2 and 3: the absolute figures.
    let mut head = format!("{:<24} {:>6} |", "instructions/op", "size");
    for s in SHORT {
        let _ = write!(head, " {s:>9}");
    }
    let _ = writeln!(t, "\n{head}\n{}", "-".repeat(head.len()));
    for ((_, workload, size), row) in rows {
        let mut line = format!("{:<24} {:>6} |", workload, size_label(workload, *size));
        for imp in IMPLS {
            let _ = write!(line, " {:>9}", fmt_num(row.ir.get(imp).copied()));
        }
        let _ = writeln!(t, "{line}");
    }
    let mut head = format!("{:<24} {:>6} |", "wall ns/op med [min-max]", "size");
    for s in SHORT {
        let _ = write!(head, " {s:>20}");
    }
    let _ = writeln!(t, "\n{head}\n{}", "-".repeat(head.len()));
    for ((_, workload, size), row) in rows {
        let mut line = format!("{:<24} {:>6} |", workload, size_label(workload, *size));
        for imp in IMPLS {
            let s = row.wall.get(imp).and_then(|v| spread(v));
            let _ = write!(line, " {:>20}", fmt_spread(s));
        }
        let _ = writeln!(t, "{line}");
    }

    let json = format!(
        "{{\n  \"machine\": {},\n  \"quick\": {quick},\n  \"wall_repetitions\": {reps},\n  \
         \"notes\": [{}],\n  \"units\": {{\"ir\": \"instructions per operation (callgrind, \
         {REP_MOVSB})\", \"wall_ns\": \"nanoseconds per operation: median, min, max of the \
         repetitions\"}},\n  \"summary\": {{\"met\": {met}, \"missed\": {missed}, \
         \"wall_disagrees\": {disagree}, \"behind_wiggle\": {behind}}},\n  \"rows\": [\n    {}\n  ]\n}}\n",
        json_str(machine),
        notes.iter().map(|n| json_str(n)).collect::<Vec<_>>().join(", "),
        json_rows.join(",\n    ")
    );
    (t, json)
}

fn json_row(workload: &str, size: usize, row: &Row, j: &Judged) -> String {
    let impls = IMPLS
        .iter()
        .filter(|imp| row.ir.contains_key(**imp) || row.wall.contains_key(**imp))
        .map(|imp| {
            format!(
                "\"{imp}\": {{\"ir\": {}, \"wall_ns\": {}}}",
                json_num(row.ir.get(*imp).copied()),
                json_spread(row.wall.get(*imp).and_then(|v| spread(v)))
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let per = |f: &dyn Fn(usize) -> String| {
        JUDGED
            .iter()
            .enumerate()
            .map(|(i, imp)| format!("\"{imp}\": {}", f(i)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "{{\"workload\": {}, \"size\": {size}, \"size_label\": {}, \"impls\": {{{impls}}}, \
         \"baseline\": {}, \"baseline_is\": {}, \"target_ratio\": {}, \"ratio_ir\": {{{}}}, \
         \"ratio_wall\": {{{}}}, \"verdict\": {{{}}}, \"wall_agrees\": {}, \
         \"vs_wiggle\": {{\"wiggle\": {}, \"wiggle-lazy\": {}, \"standing\": {}, \"behind_by_ir\": {}}}}}",
        json_str(workload),
        json_str(&size_label(workload, size)),
        json_str(j.target.baseline),
        json_str(j.target.is),
        json_num(j.target.max),
        per(&|i| json_num(j.ratio_ir[i])),
        per(&|i| json_spread(j.ratio_wall[i])),
        per(&|i| json_opt_str(match j.verdict[i] {
            Some(true) => Some("met"),
            Some(false) => Some("missed"),
            None => None,
        })),
        j.agrees.map_or_else(|| "null".into(), |a| a.to_string()),
        json_num(j.vs_wiggle[0]),
        json_num(j.vs_wiggle[1]),
        json_opt_str(standing(j).map(|(w, _)| w)),
        json_num(standing(j).and_then(|(_, by)| by)),
    )
}
