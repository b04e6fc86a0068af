//! The wasm3 firmware's guests (its `guests/*.wasm`, included at compile time), run on wasmi.
//! Unlike wasm3's firmware no promise is made about the bytes: wasmi validates every module.

use cortex_m_semihosting::{hprint, hprintln};
use guestmem_wasi::abi::HostFn;
use guestmem_wasi::{WasiCtx, FUNCTION_COUNT};
use guestmem_wasmi::{CallError, Runtime, StartError};

use crate::board::Board;

/// The host context of every guest.
pub(crate) type Ctx = WasiCtx<Board>;

/// The host functions, in flash: the WASI subset and the raw guests' `env` module.
static WASI_FUNCTIONS: [HostFn<Ctx>; FUNCTION_COUNT] = guestmem_wasi::host_functions();
static RAW_FUNCTIONS: [HostFn<Ctx>; guestmem_example_host::FUNCTION_COUNT] =
    guestmem_example_host::host_functions();

/// How a guest is run (as in the wasm3 firmware).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A WASI command: `_start`, ending with `proc_exit`.
    Wasi,
    /// A raw guest: `run() -> i32`, the number of wrong results.
    Raw,
    /// `attempt(n, end) -> i32` for n = 0, 1, … until -1, `end` the size of the memory wasmi
    /// maps; `describe(n)` prints what it does.
    Hostile,
    /// The measurement image's bench: see `bench.rs`.
    #[cfg(feature = "bench")]
    Bench,
}

/// An embedded guest.
pub(crate) struct Guest {
    /// Its name on the command line.
    pub(crate) name: &'static str,
    /// The module's bytes.
    pub(crate) module: &'static [u8],
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
        module: include_bytes!("../../../examples-wasm3/firmware/guests/bench.wasm"),
        kind: Kind::Bench,
    },
];

const HELLO: Guest = Guest {
    name: "hello",
    module: include_bytes!("../../../examples-wasm3/firmware/guests/hello.wasm"),
    kind: Kind::Wasi,
};
const RAW: Guest = Guest {
    name: "raw",
    module: include_bytes!("../../../examples-wasm3/firmware/guests/raw.wasm"),
    kind: Kind::Raw,
};
const HOSTILE: Guest = Guest {
    name: "hostile",
    module: include_bytes!("../../../examples-wasm3/firmware/guests/hostile.wasm"),
    kind: Kind::Hostile,
};

/// The guest called `name`.
pub(crate) fn find(name: &[u8]) -> Option<&'static Guest> {
    GUESTS.iter().find(|g| g.name.as_bytes() == name)
}

/// Loads `guest` (validation included), links every host function, instantiates it, runs it,
/// and prints what happened. Returns the guest's `proc_exit` status, else 0 when it behaved,
/// 1 when it did not (or could not be loaded).
pub(crate) fn run(guest: &Guest, ctx: Ctx) -> u32 {
    #[cfg(not(feature = "bench"))]
    let functions: [&[HostFn<Ctx>]; 2] = [&WASI_FUNCTIONS, &RAW_FUNCTIONS];
    #[cfg(feature = "bench")]
    let functions: [&[HostFn<Ctx>]; 3] =
        [&WASI_FUNCTIONS, &RAW_FUNCTIONS, &crate::bench::FUNCTIONS];
    let loaded = Runtime::new(guest.module, ctx, &functions);
    let mut rt = match loaded {
        Ok(rt) => rt,
        Err(e) => {
            hprintln!("fw: cannot load {}: {}", guest.name, e);
            return 1;
        }
    };
    match rt.instantiate() {
        Ok(()) => {}
        Err(StartError::Call(e)) => {
            hprintln!("fw: {} start function failed: {}", guest.name, e);
            return 1;
        }
        Err(e) => {
            hprintln!("fw: cannot instantiate {}: {}", guest.name, e);
            return 1;
        }
    }
    match guest.kind {
        Kind::Wasi => run_wasi(guest, &mut rt),
        Kind::Raw => run_raw(guest, &mut rt),
        Kind::Hostile => run_hostile(&mut rt),
        #[cfg(feature = "bench")]
        Kind::Bench => crate::bench::run(&mut rt),
    }
}

fn run_wasi(guest: &Guest, rt: &mut Runtime<Ctx>) -> u32 {
    match rt.call("_start", &[]) {
        Ok(_) => {
            hprintln!("fw: {} returned without proc_exit", guest.name);
            0
        }
        Err(CallError::Exit) => {
            let code = rt.ctx().exit_code().unwrap_or(0);
            hprintln!("fw: {} called proc_exit({})", guest.name, code);
            code
        }
        Err(e) => {
            hprintln!("fw: {} failed: {}", guest.name, e);
            1
        }
    }
}

fn run_raw(guest: &Guest, rt: &mut Runtime<Ctx>) -> u32 {
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

fn run_hostile(rt: &mut Runtime<Ctx>) -> u32 {
    // The whole declared page (wasmi cannot map less), where the wasm3 firmware has its 4 KiB
    // cap: the guest computes "past the end of memory" from what the host tells it.
    let end = rt.memory_size();
    hprintln!(
        "fw: hostile: the guest memory ends at {} (wasmi's memory)",
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
        match rt.call("attempt", &[u64::from(n), end]) {
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

/// The `i32` in the low half of a slot.
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
