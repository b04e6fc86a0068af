//! What each host function must do, written from its documentation: which check refuses
//! first (and with which errno), what it writes where, which host calls it makes. The host
//! itself (a `TestHost`) is the fixture, not what is tested: the model replays the calls it
//! expects on a clone of it.

// The model converts guest values (`u32`, bounded by a 64 KiB memory) to host indices and back,
// and a guest `int32_t` from its bits: `as` says that most plainly.
#![allow(clippy::as_conversions)]

use guestmem_wasi::{ClockId, Errno, Stdio, TestHost, WasiHost};

/// A call with its arguments resolved to guest values.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Resolved {
    FdWrite {
        fd: u32,
        iovs: u32,
        n: u32,
        out: u32,
    },
    FdRead {
        fd: u32,
        iovs: u32,
        n: u32,
        out: u32,
    },
    ArgsSizesGet {
        count: u32,
        size: u32,
    },
    ArgsGet {
        ptrs: u32,
        buf: u32,
    },
    EnvironSizesGet {
        count: u32,
        size: u32,
    },
    EnvironGet {
        ptrs: u32,
        buf: u32,
    },
    FdClose {
        fd: u32,
    },
    FdSeek {
        fd: u32,
        offset: i64,
        whence: u32,
        out: u32,
    },
    FdFdstatGet {
        fd: u32,
        stat: u32,
    },
    FdPrestatGet {
        fd: u32,
        out: u32,
    },
    FdPrestatDirName {
        fd: u32,
        path: u32,
        len: u32,
    },
    ClockResGet {
        id: u32,
        out: u32,
    },
    ClockTimeGet {
        id: u32,
        precision: u64,
        out: u32,
    },
    RandomGet {
        buf: u32,
        len: u32,
    },
    SchedYield,
    ProcExit {
        code: u32,
    },
    Print {
        text: u32,
        len: u32,
    },
    SumPoints {
        points: u32,
        n: u32,
        out: u32,
    },
    ShapeArea {
        shape: u32,
        out: u32,
    },
    Upper {
        text: u32,
        len: u32,
        out: u32,
        cap: u32,
        out_len: u32,
    },
    /// preview1's `poll_oneoff` (48-byte subscriptions), or preview0's (56).
    PollOneoff {
        preview0: bool,
        subs: u32,
        events: u32,
        n: u32,
        nevents: u32,
    },
    /// preview0's `fd_seek`.
    FdSeek0 {
        fd: u32,
        offset: i64,
        whence: u32,
        out: u32,
    },
    /// A socket function on `fd`.
    Sock {
        fd: u32,
        which: Sock,
    },
    PathOpen {
        fd: u32,
        dirflags: u32,
        path: u32,
        len: u32,
        oflags: u32,
        rights: (u64, u64),
        fdflags: u32,
        opened: u32,
    },
    /// `fd_filestat_get`, preview1's or preview0's.
    FdFilestatGet {
        preview0: bool,
        fd: u32,
        buf: u32,
    },
    /// `path_filestat_get`, preview1's or preview0's.
    PathFilestatGet {
        preview0: bool,
        fd: u32,
        flags: u32,
        path: u32,
        len: u32,
        buf: u32,
    },
    FdReaddir {
        fd: u32,
        buf: u32,
        len: u32,
        cookie: u64,
        bufused: u32,
    },
    /// `fd_pread`, or `fd_pwrite` when `write`.
    FdPread {
        write: bool,
        fd: u32,
        iovs: u32,
        n: u32,
        offset: u64,
        out: u32,
    },
    FdTell {
        fd: u32,
        out: u32,
    },
}

/// Which socket function, with its arguments after `fd` (all ignored: no descriptor is a
/// socket).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sock {
    Accept { flags: u32, result_fd: u32 },
    Recv([u32; 5]),
    Send([u32; 4]),
    Shutdown(u32),
}

/// A subscription of `poll_oneoff`, decoded.
#[derive(Debug, Clone, Copy)]
enum PollSub {
    /// A clock: relative, or absolute (`abs`).
    Clock {
        id: ClockId,
        timeout: u64,
        abs: bool,
    },
    /// A descriptor, to read or to write.
    Fd { fd: u32, write: bool },
}

/// What a call returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A WASI function's errno.
    Errno(Errno),
    /// A raw function's status: 0 or a negated errno.
    Status(i32),
    /// `proc_exit`'s trap.
    Exit,
}

