//! [`HostRange`]: a checked guest range as host bytes, and the operations on it. Private to the
//! raw-access module: a `HostRange` never leaves it, so no code outside it can run between the
//! check that made one and the accesses it covers (DESIGN §4.9).

use core::marker::PhantomData;
use core::mem::{size_of_val, MaybeUninit};
use core::ptr;

use super::borrow::BorrowKind;
use super::frame::FrameRef;
use super::plain::Transparent;
use crate::error::saturate_u32;
use crate::{GuestError, Region};

/// What a checked range will be used for, which decides the borrow-table check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// Copy out: no mutable view may overlap.
    Read,
    /// Copy in: no view may overlap.
    Write,
    /// A new view: the caller records it in the borrow table, which does its own check.
    View,
}

mod invariant {
    use super::*;

    /// `len` host bytes at `ptr`: the guest region `region`, checked against the memory.
    ///
    /// Invariant (established by [`HostRange::new_unchecked`] only): if `len > 0`, the `len`
    /// bytes at `ptr` lie inside the bytes of a frame borrowed for `'m` (through a
    /// [`FrameRef`]), so they are valid for reads and writes, and reached by no code but
    /// through the frame, for `'m` (the frame's invariant). `len == region.len`.
    #[derive(Clone, Copy, Debug)]
    pub(in crate::raw) struct HostRange<'m> {
        ptr: *mut u8,
        len: usize,
        region: Region,
        _mem: PhantomData<FrameRef<'m>>,
    }

    impl<'m> HostRange<'m> {
        /// # Safety
        ///
        /// 1. If `len > 0`, the `len` bytes at `ptr` are inside the bytes of a frame borrowed
        ///    for `'m`.
        /// 2. `len == region.len`.
        pub(super) unsafe fn new_unchecked(ptr: *mut u8, len: usize, region: Region) -> Self {
            debug_assert_eq!(Ok(len), usize::try_from(region.len));
            HostRange {
                ptr,
                len,
                region,
                _mem: PhantomData,
            }
        }

        #[inline(always)]
        pub(in crate::raw) fn ptr(self) -> *mut u8 {
            self.ptr
        }

        #[inline(always)]
        pub(in crate::raw) fn len(self) -> usize {
            self.len
        }

        #[inline(always)]
        pub(in crate::raw) fn region(self) -> Region {
            self.region
        }
    }
}

pub(in crate::raw) use invariant::HostRange;

/// Checks the guest range `offset .. offset + len` of `mem` and returns its host bytes.
///
/// This is the one place where guest offsets become host pointers (with [`fast`], its inlined
/// fast path). It refuses, in this order of precedence:
/// - `offset + len` past `u32::MAX` — [`GuestError::PtrOverflow`];
/// - `offset` not a multiple of `align` (the guest ABI's promise; the host address may be
///   misaligned and is never checked here) — [`GuestError::PtrNotAligned`];
/// - the range not inside the memory — [`GuestError::PtrOutOfBounds`]; an empty range at
///   `offset == mem_len` is inside;
/// - a live view forbidding `access` — [`GuestError::BorrowConflict`].
///
/// No host pointer is formed before the range is known to be inside the memory.
#[inline]
pub(in crate::raw) fn check(
    mem: FrameRef<'_>,
    offset: u32,
    len: u32,
    align: u32,
    access: Access,
) -> Result<HostRange<'_>, GuestError> {
    check_slow(Parts::of(mem, offset, len, access), align)
}

/// [`Parts::check`] out of line: what the accesses call past their fast path.
#[inline(never)]
pub(in crate::raw) fn check_slow(
    parts: Parts<'_>,
    align: u32,
) -> Result<HostRange<'_>, GuestError> {
    parts.check(align)
}

/// A frame's base and length, a range, and whether the frame's views allow the access at hand
/// to it, by value: what the general check ([`check_slow`], for any alignment and for new
/// views) takes out of line, so that no pointer into the frame reaches a call.
#[derive(Clone, Copy)]
pub(in crate::raw) struct Parts<'m> {
    base: *mut u8,
    mem_len: u32,
    offset: u32,
    len: u32,
    /// No live view forbids the access to `offset .. offset + len`.
    allowed: bool,
    _frame: PhantomData<FrameRef<'m>>,
}

