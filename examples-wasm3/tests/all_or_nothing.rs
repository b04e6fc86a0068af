//! All-or-nothing host calls (DESIGN §4 point 11): every host function of the example checks
//! every guest region it will read or write before its first side effect, so a call refused
//! with an errno leaves guest memory byte for byte as it was and the host untouched (no
//! output, no stdin consumed, no clock read, no random bytes drawn).
//!
//! Each function is called without wasm3, over a `GuestFrame` filled with a known pattern and
//! a valid layout of its arguments: first with valid arguments (it succeeds and has its
//! effect, so the layout is right), then with exactly one region made bad — out of bounds,
//! crossing the end, wrapping past 4 GiB, misaligned, invalid, or overlapping another —
//! asserting the errno, the unchanged memory and the silent host.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::arithmetic_side_effects
)]

use guestmem::{GuestFrame, GuestPtr};
use guestmem_wasm3::raw_host;
use guestmem_wasm3::wasi::{calls, ClockId, Errno, HostCall, Stdio, TestHost, WasiCtx};
use guestmem_wasm3::wasi::{poll, preview0};
use guestmem_wasm3::Trap;

/// The memory size; `END` is the first offset past it.
const END: u32 = 2048;
const ARGS: &[&[u8]] = &[b"prog", b"--flag", b""];
const ENV: &[&[u8]] = &[b"A=1", b"LONGER=value"];
const STDIN: &[u8] = b"the input stream";

/// Scratch for out-parameters (8-aligned), an array of iovecs or structs, data buffers, and
/// string buffers.
const OUT: u32 = 0x100;
const OUT2: u32 = 0x108;
const ARRAY: u32 = 0x200;
const DATA: u32 = 0x300;
const STRINGS: u32 = 0x400;

type Ctx = WasiCtx<TestHost<'static>>;

/// What the guest sees a call return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Out {
    Errno(Errno),
    /// A raw function's status: 0 or a negated errno.
    Status(i32),
    Trap(Trap),
}

use Errno::{Badf, Fault, Inval, Overflow, Spipe, Success};

fn neg(e: Errno) -> Out {
    Out::Status(-i32::from(e.to_raw()))
}

/// Calls host function `name` with the guest's argument slots `a`, as the glue would.
fn call(name: &str, ctx: &mut Ctx, mem: &GuestFrame<'_>, a: &[u32]) -> Out {
    let p = |i: usize| a[i];
    let wide = |i: usize| u64::from(a[i]);
    let e = Out::Errno;
    match name {
        "args_get" => e(calls::args_get(
            ctx,
            mem,
            GuestPtr::new(mem, p(0)),
            GuestPtr::new(mem, p(1)),
        )),
        "args_sizes_get" => e(calls::args_sizes_get(
            ctx,
            mem,
            GuestPtr::new(mem, p(0)),
            GuestPtr::new(mem, p(1)),
        )),
        "environ_get" => e(calls::environ_get(
            ctx,
            mem,
            GuestPtr::new(mem, p(0)),
            GuestPtr::new(mem, p(1)),
        )),
        "environ_sizes_get" => e(calls::environ_sizes_get(
            ctx,
            mem,
            GuestPtr::new(mem, p(0)),
            GuestPtr::new(mem, p(1)),
        )),
        "fd_write" => e(calls::fd_write(
            ctx,
            mem,
            p(0),
            GuestPtr::new(mem, (p(1), p(2))),
            GuestPtr::new(mem, p(3)),
        )),
        "fd_read" => e(calls::fd_read(
            ctx,
            mem,
            p(0),
            GuestPtr::new(mem, (p(1), p(2))),
            GuestPtr::new(mem, p(3)),
        )),
        "fd_close" => e(calls::fd_close(ctx, mem, p(0))),
        "fd_seek" => e(calls::fd_seek(
            ctx,
            mem,
            p(0),
            wide(1) as i64,
            p(2),
            GuestPtr::new(mem, p(3)),
        )),
        "fd_fdstat_get" => e(calls::fd_fdstat_get(
            ctx,
            mem,
            p(0),
            GuestPtr::new(mem, p(1)),
        )),
        "fd_prestat_get" => e(calls::fd_prestat_get(
            ctx,
            mem,
            p(0),
            GuestPtr::new(mem, p(1)),
        )),
        "fd_prestat_dir_name" => e(calls::fd_prestat_dir_name(
            ctx,
            mem,
            p(0),
            GuestPtr::new(mem, (p(1), p(2))),
        )),
        "clock_res_get" => e(calls::clock_res_get(
            ctx,
            mem,
            p(0),
            GuestPtr::new(mem, p(1)),
        )),
        "clock_time_get" => e(calls::clock_time_get(
            ctx,
            mem,
            p(0),
            wide(1),
            GuestPtr::new(mem, p(2)),
        )),
        "random_get" => e(calls::random_get(
            ctx,
            mem,
            GuestPtr::new(mem, (p(0), p(1))),
        )),
        "sched_yield" => e(calls::sched_yield(ctx, mem)),
        "poll_oneoff" => e(poll::poll_oneoff(
            ctx,
            mem,
            GuestPtr::new(mem, p(0)),
            GuestPtr::new(mem, p(1)),
            p(2),
            GuestPtr::new(mem, p(3)),
        )),
        "poll_oneoff/preview0" => e(preview0::poll_oneoff(
            ctx,
            mem,
            GuestPtr::new(mem, p(0)),
            GuestPtr::new(mem, p(1)),
            p(2),
            GuestPtr::new(mem, p(3)),
        )),
        "proc_exit" => match calls::proc_exit(ctx, mem, p(0)) {
            Ok(()) => e(Success),
            Err(t) => Out::Trap(t),
        },
        "print" => Out::Status(raw_host::print(ctx, mem, GuestPtr::new(mem, (p(0), p(1))))),
        "sum_points" => Out::Status(raw_host::sum_points(
            ctx,
            mem,
            GuestPtr::new(mem, (p(0), p(1))),
            GuestPtr::new(mem, p(2)),
        )),
        "shape_area" => Out::Status(raw_host::shape_area(
            ctx,
            mem,
            GuestPtr::new(mem, p(0)),
            GuestPtr::new(mem, p(1)),
        )),
        "upper" => Out::Status(raw_host::upper(
            ctx,
            mem,
            GuestPtr::new(mem, (p(0), p(1))),
            GuestPtr::new(mem, (p(2), p(3))),
            GuestPtr::new(mem, p(4)),
        )),
        _ => panic!("no host function {name}"),
    }
}

