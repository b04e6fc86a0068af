//! [`StdHost`]: WASI over the process's stdio, clocks and randomness.
//!
//! The output streams are written unbuffered, one `write(2)` or `writev(2)` per guest call,
//! and the process and thread CPU clocks are read with `clock_gettime(2)`: both through
//! `rustix`, in safe code (std has no CPU clocks, and its `stdout()` buffers lines). Its
//! files and directories are `std_fs`'s, beneath the directories preopened with
//! [`StdHost::preopen`].

use std::ffi::OsString;
use std::io::{self, IoSlice, IsTerminal, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use std::vec::Vec;

use rustix::time::{clock_getres, clock_gettime, ClockId as OsClock, Timespec};

use crate::fs::{DirEntry, Filestat, OpenRequest, Opened, SetTime, Whence};
use crate::{ClockId, Errno, Fdflags, Filetype, Stdio, WasiHost};

/// The most buffers one [`writev`] passes on (what the WASI functions gather at most); the
/// rest is left for the caller's next call, as a short write.
const MAX_BUFS: usize = 16;

/// A WASI host over the real standard streams, system clocks and the OS's random bytes, with
/// the arguments and environment it is given (nothing of the host's leaks in otherwise).
#[derive(Debug)]
pub struct StdHost {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    start: Instant,
    /// The preopened directories and what the guest opened beneath them (`std_fs`).
    pub(crate) files: crate::std_fs::Files,
}

impl StdHost {
    /// A host whose guest sees `args` (`argv[0]` first) and `env` (`KEY=VALUE` each).
    pub fn new(args: Vec<Vec<u8>>, env: Vec<Vec<u8>>) -> Self {
        StdHost {
            args,
            env,
            start: Instant::now(),
            files: crate::std_fs::Files::default(),
        }
    }

    /// Bytes of an OS string (Unix: exact; elsewhere: lossy UTF-8).
    pub fn os_bytes(s: OsString) -> Vec<u8> {
        #[cfg(unix)]
        {
            std::os::unix::ffi::OsStringExt::into_vec(s)
        }
        #[cfg(not(unix))]
        {
            s.to_string_lossy().into_owned().into_bytes()
        }
    }
}

fn nanos(d: std::time::Duration) -> Result<u64, Errno> {
    u64::try_from(d.as_nanos()).map_err(|_| Errno::Overflow)
}

/// A `timespec` in nanoseconds: `EIO` if negative, `EOVERFLOW` past `u64`.
fn ns(t: Timespec) -> Result<u64, Errno> {
    let secs = u64::try_from(t.tv_sec).map_err(|_| Errno::Io)?;
    let nanos = u64::try_from(t.tv_nsec).map_err(|_| Errno::Io)?;
    secs.checked_mul(1_000_000_000)
        .and_then(|s| s.checked_add(nanos))
        .ok_or(Errno::Overflow)
}

/// Runs `op` until it is not interrupted (`EINTR`).
fn retry(mut op: impl FnMut() -> rustix::io::Result<usize>) -> Result<usize, Errno> {
    loop {
        match op() {
            Err(rustix::io::Errno::INTR) => {}
            other => return other.map_err(|e| Errno::from(io::Error::from(e))),
        }
    }
}

/// One `writev(fd, bufs)`, retried on `EINTR`; at most [`MAX_BUFS`] buffers.
#[inline]
fn writev(fd: BorrowedFd<'_>, bufs: &[&[u8]]) -> Result<usize, Errno> {
    // A few buffers: their `IoSlice`s built in place, no array of 16 to fill first.
    match *bufs {
        [] => retry(|| rustix::io::writev(fd, &[])),
        [a, b] => retry(|| rustix::io::writev(fd, &[IoSlice::new(a), IoSlice::new(b)])),
        [a, b, c] => {
            retry(|| rustix::io::writev(fd, &[IoSlice::new(a), IoSlice::new(b), IoSlice::new(c)]))
        }
        [a, b, c, d] => retry(|| {
            let slices = [
                IoSlice::new(a),
                IoSlice::new(b),
                IoSlice::new(c),
                IoSlice::new(d),
            ];
            rustix::io::writev(fd, &slices)
        }),
        _ => writev_many(fd, bufs),
    }
}

/// [`writev`] of one or more than 4 buffers (16 at most), out of line.
#[inline(never)]
fn writev_many(fd: BorrowedFd<'_>, bufs: &[&[u8]]) -> Result<usize, Errno> {
    let mut slices = [IoSlice::new(&[]); MAX_BUFS];
    for (dst, src) in slices.iter_mut().zip(bufs) {
        *dst = IoSlice::new(src);
    }
    let n = bufs.len().min(MAX_BUFS);
    retry(|| rustix::io::writev(fd, slices.get(..n).unwrap_or(&slices)))
}

impl WasiHost for StdHost {
    fn arg_count(&self) -> usize {
        self.args.len()
    }

    fn arg(&self, i: usize) -> Option<&[u8]> {
        self.args.get(i).map(Vec::as_slice)
    }

    fn env_count(&self) -> usize {
        self.env.len()
    }

    fn env(&self, i: usize) -> Option<&[u8]> {
        self.env.get(i).map(Vec::as_slice)
    }

    fn write(&mut self, stream: Stdio, bufs: &[&[u8]]) -> Result<usize, Errno> {
        // One `write` (one buffer) or `writev` per guest call straight to the descriptor,
        // unbuffered (as wasm3's own WASI does): the guest buffers itself, and its output
        // interleaves with the host's.
        let out = io::stdout();
        let err = io::stderr();
        let fd = match stream {
            Stdio::Stdout => out.as_fd(),
            Stdio::Stderr => err.as_fd(),
            Stdio::Stdin => return Err(Errno::Badf),
        };
        match bufs {
            [one] => retry(|| rustix::io::write(fd, one)),
            _ => writev(fd, bufs),
        }
    }

    fn read(&mut self, stream: Stdio, buf: &mut [u8]) -> Result<usize, Errno> {
        match stream {
            Stdio::Stdin => Ok(std::io::stdin().lock().read(buf)?),
            _ => Err(Errno::Badf),
        }
    }

    fn filetype(&self, stream: Stdio) -> Filetype {
        let terminal = match stream {
            Stdio::Stdin => std::io::stdin().is_terminal(),
            Stdio::Stdout => std::io::stdout().is_terminal(),
            Stdio::Stderr => std::io::stderr().is_terminal(),
        };
        if terminal {
            Filetype::CharacterDevice
        } else {
            Filetype::Unknown
        }
    }

    fn clock_time(&mut self, clock: ClockId) -> Result<u64, Errno> {
        match clock {
            ClockId::Realtime => nanos(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_err(|_| Errno::Io)?,
            ),
            ClockId::Monotonic => nanos(self.start.elapsed()),
            ClockId::ProcessCputime => ns(clock_gettime(OsClock::ProcessCPUTime)),
            ClockId::ThreadCputime => ns(clock_gettime(OsClock::ThreadCPUTime)),
        }
    }

    fn clock_res(&mut self, clock: ClockId) -> Result<u64, Errno> {
        match clock {
            ClockId::Realtime | ClockId::Monotonic => Ok(1),
            ClockId::ProcessCputime => ns(clock_getres(OsClock::ProcessCPUTime)),
            ClockId::ThreadCputime => ns(clock_getres(OsClock::ThreadCPUTime)),
        }
    }

    fn random(&mut self, buf: &mut [u8]) -> Result<(), Errno> {
        getrandom::fill(buf).map_err(|_| Errno::Io)
    }

    fn sched_yield(&mut self) {
        std::thread::yield_now();
    }

    /// `std::thread::sleep`, which sleeps at least `ns` (resuming after a signal).
    fn sleep(&mut self, ns: u64) -> Result<(), Errno> {
        std::thread::sleep(std::time::Duration::from_nanos(ns));
        Ok(())
    }

    // --- Files and directories: `std_fs`, beneath the preopened directories. ---

    const FILES: bool = true;

    fn preopen_name(&self, dir: u32) -> Option<&[u8]> {
        self.files.preopen_name(dir)
    }

    fn open(&mut self, dir: u32, path: &str, req: OpenRequest) -> Result<Opened, Errno> {
        self.files.open(dir, path, req)
    }

    fn close(&mut self, h: u32) -> Result<(), Errno> {
        self.files.close(h)
    }

    fn file_read(&mut self, h: u32, buf: &mut [u8], at: Option<u64>) -> Result<usize, Errno> {
        self.files.read(h, buf, at)
    }

    fn file_write(&mut self, h: u32, bufs: &[&[u8]], at: Option<u64>) -> Result<usize, Errno> {
        self.files.write(h, bufs, at)
    }

    fn seek(&mut self, h: u32, offset: i64, whence: Whence) -> Result<u64, Errno> {
        self.files.seek(h, offset, whence)
    }

    fn sync(&mut self, h: u32, data_only: bool) -> Result<(), Errno> {
        self.files.sync(h, data_only)
    }

    fn filestat(&mut self, h: u32) -> Result<Filestat, Errno> {
        self.files.filestat(h)
    }

    fn path_filestat(&mut self, dir: u32, path: &str, follow: bool) -> Result<Filestat, Errno> {
        self.files.path_filestat(dir, path, follow)
    }

    fn fdflags(&mut self, h: u32) -> Result<Fdflags, Errno> {
        self.files.fdflags(h)
    }

    fn set_fdflags(&mut self, h: u32, flags: Fdflags) -> Result<(), Errno> {
        self.files.set_fdflags(h, flags)
    }

    fn set_size(&mut self, h: u32, size: u64) -> Result<(), Errno> {
        self.files.set_size(h, size)
    }

    fn set_times(
        &mut self,
        h: u32,
        path: Option<&str>,
        follow: bool,
        atim: SetTime,
        mtim: SetTime,
    ) -> Result<(), Errno> {
        self.files.set_times(h, path, follow, atim, mtim)
    }

    fn readdir(
        &mut self,
        dir: u32,
        cookie: u64,
        sink: &mut dyn FnMut(DirEntry<'_>) -> bool,
    ) -> Result<(), Errno> {
        self.files.readdir(dir, cookie, sink)
    }

    fn create_dir(&mut self, dir: u32, path: &str) -> Result<(), Errno> {
        self.files.create_dir(dir, path)
    }

    fn remove_dir(&mut self, dir: u32, path: &str) -> Result<(), Errno> {
        self.files.remove_dir(dir, path)
    }

    fn unlink(&mut self, dir: u32, path: &str) -> Result<(), Errno> {
        self.files.unlink(dir, path)
    }

    fn rename(&mut self, from_dir: u32, from: &str, to_dir: u32, to: &str) -> Result<(), Errno> {
        self.files.rename(from_dir, from, to_dir, to)
    }

    fn link(
        &mut self,
        from_dir: u32,
        from: &str,
        follow: bool,
        to_dir: u32,
        to: &str,
    ) -> Result<(), Errno> {
        self.files.link(from_dir, from, follow, to_dir, to)
    }

    fn symlink(&mut self, target: &str, dir: u32, path: &str) -> Result<(), Errno> {
        self.files.symlink(target, dir, path)
    }

    fn readlink(&mut self, dir: u32, path: &str, buf: &mut [u8]) -> Result<usize, Errno> {
        self.files.readlink(dir, path, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_clocks_run() {
        let mut host = StdHost::new(Vec::new(), Vec::new());
        let before = host.clock_time(ClockId::ProcessCputime).unwrap();
        let mut x = 0u64;
        for i in 0..1_000_000u64 {
            x = std::hint::black_box(x.wrapping_add(i));
        }
        assert!(host.clock_time(ClockId::ProcessCputime).unwrap() > before);
        assert!(host.clock_time(ClockId::ThreadCputime).unwrap() > 0);
        for clock in [ClockId::ProcessCputime, ClockId::ThreadCputime] {
            assert!(host.clock_res(clock).unwrap() > 0);
        }
    }

    #[test]
    fn writes_reach_the_output_streams_only() {
        let mut host = StdHost::new(Vec::new(), Vec::new());
        assert_eq!(host.write(Stdio::Stdin, &[b"x"]), Err(Errno::Badf));
        // Empty writes reach the stream and write nothing.
        assert_eq!(host.write(Stdio::Stderr, &[b""]), Ok(0));
        assert_eq!(host.write(Stdio::Stderr, &[b"", b""]), Ok(0));
        assert_eq!(host.write(Stdio::Stderr, &[]), Ok(0));
    }

    #[test]
    fn timespecs_in_nanoseconds() {
        let t = |tv_sec, tv_nsec| Timespec { tv_sec, tv_nsec };
        assert_eq!(ns(t(2, 5)), Ok(2_000_000_005));
        assert_eq!(ns(t(-1, 0)), Err(Errno::Io));
        assert_eq!(ns(t(i64::MAX, 0)), Err(Errno::Overflow));
    }
}
