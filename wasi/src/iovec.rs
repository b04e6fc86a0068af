//! The iovec part of the WASI functions: reading a guest's iovecs and handing their buffers
//! to the host (`fd_write`) or filling them from it (`fd_read`), checked before the host sees
//! or produces a byte.
//!
//! `fd_write` lends the host the guest's buffers ([`write_lent`]): the iovecs are read from
//! one view of the whole memory and each buffer is cut out of it (each cut is a check), and
//! the host gets the buffers as those slices with one gather write, as wasm3's C WASI hands
//! the guest's pointers to `writev`. The common call — a line written in a few pieces, at
//! most 16 iovecs — is that one write; more iovecs are all checked first, then written in
//! batches of 16 ([`write_batches`]). A call refused on the way is told apart afterwards
//! ([`refusal`]).

use guestmem::GuestPtr;

use crate::types::{check_out, to_u32};
use crate::{Errno, Iovec, Stdio, WasiCtx, WasiHost};

/// How many iovecs one gather write of lent buffers gets at most (the host's `writev` takes
/// 16).
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
/// a byte — by cutting them out of one view of the memory ([`write_lent`]) — and
/// `*nwritten` is written once, at the end, when no view is live. A short write of the host
/// ends the call, as `writev`'s does.
pub(crate) fn write_iovecs<'a, H: WasiHost>(
    wasi: &mut WasiCtx<H>,
    fd: u32,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nwritten: GuestPtr<'a, u32>,
) -> Result<(), Errno> {
    let stream = wasi.stream(fd)?;
    if stream == Stdio::Stdin {
        return Err(Errno::Badf);
    }
    write_to(&mut wasi.host, Target::Stream(stream), iovs, nwritten)
}

/// Where the bytes of an `fd_write` go, or those of an `fd_read` come from: a standard
/// stream, or a file of the host (at its offset, or at `at` for `fd_pread`/`fd_pwrite`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// A standard stream.
    Stream(Stdio),
    /// A file, by the host's handle.
    File { handle: u32, at: Option<u64> },
}

impl Target {
    /// Writes `bufs` to the target; `done` bytes of the same call went out before them (a
    /// positioned write continues after them).
    #[inline]
    fn write<H: WasiHost>(self, host: &mut H, bufs: &[&[u8]], done: usize) -> Result<usize, Errno> {
        match self {
            Target::Stream(stream) => host.write(stream, bufs),
            Target::File { handle, at } => {
                let at = at.map(|at| at.saturating_add(u64::try_from(done).unwrap_or(u64::MAX)));
                host.file_write(handle, bufs, at)
            }
        }
    }

    /// Reads from the target into `buf`.
    #[inline]
    fn read<H: WasiHost>(self, host: &mut H, buf: &mut [u8]) -> Result<usize, Errno> {
        match self {
            Target::Stream(stream) => host.read(stream, buf),
            Target::File { handle, at } => host.file_read(handle, buf, at),
        }
    }
}

/// `fd_write` or `fd_pwrite` to `to`, as [`write_iovecs`].
pub(crate) fn write_to<'a, H: WasiHost>(
    host: &mut H,
    to: Target,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nwritten: GuestPtr<'a, u32>,
) -> Result<(), Errno> {
    check_out(nwritten)?;
    let written = match write_lent(host, to, iovs) {
        Ok(written) => written,
        Err(Errno::Fault) => return Err(refusal(iovs)),
        Err(e) => return Err(e),
    };
    nwritten.write(to_u32(written)?)?;
    Ok(())
}

