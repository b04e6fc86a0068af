//! The guests embedded in the image (built from `guests/*.c`, see `cargo xtask firmware
//! --guests`), and how each one is run and judged.

use cortex_m_semihosting::{hprint, hprintln};
use guestmem_wasm3::wasi::{self, WasiCtx};
use guestmem_wasm3::{raw_host, CallError, Config, HostFunc, Runtime, TrustedModule};

use crate::board::Board;
use crate::embedded;

/// The host context of every guest.
pub(crate) type Ctx = WasiCtx<Board>;

/// wasm3's value stack for a guest, in bytes (from the fixed heap).
pub(crate) const WASM_STACK: u32 = 2048;

/// The guest memory the firmware allows, in bytes: the guests declare one 64 KiB page, and
/// wasm3 allocates only this much of it (from the fixed heap). Loads and stores past it trap,
/// host functions answer `EFAULT`, and `memory.grow` returns -1.
pub(crate) const MEMORY_LIMIT: u32 = 4096;

/// The host functions, in flash: the WASI subset and the raw guests' `env` module.
static WASI_FUNCTIONS: [HostFunc<Ctx>; 46] = wasi::functions();
static RAW_FUNCTIONS: [HostFunc<Ctx>; 4] = raw_host::functions();

/// How a guest is run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A WASI command: `_start`, ending with `proc_exit`.
    Wasi,
    /// A raw guest: `run() -> i32`, the number of wrong results.
    Raw,
    /// `attempt(n, end) -> i32` for n = 0, 1, … until -1, `end` the size of the memory
    /// wasm3 allocated; `describe(n)` prints what it does.
    Hostile,
    /// The measurement image's bench: see `bench.rs`.
    #[cfg(feature = "bench")]
    Bench,
}

/// An embedded guest.
pub(crate) struct Guest {
    /// Its name on the command line.
    pub(crate) name: &'static str,
    /// The module, validated before the image was built.
    pub(crate) module: TrustedModule<'static>,
    kind: Kind,
}

/// Every guest; the first is the default.
#[cfg(not(feature = "bench"))]
pub(crate) static GUESTS: [Guest; 3] = [HELLO, RAW, HOSTILE];
/// Every guest; the first is the default.
#[cfg(feature = "bench")]
pub(crate) static GUESTS: [Guest; 4] = [
    HELLO,
    RAW,
    HOSTILE,
    Guest {
        name: "bench",
        module: embedded::BENCH,
        kind: Kind::Bench,
    },
];

const HELLO: Guest = Guest {
    name: "hello",
    module: embedded::HELLO,
    kind: Kind::Wasi,
};
const RAW: Guest = Guest {
    name: "raw",
    module: embedded::RAW,
    kind: Kind::Raw,
};
const HOSTILE: Guest = Guest {
    name: "hostile",
    module: embedded::HOSTILE,
    kind: Kind::Hostile,
};

/// The guest called `name`.
pub(crate) fn find(name: &[u8]) -> Option<&'static Guest> {
    GUESTS.iter().find(|g| g.name.as_bytes() == name)
}

/// How a guest ended: the status the firmware exits with.
pub(crate) type Status = u32;

/// Loads `guest`, links every host function it may import, runs it, and prints what
/// happened. Returns the exit status: the guest's `proc_exit` status, else 0 when it
/// behaved, 1 when it did not (or could not be loaded).
pub(crate) fn run(guest: &Guest, ctx: &mut Ctx) -> Status {
    let config = Config::new(WASM_STACK).with_memory_limit(MEMORY_LIMIT);
    let loaded = Runtime::with_config_trusted(guest.module, ctx, config);
    let mut rt = match loaded {
        Ok(rt) => rt,
        Err(e) => {
            hprintln!("fw: cannot load {}: {}", guest.name, e);
            return 1;
        }
    };
    if !link_functions(&mut rt) {
        return 1;
    }
    match guest.kind {
        Kind::Wasi => run_wasi(guest, &mut rt),
        Kind::Raw => run_raw(guest, &mut rt),
        Kind::Hostile => run_hostile(&mut rt),
        #[cfg(feature = "bench")]
        Kind::Bench => crate::bench::run(&mut rt),
    }
}

