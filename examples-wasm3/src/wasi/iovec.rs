//! The iovec part of the WASI functions: reading a guest's iovecs and handing their buffers
//! to the host (`fd_write`) or filling them from it (`fd_read`), checked before the host sees
//! or produces a byte.
//!
//! `fd_write`: a batch of up to 16 iovecs is read with one checked copy. When their buffers
//! hold at most [`COPY_LIMIT`] bytes they are copied into one buffer on the host stack — with
//! one checked copy of the range that holds them all when they follow each other in memory (a
//! line written in pieces), else one checked copy each — and written with one contiguous host
//! write. Larger buffers are lent to the host without copying, through one view of the range
//! that holds them.

use guestmem::{GuestFrame, GuestPtr};

use super::{check_out, to_u32, Errno, Iovec, Stdio, WasiCtx, WasiHost};

/// How many iovecs one host `write` gets at most (the core's view table holds 16).
const WRITE_BATCH: usize = 16;

/// Reads every iovec and checks its buffer as a read would (bounds, alignment), before any
/// I/O. Empty buffers are never accessed, so they may point anywhere. Returns the first
/// non-empty iovec, and the total length of the buffers.
///
/// # Errors
///
/// `EFAULT` or `EINVAL` for a bad iovec array or buffer; `EINVAL` when the lengths add up to
/// more than `u32::MAX`, as `readv`/`writev` refuse a total that does not fit their result.
fn check_iovecs<'a>(iovs: GuestPtr<'a, [Iovec<'a>]>) -> Result<(Option<Iovec<'a>>, u32), Errno> {
    let mut first = None;
    let mut total: u32 = 0;
    for iov in iovs.read_iter()? {
        let iov = iov?;
        if iov.buf_len > 0 {
            iov.buf.as_array(iov.buf_len).validate()?;
            total = total.checked_add(iov.buf_len).ok_or(Errno::Inval)?;
            first = first.or(Some(iov));
        }
    }
    Ok((first, total))
}

/// `fd_write`: writes the buffers of the iovecs `iovs` to stream `fd`, the count into
/// `*nwritten`.
///
/// All or nothing: `nwritten`, the iovecs and every buffer are checked before the host gets
/// a byte — by [`write_batch`] for one batch, by [`check_iovecs`] first for more — and
/// `*nwritten` is written once, at the end, when no view is live.
pub(super) fn write_iovecs<'a, H: WasiHost>(
    wasi: &mut WasiCtx<H>,
    fd: u32,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nwritten: GuestPtr<'a, u32>,
) -> Result<(), Errno> {
    let stream = wasi.stream(fd)?;
    if stream == Stdio::Stdin {
        return Err(Errno::Badf);
    }
    check_out(nwritten)?;
    let many = usize::try_from(iovs.len()).map_or(true, |n| n > WRITE_BATCH);
    if many {
        // More than one batch: check them all first, so that a bad one writes nothing.
        check_iovecs(iovs)?;
    }
    let mut total: u32 = 0;
    let mut next: u32 = 0;
    while next < iovs.len() {
        let count = (iovs.len().wrapping_sub(next)).min(to_u32(WRITE_BATCH)?);
        let first = iovs.get(next).ok_or(Errno::Fault)?;
        next = next.saturating_add(count);
        let room = u32::MAX.wrapping_sub(total);
        let (written, wanted) =
            match write_batch(&mut wasi.host, stream, first.as_array(count), room) {
                Ok(done) => done,
                // Bytes went out before the host failed: report them, as `writev` does.
                Err(_) if total > 0 => break,
                Err(e) => return Err(e),
            };
        // `written <= wanted <= room`: no overflow (a host claiming more is not believed).
        total = total.saturating_add(to_u32(written.min(wanted))?);
        if written < wanted {
            break; // a short write ends the call, as writev's does
        }
    }
    nwritten.write(total)?;
    Ok(())
}

