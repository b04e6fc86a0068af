//! The wasm3 example's commands: `guests` (rebuild the guest modules), the demo, and the WASI
//! `fd_write` benchmark. Owned by the wasm3 example (examples-wasm3/).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::util::{build_cli, c_wasi_path, cargo, cli_path, cmd, describe, root, step, StepResult};

/// Where the guests' sources and built modules live, relative to the workspace root.
const GUESTS: &str = "examples-wasm3/guests";

/// C guests that use WASI (built with Debian's clang-14 and wasi-libc).
const C_WASI_GUESTS: [&str; 7] = ["hello", "cat", "clocks", "grow", "hostile", "bench", "trap"];

/// The flags of every C guest: MVP output (clang-14's default), no debug info, no name
/// section (so wasm3 cannot find unexported functions by name).
const C_FLAGS: [&str; 2] = ["-O2", "-Wl,--strip-all"];

/// `cargo xtask guests [NAME...]`: rebuilds the guest modules from their sources (all, or
/// those named), then checks every module with the CLI's validator.
pub fn guests(args: &[String]) -> StepResult {
    let wanted = |name: &str| args.is_empty() || args.iter().any(|a| a == name);
    for name in C_WASI_GUESTS.iter().copied().filter(|n| wanted(n)) {
        let (src, out) = (
            format!("{GUESTS}/{name}.c"),
            format!("{GUESTS}/{name}.wasm"),
        );
        let mut c = cmd("clang-14", &["--target=wasm32-wasi"]);
        c.args(C_FLAGS).args(["-o", &out, &src]);
        step(&format!("guest {name} (C, WASI)"), &mut c)?;
    }
    if wanted("raw") {
        let mut c = cmd(
            "clang-14",
            &["--target=wasm32", "-nostdlib", "-Wl,--no-entry"],
        );
        c.args(C_FLAGS).args([
            "-o",
            &format!("{GUESTS}/raw.wasm"),
            &format!("{GUESTS}/raw.c"),
        ]);
        step("guest raw (C, no WASI, no libc)", &mut c)?;
    }
    if wanted("bulk") {
        let mut c = cmd(
            "clang-14",
            &[
                "--target=wasm32",
                "-mbulk-memory",
                "-nostdlib",
                "-Wl,--no-entry",
            ],
        );
        c.args(C_FLAGS).args([
            "-o",
            &format!("{GUESTS}/bulk.wasm"),
            &format!("{GUESTS}/bulk.c"),
        ]);
        step(
            "guest bulk (C with -mbulk-memory: must be rejected)",
            &mut c,
        )?;
    }
    if wanted("rust-hello") {
        rust_guest("rust-hello")?;
    }
    if wanted("rust-files") {
        stable_rust_guest("rust-files")?;
    }
    let mut check = cargo(
        None,
        &[
            "run",
            "--quiet",
            "--release",
            "-p",
            "guestmem-wasm3",
            "--",
            "check",
        ],
    );
    for name in all_guests().iter().filter(|n| n.as_str() != "bulk") {
        check.arg(format!("{GUESTS}/{name}.wasm"));
    }
    step(
        "check: every guest (but bulk) is a module wasm3 0.4.7 runs",
        &mut check,
    )
}

/// Every guest module's name.
fn all_guests() -> Vec<String> {
    let mut names: Vec<String> = C_WASI_GUESTS.iter().map(|s| (*s).to_string()).collect();
    names.extend(["raw", "bulk", "rust-hello", "rust-files"].map(String::from));
    names
}