impl Outcome {
    /// Whether the call failed, and how: `None` on success.
    pub(crate) fn error(self) -> Option<Errno> {
        match self {
            Outcome::Errno(Errno::Success) | Outcome::Status(0) | Outcome::Exit => None,
            Outcome::Errno(e) => Some(e),
            Outcome::Status(s) => Some(errno_of_status(s)),
        }
    }
}

fn errno_of_status(s: i32) -> Errno {
    [
        Errno::Acces,
        Errno::Badf,
        Errno::Fault,
        Errno::Inval,
        Errno::Io,
        Errno::Nosys,
        Errno::Notsup,
        Errno::Overflow,
        Errno::Spipe,
    ]
    .into_iter()
    .find(|e| i32::from(e.to_raw()) == s.wrapping_neg())
    .unwrap_or_else(|| panic!("status {s} is no negated errno"))
}

/// The state the model predicts for after a call: memory, host, closed streams, exit code.
pub(crate) struct Expect<'s> {
    pub(crate) mem: Vec<u8>,
    pub(crate) host: TestHost<'s>,
    pub(crate) closed: [bool; 3],
    pub(crate) exit: Option<u32>,
}

/// The guest's view of `[off, off + count * elem)` with alignment `align`: the errno of the
/// first refusal, as the core orders them (an overflowing length or end, misalignment, then
/// bounds).
pub(crate) fn region(
    size: usize,
    off: u32,
    count: u32,
    elem: u32,
    align: u32,
) -> Result<(), Errno> {
    let len = u64::from(count) * u64::from(elem);
    if len > u64::from(u32::MAX) {
        return Err(Errno::Fault);
    }
    let end = u64::from(off) + len;
    if end > u64::from(u32::MAX) {
        return Err(Errno::Fault);
    }
    if !off.is_multiple_of(align) {
        return Err(Errno::Inval);
    }
    if end > size as u64 {
        return Err(Errno::Fault);
    }
    Ok(())
}

fn u64_at(mem: &[u8], at: u32) -> u64 {
    u64::from(u32_at(mem, at)) | u64::from(u32_at(mem, at + 4)) << 32
}

fn u16_at(mem: &[u8], at: u32) -> u16 {
    u16::from_le_bytes([mem[at as usize], mem[at as usize + 1]])
}

fn u32_at(mem: &[u8], at: u32) -> u32 {
    let at = at as usize;
    u32::from_le_bytes([mem[at], mem[at + 1], mem[at + 2], mem[at + 3]])
}

fn put(mem: &mut [u8], at: u32, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    let at = at as usize;
    mem[at..at + bytes.len()].copy_from_slice(bytes);
}

/// The `len` bytes at `at`; an empty buffer may point anywhere.
fn bytes(mem: &[u8], at: u32, len: u32) -> &[u8] {
    if len == 0 {
        return &[];
    }
    &mem[at as usize..at as usize + len as usize]
}

/// `Ok(())` → `Success`.
fn errno(r: Result<(), Errno>) -> Outcome {
    Outcome::Errno(r.err().unwrap_or(Errno::Success))
}

/// `Ok(())` → 0, `Err(e)` → `-e`.
fn status(r: Result<(), Errno>) -> Outcome {
    Outcome::Status(r.map_or_else(|e| -i32::from(e.to_raw()), |()| 0))
}

