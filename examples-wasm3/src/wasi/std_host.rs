//! [`StdHost`]: WASI over the process's stdio, clocks and randomness.

use std::ffi::OsString;
use std::io::{IsTerminal, Read};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use std::vec::Vec;

use super::{ClockId, Errno, Filetype, Stdio, WasiHost};

/// A WASI host over the real standard streams, system clocks and the OS's random bytes, with
/// the arguments and environment it is given (nothing of the host's leaks in otherwise).
#[derive(Debug)]
pub struct StdHost {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    start: Instant,
}

impl StdHost {
    /// A host whose guest sees `args` (`argv[0]` first) and `env` (`KEY=VALUE` each).
    pub fn new(args: Vec<Vec<u8>>, env: Vec<Vec<u8>>) -> Self {
        StdHost {
            args,
            env,
            start: Instant::now(),
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
        let fd = match stream {
            Stdio::Stdout => 1,
            Stdio::Stderr => 2,
            Stdio::Stdin => return Err(Errno::Badf),
        };
        match bufs {
            [one] => Ok(crate::ffi::write(fd, one)?),
            _ => Ok(crate::ffi::writev(fd, bufs)?),
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
            ClockId::ProcessCputime => crate::ffi::cpu_time_ns(true).ok_or(Errno::Io),
            ClockId::ThreadCputime => crate::ffi::cpu_time_ns(false).ok_or(Errno::Io),
        }
    }

    fn clock_res(&mut self, clock: ClockId) -> Result<u64, Errno> {
        match clock {
            ClockId::Realtime | ClockId::Monotonic => Ok(1),
            ClockId::ProcessCputime => crate::ffi::cpu_time_res_ns(true).ok_or(Errno::Io),
            ClockId::ThreadCputime => crate::ffi::cpu_time_res_ns(false).ok_or(Errno::Io),
        }
    }

    fn random(&mut self, buf: &mut [u8]) -> Result<(), Errno> {
        getrandom::fill(buf).map_err(|_| Errno::Io)
    }

    fn sched_yield(&mut self) {
        std::thread::yield_now();
    }
}
