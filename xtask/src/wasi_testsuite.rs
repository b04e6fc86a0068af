//! `cargo xtask wasi-testsuite [OPTIONS] [DIR...]`: runs the WASI test suite's prebuilt
//! preview1 programs on the wasm3 example's CLI and says which pass.
//!
//! Each `NAME.wasm` under a DIR (searched recursively; a `*.dir` folder is a test's file tree,
//! not tests) is a test; `NAME.json` beside it, when there, says how to run it and what to
//! expect (the suite's "legacy" format): `args` (a list of strings), `env` (an object of
//! strings), `root` (a folder, relative to the json, preopened as `/`: a fresh copy of it, since
//! tests write in it), `exit_code` (default 0) and `stdout` (compared when given). A test passes
//! when it exits with `exit_code` within the timeout and, if `stdout` is given, prints exactly
//! that.
//!
//! The default DIR is the suite's copy in the shared folder beside the workspace
//! (`../shared/wasi-testsuite`), or `GUESTMEM_WASI_TESTSUITE`. With `--check` (the
//! `cargo xtask test` step), the run fails if a test listed in [`EXPECTED`] does not pass or is
//! not found, and names the tests that pass but are not listed, so that the list can be raised;
//! `--bless` rewrites the list with the tests that pass.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{build_cli, cargo, cli_path, record_pass, root, step, target_dir, StepResult};

/// The list of the tests expected to pass, relative to the workspace root.
const EXPECTED: &str = "xtask/wasi-testsuite.expected";

/// The header of [`EXPECTED`], written by `--bless`.
const EXPECTED_HEADER: &str = "\
# The WASI test suite's tests that must pass on guestmem-wasm3 (`cargo xtask wasi-testsuite
# --check`, a step of `cargo xtask test`), relative to ../shared/wasi-testsuite, one a line.
# Refresh after a change that makes more pass: `cargo xtask wasi-testsuite --bless`
# (then review the diff: a test that leaves the list is a regression).
";

/// Seconds a test may run before it is killed and counted as failed.
const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// The longest stderr excerpt shown for a failed test, in characters.
const EXCERPT_CHARS: usize = 200;

/// The environment variable that names the default suite folder.
const SUITE_VAR: &str = "GUESTMEM_WASI_TESTSUITE";

const USAGE: &str = "\
usage: cargo xtask wasi-testsuite [--check | --bless] [--timeout SECS] [--runtime CMD] [DIR...]
  DIR            folders searched for *.wasm tests (default: ../shared/wasi-testsuite beside
                 the workspace, or $GUESTMEM_WASI_TESTSUITE)
  --check        fail if a test listed in xtask/wasi-testsuite.expected does not pass
  --bless        rewrite xtask/wasi-testsuite.expected with the tests that pass
  --timeout SECS kill a test after SECS seconds (default 30): a failure
  --runtime CMD  run the tests with CMD (split on spaces) instead of `guestmem-wasm3 run`;
                 it must take `[--env K=V]... [--dir HOST::/] MODULE.wasm -- ARGS...`";

/// What the command line asks for.
#[derive(Debug, Default, PartialEq)]
struct Options {
    check: bool,
    bless: bool,
    timeout: Option<Duration>,
    runtime: Option<Vec<String>>,
    dirs: Vec<PathBuf>,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut opts = Options::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--check" => opts.check = true,
            "--bless" => opts.bless = true,
            "--timeout" => {
                let secs = it
                    .next()
                    .and_then(|s| s.parse::<u64>().ok())
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("--timeout needs a number of seconds\n{USAGE}"))?;
                opts.timeout = Some(Duration::from_secs(secs));
            }
            "--runtime" => {
                let words: Vec<String> = it
                    .next()
                    .map(|s| s.split_whitespace().map(String::from).collect())
                    .unwrap_or_default();
                if words.is_empty() {
                    return Err(format!("--runtime needs a command\n{USAGE}"));
                }
                opts.runtime = Some(words);
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}\n{USAGE}")),
            dir => opts.dirs.push(PathBuf::from(dir)),
        }
    }
    if opts.check && opts.bless {
        return Err(format!("--check and --bless exclude each other\n{USAGE}"));
    }
    Ok(opts)
}