impl Expect<'_> {
    fn size(&self) -> usize {
        self.mem.len()
    }

    /// The open standard stream `fd`.
    fn stream(&self, fd: u32) -> Result<Stdio, Errno> {
        let s = Stdio::from_fd(fd).ok_or(Errno::Badf)?;
        let i = fd as usize;
        if self.closed[i] {
            return Err(Errno::Badf);
        }
        Ok(s)
    }

    /// The iovecs at `iovs` (checked, with their buffers) as `(buf, len)` pairs.
    fn iovecs(&self, iovs: u32, n: u32) -> Result<Vec<(u32, u32)>, Errno> {
        region(self.size(), iovs, n, 8, 4)?;
        let mut list = Vec::with_capacity(n as usize);
        for i in 0..n {
            let at = iovs + 8 * i;
            let (buf, len) = (u32_at(&self.mem, at), u32_at(&self.mem, at + 4));
            if len > 0 {
                region(self.size(), buf, len, 1, 1)?;
            }
            list.push((buf, len));
        }
        Ok(list)
    }

    /// Applies `call` to the expected state; returns what it must return.
    pub(crate) fn call(&mut self, call: Resolved) -> Outcome {
        match call {
            Resolved::FdWrite { fd, iovs, n, out } => errno(self.fd_write(fd, iovs, n, out)),
            Resolved::FdRead { fd, iovs, n, out } => errno(self.fd_read(fd, iovs, n, out)),
            Resolved::ArgsSizesGet { count, size } => {
                let strings: Vec<&[u8]> = self.host.args.to_vec();
                errno(self.sizes_get(&strings, count, size))
            }
            Resolved::ArgsGet { ptrs, buf } => {
                let strings: Vec<&[u8]> = self.host.args.to_vec();
                errno(self.strings_get(&strings, ptrs, buf))
            }
            Resolved::EnvironSizesGet { count, size } => {
                let strings: Vec<&[u8]> = self.host.env.to_vec();
                errno(self.sizes_get(&strings, count, size))
            }
            Resolved::EnvironGet { ptrs, buf } => {
                let strings: Vec<&[u8]> = self.host.env.to_vec();
                errno(self.strings_get(&strings, ptrs, buf))
            }
            Resolved::FdClose { fd } => errno(self.stream(fd).map(|_| {
                self.closed[fd as usize] = true;
            })),
            // Not seekable: `ESPIPE`, after the descriptor and `whence` are checked.
            Resolved::FdSeek { fd, whence, .. } => errno(self.stream(fd).and(Err(if whence > 2 {
                Errno::Inval
            } else {
                Errno::Spipe
            }))),
            Resolved::FdFdstatGet { fd, stat } => errno(self.fdstat(fd, stat)),
            Resolved::FdPrestatGet { .. } | Resolved::FdPrestatDirName { .. } => {
                Outcome::Errno(Errno::Badf)
            }
            Resolved::ClockResGet { id, out } => errno(self.clock(id, out, false)),
            Resolved::ClockTimeGet { id, out, .. } => errno(self.clock(id, out, true)),
            Resolved::RandomGet { buf, len } => errno(self.random(buf, len)),
            Resolved::SchedYield => {
                self.host.sched_yield();
                Outcome::Errno(Errno::Success)
            }
            Resolved::ProcExit { code } => {
                self.exit = Some(code);
                Outcome::Exit
            }
            Resolved::Print { text, len } => status(self.print(text, len)),
            Resolved::SumPoints { points, n, out } => status(self.sum_points(points, n, out)),
            Resolved::ShapeArea { shape, out } => status(self.shape_area(shape, out)),
            Resolved::Upper {
                text,
                len,
                out,
                cap,
                out_len,
            } => status(self.upper(text, len, out, cap, out_len)),
            Resolved::PollOneoff {
                preview0,
                subs,
                events,
                n,
                nevents,
            } => errno(self.poll(preview0, subs, events, n, nevents)),
            // preview0's `whence` (0..=2: CUR, END, SET) maps onto preview1's; the streams are
            // not seekable, so after the descriptor and `whence`, `ESPIPE`.
            Resolved::FdSeek0 { fd, whence, .. } => {
                errno(self.stream(fd).and(Err(if whence > 2 {
                    Errno::Inval
                } else {
                    Errno::Spipe
                })))
            }
            Resolved::Sock { fd, .. } => errno(self.stream(fd).and(Err(Errno::Notsock))),
            // No files on this host: `EBADF` before anything is looked at.
            Resolved::PathOpen { .. }
            | Resolved::PathFilestatGet { .. }
            | Resolved::FdReaddir { .. } => Outcome::Errno(Errno::Badf),
            Resolved::FdFilestatGet { preview0, fd, buf } => {
                errno(self.filestat(fd, buf, preview0))
            }
            // A stream: `ESPIPE` (`EBADF` when not open); nothing else is looked at.
            Resolved::FdPread { fd, .. } | Resolved::FdTell { fd, .. } => {
                errno(self.stream(fd).and(Err(Errno::Spipe)))
            }
        }
    }

    /// `fd_filestat_get` of a stream: its type (a character device) and zeroes, in a 64-byte
    /// `filestat` (preview1) or a 56-byte one (preview0's: a 32-bit `nlink`); the type is at
    /// 16 in both.
    fn filestat(&mut self, fd: u32, buf: u32, preview0: bool) -> Result<(), Errno> {
        self.stream(fd)?;
        let size = if preview0 { 56 } else { 64 };
        region(self.size(), buf, 1, size, 8)?;
        let mut bytes = vec![0u8; size as usize];
        bytes[16] = 2;
        put(&mut self.mem, buf, &bytes);
        Ok(())
    }

    /// The subscription at `at`: bad tags, clock ids and clock flags are `EINVAL`.
    fn subscription(&self, at: u32, preview0: bool) -> Result<(u64, PollSub), Errno> {
        let userdata = u64_at(&self.mem, at);
        // preview0's clock contents start with an `identifier` (ignored).
        let clock = at + if preview0 { 24 } else { 16 };
        let sub = match self.mem[at as usize + 8] {
            0 => {
                let id = ClockId::from_raw(u32_at(&self.mem, clock)).map_err(|_| Errno::Inval)?;
                let flags = u16_at(&self.mem, clock + 24);
                if flags & !1 != 0 {
                    return Err(Errno::Inval);
                }
                PollSub::Clock {
                    id,
                    timeout: u64_at(&self.mem, clock + 8),
                    abs: flags & 1 != 0,
                }
            }
            tag @ (1 | 2) => PollSub::Fd {
                fd: u32_at(&self.mem, at + 16),
                write: tag == 2,
            },
            _ => return Err(Errno::Inval),
        };
        Ok((userdata, sub))
    }

    /// `poll_oneoff` as its docs say: `EINVAL` for no subscriptions; the subscriptions, the
    /// events (for as many) and `nevents` in bounds and 8-, 8- and 4-aligned, the last two not
    /// overlapping the subscriptions (`EFAULT`); then every subscription valid. Then: with a
    /// descriptor subscribed nothing sleeps; else the host sleeps once until the earliest
    /// clock. Each clock is read at most once, when first needed. Events in the order of the
    /// subscriptions, for the descriptors (ready, or `EBADF`) and the clocks due.
    fn poll(
        &mut self,
        preview0: bool,
        subs: u32,
        events: u32,
        n: u32,
        nevents: u32,
    ) -> Result<(), Errno> {
        if n == 0 {
            return Err(Errno::Inval);
        }
        let size = if preview0 { 56 } else { 48 };
        region(self.size(), subs, n, size, 8)?;
        let subs_end = u64::from(subs) + u64::from(n) * u64::from(size);
        let overlaps =
            |at: u32, len: u64| u64::from(at) < subs_end && u64::from(subs) < u64::from(at) + len;
        region(self.size(), events, n, 32, 8)?;
        if overlaps(events, 32 * u64::from(n)) {
            return Err(Errno::Fault);
        }
        region(self.size(), nevents, 1, 4, 4)?;
        if overlaps(nevents, 4) {
            return Err(Errno::Fault);
        }
        let list = (0..n)
            .map(|i| self.subscription(subs + i * size, preview0))
            .collect::<Result<Vec<_>, Errno>>()?;

        let mut now: [Option<Result<u64, Errno>>; 4] = [None; 4];
        let mut read = |host: &mut TestHost<'_>, id: ClockId| {
            *now[id.to_raw() as usize].get_or_insert_with(|| host.clock_time(id))
        };
        let any_fd = list.iter().any(|(_, s)| matches!(s, PollSub::Fd { .. }));
        let mut wait = 0u64;
        if !any_fd {
            wait = u64::MAX;
            for (_, s) in &list {
                if let PollSub::Clock { id, timeout, abs } = *s {
                    let left = if abs {
                        read(&mut self.host, id).map_or(0, |t| timeout.saturating_sub(t))
                    } else {
                        timeout
                    };
                    wait = wait.min(left);
                }
            }
        }
        let slept = if wait > 0 {
            self.host.sleep(wait)
        } else {
            Ok(())
        };
        let mut count = 0u32;
        for &(userdata, s) in &list {
            let (kind, error) = match s {
                PollSub::Clock { id, timeout, abs } => {
                    let due = if abs {
                        read(&mut self.host, id).map(|t| timeout <= t.saturating_add(wait))
                    } else {
                        Ok(timeout <= wait)
                    };
                    match due {
                        Ok(false) => continue,
                        Ok(true) => (0u8, slept.err().unwrap_or(Errno::Success)),
                        Err(e) => (0, e),
                    }
                }
                PollSub::Fd { fd, write } => {
                    let error = match (self.stream(fd), write) {
                        (Err(e), _) => e,
                        (Ok(Stdio::Stdin), false) | (Ok(Stdio::Stdout | Stdio::Stderr), true) => {
                            Errno::Success
                        }
                        _ => Errno::Badf,
                    };
                    (1 + u8::from(write), error)
                }
            };
            let mut event = [0u8; 32];
            event[..8].copy_from_slice(&userdata.to_le_bytes());
            event[8..10].copy_from_slice(&error.to_raw().to_le_bytes());
            event[10] = kind;
            put(&mut self.mem, events + 32 * count, &event);
            count += 1;
        }
        put(&mut self.mem, nevents, &count.to_le_bytes());
        Ok(())
    }

    fn fd_write(&mut self, fd: u32, iovs: u32, n: u32, out: u32) -> Result<(), Errno> {
        let stream = self.stream(fd)?;
        if stream == Stdio::Stdin {
            return Err(Errno::Badf);
        }
        region(self.size(), out, 1, 4, 4)?;
        let list = self.iovecs(iovs, n)?;
        let total: usize = list.iter().map(|&(_, len)| len as usize).sum();
        // A few bytes in few iovecs: one contiguous write; else one gather write per batch
        // of 16 iovecs, a short write ending the call.
        let batches: Vec<&[(u32, u32)]> = if list.len() <= 16 && total <= 256 {
            vec![&list[..]]
        } else {
            list.chunks(16).collect()
        };
        let mut written = 0usize;
        for batch in batches {
            let data: Vec<u8> = batch
                .iter()
                .flat_map(|&(buf, len)| bytes(&self.mem, buf, len).to_vec())
                .collect();
            if data.is_empty() {
                continue;
            }
            match self.host.write(stream, &[&data]) {
                Ok(w) => {
                    written += w.min(data.len());
                    if w < data.len() {
                        break;
                    }
                }
                Err(_) if written > 0 => break,
                Err(e) => return Err(e),
            }
        }
        put(&mut self.mem, out, &(written as u32).to_le_bytes());
        Ok(())
    }

    fn fd_read(&mut self, fd: u32, iovs: u32, n: u32, out: u32) -> Result<(), Errno> {
        if self.stream(fd)? != Stdio::Stdin {
            return Err(Errno::Badf);
        }
        region(self.size(), out, 1, 4, 4)?;
        let list = self.iovecs(iovs, n)?;
        let mut got = 0u32;
        if let Some(&(buf, len)) = list.iter().find(|&&(_, len)| len > 0) {
            let mut data = vec![0u8; len as usize];
            let n = self.host.read(Stdio::Stdin, &mut data)?.min(data.len());
            put(&mut self.mem, buf, &data[..n]);
            got = n as u32;
        }
        put(&mut self.mem, out, &got.to_le_bytes());
        Ok(())
    }

    fn sizes_get(&mut self, strings: &[&[u8]], count: u32, size: u32) -> Result<(), Errno> {
        region(self.size(), count, 1, 4, 4)?;
        region(self.size(), size, 1, 4, 4)?;
        let total: usize = strings.iter().map(|s| s.len() + 1).sum();
        put(&mut self.mem, count, &(strings.len() as u32).to_le_bytes());
        put(&mut self.mem, size, &(total as u32).to_le_bytes());
        Ok(())
    }

    fn strings_get(&mut self, strings: &[&[u8]], ptrs: u32, buf: u32) -> Result<(), Errno> {
        let total: usize = strings.iter().map(|s| s.len() + 1).sum();
        region(self.size(), ptrs, strings.len() as u32, 4, 4)?;
        region(self.size(), buf, total as u32, 1, 1)?;
        let (mut at, mut slot) = (buf, ptrs);
        for s in strings {
            put(&mut self.mem, at, s);
            put(&mut self.mem, at + s.len() as u32, &[0]);
            put(&mut self.mem, slot, &at.to_le_bytes());
            at += s.len() as u32 + 1;
            slot += 4;
        }
        Ok(())
    }

    fn fdstat(&mut self, fd: u32, stat: u32) -> Result<(), Errno> {
        let stream = self.stream(fd)?;
        region(self.size(), stat, 1, 24, 8)?;
        let rights: u64 = match stream {
            Stdio::Stdin => 1 << 1,
            Stdio::Stdout | Stdio::Stderr => 1 << 6,
        } | 1 << 27;
        let mut bytes = [0u8; 24];
        bytes[0] = 2; // a character device: the test host's file type
        bytes[8..16].copy_from_slice(&rights.to_le_bytes());
        put(&mut self.mem, stat, &bytes);
        Ok(())
    }

    fn clock(&mut self, id: u32, out: u32, time: bool) -> Result<(), Errno> {
        let clock = guestmem_wasi::ClockId::from_raw(id).map_err(|_| Errno::Inval)?;
        region(self.size(), out, 1, 8, 8)?;
        let ns = if time {
            self.host.clock_time(clock)?
        } else {
            self.host.clock_res(clock)?
        };
        put(&mut self.mem, out, &ns.to_le_bytes());
        Ok(())
    }

    fn random(&mut self, buf: u32, len: u32) -> Result<(), Errno> {
        region(self.size(), buf, len, 1, 1)?;
        let mut data = vec![0u8; len as usize];
        self.host.random(&mut data)?;
        put(&mut self.mem, buf, &data);
        Ok(())
    }

    /// The text at `text`: bounds, then UTF-8.
    fn text(&self, text: u32, len: u32) -> Result<Vec<u8>, Errno> {
        region(self.size(), text, len, 1, 1)?;
        let b = bytes(&self.mem, text, len);
        std::str::from_utf8(b).map_err(|_| Errno::Inval)?;
        Ok(b.to_vec())
    }

    fn print(&mut self, text: u32, len: u32) -> Result<(), Errno> {
        let t = self.text(text, len)?;
        self.host.write(Stdio::Stdout, &[&t, b"\n"])?;
        Ok(())
    }

    fn sum_points(&mut self, points: u32, n: u32, out: u32) -> Result<(), Errno> {
        let (mut x, mut y) = (0i32, 0i32);
        for i in 0..n {
            // Element `i` of the array: its offset overflowing ends the iteration.
            let at =
                u32::try_from(u64::from(points) + 8 * u64::from(i)).map_err(|_| Errno::Fault)?;
            region(self.size(), at, 1, 8, 4)?;
            x = x.wrapping_add(u32_at(&self.mem, at) as i32);
            y = y.wrapping_add(u32_at(&self.mem, at + 4) as i32);
        }
        region(self.size(), out, 1, 8, 4)?;
        put(&mut self.mem, out, &x.to_le_bytes());
        put(&mut self.mem, out + 4, &y.to_le_bytes());
        Ok(())
    }

    fn shape_area(&mut self, shape: u32, out: u32) -> Result<(), Errno> {
        region(self.size(), shape, 1, 12, 4)?;
        let kind = self.mem[shape as usize];
        let flags =
            u16::from_le_bytes([self.mem[shape as usize + 2], self.mem[shape as usize + 3]]);
        let (w, h) = (
            u64::from(u32_at(&self.mem, shape + 4)),
            u64::from(u32_at(&self.mem, shape + 8)),
        );
        if !(1..=3).contains(&kind) || flags & !3 != 0 {
            return Err(Errno::Inval);
        }
        region(self.size(), out, 1, 8, 8)?;
        let area = match kind {
            1 => w.saturating_mul(h),
            2 => w.saturating_mul(w),
            _ => w.saturating_mul(h) / 2,
        };
        put(&mut self.mem, out, &area.to_le_bytes());
        Ok(())
    }

    fn upper(
        &mut self,
        text: u32,
        len: u32,
        out: u32,
        cap: u32,
        out_len: u32,
    ) -> Result<(), Errno> {
        let t = self.text(text, len)?;
        region(self.size(), out_len, 1, 4, 4)?;
        region(self.size(), out, cap, 1, 1)?;
        // The mutable view of `out` may not overlap the live view of the text.
        let overlap = len != 0 && cap != 0 && text < out + cap && out < text + len;
        if overlap {
            return Err(Errno::Fault);
        }
        if len <= cap {
            let up: Vec<u8> = t.iter().map(u8::to_ascii_uppercase).collect();
            put(&mut self.mem, out, &up);
        }
        put(&mut self.mem, out_len, &len.to_le_bytes());
        if len > cap {
            return Err(Errno::Overflow);
        }
        Ok(())
    }
}
