//! `cargo xtask firmware`: builds the Cortex-M firmware for both QEMU boards, runs each
//! embedded guest, checks its output and exit status, and prints the flash and RAM budgets;
//! then builds the measurement image (`--features bench`) of each board, runs its `bench`
//! guest under QEMU's instruction counter, and prints instructions per host call for host
//! functions in C with wasm3's macros, in guestmem, and in guestmem's fastest path.
//! Owned by the firmware example (examples-wasm3/firmware/).
//!
//! ```text
//! cargo xtask firmware            validate the guests, build both boards, run, measure
//! cargo xtask firmware --guests   rebuild the guests from their C sources first (clang-14)
//! ```
//!
//! Needs `arm-none-eabi-gcc` + newlib headers, `qemu-system-arm`, `libclang-dev` (bindgen),
//! the rustup targets `thumbv7em-none-eabihf` and `thumbv7m-none-eabi`; `--guests` also needs
//! `clang-14`, `lld-14` and `wasi-libc`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{cargo, cmd, describe, root, step, StepResult};

mod bench;
mod sizes;
mod wasmi;

use sizes::{print_table, Sizes};

/// The firmware crate, relative to the workspace root.
const DIR: &str = "examples-wasm3/firmware";

/// How long one guest may run in QEMU (they take well under a second).
const QEMU_TIMEOUT: Duration = Duration::from_secs(60);

/// Flash budget of guestmem core + binding + WASI on thumbv7em (issue 4).
const LIBRARY_BUDGET: u64 = 12 * 1024;

/// A QEMU board the firmware is built for.
struct Board {
    /// The cargo feature and QEMU machine.
    name: &'static str,
    target: &'static str,
    cpu: &'static str,
    /// Flash and RAM the whole image must fit in, when the part is small enough to matter.
    limits: Option<(u64, u64)>,
    /// Whether the library flash budget applies (it is stated for thumbv7em).
    library_budget: bool,
}

const BOARDS: [Board; 2] = [
    Board {
        name: "mps2-an386",
        target: "thumbv7em-none-eabihf",
        cpu: "cortex-m4",
        limits: None,
        library_budget: true,
    },
    Board {
        name: "lm3s6965evb",
        target: "thumbv7m-none-eabi",
        cpu: "cortex-m3",
        limits: Some((256 * 1024, 64 * 1024)),
        library_budget: false,
    },
];

/// A guest, the exit status it must end with, and lines its output must contain, in order.
struct Guest {
    name: &'static str,
    /// `true`: a WASI command (`clang --target=wasm32-wasi`), else a raw module.
    wasi: bool,
    /// The exports the firmware calls.
    exports: &'static [&'static str],
    status: i32,
    expect: &'static [&'static str],
}

