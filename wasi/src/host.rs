//! [`WasiHost`]: what the WASI functions ask of the embedder (I/O, clocks, randomness,
//! arguments and environment).

use crate::fs::{DirEntry, Filestat, OpenRequest, Opened, SetTime, Whence};
use crate::types::{ClockId, Errno, Fdflags, Filetype, Stdio};

/// What the WASI functions ask of the host. Every method but [`write`](Self::write) has a
/// default for a host without it (no arguments, no environment, empty stdin, no clocks, no
/// randomness), so a no-alloc host implements only what it has.
///
/// # Files
///
/// The methods after [`sched_yield`](Self::sched_yield) are for a host with files and
/// directories (set [`FILES`](Self::FILES)). Each names what it works on by a *handle*, a
/// number the host chose when it opened it ([`open`](Self::open), or a preopened directory
/// the embedder added with [`WasiCtx::add_preopen`](crate::WasiCtx::add_preopen)); the guest
/// never sees a handle, only its own descriptors, which the [`WasiCtx`](crate::WasiCtx) maps to
/// them. A path is a guest's, already copied out of guest memory, checked to be UTF-8 without
/// NUL, and at most [`MAX_PATH`](crate::fs::MAX_PATH) bytes; resolving it **beneath** its
/// directory — never reaching outside it by `..`, an absolute path or a symbolic link — is the
/// host's job (`StdHost` does it with `cap-std`). Every default answers as a host without files
/// does: `EBADF` for a handle (there is none), `ENOTSUP` for the rest.
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

    // --- Files and directories: everything below is for a host with files. ---

    /// Whether this host has files: `false` (the default) makes every file function answer
    /// without looking further (`EBADF`: no descriptor can be a file or a directory), so a
    /// host without files links none of their code.
    const FILES: bool = false;

    /// The name the guest sees for the preopened directory `dir` (`fd_prestat_dir_name`), or
    /// `None` if `dir` is not a preopened one.
    fn preopen_name(&self, _dir: u32) -> Option<&[u8]> {
        None
    }

    /// Opens `path` beneath directory `dir` as `req` asks; returns what was opened.
    ///
    /// # Errors
    ///
    /// The errno the guest gets (`ENOTCAPABLE` or `EPERM` for a path that would leave `dir`).
    fn open(&mut self, _dir: u32, _path: &str, _req: OpenRequest) -> Result<Opened, Errno> {
        Err(Errno::Badf)
    }

    /// Closes handle `h` (a file or a directory).
    ///
    /// # Errors
    ///
    /// The errno the guest gets; the guest's descriptor is closed all the same.
    fn close(&mut self, _h: u32) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    /// Reads from file `h` into `buf`, at its offset (advancing it) or, with `at`, at that
    /// offset (not moving it); returns the bytes read, 0 at the end.
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn file_read(&mut self, _h: u32, _buf: &mut [u8], _at: Option<u64>) -> Result<usize, Errno> {
        Err(Errno::Badf)
    }

    /// Writes `bufs` in order to file `h`, at its offset or at `at`, as
    /// [`file_read`](Self::file_read); returns the bytes written.
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn file_write(&mut self, _h: u32, _bufs: &[&[u8]], _at: Option<u64>) -> Result<usize, Errno> {
        Err(Errno::Badf)
    }

    /// Moves the offset of file `h`; returns the new offset.
    ///
    /// # Errors
    ///
    /// The errno the guest gets (`EINVAL` for a negative result).
    fn seek(&mut self, _h: u32, _offset: i64, _whence: Whence) -> Result<u64, Errno> {
        Err(Errno::Badf)
    }

    /// Flushes `h` (a file or a directory) to storage: its data only when `data_only`.
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn sync(&mut self, _h: u32, _data_only: bool) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    /// The attributes of `h` (a file or a directory).
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn filestat(&mut self, _h: u32) -> Result<Filestat, Errno> {
        Err(Errno::Badf)
    }

    /// The attributes of `path` beneath directory `dir`; of a final symbolic link itself
    /// unless `follow`.
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn path_filestat(&mut self, _dir: u32, _path: &str, _follow: bool) -> Result<Filestat, Errno> {
        Err(Errno::Badf)
    }

    /// The flags of file `h` (`APPEND`, `NONBLOCK`, ...).
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn fdflags(&mut self, _h: u32) -> Result<Fdflags, Errno> {
        Err(Errno::Badf)
    }

    /// Sets the flags of file `h`.
    ///
    /// # Errors
    ///
    /// `ENOTSUP` for a flag the host cannot change, or another errno the guest gets.
    fn set_fdflags(&mut self, _h: u32, _flags: Fdflags) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    /// Truncates or extends file `h` to `size` bytes.
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn set_size(&mut self, _h: u32, _size: u64) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    /// Sets the access and modification times of `h` itself (`path` is `None`), or of
    /// `path` beneath directory `h` (of a final symbolic link itself unless `follow`).
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn set_times(
        &mut self,
        _h: u32,
        _path: Option<&str>,
        _follow: bool,
        _atim: SetTime,
        _mtim: SetTime,
    ) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    /// Hands `sink` the entries of directory `dir` in a stable order, from the one whose
    /// cookie is `cookie` (0: the first; an entry's [`next`](DirEntry::next) is the cookie
    /// of the one after it), until `sink` returns `false` or the entries end. The host holds
    /// at most one entry at a time: the guest's buffer bounds the work, not the host's memory.
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn readdir(
        &mut self,
        _dir: u32,
        _cookie: u64,
        _sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    /// Creates the directory `path` beneath directory `dir`.
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn create_dir(&mut self, _dir: u32, _path: &str) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    /// Removes the empty directory `path` beneath directory `dir`.
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn remove_dir(&mut self, _dir: u32, _path: &str) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    /// Removes the file (or symbolic link) `path` beneath directory `dir`.
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn unlink(&mut self, _dir: u32, _path: &str) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    /// Renames `from` beneath directory `from_dir` to `to` beneath directory `to_dir`.
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn rename(
        &mut self,
        _from_dir: u32,
        _from: &str,
        _to_dir: u32,
        _to: &str,
    ) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    /// Makes `to` beneath directory `to_dir` a hard link to `from` beneath `from_dir`
    /// (following a final symbolic link of `from` when `follow`).
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn link(
        &mut self,
        _from_dir: u32,
        _from: &str,
        _follow: bool,
        _to_dir: u32,
        _to: &str,
    ) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    /// Creates the symbolic link `path` beneath directory `dir`, pointing at `target`.
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn symlink(&mut self, _target: &str, _dir: u32, _path: &str) -> Result<(), Errno> {
        Err(Errno::Badf)
    }

    /// Copies the target of the symbolic link `path` beneath directory `dir` into `buf`,
    /// truncated to fit; returns the bytes copied.
    ///
    /// # Errors
    ///
    /// The errno the guest gets.
    fn readlink(&mut self, _dir: u32, _path: &str, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::Badf)
    }
}
