//! The measurement image's bench (`--features bench`, guest `bench`): instructions per host
//! call for the same host functions written three ways — C with wasm3's macros (`c/bench.c`),
//! guestmem as the example's host functions are written today, and guestmem's fastest path
//! (below) — counted by QEMU's instruction counter (`-icount shift=0`: the virtual clock, which
//! SysTick runs on, advances 1 ns per instruction).
//!
//! The guest calls each variant [`CALLS`] times from a loop of the same shape; the firmware
//! reads SysTick around the call into the guest and prints the instructions. `cargo xtask
//! firmware` subtracts the count of the loop that calls an empty C host function and divides
//! by [`CALLS`]. Every variant is checked to do its work: `fd_write`'s bytes are hashed by the
//! sink and compared with the guest's hash, its `*nwritten` and byte counts compared; the
//! `fill16` out-parameter is summed by the guest after every call and compared with the sum it
//! must have.

use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use cortex_m_semihosting::hprintln;
use guestmem::{GuestFrame, GuestPtr};
use guestmem_wasm3::wasi::{Errno, HasWasi, Iovec, Stdio, WasiHost};
use guestmem_wasm3::{host_fn, HostFunc, Runtime};

use crate::bench_guest::{expected_sum, fill16, nop_fd_write, nop_fill16, quad, Quad};
use crate::board;
use crate::c_bench;
use crate::guests::{Ctx, Status};
use crate::sink::{self, Mode};

/// Host calls per measurement, unless the command line says otherwise (`-append "bench N"`:
/// a few calls, to trace them with QEMU's `-d exec`).
pub(crate) const CALLS: u32 = 4000;

static CALLS_NOW: AtomicU32 = AtomicU32::new(CALLS);

/// Takes the number of calls per measurement from the command line's word after the guest.
pub(crate) fn set_calls(word: Option<&[u8]>) {
    let n = word
        .and_then(|w| {
            w.iter().try_fold(0u32, |n, b| {
                let digit = u32::from(b.checked_sub(b'0').filter(|d| *d < 10)?);
                n.checked_mul(10)?.checked_add(digit)
            })
        })
        .filter(|n| *n > 0);
    if let Some(n) = n {
        CALLS_NOW.store(n, Relaxed);
    }
}

/// Host calls per measurement now.
fn calls() -> u32 {
    CALLS_NOW.load(Relaxed)
}

/// Iterations of the two-instruction loop that checks the counter.
const KNOWN_ITERATIONS: u32 = 50_000;