const GUESTS: [Guest; 3] = [
    Guest {
        name: "hello",
        wasi: true,
        exports: &["_start"],
        status: 0,
        expect: &[
            "hello from a WASI guest, through three iovecs of one fd_write\n",
            "hello: args 0, environ 0\n",
            "hello: monotonic clock advanced by ",
            "hello: realtime clock: errno 28\n",
            "hello: random bytes ",
            "hello: calling proc_exit(0)\n",
            "fw: hello called proc_exit(0)\n",
        ],
    },
    Guest {
        name: "raw",
        wasi: false,
        exports: &["run"],
        status: 0,
        expect: &[
            "raw: hello from a raw guest, through env.print\n",
            "raw: sum_points(5 points) = (101, -167) ok\n",
            "raw: shape_area(kind 1) = 42 ok\n",
            "raw: shape_area(kind 2) = 25 ok\n",
            "raw: shape_area(kind 3) = 15 ok\n",
            "raw: upper -> \"GUEST MEMORY, CHECKED\" ok\n",
            "raw: upper into 4 bytes -> -61 (EOVERFLOW), needs 21 ok\n",
            "raw: done, 0 wrong\n",
            "fw: raw returned 0 wrong results\n",
        ],
    },
    Guest {
        name: "hostile",
        wasi: false,
        exports: &["describe", "attempt"],
        status: 0,
        expect: &[
            // The size of the memory the engine maps (wasm3's is capped at 4 KiB, wasmi maps
            // the declared 64 KiB page): "past the end" in the attempts is past it.
            "fw: hostile: the guest memory ends at ",
            "#00 print: text pointer at 0xfffffff0",
            "-> refused: errno 21 (EFAULT)",
            "#01 print: text runs past the end of memory",
            "-> refused: errno 21 (EFAULT)",
            "#02 print: invalid UTF-8",
            "-> refused: errno 28 (EINVAL)",
            "#03 sum_points: 0x20000000 points",
            "-> refused: errno 21 (EFAULT)",
            "#04 sum_points: misaligned out-pointer",
            "-> refused: errno 28 (EINVAL)",
            "#05 shape_area: unknown enum value",
            "-> refused: errno 28 (EINVAL)",
            "#06 shape_area: out-pointer past the end",
            "-> refused: errno 21 (EFAULT)",
            "#07 upper: output buffer overlaps the input",
            "-> refused: errno 21 (EFAULT)",
            "#08 upper: out_len pointer past the end",
            "-> refused: errno 21 (EFAULT)",
            "#09 fd_write: iovec array past the end",
            "-> refused: errno 21 (EFAULT)",
            "#10 fd_write: iovec buffer past the end",
            "-> refused: errno 21 (EFAULT)",
            "#11 fd_write: nwritten pointer past the end",
            "-> refused: errno 21 (EFAULT)",
            "#12 fd_write: bad file descriptor",
            "-> refused: errno 8 (EBADF)",
            "#13 random_get: buffer past the end",
            "-> refused: errno 21 (EFAULT)",
            "#14 guest load just past the end of memory",
            "-> trapped: [trap] out of bounds memory access",
            "#15 guest load at 0xfffffffc",
            "-> trapped: [trap] out of bounds memory access",
            "#16 memory.grow by one page",
            "-> refused: errno 48 (ENOMEM)",
            "#17 unbounded recursion",
            "-> trapped: [trap] stack overflow",
            "#18 (none: the list ends)",
            "fw: hostile: 15 refused, 3 trapped, 0 accepted, 0 failed; firmware still running\n",
        ],
    },
];

/// The measurement image's guest (`--features bench`): not in the shipped image, run by
/// [`bench::run`] under the instruction counter; its output is checked there.
const BENCH_GUEST: Guest = Guest {
    name: "bench",
    wasi: false,
    exports: &[
        "fd_write_loop",
        "fill16_loop",
        "fd_write_nwritten",
        "fd_write_bytes",
        "fd_write_hash",
        "fill16_sum_of_last",
        "fill16_expected",
    ],
    status: 0,
    expect: &[],
};

/// The host functions of the `env` module (guestmem-example-host, linked by guestmem-wasm3's
/// `raw_host`); every `wasi_snapshot_preview1` function is linked too.
const RAW_IMPORTS: [&str; 4] = ["print", "sum_points", "shape_area", "upper"];

/// The host functions of the `bench` module, which only the measurement image links (the C
/// ones from `c/bench.c`, the others from `src/bench.rs`).
const BENCH_IMPORTS: [&str; 10] = [
    "nop_fd_write",
    "c_fd_write",
    "fast_fd_write",
    "gm_nop_fd_write",
    "nop_fill16",
    "c_fill16",
    "gm_fill16",
    "fast_fill16",
    "gm_nop_fill16",
    "lean_fill16",
];

/// The wasm-ld flags of every firmware guest: a 2 KiB shadow stack below the data (an
/// overflow traps instead of overwriting it), one page declared as both initial and maximum,
/// no name section (wasm3 cannot find unexported functions by name).
const GUEST_LINK_FLAGS: [&str; 5] = [
    "-Wl,-z,stack-size=2048",
    "-Wl,--stack-first",
    "-Wl,--initial-memory=65536",
    "-Wl,--max-memory=65536",
    "-Wl,--strip-all",
];

