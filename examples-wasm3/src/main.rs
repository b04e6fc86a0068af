//! `guestmem-wasm3`: runs a WASI (or raw) WebAssembly program on wasm3 with guestmem's WASI.
//!
//! ```text
//! guestmem-wasm3 run <module.wasm> [--env KEY=VALUE]... [--stack BYTES] [--wasi guestmem|wasm3] [--no-lower] [-- ARGS...]
//! guestmem-wasm3 check [--lower] <module.wasm>...
//! guestmem-wasm3 lower <in.wasm> <out.wasm>
//! ```
//!
//! `run` lowers the module for wasm3 0.4.7 first (`guestmem_wasm3::lower`), unless
//! `--no-lower`; `check` validates modules as they are (as firmware embeds them), or once
//! lowered with `--lower`; `lower` writes the lowered module.
//!
//! Exit status: the guest's `proc_exit` status, 0 when `_start` returns, 64 for bad usage, 65
//! for an unreadable, invalid or unsupported module (one wasm3 cannot compile included), 70
//! when the guest traps.

use std::ffi::{CString, OsString};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use guestmem_wasm3::wasi::{self, StdHost, WasiCtx};
use guestmem_wasm3::{raw_host, CallError, Runtime};

const EX_USAGE: u8 = 64;
const EX_DATAERR: u8 = 65;
const EX_SOFTWARE: u8 = 70;
const EX_CANTCREAT: u8 = 73;

const USAGE: &str = "usage: guestmem-wasm3 run <module.wasm> [--env KEY=VALUE]... [--stack BYTES] \
                     [--wasi guestmem|wasm3] [--no-lower] [-- ARGS...]\n       \
                     guestmem-wasm3 check [--lower] <module.wasm>...\n       \
                     guestmem-wasm3 lower <in.wasm> <out.wasm>";

/// The default wasm3 value stack: 1 MiB.
const DEFAULT_STACK: u32 = 1 << 20;

/// Native stack for the thread that runs the guest: wasm3 recurses on it once per wasm call.
const NATIVE_STACK: usize = 256 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WasiImpl {
    Guestmem,
    Wasm3,
}

struct Options {
    module: OsString,
    env: Vec<Vec<u8>>,
    stack: u32,
    wasi: WasiImpl,
    /// Lower the module for wasm3 0.4.7 first (`--no-lower` turns it off).
    lower: bool,
    args: Vec<OsString>,
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

fn parse_run(mut it: impl Iterator<Item = OsString>) -> Result<Options, Failure> {
    let mut module = None;
    let mut opts = Options {
        module: OsString::new(),
        env: Vec::new(),
        stack: DEFAULT_STACK,
        wasi: WasiImpl::Guestmem,
        lower: true,
        args: Vec::new(),
    };
    while let Some(arg) = it.next() {
        match arg.to_str() {
            Some("--") => {
                opts.args.extend(it.by_ref());
                break;
            }
            Some("--env") => {
                let kv = it
                    .next()
                    .ok_or_else(|| fail(EX_USAGE, "--env needs KEY=VALUE"))?;
                let bytes = StdHost::os_bytes(kv);
                match bytes.iter().position(|&b| b == b'=') {
                    Some(i) if i > 0 && !bytes.contains(&0) => opts.env.push(bytes),
                    _ => return Err(fail(EX_USAGE, "--env needs KEY=VALUE")),
                }
            }
            Some("--stack") => {
                let n = it
                    .next()
                    .and_then(|s| s.to_str().and_then(|s| s.parse::<u32>().ok()));
                opts.stack = n
                    .filter(|n| *n >= 4096)
                    .ok_or_else(|| fail(EX_USAGE, "--stack needs a number of bytes >= 4096"))?;
            }
            Some("--wasi") => {
                opts.wasi = match it.next().as_ref().and_then(|s| s.to_str()) {
                    Some("guestmem") => WasiImpl::Guestmem,
                    Some("wasm3") => WasiImpl::Wasm3,
                    _ => return Err(fail(EX_USAGE, "--wasi needs guestmem or wasm3")),
                };
            }
            Some("--no-lower") => opts.lower = false,
            Some(flag) if flag.starts_with("--") => {
                return Err(fail(EX_USAGE, format!("unknown option {flag}")));
            }
            _ if module.is_none() => module = Some(arg),
            _ => return Err(fail(EX_USAGE, "arguments for the guest go after --")),
        }
    }
    opts.module = module.ok_or_else(|| fail(EX_USAGE, "missing <module.wasm>"))?;
    Ok(opts)
}

fn read_module(path: &OsString) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| {
        fail(
            EX_DATAERR,
            format!("cannot read {}: {e}", Path::new(path).display()),
        )
    })
}

/// `wasm` lowered for wasm3 0.4.7 when `lower`, else as it is.
fn lowered(wasm: Vec<u8>, lower: bool, path: &OsString) -> Result<Vec<u8>, Failure> {
    if !lower {
        return Ok(wasm);
    }
    guestmem_wasm3::lower(&wasm)
        .map_err(|e| fail(EX_DATAERR, format!("{}: {e}", Path::new(path).display())))
}

