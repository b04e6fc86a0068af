//! The command line of `guestmem-wasm3` and of its comparison twin `guestmem-wasm3-c-wasi`: one
//! module, compiled into each binary, which names itself and says which WASI it links through
//! [`crate::PROGRAM`].
//!
//! `guestmem-wasm3 --help` prints the manual (the same text as the crate README's "The CLI");
//! `guestmem-wasm3 COMMAND --help` a command's part of it. The commands:
//!
//! ```text
//! guestmem-wasm3 run [OPTIONS] <module.wasm> [-- ARGS...]
//! guestmem-wasm3 check [--lower] <module.wasm>...
//! guestmem-wasm3 lower <in.wasm> <out.wasm>
//! ```
//!
//! `run` lowers the module for wasm3 0.4.7 first (`guestmem_wasm3::lower`), unless
//! `--no-lower`; `check` validates modules as they are (as firmware embeds them), or once
//! lowered with `--lower`; `lower` writes the lowered module. The arguments are parsed with
//! `lexopt`.
//!
//! Exit status: the guest's `proc_exit` status, 0 when `_start` returns, 64 for bad usage, 65
//! for an unreadable, invalid or unsupported module (one wasm3 cannot compile included), 66
//! for a `--dir` directory that cannot be opened, 70 when the guest traps, 73 when `lower`
//! cannot write its output.

use std::ffi::{CString, OsStr, OsString};
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use guestmem_wasm3::wasi::{self, StdHost, WasiCtx};
use guestmem_wasm3::{raw_host, CallError, Runtime, TrustedGuest};
use lexopt::{Arg, Parser};

const EX_USAGE: u8 = 64;
const EX_DATAERR: u8 = 65;
const EX_NOINPUT: u8 = 66;
const EX_SOFTWARE: u8 = 70;
const EX_CANTCREAT: u8 = 73;

/// Which program this is: its name, and the WASI it links.
pub(crate) struct Program {
    /// The program's name, in messages and the help.
    pub(crate) name: &'static str,
    /// `true`: link wasm3's own C WASI, for the audited guests only (the comparison binary);
    /// `false`: guestmem's.
    pub(crate) c_wasi: bool,
}

/// The program's name, in messages and the help.
const NAME: &str = crate::PROGRAM.name;

/// Whether this program runs guests on wasm3's own C WASI.
const C_WASI: bool = crate::PROGRAM.c_wasi;

/// The default wasm3 value stack: 1 MiB.
const DEFAULT_STACK: u32 = 1 << 20;
// The help says so.
const _: () = assert!(DEFAULT_STACK == 1_048_576);

/// Native stack for the thread that runs a command: wasm3 recurses on it once per wasm call.
const NATIVE_STACK: usize = 256 << 20;

/// One option in the help: its spelling and its description, one line per element.
struct Opt {
    flag: &'static str,
    help: &'static [&'static str],
}

/// One command in the help.
struct Cmd {
    name: &'static str,
    /// What follows `guestmem-wasm3 ` in the synopsis.
    synopsis: &'static str,
    /// What it does, one line per element.
    about: &'static [&'static str],
    options: &'static [Opt],
}

const HELP_OPT: Opt = Opt {
    flag: "-h, --help",
    help: &["Print this help and exit."],
};

/// `run`'s options of both programs.
const ENV_OPT: Opt = Opt {
    flag: "--env KEY=VALUE",
    help: &["Put KEY=VALUE in the guest's environment (repeatable)."],
};
const NO_LOWER_OPT: Opt = Opt {
    flag: "--no-lower",
    help: &[
        "Load the module as it is, not lowered for wasm3 0.4.7",
        "(wasmi never lowers).",
    ],
};
const GUEST_ARGS_OPT: Opt = Opt {
    flag: "--",
    help: &["The arguments after it are the guest's (ARGS)."],
};

/// `run`, as this program offers it.
const RUN: Cmd = if C_WASI { RUN_C_WASI } else { RUN_GUESTMEM };