/// `fd_read`: reads from stream `fd` (stdin) into the iovecs `iovs`, the count into `*nread`.
///
/// All or nothing: `nread`, the iovecs and every buffer are checked before the host reads a
/// byte, so a bad buffer anywhere in the list consumes no input and writes nothing.
pub(super) fn read_iovecs<'a, H: WasiHost>(
    wasi: &mut WasiCtx<H>,
    fd: u32,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nread: GuestPtr<'a, u32>,
) -> Result<(), Errno> {
    let stream = wasi.stream(fd)?;
    if stream != Stdio::Stdin {
        return Err(Errno::Badf);
    }
    check_out(nread)?;
    let (first, _) = check_iovecs(iovs)?;
    // Read into the first non-empty buffer only: a short read, which POSIX `readv` allows,
    // and no second blocking read once data has arrived.
    let n = match first {
        Some(iov) => {
            // Checked above, and no view is live: the view cannot be refused.
            let mut view = iov.buf.as_array(iov.buf_len).as_slice_mut()?;
            let n = wasi.host.read(stream, &mut view)?;
            n.min(view.len())
        } // the view ends here, before `*nread` is written
        None => 0,
    };
    nread.write(to_u32(n)?)?;
    Ok(())
}

/// Up to this many bytes of guest buffers are copied into one buffer on the host stack and
/// written with one contiguous host write, instead of being lent as views: a copy this small
/// is cheaper than recording a view in the borrow table, and a contiguous write is cheaper
/// than a gather write (`write(2)` against `writev(2)`).
const COPY_LIMIT: usize = 256;

/// Writes the buffers of the iovecs `batch` (at most [`WRITE_BATCH`]) with one host call.
/// Returns bytes written and bytes wanted. Every buffer is checked (bounds, and no mutable
/// view over it), and their total against `room`, before the host sees any byte.
fn write_batch<'a, H: WasiHost>(
    host: &mut H,
    stream: Stdio,
    batch: GuestPtr<'a, [Iovec<'a>]>,
    room: u32,
) -> Result<(usize, usize), Errno> {
    // The iovecs, copied out with one check: an iovec is two little-endian `u32`s (buf,
    // buf_len) with the alignment of `u32`, so the words have the same bytes, bounds and
    // alignment checks as the `Iovec` array.
    let mut words = [0u32; 2 * WRITE_BATCH];
    let word_count = batch.len().checked_mul(2).ok_or(Errno::Fault)?;
    let words = usize::try_from(word_count)
        .ok()
        .and_then(|n| words.get_mut(..n))
        .ok_or(Errno::Inval)?;
    let mem = batch.mem();
    GuestPtr::<[u32]>::new(mem, (batch.offset_base(), word_count)).copy_to_slice(words)?;
    let span = Span::of(words)?;
    if span.total == 0 {
        return Ok((0, 0));
    }
    if span.total <= COPY_LIMIT {
        let mut buf = [0u8; COPY_LIMIT];
        let len = if span.ascending && span.len() <= COPY_LIMIT {
            copy_compact(mem, span, words, &mut buf)?
        } else {
            copy_each(mem, words, &mut buf)?
        };
        let bytes = buf.get(..len).unwrap_or(&[]);
        fits(len, room)?;
        let written = host.write(stream, &[bytes])?;
        return Ok((written, len));
    }
    // Many bytes: lend them without copying, through one view that covers them all (bounds
    // checked once), and let the host gather them.
    let view = GuestPtr::<[u8]>::new(mem, (span.lo, span.len32())).as_slice()?;
    let mut bufs: [&[u8]; WRITE_BATCH] = [&[]; WRITE_BATCH];
    let mut used = 0usize;
    for (buf, pair) in bufs.iter_mut().zip(words.chunks_exact(2)) {
        if let [start, len @ 1..=u32::MAX] = *pair {
            let from = usize::try_from(start.wrapping_sub(span.lo)).map_err(|_| Errno::Fault)?;
            let len = usize::try_from(len).map_err(|_| Errno::Fault)?;
            *buf = view
                .get(from..from.saturating_add(len))
                .ok_or(Errno::Fault)?;
        }
        used = used.saturating_add(1);
    }
    fits(span.total, room)?;
    let written = host.write(stream, bufs.get(..used).unwrap_or(&[]))?;
    Ok((written, span.total))
}

