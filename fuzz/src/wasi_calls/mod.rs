//! Target (b), `wasi_calls`: every WASI host function of `guestmem-wasi`, and the example host's raw `env`
//! functions, called directly (no engine) over an arbitrary memory with arbitrary arguments.
//!
//! An input is a memory of 0 to 64 KiB filled with arbitrary bytes, a deterministic host
//! (`TestHost`: arguments, environment, stdin, a write limit for short writes, an injected
//! I/O errno), and a sequence of steps: pokes that lay out iovec arrays, strings, shapes,
//! pointers and `poll_oneoff` subscriptions (preview1's 48-byte layout or preview0's 56-byte
//! one: clocks relative or absolute, near the host's time, descriptors 0 to 4 in either
//! direction, or bad tags, clock ids and flags), changes of the host's knobs, and calls —
//! `poll_oneoff` and the `*_filestat_get` of both previews, preview0's `fd_seek`, the socket
//! functions and some file functions (which a host without files answers without touching
//! memory, but for `fd_filestat_get` of a stream) among them. Addresses and lengths are biased toward the
//! places where checks go wrong: inside, exactly at the end, straddling it, misaligned, near
//! `u32::MAX`, huge lengths, and the place the last poke wrote.
//!
//! Each call is checked twice:
//!
//! - **the promise** (DESIGN §4.11), independently of any model: a call that fails leaves
//!   guest memory byte-identical and the host untouched (no call with an effect, no output, no
//!   stdin consumed) — except an injected I/O error, which the host itself returns (one host
//!   call, still no output, no input consumed, memory unchanged), and `upper`'s documented
//!   `EOVERFLOW`, which reports the needed length in `*out_len` only;
//! - **exactly against a model** (`model.rs`) written from the functions' documentation: the
//!   errno (or status) of the first check that refuses, in the documented order (`EBADF` for
//!   a bad descriptor before any pointer is looked at, then each region in turn: overflow and
//!   bounds are `EFAULT`, misalignment in bounds `EINVAL`), the whole memory afterwards (so a
//!   successful call wrote exactly its out-regions, with exactly the bytes it should), and the
//!   host afterwards (its log of calls, stdout, stderr, stdin, clock, random state), the
//!   closed streams and the exit code.
//!
//! Any difference panics, which libFuzzer reports.

mod input;
mod model;

use arbitrary::{Arbitrary, Unstructured};
use guestmem::{GuestFrame, GuestPtr};
use guestmem_example_host::{self as raw_host, Point, Shape};
use guestmem_wasi::abi::Trap;
use guestmem_wasi::fs::Filestat;
use guestmem_wasi::poll::{Event, Subscription};
use guestmem_wasi::{calls, poll, preview0, sock, Errno, Fdstat, Iovec, TestHost, WasiCtx};

use input::{Call, Input, IoError, Knobs, Step};
use model::{Expect, Outcome, Resolved, Sock};

/// Steps run per input at most.
const MAX_STEPS: usize = 64;

/// Runs one input given as raw fuzzer bytes.
///
/// # Panics
///
/// On a broken promise or any difference from the model: that is a finding.
pub fn run(data: &[u8]) {
    let u = Unstructured::new(data);
    if let Ok(input) = Input::arbitrary_take_rest(u) {
        run_input(&input);
    }
}

fn cut(strings: &[Vec<u8>]) -> Vec<&[u8]> {
    strings
        .iter()
        .take(8)
        .map(|s| &s[..s.len().min(40)])
        .collect()
}

fn io_errno(e: IoError) -> Errno {
    match e {
        IoError::Io => Errno::Io,
        IoError::Acces => Errno::Acces,
        IoError::Inval => Errno::Inval,
    }
}

fn set_knobs(host: &mut TestHost<'_>, knobs: Knobs) {
    host.write_limit = knobs.write_limit.map(usize::from);
    host.io_error = knobs.io_error.map(io_errno);
}