fn check(args: Vec<OsString>) -> Result<u8, Failure> {
    let lower = args.iter().any(|a| a == "--lower");
    let paths: Vec<&OsString> = args.iter().filter(|a| *a != "--lower").collect();
    if let Some(flag) = paths
        .iter()
        .find_map(|p| p.to_str().filter(|p| p.starts_with("--")))
    {
        return Err(fail(EX_USAGE, format!("unknown option {flag}")));
    }
    if paths.is_empty() {
        return Err(fail(EX_USAGE, "missing <module.wasm>"));
    }
    for path in paths {
        let wasm = lowered(read_module(path)?, lower, path)?;
        let info = guestmem_wasm3::validate(&wasm)
            .map_err(|e| fail(EX_DATAERR, format!("{}: {e}", Path::new(path).display())))?;
        let imports: Vec<String> = info
            .imports
            .iter()
            .map(|i| format!("{}.{}", i.module, i.name))
            .collect();
        let exports: Vec<&str> = info.exports.iter().map(|e| e.name.as_str()).collect();
        println!(
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
        );
    }
    Ok(0)
}

/// `lower IN OUT`: writes IN lowered for wasm3 0.4.7 to OUT, and says what changed.
fn lower(args: Vec<OsString>) -> Result<u8, Failure> {
    let [input, output] = args.as_slice() else {
        return Err(fail(
            EX_USAGE,
            "usage: guestmem-wasm3 lower <in.wasm> <out.wasm>",
        ));
    };
    let wasm = read_module(input)?;
    let (bytes, stats) = guestmem_wasm3::lower::lower_with_stats(&wasm)
        .map_err(|e| fail(EX_DATAERR, format!("{}: {e}", Path::new(input).display())))?;
    std::fs::write(output, &bytes).map_err(|e| {
        fail(
            EX_CANTCREAT,
            format!("cannot write {}: {e}", Path::new(output).display()),
        )
    })?;
    println!(
        "{} -> {}: {} -> {} bytes; {stats}",
        Path::new(input).display(),
        Path::new(output).display(),
        wasm.len(),
        bytes.len()
    );
    Ok(0)
}

fn run(opts: Options) -> Result<u8, Failure> {
    let wasm = lowered(read_module(&opts.module)?, opts.lower, &opts.module)?;
    let argv0 = Path::new(&opts.module)
        .file_name()
        .map_or_else(|| opts.module.clone(), OsString::from);
    let mut args = vec![StdHost::os_bytes(argv0)];
    args.extend(opts.args.into_iter().map(StdHost::os_bytes));
    let wasm3_argv = args
        .iter()
        .map(|a| CString::new(a.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| fail(EX_USAGE, "an argument contains a NUL byte"))?;

    let mut ctx = WasiCtx::new(StdHost::new(args, opts.env));
    let mut rt =
        Runtime::new(&wasm, &mut ctx, opts.stack).map_err(|e| fail(EX_DATAERR, e.to_string()))?;
    let link = |e: guestmem_wasm3::LinkError| fail(EX_DATAERR, e.to_string());
    if opts.wasi == WasiImpl::Wasm3 {
        rt.link_wasm3_wasi().map_err(link)?;
    }
    // Ours: all of WASI in guestmem mode; in wasm3 mode only what wasm3 0.4.7 lacks.
    let unlinked: Vec<String> = rt.unlinked_imports().map(|(_, n)| n.to_string()).collect();
    for f in wasi::functions() {
        if unlinked.iter().any(|n| n == f.name()) {
            rt.link(&f).map_err(link)?;
        }
    }
    rt.link_all(&raw_host::functions()).map_err(link)?;
    if let Some((module, name)) = rt.unlinked_imports().next() {
        return Err(fail(
            EX_DATAERR,
            format!("unsupported import {module}.{name}"),
        ));
    }
    match rt.info().exported_function("_start") {
        None => return Err(fail(EX_DATAERR, "the module exports no _start function")),
        Some(start) if start.params > 0 || start.results > 0 => {
            return Err(fail(
                EX_DATAERR,
                format!(
                    "_start must take no parameters and return nothing (it takes {}, returns {})",
                    start.params, start.results
                ),
            ))
        }
        Some(_) => {}
    }
    // Every function now, not at its first call: a module wasm3 cannot compile is refused
    // before it runs.
    rt.compile().map_err(|e| fail(EX_DATAERR, e.to_string()))?;

    let result = match opts.wasi {
        WasiImpl::Guestmem => rt.call("_start", &[]).map(|_| ()),
        WasiImpl::Wasm3 => {
            let argv: Vec<&std::ffi::CStr> = wasm3_argv.iter().map(CString::as_c_str).collect();
            rt.call_start_wasm3_wasi(&argv)
        }
    };
    let wasm3_status = rt.wasm3_exit_code();
    drop(rt);
    match result {
        Ok(()) => Ok(0),
        Err(CallError::Exit) => {
            let status = match opts.wasi {
                WasiImpl::Guestmem => ctx.exit_code().unwrap_or(0),
                WasiImpl::Wasm3 => u32::from_le_bytes(wasm3_status.to_le_bytes()),
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
    let mut argv = std::env::args_os().skip(1);
    match argv.next().as_ref().and_then(|s| s.to_str()) {
        Some("run") => {
            let opts = parse_run(argv)?;
            // wasm3 recurses on the native stack: give the guest a thread with plenty of it.
            std::thread::Builder::new()
                .name("guest".into())
                .stack_size(NATIVE_STACK)
                .spawn(move || run(opts))
                .map_err(|e| fail(EX_SOFTWARE, format!("cannot start the guest thread: {e}")))?
                .join()
                .unwrap_or_else(|_| Err(fail(EX_SOFTWARE, "trap: host panicked")))
        }
        Some("check") => check(argv.collect()),
        Some("lower") => lower(argv.collect()),
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            Ok(0)
        }
        _ => Err(fail(EX_USAGE, USAGE)),
    }
}

fn main() -> ExitCode {
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