const RUN_GUESTMEM: Cmd = Cmd {
    name: "run",
    synopsis: "run [OPTIONS] <module.wasm> [-- ARGS...]",
    about: &[
        "Lower the module for wasm3 0.4.7, validate it, link its imports (guestmem's",
        "WASI and the raw host functions), compile every function, run its start",
        "function, then call _start with ARGS; argv[0] is the module's file name.",
        "stdin, stdout and stderr pass through.",
        "With --engine wasmi: no lowering, wasmi validates and runs the module as it is.",
    ],
    options: &[
        Opt {
            flag: "--engine wasm3|wasmi",
            help: &[
                "The interpreter: wasm3 0.4.7 (default), or wasmi",
                "(pure Rust; bulk memory, reference types).",
            ],
        },
        ENV_OPT,
        Opt {
            flag: "--dir HOST[::GUEST]",
            help: &[
                "Give the guest the host directory HOST, named",
                "GUEST (default: HOST as given; / and . work), as",
                "fd 3, 4, ... in order (repeatable). Guest paths",
                "stay beneath it: no .., absolute path or symbolic",
                "link leads outside.",
            ],
        },
        STACK_OPT,
        NO_LOWER_OPT,
        GUEST_ARGS_OPT,
    ],
};

const STACK_OPT: Opt = Opt {
    flag: "--stack BYTES",
    help: &[
        "wasm3's value stack in bytes, at least 4096",
        "(default 1048576; wasm3 only).",
    ],
};

/// `run` of `guestmem-wasm3-c-wasi`: wasm3 only, its C WASI, no preopens.
const RUN_C_WASI: Cmd = Cmd {
    name: "run",
    synopsis: "run [OPTIONS] <module.wasm> [-- ARGS...]",
    about: &[
        "As guestmem-wasm3 run on wasm3, but with wasm3 0.4.7's own C WASI linked",
        "first (guestmem's serves only what it lacks), for comparison. It checks no",
        "pointer or length the guest passes (a hostile guest writes outside its",
        "memory, into this process), so it runs only the repository's audited",
        "guests, hello.wasm and bench.wasm, recognised by their bytes as built:",
        "any other module is refused (exit 65) before it is loaded. It has no",
        "preopened directory and serves no environment (--env is seen by",
        "guestmem's functions only).",
    ],
    options: &[ENV_OPT, STACK_OPT, NO_LOWER_OPT, GUEST_ARGS_OPT],
};

const CHECK: Cmd = Cmd {
    name: "check",
    synopsis: "check [--lower] <module.wasm>...",
    about: &[
        "Validate each module as it is (as the firmware embeds it) and print its",
        "imports and exports; stop at the first that fails.",
    ],
    options: &[Opt {
        flag: "--lower",
        help: &["Check each module once lowered, as run loads it."],
    }],
};

const LOWER: Cmd = Cmd {
    name: "lower",
    synopsis: "lower <in.wasm> <out.wasm>",
    about: &["Write <in.wasm> lowered for wasm3 0.4.7 to <out.wasm>, and say what changed."],
    options: &[],
};

const HELP: Cmd = Cmd {
    name: "help",
    synopsis: "help [COMMAND]",
    about: &["Print this help, or COMMAND's."],
    options: &[],
};

const COMMANDS: [&Cmd; 4] = [&RUN, &CHECK, &LOWER, &HELP];