/// How to run one test and what it must do: its json, parsed.
#[derive(Debug, Default, PartialEq)]
struct Spec {
    args: Vec<String>,
    /// `KEY`, `VALUE` pairs, in key order.
    env: Vec<(String, String)>,
    /// The folder to preopen as `/`, relative to the json's folder.
    root: Option<PathBuf>,
    exit_code: i32,
    /// The expected stdout, when given.
    stdout: Option<String>,
}

impl Spec {
    /// Parses a test's json. Unknown keys are errors, so that an expectation this runner does
    /// not check (`stderr`, the operation-based format's `operations`) is never ignored.
    fn parse(text: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("bad json: {e}"))?;
        let Value::Object(map) = value else {
            return Err("bad json: not an object".to_string());
        };
        let mut spec = Self::default();
        for (key, value) in &map {
            match (key.as_str(), value) {
                ("args", Value::Array(items)) => {
                    spec.args = items
                        .iter()
                        .map(|v| v.as_str().map(String::from))
                        .collect::<Option<_>>()
                        .ok_or("bad json: `args` must hold strings")?;
                }
                ("env", Value::Object(vars)) => {
                    spec.env = vars
                        .iter()
                        .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                        .collect::<Option<_>>()
                        .ok_or("bad json: `env` values must be strings")?;
                    spec.env.sort();
                }
                ("root", Value::String(dir)) => spec.root = Some(PathBuf::from(dir)),
                ("stdout", Value::String(out)) => spec.stdout = Some(out.clone()),
                ("root" | "stdout", Value::Null) => {}
                ("exit_code", Value::Number(n)) => {
                    spec.exit_code = n
                        .as_i64()
                        .and_then(|n| i32::try_from(n).ok())
                        .ok_or_else(|| format!("bad json: `exit_code` {n} is not an exit code"))?;
                }
                ("args" | "env" | "root" | "stdout" | "exit_code", _) => {
                    return Err(format!("bad json: `{key}` has the wrong type"));
                }
                (other, _) => {
                    return Err(format!(
                        "unsupported json key `{other}` (this runner knows args, env, root, exit_code, stdout)"
                    ));
                }
            }
        }
        Ok(spec)
    }
}

/// Why a finished run does not meet `spec`, or `None` if it does. `status` is `None` when the
/// process was killed by a signal.
fn verdict(spec: &Spec, status: Option<i32>, stdout: &[u8]) -> Option<String> {
    let Some(code) = status else {
        return Some("killed by a signal".to_string());
    };
    if code != spec.exit_code {
        return Some(format!("exit {code} != {}", spec.exit_code));
    }
    let expected = spec.stdout.as_deref()?;
    let got = String::from_utf8_lossy(stdout);
    first_difference(expected, &got)
}

/// The first line where `got` differs from `expected` (1-based), or `None` if they are equal.
fn first_difference(expected: &str, got: &str) -> Option<String> {
    if expected == got {
        return None;
    }
    let (mut want, mut have) = (expected.split('\n'), got.split('\n'));
    let mut line = 1_usize;
    loop {
        match (want.next(), have.next()) {
            (Some(w), Some(h)) if w == h => line = line.saturating_add(1),
            (w, h) => {
                let show = |s: Option<&str>| {
                    s.map_or_else(|| "end of output".to_string(), |s| format!("{s:?}"))
                };
                return Some(format!(
                    "stdout line {line}: {} != expected {}",
                    show(h),
                    show(w)
                ));
            }
        }
    }
}

