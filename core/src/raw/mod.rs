//! The raw-access module: the only code of the crate allowed to use `unsafe` (the lint
//! `unsafe_code` is denied everywhere else), and the whole of its memory-safety argument.
//!
//! - `range`: the one check that turns a guest range into host bytes, and the operations on
//!   those bytes. A checked range never leaves this module: every function below checks and
//!   accesses in one call, so no code from outside — no user `GuestType::decode`/`encode`, no
//!   closure, no iterator adaptor — runs between a check and the access it covers
//!   (DESIGN §4.9). Loans are the one exception, and they are recorded in the borrow table for
//!   exactly as long as they live.
//! - `frame`: the memory of one host call, its base and length read once, and the handle to
//!   it that pointers hold.
//! - `borrow`: the frame's table of live views.
//! - `plain`: which types may be copied as raw bytes and lent as slices.
//! - `lend`: lent references, recorded in the frame's borrow table.
//! - `cursor`: an array checked once and walked one element at a time, each element checked
//!   against the views right before its copy.
//!
//! Everything else in the crate is safe code over these functions.

mod borrow;
mod cursor;
mod frame;
mod lend;
mod plain;
mod range;

pub use borrow::MAX_VIEWS;
pub(crate) use cursor::Cursor;
pub use frame::{FrameRef, GuestFrame};
pub(crate) use lend::{lend, Lent, LentMut, LentStr};
pub(crate) use plain::Plain;
pub use plain::Transparent;

use range::{checked, Access};

use crate::GuestError;

/// Checks `len` bytes at `offset`, aligned to `align` in the guest, as a read would, without
/// reading them.
///
/// # Errors
///
/// Those of the range check: [`GuestError::PtrOverflow`], [`GuestError::PtrNotAligned`],
/// [`GuestError::PtrOutOfBounds`], [`GuestError::BorrowConflict`] (a mutable view overlaps).
#[inline]
pub(crate) fn validate_read(
    mem: FrameRef<'_>,
    offset: u32,
    len: u32,
    align: u32,
) -> Result<(), GuestError> {
    checked(mem, offset, len, align, Access::Read).map(|_| ())
}

/// Checks `len` bytes at `offset`, aligned to `align` in the guest, as a write would, without
/// writing them.
///
/// # Errors
///
/// As [`validate_read`], and [`GuestError::BorrowConflict`] if any view overlaps.
#[inline]
pub(crate) fn validate_write(
    mem: FrameRef<'_>,
    offset: u32,
    len: u32,
    align: u32,
) -> Result<(), GuestError> {
    checked(mem, offset, len, align, Access::Write).map(|_| ())
}

/// Reads the `N` bytes at `offset`, aligned to `align` in the guest.
///
/// # Errors
///
/// Those of [`validate_read`].
#[inline(always)]
pub(crate) fn read_array<const N: usize>(
    mem: FrameRef<'_>,
    offset: u32,
    align: u32,
) -> Result<[u8; N], GuestError> {
    let len = u32::try_from(N).map_err(|_| GuestError::PtrOverflow)?;
    checked(mem, offset, len, align, Access::Read)?.read_array()
}

/// Writes `bytes` at `offset`, aligned to `align` in the guest.
///
/// # Errors
///
/// Those of [`validate_write`]. Nothing is written on error.
#[inline(always)]
pub(crate) fn write_array<const N: usize>(
    mem: FrameRef<'_>,
    offset: u32,
    align: u32,
    bytes: [u8; N],
) -> Result<(), GuestError> {
    let len = u32::try_from(N).map_err(|_| GuestError::PtrOverflow)?;
    checked(mem, offset, len, align, Access::Write)?.write_array(bytes)
}

/// Copies the `len` bytes at `offset`, aligned to `align` in the guest, into `dst`, plain
/// values that they fill exactly.
///
/// # Errors
///
/// Those of [`validate_read`] for the range; [`GuestError::SliceLengthsDiffer`] if `dst` is
/// not `len` bytes long.
#[inline]
pub(crate) fn copy_out<T>(
    mem: FrameRef<'_>,
    offset: u32,
    len: u32,
    align: u32,
    dst: &mut [T],
    proof: Transparent<T>,
) -> Result<(), GuestError> {
    checked(mem, offset, len, align, Access::Read)?.copy_to(dst, proof)
}

/// Copies the `len` bytes at `offset`, aligned to `align` in the guest, into the front of
/// `dst`, and returns that front, initialised.
///
/// # Errors
///
/// [`GuestError::BufferTooSmall`] if `dst` is shorter (checked first); otherwise those of
/// [`validate_read`] for the range.
#[inline]
pub(crate) fn copy_out_uninit<'d>(
    mem: FrameRef<'_>,
    offset: u32,
    len: u32,
    align: u32,
    dst: &'d mut [core::mem::MaybeUninit<u8>],
) -> Result<&'d mut [u8], GuestError> {
    room(len, dst.len())?;
    checked(mem, offset, len, align, Access::Read)?.copy_to_uninit(dst)
}