/// Bytes at an offset.
type Patch = (u32, Vec<u8>);

/// `(buf, buf_len)` iovecs, one after the other.
fn iovecs(list: &[(u32, u32)]) -> Vec<u8> {
    list.iter()
        .flat_map(|(buf, len)| [buf.to_le_bytes(), len.to_le_bytes()].concat())
        .collect()
}

/// What one call did.
struct Run {
    got: Out,
    before: Vec<u8>,
    after: Vec<u8>,
    host: TestHost<'static>,
    exit_code: Option<u32>,
}

impl Run {
    fn u32_at(&self, at: u32) -> u32 {
        u32::from_le_bytes(self.after[at as usize..][..4].try_into().unwrap())
    }

    fn u64_at(&self, at: u32) -> u64 {
        u64::from_le_bytes(self.after[at as usize..][..8].try_into().unwrap())
    }

    fn bytes_at(&self, at: u32, len: usize) -> &[u8] {
        &self.after[at as usize..][..len]
    }
}

/// A host function and the valid layout of its arguments in memory.
struct Fixture {
    name: &'static str,
    layout: Vec<Patch>,
}

impl Fixture {
    fn new(name: &'static str, layout: Vec<Patch>) -> Self {
        Fixture { name, layout }
    }

    /// Calls the function with `args` over the pattern, the layout, then `patches`.
    fn run(&self, patches: &[Patch], args: &[u32]) -> Run {
        let mut bytes: Vec<u8> = (0..END).map(|i| (i * 131 + 7) as u8).collect();
        for (at, data) in self.layout.iter().chain(patches) {
            bytes[*at as usize..][..data.len()].copy_from_slice(data);
        }
        let before = bytes.clone();
        let mut ctx = WasiCtx::new(TestHost::new(ARGS, ENV, STDIN));
        let got = {
            let mem = GuestFrame::from_slice(&mut bytes);
            call(self.name, &mut ctx, &mem, args)
        };
        Run {
            got,
            before,
            after: bytes,
            exit_code: ctx.exit_code(),
            host: ctx.host().clone(),
        }
    }

    /// Runs a call that must succeed with `want`; returns it for its effects.
    fn accepted(&self, patches: &[Patch], args: &[u32], want: Out) -> Run {
        let run = self.run(patches, args);
        assert_eq!(run.got, want, "{}{args:?} {patches:?}", self.name);
        run
    }

    /// Runs a call that must be refused with `want`, having changed nothing.
    fn refused(&self, patches: &[Patch], args: &[u32], want: Out) {
        let what = format!("{}{args:x?} with {patches:x?}", self.name);
        let run = self.run(patches, args);
        assert_eq!(run.got, want, "{what}: errno");
        if let Some(at) = (0..run.before.len()).find(|&i| run.before[i] != run.after[i]) {
            panic!(
                "{what}: refused, but memory changed from offset {at:#x}: {:02x?} -> {:02x?}",
                &run.before[at..(at + 8).min(run.before.len())],
                &run.after[at..(at + 8).min(run.after.len())]
            );
        }
        let host = &run.host;
        assert_eq!(
            host.calls, 0,
            "{what}: refused, but the host saw {:?}",
            host.log
        );
        assert_eq!(host.stdin, STDIN, "{what}: stdin consumed");
        assert!(host.stdout.is_empty() && host.stderr.is_empty(), "{what}");
        assert_eq!(run.exit_code, None, "{what}");
    }
}

/// `args` with argument `i` replaced by `v`.
fn with(args: &[u32], i: usize, v: u32) -> Vec<u32> {
    let mut a = args.to_vec();
    a[i] = v;
    a
}

/// The usual bad places for a `size`-byte out-parameter aligned to `align`, and their errno:
/// past the end, crossing it (when `size > align`), wrapping past 4 GiB, misaligned.
fn bad_out(size: u32, align: u32) -> Vec<(u32, Errno)> {
    let mut v = vec![(END, Fault), (u32::MAX - align + 1, Fault)];
    if size > align {
        v.push((END - align, Fault));
    }
    if align > 1 {
        v.push((OUT + 1, Inval));
        v.push((OUT + align / 2, Inval));
    }
    v
}

// ---------------------------------------------------------------------------------------
// WASI: arguments and environment.

fn sizes_get(name: &'static str, count: u32, bytes: u32) {
    let f = Fixture::new(name, vec![]);
    let good = [OUT, OUT2];
    let run = f.accepted(&[], &good, Out::Errno(Success));
    assert_eq!((run.u32_at(OUT), run.u32_at(OUT2)), (count, bytes));
    for i in 0..2 {
        for (bad, errno) in bad_out(4, 4) {
            f.refused(&[], &with(&good, i, bad), Out::Errno(errno));
        }
    }
}

#[test]
fn args_sizes_get() {
    sizes_get("args_sizes_get", 3, 5 + 7 + 1);
}

#[test]
fn environ_sizes_get() {
    sizes_get("environ_sizes_get", 2, 4 + 13);
}

