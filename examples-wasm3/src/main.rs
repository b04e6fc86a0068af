//! `guestmem-wasm3`: runs a WASI (or raw) WebAssembly program on wasm3 with guestmem's WASI.
//!
//! ```text
//! guestmem-wasm3 run <module.wasm> [--env KEY=VALUE]... [--stack BYTES] [--wasi guestmem|wasm3] [-- ARGS...]
//! guestmem-wasm3 check <module.wasm>...
//! ```
//!
//! Exit status: the guest's `proc_exit` status, 0 when `_start` returns, 64 for bad usage, 65
//! for an unreadable, invalid or unsupported module, 70 when the guest traps.

use std::ffi::{CString, OsString};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use guestmem_wasm3::wasi::{self, StdHost, WasiCtx};
use guestmem_wasm3::{raw_host, CallError, Runtime};

const EX_USAGE: u8 = 64;
const EX_DATAERR: u8 = 65;
const EX_SOFTWARE: u8 = 70;

const USAGE: &str = "usage: guestmem-wasm3 run <module.wasm> [--env KEY=VALUE]... [--stack BYTES] \
                     [--wasi guestmem|wasm3] [-- ARGS...]\n       guestmem-wasm3 check <module.wasm>...";

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

fn check(paths: Vec<OsString>) -> Result<u8, Failure> {
    if paths.is_empty() {
        return Err(fail(EX_USAGE, "missing <module.wasm>"));
    }
    for path in &paths {
        let wasm = read_module(path)?;
        let info = guestmem_wasm3::validate(&wasm)
            .map_err(|e| fail(EX_DATAERR, format!("{}: {e}", Path::new(path).display())))?;
        let imports: Vec<String> = info
            .imports
            .iter()
            .map(|i| format!("{}.{}", i.module, i.name))
            .collect();
        let exports: Vec<&str> = info.exports.iter().map(|e| e.name.as_str()).collect();
        println!(
            "{}: ok for wasm3 0.4.7; imports: {}; exports: {}",
            Path::new(path).display(),
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

fn run(opts: Options) -> Result<u8, Failure> {
    let wasm = read_module(&opts.module)?;
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
    if rt.info().exported_function("_start").is_none() {
        return Err(fail(EX_DATAERR, "the module exports no _start function"));
    }

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