/// Builds the Rust guest `name` for MVP wasm32-wasip1 with nightly `-Zbuild-std` (the shipped
/// std uses bulk memory and padded table indices) and copies it next to its sources.
fn rust_guest(name: &str) -> StepResult {
    let target_dir = root().join("target/wasm3-guests");
    let manifest = format!("{GUESTS}/{name}/Cargo.toml");
    let mut c = cargo(
        Some("nightly"),
        &[
            "build",
            "--release",
            "-Zbuild-std=std,panic_abort",
            "--target",
            "wasm32-wasip1",
            "--manifest-path",
            &manifest,
        ],
    );
    c.env("RUSTFLAGS", "-C target-cpu=mvp -L /usr/lib/wasm32-wasi")
        .env("CARGO_TARGET_DIR", &target_dir)
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .env_remove("RUSTC_WRAPPER");
    step(
        &format!("guest {name} (Rust, nightly -Zbuild-std, MVP)"),
        &mut c,
    )?;
    let built = target_dir.join(format!("wasm32-wasip1/release/{name}.wasm"));
    let dest = root().join(format!("{GUESTS}/{name}.wasm"));
    std::fs::copy(&built, &dest)
        .map(|_| ())
        .map_err(|e| format!("copy {} to {}: {e}", built.display(), dest.display()))
}

