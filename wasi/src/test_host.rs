//! [`TestHost`]: a deterministic in-memory WASI host for tests and fuzzing (no `std`, no
//! allocation).

use crate::{ClockId, Errno, SeededRandom, Stdio, WasiHost};

/// How many bytes of each output stream a [`TestHost`] keeps.
const CAPTURE: usize = 4096;

/// How many host calls a [`TestHost`] logs (it counts them all).
const LOG: usize = 32;

/// A call of a [`TestHost`] method that has an effect (I/O, a clock, randomness, a yield),
/// as its log records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostCall {
    /// `write(stream, bufs)` of this many bytes in all.
    Write(Stdio, usize),
    /// `read(stream, buf)` into a buffer of this many bytes.
    Read(Stdio, usize),
    /// `clock_time(clock)`.
    ClockTime(ClockId),
    /// `clock_res(clock)`.
    ClockRes(ClockId),
    /// `random(buf)` of this many bytes.
    Random(usize),
    /// `sched_yield()`.
    SchedYield,
    /// `sleep(ns)`.
    Sleep(u64),
}

/// A WASI host in memory, for tests and fuzzing: fixed arguments and environment, a fixed
/// stdin that reads consume from the front, stdout and stderr captured, a clock that ticks by
/// a fixed step on each reading, [`SeededRandom`] bytes, and a log of every call with an
/// effect — so a test can assert that a refused host call did no I/O (`calls == 0`).
///
/// Every field is public: set the knobs (`write_limit`, `io_error`, …) directly.
///
/// # Examples
///
/// ```
/// use guestmem_wasi::{HostCall, Stdio, TestHost, WasiHost};
///
/// let mut host = TestHost::new(&[b"prog"], &[b"A=1"], b"input");
/// assert_eq!(host.write(Stdio::Stdout, &[b"he", b"llo"]), Ok(5));
/// let mut buf = [0u8; 3];
/// assert_eq!(host.read(Stdio::Stdin, &mut buf), Ok(3));
/// assert_eq!((&buf, host.stdin), (b"inp", &b"ut"[..]));
/// assert_eq!(host.stdout.as_slice(), b"hello");
/// assert_eq!(host.log.as_slice(), [HostCall::Write(Stdio::Stdout, 5), HostCall::Read(Stdio::Stdin, 3)]);
/// assert_eq!(host.calls, 2);
/// ```
#[derive(Clone, Debug)]
pub struct TestHost<'s> {
    /// The arguments, `argv[0]` first.
    pub args: &'s [&'s [u8]],
    /// The environment, `KEY=VALUE` each.
    pub env: &'s [&'s [u8]],
    /// What stdin has left to read.
    pub stdin: &'s [u8],
    /// What was written to stdout: its first 4096 bytes.
    pub stdout: heapless::Vec<u8, CAPTURE>,
    /// What was written to stderr: its first 4096 bytes.
    pub stderr: heapless::Vec<u8, CAPTURE>,
    /// Each `write` writes at most this many bytes (a short write); `None`: all of them.
    pub write_limit: Option<usize>,
    /// When set, `write` and `read` fail with this errno (and are still logged).
    pub io_error: Option<Errno>,
    /// What the next `clock_time` returns, for every clock (nanoseconds).
    pub time: u64,
    /// How much `time` advances on each `clock_time`; also every clock's resolution (at least
    /// 1).
    pub tick: u64,
    /// The source of `random`.
    pub random: SeededRandom,
    /// How many calls with an effect the host got (write, read, clock_time, clock_res,
    /// random, sched_yield, sleep).
    pub calls: u32,
    /// The first 32 of those calls, in order.
    pub log: heapless::Vec<HostCall, LOG>,
}