impl<'m> Parts<'m> {
    /// The parts of `mem`, borrowed for `'m`, for `access` of the `len` bytes at `offset`: the
    /// only way to make a `Parts`. A new view ([`Access::View`]) does not consult the table
    /// here: the caller records it in the table, which does its own check.
    #[inline(always)]
    pub(in crate::raw) fn of(mem: FrameRef<'m>, offset: u32, len: u32, access: Access) -> Self {
        let (base, mem_len, live) = mem.parts();
        let allowed = allowed(mem, live, Region::new(offset, len), access);
        Parts {
            base,
            mem_len,
            offset,
            len,
            allowed,
            _frame: PhantomData,
        }
    }

    /// The range check on these parts, with `align`; see [`check`].
    #[inline]
    pub(in crate::raw) fn check(self, align: u32) -> Result<HostRange<'m>, GuestError> {
        let Parts {
            base,
            mem_len,
            offset,
            len,
            allowed,
            _frame,
        } = self;
        debug_assert!(!base.is_null() || mem_len == 0, "GuestFrame invariant");
        // In `u64` the sum of two `u32`s cannot wrap.
        let end = u64::from(offset).wrapping_add(u64::from(len));
        // `checked_rem` is `None` only for `align == 0`, which we read as "no alignment".
        let misaligned = offset.checked_rem(align).is_some_and(|r| r != 0);
        if end > u64::from(mem_len) || misaligned || !allowed {
            return Err(refused(mem_len, offset, len, align).error(offset, len, align));
        }
        let region = Region::new(offset, len);
        // Both fit in `usize`: they are at most `mem_len`, the length of one allocation (the
        // frame's invariant), which is at most `isize::MAX`.
        let host_offset =
            usize::try_from(offset).map_err(|_| GuestError::PtrOutOfBounds(region))?;
        let host_len = usize::try_from(len).map_err(|_| GuestError::PtrOutOfBounds(region))?;
        if host_len == 0 {
            // Never offset (or later dereference) a possibly-null base for an empty range.
            // SAFETY: 1. `len == 0`: nothing is promised about `ptr`. 2. `host_len == len`.
            return Ok(unsafe { HostRange::new_unchecked(base, 0, region) });
        }
        // SAFETY: `offset < end <= mem_len` here, so `mem_len > 0`, `base` is non-null and
        // `base + offset` is inside the allocation of `mem_len` bytes of the frame these parts
        // were taken from (`Parts::of`, and the frame's invariant): `add` stays in bounds.
        let start = unsafe { base.add(host_offset) };
        // SAFETY: 1. `start .. start + host_len` ends at `base + end`, inside
        // `base .. base + mem_len` of a frame borrowed for `'m`. 2. `host_len` is `region.len`.
        Ok(unsafe { HostRange::new_unchecked(start, host_len, region) })
    }
}

/// The range check of every access, inlined: [`check`]'s answer, where only a refusal goes out
/// of line.
///
/// For an `align` that is a power of two (every type's; a constant, so the test folds away)
/// [`fast`] decides exactly, bounds, alignment and views, and the one call is on the refusal's
/// path, which leaves the caller's loop: the loop's continuing paths call nothing, so the
/// compiler may keep the frame's base, length and count of views in registers across it.
#[inline(always)]
pub(in crate::raw) fn checked(
    mem: FrameRef<'_>,
    offset: u32,
    len: u32,
    align: u32,
    access: Access,
) -> Result<HostRange<'_>, GuestError> {
    if !align.is_power_of_two() {
        return check(mem, offset, len, align, access);
    }
    match fast(mem, offset, len, align, access) {
        Some(range) => Ok(range),
        None => Err(refused(mem.parts().1, offset, len, align).error(offset, len, align)),
    }
}

/// The rules of [`check`], in their order of precedence: which one refused a range is what
/// [`refused`] returns, one byte, in a register on every ABI (a structure holding the range
/// too is returned through memory on 32-bit Arm, which costs the caller a stack frame even on
/// its path that does not refuse). The caller, which holds the range, builds the
/// [`GuestError`] inline with [`Rule::error`], so the compiler sees that the error is an
/// error: an opaque `GuestError` written by the call could, for all it knows, hold the bit
/// pattern its caller's `Result` uses for `Ok` (the error's tag is the niche), and the
/// refusal's path would then lead back into the caller's loop, call and all.
#[derive(Clone, Copy)]
pub(in crate::raw) enum Rule {
    Overflow,
    Misaligned,
    OutOfBounds,
    Conflict,
}