fn run_input(input: &Input) {
    let size = input.size.bytes();
    let mut mem = vec![0u8; size];
    let fill = &input.fill[..input.fill.len().min(64)];
    if !fill.is_empty() {
        for (b, f) in mem.iter_mut().zip(fill.iter().cycle()) {
            *b = *f;
        }
    }
    let args = cut(&input.args);
    let env = cut(&input.env);
    let stdin = &input.stdin[..input.stdin.len().min(512)];
    let mut ctx = WasiCtx::new(TestHost::new(&args, &env, stdin));
    set_knobs(ctx.host(), input.knobs);
    let mut closed = [false; 3];
    let size32 = u32::try_from(size).unwrap_or(u32::MAX);
    let mut last = 0u32;
    for step in input.steps.iter().take(MAX_STEPS) {
        match step {
            Step::Poke { at, bytes } => {
                last = at.resolve(size32, last);
                poke(&mut mem, last, &bytes[..bytes.len().min(64)]);
            }
            Step::PokeU32 { at, value } => {
                let value = value.resolve(size32, last);
                last = at.resolve(size32, last);
                poke(&mut mem, last, &value.to_le_bytes());
            }
            Step::PokeIovecs { at, iovs } => {
                let at = at.resolve(size32, last);
                let mut bytes = Vec::new();
                for (buf, len) in iovs.iter().take(40) {
                    let buf = buf.resolve(size32, last);
                    bytes.extend_from_slice(&buf.to_le_bytes());
                    bytes.extend_from_slice(&len.resolve(size32, buf, 1).to_le_bytes());
                }
                last = at;
                poke(&mut mem, at, &bytes);
            }
            Step::PokeShape {
                at,
                kind,
                flags,
                w,
                h,
            } => {
                last = at.resolve(size32, last);
                let mut bytes = [0u8; 12];
                bytes[0] = kind % 5;
                bytes[2..4].copy_from_slice(&(flags & 7).to_le_bytes());
                bytes[4..8].copy_from_slice(&w.to_le_bytes());
                bytes[8..12].copy_from_slice(&h.to_le_bytes());
                poke(&mut mem, last, &bytes);
            }
            Step::Knobs(knobs) => set_knobs(ctx.host(), *knobs),
            Step::PokeSubs { at, preview0, subs } => {
                last = at.resolve(size32, last);
                poke(&mut mem, last, &subs_bytes(ctx.host(), *preview0, subs));
            }
            Step::Poll {
                at,
                preview0,
                subs,
                events,
                nevents,
            } => {
                last = at.resolve(size32, last);
                poke(&mut mem, last, &subs_bytes(ctx.host(), *preview0, subs));
                let call = Resolved::PollOneoff {
                    preview0: *preview0,
                    subs: last,
                    events: events.resolve(size32, last),
                    n: u32::try_from(subs.len().min(8)).unwrap_or(8),
                    nevents: nevents.resolve(size32, last),
                };
                check_call(&mut ctx, &mut mem, &mut closed, call);
            }
            Step::Call(call) => {
                let call = resolve(*call, size32, last);
                check_call(&mut ctx, &mut mem, &mut closed, call);
            }
        }
    }
}

/// The bytes of subscriptions (the first 8), timeouts from the host's clock now.
fn subs_bytes(host: &TestHost<'_>, preview0: bool, subs: &[(u64, input::Sub)]) -> Vec<u8> {
    let now = host.time;
    subs.iter()
        .take(8)
        .flat_map(|&(userdata, sub)| sub.bytes(userdata, preview0, now))
        .collect()
}

/// Writes `bytes` at `at`, cut at the end of memory.
fn poke(mem: &mut [u8], at: u32, bytes: &[u8]) {
    let Ok(at) = usize::try_from(at) else { return };
    let Some(dst) = mem.get_mut(at..) else { return };
    let n = dst.len().min(bytes.len());
    dst[..n].copy_from_slice(&bytes[..n]);
}

