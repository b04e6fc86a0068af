//! The structured input of `wasi_calls`: a memory, a host, and steps (calls of the host
//! functions, and pokes that lay out iovecs, strings and structs for them).

use arbitrary::Arbitrary;

/// One input.
#[derive(Arbitrary, Debug)]
pub(crate) struct Input {
    /// The guest memory's size.
    pub(crate) size: MemSize,
    /// Bytes repeated over the memory (its first 64; zeroes when empty).
    pub(crate) fill: Vec<u8>,
    /// The guest's arguments (the first 8, each cut to 40 bytes).
    pub(crate) args: Vec<Vec<u8>>,
    /// Its environment (as the arguments).
    pub(crate) env: Vec<Vec<u8>>,
    /// What stdin holds (its first 512 bytes).
    pub(crate) stdin: Vec<u8>,
    /// The host's knobs at the start.
    pub(crate) knobs: Knobs,
    /// What happens, in order (the first [`MAX_STEPS`](super::MAX_STEPS)).
    pub(crate) steps: Vec<Step>,
}

/// The memory's size in bytes.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub(crate) enum MemSize {
    /// Empty.
    Empty,
    /// Up to 255 bytes.
    Tiny(u8),
    /// Up to 64 KiB - 1.
    Any(u16),
    /// One wasm page, 64 KiB.
    Page,
}

impl MemSize {
    pub(crate) fn bytes(self) -> usize {
        match self {
            MemSize::Empty => 0,
            MemSize::Tiny(n) => usize::from(n),
            MemSize::Any(n) => usize::from(n),
            MemSize::Page => 1 << 16,
        }
    }
}

/// The test host's knobs.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub(crate) struct Knobs {
    /// Each write writes at most this many bytes.
    pub(crate) write_limit: Option<u16>,
    /// Reads and writes fail with this errno.
    pub(crate) io_error: Option<IoError>,
}

/// An errno the host's I/O fails with.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub(crate) enum IoError {
    Io,
    Acces,
    Inval,
}

/// One step.
#[derive(Arbitrary, Debug)]
pub(crate) enum Step {
    /// A call of a host function.
    Call(Call),
    /// Writes bytes (the first 64) at an address (cut at the end of memory).
    Poke { at: Addr, bytes: Vec<u8> },
    /// Writes a little-endian `u32` (e.g. a pointer) at an address.
    PokeU32 { at: Addr, value: Addr },
    /// Writes an array of iovecs (the first 40) at an address: each `(buf, buf_len)`.
    PokeIovecs { at: Addr, iovs: Vec<(Addr, Len)> },
    /// Writes a shape (`kind`, `flags`, `w`, `h`) at an address.
    PokeShape {
        at: Addr,
        kind: u8,
        flags: u16,
        w: u32,
        h: u32,
    },
    /// Sets the host's knobs.
    Knobs(Knobs),
    /// Writes an array of `poll_oneoff` subscriptions (the first 8) at an address, in
    /// preview1's 48-byte layout or preview0's 56-byte one: each `(userdata, what)`.
    PokeSubs {
        at: Addr,
        preview0: bool,
        subs: Vec<(u64, Sub)>,
    },
    /// Lays out subscriptions as [`Step::PokeSubs`] does, then calls `poll_oneoff` on exactly
    /// those (`nsubscriptions` their count), so that clocks alone are often polled.
    Poll {
        at: Addr,
        preview0: bool,
        subs: Vec<(u64, Sub)>,
        events: Addr,
        nevents: Addr,
    },
}

/// One `poll_oneoff` subscription as [`Step::PokeSubs`] lays it out.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub(crate) enum Sub {
    /// A valid clock subscription: clock `id % 4`, relative or absolute (`abs`).
    Clock {
        id: u8,
        abs: bool,
        timeout: Timeout,
        precision: u64,
    },
    /// A descriptor subscription to read, on fd `fd % 5`.
    FdRead(u8),
    /// A descriptor subscription to write, on fd `fd % 5`.
    FdWrite(u8),
    /// Anything: the tag, a word at the contents (the fd, or the clock id) and at the clock
    /// id, and the clock flags.
    Raw { tag: u8, word: u32, flags: u16 },
}

/// A clock subscription's `timeout`.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub(crate) enum Timeout {
    Zero,
    /// `k` µs.
    Micros(u16),
    /// The host's clock when the poke is made, plus `k` µs (for an absolute clock; a huge
    /// duration for a relative one).
    FromNow(i16),
    Max,
    Any(u64),
}