/// `EINVAL` unless `len` bytes fit in the `room` left in the `u32` count of bytes written
/// (checked before the host writes, as `writev` refuses a total that overflows its result).
fn fits(len: usize, room: u32) -> Result<(), Errno> {
    match u32::try_from(len) {
        Ok(len) if len <= room => Ok(()),
        _ => Err(Errno::Inval),
    }
}

/// Copies the buffers `(buf, buf_len)` of `words`, which follow each other in guest memory
/// (`span.ascending`) within `span.len() <= buf.len()` bytes, into the start of `buf`, one
/// after the other: one checked copy of the whole span, then each buffer moved down over the
/// gaps. Returns the bytes copied.
fn copy_compact(
    mem: &GuestFrame<'_>,
    span: Span,
    words: &[u32],
    buf: &mut [u8],
) -> Result<usize, Errno> {
    let cover = buf.get_mut(..span.len()).ok_or(Errno::Fault)?;
    GuestPtr::<[u8]>::new(mem, (span.lo, span.len32())).copy_to_slice(cover)?;
    let mut at = 0usize;
    for pair in words.chunks_exact(2) {
        if let [start, len @ 1..=u32::MAX] = *pair {
            let from = usize::try_from(start.wrapping_sub(span.lo)).map_err(|_| Errno::Fault)?;
            let len = usize::try_from(len).map_err(|_| Errno::Fault)?;
            let end = from.checked_add(len).ok_or(Errno::Fault)?;
            // Ascending buffers: each one starts at or after where the previous ones end in
            // `buf`, so it only ever moves down (`at <= from`): within `at..end`, from
            // `from - at` to 0.
            let gap = from.saturating_sub(at);
            if gap > 0 {
                if let Some(moved) = buf.get_mut(at..end) {
                    if gap <= moved.len() {
                        moved.copy_within(gap.., 0);
                    }
                }
            }
            at = at.saturating_add(len);
        }
    }
    Ok(at)
}

/// Copies the buffers `(buf, buf_len)` of `words`, `buf.len()` bytes at most in all, into
/// `buf` one after the other, with one checked copy each. Returns the bytes copied.
fn copy_each(mem: &GuestFrame<'_>, words: &[u32], buf: &mut [u8]) -> Result<usize, Errno> {
    let mut at = 0usize;
    for pair in words.chunks_exact(2) {
        if let [start, len @ 1..=u32::MAX] = *pair {
            let end = at.saturating_add(usize::try_from(len).map_err(|_| Errno::Fault)?);
            let dst = buf.get_mut(at..end).ok_or(Errno::Fault)?;
            GuestPtr::<[u8]>::new(mem, (start, len)).copy_to_slice(dst)?;
            at = end;
        }
    }
    Ok(at)
}

/// The guest range `lo..hi` that holds every non-empty buffer of a batch of iovecs, their
/// total length, and whether they follow each other in memory.
#[derive(Clone, Copy)]
struct Span {
    lo: u32,
    hi: u32,
    /// Saturates: 16 buffers of up to 4 GiB could overflow a 32-bit `usize`.
    total: usize,
    /// Each non-empty buffer starts at or after the end of the one before.
    ascending: bool,
}

impl Span {
    /// The span of the `(buf, buf_len)` word pairs `words`.
    ///
    /// # Errors
    ///
    /// `EFAULT` when a buffer ends past 4 GiB.
    fn of(words: &[u32]) -> Result<Self, Errno> {
        let mut span = Span {
            lo: u32::MAX,
            hi: 0,
            total: 0,
            ascending: true,
        };
        for pair in words.chunks_exact(2) {
            if let [start, len @ 1..=u32::MAX] = *pair {
                let end = start.checked_add(len).ok_or(Errno::Fault)?;
                span.ascending &= start >= span.hi;
                span.lo = span.lo.min(start);
                span.hi = span.hi.max(end);
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                span.total = span.total.saturating_add(len);
            }
        }
        Ok(span)
    }