impl Rule {
    /// The error [`check`] gives when this rule refuses the `len` bytes at `offset`, aligned
    /// to `align`.
    #[inline(always)]
    pub(in crate::raw) fn error(self, offset: u32, len: u32, align: u32) -> GuestError {
        let region = Region::new(offset, len);
        match self {
            Rule::Overflow => GuestError::PtrOverflow,
            Rule::Misaligned => GuestError::PtrNotAligned(region, align),
            Rule::OutOfBounds => GuestError::PtrOutOfBounds(region),
            Rule::Conflict => GuestError::BorrowConflict(region),
        }
    }
}

/// Why a range of a memory of `mem_len` bytes was refused, for [`fast`] and [`check`] alike:
/// its first failing rule. Outside the memory or misaligned: the first of overflow, alignment
/// (`align == 0` is none), bounds; inside and aligned, only a live view refuses it. Out of
/// line.
#[cold]
#[inline(never)]
fn refused(mem_len: u32, offset: u32, len: u32, align: u32) -> Rule {
    let end = u64::from(offset).wrapping_add(u64::from(len));
    let misaligned = offset.checked_rem(align).is_some_and(|r| r != 0);
    if offset.checked_add(len).is_none() {
        Rule::Overflow
    } else if misaligned {
        Rule::Misaligned
    } else if end > u64::from(mem_len) {
        Rule::OutOfBounds
    } else {
        Rule::Conflict
    }
}

/// The inlined check: the host bytes of the `len` bytes at `offset` if they are inside the
/// frame, aligned to `align` (a power of two), and no live view forbids `access` to them (a
/// new view, [`Access::View`], is the caller's to check); else `None`, exactly when [`check`]
/// refuses the range. With no view live the table is not read past its count.
///
/// Bytes (`align == 1`): `offset + len <= mem_len`, in `u64`, as the hand-written check does.
/// Wider types: one comparison does bounds and alignment. With `shift = log2(align)`, rotating
/// `offset` right by `shift` gives `offset / align` when `offset` is aligned, and a value of at
/// least `2^(32 - shift)` when it is not (a low bit lands on top), while
/// `(mem_len - len) >> shift` is below `2^(32 - shift)`. So the rotated offset is at most
/// `(mem_len - len) >> shift` exactly when `offset` is aligned and
/// `offset / align <= (mem_len - len) / align`, that is (`offset` being a multiple of `align`)
/// `offset + len <= mem_len`.
#[inline(always)]
pub(in crate::raw) fn fast(
    mem: FrameRef<'_>,
    offset: u32,
    len: u32,
    align: u32,
    access: Access,
) -> Option<HostRange<'_>> {
    let (base, mem_len, live) = mem.parts();
    if !align.is_power_of_two() {
        return None;
    }
    let inside = if align == 1 {
        u64::from(offset).wrapping_add(u64::from(len)) <= u64::from(mem_len)
    } else {
        aligned_inside(mem_len, offset, len, align.trailing_zeros())
    };
    if !inside {
        return None;
    }
    let region = Region::new(offset, len);
    if !allowed(mem, live, region, access) {
        return None;
    }
    let host_offset = usize::try_from(offset).ok()?;
    let host_len = usize::try_from(len).ok()?;
    // SAFETY: `offset + len <= mem_len` (argued above): `base + offset` is inside the frame's
    // allocation or one past its end (for `len == 0`), or `offset == 0` on a possibly null base
    // of an empty memory, which `add` allows (a zero offset is always in bounds).
    let start = unsafe { base.add(host_offset) };
    // SAFETY: 1. `start .. start + len` is inside `base .. base + mem_len` of the frame `mem`,
    // borrowed for `'m` (empty when `len == 0`). 2. `host_len` is `len`, the region's length.
    Some(unsafe { HostRange::new_unchecked(start, host_len, region) })
}