impl Timeout {
    /// The nanoseconds, with the host's clock reading `now`.
    pub(crate) fn resolve(self, now: u64) -> u64 {
        match self {
            Timeout::Zero => 0,
            Timeout::Micros(k) => u64::from(k) * 1000,
            Timeout::FromNow(k) => now.wrapping_add_signed(i64::from(k) * 1000),
            Timeout::Max => u64::MAX,
            Timeout::Any(v) => v,
        }
    }
}

impl Sub {
    /// The subscription's bytes: 48 (preview1) or 56 (preview0).
    pub(crate) fn bytes(self, userdata: u64, preview0: bool, now: u64) -> Vec<u8> {
        // preview0's clock contents have an `identifier: u64` first: the rest is 8 later.
        let clock = if preview0 { 24 } else { 16 };
        let mut b = vec![0u8; if preview0 { 56 } else { 48 }];
        b[..8].copy_from_slice(&userdata.to_le_bytes());
        match self {
            Sub::Clock {
                id,
                abs,
                timeout,
                precision,
            } => {
                b[8] = 0;
                if preview0 {
                    b[16..24].copy_from_slice(&(!userdata).to_le_bytes());
                }
                b[clock..clock + 4].copy_from_slice(&u32::from(id % 4).to_le_bytes());
                b[clock + 8..clock + 16].copy_from_slice(&timeout.resolve(now).to_le_bytes());
                b[clock + 16..clock + 24].copy_from_slice(&precision.to_le_bytes());
                b[clock + 24] = u8::from(abs);
            }
            Sub::FdRead(fd) | Sub::FdWrite(fd) => {
                b[8] = if matches!(self, Sub::FdRead(_)) { 1 } else { 2 };
                b[16..20].copy_from_slice(&u32::from(fd % 5).to_le_bytes());
            }
            Sub::Raw { tag, word, flags } => {
                b[8] = tag;
                b[16..20].copy_from_slice(&word.to_le_bytes());
                b[clock..clock + 4].copy_from_slice(&word.to_le_bytes());
                b[clock + 24..clock + 26].copy_from_slice(&flags.to_le_bytes());
            }
        }
        b
    }
}

/// A guest address, mostly near the interesting places: the start, the end, the last poke.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub(crate) enum Addr {
    Zero,
    /// A small offset.
    Small(u8),
    /// `8 * k`, wrapped into the memory.
    Aligned(u16),
    /// Anywhere in the memory, or at its end.
    Inside(u16),
    /// `size - k`.
    FromEnd(u8),
    /// `size + k`.
    PastEnd(u8),
    /// `u32::MAX - k`.
    High(u8),
    /// Any 32-bit value.
    Any(u32),
    /// Where the last poke wrote, plus `k`.
    LastPoke(u8),
}

impl Addr {
    /// The offset, in a memory of `size` bytes whose last poke was at `last`.
    pub(crate) fn resolve(self, size: u32, last: u32) -> u32 {
        match self {
            Addr::Zero => 0,
            Addr::Small(k) => u32::from(k),
            Addr::Aligned(k) => {
                let pages = size / 8 + 1;
                (u32::from(k) % pages) * 8
            }
            Addr::Inside(k) => u32::from(k) % (size + 1),
            Addr::FromEnd(k) => size.wrapping_sub(u32::from(k)),
            Addr::PastEnd(k) => size.wrapping_add(u32::from(k)),
            Addr::High(k) => u32::MAX - u32::from(k),
            Addr::Any(v) => v,
            Addr::LastPoke(k) => last.wrapping_add(u32::from(k)),
        }
    }
}

/// A length (of bytes or elements), mostly near the interesting ones.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub(crate) enum Len {
    Zero,
    Small(u8),
    Medium(u16),
    /// Exactly to the end of memory (in elements).
    Rest,
    /// One element more than fits.
    RestPlus(u8),
    /// Less than fits.
    RestMinus(u8),
    /// Any 32-bit value.
    Any(u32),
    /// `u32::MAX - k`.
    Max(u8),
}

impl Len {
    /// The length for an array of `elem`-byte elements at `at` in `size` bytes.
    pub(crate) fn resolve(self, size: u32, at: u32, elem: u32) -> u32 {
        let rest = size.saturating_sub(at) / elem.max(1);
        match self {
            Len::Zero => 0,
            Len::Small(n) => u32::from(n),
            Len::Medium(n) => u32::from(n),
            Len::Rest => rest,
            Len::RestPlus(k) => rest.saturating_add(u32::from(k)).saturating_add(1),
            Len::RestMinus(k) => rest.saturating_sub(u32::from(k)),
            Len::Any(n) => n,
            Len::Max(k) => u32::MAX - u32::from(k),
        }
    }
}