/// `Ok` if `len` bytes fit in a buffer of `available` bytes: a short caller's buffer is refused
/// before the guest range is looked at, as every copy into a caller's buffer does.
#[inline(always)]
fn room(len: u32, available: usize) -> Result<(), GuestError> {
    if usize::try_from(len).is_ok_and(|len| len <= available) {
        return Ok(());
    }
    Err(GuestError::BufferTooSmall {
        needed: len,
        available: crate::error::saturate_u32(available),
    })
}

/// Copies the guest byte ranges `pieces` — `(frame, offset, len)` — one after another into the
/// front of `dst`, and returns that front, initialised. Each piece is checked and copied in
/// one step; the iterator (the caller's code) runs only between pieces.
///
/// # Errors
///
/// [`GuestError::BufferTooSmall`] if a piece does not fit in what is left of `dst` (checked
/// first); the errors of [`validate_read`] for a piece.
#[inline]
pub(crate) fn gather<'f, 'd>(
    pieces: impl IntoIterator<Item = (FrameRef<'f>, u32, u32)>,
    dst: &'d mut [core::mem::MaybeUninit<u8>],
) -> Result<&'d mut [u8], GuestError> {
    let mut filled = 0usize;
    for (mem, offset, len) in pieces {
        let rest = dst.get_mut(filled..).unwrap_or(&mut []);
        room(len, rest.len())?;
        let part = checked(mem, offset, len, 1, Access::Read)?.copy_to_uninit(rest)?;
        filled = filled.saturating_add(part.len());
    }
    let front = dst.get_mut(..filled).unwrap_or(&mut []);
    // SAFETY: the `filled` bytes at `front`'s address, borrowed uniquely through `front` (so
    // through `dst`) for `'d`, were all written by the copies above, one piece after the
    // other; a `MaybeUninit<u8>` has the layout of a `u8`.
    Ok(unsafe { core::slice::from_raw_parts_mut(front.as_mut_ptr().cast::<u8>(), front.len()) })
}

/// Copies `src`, plain values whose bytes fill the `len` bytes at `offset` (aligned to `align`
/// in the guest) exactly, into them.
///
/// # Errors
///
/// Those of [`validate_write`] for the range; [`GuestError::SliceLengthsDiffer`] if `src` is
/// not `len` bytes long. Nothing is written on error.
#[inline]
pub(crate) fn copy_in<T>(
    mem: FrameRef<'_>,
    offset: u32,
    len: u32,
    align: u32,
    src: &[T],
    proof: Transparent<T>,
) -> Result<(), GuestError> {
    checked(mem, offset, len, align, Access::Write)?.copy_from(src, proof)
}