/// Whether `offset` is a multiple of `2^shift` and `offset + len <= mem_len`, with one
/// rotate and one compare (see [`fast`]). In `i64` on 64-bit targets, where a negative
/// `mem_len - len` needs no branch; in `u32` elsewhere, where `i64` arithmetic takes register
/// pairs, with a branch for `len > mem_len`.
#[inline(always)]
fn aligned_inside(mem_len: u32, offset: u32, len: u32, shift: u32) -> bool {
    cfg_if::cfg_if! {
        if #[cfg(target_pointer_width = "64")] {
            let limit = i64::from(mem_len).wrapping_sub(i64::from(len)) >> shift;
            i64::from(offset.rotate_right(shift)) <= limit
        } else {
            mem_len
                .checked_sub(len)
                .is_some_and(|room| offset.rotate_right(shift) <= room >> shift)
        }
    }
}

/// Whether the `live` views of `mem` allow `access` to `region`; a new view
/// ([`Access::View`]) is the caller's to check. Inline: it only reads the frame's table, past
/// its count only when a view is live.
#[inline(always)]
fn allowed(mem: FrameRef<'_>, live: usize, region: Region, access: Access) -> bool {
    live == 0
        || match access {
            Access::Read => mem.live_slots().allow(region, BorrowKind::Shared),
            Access::Write => mem.live_slots().allow(region, BorrowKind::Mut),
            Access::View => true,
        }
}

