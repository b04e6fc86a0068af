//! The measurement image's bench (`--features bench`, guest `bench`: the wasm3 firmware's
//! `guests/bench.wasm`) on wasmi: instructions per host call of guestmem's `fd_write` (the
//! WASI subset's, 4 iovecs) and `fill16` (a `guest_struct!` out-parameter), counted by QEMU's
//! instruction counter (`-icount shift=0`: SysTick advances one tick per
//! `board::NS_PER_TICK` instructions), as in the wasm3 firmware's `src/bench.rs`.
//!
//! The guest calls each host function [`CALLS`] times from one loop (through a function table,
//! so the loop is the same code for every variant); `cargo xtask firmware` subtracts the count
//! of the same loop calling an empty host function (here: an empty `HostFn` behind the same
//! guestmem-wasmi glue) and divides by [`CALLS`]. wasm3's C variants have no wasmi
//! equivalent: their imports are linked to a host function that answers `ENOSYS` and are not
//! measured. One workload, the same on both engines: the guest's `fill16_expected(CALLS)`, a
//! pure CPU loop (no host call), checked against the sum it must compute.

use cortex_m_semihosting::hprintln;
use guestmem_wasi::abi::HostFn;
use guestmem_wasi::guestmem::{GuestFrame, GuestPtr};
use guestmem_wasi::{Errno, HasWasi, Iovec};
use guestmem_wasmi::Runtime;

use crate::bench_guest::{expected_sum, fill16, nop_fd_write, nop_fill16, Quad};
use crate::board;
use crate::guests::Ctx;
use crate::sink::{self, Mode};

/// Host calls per measurement (the wasm3 firmware's count).
const CALLS: u32 = 4000;

/// The bench guest's `bench.*` imports, every one of them (wasmi links a module only when
/// each import is provided).
pub(crate) static FUNCTIONS: [HostFn<Ctx>; 10] = functions();