/// The command line that runs `module` per `spec` (with its root's copy at `root`) on
/// `runtime`: the one place that knows the runtime's syntax.
fn command(runtime: &[OsString], module: &Path, spec: &Spec, root: Option<&Path>) -> Command {
    let (program, fixed) = runtime.split_first().map_or_else(
        || (OsString::from("false"), &[][..]),
        |(p, rest)| (p.clone(), rest),
    );
    let mut c = Command::new(program);
    c.args(fixed);
    for (key, value) in &spec.env {
        c.arg("--env").arg(format!("{key}={value}"));
    }
    if let Some(dir) = root {
        let mut arg = dir.as_os_str().to_os_string();
        arg.push("::/");
        c.arg("--dir").arg(arg);
    }
    c.arg(module).arg("--").args(&spec.args);
    c
}

/// Every `*.wasm` file under `dir`, recursively, sorted; `*.dir` folders are skipped.
fn find_tests(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", d.display()))?.path();
            if path.is_dir() {
                if path.extension().is_none_or(|e| e != "dir") {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "wasm") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Copies the tree `from` to `to` (which must not exist), every file writable.
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("create {}: {e}", to.display()))?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", from.display()))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry
            .file_type()
            .map_err(|e| format!("{}: {e}", src.display()))?;
        if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if kind.is_file() {
            std::fs::copy(&src, &dst).map_err(|e| format!("copy {}: {e}", src.display()))?;
            let mut perms = std::fs::metadata(&dst)
                .map_err(|e| format!("{}: {e}", dst.display()))?
                .permissions();
            #[allow(clippy::permissions_set_readonly_false)] // the copy is the test's to write
            perms.set_readonly(false);
            std::fs::set_permissions(&dst, perms).map_err(|e| format!("{}: {e}", dst.display()))?;
        } else {
            return Err(format!(
                "{}: neither a file nor a folder (not copied)",
                src.display()
            ));
        }
    }
    Ok(())
}

/// Runs one test in the scratch folder `scratch`; `Ok(())` if it passes, else why not.
fn run_test(
    runtime: &[OsString],
    module: &Path,
    timeout: Duration,
    scratch: &Path,
) -> Result<(), String> {
    let json = module.with_extension("json");
    let spec = match std::fs::read_to_string(&json) {
        Ok(text) => Spec::parse(&text)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Spec::default(),
        Err(e) => return Err(format!("{}: {e}", json.display())),
    };
    std::fs::create_dir_all(scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let root_copy = match &spec.root {
        Some(dir) => {
            let from = module.parent().unwrap_or(Path::new(".")).join(dir);
            let to = scratch.join("root");
            copy_tree(&from, &to)?;
            Some(to)
        }
        None => None,
    };
    let (out_path, err_path) = (scratch.join("stdout"), scratch.join("stderr"));
    let file = |p: &Path| File::create(p).map_err(|e| format!("{}: {e}", p.display()));
    let mut c = command(runtime, module, &spec, root_copy.as_deref());
    c.current_dir(scratch)
        .stdin(Stdio::null())
        .stdout(file(&out_path)?)
        .stderr(file(&err_path)?);
    let status = wait_limited(&mut c, timeout)?;
    let stdout = std::fs::read(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let Some(status) = status else {
        return Err(format!("timeout ({} s), killed", timeout.as_secs()));
    };
    match verdict(&spec, status.code(), &stdout) {
        None => Ok(()),
        Some(why) => match stderr_excerpt(&stderr) {
            Some(excerpt) => Err(format!("{why} (stderr: {excerpt})")),
            None => Err(why),
        },
    }
}

/// The first two non-blank lines of `stderr` (a Rust panic's location, then its message), at
/// most [`EXCERPT_CHARS`] characters; `None` if it is blank.
fn stderr_excerpt(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(2)
        .collect();
    if lines.is_empty() {
        return None;
    }
    let joined = lines.join(" | ");
    Some(match joined.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}...", joined.get(..cut).unwrap_or_default()),
        None => joined,
    })
}