/// Writes the buffers of the iovecs `iovs` lent to the host, not copied. Takes one shared
/// view of the whole memory for the length of the call (`with_slice`: one entry in the table
/// of views, recorded and released inline — no guard to drop through a call), reads the
/// iovecs from it and cuts each buffer out of it — a slice's bounds check is the iovec
/// array's or the buffer's check — and lends the host those slices: with one gather write for
/// at most [`WRITE_BATCH`] iovecs, the common call (a line written in pieces), or, for more,
/// after every buffer is checked, one per batch ([`write_batches`]). Returns the bytes
/// written.
///
/// # Errors
///
/// The host's error; `EFAULT`, having done nothing observable, for anything wrong with the
/// call, which [`refusal`] then tells apart.
#[inline]
fn write_lent<'a, H: WasiHost>(
    host: &mut H,
    to: Target,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
) -> Result<usize, Errno> {
    let mem = iovs.mem();
    // The iovecs: two little-endian `u32`s each (buf, buf_len), aligned as a `u32` in the
    // guest.
    let (at, count) = (to_usize(iovs.offset_base()), to_usize(iovs.len()));
    if !at.is_multiple_of(4) {
        return Err(Errno::Fault);
    }
    // The whole memory, lent until the host has written; no other view is live, so this one
    // is not refused.
    let lent = GuestPtr::<[u8]>::new(mem, (0, mem.len())).with_slice(|memory| {
        let table = || {
            at.checked_add(count.saturating_mul(8))
                .and_then(|end| memory.get(at..end))
                .ok_or(Errno::Fault)
        };
        if count > WRITE_BATCH {
            return write_batches(host, to, memory, table()?);
        }
        let table = table()?;
        let mut bufs = heapless::Vec::new();
        let wanted = cut_buffers(memory, table, &mut bufs).ok_or(Errno::Fault)?;
        if bufs.is_empty() {
            return Ok(0); // nothing to write: the host is not called, as `writev` does nothing
        }
        // A host claiming more than it was given is not believed.
        to.write(host, &bufs, 0)
            .map(|written| written.min(to_usize(wanted)))
    }); // the view ends here
    lent.unwrap_or(Err(Errno::Fault))
}

/// Why [`write_lent`] answered `EFAULT`: [`check_iovecs`] reads the iovec array and checks
/// every iovec in order, and reports the first error (`EFAULT`, or `EINVAL` for a misaligned
/// array or lengths adding up past `u32::MAX`); `EFAULT` when it finds none (the host's own
/// error, or the whole memory could not be viewed: a mutable view of it is live, or the table
/// of views is full).
#[cold]
#[inline(never)]
fn refusal<'a>(iovs: GuestPtr<'a, [Iovec<'a>]>) -> Errno {
    check_iovecs(iovs).err().unwrap_or(Errno::Fault)
}

/// [`write_lent`] for more than [`WRITE_BATCH`] iovecs, their `table` inside the lent
/// `memory`: every buffer is cut out first, and the lengths added up (a check of each, before
/// any I/O), then the host gets one gather write per batch. A short write ends the call, as
/// `writev`'s does; a host error after some bytes went out reports those bytes.
///
/// # Errors
///
/// `EFAULT` when a buffer is not inside the memory or the total passes `u32::MAX`; the
/// host's error when no byte was written.
#[inline(never)]
fn write_batches<H: WasiHost>(
    host: &mut H,
    to: Target,
    memory: &[u8],
    table: &[u8],
) -> Result<usize, Errno> {
    let mut all: u32 = 0;
    for batch in table.chunks(8 * WRITE_BATCH) {
        all = cut_buffers(memory, batch, &mut heapless::Vec::new())
            .and_then(|wanted| all.checked_add(wanted))
            .ok_or(Errno::Fault)?;
    }
    let mut total = 0usize;
    for batch in table.chunks(8 * WRITE_BATCH) {
        let mut bufs = heapless::Vec::new();
        let wanted = to_usize(cut_buffers(memory, batch, &mut bufs).ok_or(Errno::Fault)?);
        if bufs.is_empty() {
            continue;
        }
        let written = match to.write(host, &bufs, total) {
            Ok(written) => written,
            // Bytes went out before the host failed: report them, as `writev` does.
            Err(_) if total > 0 => break,
            Err(e) => return Err(e),
        };
        // A host claiming more than it was given is not believed.
        total = total.saturating_add(written.min(wanted));
        if written < wanted {
            break;
        }
    }
    Ok(total)
}