fn strings_get(name: &'static str, strings: &[&[u8]]) {
    let f = Fixture::new(name, vec![]);
    let total: u32 = strings.iter().map(|s| s.len() as u32 + 1).sum();
    let n = strings.len() as u32;
    let good = [ARRAY, STRINGS];
    let run = f.accepted(&[], &good, Out::Errno(Success));
    let mut at = STRINGS;
    for (i, s) in strings.iter().enumerate() {
        assert_eq!(run.u32_at(ARRAY + 4 * i as u32), at);
        assert_eq!(run.bytes_at(at, s.len() + 1), [*s, b"\0"].concat());
        at += s.len() as u32 + 1;
    }
    // The pointer array: n pointers, 4-aligned.
    for (bad, errno) in [
        (END, Fault),
        (END - 4 * n + 4, Fault), // the last pointer crosses the end
        (u32::MAX - 3, Fault),
        (ARRAY + 2, Inval),
    ] {
        f.refused(&[], &with(&good, 0, bad), Out::Errno(errno));
    }
    // The string buffer: `total` bytes, any alignment.
    for bad in [END, END - total + 1, END - 1, u32::MAX - total + 2] {
        f.refused(&[], &with(&good, 1, bad), Out::Errno(Fault));
    }
}

#[test]
fn args_get() {
    strings_get("args_get", ARGS);
}

#[test]
fn environ_get() {
    strings_get("environ_get", ENV);
}

// ---------------------------------------------------------------------------------------
// WASI: fd_write and fd_read.

/// Three buffers of text for `fd_write`, and their iovecs.
fn write_layout() -> Vec<Patch> {
    vec![
        (DATA, b"hello".to_vec()),
        (DATA + 0x10, b" ".to_vec()),
        (DATA + 0x20, b"world".to_vec()),
        (
            ARRAY,
            iovecs(&[(DATA, 5), (DATA + 0x10, 1), (DATA + 0x20, 5)]),
        ),
    ]
}

/// Bad buffers for iovec `i` of an array at `ARRAY`, each with its errno.
fn bad_buffers(i: u32) -> Vec<(Patch, Errno)> {
    let at = ARRAY + 8 * i;
    [
        ((END, 1), Fault),               // past the end
        ((END - 2, 5), Fault),           // crossing it
        ((DATA, u32::MAX), Fault),       // 4 GiB
        ((u32::MAX - 1, 5), Fault),      // wrapping
        ((DATA, END - DATA + 1), Fault), // one byte too long
    ]
    .into_iter()
    .map(|(iov, errno)| ((at, iovecs(&[iov])), errno))
    .collect()
}

/// Bad iovec arrays of `n` entries at `ARRAY` (argument 1, length argument 2).
fn bad_arrays(n: u32) -> Vec<(u32, u32, Errno)> {
    vec![
        (END, n, Fault),
        (END - 8 * n + 8, n, Fault), // the last iovec crosses the end
        (u32::MAX - 7, n, Fault),
        (ARRAY + 2, n, Inval),
        (ARRAY + 1, n, Inval),
        (ARRAY, 0x2000_0000, Fault), // 8 * len wraps
        (ARRAY, (END - ARRAY) / 8 + 1, Fault),
    ]
}

#[test]
fn fd_write() {
    let f = Fixture::new("fd_write", write_layout());
    let good = [1, ARRAY, 3, OUT];
    let run = f.accepted(&[], &good, Out::Errno(Success));
    assert_eq!(run.host.stdout.as_slice(), b"hello world");
    assert_eq!(run.u32_at(OUT), 11);
    let run = f.accepted(&[], &with(&good, 0, 2), Out::Errno(Success));
    assert_eq!(run.host.stderr.as_slice(), b"hello world");

    for fd in [0, 3, 99] {
        f.refused(&[], &with(&good, 0, fd), Out::Errno(Badf));
    }
    for (bad, errno) in bad_out(4, 4) {
        f.refused(&[], &with(&good, 3, bad), Out::Errno(errno));
    }
    for (base, len, errno) in bad_arrays(3) {
        f.refused(&[], &[1, base, len, OUT], Out::Errno(errno));
    }
    for i in 0..3 {
        for (patch, errno) in bad_buffers(i) {
            f.refused(&[patch], &good, Out::Errno(errno));
        }
    }
}

#[test]
fn fd_write_many_iovecs_and_many_bytes() {
    // 20 iovecs (more than one batch of 16): a bad last one writes nothing.
    let list: Vec<(u32, u32)> = (0..20).map(|i| (DATA + 0x20 * (i % 3), 5)).collect();
    let mut layout = write_layout();
    layout.push((ARRAY, iovecs(&list)));
    let f = Fixture::new("fd_write", layout);
    let good = [1, ARRAY, 20, OUT];
    let run = f.accepted(&[], &good, Out::Errno(Success));
    assert_eq!(run.u32_at(OUT), 100);
    assert_eq!(
        run.host.log.as_slice(),
        [
            HostCall::Write(Stdio::Stdout, 80),
            HostCall::Write(Stdio::Stdout, 20)
        ]
    );
    for i in [0, 15, 16, 19] {
        for (patch, errno) in bad_buffers(i) {
            f.refused(&[patch], &good, Out::Errno(errno));
        }
    }
    for (bad, errno) in bad_out(4, 4) {
        f.refused(&[], &with(&good, 3, bad), Out::Errno(errno));
    }

    // Buffers too large to copy (lent as views): the same checks.
    let f = Fixture::new(
        "fd_write",
        vec![(ARRAY, iovecs(&[(DATA, 300), (STRINGS, 400)]))],
    );
    let good = [1, ARRAY, 2, OUT];
    let run = f.accepted(&[], &good, Out::Errno(Success));
    assert_eq!(run.u32_at(OUT), 700);
    assert_eq!(
        run.host.stdout.as_slice(),
        [run.bytes_at(DATA, 300), run.bytes_at(STRINGS, 400)].concat()
    );
    for i in 0..2 {
        for (patch, errno) in bad_buffers(i) {
            f.refused(&[patch], &good, Out::Errno(errno));
        }
    }
    for (bad, errno) in bad_out(4, 4) {
        f.refused(&[], &with(&good, 3, bad), Out::Errno(errno));
    }
}

