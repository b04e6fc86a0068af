//! [`Cursor`]: an array of guest memory walked one element at a time, its bounds checked once.

use super::borrow::BorrowKind;
use super::frame::FrameRef;
use super::plain::Transparent;
use super::range::{checked, Access, HostRange};
use crate::GuestError;

/// An array of guest memory whose bounds and alignment were checked once, copied in or out one
/// element at a time — the walk of an array of structs, with user `decode`/`encode` running
/// between elements.
///
/// What may change between two elements is only the frame's table of views (user code may take
/// or drop a view; the frame's base and length cannot change while it is borrowed). So each
/// element checks the table, right before its copy, and no code from outside this module runs
/// between that check and the copy (DESIGN §4.9); its bounds were checked with the array's.
pub(crate) struct Cursor<'m> {
    mem: FrameRef<'m>,
    /// The whole array, checked.
    range: HostRange<'m>,
    /// Bytes of `range` not yet walked: the walk is at `range.len() - left`.
    left: usize,
    /// Check an element against live views out of line (see [`Cursor::views_out_of_line`]).
    views_out_of_line: bool,
}

impl<'m> Cursor<'m> {
    /// Checks the `len` bytes at `offset`, aligned to `align` in the guest, for `access`, and
    /// starts a walk over them.
    ///
    /// # Errors
    ///
    /// Those of the range check.
    #[inline]
    pub(crate) fn new(
        mem: FrameRef<'m>,
        offset: u32,
        len: u32,
        align: u32,
        write: bool,
    ) -> Result<Self, GuestError> {
        let access = if write { Access::Write } else { Access::Read };
        let range = checked(mem, offset, len, align, access)?;
        Ok(Cursor {
            mem,
            left: range.len(),
            range,
            views_out_of_line: false,
        })
    }

    /// The same walk, checking an element against live views out of line. Inline (the
    /// default), the check reads the frame and lets no pointer to it reach a call, so the
    /// caller's loop keeps the frame's fields in registers; out of line, the loop's code is
    /// smaller. The better choice when the walk stores the values away (a copy into a slice or
    /// a `heapless::Vec`), where a value holding a pointer lets the frame escape anyway.
    #[inline(always)]
    pub(crate) fn views_out_of_line(mut self) -> Self {
        self.views_out_of_line = true;
        self
    }

    /// The next `len` bytes of the array, checked against the views now; `None` when fewer
    /// are left.
    #[inline(always)]
    fn next(&mut self, len: usize, access: Access) -> Option<Result<HostRange<'m>, GuestError>> {
        if len > self.left {
            return None;
        }
        // `left <= range.len()` always, and `len <= left`: `at + len <= range.len()`.
        let at = self.range.len().wrapping_sub(self.left);
        self.left = self.left.wrapping_sub(len);
        // SAFETY: 1. `at + len <= range.len()`, as argued above.
        let element = unsafe { self.range.sub_unchecked(at, len) };
        let (_, _, live) = self.mem.parts();
        if live == 0 {
            return Some(Ok(element));
        }
        // Some view is live: check this element against the views, as any access would (its
        // bounds were checked with the array's).
        let region = element.region();
        if self.views_out_of_line {
            return Some(element_allowed(self.mem, region, access).map(|()| element));
        }
        let kind = match access {
            Access::Write => BorrowKind::Mut,
            Access::Read | Access::View => BorrowKind::Shared,
        };
        if self.mem.live_slots().allow(region, kind) {
            Some(Ok(element))
        } else {
            Some(Err(GuestError::BorrowConflict(region)))
        }
    }

    /// Copies the next `dst.len()` bytes of the array into `dst`; `None` when fewer are left.
    #[inline(always)]
    pub(crate) fn read_into(
        &mut self,
        dst: &mut [u8],
        proof: Transparent<u8>,
    ) -> Option<Result<(), GuestError>> {
        let element = self.next(dst.len(), Access::Read)?;
        Some(element.and_then(|range| range.copy_to(dst, proof)))
    }

    /// Copies `src` into the next `src.len()` bytes of the array; `None` when fewer are left.
    #[inline(always)]
    pub(crate) fn write_from(
        &mut self,
        src: &[u8],
        proof: Transparent<u8>,
    ) -> Option<Result<(), GuestError>> {
        let element = self.next(src.len(), Access::Write)?;
        Some(element.and_then(|range| range.copy_from(src, proof)))
    }
}

/// Whether the views of `mem` allow `access` of an element's `region`, out of line: the walk
/// inlines only the test for live views.
#[inline(never)]
fn element_allowed(
    mem: FrameRef<'_>,
    region: crate::Region,
    access: Access,
) -> Result<(), GuestError> {
    let kind = match access {
        Access::Write => BorrowKind::Mut,
        Access::Read | Access::View => BorrowKind::Shared,
    };
    if mem.live_slots().allow(region, kind) {
        Ok(())
    } else {
        Err(GuestError::BorrowConflict(region))
    }
}
