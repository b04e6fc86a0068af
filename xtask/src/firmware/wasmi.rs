//! The wasmi firmware (examples-wasmi/firmware/): the wasm3 firmware's guests on wasmi on
//! mps2-an386, built, run under QEMU and measured beside the wasm3 image of the same board.
//! Owned by the wasmi example.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::util::{cargo, describe, root, step};

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

/// Builds, runs and measures the wasmi image of `board`; `None` when it cannot be built.
pub(super) fn run(board: &Board, failures: &mut Vec<String>) -> Option<(Sizes, Vec<Run>)> {
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
    Some((sizes, runs))
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

/// The side-by-side table of one board: wasm3's image and wasmi's, the same guests.
pub(super) fn print_side_by_side(board: &Board, wasm3: (&Sizes, &[Run]), wasmi: (&Sizes, &[Run])) {
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
}
