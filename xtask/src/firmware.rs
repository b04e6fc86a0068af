//! `cargo xtask firmware`: builds the Cortex-M firmware for both QEMU boards, runs each
//! embedded guest, checks its output and exit status, and prints the flash and RAM budgets.
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

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};

use crate::util::{cargo, cmd, describe, root, step, StepResult};

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
            "#14 guest load past the capped memory",
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

/// The host functions of the `env` module (guestmem-wasm3's `raw_host`); every
/// `wasi_snapshot_preview1` function is linked too.
const RAW_IMPORTS: [&str; 4] = ["print", "sum_points", "shape_area", "upper"];

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
        let mut clippy = firmware_cargo(board, "clippy");
        clippy.args(["--", "-D", "warnings"]);
        step(&format!("firmware: clippy {}", board.name), &mut clippy)?;
    }
    for board in &BOARDS {
        let elf = build(board)?;
        let runs = run_guests(board, &elf, &mut failures);
        let sizes = Sizes::of(board, &elf)?;
        reports.push((board, sizes, runs));
    }
    println!("\n==> firmware: sizes (release, opt-level \"s\", lto, panic = abort)");
    for (board, sizes, runs) in &reports {
        print_table(board, sizes, runs, &mut failures);
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
    for g in &GUESTS {
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
    let files: Vec<String> = GUESTS
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
    for (g, file) in GUESTS.iter().zip(&files) {
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
                    .is_some_and(|n| RAW_IMPORTS.contains(&n));
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

/// `cargo <command> --release` for `board`, run in the firmware's directory so that its
/// `.cargo/config.toml` (wasm3's configuration) applies.
fn firmware_cargo(board: &Board, command: &str) -> Command {
    let target_dir = target_dir().to_string_lossy().into_owned();
    let mut c = cargo(
        None,
        &[
            command,
            "--release",
            "--target",
            board.target,
            "--features",
            board.name,
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

/// Builds the release image for `board`; returns the ELF.
fn build(board: &Board) -> Result<PathBuf, String> {
    step(
        &format!("firmware: build {} ({})", board.name, board.target),
        &mut firmware_cargo(board, "build"),
    )?;
    Ok(target_dir()
        .join(board.target)
        .join("release")
        .join("guestmem-firmware"))
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

/// Where the flash bytes of `.text` and `.rodata` come from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Origin {
    Wasm3,
    Core,
    Binding,
    Guests,
    Firmware,
    RustStd,
    OtherCrates,
    Unattributed,
}

impl Origin {
    const ALL: [Origin; 8] = [
        Origin::Wasm3,
        Origin::Core,
        Origin::Binding,
        Origin::Guests,
        Origin::Firmware,
        Origin::RustStd,
        Origin::OtherCrates,
        Origin::Unattributed,
    ];

    fn label(self) -> &'static str {
        match self {
            Origin::Wasm3 => "wasm3 (C, symbols of libwasm3.a)",
            Origin::Core => "guestmem core (guestmem::)",
            Origin::Binding => "binding + WASI (guestmem_wasm3::)",
            Origin::Guests => "embedded guests (.wasm)",
            Origin::Firmware => "firmware crate (+ library code inlined into it)",
            Origin::RustStd => "Rust core + compiler_builtins (fmt, soft float, mem*)",
            Origin::OtherCrates => "cortex-m, cortex-m-rt, semihosting, heapless",
            Origin::Unattributed => "no symbol (anonymous constants, padding)",
        }
    }

    fn index(self) -> usize {
        Origin::ALL.iter().position(|o| *o == self).unwrap_or(0)
    }

    /// The origin of a symbol: wasm3's C names are known from its archive; Rust names are
    /// classified by the first guestmem crate their mangled name mentions (so
    /// `<firmware::Board as guestmem_wasm3::WasiHost>::write` is the firmware's).
    fn of(name: &str, wasm3: &HashSet<String>) -> Origin {
        if wasm3.contains(name) {
            return Origin::Wasm3;
        }
        if name.starts_with(".L") {
            return Origin::Unattributed; // an anonymous constant: no crate in its name
        }
        if let Some(at) = name.find("guestmem") {
            let after = name.get(at..).unwrap_or("");
            return if after.starts_with("guestmem_firmware") {
                if name.contains("_WASM") {
                    Origin::Guests
                } else {
                    Origin::Firmware
                }
            } else if after.starts_with("guestmem_wasm3") {
                Origin::Binding
            } else {
                Origin::Core
            };
        }
        const FIRMWARE_C_NAMES: [&str; 5] = ["strcmp", "strtoul", "strtoull", "main", "SysTick"];
        if FIRMWARE_C_NAMES.contains(&name) {
            return Origin::Firmware;
        }
        let other = [
            "cortex_m",
            "heapless",
            "critical_section",
            "Reset",
            "HardFault",
            "DefaultHandler",
            "DefaultPreInit",
            "__pre_init",
        ];
        if other.iter().any(|o| name.contains(o)) {
            Origin::OtherCrates
        } else {
            Origin::RustStd
        }
    }
}

/// The measured sizes of one image.
struct Sizes {
    vector_table: u64,
    text: u64,
    rodata: u64,
    data: u64,
    bss: u64,
    /// `.text` + `.rodata` bytes per [`Origin`].
    origins: [u64; 8],
    /// Names of panic machinery found in the image (must be none).
    panics: Vec<String>,
}

impl Sizes {
    fn of(board: &Board, elf: &Path) -> Result<Sizes, String> {
        let data = std::fs::read(elf).map_err(|e| format!("{}: {e}", elf.display()))?;
        let file = object::File::parse(&*data).map_err(|e| format!("{}: {e}", elf.display()))?;
        let size = |name: &str| file.section_by_name(name).map_or(0, |s| s.size());
        let wasm3 = wasm3_symbols(board)?;
        // Symbols of .text and .rodata as [start, end) intervals; aliases and overlaps are
        // counted once (thumb function addresses have bit 0 set).
        let flash_sections: Vec<_> = [".text", ".rodata"]
            .iter()
            .filter_map(|n| file.section_by_name(n).map(|s| s.index()))
            .collect();
        let mut spans = Vec::new();
        let mut panics = Vec::new();
        for sym in file.symbols() {
            let Ok(name) = sym.name() else { continue };
            if name.contains("panicking") || name.contains("panic_fmt") {
                panics.push(name.to_string());
            }
            let in_flash = sym
                .section_index()
                .is_some_and(|i| flash_sections.contains(&i));
            if !in_flash
                || sym.size() == 0
                || matches!(sym.kind(), SymbolKind::Section | SymbolKind::File)
            {
                continue;
            }
            let start = sym.address() & !1;
            spans.push((
                start,
                start.saturating_add(sym.size()),
                Origin::of(name, &wasm3),
            ));
        }
        spans.sort_by_key(|(start, end, _)| (*start, std::cmp::Reverse(*end)));
        let mut origins = [0u64; 8];
        let mut covered = 0u64;
        for (start, end, origin) in spans {
            let from = start.max(covered);
            if end > from {
                if let Some(slot) = origins.get_mut(origin.index()) {
                    *slot = slot.saturating_add(end.saturating_sub(from));
                }
                covered = end;
            }
        }
        let (text, rodata) = (size(".text"), size(".rodata"));
        // Bytes no crate can be named for: anonymous constants and what no symbol covers.
        let unattributed = Origin::Unattributed.index();
        let named: u64 = origins
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != unattributed)
            .map(|(_, bytes)| bytes)
            .sum();
        if let Some(slot) = origins.get_mut(unattributed) {
            *slot = text.saturating_add(rodata).saturating_sub(named);
        }
        Ok(Sizes {
            vector_table: size(".vector_table"),
            text,
            rodata,
            data: size(".data"),
            bss: size(".bss").saturating_add(size(".uninit")),
            origins,
            panics,
        })
    }

    fn origin(&self, o: Origin) -> u64 {
        self.origins.get(o.index()).copied().unwrap_or(0)
    }
}

/// Every symbol defined in the newest `libwasm3.a` that wasm3-sys built for `board`.
fn wasm3_symbols(board: &Board) -> Result<HashSet<String>, String> {
    let build = target_dir()
        .join(board.target)
        .join("release")
        .join("build");
    let entries = std::fs::read_dir(&build).map_err(|e| format!("{}: {e}", build.display()))?;
    let archive = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("wasm3-sys-"))
        .map(|e| e.path().join("out").join("libwasm3.a"))
        .filter(|p| p.is_file())
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .ok_or_else(|| format!("no libwasm3.a under {}", build.display()))?;
    let bytes = std::fs::read(&archive).map_err(|e| format!("{}: {e}", archive.display()))?;
    let mut names = HashSet::new();
    for member in
        ar_members(&bytes).ok_or_else(|| format!("{}: not an ar archive", archive.display()))?
    {
        if !member.starts_with(b"\x7fELF") {
            continue; // the symbol table and the long-name table
        }
        let obj = object::File::parse(member).map_err(|e| format!("{}: {e}", archive.display()))?;
        for sym in obj.symbols() {
            if sym.is_definition() && !matches!(sym.kind(), SymbolKind::Section | SymbolKind::File)
            {
                if let Ok(name) = sym.name() {
                    names.insert(name.to_string());
                }
            }
        }
    }
    Ok(names)
}

/// The members of a System V / GNU `ar` archive (`object` is built without its archive
/// reader here): `!<arch>\n`, then per member a 60-byte header whose bytes 48..58 are the
/// decimal size, and the data padded to an even length.
fn ar_members(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut rest = bytes.strip_prefix(b"!<arch>\n")?;
    let mut members = Vec::new();
    while rest.len() >= 60 {
        let header = rest.get(..60)?;
        let size: usize = std::str::from_utf8(header.get(48..58)?)
            .ok()?
            .trim()
            .parse()
            .ok()?;
        let body = rest.get(60..)?;
        members.push(body.get(..size)?);
        let padded = size.checked_add(size % 2)?;
        rest = body.get(padded.min(body.len())..)?;
    }
    Some(members)
}

fn kib(bytes: u64) -> String {
    let tenths = bytes.saturating_mul(10).saturating_add(512) / 1024;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Prints the table of one board and records the budgets it misses.
fn print_table(board: &Board, s: &Sizes, runs: &[Run], failures: &mut Vec<String>) {
    let row = |label: &str, bytes: u64, note: &str| {
        println!("  {label:<56} {bytes:>7} B {:>6} KiB  {note}", kib(bytes));
    };
    println!("\n{} ({}):", board.name, board.target);
    let flash = s
        .vector_table
        .saturating_add(s.text)
        .saturating_add(s.rodata)
        .saturating_add(s.data);
    let (flash_limit, ram_limit) = board.limits.unzip();
    let verdict =
        |used: u64, limit: Option<u64>, what: &str, failures: &mut Vec<String>| match limit {
            Some(l) if used > l => {
                failures.push(format!("{}: {what} {used} B > {l} B", board.name));
                format!("OVER the {} KiB budget", l / 1024)
            }
            Some(l) => format!("budget {} KiB: ok", l / 1024),
            None => String::new(),
        };
    println!("  flash");
    row(".text + .rodata", s.text.saturating_add(s.rodata), "");
    let by_origin = Origin::ALL.map(|o| (o, s.origin(o)));
    for (o, bytes) in by_origin {
        row(&format!("  {}", o.label()), bytes, "");
    }
    let library = s
        .origin(Origin::Core)
        .saturating_add(s.origin(Origin::Binding));
    let note = if board.library_budget {
        verdict(
            library,
            Some(LIBRARY_BUDGET),
            "guestmem core + binding + WASI",
            failures,
        )
    } else {
        String::new()
    };
    row("  = guestmem core + binding + WASI", library, &note);
    row(
        ".vector_table + .data (initial values)",
        s.vector_table.saturating_add(s.data),
        "",
    );
    let note = verdict(flash, flash_limit, "flash", failures);
    row("flash total", flash, &note);
    println!(
        "  (by symbol: code inlined across crates counts where it lands, anonymous constants \
         and C string literals under \"no symbol\")"
    );
    println!("  RAM");
    let heap_used = runs.iter().filter_map(|r| r.heap).max().unwrap_or(0);
    let (stack, deepest) = runs
        .iter()
        .filter_map(|r| r.stack.map(|st| (st, r.guest)))
        .max()
        .unwrap_or((0, "-"));
    row(".data", s.data, "");
    row(
        ".bss (wasm3's fixed heap inside)",
        s.bss,
        &format!("heap used at most {heap_used} B"),
    );
    row("stack high-water (deepest guest)", stack, deepest);
    let ram = s.data.saturating_add(s.bss).saturating_add(stack);
    let note = verdict(ram, ram_limit, "RAM", failures);
    row("RAM total", ram, &note);
    if s.panics.is_empty() {
        println!(
            "  panic: links with a handler that calls an undefined symbol; \
             no core::panicking code in the image"
        );
    } else {
        failures.push(format!(
            "{}: panic code in the image: {:?}",
            board.name, s.panics
        ));
    }
    let runs_line: Vec<String> = runs
        .iter()
        .map(|r| {
            format!(
                "{} {} ({:.2} s)",
                r.guest,
                if r.ok { "ok" } else { "FAILED" },
                r.secs
            )
        })
        .collect();
    println!("  guests: {}", runs_line.join(", "));
}