const EXIT_STATUS: &str = "\
EXIT STATUS
    0         run: _start returned; the other commands: success
    1-255     run: the guest's proc_exit status (its low 8 bits)
    64        bad usage: an unknown command or option, a missing or bad argument
    65        a module that cannot be read, is invalid, or that wasm3 0.4.7 cannot run
              (the message names the file)
    66        run: a --dir directory that cannot be opened or read (the message names it)
    70        the guest trapped (\"trap: MESSAGE\" on stderr)
    73        lower: <out.wasm> cannot be written
";

/// `lines`, each on its own line after `indent` spaces.
fn push_lines(out: &mut String, indent: usize, lines: &[&str]) {
    for line in lines {
        let _ = writeln!(out, "{:indent$}{line}", "");
    }
}

/// `opts` as a two-column list after `indent` spaces.
fn push_options(out: &mut String, indent: usize, opts: &[Opt]) {
    for opt in opts {
        for (i, line) in opt.help.iter().enumerate() {
            let flag = if i == 0 { opt.flag } else { "" };
            let _ = writeln!(out, "{:indent$}{flag:<22} {line}", "");
        }
    }
}

/// The manual: `guestmem-wasm3 --help`, and the block in the README.
fn full_help() -> String {
    let mut out = format!(
        "NAME\n    {NAME} - {}\n\nSYNOPSIS\n",
        if C_WASI {
            "run the audited guests on wasm3 0.4.7 with its own C WASI, for comparison"
        } else {
            "run WebAssembly programs on wasm3 0.4.7 or wasmi with guestmem's WASI"
        }
    );
    for cmd in COMMANDS {
        let _ = writeln!(out, "    {NAME} {}", cmd.synopsis);
    }
    let _ = writeln!(out, "    {NAME} -h | --help | -V | --version\n\nCOMMANDS");
    for cmd in COMMANDS {
        let _ = writeln!(out, "    {}", cmd.name);
        push_lines(&mut out, 8, cmd.about);
    }
    out.push_str("\nOPTIONS\n");
    for cmd in COMMANDS.iter().filter(|c| !c.options.is_empty()) {
        let _ = writeln!(out, "    {}:", cmd.name);
        push_options(&mut out, 8, cmd.options);
    }
    out.push_str("    every command:\n");
    push_options(
        &mut out,
        8,
        &[Opt {
            flag: "-h, --help",
            help: &["Print the help (a command's, after one) and exit."],
        }],
    );
    out.push_str("    without a command:\n");
    push_options(
        &mut out,
        8,
        &[Opt {
            flag: "-V, --version",
            help: &["Print the program's name and version and exit."],
        }],
    );
    out.push('\n');
    out.push_str(EXIT_STATUS);
    out
}

/// `guestmem-wasm3 COMMAND --help`.
fn command_help(cmd: &Cmd) -> String {
    let mut out = format!("usage: {NAME} {}\n\n", cmd.synopsis);
    push_lines(&mut out, 0, cmd.about);
    out.push_str("\nOPTIONS\n");
    push_options(&mut out, 4, cmd.options);
    push_options(&mut out, 4, &[HELP_OPT]);
    out
}

fn version() -> String {
    format!("{NAME} {}\n", env!("CARGO_PKG_VERSION"))
}

/// The interpreter that runs the guest (`--engine`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    Wasm3,
    Wasmi,
}

struct RunOptions {
    module: OsString,
    env: Vec<Vec<u8>>,
    stack: u32,
    engine: Engine,
    /// Lower the module for wasm3 0.4.7 first (`--no-lower` turns it off).
    lower: bool,
    /// `--dir`: the host directories to preopen, with the guest's names, in order.
    dirs: Vec<PreopenDir>,
    args: Vec<OsString>,
}

/// What the command line asks for.
enum Task {
    /// Print this to stdout, exit 0.
    Print(String),
    Run(RunOptions),
    Check {
        lower: bool,
        paths: Vec<OsString>,
    },
    Lower {
        input: OsString,
        output: OsString,
    },
}

/// A failure that ends the program with `code` after printing `message`.
struct Failure {
    code: u8,
    message: String,
}

fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure {
        code,
        message: message.into(),
    }
}

/// Bad usage of `cmd` (`None`: of the program): exit 64, the problem and where help is.
fn usage(cmd: Option<&Cmd>, problem: impl std::fmt::Display) -> Failure {
    let (prefix, help) = match cmd {
        Some(c) => (
            format!("{NAME} {}", c.name),
            format!("{NAME} {} --help", c.name),
        ),
        None => (NAME.to_string(), format!("{NAME} --help")),
    };
    fail(
        EX_USAGE,
        format!("{prefix}: {problem}\nTry '{help}' for more information."),
    )
}

