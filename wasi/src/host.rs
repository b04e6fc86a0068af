//! [`WasiHost`]: what the WASI functions ask of the embedder (I/O, clocks, randomness,
//! arguments and environment).

use crate::types::{ClockId, Errno, Filetype, Stdio};

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

    /// Blocks the guest for at least `ns` nanoseconds: what `poll_oneoff` does to wait for
    /// its earliest clock subscription.
    ///
    /// # Errors
    ///
    /// `ENOSYS` (the default) when the host cannot sleep; the clock events carry it as their
    /// `error`.
    fn sleep(&mut self, _ns: u64) -> Result<(), Errno> {
        Err(Errno::Nosys)
    }
}