/// `cargo xtask firmware [--guests]`.
pub fn run(args: &[String]) -> StepResult {
    let mut rebuild_guests = false;
    for arg in args {
        match arg.as_str() {
            "--guests" => rebuild_guests = true,
            other => return Err(format!("firmware: unknown argument `{other}`")),
        }
    }
    if rebuild_guests {
        build_guests()?;
    }
    check_guests()?;
    let mut failures = Vec::new();
    let mut reports = Vec::new();
    let mut fmt = cargo(None, &["fmt", "--check"]);
    fmt.current_dir(root().join(DIR));
    step("firmware: format", &mut fmt)?;
    for board in &BOARDS {
        for bench in [false, true] {
            let mut clippy = firmware_cargo(board, "clippy", bench);
            clippy.args(["--", "-D", "warnings"]);
            let what = if bench { " (measurement image)" } else { "" };
            step(
                &format!("firmware: clippy {}{what}", board.name),
                &mut clippy,
            )?;
        }
    }
    for board in &BOARDS {
        // The measurement image first: both are linked to the same path, and the shipped one
        // must be there last (its sizes are read below).
        let bench_elf = build_bench(board)?;
        let elf = build(board)?;
        let runs = run_guests(board, &elf, &mut failures);
        let sizes = Sizes::of(board, &elf)?;
        let bench_sizes = Sizes::of(board, &bench_elf)?;
        let bench = bench::run(board, &bench_elf, &mut failures);
        reports.push((board, sizes, bench_sizes, runs, bench));
    }
    println!("\n==> firmware: sizes (release, opt-level \"s\", lto, panic = abort)");
    for (board, sizes, bench_sizes, runs, _) in &reports {
        print_table(board, sizes, bench_sizes, runs, &mut failures);
    }
    println!(
        "\n==> firmware: instructions per host call (issue 9): C with wasm3's macros \
         (m3ApiCheckMem), guestmem as the example writes host functions, guestmem's fastest path"
    );
    for (board, _, _, _, bench) in &reports {
        if let Some(b) = bench {
            bench::print_table(board, b);
        }
    }
    // The same guests on wasmi, on the board with room for its heap (see wasmi.rs).
    for (board, sizes, _, runs, bench) in reports.iter().filter(|r| r.0.name == "mps2-an386") {
        if let Some(measured) = wasmi::run(board, &mut failures) {
            wasmi::print_side_by_side(board, (sizes, runs, bench.as_ref()), &measured);
        }
    }
    if failures.is_empty() {
        println!("\n<== firmware: every guest behaved on both boards, every budget met");
        Ok(())
    } else {
        for f in &failures {
            println!("FAILED: {f}");
        }
        Err(format!("firmware: {} failure(s)", failures.len()))
    }
}

/// Rebuilds `guests/*.wasm` from their C sources with Debian's clang-14.
fn build_guests() -> StepResult {
    let dir = root().join(DIR).join("guests");
    for g in GUESTS.iter().chain([&BENCH_GUEST]) {
        let (src, out) = (format!("{}.c", g.name), format!("{}.wasm", g.name));
        let mut c = if g.wasi {
            cmd("clang-14", &["--target=wasm32-wasi", "-Os"])
        } else {
            cmd(
                "clang-14",
                &["--target=wasm32", "-Os", "-nostdlib", "-Wl,--no-entry"],
            )
        };
        c.args(GUEST_LINK_FLAGS)
            .args(["-o", &out, &src])
            .current_dir(&dir);
        step(&format!("firmware guest {}", g.name), &mut c)?;
    }
    Ok(())
}