/// An option `cmd` does not have.
fn unknown(cmd: Option<&Cmd>, arg: &Arg<'_>) -> Failure {
    match arg {
        Arg::Short(c) => usage(cmd, format_args!("unknown option '-{c}'")),
        Arg::Long(l) => usage(cmd, format_args!("unknown option '--{l}'")),
        Arg::Value(v) => usage(cmd, format_args!("unexpected argument {v:?}")),
    }
}

/// A problem with the module at `path`, naming it, on one line with single spaces
/// (wasmparser pretty-prints some values over several lines, or pads them).
fn module_error(path: &OsStr, problem: impl std::fmt::Display) -> Failure {
    let problem = problem.to_string();
    let words: Vec<&str> = problem.split_whitespace().collect();
    let problem = words.join(" ").replace("[ ", "[").replace(", ]", "]");
    fail(
        EX_DATAERR,
        format!("{}: {problem}", Path::new(path).display()),
    )
}

/// Takes the rest of the command line as the guest's arguments if the next one is `--`.
fn take_guest_args(parser: &mut Parser, args: &mut Vec<OsString>) -> bool {
    let Some(mut raw) = parser.try_raw_args() else {
        return false;
    };
    if raw.next_if(|a| a == "--").is_none() {
        return false;
    }
    args.extend(raw);
    true
}

fn parse_run(parser: &mut Parser) -> Result<Task, Failure> {
    let cmd = Some(&RUN);
    let bad = |e: lexopt::Error| usage(cmd, e);
    let mut module = None;
    let mut opts = RunOptions {
        module: OsString::new(),
        env: Vec::new(),
        stack: DEFAULT_STACK,
        engine: Engine::Wasm3,
        lower: true,
        dirs: Vec::new(),
        args: Vec::new(),
    };
    loop {
        if take_guest_args(parser, &mut opts.args) {
            break;
        }
        let Some(arg) = parser.next().map_err(bad)? else {
            break;
        };
        match arg {
            Arg::Short('h') | Arg::Long("help") => return Ok(Task::Print(command_help(&RUN))),
            Arg::Long("env") => {
                let bytes = StdHost::os_bytes(parser.value().map_err(bad)?);
                match bytes.iter().position(|&b| b == b'=') {
                    Some(i) if i > 0 && !bytes.contains(&0) => opts.env.push(bytes),
                    _ => {
                        let shown = String::from_utf8_lossy(&bytes).into_owned();
                        return Err(usage(
                            cmd,
                            format_args!("--env needs KEY=VALUE, not {shown:?}"),
                        ));
                    }
                }
            }
            Arg::Long("stack") => {
                let value = parser.value().map_err(bad)?;
                opts.stack = value
                    .to_str()
                    .and_then(|s| s.parse::<u32>().ok())
                    .filter(|n| *n >= 4096)
                    .ok_or_else(|| {
                        usage(
                            cmd,
                            format_args!("--stack needs a number of bytes >= 4096, not {value:?}"),
                        )
                    })?;
            }
            Arg::Long("engine") if !C_WASI => {
                let value = parser.value().map_err(bad)?;
                opts.engine = match value.to_str() {
                    Some("wasm3") => Engine::Wasm3,
                    Some("wasmi") => Engine::Wasmi,
                    _ => {
                        return Err(usage(
                            cmd,
                            format_args!("--engine needs wasm3 or wasmi, not {value:?}"),
                        ))
                    }
                };
            }
            Arg::Long("no-lower") => opts.lower = false,
            Arg::Long("dir") if !C_WASI => opts.dirs.push(parse_dir(parser.value().map_err(bad)?)?),
            Arg::Value(v) if module.is_none() => module = Some(v),
            Arg::Value(v) => {
                return Err(usage(
                    cmd,
                    format_args!("unexpected argument {v:?} (the guest's arguments go after --)"),
                ))
            }
            other => return Err(unknown(cmd, &other)),
        }
    }
    opts.module = module.ok_or_else(|| usage(cmd, "missing <module.wasm>"))?;
    Ok(Task::Run(opts))
}