impl<'s> TestHost<'s> {
    /// A host with these arguments, environment and stdin; the clock starts at
    /// 1 700 000 000 s (late 2023) and ticks by 1 µs, random bytes come from seed 1.
    pub const fn new(args: &'s [&'s [u8]], env: &'s [&'s [u8]], stdin: &'s [u8]) -> Self {
        TestHost {
            args,
            env,
            stdin,
            stdout: heapless::Vec::new(),
            stderr: heapless::Vec::new(),
            write_limit: None,
            io_error: None,
            time: 1_700_000_000_000_000_000,
            tick: 1_000,
            random: SeededRandom::new(1),
            calls: 0,
            log: heapless::Vec::new(),
        }
    }

    fn record(&mut self, call: HostCall) {
        self.calls = self.calls.saturating_add(1);
        // A full log keeps its first entries; `calls` counts the rest.
        let _ = self.log.push(call);
    }
}

impl Default for TestHost<'_> {
    /// No arguments, no environment, an empty stdin.
    fn default() -> Self {
        TestHost::new(&[], &[], &[])
    }
}

impl WasiHost for TestHost<'_> {
    fn arg_count(&self) -> usize {
        self.args.len()
    }

    fn arg(&self, i: usize) -> Option<&[u8]> {
        self.args.get(i).copied()
    }

    fn env_count(&self) -> usize {
        self.env.len()
    }

    fn env(&self, i: usize) -> Option<&[u8]> {
        self.env.get(i).copied()
    }

    fn write(&mut self, stream: Stdio, bufs: &[&[u8]]) -> Result<usize, Errno> {
        let total = bufs.iter().fold(0usize, |n, b| n.saturating_add(b.len()));
        self.record(HostCall::Write(stream, total));
        if let Some(e) = self.io_error {
            return Err(e);
        }
        let out = match stream {
            Stdio::Stdout => &mut self.stdout,
            Stdio::Stderr => &mut self.stderr,
            Stdio::Stdin => return Err(Errno::Badf),
        };
        let mut room = self.write_limit.unwrap_or(usize::MAX);
        let mut written = 0usize;
        for b in bufs {
            let part = b.get(..room.min(b.len())).unwrap_or(&[]);
            // Past `CAPTURE` bytes the output is counted as written but not kept.
            let keep = part
                .get(..out.capacity().saturating_sub(out.len()).min(part.len()))
                .unwrap_or(&[]);
            let _ = out.extend_from_slice(keep);
            written = written.saturating_add(part.len());
            room = room.saturating_sub(part.len());
        }
        Ok(written)
    }

    fn read(&mut self, stream: Stdio, buf: &mut [u8]) -> Result<usize, Errno> {
        self.record(HostCall::Read(stream, buf.len()));
        if let Some(e) = self.io_error {
            return Err(e);
        }
        if stream != Stdio::Stdin {
            return Err(Errno::Badf);
        }
        let n = buf.len().min(self.stdin.len());
        let (now, later) = self.stdin.split_at(n);
        if let Some(dst) = buf.get_mut(..n) {
            dst.copy_from_slice(now);
        }
        self.stdin = later;
        Ok(n)
    }

    fn clock_time(&mut self, clock: ClockId) -> Result<u64, Errno> {
        self.record(HostCall::ClockTime(clock));
        let now = self.time;
        self.time = self.time.saturating_add(self.tick);
        Ok(now)
    }

    fn clock_res(&mut self, clock: ClockId) -> Result<u64, Errno> {
        self.record(HostCall::ClockRes(clock));
        Ok(self.tick.max(1))
    }

    fn random(&mut self, buf: &mut [u8]) -> Result<(), Errno> {
        self.record(HostCall::Random(buf.len()));
        self.random.fill(buf);
        Ok(())
    }

    fn sched_yield(&mut self) {
        self.record(HostCall::SchedYield);
    }

    /// Sleeps without waiting: `time` advances by `ns`.
    fn sleep(&mut self, ns: u64) -> Result<(), Errno> {
        self.record(HostCall::Sleep(ns));
        self.time = self.time.saturating_add(ns);
        Ok(())
    }
}
