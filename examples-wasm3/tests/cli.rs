//! Every guest through the `guestmem-wasm3` CLI: stdout, stderr and exit status; modules the
//! pre-check must reject; the exit codes 64, 65 and 70.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::arithmetic_side_effects
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn guest(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("guests")
        .join(format!("{name}.wasm"))
}

fn cli(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_guestmem-wasm3"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn run(name: &str, extra: &[&str]) -> Output {
    let path = guest(name);
    let mut args = vec!["run", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    cli(&args, b"")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A module written to the test's temporary directory.
fn temp_module(name: &str, bytes: &[u8]) -> String {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}.wasm"));
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn hello_gets_args_env_and_exit_status() {
    let out = run(
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
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "hello from a wasm3 guest: 3 argument(s)\nargv[0] = hello.wasm\nargv[1] = one\n\
         argv[2] = two words\nenv: GREETING=hi\nenv: EXIT_CODE=3\n"
    );
    assert_eq!(text(&out.stderr), "");
    let plain = run("hello", &[]);
    assert_eq!(plain.status.code(), Some(0));
    assert_eq!(
        text(&plain.stdout),
        "hello from a wasm3 guest: 1 argument(s)\nargv[0] = hello.wasm\n"
    );
}

#[test]
fn cat_copies_stdin_to_stdout() {
    let input: Vec<u8> = (0..20_000u32)
        .map(|i| b"abcdefghij\n"[(i % 11) as usize])
        .collect();
    let out = cli(&["run", guest("cat").to_str().unwrap()], &input);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, input);
    assert_eq!(text(&out.stderr), "cat: 20000 bytes\n");
}

#[test]
fn clocks_and_random() {
    let out = run("clocks", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("unknown clock 9: errno 28\n"));
    assert!(stdout.ends_with("clocks: all good\n"), "{stdout}");
}

#[test]
fn memory_growth_between_host_calls() {
    let out = run("grow", &[]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    for round in 1..=8 {
        let pages = 2 + 4 * round;
        let addr = pages * 65536 - 64;
        assert!(
            stdout.contains(&format!(
                "round {round}: {pages} pages, text at {addr:#x}\n"
            )),
            "{stdout}"
        );
    }
    assert!(stdout.contains("malloc'd 3 MiB"));
    assert!(stdout.ends_with("last bytes: xxxx\n"));
}

#[test]
fn raw_host_functions() {
    let out = run("raw", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "raw: hello through env.print\nraw: sum_points status 0\nraw: sum.x = 26\nraw: sum.y = 542\n\
         raw: rect 6x7 area = 42\nraw: square 9 area = 81\nraw: shape with kind 9 -> -28\n\
         raw: shape with flag 0x80 -> -28\nMAKE ME LOUD\nraw: upper into 4 bytes -> -61\n\
         raw: ... needed 12\nraw: upper in place -> -21\nraw: print of invalid UTF-8 -> -28\n\
         raw: print past the end of memory -> -21\nraw: sum_points out-pointer misaligned -> -28\n"
    );
}

#[test]
fn hostile_guest_gets_an_errno_for_every_call() {
    let out = run("hostile", &["--env", "A=B"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("SHOULD NOT BE PRINTED"));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 41);
    for line in &lines[..40] {
        assert!(line.ends_with(" ok"), "{line}");
    }
    assert_eq!(
        lines[40],
        "hostile: 40/40 calls answered as expected; host alive"
    );
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn rust_guest() {
    let out = run(
        "rust-hello",
        &["--env", "B=2", "--env", "EXIT_CODE=5", "--", "one"],
    );
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("rust guest: 2 argument(s): [\"rust-hello.wasm\", \"one\"]\n"),
        "{stdout}"
    );
    assert!(stdout.contains("rust guest: env B=2\n"));
    assert!(stdout.contains("(\"the\", 3)"));
    assert!(stdout.contains("realtime after 2020: true\n"));
}

#[test]
fn bench_guest_output() {
    let out = run("bench", &["--", "1000"]);
    assert_eq!(out.status.code(), Some(0));
    let line = "guestmem on wasm3: fd_write with four iovecs\n";
    assert_eq!(out.stdout, line.repeat(1000).into_bytes());
}

#[test]
fn wasm3_own_wasi_for_comparison() {
    let out = run(
        "hello",
        &["--wasi", "wasm3", "--env", "EXIT_CODE=4", "--", "x"],
    );
    // wasm3 0.4.7's WASI serves no environment: EXIT_CODE is not seen.
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "hello from a wasm3 guest: 2 argument(s)\nargv[0] = hello.wasm\nargv[1] = x\n"
    );
    let bench = run("bench", &["--wasi", "wasm3", "--", "10"]);
    assert_eq!(bench.stdout.len(), 10 * 45);
}

#[test]
fn trap_exits_70() {
    let out = run("trap", &[]);
    assert_eq!(out.status.code(), Some(70));
    assert_eq!(text(&out.stdout), "trap: about to execute unreachable\n");
    assert_eq!(text(&out.stderr), "trap: [trap] unreachable executed\n");
    let div = temp_module(
        "div",
        &wat::parse_str(
            r#"(module (func (export "_start") i32.const 1 i32.const 0 i32.div_u drop))"#,
        )
        .unwrap(),
    );
    let out = cli(&["run", &div], b"");
    assert_eq!(out.status.code(), Some(70));
    assert_eq!(text(&out.stderr), "trap: [trap] integer divide by zero\n");
}

#[test]
fn unsupported_modules_exit_65() {
    // Bulk memory as wasm3 0.4.7 sees it (the CLI lowers it by default: tests/lower.rs).
    let bulk = run("bulk", &["--no-lower"]);
    assert_eq!(bulk.status.code(), Some(65));
    assert!(
        text(&bulk.stderr).starts_with("unsupported by wasm3 0.4.7: bulk-memory: "),
        "{}",
        text(&bulk.stderr)
    );
    let cases: [(&str, &str, &str); 5] = [
        (
            "multi",
            r#"(module (func (export "_start") (result i32 i32) i32.const 1 i32.const 2))"#,
            "multi-value",
        ),
        (
            "simd",
            r#"(module (func (export "_start") v128.const i64x2 0 0 drop))"#,
            "simd",
        ),
        (
            "impmem",
            r#"(module (import "env" "memory" (memory 1)) (func (export "_start")))"#,
            "imported memory",
        ),
        (
            "unknown",
            r#"(module (import "env" "nope" (func)) (func (export "_start")))"#,
            "unsupported import env.nope",
        ),
        ("nostart", r#"(module (func (export "main")))"#, "no _start"),
    ];
    for (name, wat_text, expected) in cases {
        let path = temp_module(name, &wat::parse_str(wat_text).unwrap());
        let out = cli(&["run", &path], b"");
        assert_eq!(out.status.code(), Some(65), "{name}");
        assert!(
            text(&out.stderr).contains(expected),
            "{name}: {}",
            text(&out.stderr)
        );
    }
    let garbage = temp_module("garbage", b"\0asm\x01\0\0\0\x01\xff");
    assert_eq!(cli(&["run", &garbage], b"").status.code(), Some(65));
    let missing = cli(&["run", "/nonexistent/x.wasm"], b"");
    assert_eq!(missing.status.code(), Some(65));
    assert!(text(&missing.stderr).starts_with("cannot read /nonexistent/x.wasm"));
}

#[test]
fn bad_usage_exits_64() {
    let hello = guest("hello");
    let hello = hello.to_str().unwrap();
    for args in [
        vec![],
        vec!["run"],
        vec!["frobnicate"],
        vec!["run", hello, "--bogus"],
        vec!["run", hello, "--stack", "lots"],
        vec!["run", hello, "--wasi", "other"],
        vec!["run", hello, "--env", "NOEQUALS"],
        vec!["run", hello, "stray"],
    ] {
        let out = cli(&args, b"");
        assert_eq!(out.status.code(), Some(64), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

#[test]
fn check_lists_imports_and_exports() {
    let out = cli(&["check", guest("raw").to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).ends_with(
        "raw.wasm: ok for wasm3 0.4.7; imports: env.print env.sum_points env.shape_area env.upper; exports: _start\n"
    ));
}

/// A start function that traps (`unreachable`): `_start` would exit with 9.
const START_TRAPS: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func $boom unreachable)
  (start $boom)
  (func (export "_start") (call $exit (i32.const 9))))"#;

/// The issue's module: a trapping start function and an empty `_start`.
const START_TRAPS_BARE: &str =
    r#"(module (func $boom unreachable) (start $boom) (func (export "_start")))"#;

/// A start function that calls the imported `proc_exit(7)`: `_start` would exit with 9.
const START_EXITS: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func $init (call $exit (i32.const 7)))
  (start $init)
  (func (export "_start") (call $exit (i32.const 9))))"#;

/// A start function that writes to stdout through the imported `fd_write`, then `_start`
/// does: both lines, in order, exit 0.
const START_WRITES: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "from start\n")
  (data (i32.const 32) "from _start\n")
  (func $say (param $at i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $init (call $say (i32.const 16) (i32.const 11)))
  (start $init)
  (func (export "_start") (call $say (i32.const 32) (i32.const 12))))"#;