fn parse_check(parser: &mut Parser) -> Result<Task, Failure> {
    let cmd = Some(&CHECK);
    let mut lower = false;
    let mut paths = Vec::new();
    while let Some(arg) = parser.next().map_err(|e| usage(cmd, e))? {
        match arg {
            Arg::Short('h') | Arg::Long("help") => return Ok(Task::Print(command_help(&CHECK))),
            Arg::Long("lower") => lower = true,
            Arg::Value(v) => paths.push(v),
            other => return Err(unknown(cmd, &other)),
        }
    }
    if paths.is_empty() {
        return Err(usage(cmd, "missing <module.wasm>"));
    }
    Ok(Task::Check { lower, paths })
}

fn parse_lower(parser: &mut Parser) -> Result<Task, Failure> {
    let cmd = Some(&LOWER);
    let mut files = Vec::new();
    while let Some(arg) = parser.next().map_err(|e| usage(cmd, e))? {
        match arg {
            Arg::Short('h') | Arg::Long("help") => return Ok(Task::Print(command_help(&LOWER))),
            Arg::Value(v) if files.len() < 2 => files.push(v),
            other => return Err(unknown(cmd, &other)),
        }
    }
    let mut files = files.into_iter();
    match (files.next(), files.next()) {
        (Some(input), Some(output)) => Ok(Task::Lower { input, output }),
        (None, _) => Err(usage(cmd, "missing <in.wasm> and <out.wasm>")),
        (Some(_), None) => Err(usage(cmd, "missing <out.wasm>")),
    }
}

fn parse_help(parser: &mut Parser) -> Result<Task, Failure> {
    let cmd = Some(&HELP);
    let mut text = None;
    while let Some(arg) = parser.next().map_err(|e| usage(cmd, e))? {
        match arg {
            Arg::Short('h') | Arg::Long("help") => return Ok(Task::Print(command_help(&HELP))),
            Arg::Value(v) if text.is_none() => {
                let found = COMMANDS
                    .iter()
                    .find(|c| v == c.name)
                    .ok_or_else(|| usage(cmd, format_args!("unknown command {v:?}")))?;
                text = Some(command_help(found));
            }
            other => return Err(unknown(cmd, &other)),
        }
    }
    Ok(Task::Print(text.unwrap_or_else(full_help)))
}

/// The command line (without the program's name) as a task.
fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Task, Failure> {
    let mut parser = Parser::from_args(args);
    let arg = parser.next().map_err(|e| usage(None, e))?;
    match arg {
        None => Err(usage(None, "missing command (run, check, lower or help)")),
        Some(Arg::Short('h') | Arg::Long("help")) => Ok(Task::Print(full_help())),
        Some(Arg::Short('V') | Arg::Long("version")) => Ok(Task::Print(version())),
        Some(Arg::Value(v)) => match v.to_str() {
            Some("run") => parse_run(&mut parser),
            Some("check") => parse_check(&mut parser),
            Some("lower") => parse_lower(&mut parser),
            Some("help") => parse_help(&mut parser),
            _ => Err(usage(None, format_args!("unknown command {v:?}"))),
        },
        Some(other) => Err(unknown(None, &other)),
    }
}