fn resolve(call: Call, size: u32, last: u32) -> Resolved {
    let a = |addr: input::Addr| addr.resolve(size, last);
    match call {
        Call::FdWrite {
            fd,
            iovs,
            n,
            nwritten,
        } => {
            let iovs = a(iovs);
            Resolved::FdWrite {
                fd: fd.raw(),
                iovs,
                n: n.resolve(size, iovs, 8),
                out: a(nwritten),
            }
        }
        Call::FdRead { fd, iovs, n, nread } => {
            let iovs = a(iovs);
            Resolved::FdRead {
                fd: fd.raw(),
                iovs,
                n: n.resolve(size, iovs, 8),
                out: a(nread),
            }
        }
        Call::ArgsSizesGet { count, size: s } => Resolved::ArgsSizesGet {
            count: a(count),
            size: a(s),
        },
        Call::ArgsGet { ptrs, buf } => Resolved::ArgsGet {
            ptrs: a(ptrs),
            buf: a(buf),
        },
        Call::EnvironSizesGet { count, size: s } => Resolved::EnvironSizesGet {
            count: a(count),
            size: a(s),
        },
        Call::EnvironGet { ptrs, buf } => Resolved::EnvironGet {
            ptrs: a(ptrs),
            buf: a(buf),
        },
        Call::FdClose { fd } => Resolved::FdClose { fd: fd.raw() },
        Call::FdSeek {
            fd,
            offset,
            whence,
            out,
        } => Resolved::FdSeek {
            fd: fd.raw(),
            offset,
            whence: whence.raw(),
            out: a(out),
        },
        Call::FdFdstatGet { fd, stat } => Resolved::FdFdstatGet {
            fd: fd.raw(),
            stat: a(stat),
        },
        Call::FdPrestatGet { fd, out } => Resolved::FdPrestatGet {
            fd: fd.raw(),
            out: a(out),
        },
        Call::FdPrestatDirName { fd, path, len } => {
            let path = a(path);
            Resolved::FdPrestatDirName {
                fd: fd.raw(),
                path,
                len: len.resolve(size, path, 1),
            }
        }
        Call::ClockResGet { id, out } => Resolved::ClockResGet {
            id: id.raw(),
            out: a(out),
        },
        Call::ClockTimeGet { id, precision, out } => Resolved::ClockTimeGet {
            id: id.raw(),
            precision,
            out: a(out),
        },
        Call::RandomGet { buf, len } => {
            let buf = a(buf);
            Resolved::RandomGet {
                buf,
                len: len.resolve(size, buf, 1),
            }
        }
        Call::SchedYield => Resolved::SchedYield,
        Call::ProcExit { code } => Resolved::ProcExit { code },
        Call::Print { text, len } => {
            let text = a(text);
            Resolved::Print {
                text,
                len: len.resolve(size, text, 1),
            }
        }
        Call::SumPoints { points, n, out } => {
            let points = a(points);
            Resolved::SumPoints {
                points,
                n: n.resolve(size, points, 8),
                out: a(out),
            }
        }
        Call::ShapeArea { shape, out } => Resolved::ShapeArea {
            shape: a(shape),
            out: a(out),
        },
        Call::Upper {
            text,
            len,
            out,
            cap,
            out_len,
        } => {
            let text = a(text);
            let out = a(out);
            Resolved::Upper {
                text,
                len: len.resolve(size, text, 1),
                out,
                cap: cap.resolve(size, out, 1),
                out_len: a(out_len),
            }
        }
        Call::PollOneoff {
            preview0,
            subs,
            events,
            n,
            nevents,
        } => {
            let subs = a(subs);
            Resolved::PollOneoff {
                preview0,
                subs,
                events: a(events),
                n: n.resolve(size, subs, if preview0 { 56 } else { 48 }),
                nevents: a(nevents),
            }
        }
        Call::FdSeek0 {
            fd,
            offset,
            whence,
            out,
        } => Resolved::FdSeek0 {
            fd: fd.raw(),
            offset,
            whence: whence.raw(),
            out: a(out),
        },
        Call::SockAccept {
            fd,
            flags,
            result_fd,
        } => Resolved::Sock {
            fd: fd.raw(),
            which: Sock::Accept { flags, result_fd },
        },
        Call::SockRecv { fd, args } => Resolved::Sock {
            fd: fd.raw(),
            which: Sock::Recv(args),
        },
        Call::SockSend { fd, args } => Resolved::Sock {
            fd: fd.raw(),
            which: Sock::Send(args),
        },
        Call::SockShutdown { fd, how } => Resolved::Sock {
            fd: fd.raw(),
            which: Sock::Shutdown(how),
        },
        Call::PathOpen {
            fd,
            dirflags,
            path,
            len,
            oflags,
            rights_base,
            rights_inheriting,
            fdflags,
            opened,
        } => {
            let path = a(path);
            Resolved::PathOpen {
                fd: fd.raw(),
                dirflags,
                path,
                len: len.resolve(size, path, 1),
                oflags,
                rights: (rights_base, rights_inheriting),
                fdflags,
                opened: a(opened),
            }
        }
        Call::FdFilestatGet { preview0, fd, buf } => Resolved::FdFilestatGet {
            preview0,
            fd: fd.raw(),
            buf: a(buf),
        },
        Call::PathFilestatGet {
            preview0,
            fd,
            flags,
            path,
            len,
            buf,
        } => {
            let path = a(path);
            Resolved::PathFilestatGet {
                preview0,
                fd: fd.raw(),
                flags,
                path,
                len: len.resolve(size, path, 1),
                buf: a(buf),
            }
        }
        Call::FdReaddir {
            fd,
            buf,
            len,
            cookie,
            bufused,
        } => {
            let buf = a(buf);
            Resolved::FdReaddir {
                fd: fd.raw(),
                buf,
                len: len.resolve(size, buf, 1),
                cookie,
                bufused: a(bufused),
            }
        }
        Call::FdPread {
            fd,
            iovs,
            n,
            offset,
            nread,
        } => {
            let iovs = a(iovs);
            Resolved::FdPread {
                write: false,
                fd: fd.raw(),
                iovs,
                n: n.resolve(size, iovs, 8),
                offset,
                out: a(nread),
            }
        }
        Call::FdPwrite {
            fd,
            iovs,
            n,
            offset,
            nwritten,
        } => {
            let iovs = a(iovs);
            Resolved::FdPread {
                write: true,
                fd: fd.raw(),
                iovs,
                n: n.resolve(size, iovs, 8),
                offset,
                out: a(nwritten),
            }
        }
        Call::FdTell { fd, out } => Resolved::FdTell {
            fd: fd.raw(),
            out: a(out),
        },
    }
}

