//! Unbuffered writes to the process's standard output and error (`std` only), in safe code:
//! one `write(2)` or `writev(2)` per call on a duplicate of the descriptor, made once with
//! [`AsFd::try_clone_to_owned`](std::os::fd::BorrowedFd::try_clone_to_owned). Unlike
//! `std::io::stdout()`, nothing is buffered: a guest's output interleaves with the host's as
//! it would natively (the guest's libc buffers already).

use std::fs::File;
use std::io::{self, IoSlice, Write};
use std::os::fd::AsFd;
use std::sync::OnceLock;

/// The most buffers one [`writev`] passes on; the rest is left for the caller's next call.
const MAX_BUFS: usize = 16;

/// A duplicate of fd 1 or 2, made on first use; `None` when it could not be made (closed).
fn stream(fd: i32) -> io::Result<&'static File> {
    static STDOUT: OnceLock<Option<File>> = OnceLock::new();
    static STDERR: OnceLock<Option<File>> = OnceLock::new();
    let file = match fd {
        1 => STDOUT.get_or_init(|| {
            io::stdout()
                .as_fd()
                .try_clone_to_owned()
                .ok()
                .map(File::from)
        }),
        2 => STDERR.get_or_init(|| {
            io::stderr()
                .as_fd()
                .try_clone_to_owned()
                .ok()
                .map(File::from)
        }),
        _ => return Err(io::ErrorKind::InvalidInput.into()),
    };
    file.as_ref()
        .ok_or_else(|| io::Error::new(io::ErrorKind::BrokenPipe, "standard stream closed"))
}

/// Runs `op` until it is not interrupted (`EINTR`).
fn retry(mut op: impl FnMut() -> io::Result<usize>) -> io::Result<usize> {
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// `write(fd, buf)` on standard output (1) or error (2), retried on `EINTR`.
#[inline]
pub(crate) fn write(fd: i32, buf: &[u8]) -> io::Result<usize> {
    let mut file = stream(fd)?;
    retry(|| file.write(buf))
}

/// `writev(fd, bufs)` on standard output (1) or error (2), retried on `EINTR`; at most 16
/// buffers.
#[inline]
pub(crate) fn writev(fd: i32, bufs: &[&[u8]]) -> io::Result<usize> {
    let file = stream(fd)?;
    // A few buffers: their `IoSlice`s built in place, no array of 16 to fill first.
    match *bufs {
        [] => writev_slices(file, &[]),
        [a] => writev_slices(file, &[IoSlice::new(a)]),
        [a, b] => writev_slices(file, &[IoSlice::new(a), IoSlice::new(b)]),
        [a, b, c] => writev_slices(file, &[IoSlice::new(a), IoSlice::new(b), IoSlice::new(c)]),
        [a, b, c, d] => writev_slices(
            file,
            &[
                IoSlice::new(a),
                IoSlice::new(b),
                IoSlice::new(c),
                IoSlice::new(d),
            ],
        ),
        _ => writev_many(file, bufs),
    }
}

/// [`writev`] of more than 4 buffers (16 at most), out of line.
#[inline(never)]
fn writev_many(file: &File, bufs: &[&[u8]]) -> io::Result<usize> {
    let mut slices = [IoSlice::new(&[]); MAX_BUFS];
    for (dst, src) in slices.iter_mut().zip(bufs) {
        *dst = IoSlice::new(src);
    }
    writev_slices(file, slices.get(..bufs.len()).unwrap_or(&slices))
}

/// One `writev` of `slices` on `file`, retried on `EINTR`.
#[inline]
fn writev_slices(mut file: &File, slices: &[IoSlice<'_>]) -> io::Result<usize> {
    retry(|| file.write_vectored(slices))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_standard_output_streams() {
        assert_eq!(
            write(0, b"x").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(
            writev(7, &[b"x"]).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        // Empty writes reach the stream and write nothing.
        assert_eq!(write(2, b"").unwrap(), 0);
        assert_eq!(writev(2, &[b"", b""]).unwrap(), 0);
    }
}