/// [`FUNCTIONS`] for any context.
const fn functions<C: HasWasi>() -> [HostFn<C>; 10] {
    guestmem_wasi::__host_fn_table!([C] module "bench"; bound guestmem_wasi::HasWasi;
        fn "nop_fd_write" (u32, GuestPtr<'_, [Iovec<'_>]>, GuestPtr<'_, u32>) -> Errno = nop_fd_write;
        fn "c_fd_write" (u32, GuestPtr<'_, [Iovec<'_>]>, GuestPtr<'_, u32>) -> Errno = absent_fd_write;
        fn "fast_fd_write" (u32, GuestPtr<'_, [Iovec<'_>]>, GuestPtr<'_, u32>) -> Errno = absent_fd_write;
        fn "gm_nop_fd_write" (u32, GuestPtr<'_, [Iovec<'_>]>, GuestPtr<'_, u32>) -> Errno = nop_fd_write;
        fn "nop_fill16" (u32, u32, GuestPtr<'_, Quad>) -> Errno = nop_fill16;
        fn "c_fill16" (u32, u32, GuestPtr<'_, Quad>) -> Errno = absent_fill16;
        fn "gm_fill16" (u32, u32, GuestPtr<'_, Quad>) -> Errno = fill16;
        fn "fast_fill16" (u32, u32, GuestPtr<'_, Quad>) -> Errno = absent_fill16;
        fn "gm_nop_fill16" (u32, u32, GuestPtr<'_, Quad>) -> Errno = nop_fill16;
        fn "lean_fill16" (u32, u32, GuestPtr<'_, Quad>) -> Errno = absent_fill16;
    )
}

/// A variant of `fd_write` that wasmi has no equivalent of (wasm3's C macros, the fastest
/// path written against wasm3's binding).
fn absent_fd_write<C>(
    _ctx: &mut C,
    _mem: &GuestFrame<'_>,
    _fd: u32,
    _iovs: GuestPtr<'_, [Iovec<'_>]>,
    _nwritten: GuestPtr<'_, u32>,
) -> Errno {
    Errno::Nosys
}

/// A variant of `fill16` that wasmi has no equivalent of.
fn absent_fill16<C>(
    _ctx: &mut C,
    _mem: &GuestFrame<'_>,
    _a: u32,
    _b: u32,
    _out: GuestPtr<'_, Quad>,
) -> Errno {
    Errno::Nosys
}

/// The variants measured, in the guest's numbering, as `cargo xtask firmware` names them.
const VARIANTS: [(u64, &str); 2] = [(0, "empty"), (2, "guestmem")];

/// Measures every variant and the workload, and prints one line per measurement:
/// `bench: <function> | <variant> | <calls> calls | <instructions> instructions`.
pub(crate) fn run(rt: &mut Runtime<Ctx>) -> u32 {
    let mut failures = 0u32;
    for (v, name) in VARIANTS {
        report("fd_write", name, measure_fd_write(rt, v), &mut failures);
    }
    for (v, name) in VARIANTS {
        report("fill16", name, measure_fill16(rt, v), &mut failures);
    }
    report(
        "workload",
        "fill16_expected",
        measure_workload(rt),
        &mut failures,
    );
    sink::set(Mode::Off);
    hprintln!("fw: bench: {} measurements failed", failures);
    u32::from(failures != 0)
}

/// Prints one measurement (or why it failed).
fn report(function: &str, variant: &str, r: Result<u64, &'static str>, failures: &mut u32) {
    match r {
        Ok(count) => hprintln!(
            "bench: {} | {} | {} calls | {} instructions",
            function,
            variant,
            CALLS,
            count
        ),
        Err(e) => {
            hprintln!("bench: {} | {} | FAILED: {}", function, variant, e);
            *failures = failures.saturating_add(1);
        }
    }
}

/// Instructions between two SysTick readings (under `-icount shift=0`).
fn instructions(from: u64, to: u64) -> u64 {
    to.saturating_sub(from).saturating_mul(board::NS_PER_TICK)
}

/// Calls the guest's `name(args)`; its `i32` result as a `u32`.
fn call_u32(rt: &mut Runtime<Ctx>, name: &str, args: &[u64]) -> Result<u32, &'static str> {
    match rt.call(name, args) {
        Ok(Some(slot)) => {
            let [a, b, c, d, ..] = slot.to_le_bytes();
            Ok(u32::from_le_bytes([a, b, c, d]))
        }
        Ok(None) => Err("no result"),
        Err(_) => Err("the guest call failed"),
    }
}

/// Calls `name(args)` and counts its instructions; its result and the count.
fn timed(rt: &mut Runtime<Ctx>, name: &str, args: &[u64]) -> Result<(u32, u64), &'static str> {
    let t0 = board::ticks();
    let r = call_u32(rt, name, args);
    let t1 = board::ticks();
    r.map(|r| (r, instructions(t0, t1)))
}

/// Checks one `fd_write` call of variant `v` (the sink hashing), then counts [`CALLS`] of them.
fn measure_fd_write(rt: &mut Runtime<Ctx>, v: u64) -> Result<u64, &'static str> {
    let bytes = call_u32(rt, "fd_write_bytes", &[])?;
    let hash = call_u32(rt, "fd_write_hash", &[])?;
    let empty = v == 0;
    let want = if empty { 0 } else { bytes };

    sink::set(Mode::Verify);
    let r = call_u32(rt, "fd_write_loop", &[v, 1])?;
    let (got, _, got_hash) = sink::totals();
    let nwritten = call_u32(rt, "fd_write_nwritten", &[])?;
    if r != 0 {
        return Err("fd_write returned an error");
    }
    if got != want || nwritten != want {
        return Err("fd_write wrote the wrong number of bytes");
    }
    if !empty && got_hash != hash {
        return Err("fd_write wrote other bytes than the guest's");
    }

    sink::set(Mode::Count);
    let (r, count) = timed(rt, "fd_write_loop", &[v, u64::from(CALLS)])?;
    let (got, _, _) = sink::totals();
    sink::set(Mode::Off);
    let nwritten = call_u32(rt, "fd_write_nwritten", &[])?;
    if r != 0 || got != want.wrapping_mul(CALLS) || nwritten != want {
        return Err("the counted fd_write calls did not all write the guest's bytes");
    }
    Ok(count)
}

/// Counts [`CALLS`] `fill16` calls of variant `v` (after one call), and checks the guest's
/// sum of what they wrote.
fn measure_fill16(rt: &mut Runtime<Ctx>, v: u64) -> Result<u64, &'static str> {
    if call_u32(rt, "fill16_loop", &[v, 1])? != 0 {
        return Err("fill16 returned an error");
    }
    let (r, count) = timed(rt, "fill16_loop", &[v, u64::from(CALLS)])?;
    let sum = call_u32(rt, "fill16_sum_of_last", &[])?;
    let want = if v == 0 { 0 } else { expected_sum(CALLS) };
    if r != 0 || sum != want {
        return Err("the counted fill16 calls did not all write {a, b, a ^ b, a + b}");
    }
    Ok(count)
}

/// Counts the guest's `fill16_expected(CALLS)` (a CPU loop, no host call) and checks its sum.
fn measure_workload(rt: &mut Runtime<Ctx>) -> Result<u64, &'static str> {
    let (sum, count) = timed(rt, "fill16_expected", &[u64::from(CALLS)])?;
    if sum != expected_sum(CALLS) {
        return Err("fill16_expected computed another sum");
    }
    Ok(count)
}