#[test]
fn fd_read() {
    let layout = vec![(
        ARRAY,
        iovecs(&[(DATA, 0), (DATA, 4), (DATA + 0x10, 8), (DATA + 0x20, 8)]),
    )];
    let f = Fixture::new("fd_read", layout);
    let good = [0, ARRAY, 4, OUT];
    let run = f.accepted(&[], &good, Out::Errno(Success));
    assert_eq!(run.u32_at(OUT), 4);
    assert_eq!(run.bytes_at(DATA, 4), b"the ");
    assert_eq!(run.host.stdin, b"input stream");
    // An empty buffer is never looked at, wherever it points.
    let run = f.accepted(
        &[(ARRAY, iovecs(&[(u32::MAX, 0)]))],
        &good,
        Out::Errno(Success),
    );
    assert_eq!(run.u32_at(OUT), 4);

    for fd in [1, 2, 3, 99] {
        f.refused(&[], &with(&good, 0, fd), Out::Errno(Badf));
    }
    for (bad, errno) in bad_out(4, 4) {
        f.refused(&[], &with(&good, 3, bad), Out::Errno(errno));
    }
    for (base, len, errno) in bad_arrays(4) {
        f.refused(&[], &[0, base, len, OUT], Out::Errno(errno));
    }
    // A bad later buffer: the earlier ones stay unwritten, stdin unread.
    for i in 1..4 {
        for (patch, errno) in bad_buffers(i) {
            f.refused(&[patch], &good, Out::Errno(errno));
        }
    }
}

// ---------------------------------------------------------------------------------------
// WASI: the other functions with guest regions.

#[test]
fn fd_seek() {
    let f = Fixture::new("fd_seek", vec![]);
    // Never writes `*newoffset`: the streams are not seekable.
    let good = [1, 0, 0, OUT];
    f.refused(&[], &good, Out::Errno(Spipe));
    for (bad, _) in bad_out(8, 8) {
        f.refused(&[], &with(&good, 3, bad), Out::Errno(Spipe));
    }
    f.refused(&[], &with(&good, 2, 7), Out::Errno(Inval));
    f.refused(&[], &with(&good, 0, 99), Out::Errno(Badf));
}

#[test]
fn fd_fdstat_get() {
    let f = Fixture::new("fd_fdstat_get", vec![]);
    let good = [1, OUT];
    let run = f.accepted(&[], &good, Out::Errno(Success));
    assert_eq!(run.bytes_at(OUT, 8), [2, 0, 0, 0, 0, 0, 0, 0]);
    for (bad, errno) in bad_out(24, 8) {
        f.refused(&[], &with(&good, 1, bad), Out::Errno(errno));
    }
    f.refused(&[], &with(&good, 0, 99), Out::Errno(Badf));
}

#[test]
fn fd_prestat_get_and_dir_name() {
    // No pre-opened directory: EBADF, nothing written, wherever the buffers point.
    let f = Fixture::new("fd_prestat_get", vec![]);
    for p in [OUT, END, OUT + 1] {
        f.refused(&[], &[3, p], Out::Errno(Badf));
    }
    let f = Fixture::new("fd_prestat_dir_name", vec![]);
    for (p, len) in [(STRINGS, 16), (END, 100), (u32::MAX, 2)] {
        f.refused(&[], &[3, p, len], Out::Errno(Badf));
    }
}

fn clock(name: &'static str, good: &[u32], out_arg: usize, host_call: HostCall, want: u64) {
    let f = Fixture::new(name, vec![]);
    let run = f.accepted(&[], good, Out::Errno(Success));
    assert_eq!(run.u64_at(OUT), want);
    assert_eq!(run.host.log.as_slice(), [host_call]);
    for (bad, errno) in bad_out(8, 8) {
        f.refused(&[], &with(good, out_arg, bad), Out::Errno(errno));
    }
    f.refused(&[], &with(good, 0, 4), Out::Errno(Inval));
}

#[test]
fn clock_res_get() {
    clock(
        "clock_res_get",
        &[1, OUT],
        1,
        HostCall::ClockRes(ClockId::Monotonic),
        1_000,
    );
}

#[test]
fn clock_time_get() {
    let t0 = TestHost::default().time;
    clock(
        "clock_time_get",
        &[0, 1, OUT],
        2,
        HostCall::ClockTime(ClockId::Realtime),
        t0,
    );
}

#[test]
fn random_get() {
    let f = Fixture::new("random_get", vec![]);
    let run = f.accepted(&[], &[DATA, 16], Out::Errno(Success));
    assert_ne!(run.bytes_at(DATA, 16), &run.before[DATA as usize..][..16]);
    assert_eq!(run.host.log.as_slice(), [HostCall::Random(16)]);
    // An empty buffer at the end is in bounds.
    f.accepted(&[], &[END, 0], Out::Errno(Success));
    for (p, len) in [
        (END, 1),
        (END - 8, 16),
        (u32::MAX - 15, 0x100),
        (DATA, u32::MAX),
        (END + 1, 0),
    ] {
        f.refused(&[], &[p, len], Out::Errno(Fault));
    }
}

#[test]
fn functions_without_guest_regions_touch_no_memory() {
    let f = Fixture::new("fd_close", vec![]);
    f.refused(&[], &[99], Out::Errno(Badf));
    let run = f.accepted(&[], &[1], Out::Errno(Success));
    assert_eq!(run.before, run.after);
    let run = Fixture::new("sched_yield", vec![]).accepted(&[], &[], Out::Errno(Success));
    assert_eq!(
        (run.before == run.after, run.host.log.as_slice()),
        (true, &[HostCall::SchedYield][..])
    );
    let run = Fixture::new("proc_exit", vec![]).accepted(&[], &[3], Out::Trap(Trap::Exit));
    assert_eq!((run.before == run.after, run.exit_code), (true, Some(3)));
}

// ---------------------------------------------------------------------------------------
// WASI: poll_oneoff.

/// A relative monotonic clock subscription of `timeout` ns: 48 bytes (preview1), or 56 with
/// preview0's `identifier` before the clock.
fn clock_sub(userdata: u64, timeout: u64, preview0: bool) -> Vec<u8> {
    let mut s = vec![0u8; if preview0 { 56 } else { 48 }];
    let at = if preview0 { 24 } else { 16 };
    s[..8].copy_from_slice(&userdata.to_le_bytes());
    s[at] = 1; // monotonic
    s[at + 8..at + 16].copy_from_slice(&timeout.to_le_bytes());
    s
}