/// Calls the host function for `call` over `mem`.
fn dispatch(ctx: &mut WasiCtx<TestHost<'_>>, mem: &mut [u8], call: Resolved) -> Outcome {
    let frame = GuestFrame::new(mem);
    let m = &frame;
    let e = Outcome::Errno;
    let s = Outcome::Status;
    match call {
        Resolved::FdWrite { fd, iovs, n, out } => e(calls::fd_write(
            ctx,
            m,
            fd,
            GuestPtr::<[Iovec<'_>]>::new(m, (iovs, n)),
            GuestPtr::new(m, out),
        )),
        Resolved::FdRead { fd, iovs, n, out } => e(calls::fd_read(
            ctx,
            m,
            fd,
            GuestPtr::<[Iovec<'_>]>::new(m, (iovs, n)),
            GuestPtr::new(m, out),
        )),
        Resolved::ArgsSizesGet { count, size } => e(calls::args_sizes_get(
            ctx,
            m,
            GuestPtr::new(m, count),
            GuestPtr::new(m, size),
        )),
        Resolved::ArgsGet { ptrs, buf } => e(calls::args_get(
            ctx,
            m,
            GuestPtr::new(m, ptrs),
            GuestPtr::new(m, buf),
        )),
        Resolved::EnvironSizesGet { count, size } => e(calls::environ_sizes_get(
            ctx,
            m,
            GuestPtr::new(m, count),
            GuestPtr::new(m, size),
        )),
        Resolved::EnvironGet { ptrs, buf } => e(calls::environ_get(
            ctx,
            m,
            GuestPtr::new(m, ptrs),
            GuestPtr::new(m, buf),
        )),
        Resolved::FdClose { fd } => e(calls::fd_close(ctx, m, fd)),
        Resolved::FdSeek {
            fd,
            offset,
            whence,
            out,
        } => e(calls::fd_seek(
            ctx,
            m,
            fd,
            offset,
            whence,
            GuestPtr::new(m, out),
        )),
        Resolved::FdFdstatGet { fd, stat } => e(calls::fd_fdstat_get(
            ctx,
            m,
            fd,
            GuestPtr::<Fdstat>::new(m, stat),
        )),
        Resolved::FdPrestatGet { fd, out } => {
            e(calls::fd_prestat_get(ctx, m, fd, GuestPtr::new(m, out)))
        }
        Resolved::FdPrestatDirName { fd, path, len } => e(calls::fd_prestat_dir_name(
            ctx,
            m,
            fd,
            GuestPtr::new(m, (path, len)),
        )),
        Resolved::ClockResGet { id, out } => {
            e(calls::clock_res_get(ctx, m, id, GuestPtr::new(m, out)))
        }
        Resolved::ClockTimeGet { id, precision, out } => e(calls::clock_time_get(
            ctx,
            m,
            id,
            precision,
            GuestPtr::new(m, out),
        )),
        Resolved::RandomGet { buf, len } => {
            e(calls::random_get(ctx, m, GuestPtr::new(m, (buf, len))))
        }
        Resolved::SchedYield => e(calls::sched_yield(ctx, m)),
        Resolved::ProcExit { code } => match calls::proc_exit(ctx, m, code) {
            Err(Trap::Exit) => Outcome::Exit,
            other => panic!("proc_exit({code}) returned {other:?}, not Trap::Exit"),
        },
        Resolved::Print { text, len } => s(raw_host::print(ctx, m, GuestPtr::new(m, (text, len)))),
        Resolved::SumPoints { points, n, out } => s(raw_host::sum_points(
            ctx,
            m,
            GuestPtr::<[Point]>::new(m, (points, n)),
            GuestPtr::new(m, out),
        )),
        Resolved::ShapeArea { shape, out } => s(raw_host::shape_area(
            ctx,
            m,
            GuestPtr::<Shape>::new(m, shape),
            GuestPtr::new(m, out),
        )),
        Resolved::Upper {
            text,
            len,
            out,
            cap,
            out_len,
        } => s(raw_host::upper(
            ctx,
            m,
            GuestPtr::new(m, (text, len)),
            GuestPtr::new(m, (out, cap)),
            GuestPtr::new(m, out_len),
        )),
        Resolved::PollOneoff {
            preview0: false,
            subs,
            events,
            n,
            nevents,
        } => e(poll::poll_oneoff(
            ctx,
            m,
            GuestPtr::<Subscription>::new(m, subs),
            GuestPtr::<Event>::new(m, events),
            n,
            GuestPtr::new(m, nevents),
        )),
        Resolved::PollOneoff {
            preview0: true,
            subs,
            events,
            n,
            nevents,
        } => e(preview0::poll_oneoff(
            ctx,
            m,
            GuestPtr::<Subscription<preview0::SubscriptionClock>>::new(m, subs),
            GuestPtr::<Event>::new(m, events),
            n,
            GuestPtr::new(m, nevents),
        )),
        Resolved::FdSeek0 {
            fd,
            offset,
            whence,
            out,
        } => e(preview0::fd_seek(
            ctx,
            m,
            fd,
            offset,
            whence,
            GuestPtr::new(m, out),
        )),
        Resolved::Sock { fd, which } => e(match which {
            Sock::Accept { flags, result_fd } => sock::sock_accept(ctx, m, fd, flags, result_fd),
            Sock::Recv([a, b, c, d, f]) => sock::sock_recv(ctx, m, fd, a, b, c, d, f),
            Sock::Send([a, b, c, d]) => sock::sock_send(ctx, m, fd, a, b, c, d),
            Sock::Shutdown(how) => sock::sock_shutdown(ctx, m, fd, how),
        }),
        Resolved::PathOpen {
            fd,
            dirflags,
            path,
            len,
            oflags,
            rights,
            fdflags,
            opened,
        } => e(calls::path_open(
            ctx,
            m,
            fd,
            dirflags,
            GuestPtr::new(m, (path, len)),
            oflags,
            rights.0,
            rights.1,
            fdflags,
            GuestPtr::new(m, opened),
        )),
        Resolved::FdFilestatGet {
            preview0: false,
            fd,
            buf,
        } => e(calls::fd_filestat_get(
            ctx,
            m,
            fd,
            GuestPtr::<Filestat>::new(m, buf),
        )),
        Resolved::FdFilestatGet {
            preview0: true,
            fd,
            buf,
        } => e(preview0::fd_filestat_get(
            ctx,
            m,
            fd,
            GuestPtr::<preview0::Filestat>::new(m, buf),
        )),
        Resolved::PathFilestatGet {
            preview0: false,
            fd,
            flags,
            path,
            len,
            buf,
        } => e(calls::path_filestat_get(
            ctx,
            m,
            fd,
            flags,
            GuestPtr::new(m, (path, len)),
            GuestPtr::<Filestat>::new(m, buf),
        )),
        Resolved::PathFilestatGet {
            preview0: true,
            fd,
            flags,
            path,
            len,
            buf,
        } => e(preview0::path_filestat_get(
            ctx,
            m,
            fd,
            flags,
            GuestPtr::new(m, (path, len)),
            GuestPtr::<preview0::Filestat>::new(m, buf),
        )),
        Resolved::FdReaddir {
            fd,
            buf,
            len,
            cookie,
            bufused,
        } => e(calls::fd_readdir(
            ctx,
            m,
            fd,
            GuestPtr::new(m, (buf, len)),
            cookie,
            GuestPtr::new(m, bufused),
        )),
        Resolved::FdPread {
            write,
            fd,
            iovs,
            n,
            offset,
            out,
        } => {
            let iovs = GuestPtr::<[Iovec<'_>]>::new(m, (iovs, n));
            let out = GuestPtr::new(m, out);
            e(if write {
                calls::fd_pwrite(ctx, m, fd, iovs, offset, out)
            } else {
                calls::fd_pread(ctx, m, fd, iovs, offset, out)
            })
        }
        Resolved::FdTell { fd, out } => e(calls::fd_tell(ctx, m, fd, GuestPtr::new(m, out))),
    }
}

/// The first byte where `a` and `b` differ, for a report.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => format!("first difference at byte {i}: {} vs {}", a[i], b[i]),
        None => format!("lengths {} vs {}", a.len(), b.len()),
    }
}

/// Runs one call and checks it: the promise, then the model.
fn check_call(
    ctx: &mut WasiCtx<TestHost<'_>>,
    mem: &mut [u8],
    closed: &mut [bool; 3],
    call: Resolved,
) {
    let before = mem.to_vec();
    let host_before = ctx.host().clone();
    let mut expect = Expect {
        mem: before.clone(),
        host: host_before.clone(),
        closed: *closed,
        exit: ctx.exit_code(),
    };
    let want = expect.call(call);
    let got = dispatch(ctx, mem, call);
    let host = ctx.host().clone();

    // The promise, independently of the model.
    if let Some(err) = got.error() {
        let io = host_before.io_error == Some(err)
            && matches!(
                call,
                Resolved::FdWrite { .. } | Resolved::FdRead { .. } | Resolved::Print { .. }
            );
        let reports_length = err == Errno::Overflow && matches!(call, Resolved::Upper { .. });
        if !reports_length {
            assert!(
                mem == before.as_slice(),
                "{call:?} failed ({got:?}) but changed guest memory: {}",
                first_difference(mem, &before)
            );
        }
        let calls_allowed = u32::from(io);
        assert!(
            host.calls <= host_before.calls + calls_allowed,
            "{call:?} failed ({got:?}) but the host got {} call(s) with an effect: {:?}",
            host.calls - host_before.calls,
            host.log
        );
        assert!(
            host.stdout == host_before.stdout
                && host.stderr == host_before.stderr
                && host.stdin.len() == host_before.stdin.len(),
            "{call:?} failed ({got:?}) but the host did I/O"
        );
    }

    // Exactly as documented.
    assert_eq!(got, want, "{call:?}: result");
    assert!(
        mem == expect.mem.as_slice(),
        "{call:?} ({got:?}): memory differs from the model: {}",
        first_difference(mem, &expect.mem)
    );
    let mut random = (host.random.clone(), expect.host.random.clone());
    assert!(
        host.calls == expect.host.calls
            && host.log == expect.host.log
            && host.stdout == expect.host.stdout
            && host.stderr == expect.host.stderr
            && host.stdin == expect.host.stdin
            && host.time == expect.host.time
            && random.0.next_u64() == random.1.next_u64(),
        "{call:?} ({got:?}): the host differs from the model:\n{host:?}\nexpected\n{:?}",
        expect.host
    );
    *closed = expect.closed;
    assert_eq!(ctx.exit_code(), expect.exit, "{call:?}: exit code");
}

#[cfg(test)]
mod tests;