/// Runs `c` to its end, or kills it after `timeout` (`Ok(None)`): on Unix, with the processes
/// it started (a `--runtime` may be a script), as it runs in a process group of its own.
fn wait_limited(c: &mut Command, timeout: Duration) -> Result<Option<ExitStatus>, String> {
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(c, 0);
    let mut child = c
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", c.get_program()))?;
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|e| format!("wait: {e}"))? {
            return Ok(Some(status));
        }
        if start.elapsed() >= timeout {
            // It may have ended in between: either way it is gone after `wait`.
            #[cfg(unix)]
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{}", child.id())])
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The suite folder used when no DIR is given.
fn default_suite() -> PathBuf {
    std::env::var_os(SUITE_VAR).map_or_else(
        || root().join("../shared/wasi-testsuite"),
        |d| root().join(d),
    )
}

/// `path` relative to `base`, with `/` separators, for names and the expected list.
fn test_name(base: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The names listed in an expected-list file's text (comments and blank lines left out).
fn parse_expected(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// What `--check` finds: expected tests that did not pass or were not found (regressions),
/// and passing tests not in the list.
fn check(expected: &[String], results: &BTreeMap<String, bool>) -> (Vec<String>, Vec<String>) {
    let regressions = expected
        .iter()
        .filter_map(|name| match results.get(name) {
            Some(true) => None,
            Some(false) => Some(format!("{name} (fails)")),
            None => Some(format!("{name} (not found)")),
        })
        .collect();
    let unlisted = results
        .iter()
        .filter(|(name, passed)| **passed && !expected.contains(name))
        .map(|(name, _)| name.clone())
        .collect();
    (regressions, unlisted)
}

/// Per-folder tallies of `(folder, passed)` outcomes: folder → (passed, failed).
fn tally<'a>(
    outcomes: impl IntoIterator<Item = (&'a str, bool)>,
) -> BTreeMap<&'a str, (usize, usize)> {
    let mut folders: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (folder, passed) in outcomes {
        let entry = folders.entry(folder).or_default();
        if passed {
            entry.0 = entry.0.saturating_add(1);
        } else {
            entry.1 = entry.1.saturating_add(1);
        }
    }
    folders
}

/// The folder a test is counted in: its name's folder part, or `dir`'s own name for a test
/// directly in `dir`.
fn folder_of(dir: &Path, name: &str) -> String {
    name.rsplit_once('/').map_or_else(
        || {
            dir.file_name()
                .map_or_else(|| ".".to_string(), |n| n.to_string_lossy().into_owned())
        },
        |(folder, _)| folder.to_string(),
    )
}

/// `cargo xtask wasi-testsuite [OPTIONS] [DIR...]` (see the module docs and [`USAGE`]).
pub fn run(args: &[String]) -> StepResult {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return Ok(());
    }
    let opts = parse_options(args)?;
    let dirs = suite_dirs(&opts)?;
    let runtime: Vec<OsString> = match &opts.runtime {
        Some(words) => words.iter().map(OsString::from).collect(),
        None => {
            build_cli()?;
            vec![cli_path().into_os_string(), OsString::from("run")]
        }
    };
    run_suite(&opts, &dirs, &runtime)
}

/// The `cargo xtask test` step: `--check` on the default suite, on both engines, with the
/// CLI's debug build
/// (already built by the test step; its wasm3 is optimized in every profile), so that the
/// step costs no release build.
pub fn check_step() -> StepResult {
    let opts = Options {
        check: true,
        ..Options::default()
    };
    let dirs = suite_dirs(&opts)?;
    step(
        "build the guestmem-wasm3 CLI (debug)",
        &mut cargo(None, &["build", "-p", "guestmem-wasm3"]),
    )?;
    let cli = target_dir().join("debug/guestmem-wasm3");
    // The same list on both engines: wasm3 (modules lowered) and wasmi (as they are).
    for engine in ["wasm3", "wasmi"] {
        println!("--- engine {engine}");
        let runtime = [
            cli.clone().into_os_string(),
            OsString::from("run"),
            OsString::from("--engine"),
            OsString::from(engine),
        ];
        run_suite(&opts, &dirs, &runtime)?;
    }
    record_pass();
    Ok(())
}

/// The folders to search: those given, or the default suite; each must exist.
fn suite_dirs(opts: &Options) -> Result<Vec<PathBuf>, String> {
    let dirs = if opts.dirs.is_empty() {
        vec![default_suite()]
    } else {
        opts.dirs.clone()
    };
    for dir in &dirs {
        if !dir.is_dir() {
            return Err(format!(
                "no WASI test suite at {} (give a DIR, or set {SUITE_VAR}; the suite's \
                 preview1 binaries are on its prod/testsuite-base branch, under tests/)",
                dir.display()
            ));
        }
    }
    // Absolute: each test runs in its own scratch directory.
    dirs.iter()
        .map(|d| std::path::absolute(d).map_err(|e| format!("{}: {e}", d.display())))
        .collect()
}

/// Runs every test under `dirs` on `runtime` (program and leading arguments), prints one
/// line per test and the tallies, then does what `--bless` or `--check` asks.
fn run_suite(opts: &Options, dirs: &[PathBuf], runtime: &[OsString]) -> StepResult {
    let timeout = opts
        .timeout
        .unwrap_or(Duration::from_secs(DEFAULT_TIMEOUT_SECS));
    let scratch = target_dir().join("wasi-testsuite");
    let start = Instant::now();
    let mut results = BTreeMap::new();
    let mut outcomes: Vec<(String, bool)> = Vec::new();
    let mut count = 0_usize;
    for dir in dirs {
        println!("\n==> WASI test suite in {}", dir.display());
        for module in find_tests(dir)? {
            let name = test_name(dir, &module);
            count = count.saturating_add(1);
            let work = scratch.join(count.to_string());
            let _ = std::fs::remove_dir_all(&work);
            let outcome = run_test(runtime, &module, timeout, &work);
            let _ = std::fs::remove_dir_all(&work);
            match &outcome {
                Ok(()) => println!("    pass  {name}"),
                Err(why) => println!("    FAIL  {name}: {why}"),
            }
            outcomes.push((folder_of(dir, &name), outcome.is_ok()));
            results.insert(name, outcome.is_ok());
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    let mut summary = String::new();
    let (mut passed, mut failed) = (0_usize, 0_usize);
    for (folder, (p, f)) in tally(outcomes.iter().map(|(f, p)| (f.as_str(), *p))) {
        let _ = writeln!(
            summary,
            "    {folder}: {p} passed, {f} failed, {} total",
            p.saturating_add(f)
        );
        passed = passed.saturating_add(p);
        failed = failed.saturating_add(f);
    }
    print!("\n{summary}");
    println!(
        "wasi-testsuite: {passed} passed, {failed} failed ({:.1} s)",
        start.elapsed().as_secs_f64()
    );
    let list = root().join(EXPECTED);
    if opts.bless {
        let mut text = EXPECTED_HEADER.to_string();
        for name in results.iter().filter(|(_, p)| **p).map(|(n, _)| n) {
            let _ = writeln!(text, "{name}");
        }
        std::fs::write(&list, text).map_err(|e| format!("write {}: {e}", list.display()))?;
        println!("wrote {} ({passed} tests)", list.display());
    }
    if opts.check {
        let text =
            std::fs::read_to_string(&list).map_err(|e| format!("read {}: {e}", list.display()))?;
        let (regressions, unlisted) = check(&parse_expected(&text), &results);
        if !unlisted.is_empty() {
            println!(
                "pass but not in {EXPECTED} (raise it with --bless): {}",
                unlisted.join(", ")
            );
        }
        if !regressions.is_empty() {
            return Err(format!(
                "expected to pass, but did not: {}",
                regressions.join(", ")
            ));
        }
        println!("<== wasi-testsuite --check: every listed test passes");
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a failure is the report
mod tests {
    use super::*;

    #[test]
    fn spec_defaults_and_every_key() {
        assert_eq!(Spec::parse("{}").unwrap(), Spec::default());
        let spec = Spec::parse(
            r#"{"args": ["a", "b \"c\""], "env": {"z": "1", "a": "new\nline"},
                "root": "fs-tests.dir", "exit_code": 33, "stdout": "hello"}"#,
        )
        .unwrap();
        assert_eq!(spec.args, ["a", "b \"c\""]);
        assert_eq!(
            spec.env,
            [
                ("a".to_string(), "new\nline".to_string()),
                ("z".to_string(), "1".to_string())
            ]
        );
        assert_eq!(spec.root, Some(PathBuf::from("fs-tests.dir")));
        assert_eq!(spec.exit_code, 33);
        assert_eq!(spec.stdout.as_deref(), Some("hello"));
        assert_eq!(
            Spec::parse(r#"{"root": null, "args": []}"#).unwrap(),
            Spec::default()
        );
    }

    #[test]
    fn spec_errors() {
        for (json, part) in [
            ("[1]", "not an object"),
            ("{", "bad json"),
            (r#"{"args": [1]}"#, "`args` must hold strings"),
            (r#"{"args": "a"}"#, "`args` has the wrong type"),
            (r#"{"env": {"a": 1}}"#, "`env` values"),
            (r#"{"exit_code": 1.5}"#, "not an exit code"),
            (r#"{"exit_code": 4294967296}"#, "not an exit code"),
            (r#"{"stderr": "x"}"#, "unsupported json key `stderr`"),
            (r#"{"operations": []}"#, "unsupported json key `operations`"),
        ] {
            let err = Spec::parse(json).unwrap_err();
            assert!(err.contains(part), "{json}: {err}");
        }
    }

    #[test]
    fn verdicts() {
        let spec = Spec {
            exit_code: 3,
            stdout: Some("a\nb\n".to_string()),
            ..Spec::default()
        };
        assert_eq!(verdict(&spec, Some(3), b"a\nb\n"), None);
        assert_eq!(verdict(&spec, Some(65), b"a\nb\n").unwrap(), "exit 65 != 3");
        assert_eq!(verdict(&spec, None, b"").unwrap(), "killed by a signal");
        assert_eq!(
            verdict(&spec, Some(3), b"a\nc\n").unwrap(),
            r#"stdout line 2: "c" != expected "b""#
        );
        assert_eq!(
            verdict(&spec, Some(3), b"a\n").unwrap(),
            r#"stdout line 2: "" != expected "b""#
        );
        assert_eq!(
            verdict(&spec, Some(3), b"a\nb\nmore").unwrap(),
            r#"stdout line 3: "more" != expected """#
        );
        assert_eq!(
            first_difference("x", "x\n").unwrap(),
            r#"stdout line 2: "" != expected end of output"#
        );
        // Without an expected stdout, any output passes.
        assert_eq!(verdict(&Spec::default(), Some(0), b"anything"), None);
    }

    #[test]
    fn stderr_excerpts() {
        assert_eq!(stderr_excerpt(" \n\n"), None);
        assert_eq!(stderr_excerpt("\n a \n\nb\nc\n").unwrap(), "a | b");
        let long = "é".repeat(300);
        let excerpt = stderr_excerpt(&long).unwrap();
        assert_eq!(excerpt.chars().count(), EXCERPT_CHARS.saturating_add(3));
        assert!(excerpt.ends_with("é..."));
    }

    #[test]
    fn command_line() {
        let spec = Spec {
            args: vec!["x".to_string()],
            env: vec![("K".to_string(), "V".to_string())],
            ..Spec::default()
        };
        let runtime = [OsString::from("cli"), OsString::from("run")];
        let c = command(
            &runtime,
            Path::new("t.wasm"),
            &spec,
            Some(Path::new("/tmp/r")),
        );
        let args: Vec<_> = c.get_args().map(|a| a.to_string_lossy()).collect();
        assert_eq!(c.get_program(), "cli");
        assert_eq!(
            args,
            [
                "run",
                "--env",
                "K=V",
                "--dir",
                "/tmp/r::/",
                "t.wasm",
                "--",
                "x"
            ]
        );
    }

    #[test]
    fn check_finds_regressions_and_unlisted() {
        let expected = parse_expected("# header\n\nc/a.wasm\n  c/b.wasm \nc/gone.wasm\n");
        assert_eq!(expected, ["c/a.wasm", "c/b.wasm", "c/gone.wasm"]);
        let results: BTreeMap<String, bool> =
            [("c/a.wasm", true), ("c/b.wasm", false), ("as/n.wasm", true)]
                .into_iter()
                .map(|(n, p)| (n.to_string(), p))
                .collect();
        let (regressions, unlisted) = check(&expected, &results);
        assert_eq!(regressions, ["c/b.wasm (fails)", "c/gone.wasm (not found)"]);
        assert_eq!(unlisted, ["as/n.wasm"]);
        let folders = tally([("c", true), ("c", false), ("as", true)]);
        assert_eq!(folders.get("c"), Some(&(1, 1)));
        assert_eq!(folders.get("as"), Some(&(1, 0)));
        assert_eq!(folder_of(Path::new("/s/suite"), "c/a.wasm"), "c");
        assert_eq!(folder_of(Path::new("/s/suite"), "a.wasm"), "suite");
    }

    #[test]
    fn options() {
        let args = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let opts = parse_options(&args("--check --timeout 5 --runtime a_b_c d")).unwrap();
        assert!(opts.check && !opts.bless);
        assert_eq!(opts.timeout, Some(Duration::from_secs(5)));
        assert_eq!(opts.runtime, Some(vec!["a_b_c".to_string()]));
        assert_eq!(opts.dirs, [PathBuf::from("d")]);
        assert!(parse_options(&args("--check --bless")).is_err());
        assert!(parse_options(&args("--timeout 0")).is_err());
        assert!(parse_options(&args("--nope")).is_err());
    }

    #[test]
    fn copies_a_root_writable() {
        let base = target_dir().join("xtask-test-copy-tree");
        let _ = std::fs::remove_dir_all(&base);
        let (from, to) = (base.join("from"), base.join("to"));
        std::fs::create_dir_all(from.join("sub")).unwrap();
        std::fs::write(from.join("sub/f.txt"), b"data").unwrap();
        let mut perms = std::fs::metadata(from.join("sub/f.txt"))
            .unwrap()
            .permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(from.join("sub/f.txt"), perms).unwrap();
        copy_tree(&from, &to).unwrap();
        assert_eq!(std::fs::read(to.join("sub/f.txt")).unwrap(), b"data");
        let copied = std::fs::metadata(to.join("sub/f.txt")).unwrap();
        assert!(!copied.permissions().readonly());
        assert!(copy_tree(&base.join("missing"), &base.join("to2")).is_err());
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn finds_tests_but_not_in_dir_roots() {
        let base = target_dir().join("xtask-test-find-tests");
        let _ = std::fs::remove_dir_all(&base);
        for dir in ["c/fs-tests.dir", "as"] {
            std::fs::create_dir_all(base.join(dir)).unwrap();
        }
        for file in ["c/t.wasm", "c/t.json", "c/fs-tests.dir/x.wasm", "as/u.wasm"] {
            std::fs::write(base.join(file), b"").unwrap();
        }
        let names: Vec<String> = find_tests(&base)
            .unwrap()
            .iter()
            .map(|p| test_name(&base, p))
            .collect();
        assert_eq!(names, ["as/u.wasm", "c/t.wasm"]);
        let _ = std::fs::remove_dir_all(&base);
    }
}