    fn len32(&self) -> u32 {
        self.hi.saturating_sub(self.lo)
    }

    fn len(&self) -> usize {
        usize::try_from(self.len32()).unwrap_or(usize::MAX)
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use std::vec;
    use std::vec::Vec;

    use guestmem::GuestFrame;

    use super::*;

    /// A host that records what it is asked to write, and can write less.
    #[derive(Default)]
    struct Capture {
        out: Vec<u8>,
        /// The number of slices of each write.
        slices: Vec<usize>,
        /// Write at most this much per call.
        short: Option<usize>,
    }

    impl WasiHost for Capture {
        fn write(&mut self, _stream: Stdio, bufs: &[&[u8]]) -> Result<usize, Errno> {
            self.slices.push(bufs.len());
            let mut room = self.short.unwrap_or(usize::MAX);
            for b in bufs {
                let n = b.len().min(room);
                self.out.extend_from_slice(&b[..n]);
                room -= n;
            }
            Ok(self.short.map_or(bufs.iter().map(|b| b.len()).sum(), |s| {
                s.min(bufs.iter().map(|b| b.len()).sum())
            }))
        }
    }

    const IOVS: u32 = 16;
    const NWRITTEN: u32 = 8;

    /// Runs `fd_write(1, iovs at IOVS, nwritten at NWRITTEN)` over a memory of `size` bytes
    /// holding `data` at each offset and the `(buf, len)` iovecs; returns the errno, the
    /// host, `*nwritten` and the memory.
    fn fd_write(
        size: usize,
        data: &[(u32, &[u8])],
        iovs: &[(u32, u32)],
        short: Option<usize>,
    ) -> (Result<(), Errno>, Capture, u32, Vec<u8>) {
        let mut bytes = vec![0u8; size];
        for (at, d) in data {
            bytes[*at as usize..][..d.len()].copy_from_slice(d);
        }
        for (i, (buf, len)) in iovs.iter().enumerate() {
            let at = IOVS as usize + 8 * i;
            bytes[at..at + 4].copy_from_slice(&buf.to_le_bytes());
            bytes[at + 4..at + 8].copy_from_slice(&len.to_le_bytes());
        }
        bytes[NWRITTEN as usize..][..4].copy_from_slice(&0xdead_beef_u32.to_le_bytes());
        let mem = GuestFrame::from_slice(&mut bytes);
        let mut wasi = WasiCtx::new(Capture {
            short,
            ..Capture::default()
        });
        let n = u32::try_from(iovs.len()).unwrap();
        let r = write_iovecs(
            &mut wasi,
            1,
            GuestPtr::new(&mem, (IOVS, n)),
            GuestPtr::new(&mem, NWRITTEN),
        );
        let nwritten = GuestPtr::<u32>::new(&mem, NWRITTEN).read().unwrap();
        let host = std::mem::take(wasi.host());
        (r, host, nwritten, bytes)
    }

    #[test]
    fn buffers_in_order_are_copied_once_and_compacted() {
        // Four pieces with gaps (like C strings with their NULs), in order.
        let data: [(u32, &[u8]); 4] = [
            (512, b"one\0"),
            (516, b"two\0"),
            (520, b"three"),
            (530, b"!"),
        ];
        let iovs = [(512, 3), (516, 3), (520, 5), (530, 1)];
        let (r, host, n, _) = fd_write(1024, &data, &iovs, None);
        assert_eq!(r, Ok(()));
        assert_eq!(host.out, b"onetwothree!");
        assert_eq!(host.slices, [1]);
        assert_eq!(n, 12);
    }

    #[test]
    fn buffers_out_of_order_or_repeated_are_copied_each() {
        let data: [(u32, &[u8]); 2] = [(512, b"world"), (600, b"hello ")];
        let (r, host, n, _) = fd_write(1024, &data, &[(600, 6), (512, 5)], None);
        assert_eq!(
            (r, host.out.as_slice(), n),
            (Ok(()), &b"hello world"[..], 11)
        );
        assert_eq!(host.slices, [1]);
        let (r, host, n, _) = fd_write(1024, &data, &[(512, 5), (514, 3), (512, 5)], None);
        assert_eq!(
            (r, host.out.as_slice(), n),
            (Ok(()), &b"worldrldworld"[..], 13)
        );
        // Far apart (more than the copy limit between them), but few bytes.
        let data: [(u32, &[u8]); 2] = [(200, b"near "), (3000, b"far")];
        let (r, host, n, _) = fd_write(4096, &data, &[(200, 5), (3000, 3)], None);
        assert_eq!((r, host.out.as_slice(), n), (Ok(()), &b"near far"[..], 8));
        assert_eq!(host.slices, [1]);
    }

    #[test]
    fn many_bytes_are_lent_as_slices_of_one_view() {
        let big = [b'x'; 300];
        let data: [(u32, &[u8]); 2] = [(1000, &big), (512, b"head ")];
        let (r, host, n, _) = fd_write(2048, &data, &[(512, 5), (0, 0), (1000, 300)], None);
        assert_eq!(r, Ok(()));
        assert_eq!(&host.out[..5], b"head ");
        assert_eq!(&host.out[5..], &big[..]);
        assert_eq!(host.slices, [3]);
        assert_eq!(n, 305);
    }

    #[test]
    fn a_bad_buffer_writes_nothing() {
        for iovs in [
            &[(512, 4), (1020, 8)][..],         // the second runs past the end
            &[(2000, 4), (512, 4)][..],         // the first starts past the end
            &[(512, 4), (u32::MAX - 2, 8)][..], // the end overflows
            &[(512, 4), (600, u32::MAX)][..],   // 4 GiB
        ] {
            let (r, host, n, _) = fd_write(1024, &[], iovs, None);
            assert_eq!(r, Err(Errno::Fault), "{iovs:?}");
            assert!(host.slices.is_empty(), "{iovs:?}");
            assert_eq!(n, 0xdead_beef, "{iovs:?}: *nwritten changed");
        }
        // Empty buffers are never looked at.
        let (r, host, n, _) = fd_write(1024, &[(512, b"ok")], &[(u32::MAX, 0), (512, 2)], None);
        assert_eq!((r, host.out.as_slice(), n), (Ok(()), &b"ok"[..], 2));
        let (r, host, n, _) = fd_write(1024, &[], &[(4000, 0)], None);
        assert_eq!((r, host.slices.len(), n), (Ok(()), 0, 0));
    }

    #[test]
    fn more_than_one_batch_is_checked_whole_first() {
        let mut iovs = vec![(512, 1); 20];
        let (r, host, n, _) = fd_write(1024, &[(512, b"a")], &iovs, None);
        assert_eq!((r, host.out.len(), n), (Ok(()), 20, 20));
        assert_eq!(host.slices, [1, 1]);
        iovs[19] = (5000, 1);
        let (r, host, n, _) = fd_write(1024, &[], &iovs, None);
        assert_eq!(
            (r, host.slices.len(), n),
            (Err(Errno::Fault), 0, 0xdead_beef)
        );
    }

    #[test]
    fn a_short_write_ends_the_call() {
        let data: [(u32, &[u8]); 1] = [(512, b"0123456789")];
        let mut iovs = vec![(512, 10); 17];
        iovs[0] = (512, 4);
        let (r, host, n, _) = fd_write(1024, &data, &iovs, Some(7));
        assert_eq!((r, host.out.as_slice(), n), (Ok(()), &b"0123012"[..], 7));
        assert_eq!(host.slices.len(), 1);
    }
}