/// Links the WASI subset and the raw host functions (only what the module imports).
fn link_functions(rt: &mut Runtime<'_, Ctx>) -> bool {
    for f in WASI_FUNCTIONS.iter().chain(RAW_FUNCTIONS.iter()) {
        if let Err(e) = rt.link(f) {
            hprintln!("fw: {}", e);
            return false;
        }
    }
    true
}

fn run_wasi(guest: &Guest, rt: &mut Runtime<'_, Ctx>) -> Status {
    match rt.call("_start", &[]) {
        Ok(_) => {
            hprintln!("fw: {} returned without proc_exit", guest.name);
            0
        }
        Err(CallError::Exit) => {
            let code = rt.context().exit_code().unwrap_or(0);
            hprintln!("fw: {} called proc_exit({})", guest.name, code);
            code
        }
        Err(e) => {
            hprintln!("fw: {} failed: {}", guest.name, e);
            1
        }
    }
}

fn run_raw(guest: &Guest, rt: &mut Runtime<'_, Ctx>) -> Status {
    match rt.call("run", &[]) {
        Ok(Some(slot)) => {
            let wrong = low_i32(slot);
            hprintln!("fw: {} returned {} wrong results", guest.name, wrong);
            u32::from(wrong != 0)
        }
        Ok(None) => {
            hprintln!("fw: {} returned nothing", guest.name);
            1
        }
        Err(e) => {
            hprintln!("fw: {} failed: {}", guest.name, e);
            1
        }
    }
}

/// The number of attempts tried at most (the guest ends the list with -1 earlier).
const MAX_ATTEMPTS: u32 = 64;

fn run_hostile(rt: &mut Runtime<'_, Ctx>) -> Status {
    // What wasm3 allocated (`MEMORY_LIMIT`), not the page the module declares: the guest
    // cannot learn it (`memory.size` says 1 page), so the host tells it.
    let end = rt.memory().len();
    hprintln!(
        "fw: hostile: the guest memory ends at {} (wasm3's allocation)",
        end
    );
    let (mut refused, mut trapped, mut accepted, mut failed) = (0u32, 0u32, 0u32, 0u32);
    for n in 0..MAX_ATTEMPTS {
        hprint!("hostile #{:02} ", n);
        if let Err(e) = rt.call("describe", &[u64::from(n)]) {
            hprintln!("\nfw: describe({}) failed: {}", n, e);
            failed = failed.saturating_add(1);
            break;
        }
        match rt.call("attempt", &[u64::from(n), u64::from(end)]) {
            Ok(Some(slot)) => match low_i32(slot) {
                -1 => {
                    hprintln!("(none: the list ends)");
                    break;
                }
                0 => {
                    hprintln!("   -> ACCEPTED: the host took the bad input");
                    accepted = accepted.saturating_add(1);
                }
                errno => {
                    hprintln!("   -> refused: errno {} ({})", errno, errno_name(errno));
                    refused = refused.saturating_add(1);
                }
            },
            Ok(None) => {
                hprintln!("   -> no result");
                failed = failed.saturating_add(1);
            }
            Err(CallError::Trap(m)) => {
                hprintln!("   -> trapped: {}", m);
                trapped = trapped.saturating_add(1);
            }
            Err(e) => {
                hprintln!("   -> failed: {}", e);
                failed = failed.saturating_add(1);
            }
        }
    }
    // The runtime must still work after every trap: one more host call through the guest.
    hprint!("fw: after the attempts, describe(0) still runs: ");
    let alive = rt.call("describe", &[0]).is_ok();
    if !alive {
        hprintln!("NO");
    }
    hprintln!(
        "fw: hostile: {} refused, {} trapped, {} accepted, {} failed; firmware still running",
        refused,
        trapped,
        accepted,
        failed
    );
    u32::from(accepted != 0 || failed != 0 || !alive || refused.saturating_add(trapped) == 0)
}

/// The `i32` in the low half of a wasm3 slot.
fn low_i32(slot: u64) -> i32 {
    let [a, b, c, d, ..] = slot.to_le_bytes();
    i32::from_le_bytes([a, b, c, d])
}

/// The WASI name of the errnos the host functions answer with.
fn errno_name(errno: i32) -> &'static str {
    match errno {
        8 => "EBADF",
        21 => "EFAULT",
        28 => "EINVAL",
        48 => "ENOMEM",
        52 => "ENOSYS",
        61 => "EOVERFLOW",
        _ => "?",
    }
}