/// Appends the `len` bytes at `offset` (aligned to `align` in the guest) to `out` as plain
/// values: one `memcpy` into its spare capacity.
///
/// # Errors
///
/// Those of [`validate_read`] for the range; [`GuestError::SliceLengthsDiffer`] if `len` is not
/// a whole number of `T`s; [`GuestError::BufferTooSmall`] if `out` has no room for them.
#[inline]
pub(crate) fn append_to_heapless<T, const N: usize>(
    mem: FrameRef<'_>,
    offset: u32,
    len: u32,
    align: u32,
    out: &mut heapless::Vec<T, N>,
    proof: Transparent<T>,
) -> Result<(), GuestError> {
    checked(mem, offset, len, align, Access::Read)?.append_to_heapless(out, proof)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Region;

    const BYTES: Transparent<u8> = Transparent::new();

    #[test]
    fn check_orders_overflow_alignment_bounds() {
        let mut buf = [0u8; 16];
        let frame = GuestFrame::new(&mut buf);
        let mem = FrameRef::from(&frame);
        assert_eq!(
            validate_read(mem, u32::MAX, 2, 1),
            Err(GuestError::PtrOverflow)
        );
        assert_eq!(
            validate_read(mem, 17, 4, 4),
            Err(GuestError::PtrNotAligned(Region::new(17, 4), 4))
        );
        assert_eq!(
            validate_read(mem, 16, 4, 4),
            Err(GuestError::PtrOutOfBounds(Region::new(16, 4)))
        );
        assert_eq!(validate_write(mem, 16, 0, 4), Ok(()));
        write_array(mem, 12, 4, [1, 2, 3, 4]).unwrap();
        assert_eq!(read_array::<4>(mem, 12, 4), Ok([1, 2, 3, 4]));
        assert!(read_array::<8>(mem, 12, 4).is_err());
        assert!(write_array(mem, 12, 4, [0; 8]).is_err());
    }

    /// With views live, the inlined check reads the table: an access beside a view passes, one
    /// across it is refused with the error the general check gives, and a refusal for bounds or
    /// alignment keeps its precedence over the conflict.
    #[test]
    fn live_views_are_checked_inline_with_the_general_check_errors() {
        let mut buf = [0u8; 16];
        let frame = GuestFrame::new(&mut buf);
        let mem = FrameRef::from(&frame);
        let view = crate::GuestPtr::<[u8]>::new(mem, (4, 4));
        let shared = view.as_slice().unwrap();
        assert_eq!(read_array::<4>(mem, 4, 4), Ok([0; 4]));
        assert_eq!(write_array(mem, 8, 4, [1; 4]), Ok(()));
        assert_eq!(
            write_array(mem, 4, 4, [1; 4]),
            Err(GuestError::BorrowConflict(Region::new(4, 4)))
        );
        assert_eq!(
            write_array(mem, 6, 2, [1; 2]),
            Err(GuestError::BorrowConflict(Region::new(6, 2)))
        );
        assert_eq!(
            write_array(mem, 5, 2, [1; 2]),
            Err(GuestError::PtrNotAligned(Region::new(5, 2), 2))
        );
        assert_eq!(
            write_array(mem, 16, 4, [1; 4]),
            Err(GuestError::PtrOutOfBounds(Region::new(16, 4)))
        );
        assert_eq!(
            write_array(mem, u32::MAX, 4, [1; 4]),
            Err(GuestError::PtrOverflow)
        );
        assert_eq!(&*shared, &[0; 4]);
        drop(shared);
        let exclusive = view.as_slice_mut().unwrap();
        assert_eq!(
            read_array::<2>(mem, 6, 2),
            Err(GuestError::BorrowConflict(Region::new(6, 2)))
        );
        assert_eq!(read_array::<4>(mem, 0, 4), Ok([0; 4]));
        drop(exclusive);
        assert_eq!(read_array::<4>(mem, 8, 4), Ok([1; 4]));
    }

    /// The inline check (`checked`, the rotate-compare of `range::fast` and its refusal)
    /// gives the general check's answer (`check`) for every memory size, offset, length and
    /// alignment near the edges, on each target's arithmetic (`i64` on 64-bit targets, `u32`
    /// on others: Miri runs this on i686 too).
    #[test]
    fn the_inline_check_agrees_with_the_general_check() {
        let mut buf = [0u8; 24];
        let near_max = [u32::MAX - 8, u32::MAX - 3, u32::MAX - 1, u32::MAX];
        for mem_len in [0usize, 1, 3, 4, 7, 8, 16, 17, 24] {
            let frame = GuestFrame::new(&mut buf[..mem_len]);
            let mem = FrameRef::from(&frame);
            for offset in (0..=26).chain(near_max) {
                for len in (0..=9).chain(near_max) {
                    for align in [1, 2, 4, 8] {
                        let inline = checked(mem, offset, len, align, Access::Read);
                        let general = range::check(mem, offset, len, align, Access::Read);
                        assert_eq!(
                            inline.map(|r| r.region()),
                            general.map(|r| r.region()),
                            "memory {mem_len}, offset {offset}, len {len}, align {align}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn copies_need_matching_lengths() {
        let mut buf = [7u8; 16];
        let frame = GuestFrame::new(&mut buf);
        let mem = FrameRef::from(&frame);
        let mut out = [0u8; 3];
        assert_eq!(
            copy_out(mem, 4, 2, 1, &mut out, BYTES),
            Err(GuestError::SliceLengthsDiffer)
        );
        copy_out(mem, 4, 3, 1, &mut out, BYTES).unwrap();
        assert_eq!(out, [7, 7, 7]);
        assert_eq!(
            copy_in(mem, 4, 4, 1, &out, BYTES),
            Err(GuestError::SliceLengthsDiffer)
        );
        let mut v = heapless::Vec::<u8, 2>::new();
        assert!(matches!(
            append_to_heapless(mem, 0, 3, 1, &mut v, BYTES),
            Err(GuestError::BufferTooSmall { .. })
        ));
    }

    #[test]
    fn a_short_buffer_is_refused_before_the_range() {
        let frame = GuestFrame::empty();
        let mem = FrameRef::from(&frame);
        let mut small = [core::mem::MaybeUninit::uninit(); 4];
        let too_small = GuestError::BufferTooSmall {
            needed: 8,
            available: 4,
        };
        assert_eq!(copy_out_uninit(mem, 100, 8, 1, &mut small), Err(too_small));
        assert_eq!(gather([(mem, 100, 8)], &mut small), Err(too_small));
        assert_eq!(
            copy_out_uninit(mem, 100, 4, 1, &mut small),
            Err(GuestError::PtrOutOfBounds(crate::Region::new(100, 4)))
        );
    }

    #[test]
    fn null_base_with_zero_length() {
        let frame = GuestFrame::empty();
        let mem = FrameRef::from(&frame);
        let mut none: [u8; 0] = [];
        copy_out(mem, 0, 0, 8, &mut none, BYTES).unwrap();
        copy_in(mem, 0, 0, 8, &none, BYTES).unwrap();
        assert!(validate_read(mem, 1, 0, 1).is_err());
        assert!(validate_read(mem, 0, 1, 1).is_err());
    }
}