/// Pushes onto the empty `bufs` the buffers of the iovecs in `table` (at most [`WRITE_BATCH`]
/// of them, as the guest lays them out: two little-endian `u32`s each, buf and buf_len), cut
/// out of `memory`, the whole guest memory lent as one view — each cut is that buffer's
/// bounds check — and returns the total of their lengths. Empty buffers are skipped, never
/// looked at (they may point anywhere). `None` when a buffer is not inside the memory, the
/// total passes `u32::MAX`, or `table` holds more iovecs: the callers' full check reports
/// which. (`bufs` is the caller's: a vector returned by value is copied on some hosts.)
///
/// Out of line: its loop gets the registers to itself. Inlined into `fd_write`, it shared them
/// with the values `fd_write` keeps across it, and spilled some on every iovec (x86-64: 730
/// -> 717 instructions per wasm3 `fd_write` call; Cortex-M4: 355 -> 350, but Cortex-M3 348
/// -> 354).
#[inline(never)]
fn cut_buffers<'m>(
    memory: &'m [u8],
    table: &[u8],
    bufs: &mut heapless::Vec<&'m [u8], WRITE_BATCH>,
) -> Option<u32> {
    let mut wanted: Total = 0;
    for iov in table.chunks_exact(8) {
        let &[b0, b1, b2, b3, l0, l1, l2, l3] = <&[u8; 8]>::try_from(iov).ok()?;
        let (start, len) = (
            u32::from_le_bytes([b0, b1, b2, b3]),
            u32::from_le_bytes([l0, l1, l2, l3]),
        );
        if len == 0 {
            continue;
        }
        let (range, total) = add_buffer(wanted, start, len)?;
        bufs.push(memory.get(range)?).ok()?;
        wanted = total;
    }
    total_u32(wanted)
}

/// [`cut_buffers`]'s running total of the lengths: on 64-bit hosts a `u64`, which 16 lengths
/// cannot wrap (no branch), elsewhere a `u32` with an overflow check (no register pairs).
#[cfg(target_pointer_width = "64")]
type Total = u64;
#[cfg(not(target_pointer_width = "64"))]
type Total = u32;

/// The host range of a buffer of `len` bytes at `start`, and `total` plus `len`; `None` when
/// either does not fit (the buffer ends past `u32::MAX`, or the total wraps a `u32` on a
/// 32-bit host: the full check reports them).
#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn add_buffer(total: Total, start: u32, len: u32) -> Option<(core::ops::Range<usize>, Total)> {
    let end = u64::from(start).wrapping_add(u64::from(len));
    let range = to_usize(start)..usize::try_from(end).ok()?;
    Some((range, total.wrapping_add(u64::from(len))))
}

/// The host range of a buffer of `len` bytes at `start`, and `total` plus `len`; `None` when
/// either does not fit (the buffer ends past `u32::MAX`, or the total wraps a `u32` on a
/// 32-bit host: the full check reports them).
#[cfg(not(target_pointer_width = "64"))]
#[inline(always)]
fn add_buffer(total: Total, start: u32, len: u32) -> Option<(core::ops::Range<usize>, Total)> {
    let range = to_usize(start)..to_usize(start.checked_add(len)?);
    Some((range, total.checked_add(len)?))
}

/// The total as a `u32`, if it is one.
#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn total_u32(total: Total) -> Option<u32> {
    u32::try_from(total).ok()
}

/// The total as a `u32`: on a 32-bit host, [`add_buffer`] checked it.
#[cfg(not(target_pointer_width = "64"))]
#[inline(always)]
fn total_u32(total: Total) -> Option<u32> {
    Some(total)
}

/// `fd_read`: reads from stream `fd` (stdin) into the iovecs `iovs`, the count into `*nread`.
///
/// All or nothing: `nread`, the iovecs and every buffer are checked before the host reads a
/// byte, so a bad buffer anywhere in the list consumes no input and writes nothing.
pub(crate) fn read_iovecs<'a, H: WasiHost>(
    wasi: &mut WasiCtx<H>,
    fd: u32,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nread: GuestPtr<'a, u32>,
) -> Result<(), Errno> {
    let stream = wasi.stream(fd)?;
    if stream != Stdio::Stdin {
        return Err(Errno::Badf);
    }
    read_from(&mut wasi.host, Target::Stream(stream), iovs, nread)
}

