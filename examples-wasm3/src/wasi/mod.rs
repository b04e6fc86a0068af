//! A WASI preview1 subset (module `wasi_snapshot_preview1`) in safe Rust: every guest pointer
//! goes through [`guestmem::GuestPtr`], so a bad pointer or length gets `EFAULT`
//! (`EINVAL` when misaligned), never a host crash or a write outside the checked region.
//!
//! The I/O, clocks, randomness, arguments and environment come from a [`WasiHost`]. Its
//! defaults make a minimal no-alloc host (no arguments, no environment, no stdin, no clocks),
//! so firmware implements only [`WasiHost::write`] and what else it has, e.g. a monotonic
//! clock and [`SeededRandom`]. [`StdHost`] (feature `std`) is the process's own stdio, clocks
//! and randomness; [`TestHost`] is a deterministic in-memory one for tests and fuzzing.
//!
//! Every function is all-or-nothing: it checks every guest region it will read or write
//! before its first side effect (a guest write, or a call of the host that does I/O, reads a
//! clock, consumes randomness), so a call refused with an errno leaves guest memory unchanged
//! and the host untouched. The functions themselves are in [`calls`], callable without wasm3
//! over a [`GuestFrame`](guestmem::GuestFrame) of any memory; [`functions`] is the table that links
//! them.
//!
//! Modules, each importing only from those before it: this one (the types), `iovec` (guest
//! iovecs to host buffers), [`calls`] (the functions), `functions` (their link table);
//! `std_host` and `test_host` implement [`WasiHost`].

pub mod calls;
mod functions;
mod iovec;
#[cfg(feature = "std")]
mod std_host;
mod test_host;

pub use functions::{functions, MODULE};
#[cfg(feature = "std")]
pub use std_host::StdHost;
pub use test_host::{HostCall, TestHost};

use guestmem::{guest_enum, guest_struct, GuestError, GuestPtr, GuestType};

use crate::glue::{Trap, WasmRet};

/// A WASI error number (`errno`), as a host function returns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
#[non_exhaustive]
pub enum Errno {
    /// No error.
    Success = 0,
    /// Permission denied.
    Acces = 2,
    /// Bad file descriptor.
    Badf = 8,
    /// Bad address.
    Fault = 21,
    /// Invalid argument.
    Inval = 28,
    /// I/O error.
    Io = 29,
    /// Function not supported.
    Nosys = 52,
    /// Not supported.
    Notsup = 58,
    /// Value too large to be stored in the data type.
    Overflow = 61,
    /// Invalid seek.
    Spipe = 70,
}

impl Errno {
    /// The number the guest sees.
    pub const fn raw(self) -> u16 {
        // The enum is `repr(u16)`, so each variant's value is its discriminant.
        match self {
            Errno::Success => 0,
            Errno::Acces => 2,
            Errno::Badf => 8,
            Errno::Fault => 21,
            Errno::Inval => 28,
            Errno::Io => 29,
            Errno::Nosys => 52,
            Errno::Notsup => 58,
            Errno::Overflow => 61,
            Errno::Spipe => 70,
        }
    }
}

impl From<GuestError> for Errno {
    /// Bounds and overflow errors are `EFAULT`; misalignment and malformed values `EINVAL`.
    fn from(e: GuestError) -> Self {
        match e {
            GuestError::PtrNotAligned(..)
            | GuestError::InvalidUtf8(_)
            | GuestError::InvalidEnumValue(..)
            | GuestError::InvalidFlagValue(..) => Errno::Inval,
            _ => Errno::Fault,
        }
    }
}

#[cfg(feature = "std")]
impl From<std::io::Error> for Errno {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::PermissionDenied => Errno::Acces,
            std::io::ErrorKind::InvalidInput => Errno::Inval,
            _ => Errno::Io,
        }
    }
}

/// `n` as a guest length: `EOVERFLOW` if it does not fit in `u32`.
fn to_u32(n: usize) -> Result<u32, Errno> {
    u32::try_from(n).map_err(|_| Errno::Overflow)
}