impl HostRange<'_> {
    /// The sub-range of `len` bytes at byte `at` of this range.
    ///
    /// # Safety
    ///
    /// 1. `at + len <= self.len()`.
    #[inline(always)]
    pub(in crate::raw) unsafe fn sub_unchecked(self, at: usize, len: usize) -> Self {
        debug_assert!(at.checked_add(len).is_some_and(|end| end <= self.len()));
        // Both fit in `u32`: they are at most `self.len()`, a `u32` region length.
        let region = Region::new(
            self.region()
                .start
                .wrapping_add(u32::try_from(at).unwrap_or(u32::MAX)),
            u32::try_from(len).unwrap_or(u32::MAX),
        );
        // SAFETY: `at + len <= self.len` (precondition 1), so `ptr + at` stays inside this
        // range's bytes, or one past them, or adds 0 to a possibly null pointer of an empty
        // range.
        let start = unsafe { self.ptr().add(at) };
        // SAFETY: 1. inside this range (precondition 1), hence inside the frame's memory.
        // 2. `len == region.len`.
        unsafe { HostRange::new_unchecked(start, len, region) }
    }

    /// The `N` bytes of a range of exactly `N` bytes.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrOutOfBounds`] if the range is not `N` bytes long.
    #[inline(always)]
    pub(in crate::raw) fn read_array<const N: usize>(self) -> Result<[u8; N], GuestError> {
        if self.len() != N {
            return Err(GuestError::PtrOutOfBounds(self.region()));
        }
        if N == 0 {
            // The pointer of an empty range may be null: do not read through it.
            return Ok([0; N]);
        }
        // SAFETY: the range is `N > 0` bytes of live guest memory (the `HostRange` invariant),
        // read as bytes, which any bit pattern is; `read_unaligned` needs no alignment. No
        // mutable view overlaps it (`check` with `Access::Read`).
        Ok(unsafe { ptr::read_unaligned(self.ptr().cast::<[u8; N]>()) })
    }

    /// Writes `bytes` into a range of exactly `N` bytes.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrOutOfBounds`] if the range is not `N` bytes long.
    #[inline(always)]
    pub(in crate::raw) fn write_array<const N: usize>(
        self,
        bytes: [u8; N],
    ) -> Result<(), GuestError> {
        if self.len() != N {
            return Err(GuestError::PtrOutOfBounds(self.region()));
        }
        if N == 0 {
            return Ok(());
        }
        // SAFETY: the range is `N > 0` bytes of live guest memory, valid for writes (the
        // `HostRange` invariant); `write_unaligned` needs no alignment. No view overlaps it
        // (`check` with `Access::Write`), so no reference is invalidated.
        unsafe { ptr::write_unaligned(self.ptr().cast::<[u8; N]>(), bytes) };
        Ok(())
    }

    /// Copies the range into `dst`, a slice of plain values whose bytes it fills exactly.
    ///
    /// # Errors
    ///
    /// [`GuestError::SliceLengthsDiffer`] if `dst` does not have exactly the range's length in
    /// bytes.
    #[inline]
    pub(in crate::raw) fn copy_to<T>(
        self,
        dst: &mut [T],
        _proof: Transparent<T>,
    ) -> Result<(), GuestError> {
        let bytes = size_of_val(dst);
        if bytes != self.len() {
            return Err(GuestError::SliceLengthsDiffer);
        }
        if bytes == 0 {
            return Ok(());
        }
        // No overlap: `dst` is a unique reference, so it is outside guest memory or a mutable
        // view, and the borrow table (`Access::Read`) ruled out a mutable view of this range.
        // Writing the bytes of `dst` as bytes is sound: every bit pattern is a valid `T`
        // (`Plain`, point 1, shown by `_proof`).
        // SAFETY: `bytes > 0` live guest bytes (`HostRange` invariant) into as many writable
        // bytes of `dst`; see above.
        unsafe { ptr::copy_nonoverlapping(self.ptr(), dst.as_mut_ptr().cast::<u8>(), bytes) };
        Ok(())
    }

    /// Copies the range into the front of `dst`, uninitialised bytes, and returns that front,
    /// now initialised.
    ///
    /// # Errors
    ///
    /// [`GuestError::BufferTooSmall`] if `dst` is shorter than the range.
    #[inline]
    pub(in crate::raw) fn copy_to_uninit(
        self,
        dst: &mut [MaybeUninit<u8>],
    ) -> Result<&mut [u8], GuestError> {
        let available = saturate_u32(dst.len());
        let front = dst
            .get_mut(..self.len())
            .ok_or(GuestError::BufferTooSmall {
                needed: self.region().len,
                available,
            })?;
        if front.is_empty() {
            return Ok(&mut []);
        }
        // No overlap, as in `copy_to`: `dst` is a unique reference.
        // SAFETY: `len > 0` live guest bytes (`HostRange` invariant) into as many writable
        // bytes of `front`; any byte may be written into a `MaybeUninit<u8>`.
        unsafe {
            ptr::copy_nonoverlapping(self.ptr(), front.as_mut_ptr().cast::<u8>(), front.len())
        };
        // The `front.len()` bytes at `front`'s address, borrowed uniquely through `front` for
        // the returned lifetime, were all written just above, and a `MaybeUninit<u8>` has the
        // layout of a `u8`.
        Ok(
            // SAFETY: initialised bytes, uniquely borrowed, as argued above.
            unsafe {
                core::slice::from_raw_parts_mut(front.as_mut_ptr().cast::<u8>(), front.len())
            },
        )
    }

    /// Copies `src`, a slice of plain values whose bytes fill the range exactly, into it.
    ///
    /// # Errors
    ///
    /// [`GuestError::SliceLengthsDiffer`] if `src` does not have exactly the range's length in
    /// bytes.
    #[inline]
    pub(in crate::raw) fn copy_from<T>(
        self,
        src: &[T],
        _proof: Transparent<T>,
    ) -> Result<(), GuestError> {
        let bytes = size_of_val(src);
        if bytes != self.len() {
            return Err(GuestError::SliceLengthsDiffer);
        }
        if bytes == 0 {
            return Ok(());
        }
        // `src`'s bytes are all initialised: `T` has no padding (`Plain`, point 2, shown by `_proof`). No overlap:
        // if `src` points into guest memory it is a view, and the borrow table
        // (`Access::Write`) ruled out any view of this range.
        // SAFETY: `bytes` initialised bytes into as many writable live guest bytes; see above.
        unsafe { ptr::copy_nonoverlapping(src.as_ptr().cast::<u8>(), self.ptr(), bytes) };
        Ok(())
    }

    /// Appends the range to `out` as plain values: one `memcpy` into the spare capacity,
    /// nothing written twice.
    ///
    /// # Errors
    ///
    /// [`GuestError::SliceLengthsDiffer`] if the range is not a whole number of `T`s;
    /// [`GuestError::BufferTooSmall`] if `out` has no room for them.
    #[inline]
    pub(in crate::raw) fn append_to_heapless<T, const N: usize>(
        self,
        out: &mut heapless::Vec<T, N>,
        _proof: Transparent<T>,
    ) -> Result<(), GuestError> {
        let count = self.whole_elements::<T>()?;
        let old_len = out.len();
        let new_len = old_len.checked_add(count).ok_or(GuestError::PtrOverflow)?;
        let spare = out.spare_capacity_mut();
        let available = saturate_u32(spare.len());
        let dst = spare.get_mut(..count).ok_or(GuestError::BufferTooSmall {
            needed: saturate_u32(count),
            available,
        })?;
        if count == 0 {
            return Ok(());
        }
        // SAFETY: source as in `copy_to`. Destination: the `count * size == len` bytes of
        // `dst`, spare capacity of `out`, valid for writes; any bytes may be written into
        // `MaybeUninit<T>`. No overlap, as in `copy_to`: `out` is a unique Rust reference.
        unsafe { ptr::copy_nonoverlapping(self.ptr(), dst.as_mut_ptr().cast::<u8>(), self.len()) };
        // The `count` elements after `old_len` exist (`dst`) and were all written; every bit
        // pattern is a valid `T` and `T` has no padding (`Plain`, points 1, 2, shown by `_proof`).
        // SAFETY: `new_len` is within capacity and its elements are initialised; see above.
        unsafe { out.set_len(new_len) };
        Ok(())
    }

    /// How many `T`s the range holds, if it is a whole number of them.
    fn whole_elements<T>(self) -> Result<usize, GuestError> {
        let size = core::mem::size_of::<T>();
        let count = self
            .len()
            .checked_div(size)
            .ok_or(GuestError::SliceLengthsDiffer)?;
        if count.checked_mul(size) != Some(self.len()) {
            return Err(GuestError::SliceLengthsDiffer);
        }
        Ok(count)
    }

    /// Checks that the range can be seen as `[T]` on this host: a whole number of elements, at
    /// a host address aligned for `T`. Returns the element count.
    fn view_len<T>(self) -> Result<usize, GuestError> {
        let count = self.whole_elements::<T>()?;
        let align = core::mem::align_of::<T>();
        // `align_offset`, not the address: it is also right under Miri's symbolic alignment.
        if self.len() != 0 && self.ptr().align_offset(align) != 0 {
            return Err(GuestError::PtrNotAligned(
                self.region(),
                saturate_u32(align),
            ));
        }
        Ok(count)
    }

    /// The range as a shared slice of `T`.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrNotAligned`] if the host address is not aligned for `T`;
    /// [`GuestError::SliceLengthsDiffer`] if the length is not a multiple of `T`'s size.
    ///
    /// # Safety
    ///
    /// 1. The range's region is recorded as a shared borrow in the borrow table of the memory
    ///    it came from for as long as the returned reference is live, and the recording
    ///    succeeded (so no mutable view overlaps it).
    pub(in crate::raw) unsafe fn as_slice<'v, T>(
        self,
        _proof: Transparent<T>,
    ) -> Result<&'v [T], GuestError> {
        let count = self.view_len::<T>()?;
        if count == 0 {
            return Ok(&[]);
        }
        // `count * size_of::<T>() == len > 0` bytes of live guest memory (the `HostRange`
        // invariant) at an address aligned for `T` (`view_len`); every bit pattern is a valid
        // `T` (`Plain`, shown by `_proof`). For `'v` nothing writes them: writes and mutable
        // views are refused by the borrow table (precondition 1), and no code but this crate's,
        // through the frame, reaches the memory while the frame is borrowed (its invariant).
        // SAFETY: valid, aligned, initialised and unchanged for `'v`, as argued above.
        Ok(unsafe { core::slice::from_raw_parts(self.ptr().cast::<T>(), count) })
    }

    /// The range as a mutable slice of `T`.
    ///
    /// # Errors
    ///
    /// As [`as_slice`](Self::as_slice).
    ///
    /// # Safety
    ///
    /// 1. The range's region is recorded as a mutable borrow in the borrow table of the memory
    ///    it came from for as long as the returned reference is live, and the recording
    ///    succeeded (so no other view overlaps it).
    pub(in crate::raw) unsafe fn as_mut_slice<'v, T>(
        self,
        _proof: Transparent<T>,
    ) -> Result<&'v mut [T], GuestError> {
        let count = self.view_len::<T>()?;
        if count == 0 {
            return Ok(&mut []);
        }
        // As in `as_slice`, and for `'v` nothing else reads or writes these bytes: every other
        // access and view is refused by the borrow table (precondition 1); writes of any bit
        // pattern through the slice are sound (`Plain`, shown by `_proof`).
        // SAFETY: valid, aligned, initialised and unaliased for `'v`, as argued above.
        Ok(unsafe { core::slice::from_raw_parts_mut(self.ptr().cast::<T>(), count) })
    }
}