/// `fd_read` or `fd_pread` from `from`, as [`read_iovecs`].
pub(crate) fn read_from<'a, H: WasiHost>(
    host: &mut H,
    from: Target,
    iovs: GuestPtr<'a, [Iovec<'a>]>,
    nread: GuestPtr<'a, u32>,
) -> Result<(), Errno> {
    check_out(nread)?;
    let (first, _) = check_iovecs(iovs)?;
    // Read into the first non-empty buffer only: a short read, which POSIX `readv` allows,
    // and no second blocking read once data has arrived.
    let n = match first {
        Some(iov) => {
            // Checked above, and no view is live: the view cannot be refused.
            let mut view = iov.buf.as_array(iov.buf_len).as_slice_mut()?;
            let n = from.read(host, &mut view)?;
            n.min(view.len())
        } // the view ends here, before `*nread` is written
        None => 0,
    };
    nread.write(to_u32(n)?)?;
    Ok(())
}

/// `n` as a `usize`, saturating (on a 16-bit host).
fn to_usize(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

#[cfg(test)]
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
        /// Fail every write from the `n`th on (0: the first) with this error.
        fail: Option<(usize, Errno)>,
    }

    impl WasiHost for Capture {
        fn write(&mut self, _stream: Stdio, bufs: &[&[u8]]) -> Result<usize, Errno> {
            if let Some((n, e)) = self.fail {
                if self.slices.len() >= n {
                    return Err(e);
                }
            }
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
        let host = Capture {
            short,
            ..Capture::default()
        };
        fd_write_at(IOVS, size, data, iovs, host)
    }

    /// [`fd_write`] with the iovec array at `iovs_at`, to `host`.
    fn fd_write_at(
        iovs_at: u32,
        size: usize,
        data: &[(u32, &[u8])],
        iovs: &[(u32, u32)],
        host: Capture,
    ) -> (Result<(), Errno>, Capture, u32, Vec<u8>) {
        let mut bytes = vec![0u8; size];
        for (at, d) in data {
            bytes[*at as usize..][..d.len()].copy_from_slice(d);
        }
        for (i, (buf, len)) in iovs.iter().enumerate() {
            let at = iovs_at as usize + 8 * i;
            bytes[at..at + 4].copy_from_slice(&buf.to_le_bytes());
            bytes[at + 4..at + 8].copy_from_slice(&len.to_le_bytes());
        }
        bytes[NWRITTEN as usize..][..4].copy_from_slice(&0xdead_beef_u32.to_le_bytes());
        let mem = GuestFrame::from_slice(&mut bytes);
        let mut wasi = WasiCtx::new(host);
        let n = u32::try_from(iovs.len()).unwrap();
        let r = write_iovecs(
            &mut wasi,
            1,
            GuestPtr::new(&mem, (iovs_at, n)),
            GuestPtr::new(&mem, NWRITTEN),
        );
        let nwritten = GuestPtr::<u32>::new(&mem, NWRITTEN).read().unwrap();
        let host = std::mem::take(wasi.host());
        (r, host, nwritten, bytes)
    }

    #[test]
    fn a_few_iovecs_are_lent_to_one_gather_write() {
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
        assert_eq!(host.slices, [4]);
        assert_eq!(n, 12);
        // Out of order, overlapping, repeated: the same.
        let data: [(u32, &[u8]); 2] = [(512, b"world"), (600, b"hello ")];
        let (r, host, n, _) = fd_write(1024, &data, &[(600, 6), (0, 0), (512, 5)], None);
        assert_eq!(
            (r, host.out.as_slice(), n),
            (Ok(()), &b"hello world"[..], 11)
        );
        assert_eq!(host.slices, [2]);
        let (r, host, n, _) = fd_write(1024, &data, &[(512, 5), (514, 3), (512, 5)], None);
        assert_eq!(
            (r, host.out.as_slice(), n),
            (Ok(()), &b"worldrldworld"[..], 13)
        );
        assert_eq!(host.slices, [3]);
        // The last byte of memory.
        let (r, host, n, _) = fd_write(1024, &[(1023, b"z")], &[(1020, 0), (1023, 1)], None);
        assert_eq!((r, host.out.as_slice(), n), (Ok(()), &b"z"[..], 1));
    }

    #[test]
    fn buffers_far_apart_are_lent_and_many_iovecs_in_batches() {
        // Far apart, at both ends of the memory.
        let data: [(u32, &[u8]); 2] = [(0, b"near "), (4093, b"far")];
        let (r, host, n, _) = fd_write(4096, &data, &[(0, 5), (4093, 3)], None);
        assert_eq!((r, host.out.as_slice(), n), (Ok(()), &b"near far"[..], 8));
        assert_eq!(host.slices, [2]);
        // More iovecs than one gather write takes: one write per batch of 16.
        let mut iovs = vec![(512, 1); 20];
        let (r, host, n, _) = fd_write(1024, &[(512, b"a")], &iovs, None);
        assert_eq!((r, host.out.len(), n), (Ok(()), 20, 20));
        assert_eq!(host.slices, [16, 4]);
        // A bad last one: nothing is written.
        iovs[19] = (5000, 1);
        let (r, host, n, _) = fd_write(1024, &[], &iovs, None);
        assert_eq!(
            (r, host.slices.len(), n),
            (Err(Errno::Fault), 0, 0xdead_beef)
        );
    }

    #[test]
    fn many_bytes_are_lent_as_slices_of_one_view_per_batch() {
        let big = [b'x'; 300];
        let data: [(u32, &[u8]); 2] = [(1000, &big), (512, b"head ")];
        let (r, host, n, _) = fd_write(2048, &data, &[(512, 5), (0, 0), (1000, 300)], None);
        assert_eq!(r, Ok(()));
        assert_eq!(&host.out[..5], b"head ");
        assert_eq!(&host.out[5..], &big[..]);
        assert_eq!(host.slices, [2]);
        assert_eq!(n, 305);
        // More iovecs than one gather write takes: one write per batch of 16.
        let iovs = vec![(1000, 300); 20];
        let (r, host, n, _) = fd_write(2048, &data, &iovs, None);
        assert_eq!((r, host.slices.as_slice(), n), (Ok(()), &[16, 4][..], 6000));
        assert!(host.out.iter().all(|&b| b == b'x'));
        // A short write ends the call.
        let (r, host, n, _) = fd_write(2048, &data, &iovs, Some(500));
        assert_eq!((r, host.slices.as_slice(), n), (Ok(()), &[16][..], 500));
    }

    /// The buffers are lent, so `fd_write` needs a free slot in the frame's table of views:
    /// a frame without one (`GuestFrame::<0>`) gets `EFAULT`, and nothing is written.
    #[test]
    fn a_frame_without_a_view_slot_writes_nothing() {
        let mut bytes = vec![0u8; 64];
        bytes[16..20].copy_from_slice(&32u32.to_le_bytes());
        bytes[20..24].copy_from_slice(&2u32.to_le_bytes());
        bytes[32..34].copy_from_slice(b"hi");
        let mem = GuestFrame::<0>::with_views(bytes.as_mut_slice());
        let mut wasi = WasiCtx::new(Capture::default());
        let r = write_iovecs(
            &mut wasi,
            1,
            GuestPtr::new(&mem, (16, 1)),
            GuestPtr::new(&mem, NWRITTEN),
        );
        assert_eq!(r, Err(Errno::Fault));
        assert!(wasi.host().slices.is_empty());
        assert_eq!(GuestPtr::<u32>::new(&mem, NWRITTEN).read(), Ok(0));
    }

    #[test]
    fn a_bad_buffer_writes_nothing() {
        for iovs in [
            &[(512, 4), (1020, 8)][..],         // the second runs past the end
            &[(2000, 4), (512, 4)][..],         // the first starts past the end
            &[(512, 4), (u32::MAX - 2, 8)][..], // the end overflows
            &[(512, 4), (600, u32::MAX)][..],   // 4 GiB
            &[(0, 4), (1021, 4)][..],           // far apart, the second past the end
            &[(0, 300), (1000, 100)][..],       // many bytes, the second past the end
            &[(0, 300), (u32::MAX, 1)][..],     // many bytes, the second overflows
        ] {
            let (r, host, n, _) = fd_write(1024, &[], iovs, None);
            assert_eq!(r, Err(Errno::Fault), "{iovs:?}");
            assert!(host.slices.is_empty(), "{iovs:?}");
            assert_eq!(n, 0xdead_beef, "{iovs:?}: *nwritten changed");
        }
        // Empty buffers are never looked at, and an empty list writes nothing.
        let (r, host, n, _) = fd_write(1024, &[(512, b"ok")], &[(u32::MAX, 0), (512, 2)], None);
        assert_eq!((r, host.out.as_slice(), n), (Ok(()), &b"ok"[..], 2));
        let (r, host, n, _) = fd_write(1024, &[], &[(4000, 0)], None);
        assert_eq!((r, host.slices.len(), n), (Ok(()), 0, 0));
        let (r, host, n, _) = fd_write(1024, &[], &[], None);
        assert_eq!((r, host.slices.len(), n), (Ok(()), 0, 0));
    }

    #[test]
    fn a_short_write_ends_the_call() {
        let data: [(u32, &[u8]); 1] = [(512, b"0123456789")];
        let mut iovs = vec![(512, 10); 17];
        iovs[0] = (512, 4);
        let (r, host, n, _) = fd_write(1024, &data, &iovs, Some(7));
        assert_eq!((r, host.out.as_slice(), n), (Ok(()), &b"0123012"[..], 7));
        assert_eq!(host.slices.len(), 1);
        let (r, host, n, _) = fd_write(1024, &data, &iovs[..3], Some(7));
        assert_eq!((r, host.out.as_slice(), n), (Ok(()), &b"0123012"[..], 7));
        assert_eq!(host.slices, [3]);
    }

    #[test]
    fn errors_are_told_apart() {
        let data: [(u32, &[u8]); 1] = [(512, b"0123456789")];
        let fail = |n, e| Capture {
            fail: Some((n, e)),
            ..Capture::default()
        };
        for count in [2, 20] {
            let iovs = vec![(512, 10); count];
            // A misaligned iovec array: EINVAL, nothing written.
            let (r, host, n, _) = fd_write_at(IOVS + 2, 1024, &data, &iovs, Capture::default());
            assert_eq!(
                (r, host.slices.len(), n),
                (Err(Errno::Inval), 0, 0xdead_beef)
            );
            // The host's error, when it wrote nothing, is the call's (EFAULT too).
            for e in [Errno::Io, Errno::Fault] {
                let (r, host, n, _) = fd_write_at(IOVS, 1024, &data, &iovs, fail(0, e));
                assert_eq!((r, host.slices.len(), n), (Err(e), 0, 0xdead_beef));
            }
        }
        // After a batch went out, a failing one ends the call with what was written.
        let iovs = vec![(512, 10); 20];
        let (r, host, n, _) = fd_write_at(IOVS, 1024, &data, &iovs, fail(1, Errno::Io));
        assert_eq!((r, host.slices.as_slice(), n), (Ok(()), &[16][..], 160));
    }

    /// Lengths adding up past `u32::MAX` (each buffer inside the memory): `EINVAL`, as
    /// `writev` refuses a total its result cannot hold, on both paths.
    #[test]
    #[cfg(target_pointer_width = "64")]
    #[cfg_attr(miri, ignore = "a 2 GiB memory")]
    fn lengths_past_u32_max_are_refused() {
        let half = 1u32 << 31;
        let size = half as usize + 4096;
        for count in [2, 20] {
            let mut iovs = vec![(0, 1); count];
            iovs[0] = (4096, half);
            iovs[count - 1] = (4096, half);
            let (r, host, n, _) = fd_write_at(IOVS, size, &[], &iovs, Capture::default());
            assert_eq!(
                (r, host.slices.len(), n),
                (Err(Errno::Inval), 0, 0xdead_beef)
            );
        }
    }
}
