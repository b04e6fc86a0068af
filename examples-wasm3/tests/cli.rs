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
    let bulk = run("bulk", &[]);
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