/// Checks the out-parameter `p` as a write of a `T` would be checked, without writing it: the
/// same bounds and alignment checks. A write differs only by refusing a live view of the
/// bytes, and the WASI functions write their out-parameters when they hold no view, so a
/// write after this check cannot fail.
pub(crate) fn check_out<'a, T: GuestType<'a>>(p: GuestPtr<'a, T>) -> Result<(), Errno> {
    p.as_array(1).validate().map_err(Errno::from)
}

impl WasmRet for Errno {
    const SIG: u8 = b'i';
    fn into_slot(self) -> Result<Option<u64>, Trap> {
        Ok(Some(u64::from(self.raw())))
    }
}

/// The WASI file descriptors this subset knows: the three standard streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stdio {
    /// fd 0.
    Stdin,
    /// fd 1.
    Stdout,
    /// fd 2.
    Stderr,
}

impl Stdio {
    /// The stream of a guest fd.
    pub fn from_fd(fd: u32) -> Option<Self> {
        match fd {
            0 => Some(Stdio::Stdin),
            1 => Some(Stdio::Stdout),
            2 => Some(Stdio::Stderr),
            _ => None,
        }
    }

    fn index(self) -> usize {
        match self {
            Stdio::Stdin => 0,
            Stdio::Stdout => 1,
            Stdio::Stderr => 2,
        }
    }
}

/// A WASI clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockId {
    /// Wall-clock time since 1970.
    Realtime,
    /// A clock that never goes back.
    Monotonic,
    /// CPU time of the process.
    ProcessCputime,
    /// CPU time of the thread.
    ThreadCputime,
}

impl ClockId {
    /// The clock of a guest clock id.
    pub fn from_raw(id: u32) -> Option<Self> {
        match id {
            0 => Some(ClockId::Realtime),
            1 => Some(ClockId::Monotonic),
            2 => Some(ClockId::ProcessCputime),
            3 => Some(ClockId::ThreadCputime),
            _ => None,
        }
    }
}

guest_enum! {
    /// The type of a file descriptor (`filetype`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Filetype: u8 {
        /// Unknown, e.g. a pipe.
        Unknown = 0,
        /// A character device, e.g. a terminal.
        CharacterDevice = 2,
        /// A regular file.
        RegularFile = 4,
    }
}

guest_struct! {
    /// A buffer the guest wants written (`ciovec`) or read into (`iovec`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Iovec<'a> {
        /// Start of the buffer.
        pub buf: GuestPtr<'a, u8>,
        /// Its length in bytes.
        pub buf_len: u32,
    }
}

guest_struct! {
    /// What `fd_fdstat_get` returns (`fdstat`, 24 bytes).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Fdstat {
        /// The type of the descriptor.
        pub fs_filetype: Filetype,
        /// Its flags (`fdflags`).
        pub fs_flags: u16,
        /// The rights it has.
        pub fs_rights_base: u64,
        /// The rights descriptors opened from it would have.
        pub fs_rights_inheriting: u64,
    }
}

/// The right to `fd_read`.
pub const RIGHT_FD_READ: u64 = 1 << 1;
/// The right to `fd_write`.
pub const RIGHT_FD_WRITE: u64 = 1 << 6;
/// The right to `poll_oneoff` on the descriptor.
pub const RIGHT_POLL_FD_READWRITE: u64 = 1 << 27;

/// What the WASI functions ask of the host. Every method but [`write`](Self::write) has a
/// default for a host without it (no arguments, no environment, empty stdin, no clocks, no
/// randomness), so a no-alloc host implements only what it has.
pub trait WasiHost {
    /// How many arguments the guest has (`argv[0]` included).
    fn arg_count(&self) -> usize {
        0
    }

    /// Argument `i`, without its terminating NUL. [`arg_count`](Self::arg_count) and this
    /// must answer the same while a host call runs: `args_get` sizes the strings, checks the
    /// guest's buffers for that size, then asks again to copy them.
    fn arg(&self, _i: usize) -> Option<&[u8]> {
        None
    }

    /// How many environment variables the guest has.
    fn env_count(&self) -> usize {
        0
    }

    /// Environment variable `i` as `KEY=VALUE`, without a terminating NUL. Stable during a
    /// host call, as [`arg`](Self::arg).
    fn env(&self, _i: usize) -> Option<&[u8]> {
        None
    }