/// Builds the Rust guest `name` with stable Rust for wasm32-wasip1 as shipped (bulk memory and
/// all: `guestmem-wasm3 run` lowers it) and copies it next to its sources. Adds the target to
/// the stable toolchain first.
fn stable_rust_guest(name: &str) -> StepResult {
    step(
        "rustup target add wasm32-wasip1 (stable)",
        &mut cmd(
            "rustup",
            &["target", "add", "--toolchain", "stable", "wasm32-wasip1"],
        ),
    )?;
    let target_dir = root().join("target/wasm3-guests");
    let manifest = format!("{GUESTS}/{name}/Cargo.toml");
    let mut c = cargo(
        Some("stable"),
        &[
            "build",
            "--release",
            "--target",
            "wasm32-wasip1",
            "--manifest-path",
            &manifest,
        ],
    );
    c.env("CARGO_TARGET_DIR", &target_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .env_remove("RUSTC_WRAPPER");
    step(
        &format!("guest {name} (Rust, stable wasm32-wasip1)"),
        &mut c,
    )?;
    let built = target_dir.join(format!("wasm32-wasip1/release/{name}.wasm"));
    let dest = root().join(format!("{GUESTS}/{name}.wasm"));
    std::fs::copy(&built, &dest)
        .map(|_| ())
        .map_err(|e| format!("copy {} to {}: {e}", built.display(), dest.display()))
}

/// A fresh folder for the rust-files demo, `target/wasm3-demo/files`: `data/greeting.txt`
/// (preopened as `/data`) and `outside.txt` beside it, which the guest must not reach.
fn files_demo_dir() -> Result<std::path::PathBuf, String> {
    let base = root().join("target/wasm3-demo/files");
    let _ = std::fs::remove_dir_all(&base);
    let data = base.join("data");
    let io = |e: std::io::Error| format!("{}: {e}", base.display());
    std::fs::create_dir_all(&data).map_err(io)?;
    std::fs::write(data.join("greeting.txt"), "hello from the host\n").map_err(io)?;
    std::fs::write(base.join("outside.txt"), "not for the guest\n").map_err(io)?;
    Ok(data)
}

/// `guestmem-wasm3 run <guest> ARGS...` from the workspace root.
fn run_guest(cli: &Path, guest: &str, args: &[&str]) -> Command {
    let mut c = Command::new(cli);
    c.current_dir(root()).arg("run");
    c.arg(format!("{GUESTS}/{guest}.wasm"));
    c.args(args);
    c
}

/// `guestmem-wasm3 run --engine ENGINE <guest> ARGS...` from the workspace root.
fn run_guest_on(cli: &Path, engine: &str, guest: &str, args: &[&str]) -> Command {
    let mut c = run_guest(cli, guest, &["--engine", engine]);
    c.args(args);
    c
}

/// The same guests on wasmi (`--engine wasmi`): the same host functions through
/// guestmem-wasmi's glue, modules as they are (no lowering).
fn wasmi_demo(cli: &Path) -> StepResult {
    let stdin_file = root().join(format!("{GUESTS}/cat-input.txt"));
    let stdin = std::fs::File::open(&stdin_file)
        .map_err(|e| format!("open {}: {e}", stdin_file.display()))?;
    let mut cat = run_guest_on(cli, "wasmi", "cat", &[]);
    cat.stdin(Stdio::from(stdin));
    let demos: Vec<(&str, &str, Command, Option<i32>)> = vec![
        (
            "hello on wasmi",
            "the same WASI functions, linked into wasmi by one glue (Linker::func_new per HostFn)",
            run_guest_on(
                cli,
                "wasmi",
                "hello",
                &[
                    "--env",
                    "GREETING=hi",
                    "--env",
                    "EXIT_CODE=3",
                    "--",
                    "one",
                    "two words",
                ],
            ),
            Some(3),
        ),
        (
            "cat on wasmi",
            "fd_read/fd_write over wasmi's memory, borrowed with the context (data_and_store_mut)",
            cat,
            Some(0),
        ),
        (
            "clocks on wasmi",
            "clocks, random_get, sched_yield",
            run_guest_on(cli, "wasmi", "clocks", &[]),
            Some(0),
        ),
        (
            "grow on wasmi",
            "memory.grow between host calls: a fresh GuestFrame per call sees the new pages",
            run_guest_on(cli, "wasmi", "grow", &[]),
            Some(0),
        ),
        (
            "raw on wasmi",
            "the env host functions of guestmem-example-host, unchanged",
            run_guest_on(cli, "wasmi", "raw", &[]),
            Some(0),
        ),
        (
            "hostile on wasmi",
            "the same 40 bad calls, the same errnos",
            run_guest_on(cli, "wasmi", "hostile", &["--env", "A=B"]),
            Some(0),
        ),
        (
            "rust-hello on wasmi",
            "a Rust std program",
            run_guest_on(
                cli,
                "wasmi",
                "rust-hello",
                &["--env", "LANG=C", "--", "from", "rust"],
            ),
            Some(0),
        ),
        (
            "rust-files on wasmi",
            "the same sandboxed --dir: read, list, stat, write, rename; ../ refused",
            {
                let dir = format!("{}::/data", files_demo_dir()?.display());
                run_guest_on(cli, "wasmi", "rust-files", &["--dir", &dir])
            },
            Some(0),
        ),
        (
            "trap on wasmi",
            "the same `trap: [trap] unreachable executed` and exit 70",
            run_guest_on(cli, "wasmi", "trap", &[]),
            Some(70),
        ),
        (
            "bulk on wasmi, not lowered",
            "bulk memory runs as it is on wasmi",
            run_guest_on(cli, "wasmi", "bulk", &["--no-lower"]),
            Some(0),
        ),
    ];
    for (name, what, mut command, status) in demos {
        expect(name, what, &mut command, status)?;
    }
    Ok(())
}

/// Runs `command` as a demo step that must end with `status` (`None`: killed by a signal).
fn expect(name: &str, what: &str, command: &mut Command, status: Option<i32>) -> StepResult {
    println!(
        "\n==> {name}\n    proves: {what}\n    $ {}",
        describe(command)
    );
    let got = command
        .status()
        .map_err(|e| format!("{name}: cannot start: {e}"))?;
    let shown = got
        .code()
        .map_or_else(|| format!("killed ({got})"), |c| format!("exit {c}"));
    if got.code() == status {
        println!("<== {name}: {shown}, as expected");
        Ok(())
    } else {
        Err(format!("{name}: {shown}, expected {status:?}"))
    }
}

/// `cargo xtask demo`: builds the CLI and runs every guest, saying what each proves.
pub fn demo() -> StepResult {
    build_cli()?;
    let cli = cli_path();
    let stdin_file = root().join(format!("{GUESTS}/cat-input.txt"));
    let stdin = std::fs::File::open(&stdin_file)
        .map_err(|e| format!("open {}: {e}", stdin_file.display()))?;
    let demos: Vec<(&str, &str, Command, Option<i32>)> = vec![
        (
            "hello (C)",
            "argv (argv[0] = file name), environment and stdout through guestmem's WASI; the proc_exit status becomes the exit status",
            run_guest(&cli, "hello", &["--env", "GREETING=hi", "--env", "EXIT_CODE=3", "--", "one", "two words"]),
            Some(3),
        ),
        (
            "cat (C)",
            "fd_read from stdin into guest memory, fd_write to stdout",
            {
                let mut c = run_guest(&cli, "cat", &[]);
                c.stdin(Stdio::from(stdin));
                c
            },
            Some(0),
        ),
        (
            "clocks (C)",
            "clock_res_get/clock_time_get for realtime, monotonic, process and thread CPU time; random_get; sched_yield",
            run_guest(&cli, "clocks", &[]),
            Some(0),
        ),
        (
            "grow (C)",
            "memory.grow moves wasm3's memory between host calls; every fd_write reads the new pages (base() asked on every access)",
            run_guest(&cli, "grow", &[]),
            Some(0),
        ),
        (
            "raw (C, no WASI)",
            "host functions over strings, arrays of guest_struct!s, guest_enum!/guest_flags! fields and out-pointers; bad values get errnos, overlapping views are refused",
            run_guest(&cli, "raw", &[]),
            Some(0),
        ),
        (
            "hostile (C)",
            "40 calls with bad pointers/lengths: every one answered with the right errno, nothing written, host alive",
            run_guest(&cli, "hostile", &["--env", "A=B"]),
            Some(0),
        ),
        (
            "rust-hello (Rust, nightly -Zbuild-std, MVP)",
            "a Rust std program runs: args, env, clocks, HashMap seeded by random_get",
            run_guest(&cli, "rust-hello", &["--env", "LANG=C", "--", "from", "rust"]),
            Some(0),
        ),
        (
            "rust-files (Rust, stable wasm32-wasip1, lowered)",
            "--dir DIR::/data: read a file, list the directory, stat, write and rename a file; ../ is refused",
            {
                let dir = format!("{}::/data", files_demo_dir()?.display());
                run_guest(&cli, "rust-files", &["--dir", &dir])
            },
            Some(0),
        ),
        (
            "trap (C)",
            "a trap ends the run with `trap: <message>` on stderr and exit 70",
            run_guest(&cli, "trap", &[]),
            Some(70),
        ),
        (
            "bulk (C, -mbulk-memory), lowered",
            "memory.copy/memory.fill lowered to MVP helpers at load: the module wasm3 0.4.7 would crash on runs",
            run_guest(&cli, "bulk", &[]),
            Some(0),
        ),
        (
            "bulk with --no-lower",
            "without lowering, pre-validation rejects it, naming the feature (exit 65)",
            run_guest(&cli, "bulk", &["--no-lower"]),
            Some(65),
        ),
        (
            "hello on guestmem-wasm3-c-wasi",
            "the same guest on wasm3's own C WASI (the comparison binary), for comparison",
            run_guest(&c_wasi_path(), "hello", &["--", "one"]),
            Some(0),
        ),
        (
            "hostile on guestmem-wasm3-c-wasi",
            "wasm3's C WASI checks no guest pointer, so the comparison binary runs only the audited guests: refused before it loads (exit 65)",
            run_guest(&c_wasi_path(), "hostile", &[]),
            Some(65),
        ),
    ];
    for (name, what, mut command, status) in demos {
        expect(name, what, &mut command, status)?;
    }
    wasmi_demo(&cli)?;
    Ok(())
}

/// Median of `samples` (sorted here).
fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The benchmark's configurations: a column name, whether the comparison binary
/// (`guestmem-wasm3-c-wasi`) runs it, and the `run` options that select it.
const BENCH_CONFIGS: [(&str, bool, &[&str]); 3] = [
    ("guestmem WASI on wasm3", false, &[]),
    ("wasm3's C WASI", true, &[]),
    ("guestmem WASI on wasmi", false, &["--engine", "wasmi"]),
];

/// The binary that runs a configuration.
fn program(c_wasi: bool) -> PathBuf {
    if c_wasi {
        c_wasi_path()
    } else {
        cli_path()
    }
}

/// Wall time of one benchmark run, in milliseconds.
fn wall_ms(cli: &Path, config: &[&str], rounds: &str) -> Result<f64, String> {
    let mut c = run_guest(cli, "bench", config);
    c.args(["--", rounds]);
    c.stdout(Stdio::null());
    let start = Instant::now();
    let status = c
        .status()
        .map_err(|e| format!("bench: cannot start: {e}"))?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    if status.success() {
        Ok(ms)
    } else {
        Err(format!("bench {}: {status}", config.join(" ")))
    }
}

/// Instructions of one run under callgrind, or `None` without valgrind.
fn instructions(cli: &Path, config: &[&str], rounds: &str) -> Option<u64> {
    let out = Command::new("valgrind")
        .current_dir(root())
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(cli)
        .args(["run", &format!("{GUESTS}/bench.wasm")])
        .args(config)
        .args(["--", rounds])
        .stdout(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    text.lines()
        .find_map(|l| {
            l.split_once("Collected :")
                .map(|(_, n)| n.trim().to_string())
        })
        .and_then(|n| n.parse().ok())
}

/// `cargo xtask wasi-bench [ROUNDS]`: the fd_write benchmark guest (ROUNDS calls of 4 iovecs,
/// output to /dev/null) on guestmem's WASI on wasm3, on wasm3's C WASI, and on guestmem's WASI
/// on wasmi; wall-time medians of 7 runs, and
/// instruction counts under callgrind (ROUNDS/10 calls) when valgrind is installed.
pub fn bench(args: &[String]) -> StepResult {
    // `--quick` (from `cargo xtask bench --quick`) runs a quarter of the calls.
    let quick = args.iter().any(|a| a == "--quick");
    let rounds = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map_or(if quick { "50000" } else { "200000" }, String::as_str);
    let rounds_n: u64 = rounds
        .parse()
        .map_err(|_| format!("bench: bad ROUNDS {rounds}"))?;
    let cg_rounds = (rounds_n / 10).max(1).to_string();
    build_cli()?;
    let mut walls = Vec::new();
    for (_, c_wasi, config) in BENCH_CONFIGS {
        let cli = program(c_wasi);
        wall_ms(&cli, config, rounds)?; // warm up the page cache
        let mut samples = (0..7)
            .map(|_| wall_ms(&cli, config, rounds))
            .collect::<Result<Vec<_>, _>>()?;
        walls.push(median(&mut samples));
    }
    let counts: Vec<Option<u64>> = BENCH_CONFIGS
        .iter()
        .map(|&(_, c_wasi, config)| instructions(&program(c_wasi), config, &cg_rounds))
        .collect();
    println!("\nfd_write benchmark: {rounds} calls x 4 iovecs to /dev/null (callgrind: {cg_rounds} calls)");
    println!("(one release binary: the Rust code at opt-level 3, wasm3's C, both WASIs included, at -O3)");
    println!(
        "(ratios against guestmem's WASI on wasm3; per call: the whole process's count / calls)"
    );
    print!("| measure |");
    for (name, c_wasi, config) in BENCH_CONFIGS {
        let bin = program(c_wasi);
        let bin = bin.file_name().unwrap_or_default().to_string_lossy();
        print!(" {name} (`{bin} run {}`) |", config.join(" "));
    }
    println!("\n|---|---:|---:|---:|");
    let row = |name: &str, cells: Vec<String>| println!("| {name} | {} |", cells.join(" | "));
    let base = walls.first().copied().unwrap_or(f64::NAN);
    row(
        "wall time, median of 7 (ms)",
        walls
            .iter()
            .map(|w| format!("{w:.1} ({:.2}x)", w / base))
            .collect(),
    );
    if counts.iter().all(Option::is_some) {
        let counts: Vec<u64> = counts.into_iter().flatten().collect();
        // Counts are far below 2^53: exact in f64.
        #[allow(clippy::as_conversions)]
        let (base, calls) = (
            counts.first().copied().unwrap_or(0) as f64,
            cg_rounds.parse::<f64>().unwrap_or(f64::NAN),
        );
        #[allow(clippy::as_conversions)]
        row(
            "instructions (callgrind, whole process)",
            counts
                .iter()
                .map(|&n| format!("{n} ({:.2}x)", n as f64 / base))
                .collect(),
        );
        #[allow(clippy::as_conversions)]
        row(
            "instructions per call (whole process / calls)",
            counts
                .iter()
                .map(|&n| format!("{:.0}", n as f64 / calls))
                .collect(),
        );
    } else {
        println!("| instructions | valgrind not available | | |");
    }
    Ok(())
}