/// A start function whose data segment does not fit the memory: loading fails (wasm3's
/// error path after the memory is allocated), exit 65.
const DATA_PAST_MEMORY: &str = r#"(module
  (memory 1)
  (data (i32.const 65530) "past the end")
  (func $init)
  (start $init)
  (func (export "_start")))"#;

/// A module for the start-function tests and the CLI's error paths, and what it must give.
struct Case {
    name: &'static str,
    wasm: Vec<u8>,
    /// Arguments after the module.
    args: Vec<&'static str>,
    code: i32,
    stdout: &'static str,
    stderr: &'static str,
}

fn case(
    name: &'static str,
    wat_text: &str,
    args: &[&'static str],
    code: i32,
    stdout: &'static str,
    stderr: &'static str,
) -> Case {
    Case {
        name,
        wasm: wat::parse_str(wat_text).unwrap(),
        args: args.to_vec(),
        code,
        stdout,
        stderr,
    }
}

fn start_and_error_cases() -> Vec<Case> {
    const TRAP: &str = "trap: [trap] unreachable executed\n";
    const BOTH: &str = "from start\nfrom _start\n";
    const WASM3: &[&str] = &["--wasi", "wasm3"];
    vec![
        case("start-traps", START_TRAPS, &[], 70, "", TRAP),
        case("start-traps-bare", START_TRAPS_BARE, &[], 70, "", TRAP),
        case("start-traps-wasm3-wasi", START_TRAPS, WASM3, 70, "", TRAP),
        case("start-exits", START_EXITS, &[], 7, "", ""),
        case("start-exits-wasm3-wasi", START_EXITS, WASM3, 7, "", ""),
        case("start-writes", START_WRITES, &[], 0, BOTH, ""),
        case("start-writes-wasm3-wasi", START_WRITES, WASM3, 0, BOTH, ""),
        case(
            "data-past-memory",
            DATA_PAST_MEMORY,
            &[],
            65,
            "",
            "wasm3: data segment overflowing linear memory\n",
        ),
        case(
            "unlinked-import",
            r#"(module (import "env" "nope" (func)) (func (export "_start")))"#,
            &[],
            65,
            "",
            "unsupported import env.nope\n",
        ),
        case(
            "wrong-import-type",
            r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i64)))
                (func (export "_start")))"#,
            &[],
            65,
            "",
            "cannot link wasi_snapshot_preview1.proc_exit: function signature mismatch\n",
        ),
        case(
            "trap-in-start-export",
            r#"(module (func (export "_start") unreachable))"#,
            &[],
            70,
            "",
            TRAP,
        ),
    ]
}