#[test]
fn poll_oneoff() {
    const MS: u64 = 1_000_000;
    let subs = [clock_sub(1, MS, false), clock_sub(2, 3 * MS, false)].concat();
    let f = Fixture::new("poll_oneoff", vec![(ARRAY, subs)]);
    let good = [ARRAY, DATA, 2, OUT];
    let run = f.accepted(&[], &good, Out::Errno(Success));
    assert_eq!(run.u32_at(OUT), 1);
    // The event: userdata 1, error 0, type clock; the host slept for the earlier clock.
    assert_eq!(run.u64_at(DATA), 1);
    assert_eq!(run.bytes_at(DATA + 8, 24), [0; 24]);
    assert_eq!(run.host.log.as_slice(), [HostCall::Sleep(MS)]);

    // No subscriptions.
    f.refused(&[], &with(&good, 2, 0), Out::Errno(Inval));
    // The subscriptions: 48 bytes each, 8-aligned.
    for (bad, errno) in [
        (END, Fault),
        (END - 48, Fault), // the second crosses the end
        (u32::MAX - 7, Fault),
        (ARRAY + 4, Inval),
        (ARRAY + 1, Inval),
    ] {
        f.refused(&[], &with(&good, 0, bad), Out::Errno(errno));
    }
    f.refused(&[], &with(&good, 2, 0x0555_5556), Out::Errno(Fault)); // 48 * n wraps
                                                                     // A bad tag, clock id or clock flags, in either subscription.
    for (at, byte) in [(8, 3u8), (16, 4), (40, 2), (48 + 8, 7), (48 + 16, 9)] {
        f.refused(&[(ARRAY + at, vec![byte])], &good, Out::Errno(Inval));
    }
    // The events: 32 bytes each, 8-aligned, not over the subscriptions.
    for (bad, errno) in [
        (END, Fault),
        (END - 32, Fault),
        (u32::MAX - 7, Fault),
        (DATA + 4, Inval),
        (ARRAY, Fault),
        (ARRAY + 48, Fault),
        (ARRAY - 56, Fault), // the second event overlaps the first subscription
    ] {
        f.refused(&[], &with(&good, 1, bad), Out::Errno(errno));
    }
    // `nevents`: 4 bytes, 4-aligned, not in the subscriptions.
    for (bad, errno) in bad_out(4, 4).into_iter().chain([(ARRAY + 40, Fault)]) {
        f.refused(&[], &with(&good, 3, bad), Out::Errno(errno));
    }
}

#[test]
fn poll_oneoff_preview0() {
    // preview0's layout: 56-byte subscriptions, the same events.
    let subs = [clock_sub(1, 500, true), clock_sub(2, 100, true)].concat();
    let f = Fixture::new("poll_oneoff/preview0", vec![(ARRAY, subs)]);
    let good = [ARRAY, DATA, 2, OUT];
    let run = f.accepted(&[], &good, Out::Errno(Success));
    assert_eq!((run.u32_at(OUT), run.u64_at(DATA)), (1, 2));
    assert_eq!(run.host.log.as_slice(), [HostCall::Sleep(100)]);
    for (bad, errno) in [(END - 56, Fault), (ARRAY + 4, Inval)] {
        f.refused(&[], &with(&good, 0, bad), Out::Errno(errno));
    }
    // preview0's clock id is at 24; at 16 is its `identifier`, any value.
    f.refused(&[(ARRAY + 24, vec![4])], &good, Out::Errno(Inval));
    f.accepted(&[(ARRAY + 16, vec![0xEE; 8])], &good, Out::Errno(Success));
    f.refused(&[], &with(&good, 1, ARRAY + 56), Out::Errno(Fault));
}

// ---------------------------------------------------------------------------------------
// The raw functions (module `env`).

#[test]
fn print() {
    let f = Fixture::new("print", vec![(DATA, b"hello".to_vec())]);
    let run = f.accepted(&[], &[DATA, 5], Out::Status(0));
    assert_eq!(run.host.stdout.as_slice(), b"hello\n");
    for (p, len) in [(END, 1), (END - 2, 5), (u32::MAX - 1, 5), (DATA, u32::MAX)] {
        f.refused(&[], &[p, len], neg(Fault));
    }
    f.refused(&[(DATA + 2, vec![0xff])], &[DATA, 5], neg(Inval));
}

fn point(x: i32, y: i32) -> Vec<u8> {
    [x.to_le_bytes(), y.to_le_bytes()].concat()
}

#[test]
fn sum_points() {
    let points = [point(1, 2), point(30, 40), point(-5, 500)].concat();
    let f = Fixture::new("sum_points", vec![(ARRAY, points)]);
    let good = [ARRAY, 3, OUT];
    let run = f.accepted(&[], &good, Out::Status(0));
    assert_eq!(run.bytes_at(OUT, 8), point(26, 542));
    for (p, n, errno) in [
        (END, 3, Fault),
        (END - 16, 3, Fault),
        (u32::MAX - 7, 3, Fault),
        (ARRAY + 2, 3, Inval),
        (ARRAY, 0x2000_0000, Fault),
    ] {
        f.refused(&[], &[p, n, OUT], neg(errno));
    }
    for (bad, errno) in bad_out(8, 4) {
        f.refused(&[], &with(&good, 2, bad), neg(errno));
    }
}

fn shape(kind: u8, flags: u16, w: u32, h: u32) -> Vec<u8> {
    let mut s = vec![kind, 0];
    s.extend_from_slice(&flags.to_le_bytes());
    s.extend_from_slice(&w.to_le_bytes());
    s.extend_from_slice(&h.to_le_bytes());
    s
}

#[test]
fn shape_area() {
    let f = Fixture::new("shape_area", vec![(ARRAY, shape(1, 1, 6, 7))]);
    let good = [ARRAY, OUT];
    let run = f.accepted(&[], &good, Out::Status(0));
    assert_eq!(run.u64_at(OUT), 42);
    for (bad, errno) in [
        (END, Fault),
        (END - 8, Fault),
        (u32::MAX - 3, Fault),
        (ARRAY + 2, Inval),
    ] {
        f.refused(&[], &with(&good, 0, bad), neg(errno));
    }
    f.refused(&[(ARRAY, shape(9, 0, 1, 1))], &good, neg(Inval));
    f.refused(&[(ARRAY, shape(1, 0x80, 1, 1))], &good, neg(Inval));
    for (bad, errno) in bad_out(8, 8) {
        f.refused(&[], &with(&good, 1, bad), neg(errno));
    }
}

