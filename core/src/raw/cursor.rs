//! [`Cursor`]: an array of guest memory walked one element at a time, its bounds checked once.

use super::frame::GuestFrame;
use super::plain::Transparent;
use super::range::{check, fast, Access, HostRange};
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
    mem: &'m GuestFrame<'m>,
    /// The whole array, checked.
    range: HostRange<'m>,
    /// Bytes of `range` not yet walked: the walk is at `range.len() - left`.
    left: usize,
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
        mem: &'m GuestFrame<'m>,
        offset: u32,
        len: u32,
        align: u32,
        write: bool,
    ) -> Result<Self, GuestError> {
        let access = if write { Access::Write } else { Access::Read };
        let range = match fast(mem, offset, len, align) {
            Some(range) => range,
            None => check(mem, offset, len, align, access)?.0,
        };
        Ok(Cursor {
            mem,
            left: range.len(),
            range,
        })
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
        let (_, _, table) = self.mem.parts();
        if !table.has_live_views() {
            return Some(Ok(element));
        }
        // Some view is live: check this element against the table, as any access would.
        let region = element.region();
        Some(check(self.mem, region.start, region.len, 1, access).map(|(range, _)| range))
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