/// The guestmem host functions of the bench guest (`bench.*`); its `wasi_snapshot_preview1`
/// `fd_write` is the firmware's own (`guests::WASI_FUNCTIONS`).
static FUNCTIONS: [HostFunc<Ctx>; 5] = [
    host_fn!(<Ctx> "bench" "fast_fd_write"
        => fast_fd_write(u32, GuestPtr<'_, [Iovec<'_>]>, GuestPtr<'_, u32>) -> Errno),
    host_fn!(<Ctx> "bench" "gm_nop_fd_write"
        => nop_fd_write(u32, GuestPtr<'_, [Iovec<'_>]>, GuestPtr<'_, u32>) -> Errno),
    host_fn!(<Ctx> "bench" "gm_fill16" => fill16(u32, u32, GuestPtr<'_, Quad>) -> Errno),
    host_fn!(<Ctx> "bench" "fast_fill16" => fast_fill16(u32, u32, GuestPtr<'_, Quad>) -> Errno),
    host_fn!(<Ctx> "bench" "gm_nop_fill16" => nop_fill16(u32, u32, GuestPtr<'_, Quad>) -> Errno),
];

/// `Ok` → `ESUCCESS`, `Err(e)` → `e`.
fn errno(r: Result<(), Errno>) -> Errno {
    r.err().unwrap_or(Errno::Success)
}

/// [`fill16`] for the lean glue of `c_bench::fw_lean_fill16`: the same body, its errno as
/// the slot value.
#[inline(always)]
pub(crate) fn fill16_body(mem: &GuestFrame<'_>, a: u32, b: u32, out: u32) -> u32 {
    let quad = quad(a, b);
    u32::from(
        errno(
            GuestPtr::<Quad>::new(mem, out)
                .write(quad)
                .map_err(Errno::from),
        )
        .to_raw(),
    )
}

/// `fill16` for speed: the four words copied in with one check (the guest offset and
/// alignment of the struct, as [`fill16`] checks them).
fn fast_fill16(
    _ctx: &mut Ctx,
    mem: &GuestFrame<'_>,
    a: u32,
    b: u32,
    out: GuestPtr<'_, Quad>,
) -> Errno {
    let words = [a, b, a ^ b, a.wrapping_add(b)];
    errno(
        GuestPtr::<[u32]>::new(mem, (out.offset(), 4))
            .copy_from_slice(&words)
            .map_err(Errno::from),
    )
}

/// The iovecs the fast path of [`fast_fd_write`] takes at most.
const FAST_IOVECS: usize = 4;

/// `fd_write` for speed: for up to [`FAST_IOVECS`] iovecs, one view of the whole memory, the
/// iovecs read from it and each buffer cut out of it (each cut is its check), and the host
/// handed those slices with one `write`. The same checks and errors as the WASI `fd_write`:
/// `EBADF`, `EFAULT` and `EINVAL` for the iovec array, each buffer and `nwritten`, all before
/// the host sees a byte.
///
/// A measurement variant, not a whole `fd_write`: more iovecs get `ENOTSUP`. Handing them to
/// the WASI `fd_write` would give that function a second caller in this image, and the
/// compiler would keep it out of line, where the shipped firmware inlines it into its
/// trampoline: the "guestmem" row would measure another layout than the one that ships.
fn fast_fd_write<'a>(
    ctx: &mut Ctx,
    mem: &'a GuestFrame<'a>,
    fd: u32,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nwritten: GuestPtr<'a, u32>,
) -> Errno {
    match fast_write(ctx, mem, fd, iovs, nwritten) {
        Some(r) => errno(r),
        None => Errno::Notsup,
    }
}

/// The fast path of [`fast_fd_write`]; `None` when the call does not fit it.
#[inline(always)]
fn fast_write<'a>(
    ctx: &mut Ctx,
    mem: &'a GuestFrame<'a>,
    fd: u32,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nwritten: GuestPtr<'a, u32>,
) -> Option<Result<(), Errno>> {
    let count = usize::try_from(iovs.len()).ok()?;
    if count > FAST_IOVECS {
        return None;
    }
    let stream = match fd {
        1 => Stdio::Stdout,
        2 => Stdio::Stderr,
        _ => return Some(Err(Errno::Badf)),
    };
    Some(write_iovecs(ctx, mem, stream, count, iovs, nwritten))
}

/// The fast path proper.
#[inline(always)]
fn write_iovecs<'a>(
    ctx: &mut Ctx,
    mem: &'a GuestFrame<'a>,
    stream: Stdio,
    count: usize,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nwritten: GuestPtr<'a, u32>,
) -> Result<(), Errno> {
    nwritten.as_array(1).validate()?;
    // The iovecs: `count` pairs of little-endian words (buf, buf_len), aligned as a `u32`.
    if !iovs.offset_base().is_multiple_of(4) {
        return Err(Errno::Inval);
    }
    let at = usize::try_from(iovs.offset_base()).map_err(|_| Errno::Fault)?;
    let written = {
        // No other view is live: not refused.
        let memory = GuestPtr::<[u8]>::new(mem, (0, mem.len())).as_slice()?;
        let table = memory
            .get(at..at.saturating_add(count.saturating_mul(8)))
            .ok_or(Errno::Fault)?;
        let mut bufs: [&[u8]; FAST_IOVECS] = [&[]; FAST_IOVECS];
        let mut total = 0u32;
        for (buf, pair) in bufs.iter_mut().zip(table.chunks_exact(8)) {
            let (start, len) = words(pair);
            // Empty buffers are never accessed, so they may point anywhere.
            if len > 0 {
                let end = start.checked_add(len).ok_or(Errno::Fault)?;
                let range = usize::try_from(start).unwrap_or(usize::MAX)
                    ..usize::try_from(end).unwrap_or(usize::MAX);
                *buf = memory.get(range).ok_or(Errno::Fault)?;
                total = total.checked_add(len).ok_or(Errno::Inval)?;
            }
        }
        if total == 0 {
            0
        } else {
            let bufs = bufs.get(..count).unwrap_or(&[]);
            let written = ctx.wasi().host().write(stream, bufs)?;
            u32::try_from(written).unwrap_or(u32::MAX).min(total)
        }
    }; // the view ends here
    nwritten.write(written)?;
    Ok(())
}

/// The two little-endian words of an 8-byte iovec.
#[inline(always)]
fn words(pair: &[u8]) -> (u32, u32) {
    match *pair {
        [a, b, c, d, e, f, g, h] => (
            u32::from_le_bytes([a, b, c, d]),
            u32::from_le_bytes([e, f, g, h]),
        ),
        _ => (0, 0),
    }
}

/// The variants, in the guest's numbering (its loops' first argument).
const VARIANTS: [(u64, &str); 5] = [
    (0, "empty C"),
    (1, "C macros"),
    (2, "guestmem"),
    (3, "guestmem fastest"),
    (4, "empty host_fn!"),
];

/// `fill16` only: guestmem's body behind a lean glue (a what-if, `c_bench::fw_lean_fill16`).
const LEAN: (u64, &str) = (5, "guestmem, lean glue");

/// Whether variant `v` is an empty host function (writes nothing).
fn is_empty(v: u64) -> bool {
    v == 0 || v == 4
}

/// Links the bench's host functions (the caller has linked the WASI subset), checks the
/// counter, measures every variant, and prints one line per measurement:
/// `bench: <function> | <variant> | <calls> calls | <instructions> instructions`.
pub(crate) fn run(rt: &mut Runtime<'_, Ctx>) -> Status {
    for f in &FUNCTIONS {
        if let Err(e) = rt.link(f) {
            hprintln!("fw: {}", e);
            return 1;
        }
    }
    if let Err(e) = c_bench::link(rt) {
        hprintln!("fw: bench: {}", e);
        return 1;
    }
    let t0 = board::ticks();
    let known = c_bench::known_loop(KNOWN_ITERATIONS);
    let counted = instructions(t0, board::ticks());
    hprintln!(
        "bench: counter | {} instructions of a known loop counted as {} (SysTick, {} ns per tick)",
        known,
        counted,
        board::NS_PER_TICK
    );
    let mut failures = 0u32;
    for (v, name) in VARIANTS {
        match measure_fd_write(rt, v) {
            Ok(count) => hprintln!(
                "bench: fd_write | {} | {} calls | {} instructions",
                name,
                calls(),
                count
            ),
            Err(e) => {
                hprintln!("bench: fd_write | {} | FAILED: {}", name, e);
                failures = failures.saturating_add(1);
            }
        }
    }
    for (v, name) in VARIANTS.into_iter().chain([LEAN]) {
        match measure_fill16(rt, v) {
            Ok(count) => hprintln!(
                "bench: fill16 | {} | {} calls | {} instructions",
                name,
                calls(),
                count
            ),
            Err(e) => {
                hprintln!("bench: fill16 | {} | FAILED: {}", name, e);
                failures = failures.saturating_add(1);
            }
        }
    }
    match measure_workload(rt) {
        Ok(count) => hprintln!(
            "bench: workload | fill16_expected | {} calls | {} instructions",
            calls(),
            count
        ),
        Err(e) => {
            hprintln!("bench: workload | fill16_expected | FAILED: {}", e);
            failures = failures.saturating_add(1);
        }
    }
    sink::set(Mode::Off);
    hprintln!("fw: bench: {} measurements failed", failures);
    u32::from(failures != 0)
}

/// Instructions between two SysTick readings (under `-icount shift=0`).
fn instructions(from: u64, to: u64) -> u64 {
    to.saturating_sub(from).saturating_mul(board::NS_PER_TICK)
}

/// Calls the guest's `name(args)`; its `i32` result.
fn call_i32(rt: &mut Runtime<'_, Ctx>, name: &str, args: &[u64]) -> Result<i32, &'static str> {
    match rt.call(name, args) {
        Ok(Some(slot)) => {
            let [a, b, c, d, ..] = slot.to_le_bytes();
            Ok(i32::from_le_bytes([a, b, c, d]))
        }
        Ok(None) => Err("no result"),
        Err(_) => Err("the guest call failed"),
    }
}

/// Calls `name(args)` and counts its instructions; its result and the count.
fn timed(rt: &mut Runtime<'_, Ctx>, name: &str, args: &[u64]) -> Result<(i32, u64), &'static str> {
    let t0 = board::ticks();
    let r = rt.call(name, args);
    let t1 = board::ticks();
    let r = match r {
        Ok(Some(slot)) => {
            let [a, b, c, d, ..] = slot.to_le_bytes();
            i32::from_le_bytes([a, b, c, d])
        }
        Ok(None) => return Err("no result"),
        Err(_) => return Err("the guest call failed"),
    };
    Ok((r, instructions(t0, t1)))
}

/// The guest's `u32` from `name()`.
fn guest_u32(rt: &mut Runtime<'_, Ctx>, name: &str, args: &[u64]) -> Result<u32, &'static str> {
    call_i32(rt, name, args).map(|v| u32::from_le_bytes(v.to_le_bytes()))
}

/// Checks one `fd_write` call of variant `v` (the sink hashing), then counts [`CALLS`] of them.
fn measure_fd_write(rt: &mut Runtime<'_, Ctx>, v: u64) -> Result<u64, &'static str> {
    let bytes = guest_u32(rt, "fd_write_bytes", &[])?;
    let hash = guest_u32(rt, "fd_write_hash", &[])?;
    let (want_bytes, want_nwritten) = if is_empty(v) { (0, 0) } else { (bytes, bytes) };

    sink::set(Mode::Verify);
    let r = call_i32(rt, "fd_write_loop", &[v, 1])?;
    let (got, _, got_hash) = sink::totals();
    let nwritten = guest_u32(rt, "fd_write_nwritten", &[])?;
    if r != 0 {
        return Err("fd_write returned an error");
    }
    if got != want_bytes || nwritten != want_nwritten {
        return Err("fd_write wrote the wrong number of bytes");
    }
    if !is_empty(v) && got_hash != hash {
        return Err("fd_write wrote other bytes than the guest's");
    }

    sink::set(Mode::Count);
    let (r, count) = timed(rt, "fd_write_loop", &[v, u64::from(calls())])?;
    let (got, _, _) = sink::totals();
    sink::set(Mode::Off);
    let nwritten = guest_u32(rt, "fd_write_nwritten", &[])?;
    if r != 0 || got != want_bytes.wrapping_mul(calls()) || nwritten != want_nwritten {
        return Err("the counted fd_write calls did not all write the guest's bytes");
    }
    Ok(count)
}

/// Counts [`CALLS`] `fill16` calls of variant `v` (after one call that compiles the loop), and
/// checks the guest's sum of what they wrote.
fn measure_fill16(rt: &mut Runtime<'_, Ctx>, v: u64) -> Result<u64, &'static str> {
    if call_i32(rt, "fill16_loop", &[v, 1])? != 0 {
        return Err("fill16 returned an error");
    }
    let (r, count) = timed(rt, "fill16_loop", &[v, u64::from(calls())])?;
    let sum = guest_u32(rt, "fill16_sum_of_last", &[])?;
    let want = if is_empty(v) {
        0
    } else {
        guest_u32(rt, "fill16_expected", &[u64::from(calls())])?
    };
    if r != 0 || sum != want {
        return Err("the counted fill16 calls did not all write {a, b, a ^ b, a + b}");
    }
    Ok(count)
}

/// Counts the guest's `fill16_expected(n)` for [`CALLS`] iterations: a CPU loop without host
/// calls (the workload the wasmi firmware runs too), checked against the sum it must compute.
fn measure_workload(rt: &mut Runtime<'_, Ctx>) -> Result<u64, &'static str> {
    let (sum, count) = timed(rt, "fill16_expected", &[u64::from(calls())])?;
    if u32::from_le_bytes(sum.to_le_bytes()) != expected_sum(calls()) {
        return Err("fill16_expected computed another sum");
    }
    Ok(count)
}