#[test]
fn upper() {
    let f = Fixture::new("upper", vec![(DATA, b"Hello".to_vec())]);
    let good = [DATA, 5, STRINGS, 16, OUT];
    let run = f.accepted(&[], &good, Out::Status(0));
    assert_eq!(
        (run.bytes_at(STRINGS, 5), run.u32_at(OUT)),
        (&b"HELLO"[..], 5)
    );
    assert_eq!(
        run.bytes_at(STRINGS + 5, 11),
        &run.before[STRINGS as usize + 5..][..11]
    );
    // `out` too small: EOVERFLOW and the length needed in `*out_len`, `out` untouched.
    let run = f.accepted(&[], &with(&good, 3, 4), neg(Overflow));
    assert_eq!(run.u32_at(OUT), 5);
    assert_eq!(
        run.bytes_at(STRINGS, 16),
        &run.before[STRINGS as usize..][..16]
    );

    // A bad text.
    for (p, len) in [(END, 1), (END - 2, 5), (u32::MAX - 1, 5)] {
        f.refused(&[], &[p, len, STRINGS, 16, OUT], neg(Fault));
    }
    f.refused(&[(DATA + 1, vec![0xc3])], &good, neg(Inval));
    // A bad `out`, large enough or too small: refused before `*out_len` is written.
    for cap in [16, 2] {
        for (p, errno) in [
            (END, Fault),
            (END - 1, Fault),
            (u32::MAX - 1, Fault),
            (DATA, Fault),     // the text itself
            (DATA + 2, Fault), // overlapping its end
            (DATA - 1, Fault), // overlapping its start
        ] {
            f.refused(&[], &[DATA, 5, p, cap, OUT], neg(errno));
        }
    }
    // A bad `out_len`, with `out` large enough or too small.
    for cap in [16, 2] {
        for (bad, errno) in bad_out(4, 4) {
            f.refused(&[], &[DATA, 5, STRINGS, cap, bad], neg(errno));
        }
    }
}

/// The file functions, on `StdHost` over a scratch directory: each is called first with valid
/// arguments (it has its effect), then with one guest region made bad — a path, a buffer or
/// an out-parameter out of bounds, wrapping, misaligned, or a path too long — and must answer
/// the errno having changed nothing: guest memory byte for byte, the directory tree (names,
/// contents, times), the file's offset, and the descriptor table.
mod files {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::time::SystemTime;

    use guestmem::{GuestFrame, GuestPtr};
    use guestmem_wasm3::wasi::fs::MAX_PATH;
    use guestmem_wasm3::wasi::{calls, Errno, StdHost, WasiCtx};

    use super::Patch;

    const END: u32 = 4096;
    const OUT: u32 = 0x100;
    const IOV: u32 = 0x200;
    const P1: u32 = 0x400;
    const P2: u32 = 0x500;
    const BUF: u32 = 0x800;
    /// The preopened root, and a file in it opened to read and write.
    const ROOT: u32 = 3;
    const FILE: u32 = 4;

    type Tree = BTreeMap<PathBuf, (Vec<u8>, SystemTime, bool)>;