/// Checks each embedded module with guestmem-wasm3's validator (the precondition of the
/// firmware's `Runtime::with_config_trusted`): only what wasm3 0.4.7 runs, the exports the firmware
/// calls, and only imports the firmware links.
fn check_guests() -> StepResult {
    let all: Vec<&Guest> = GUESTS.iter().chain([&BENCH_GUEST]).collect();
    let files: Vec<String> = all
        .iter()
        .map(|g| format!("{DIR}/guests/{}.wasm", g.name))
        .collect();
    let mut c = cargo(
        None,
        &["run", "--quiet", "-p", "guestmem-wasm3", "--", "check"],
    );
    c.args(&files);
    println!(
        "\n==> firmware: validate the embedded guests\n    $ {}",
        describe(&c)
    );
    let out = c
        .output()
        .map_err(|e| format!("firmware: cannot run cargo: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    print!("{text}");
    if !out.status.success() {
        return Err(format!(
            "firmware: guest validation failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    for (g, file) in all.iter().zip(&files) {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{file}:")))
            .ok_or_else(|| format!("firmware: no verdict for {file}"))?;
        let list = |key: &str| -> Vec<String> {
            line.split("; ")
                .find_map(|part| part.strip_prefix(key))
                .map(|rest| rest.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default()
        };
        let (imports, exports) = (list("imports: "), list("exports: "));
        for e in g.exports {
            if !exports.iter().any(|x| x == e) {
                return Err(format!("firmware: {file} does not export `{e}`"));
            }
        }
        for i in &imports {
            let linked = i.starts_with("wasi_snapshot_preview1.")
                || i.strip_prefix("env.")
                    .is_some_and(|n| RAW_IMPORTS.contains(&n))
                || (g.name == BENCH_GUEST.name
                    && i.strip_prefix("bench.")
                        .is_some_and(|n| BENCH_IMPORTS.contains(&n)));
            if !linked {
                return Err(format!(
                    "firmware: {file} imports `{i}`, which the firmware does not link"
                ));
            }
        }
    }
    println!("<== firmware: guests valid, exports and imports as the firmware expects");
    Ok(())
}

/// The firmware's own target directory.
fn target_dir() -> PathBuf {
    root().join(DIR).join("target")
}

/// `cargo <command> --release` for `board` (with the measurement image's `bench` feature
/// when `bench`), run in the firmware's directory so that its `.cargo/config.toml` (wasm3's
/// configuration) applies.
fn firmware_cargo(board: &Board, command: &str, bench: bool) -> Command {
    let target_dir = target_dir().to_string_lossy().into_owned();
    let features = if bench {
        format!("{},bench", board.name)
    } else {
        board.name.to_string()
    };
    let mut c = cargo(
        None,
        &[
            command,
            "--release",
            "--target",
            board.target,
            "--features",
            &features,
            "--target-dir",
            &target_dir,
        ],
    );
    if std::env::var_os("CARGO_BUILD_JOBS").is_none() {
        c.args(["-j", "2"]);
    }
    // The configuration in the firmware's .cargo/config.toml must win.
    c.current_dir(root().join(DIR))
        .env_remove("BINDGEN_EXTRA_CLANG_ARGS")
        .env_remove(format!("BINDGEN_EXTRA_CLANG_ARGS_{}", board.target))
        .env_remove(format!(
            "BINDGEN_EXTRA_CLANG_ARGS_{}",
            board.target.replace('-', "_")
        ));
    c
}

/// The release image of `board`, where cargo links it.
fn image(board: &Board) -> PathBuf {
    target_dir()
        .join(board.target)
        .join("release")
        .join("guestmem-firmware")
}

/// Builds the release image for `board`; returns the ELF.
fn build(board: &Board) -> Result<PathBuf, String> {
    step(
        &format!("firmware: build {} ({})", board.name, board.target),
        &mut firmware_cargo(board, "build", false),
    )?;
    Ok(image(board))
}

/// Builds the measurement image for `board` (`--features bench`) and copies it beside the
/// shipped one (cargo links both to the same path); returns the copy.
fn build_bench(board: &Board) -> Result<PathBuf, String> {
    step(
        &format!(
            "firmware: build {} ({}) measurement image",
            board.name, board.target
        ),
        &mut firmware_cargo(board, "build", true),
    )?;
    let elf = image(board);
    let copy = elf.with_file_name("guestmem-firmware-bench");
    std::fs::copy(&elf, &copy).map_err(|e| {
        format!(
            "firmware: copy {} to {}: {e}",
            elf.display(),
            copy.display()
        )
    })?;
    Ok(copy)
}

/// What a guest run measured.
struct Run {
    guest: &'static str,
    ok: bool,
    stack: Option<u64>,
    heap: Option<u64>,
    secs: f64,
}

/// Runs every guest on `board` in QEMU, prints its output, and checks it.
fn run_guests(board: &Board, elf: &Path, failures: &mut Vec<String>) -> Vec<Run> {
    let mut runs = Vec::new();
    for g in &GUESTS {
        let mut c = Command::new("qemu-system-arm");
        c.args(["-machine", board.name, "-cpu", board.cpu, "-nographic"])
            .args(["-semihosting-config", "enable=on,target=native"])
            .arg("-kernel")
            .arg(elf)
            .args(["-append", g.name]);
        println!(
            "\n==> firmware: {} on {}\n    $ {}",
            g.name,
            board.name,
            describe(&c)
        );
        let start = Instant::now();
        let result = run_with_timeout(&mut c, QEMU_TIMEOUT);
        let secs = start.elapsed().as_secs_f64();
        let mut problems = Vec::new();
        let mut stats = (None, None);
        match result {
            Err(e) => problems.push(e),
            Ok((status, stdout, stderr)) => {
                for line in stdout.lines() {
                    println!("    | {line}");
                }
                for line in stderr.lines() {
                    println!("    ! {line}");
                }
                if status != Some(g.status) {
                    problems.push(format!("exit status {status:?}, expected {}", g.status));
                }
                if let Some(missing) = missing_in_order(&stdout, g.expect) {
                    problems.push(format!("output lacks {missing:?}"));
                }
                for bad in ["check failed", "WRONG", "ACCEPTED", "panic"] {
                    if stdout.contains(bad) || stderr.contains(bad) {
                        problems.push(format!("output contains {bad:?}"));
                    }
                }
                stats = parse_stats(&stdout);
                if stats.0.is_none() {
                    problems.push("no stack/heap report".into());
                }
            }
        }
        let ok = problems.is_empty();
        if ok {
            println!(
                "<== firmware: {} on {}: ok ({secs:.2} s)",
                g.name, board.name
            );
        }
        for p in problems {
            failures.push(format!("{} on {}: {p}", g.name, board.name));
        }
        runs.push(Run {
            guest: g.name,
            ok,
            stack: stats.0,
            heap: stats.1,
            secs,
        });
    }
    runs
}

/// Runs `c` with its output captured; kills it after `timeout`. Returns the exit code (None
/// when killed by a signal), stdout and stderr.
fn run_with_timeout(
    c: &mut Command,
    timeout: Duration,
) -> Result<(Option<i32>, String, String), String> {
    let mut child: Child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start qemu-system-arm: {e}"))?;
    let out = read_all(child.stdout.take());
    let err = read_all(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("timed out after {} s", timeout.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => break Err(format!("waiting for qemu: {e}")),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    status.map(|s| (s.code(), stdout, stderr))
}

/// Reads `pipe` to its end on a thread of its own (a full pipe would block QEMU).
fn read_all<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut text);
        }
        String::from_utf8_lossy(&text).into_owned()
    })
}

/// The first of `expect` not found in `text` after the previous one.
fn missing_in_order(text: &str, expect: &[&'static str]) -> Option<&'static str> {
    let mut rest = text;
    for e in expect {
        match rest.find(e) {
            Some(at) => rest = rest.get(at.saturating_add(e.len())..).unwrap_or(""),
            None => return Some(e),
        }
    }
    None
}

/// `(stack high-water, wasm3 heap used)` from the firmware's last line:
/// `fw: stack high-water N B (of M B painted), wasm3 heap used H of T B, exit S`.
fn parse_stats(text: &str) -> (Option<u64>, Option<u64>) {
    let number_after = |key: &str| -> Option<u64> {
        let at = text.rfind(key)?.saturating_add(key.len());
        text.get(at..)?.split_whitespace().next()?.parse().ok()
    };
    (
        number_after("fw: stack high-water "),
        number_after("wasm3 heap used "),
    )
}
