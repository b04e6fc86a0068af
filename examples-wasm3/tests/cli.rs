//! Every guest through the `guestmem-wasm3` CLI: stdout, stderr and exit status, the same on
//! both engines (`--engine wasm3|wasmi`); modules the pre-check must reject; the exit codes
//! 64, 65 and 70.
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
    program(env!("CARGO_BIN_EXE_guestmem-wasm3"), args, stdin)
}

/// The comparison binary, `guestmem-wasm3-c-wasi`: the same CLI on wasm3's own C WASI.
fn c_wasi(args: &[&str], stdin: &[u8]) -> Output {
    program(env!("CARGO_BIN_EXE_guestmem-wasm3-c-wasi"), args, stdin)
}

fn program(bin: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// The CLI's engines: every guest must give the same output on each.
const ENGINES: [&str; 2] = ["wasm3", "wasmi"];

/// `run` on wasm3, the default engine.
fn run(name: &str, extra: &[&str]) -> Output {
    run_on("wasm3", name, extra)
}

/// `run --engine ENGINE` of the guest `name`, with stdin `stdin`.
fn run_on_with_input(engine: &str, name: &str, extra: &[&str], stdin: &[u8]) -> Output {
    let path = guest(name);
    let mut args = vec!["run", "--engine", engine, path.to_str().unwrap()];
    args.extend_from_slice(extra);
    cli(&args, stdin)
}

/// `run --engine ENGINE` of the guest `name`, with an empty stdin.
fn run_on(engine: &str, name: &str, extra: &[&str]) -> Output {
    run_on_with_input(engine, name, extra, b"")
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
    for engine in ENGINES {
        hello_on(engine);
    }
}

fn hello_on(engine: &str) {
    let out = run_on(
        engine,
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
    assert_eq!(
        out.status.code(),
        Some(3),
        "{engine}: {}",
        text(&out.stderr)
    );
    assert_eq!(
        text(&out.stdout),
        "hello from a wasm3 guest: 3 argument(s)\nargv[0] = hello.wasm\nargv[1] = one\n\
         argv[2] = two words\nenv: GREETING=hi\nenv: EXIT_CODE=3\n"
    );
    assert_eq!(text(&out.stderr), "");
    let plain = run_on(engine, "hello", &[]);
    assert_eq!(plain.status.code(), Some(0), "{engine}");
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
    for engine in ENGINES {
        let out = run_on_with_input(engine, "cat", &[], &input);
        assert_eq!(out.status.code(), Some(0), "{engine}");
        assert!(out.stdout == input, "{engine}: stdout differs from stdin");
        assert_eq!(text(&out.stderr), "cat: 20000 bytes\n", "{engine}");
    }
}

#[test]
fn clocks_and_random() {
    for engine in ENGINES {
        let out = run_on(engine, "clocks", &[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{engine}: {}",
            text(&out.stdout)
        );
        let stdout = text(&out.stdout);
        assert!(stdout.contains("unknown clock 9: errno 28\n"), "{engine}");
        assert!(stdout.ends_with("clocks: all good\n"), "{engine}: {stdout}");
    }
}

#[test]
fn memory_growth_between_host_calls() {
    for engine in ENGINES {
        growth_seen_on(engine);
    }
}

fn growth_seen_on(engine: &str) {
    let out = run_on(engine, "grow", &[]);
    assert_eq!(out.status.code(), Some(0), "{engine}");
    let stdout = text(&out.stdout);
    for round in 1..=8 {
        let pages = 2 + 4 * round;
        let addr = pages * 65536 - 64;
        assert!(
            stdout.contains(&format!(
                "round {round}: {pages} pages, text at {addr:#x}\n"
            )),
            "{engine}: {stdout}"
        );
    }
    assert!(stdout.contains("malloc'd 3 MiB"), "{engine}");
    assert!(stdout.ends_with("last bytes: xxxx\n"), "{engine}");
}

#[test]
fn raw_host_functions() {
    for engine in ENGINES {
        raw_on(engine);
    }
}

fn raw_on(engine: &str) {
    let out = run_on(engine, "raw", &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{engine}: {}",
        text(&out.stderr)
    );
    assert_eq!(
        text(&out.stdout),
        "raw: hello through env.print\nraw: sum_points status 0\nraw: sum.x = 26\nraw: sum.y = 542\n\
         raw: rect 6x7 area = 42\nraw: square 9 area = 81\nraw: shape with kind 9 -> -28\n\
         raw: shape with flag 0x80 -> -28\nMAKE ME LOUD\nraw: upper into 4 bytes -> -61\n\
         raw: ... needed 12\nraw: upper in place -> -21\nraw: print of invalid UTF-8 -> -28\n\
         raw: print past the end of memory -> -21\nraw: sum_points out-pointer misaligned -> -28\n",
        "{engine}"
    );
}

#[test]
fn hostile_guest_gets_an_errno_for_every_call() {
    for engine in ENGINES {
        hostile_on(engine);
    }
}

/// Each line of the hostile guest names a call and says `ok` when it got its expected errno.
fn hostile_on(engine: &str) {
    let out = run_on(engine, "hostile", &["--env", "A=B"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{engine}: {stdout}");
    assert!(!stdout.contains("SHOULD NOT BE PRINTED"));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 41, "{engine}");
    for line in &lines[..40] {
        assert!(line.ends_with(" ok"), "{engine}: {line}");
    }
    assert_eq!(
        lines[40],
        "hostile: 40/40 calls answered as expected; host alive"
    );
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn rust_guest() {
    for engine in ENGINES {
        let out = run_on(
            engine,
            "rust-hello",
            &["--env", "B=2", "--env", "EXIT_CODE=5", "--", "one"],
        );
        assert_eq!(
            out.status.code(),
            Some(5),
            "{engine}: {}",
            text(&out.stderr)
        );
        let stdout = text(&out.stdout);
        assert!(
            stdout.starts_with("rust guest: 2 argument(s): [\"rust-hello.wasm\", \"one\"]\n"),
            "{engine}: {stdout}"
        );
        assert!(stdout.contains("rust guest: env B=2\n"), "{engine}");
        assert!(stdout.contains("(\"the\", 3)"), "{engine}");
        assert!(stdout.contains("realtime after 2020: true\n"), "{engine}");
    }
}

/// A fresh folder in the test's temporary directory: `data/greeting.txt` and, beside `data`,
/// `outside.txt`.
fn files_dir(name: &str) -> PathBuf {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-files-{name}"));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(base.join("data")).unwrap();
    std::fs::write(base.join("data/greeting.txt"), "hello from the host\n").unwrap();
    std::fs::write(base.join("outside.txt"), "not for the guest\n").unwrap();
    base
}

#[test]
fn rust_files_guest_reads_lists_writes_and_renames_in_its_dir_only() {
    let base = files_dir("guest");
    let dir = format!("{}::/data", base.join("data").display());
    let out = run("rust-files", &["--dir", &dir]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "read greeting.txt: hello from the host\n\
         /data holds: greeting.txt\n\
         greeting.txt: 20 bytes, a file: true\n\
         wrote new.txt, renamed it: renamed.txt says written by the guest\n\
         ../outside.txt: refused (PermissionDenied)\n"
    );
    let mut names: Vec<_> = std::fs::read_dir(base.join("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["greeting.txt", "renamed.txt"]);
    assert_eq!(
        std::fs::read_to_string(base.join("data/renamed.txt")).unwrap(),
        "written by the guest\n"
    );
    assert_eq!(
        std::fs::read_to_string(base.join("outside.txt")).unwrap(),
        "not for the guest\n"
    );
    // Without the directory, the guest finds no /data: its own error, not the host's.
    let out = run("rust-files", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

#[test]
fn dir_option_errors() {
    // A missing directory: exit 66, named.
    let out = run("rust-files", &["--dir", "/nonexistent/guestmem-dir"]);
    assert_eq!(out.status.code(), Some(66));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--dir /nonexistent/guestmem-dir: cannot open the directory"),
        "{stderr}"
    );
    // A file is not a directory.
    let base = files_dir("errors");
    let file = base.join("outside.txt");
    let out = run("rust-files", &["--dir", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(66), "{}", text(&out.stderr));
    // Empty parts: bad usage. wasm3's own WASI has no preopens: the comparison binary has
    // no --dir.
    let hello = guest("hello");
    let out = c_wasi(&["run", "--dir", "/tmp", hello.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(64), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("unknown option '--dir'"));
    for bad in [&["--dir", "::/data"][..], &["--dir", "x::"]] {
        let out = run("rust-files", bad);
        assert_eq!(
            out.status.code(),
            Some(64),
            "{bad:?}: {}",
            text(&out.stderr)
        );
    }
    // `.` as the guest's name, and the host dir as given when there is no `::`.
    let data = base.join("data");
    for dir in [format!("{}::.", data.display()), data.display().to_string()] {
        let out = run("hello", &["--dir", &dir]);
        assert_eq!(out.status.code(), Some(0), "{dir}: {}", text(&out.stderr));
    }
}

#[test]
fn bench_guest_output() {
    for engine in ENGINES {
        let out = run_on(engine, "bench", &["--", "1000"]);
        assert_eq!(out.status.code(), Some(0), "{engine}");
        let line = "guestmem on wasm3: fd_write with four iovecs\n";
        assert!(out.stdout == line.repeat(1000).into_bytes(), "{engine}");
    }
}

#[test]
fn wasm3_own_wasi_in_the_comparison_binary() {
    let hello = guest("hello");
    let hello = hello.to_str().unwrap();
    let out = c_wasi(&["run", hello, "--env", "EXIT_CODE=4", "--", "x"], b"");
    // wasm3 0.4.7's WASI serves no environment: EXIT_CODE is not seen.
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "hello from a wasm3 guest: 2 argument(s)\nargv[0] = hello.wasm\nargv[1] = x\n"
    );
    let bench = guest("bench");
    let bench = c_wasi(&["run", bench.to_str().unwrap(), "--", "10"], b"");
    assert_eq!(bench.stdout.len(), 10 * 45);
    // It runs nothing else: the hostile guest is refused before it is loaded, as is
    // hello.wasm changed in one byte. Its help says so; the checked CLI has no way to
    // link the C WASI.
    let hostile = guest("hostile");
    let out = c_wasi(&["run", hostile.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(65));
    assert_eq!(out.stdout, b"");
    assert!(text(&out.stderr).contains("not an audited guest"));
    let mut changed = std::fs::read(hello).unwrap();
    let last = changed.len() - 1;
    changed[last] ^= 1;
    let changed = temp_module("hello-changed", &changed);
    let out = c_wasi(&["run", "--no-lower", &changed], b"");
    assert_eq!(out.status.code(), Some(65), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("not an audited guest"));
    let out = c_wasi(&["run", "--no-lower", hello, "--", "y"], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let help = text(&c_wasi(&["--help"], b"").stdout);
    assert!(help.contains("audited guests"), "{help}");
    let out = cli(&["run", hello, "--wasi", "wasm3"], b"");
    assert_eq!(out.status.code(), Some(64));
    assert!(text(&out.stderr).contains("unknown option '--wasi'"));
}

#[test]
fn trap_exits_70() {
    for engine in ENGINES {
        traps_on(engine);
    }
}

fn traps_on(engine: &str) {
    let out = run_on(engine, "trap", &[]);
    assert_eq!(out.status.code(), Some(70), "{engine}");
    assert_eq!(
        text(&out.stdout),
        "trap: about to execute unreachable\n",
        "{engine}"
    );
    assert_eq!(
        text(&out.stderr),
        "trap: [trap] unreachable executed\n",
        "{engine}"
    );
    let div = temp_module(
        "div",
        &wat::parse_str(
            r#"(module (func (export "_start") i32.const 1 i32.const 0 i32.div_u drop))"#,
        )
        .unwrap(),
    );
    let out = cli(&["run", "--engine", engine, &div], b"");
    assert_eq!(out.status.code(), Some(70), "{engine}");
    assert_eq!(
        text(&out.stderr),
        "trap: [trap] integer divide by zero\n",
        "{engine}"
    );
}

#[test]
fn unsupported_modules_exit_65() {
    // Bulk memory as wasm3 0.4.7 sees it (the CLI lowers it by default: tests/lower.rs).
    let bulk = run("bulk", &["--no-lower"]);
    assert_eq!(bulk.status.code(), Some(65));
    // The message names the file, then the problem.
    let bulk_path = guest("bulk");
    assert!(
        text(&bulk.stderr).starts_with(&format!(
            "{}: unsupported by wasm3 0.4.7: bulk-memory: ",
            bulk_path.display()
        )),
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
            text(&out.stderr).starts_with(&format!("{path}: ")),
            "{name}: {}",
            text(&out.stderr)
        );
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
        vec!["run", hello, "--wasi", "wasm3"],
        vec!["run", hello, "--engine", "other"],
        vec!["run", hello, "--env", "NOEQUALS"],
        vec!["run", hello, "stray"],
    ] {
        let out = cli(&args, b"");
        assert_eq!(out.status.code(), Some(64), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}

/// `--help`, `-h` and `help`: the manual on stdout, exit 0; `--version`, `-V`: the version.
#[test]
fn help_and_version() {
    let help = cli(&["--help"], b"");
    assert_eq!(help.status.code(), Some(0));
    assert_eq!(text(&help.stderr), "");
    let manual = text(&help.stdout);
    for section in [
        "NAME\n",
        "\nSYNOPSIS\n",
        "\nCOMMANDS\n",
        "\nOPTIONS\n",
        "\nEXIT STATUS\n",
    ] {
        assert!(manual.contains(section), "{section:?} in\n{manual}");
    }
    for args in [&["-h"][..], &["help"]] {
        let out = cli(args, b"");
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(text(&out.stdout), manual, "{args:?}");
    }
    let version = format!("guestmem-wasm3 {}\n", env!("CARGO_PKG_VERSION"));
    for flag in ["--version", "-V"] {
        let out = cli(&[flag], b"");
        assert_eq!(out.status.code(), Some(0), "{flag}");
        assert_eq!(text(&out.stdout), version, "{flag}");
        assert_eq!(text(&out.stderr), "", "{flag}");
    }
}

/// The options a help text lists: the first word of each line that starts with `-` once
/// indented (`-h, --help` gives `-h,` and `--help` both).
fn listed_options(help: &str) -> Vec<String> {
    help.lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-') && !l.starts_with("-h | "))
        .flat_map(|l| {
            let flags = l.split("  ").next().unwrap();
            flags
                .split(", ")
                .map(|f| f.split(' ').next().unwrap().to_string())
        })
        .collect()
}

/// Each command's help (`COMMAND --help`, `COMMAND -h`, `help COMMAND`, and `--help`
/// anywhere on its line: nothing runs) is its part of the manual.
#[test]
fn every_command_has_its_help() {
    let manual = text(&cli(&["--help"], b"").stdout);
    let hello = guest("hello");
    for cmd in ["run", "check", "lower", "help"] {
        let out = cli(&[cmd, "--help"], b"");
        assert_eq!(out.status.code(), Some(0), "{cmd}");
        assert_eq!(text(&out.stderr), "", "{cmd}");
        let help = text(&out.stdout);
        let synopsis = help.lines().next().unwrap();
        assert!(
            synopsis.starts_with(&format!("usage: guestmem-wasm3 {cmd}")),
            "{help}"
        );
        let in_manual = format!("    {}", synopsis.trim_start_matches("usage: "));
        assert!(
            manual.contains(&in_manual),
            "{cmd}: {in_manual:?} not in the manual"
        );
        let options = listed_options(&help);
        assert!(options.iter().any(|o| o == "--help"), "{cmd}: {options:?}");
        for option in &options {
            assert!(
                manual.contains(option.as_str()),
                "{cmd}: {option} not in the manual"
            );
        }
        for args in [&[cmd, "-h"][..], &["help", cmd]] {
            assert_eq!(text(&cli(args, b"").stdout), help, "{args:?}");
        }
    }
    let out = cli(
        &["run", hello.to_str().unwrap(), "--env", "A=B", "--help"],
        b"",
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("usage: guestmem-wasm3 run "));
}

/// The README's usage block (the first `text` block under "## The CLI") is `--help`'s output.
#[test]
fn readme_usage_block_is_the_help() {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let (_, cli_section) = readme.split_once("\n## The CLI\n").unwrap();
    let (_, block) = cli_section.split_once("```text\n").unwrap();
    let (block, _) = block.split_once("```\n").unwrap();
    let help = text(&cli(&["--help"], b"").stdout);
    let (in_readme, in_help) = (listed_options(block), listed_options(&help));
    for option in &in_help {
        assert!(in_readme.contains(option), "{option} is not in the README");
    }
    for option in &in_readme {
        assert!(in_help.contains(option), "{option} is not in --help");
    }
    assert_eq!(block, help, "the README's usage block differs from --help");
}

/// A bad command line: exit 64, nothing on stdout, the problem on stderr (naming the option
/// or argument) and where help is; never a panic.
#[test]
fn usage_errors_say_what_is_wrong() {
    let hello = guest("hello");
    let hello = hello.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&[], "guestmem-wasm3: missing command"),
        (
            &["frobnicate"],
            "guestmem-wasm3: unknown command \"frobnicate\"",
        ),
        (
            &["--frobnicate"],
            "guestmem-wasm3: unknown option '--frobnicate'",
        ),
        (&["-x"], "guestmem-wasm3: unknown option '-x'"),
        (&["run"], "guestmem-wasm3 run: missing <module.wasm>"),
        (
            &["run", hello, "--bogus"],
            "guestmem-wasm3 run: unknown option '--bogus'",
        ),
        (
            &["run", "-q", hello],
            "guestmem-wasm3 run: unknown option '-q'",
        ),
        (
            &["run", hello, "stray"],
            "unexpected argument \"stray\" (the guest's arguments go after --)",
        ),
        (
            &["run", hello, "--env"],
            "missing argument for option '--env'",
        ),
        (
            &["run", hello, "--env", "=V"],
            "--env needs KEY=VALUE, not \"=V\"",
        ),
        (
            &["run", hello, "--stack", "100"],
            "--stack needs a number of bytes >= 4096, not \"100\"",
        ),
        (
            &["run", hello, "--stack", "-1"],
            "--stack needs a number of bytes >= 4096",
        ),
        (
            &["run", hello, "--wasi", "wasm3"],
            "unknown option '--wasi'",
        ),
        (
            &["run", hello, "--engine", "v8"],
            "--engine needs wasm3 or wasmi, not \"v8\"",
        ),
        (
            &["run", hello, "--no-lower=yes"],
            "unexpected argument for option '--no-lower'",
        ),
        (
            &["run", "--", hello],
            "guestmem-wasm3 run: missing <module.wasm>",
        ),
        (&["check"], "guestmem-wasm3 check: missing <module.wasm>"),
        (
            &["check", hello, "--bogus"],
            "guestmem-wasm3 check: unknown option '--bogus'",
        ),
        (
            &["lower"],
            "guestmem-wasm3 lower: missing <in.wasm> and <out.wasm>",
        ),
        (
            &["lower", hello],
            "guestmem-wasm3 lower: missing <out.wasm>",
        ),
        (
            &["lower", hello, "a", "b"],
            "guestmem-wasm3 lower: unexpected argument \"b\"",
        ),
        (
            &["lower", "--lower", hello, "a"],
            "guestmem-wasm3 lower: unknown option '--lower'",
        ),
        (
            &["help", "frobnicate"],
            "guestmem-wasm3 help: unknown command \"frobnicate\"",
        ),
    ];
    for (args, problem) in cases {
        let out = cli(args, b"");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {stderr}");
        assert_eq!(text(&out.stdout), "", "{args:?}");
        assert!(
            stderr.contains(problem),
            "{args:?}: {stderr:?} lacks {problem:?}"
        );
        assert!(
            stderr.contains(" --help' for more information.\n"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// Options before the module or after it, `--opt=value`, and everything after `--` (options
/// too) to the guest.
#[test]
fn options_anywhere_and_guest_arguments_after_double_dash() {
    let hello = guest("hello");
    let hello = hello.to_str().unwrap();
    let out = cli(
        &[
            "run",
            "--env=GREETING=hi",
            hello,
            "--stack=65536",
            "--",
            "--help",
            "-V",
            "--",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "hello from a wasm3 guest: 4 argument(s)\nargv[0] = hello.wasm\nargv[1] = --help\n\
         argv[2] = -V\nargv[3] = --\nenv: GREETING=hi\n"
    );
}

/// Whatever the module file holds, or when there is none, `run`, `check` and `lower` end with
/// 65 and a message naming the file and the problem; never a panic.
#[test]
fn bad_module_files_are_named_never_a_panic() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-a-directory.wasm");
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.to_str().unwrap().to_string();
    let unreadable = [
        ("/nonexistent/x.wasm".to_string(), "No such file"),
        (dir, "directory"),
    ];
    let invalid = [
        temp_module("empty", b""),
        temp_module("text", b"(module)\n"),
        temp_module("short", b"\0as"),
        temp_module("version-2", b"\0asm\x02\0\0\0"),
        temp_module("truncated", b"\0asm\x01\0\0\0\x01\x85\x80\x80"),
        temp_module("huge-count", b"\0asm\x01\0\0\0\x01\x05\xff\xff\xff\xff\x0f"),
        temp_module("bad-section", b"\0asm\x01\0\0\0\x7f\x00"),
        temp_module(
            "body-past-end",
            b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0\x03\x02\x01\0\x0a\x09\x01\x20\0\x0b",
        ),
    ];
    let out_file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-bad-lowered.wasm");
    let out_file = out_file.to_str().unwrap();
    // Each command, and whether the comparison binary (wasm3's C WASI) runs it.
    let commands = |path: &str| -> Vec<(bool, Vec<String>)> {
        [
            (false, &["run", path][..]),
            (false, &["run", "--no-lower", path]),
            (true, &["run", path]),
            (false, &["check", path]),
            (false, &["check", "--lower", path]),
            (false, &["lower", path, out_file]),
        ]
        .iter()
        .map(|(c, a)| (*c, a.iter().map(|s| s.to_string()).collect()))
        .collect()
    };
    let expect = |(on_c_wasi, args): &(bool, Vec<String>), prefix: &str, problem: &str| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = if *on_c_wasi {
            c_wasi(&args, b"")
        } else {
            cli(&args, b"")
        };
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(65), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with(prefix),
            "{args:?}: {stderr:?} lacks {prefix:?}"
        );
        assert!(
            stderr.contains(problem),
            "{args:?}: {stderr:?} lacks {problem:?}"
        );
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    };
    for (path, problem) in &unreadable {
        for command in commands(path) {
            expect(&command, &format!("cannot read {path}: "), problem);
        }
    }
    for path in &invalid {
        for command in commands(path) {
            expect(&command, &format!("{path}: "), "");
        }
    }
}

/// `lower` names the output it cannot write: exit 73.
#[test]
fn lower_cannot_write_exits_73() {
    let hello = guest("hello");
    let out = cli(
        &["lower", hello.to_str().unwrap(), "/nonexistent/out.wasm"],
        b"",
    );
    assert_eq!(out.status.code(), Some(73));
    assert!(
        text(&out.stderr).starts_with("cannot write /nonexistent/out.wasm: "),
        "{}",
        text(&out.stderr)
    );
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
#[derive(Clone)]
struct Case {
    name: &'static str,
    wasm: Vec<u8>,
    /// Arguments after the module.
    args: Vec<&'static str>,
    /// Run by the comparison binary, on wasm3's own C WASI (wasm3 only).
    c_wasi: bool,
    code: i32,
    stdout: &'static str,
    /// `MODULE` stands for the module's path.
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
        c_wasi: false,
        code,
        stdout,
        stderr,
    }
}

impl Case {
    /// The case, run by `guestmem-wasm3-c-wasi`.
    fn on_c_wasi(self) -> Case {
        Case {
            c_wasi: true,
            ..self
        }
    }
}

fn start_and_error_cases() -> Vec<Case> {
    const TRAP: &str = "trap: [trap] unreachable executed\n";
    const BOTH: &str = "from start\nfrom _start\n";
    const NOT_AUDITED: &str = "MODULE: not an audited guest: guestmem-wasm3-c-wasi runs wasm3's \
                               C WASI, which checks no guest pointer, only for hello.wasm and \
                               bench.wasm\n";
    vec![
        case("start-traps", START_TRAPS, &[], 70, "", TRAP),
        case("start-traps-bare", START_TRAPS_BARE, &[], 70, "", TRAP),
        case("start-exits", START_EXITS, &[], 7, "", ""),
        case("start-writes", START_WRITES, &[], 0, BOTH, ""),
        // wasm3's C WASI runs only the audited guests: any other module is refused before
        // it is loaded (its start function would write "from start").
        case(
            "start-writes-c-wasi",
            START_WRITES,
            &[],
            65,
            "",
            NOT_AUDITED,
        )
        .on_c_wasi(),
        case(
            "data-past-memory",
            DATA_PAST_MEMORY,
            &[],
            65,
            "",
            "MODULE: invalid module: data segment out of bounds: 12 bytes at offset 0xfffa in a \
             memory of 65536 bytes (instantiation fails) (in the lowered module)\n",
        ),
        case(
            "unlinked-import",
            r#"(module (import "env" "nope" (func)) (func (export "_start")))"#,
            &[],
            65,
            "",
            "MODULE: unsupported import env.nope\n",
        ),
        case(
            "wrong-import-type",
            r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i64)))
                (func (export "_start")))"#,
            &[],
            65,
            "",
            "MODULE: cannot link wasi_snapshot_preview1.proc_exit: function signature mismatch\n",
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
    for engine in ENGINES {
        start_cases_on(engine);
    }
}

/// The start and error cases on `engine`: on wasmi, all but those of wasm3's own WASI, and
/// with wasmi's words where a module is invalid (wasm3's come from the lowering validator).
fn start_cases_on(engine: &str) {
    for mut c in start_and_error_cases() {
        if engine == "wasmi" {
            if c.c_wasi {
                continue;
            }
            if c.name == "data-past-memory" {
                c.stderr = "MODULE: invalid module: out of bounds memory access\n";
            }
        }
        let path = temp_module(c.name, &c.wasm);
        let mut args = vec!["run", path.as_str()];
        args.extend(&c.args);
        let out = if c.c_wasi {
            c_wasi(&args, b"")
        } else {
            args.extend(["--engine", engine]);
            cli(&args, b"")
        };
        let name = format!("{engine}: {}", c.name);
        assert_eq!(
            out.status.code(),
            Some(c.code),
            "{name}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), c.stdout, "{name}");
        assert_eq!(
            text(&out.stderr),
            c.stderr.replace("MODULE", &path),
            "{name}"
        );
    }
}

/// The same modules under valgrind: no invalid access, no leak (wasm3's and ours), on every
/// load, link and call error path. `cargo test -p guestmem-wasm3 --test cli -- --ignored`.
#[test]
#[ignore = "needs valgrind (Debian `valgrind`); slow"]
fn start_and_error_paths_are_clean_under_valgrind() {
    let mut cases = start_and_error_cases();
    let hello = Case {
        name: "hello",
        wasm: std::fs::read(guest("hello")).unwrap(),
        args: vec!["--env", "EXIT_CODE=3"],
        c_wasi: false,
        code: 3,
        stdout: "",
        stderr: "",
    };
    // wasm3's C WASI serves no environment: EXIT_CODE is not seen.
    let hello_on_c_wasi = Case {
        name: "hello-c-wasi",
        wasm: hello.wasm.clone(),
        code: 0,
        ..hello.clone()
    }
    .on_c_wasi();
    cases.extend([hello, hello_on_c_wasi]);
    for c in cases {
        let path = temp_module(&format!("valgrind-{}", c.name), &c.wasm);
        let out = Command::new("valgrind")
            .args([
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect,possible",
                "-q",
            ])
            .arg(if c.c_wasi {
                env!("CARGO_BIN_EXE_guestmem-wasm3-c-wasi")
            } else {
                env!("CARGO_BIN_EXE_guestmem-wasm3")
            })
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

/// A module using bulk memory (`memory.fill`, `memory.copy`, `memory.init`, `data.drop`) and
/// reference types (`ref.func`, `table.set`, `call_indirect` through a table grown at run
/// time), that prints what it built.
const MODERN: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table $t 0 funcref)
  (data $d "bulk!")
  (type $say_t (func (param i32 i32)))
  (func $say (type $say_t) (param $at i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (elem declare func $say)
  (func (export "_start")
    (memory.fill (i32.const 100) (i32.const 61) (i32.const 4))
    (memory.init $d (i32.const 104) (i32.const 0) (i32.const 5))
    (data.drop $d)
    (i32.store8 (i32.const 109) (i32.const 10))
    (memory.copy (i32.const 200) (i32.const 100) (i32.const 10))
    (drop (table.grow $t (ref.null func) (i32.const 1)))
    (table.set $t (i32.const 0) (ref.func $say))
    (call_indirect $t (type $say_t) (i32.const 200) (i32.const 10) (i32.const 0))))"#;

/// Modern modules run on wasmi as they are (no lowering); wasm3 0.4.7 refuses them unlowered.
#[test]
fn modern_modules_run_unlowered_on_wasmi() {
    let modern = temp_module("modern", &wat::parse_str(MODERN).unwrap());
    let out = cli(&["run", "--engine", "wasmi", &modern], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "====bulk!\n");
    let refused = cli(&["run", "--no-lower", &modern], b"");
    assert_eq!(refused.status.code(), Some(65), "{}", text(&refused.stderr));
    let bulk = run_on("wasmi", "bulk", &["--no-lower"]);
    assert_eq!(bulk.status.code(), Some(0), "{}", text(&bulk.stderr));
    assert_eq!(text(&bulk.stderr), "");
}