    fn tree(dir: &Path) -> Tree {
        let mut out = Tree::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let bytes = if m.is_file() {
                std::fs::read(&p).unwrap()
            } else {
                Vec::new()
            };
            if m.is_dir() {
                out.extend(tree(&p));
            }
            out.insert(p, (bytes, m.modified().unwrap(), m.is_symlink()));
        }
        out
    }

    /// A scratch root holding `file` ("0123456789"), `dir/` and `link` -> `file`.
    fn scratch(name: &str) -> PathBuf {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("aon-files-{name}"));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("dir")).unwrap();
        std::fs::write(root.join("file"), b"0123456789").unwrap();
        std::os::unix::fs::symlink("file", root.join("link")).unwrap();
        root
    }

    struct Run {
        got: Errno,
        before: Vec<u8>,
        after: Vec<u8>,
        tree_before: Tree,
        tree_after: Tree,
        /// The file's offset after the call, and the lowest free fd.
        offset: u64,
        free_fd: u32,
    }

    /// Calls `name` with `args` over a fresh scratch root, memory holding the pattern and
    /// `patches`.
    fn run(name: &str, patches: &[Patch], args: &[u64]) -> Run {
        let root = scratch(name);
        let mut host = StdHost::new(Vec::new(), Vec::new());
        let h = host.preopen(&root, b"/").unwrap();
        let mut ctx = WasiCtx::new(host);
        assert_eq!(ctx.add_preopen(h).unwrap(), ROOT);
        let mut bytes: Vec<u8> = (0..END).map(|i| (i * 131 + 7) as u8).collect();
        // Open `file` as fd 4, read and write, its offset at 2.
        {
            bytes[P1 as usize..][..4].copy_from_slice(b"file");
            let mem = GuestFrame::from_slice(&mut bytes);
            let rw = (guestmem_wasm3::wasi::Rights::FD_READ
                | guestmem_wasm3::wasi::Rights::FD_WRITE)
                .to_raw();
            let e = calls::path_open(
                &mut ctx,
                &mem,
                ROOT,
                0,
                GuestPtr::new(&mem, (P1, 4)),
                0,
                rw,
                0,
                0,
                GuestPtr::new(&mem, OUT),
            );
            assert_eq!(e, Errno::Success);
            let e = calls::fd_seek(&mut ctx, &mem, FILE, 2, 0, GuestPtr::new(&mem, OUT));
            assert_eq!(e, Errno::Success);
        }
        let mut bytes: Vec<u8> = (0..END).map(|i| (i * 131 + 7) as u8).collect();
        for (at, data) in patches {
            bytes[*at as usize..][..data.len()].copy_from_slice(data);
        }
        let before = bytes.clone();
        let tree_before = tree(&root);
        let got = {
            let mem = GuestFrame::from_slice(&mut bytes);
            call(name, &mut ctx, &mem, args)
        };
        let after = bytes.clone();
        let tree_after = tree(&root);
        let mut scratch_mem = vec![0u8; 64];
        let mem = GuestFrame::from_slice(&mut scratch_mem);
        let _ = calls::fd_tell(&mut ctx, &mem, FILE, GuestPtr::new(&mem, 0));
        let offset = GuestPtr::<u64>::new(&mem, 0).read().unwrap();
        let free_fd = (0..64).find(|&fd| ctx.descriptor(fd).is_err()).unwrap();
        let _ = std::fs::remove_dir_all(&root);
        Run {
            got,
            before,
            after,
            tree_before,
            tree_after,
            offset,
            free_fd,
        }
    }

    fn call(name: &str, ctx: &mut WasiCtx<StdHost>, mem: &GuestFrame<'_>, a: &[u64]) -> Errno {
        let n = |i: usize| a[i] as u32;
        let s = |i: usize| GuestPtr::<[u8]>::new(mem, (n(i), n(i + 1)));
        match name {
            "path_open" => calls::path_open(
                ctx,
                mem,
                n(0),
                n(1),
                s(2),
                n(4),
                a[5],
                a[6],
                n(7),
                GuestPtr::new(mem, n(8)),
            ),
            "fd_read" => calls::fd_read(
                ctx,
                mem,
                n(0),
                GuestPtr::new(mem, (n(1), n(2))),
                GuestPtr::new(mem, n(3)),
            ),
            "fd_write" => calls::fd_write(
                ctx,
                mem,
                n(0),
                GuestPtr::new(mem, (n(1), n(2))),
                GuestPtr::new(mem, n(3)),
            ),
            "fd_pread" => calls::fd_pread(
                ctx,
                mem,
                n(0),
                GuestPtr::new(mem, (n(1), n(2))),
                a[3],
                GuestPtr::new(mem, n(4)),
            ),
            "fd_pwrite" => calls::fd_pwrite(
                ctx,
                mem,
                n(0),
                GuestPtr::new(mem, (n(1), n(2))),
                a[3],
                GuestPtr::new(mem, n(4)),
            ),
            "fd_seek" => {
                calls::fd_seek(ctx, mem, n(0), a[1] as i64, n(2), GuestPtr::new(mem, n(3)))
            }
            "fd_tell" => calls::fd_tell(ctx, mem, n(0), GuestPtr::new(mem, n(1))),
            "fd_filestat_get" => calls::fd_filestat_get(ctx, mem, n(0), GuestPtr::new(mem, n(1))),
            "path_filestat_get" => {
                calls::path_filestat_get(ctx, mem, n(0), n(1), s(2), GuestPtr::new(mem, n(4)))
            }
            "fd_readdir" => calls::fd_readdir(ctx, mem, n(0), s(1), a[3], GuestPtr::new(mem, n(4))),
            "path_create_directory" => calls::path_create_directory(ctx, mem, n(0), s(1)),
            "path_remove_directory" => calls::path_remove_directory(ctx, mem, n(0), s(1)),
            "path_unlink_file" => calls::path_unlink_file(ctx, mem, n(0), s(1)),
            "path_rename" => calls::path_rename(ctx, mem, n(0), s(1), n(3), s(4)),
            "path_link" => calls::path_link(ctx, mem, n(0), n(1), s(2), n(4), s(5)),
            "path_symlink" => calls::path_symlink(ctx, mem, s(0), n(2), s(3)),
            "path_readlink" => {
                calls::path_readlink(ctx, mem, n(0), s(1), s(3), GuestPtr::new(mem, n(5)))
            }
            "path_filestat_set_times" => {
                calls::path_filestat_set_times(ctx, mem, n(0), n(1), s(2), a[4], a[5], n(6))
            }
            "fd_prestat_get" => calls::fd_prestat_get(ctx, mem, n(0), GuestPtr::new(mem, n(1))),
            "fd_prestat_dir_name" => calls::fd_prestat_dir_name(ctx, mem, n(0), s(1)),
            _ => panic!("no function {name}"),
        }
    }

    fn path(at: u32, p: &str) -> Patch {
        (at, p.as_bytes().to_vec())
    }

    /// A call that must succeed and change something (memory or the tree).
    fn accepted(name: &str, patches: &[Patch], args: &[u64]) {
        let r = run(name, patches, args);
        assert_eq!(r.got, Errno::Success, "{name}{args:?}");
        assert!(
            r.before != r.after || r.tree_before != r.tree_after || r.offset != 2 || r.free_fd != 5,
            "{name}{args:?}: no effect"
        );
    }

    /// A call that must be refused with `want` having changed nothing.
    fn refused(name: &str, patches: &[Patch], args: &[u64], want: Errno) {
        let r = run(name, patches, args);
        assert_eq!(r.got, want, "{name}{args:x?}");
        assert!(
            r.before == r.after,
            "{name}{args:x?}: refused, but memory changed"
        );
        assert_eq!(
            r.tree_before, r.tree_after,
            "{name}{args:x?}: refused, but the tree changed"
        );
        assert_eq!(
            r.offset, 2,
            "{name}{args:x?}: refused, but the offset moved"
        );
        assert_eq!(
            r.free_fd, 5,
            "{name}{args:x?}: refused, but a descriptor was opened"
        );
    }

    /// `args` with slot `i` set to `v`.
    fn with(args: &[u64], i: usize, v: u64) -> Vec<u64> {
        let mut a = args.to_vec();
        a[i] = v;
        a
    }

    /// The bad places of a path or buffer argument (offset at `i`, length at `i + 1`).
    fn bad_slices(args: &[u64], i: usize) -> Vec<Vec<u64>> {
        let len = args[i + 1];
        vec![
            with(args, i, u64::from(END)),
            with(args, i, u64::from(END) - 1),
            with(args, i, u64::from(u32::MAX)),
            with(&with(args, i, 0), i + 1, u64::from(END) + 1),
            with(args, i, u64::from(u32::MAX) - len + 2),
        ]
    }

    /// The bad places of an out-parameter at slot `i` of `size` bytes aligned to `align`.
    fn bad_outs(args: &[u64], i: usize, size: u32, align: u32) -> Vec<(Vec<u64>, Errno)> {
        let mut v = vec![
            (with(args, i, u64::from(END)), Errno::Fault),
            (with(args, i, u64::from(END - size + align)), Errno::Fault),
            (with(args, i, u64::from(u32::MAX - align + 1)), Errno::Fault),
        ];
        if align > 1 {
            v.push((with(args, i, u64::from(OUT + 1)), Errno::Inval));
        }
        v
    }

    /// Checks `name` over `args`: accepted as given, refused with every bad path or buffer
    /// (slots in `slices`) and every bad out-parameter (slot, size, alignment).
    fn check(
        name: &str,
        patches: &[Patch],
        args: &[u64],
        slices: &[usize],
        outs: &[(usize, u32, u32)],
    ) {
        accepted(name, patches, args);
        for &i in slices {
            for bad in bad_slices(args, i) {
                // A path (not the buffer at BUF) longer than the host's buffer is refused
                // for its length, before its bounds.
                let is_path = args[i] != u64::from(BUF);
                let want = if is_path && bad[i + 1] > MAX_PATH as u64 {
                    Errno::Nametoolong
                } else {
                    Errno::Fault
                };
                refused(name, patches, &bad, want);
            }
        }
        for &(i, size, align) in outs {
            for (bad, e) in bad_outs(args, i, size, align) {
                refused(name, patches, &bad, e);
            }
        }
    }

    const CREAT: u64 = 1;

    #[test]
    fn path_functions() {
        let new = [path(P1, "new")];
        check(
            "path_open",
            &new,
            &[3, 0, u64::from(P1), 3, CREAT, 0x40, 0, 0, u64::from(OUT)],
            &[2],
            &[(8, 4, 4)],
        );
        check(
            "path_create_directory",
            &new,
            &[3, u64::from(P1), 3],
            &[1],
            &[],
        );
        let dir = [path(P1, "dir")];
        check(
            "path_remove_directory",
            &dir,
            &[3, u64::from(P1), 3],
            &[1],
            &[],
        );
        let file = [path(P1, "file")];
        check("path_unlink_file", &file, &[3, u64::from(P1), 4], &[1], &[]);
        check(
            "path_filestat_get",
            &file,
            &[3, 0, u64::from(P1), 4, u64::from(OUT)],
            &[2],
            &[(4, 64, 8)],
        );
        check(
            "path_filestat_set_times",
            &file,
            &[3, 0, u64::from(P1), 4, 1_000_000_000, 2_000_000_000, 5],
            &[2],
            &[],
        );
        let two = [path(P1, "file"), path(P2, "moved")];
        check(
            "path_rename",
            &two,
            &[3, u64::from(P1), 4, 3, u64::from(P2), 5],
            &[1, 4],
            &[],
        );
        check(
            "path_link",
            &two,
            &[3, 0, u64::from(P1), 4, 3, u64::from(P2), 5],
            &[2, 5],
            &[],
        );
        check(
            "path_symlink",
            &two,
            &[u64::from(P1), 4, 3, u64::from(P2), 5],
            &[0, 3],
            &[],
        );
        let link = [path(P1, "link")];
        check(
            "path_readlink",
            &link,
            &[3, u64::from(P1), 4, u64::from(BUF), 64, u64::from(OUT)],
            &[1, 3],
            &[(5, 4, 4)],
        );
        check(
            "fd_prestat_get",
            &[],
            &[3, u64::from(OUT)],
            &[],
            &[(1, 8, 4)],
        );
        check(
            "fd_prestat_dir_name",
            &[],
            &[3, u64::from(BUF), 8],
            &[1],
            &[],
        );
        // A path longer than the host's buffer: ENAMETOOLONG, before anything.
        let long = [(P1, vec![b'a'; MAX_PATH + 1])];
        refused(
            "path_open",
            &long,
            &[
                3,
                0,
                u64::from(P1),
                MAX_PATH as u64 + 1,
                CREAT,
                0x40,
                0,
                0,
                u64::from(OUT),
            ],
            Errno::Nametoolong,
        );
        refused(
            "path_create_directory",
            &long,
            &[3, u64::from(P1), MAX_PATH as u64 + 1],
            Errno::Nametoolong,
        );
    }

    #[test]
    fn fd_functions() {
        let iov = [(IOV, [BUF.to_le_bytes(), 4u32.to_le_bytes()].concat())];
        for name in ["fd_read", "fd_write"] {
            let args = [4, u64::from(IOV), 1, u64::from(OUT)];
            check(name, &iov, &args, &[], &[(3, 4, 4)]);
            // A bad buffer in the iovec.
            for at in [END, END - 2, u32::MAX - 1] {
                let bad = [(IOV, [at.to_le_bytes(), 4u32.to_le_bytes()].concat())];
                refused(name, &bad, &args, Errno::Fault);
            }
        }
        for name in ["fd_pread", "fd_pwrite"] {
            let args = [4, u64::from(IOV), 1, 1, u64::from(OUT)];
            check(name, &iov, &args, &[], &[(4, 4, 4)]);
            let bad = [(IOV, [(END - 2).to_le_bytes(), 4u32.to_le_bytes()].concat())];
            refused(name, &bad, &args, Errno::Fault);
        }
        check(
            "fd_seek",
            &[],
            &[4, 5, 0, u64::from(OUT)],
            &[],
            &[(3, 8, 8)],
        );
        check(
            "fd_filestat_get",
            &[],
            &[4, u64::from(OUT)],
            &[],
            &[(1, 64, 8)],
        );
        check(
            "fd_readdir",
            &[],
            &[3, u64::from(BUF), 256, 0, u64::from(OUT)],
            &[1],
            &[(4, 4, 4)],
        );
    }
}