#[test]
fn start_function_runs_after_linking_and_ends_like_start() {
    for c in start_and_error_cases() {
        let path = temp_module(c.name, &c.wasm);
        let mut args = vec!["run", path.as_str()];
        args.extend(&c.args);
        let out = cli(&args, b"");
        let name = c.name;
        assert_eq!(
            out.status.code(),
            Some(c.code),
            "{name}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), c.stdout, "{name}");
        assert_eq!(text(&out.stderr), c.stderr, "{name}");
    }
}

/// The same modules under valgrind: no invalid access, no leak (wasm3's and ours), on every
/// load, link and call error path. `cargo test -p guestmem-wasm3 --test cli -- --ignored`.
#[test]
#[ignore = "needs valgrind (Debian `valgrind`); slow"]
fn start_and_error_paths_are_clean_under_valgrind() {
    let mut cases = start_and_error_cases();
    cases.push(Case {
        name: "hello",
        wasm: std::fs::read(guest("hello")).unwrap(),
        args: vec!["--env", "EXIT_CODE=3"],
        code: 3,
        stdout: "",
        stderr: "",
    });
    for c in cases {
        let path = temp_module(&format!("valgrind-{}", c.name), &c.wasm);
        let out = Command::new("valgrind")
            .args([
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect,possible",
                "-q",
            ])
            .arg(env!("CARGO_BIN_EXE_guestmem-wasm3"))
            .args(["run", &path])
            .args(&c.args)
            .stdin(Stdio::null())
            .output()
            .expect("valgrind runs");
        let report = text(&out.stderr);
        let name = c.name;
        assert_eq!(out.status.code(), Some(c.code), "{name}: {report}");
        assert!(
            !report.contains("=="),
            "{name}: valgrind reported\n{report}"
        );
    }
}