/// A line to stdout. A closed or failing stdout is ignored (`check ... | head -1`), where
/// `println!` would panic.
fn say(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// The bytes of the module file at `path`, if it can be read and looks like a binary module.
fn read_module(path: &OsStr) -> Result<Vec<u8>, Failure> {
    let wasm = std::fs::read(path).map_err(|e| {
        fail(
            EX_DATAERR,
            format!("cannot read {}: {e}", Path::new(path).display()),
        )
    })?;
    if !wasm.starts_with(b"\0asm") {
        return Err(module_error(
            path,
            "not a WebAssembly binary module (no \\0asm header; a .wat text module must be \
             compiled first)",
        ));
    }
    Ok(wasm)
}

/// `wasm` lowered for wasm3 0.4.7 when `lower`, else as it is.
fn lowered(wasm: Vec<u8>, lower: bool, path: &OsStr) -> Result<Vec<u8>, Failure> {
    if !lower {
        return Ok(wasm);
    }
    guestmem_wasm3::lower(&wasm).map_err(|e| module_error(path, e))
}

fn check(lower: bool, paths: &[OsString]) -> Result<u8, Failure> {
    for path in paths {
        let wasm = lowered(read_module(path)?, lower, path)?;
        let info = guestmem_wasm3::validate(&wasm).map_err(|e| module_error(path, e))?;
        let imports: Vec<String> = info
            .imports
            .iter()
            .map(|i| format!("{}.{}", i.module, i.name))
            .collect();
        let exports: Vec<&str> = info.exports.iter().map(|e| e.name.as_str()).collect();
        say(format_args!(
            "{}: ok for wasm3 0.4.7{}; imports: {}; exports: {}",
            Path::new(path).display(),
            if lower { " once lowered" } else { "" },
            if imports.is_empty() {
                "-".to_string()
            } else {
                imports.join(" ")
            },
            if exports.is_empty() {
                "-".to_string()
            } else {
                exports.join(" ")
            },
        ));
    }
    Ok(0)
}

/// `lower IN OUT`: writes IN lowered for wasm3 0.4.7 to OUT, and says what changed.
fn lower(input: &OsStr, output: &OsStr) -> Result<u8, Failure> {
    let wasm = read_module(input)?;
    let (bytes, stats) =
        guestmem_wasm3::lower::lower_with_stats(&wasm).map_err(|e| module_error(input, e))?;
    std::fs::write(output, &bytes).map_err(|e| {
        fail(
            EX_CANTCREAT,
            format!("cannot write {}: {e}", Path::new(output).display()),
        )
    })?;
    say(format_args!(
        "{} -> {}: {} -> {} bytes; {stats}",
        Path::new(input).display(),
        Path::new(output).display(),
        wasm.len(),
        bytes.len()
    ));
    Ok(0)
}

/// The comparison binary's refusal of a module that is not an audited guest.
fn not_audited(path: &OsStr) -> Failure {
    let names: Vec<&str> = TrustedGuest::names().collect();
    module_error(
        path,
        format_args!(
            "not an audited guest: {NAME} runs wasm3's C WASI, which checks no guest pointer, \
             only for {}",
            names.join(" and ")
        ),
    )
}

fn run(opts: RunOptions) -> Result<u8, Failure> {
    let path = opts.module.as_os_str();
    let lower = opts.lower && opts.engine == Engine::Wasm3;
    // Before anything of the module runs or is loaded: wasm3's C WASI is for the audited
    // guests only, recognised by the file's bytes, then lowered as any other module.
    let trusted = if C_WASI {
        let guest = TrustedGuest::audited(&read_module(path)?).ok_or_else(|| not_audited(path))?;
        Some(if lower {
            guest.lowered().map_err(|e| module_error(path, e))?
        } else {
            guest
        })
    } else {
        None
    };
    let wasm = match &trusted {
        Some(guest) => guest.wasm().to_vec(),
        None => lowered(read_module(path)?, lower, path)?,
    };
    let argv0 = Path::new(path)
        .file_name()
        .map_or_else(|| opts.module.clone(), OsString::from);
    let mut args = vec![StdHost::os_bytes(argv0)];
    args.extend(opts.args.into_iter().map(StdHost::os_bytes));
    let wasm3_argv = args
        .iter()
        .map(|a| CString::new(a.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| usage(Some(&RUN), "an argument contains a NUL byte"))?;

    let mut host = StdHost::new(args, opts.env);
    let handles = open_dirs(&mut host, &opts.dirs)?;
    let mut ctx = WasiCtx::new(host);
    for h in handles {
        ctx.add_preopen(h)
            .map_err(|_| usage(Some(&RUN), "too many --dir directories"))?;
    }
    if opts.engine == Engine::Wasmi {
        return run_wasmi(path, &wasm, ctx);
    }
    let mut rt = Runtime::new(&wasm, &mut ctx, opts.stack).map_err(|e| module_error(path, e))?;
    let link = |e: guestmem_wasm3::LinkError| module_error(path, e);
    if let Some(guest) = &trusted {
        rt.link_wasm3_wasi(guest).map_err(link)?;
    }
    // Ours: all of WASI, or only what wasm3 0.4.7's C WASI lacks. Both
    // names: preview1 (`wasi_snapshot_preview1`) and preview0 (`wasi_unstable`).
    let unlinked: Vec<(String, String)> = rt
        .unlinked_imports()
        .map(|(m, n)| (m.to_string(), n.to_string()))
        .collect();
    let is_unlinked = |f: &guestmem_wasm3::HostFunc<_>| {
        unlinked
            .iter()
            .any(|(m, n)| m == f.module() && n == f.name())
    };
    for f in wasi::functions() {
        if is_unlinked(&f) {
            rt.link(&f).map_err(link)?;
        }
    }
    for f in wasi::functions_preview0() {
        if is_unlinked(&f) {
            rt.link(&f).map_err(link)?;
        }
    }
    rt.link_all(&raw_host::functions()).map_err(link)?;
    if let Some((module, name)) = rt.unlinked_imports().next() {
        return Err(module_error(
            path,
            format_args!("unsupported import {module}.{name}"),
        ));
    }
    let start = rt.info().exported_function("_start");
    check_start(path, start.map(|s| (s.params, s.results)))?;
    // Every function now, not at its first call: a module wasm3 cannot compile is refused
    // before it runs.
    rt.compile().map_err(|e| module_error(path, e))?;

    let result = if C_WASI {
        let argv: Vec<&std::ffi::CStr> = wasm3_argv.iter().map(CString::as_c_str).collect();
        rt.call_start_wasm3_wasi(&argv)
    } else {
        rt.call("_start", &[]).map(|_| ())
    };
    let wasm3_status = rt.wasm3_exit_code();
    drop(rt);
    match result {
        Ok(()) => Ok(0),
        Err(CallError::Exit) => {
            let status = if C_WASI {
                u32::from_le_bytes(wasm3_status.to_le_bytes())
            } else {
                ctx.exit_code().unwrap_or(0)
            };
            // A process status has 8 bits, as with a native exit().
            let [low, ..] = status.to_le_bytes();
            Ok(low)
        }
        Err(CallError::Trap(m)) => Err(fail(EX_SOFTWARE, format!("trap: {m}"))),
        Err(e) => Err(fail(EX_SOFTWARE, format!("trap: {e}"))),
    }
}

fn main_inner() -> Result<u8, Failure> {
    let task = parse(std::env::args_os().skip(1))?;
    let panicked = if matches!(task, Task::Run(_)) {
        "trap: host panicked"
    } else {
        "internal error: guestmem-wasm3 panicked (a bug)"
    };
    let run_task = move || match task {
        Task::Print(text) => {
            // Ignore a closed stdout (`--help | head -1`), as `say` does.
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            Ok(0)
        }
        Task::Run(opts) => run(opts),
        Task::Check { lower, paths } => check(lower, &paths),
        Task::Lower { input, output } => lower(&input, &output),
    };
    // wasm3 recurses on the native stack, and so do the validator and the lowering on a
    // deeply nested module: give the command a thread with plenty of it. A panic there is a
    // bug; it ends the program with 70 and a message, as a trap does.
    std::thread::Builder::new()
        .name("guest".into())
        .stack_size(NATIVE_STACK)
        .spawn(run_task)
        .map_err(|e| fail(EX_SOFTWARE, format!("cannot start the guest thread: {e}")))?
        .join()
        .unwrap_or_else(|_| Err(fail(EX_SOFTWARE, panicked)))
}

/// Runs the command line; the process's exit code.
pub(crate) fn main() -> ExitCode {
    let code = match main_inner() {
        Ok(code) => code,
        Err(f) => {
            eprintln!("{}", f.message);
            f.code
        }
    };
    // Ignore a closed stdout: the guest's output is written already.
    let _ = std::io::stdout().flush();
    ExitCode::from(code)
}

// --- `--dir`: preopened directories. ---

/// A `--dir HOST[::GUEST]`: the host directory and the name the guest sees.
struct PreopenDir {
    host: OsString,
    guest: Vec<u8>,
}

/// Splits `--dir`'s value at its last `::` into HOST and GUEST (GUEST defaults to HOST).
fn parse_dir(value: OsString) -> Result<PreopenDir, Failure> {
    let bytes = StdHost::os_bytes(value);
    let split = bytes.windows(2).rposition(|w| w == b"::");
    let (host, guest) = match split {
        Some(i) => (
            bytes.get(..i).unwrap_or_default().to_vec(),
            bytes
                .get(i.saturating_add(2)..)
                .unwrap_or_default()
                .to_vec(),
        ),
        None => (bytes.clone(), bytes),
    };
    if host.is_empty() || guest.is_empty() || host.contains(&0) || guest.contains(&0) {
        let shown = String::from_utf8_lossy(&host).into_owned();
        return Err(usage(
            Some(&RUN),
            format_args!("--dir needs HOST[::GUEST], both non-empty, not {shown:?}"),
        ));
    }
    let host = {
        use std::os::unix::ffi::OsStringExt;
        OsString::from_vec(host)
    };
    Ok(PreopenDir { host, guest })
}

/// Opens every `--dir` directory on `host`, in order; returns the host's handles. One that
/// cannot be opened or read is an error naming it (exit 66).
fn open_dirs(host: &mut StdHost, dirs: &[PreopenDir]) -> Result<Vec<u32>, Failure> {
    dirs.iter()
        .map(|d| {
            host.preopen(Path::new(&d.host), &d.guest).map_err(|e| {
                fail(
                    EX_NOINPUT,
                    format!(
                        "--dir {}: cannot open the directory: {e}",
                        Path::new(&d.host).display()
                    ),
                )
            })
        })
        .collect()
}

/// `_start` exists, takes no parameters and returns nothing, else the module is refused.
fn check_start<N: PartialEq + Default + std::fmt::Display>(
    path: &OsStr,
    start: Option<(N, N)>,
) -> Result<(), Failure> {
    match start {
        None => Err(module_error(path, "the module exports no _start function")),
        Some((params, results)) if params != N::default() || results != N::default() => {
            Err(module_error(
                path,
                format_args!(
                    "_start must take no parameters and return nothing (it takes {params}, \
                     returns {results})"
                ),
            ))
        }
        Some(_) => Ok(()),
    }
}

/// `run` on wasmi (`--engine wasmi`): the module as it is, guestmem's WASI (both names) and
/// the raw host functions linked by `guestmem_wasmi`'s one glue; the same messages and exit codes as on
/// wasm3.
fn run_wasmi(path: &OsStr, wasm: &[u8], ctx: WasiCtx<StdHost>) -> Result<u8, Failure> {
    use guestmem_wasmi::{CallError as WasmiCall, Runtime as Wasmi, StartError};
    let wasi = wasi::host_functions();
    let wasi_unstable = wasi::preview0::host_functions();
    let raw = raw_host::host_functions();
    let lists: [&[_]; 3] = [&wasi, &wasi_unstable, &raw];
    let mut rt = Wasmi::new(wasm, ctx, &lists).map_err(|e| module_error(path, e))?;
    check_start(path, rt.exported_function("_start"))?;
    let result = match rt.instantiate() {
        Ok(()) => rt.call("_start", &[]),
        Err(StartError::Load(e)) => return Err(module_error(path, e)),
        Err(StartError::Call(e)) => Err(e),
        Err(e) => return Err(module_error(path, e)),
    };
    match result {
        // `check_start` refused a `_start` with results: there is none.
        Ok(_) => Ok(0),
        Err(WasmiCall::Exit) => {
            // A process status has 8 bits, as with a native exit().
            let [low, ..] = rt.ctx().exit_code().unwrap_or(0).to_le_bytes();
            Ok(low)
        }
        Err(e) => Err(fail(EX_SOFTWARE, format!("trap: {e}"))),
    }
}