    /// Writes `bufs` in order to `stream` (stdout or stderr); returns how many bytes were
    /// written, as `writev` does.
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn write(&mut self, stream: Stdio, bufs: &[&[u8]]) -> Result<usize, Errno>;

    /// Reads from `stream` (stdin) into `buf`; returns how many bytes were read, 0 at the end.
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn read(&mut self, _stream: Stdio, _buf: &mut [u8]) -> Result<usize, Errno> {
        Ok(0)
    }

    /// The type that `fd_fdstat_get` reports for a stream.
    fn filetype(&self, _stream: Stdio) -> Filetype {
        Filetype::CharacterDevice
    }

    /// The time of `clock` in nanoseconds.
    ///
    /// # Errors
    ///
    /// `EINVAL` (the default) when the host lacks that clock.
    fn clock_time(&mut self, _clock: ClockId) -> Result<u64, Errno> {
        Err(Errno::Inval)
    }

    /// The resolution of `clock` in nanoseconds.
    ///
    /// # Errors
    ///
    /// `EINVAL` (the default) when the host lacks that clock.
    fn clock_res(&mut self, _clock: ClockId) -> Result<u64, Errno> {
        Err(Errno::Inval)
    }

    /// Fills `buf` with random bytes.
    ///
    /// # Errors
    ///
    /// `ENOSYS` (the default) when the host has no randomness.
    fn random(&mut self, _buf: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::Nosys)
    }

    /// The guest yields its time slice.
    fn sched_yield(&mut self) {}
}

/// The WASI state of one guest: its host, which standard streams it closed, and its exit code.
#[derive(Debug)]
pub struct WasiCtx<H> {
    host: H,
    closed: [bool; 3],
    exit_code: Option<u32>,
}

impl<H: WasiHost> WasiCtx<H> {
    /// A context over `host`.
    pub const fn new(host: H) -> Self {
        WasiCtx {
            host,
            closed: [false; 3],
            exit_code: None,
        }
    }

    /// The host.
    pub fn host(&mut self) -> &mut H {
        &mut self.host
    }

    /// The status the guest passed to `proc_exit`, if it called it.
    pub fn exit_code(&self) -> Option<u32> {
        self.exit_code
    }

    /// The open standard stream `fd`.
    fn stream(&self, fd: u32) -> Result<Stdio, Errno> {
        let s = Stdio::from_fd(fd).ok_or(Errno::Badf)?;
        match self.closed.get(s.index()) {
            Some(false) => Ok(s),
            _ => Err(Errno::Badf),
        }
    }
}

/// A host context that has a WASI context: what the WASI host functions need. Embedders with
/// more host state (e.g. the raw functions' counters) implement it on their own type.
pub trait HasWasi {
    /// The host behind the WASI functions.
    type Host: WasiHost;
    /// The WASI context.
    fn wasi(&mut self) -> &mut WasiCtx<Self::Host>;
}

impl<H: WasiHost> HasWasi for WasiCtx<H> {
    type Host = H;
    fn wasi(&mut self) -> &mut WasiCtx<H> {
        self
    }
}

/// A small deterministic random generator (xorshift64*) for hosts without a source of
/// entropy: its bytes are reproducible, not secret.
///
/// # Examples
///
/// ```
/// use guestmem_wasm3::wasi::SeededRandom;
///
/// let mut a = SeededRandom::new(7);
/// let mut b = SeededRandom::new(7);
/// let (mut x, mut y) = ([0u8; 5], [0u8; 5]);
/// a.fill(&mut x);
/// b.fill(&mut y);
/// assert_eq!(x, y);
/// assert_ne!(x, [0; 5]);
/// ```
#[derive(Clone, Debug)]
pub struct SeededRandom {
    state: u64,
}

impl SeededRandom {
    /// A generator started from `seed` (0 is replaced by a fixed non-zero seed).
    pub const fn new(seed: u64) -> Self {
        SeededRandom {
            state: if seed == 0 {
                0x9E37_79B9_7F4A_7C15
            } else {
                seed
            },
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Fills `buf` with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            for (dst, src) in chunk.iter_mut().zip(bytes) {
                *dst = src;
            }
        }
    }
}