/// A file descriptor: mostly a standard stream or just past them.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub(crate) enum Fd {
    Std(u8),
    Any(u32),
}

impl Fd {
    pub(crate) fn raw(self) -> u32 {
        match self {
            Fd::Std(n) => u32::from(n % 5),
            Fd::Any(n) => n,
        }
    }
}

/// A small number (a clock id, a `whence`), sometimes any.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub(crate) enum Small {
    Near(u8),
    Any(u32),
}

impl Small {
    pub(crate) fn raw(self) -> u32 {
        match self {
            Small::Near(n) => u32::from(n % 6),
            Small::Any(n) => n,
        }
    }
}

/// A call of a host function, with its arguments before they are resolved.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub(crate) enum Call {
    FdWrite {
        fd: Fd,
        iovs: Addr,
        n: Len,
        nwritten: Addr,
    },
    FdRead {
        fd: Fd,
        iovs: Addr,
        n: Len,
        nread: Addr,
    },
    ArgsSizesGet {
        count: Addr,
        size: Addr,
    },
    ArgsGet {
        ptrs: Addr,
        buf: Addr,
    },
    EnvironSizesGet {
        count: Addr,
        size: Addr,
    },
    EnvironGet {
        ptrs: Addr,
        buf: Addr,
    },
    FdClose {
        fd: Fd,
    },
    FdSeek {
        fd: Fd,
        offset: i64,
        whence: Small,
        out: Addr,
    },
    FdFdstatGet {
        fd: Fd,
        stat: Addr,
    },
    FdPrestatGet {
        fd: Fd,
        out: Addr,
    },
    FdPrestatDirName {
        fd: Fd,
        path: Addr,
        len: Len,
    },
    ClockResGet {
        id: Small,
        out: Addr,
    },
    ClockTimeGet {
        id: Small,
        precision: u64,
        out: Addr,
    },
    RandomGet {
        buf: Addr,
        len: Len,
    },
    SchedYield,
    ProcExit {
        code: u32,
    },
    Print {
        text: Addr,
        len: Len,
    },
    SumPoints {
        points: Addr,
        n: Len,
        out: Addr,
    },
    ShapeArea {
        shape: Addr,
        out: Addr,
    },
    Upper {
        text: Addr,
        len: Len,
        out: Addr,
        cap: Len,
        out_len: Addr,
    },
    /// `poll_oneoff`, preview1's (48-byte subscriptions) or preview0's (56).
    PollOneoff {
        preview0: bool,
        subs: Addr,
        events: Addr,
        n: Len,
        nevents: Addr,
    },
    /// preview0's `fd_seek` (`whence`: `CUR = 0, END = 1, SET = 2`).
    FdSeek0 {
        fd: Fd,
        offset: i64,
        whence: Small,
        out: Addr,
    },
    SockAccept {
        fd: Fd,
        flags: u32,
        result_fd: u32,
    },
    SockRecv {
        fd: Fd,
        args: [u32; 5],
    },
    SockSend {
        fd: Fd,
        args: [u32; 4],
    },
    SockShutdown {
        fd: Fd,
        how: u32,
    },
    PathOpen {
        fd: Fd,
        dirflags: u32,
        path: Addr,
        len: Len,
        oflags: u32,
        rights_base: u64,
        rights_inheriting: u64,
        fdflags: u32,
        opened: Addr,
    },
    /// `fd_filestat_get`, preview1's (a 64-byte `filestat`) or preview0's (56).
    FdFilestatGet {
        preview0: bool,
        fd: Fd,
        buf: Addr,
    },
    /// `path_filestat_get`, preview1's or preview0's.
    PathFilestatGet {
        preview0: bool,
        fd: Fd,
        flags: u32,
        path: Addr,
        len: Len,
        buf: Addr,
    },
    FdReaddir {
        fd: Fd,
        buf: Addr,
        len: Len,
        cookie: u64,
        bufused: Addr,
    },
    FdPread {
        fd: Fd,
        iovs: Addr,
        n: Len,
        offset: u64,
        nread: Addr,
    },
    FdPwrite {
        fd: Fd,
        iovs: Addr,
        n: Len,
        offset: u64,
        nwritten: Addr,
    },
    FdTell {
        fd: Fd,
        out: Addr,
    },
}
