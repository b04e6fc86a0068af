//! The reference model: guest memory as a plain `Vec<u8>`, the table of live views as a list,
//! and the rules of the core written out again with `u64` arithmetic and safe indexing.
//!
//! Error precedence, as the core documents it (`raw::check` and the borrow table): a length
//! that overflows (`count * size`), then an end past `u32::MAX` (`PtrOverflow`), then the
//! guest offset not a multiple of the guest alignment (`PtrNotAligned`), then the range not
//! inside the memory (`PtrOutOfBounds`), then the live views (`BorrowConflict`), then, for a
//! new view, a full table (`TooManyBorrows`) and a host address misaligned for the host type
//! (`PtrNotAligned` with the host alignment).

use std::ops::Range;

use guestmem::{GuestError, Region, MAX_VIEWS};

use super::types::Ty;

/// How a live view holds its region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Loan {
    /// Others may read alongside it.
    Shared,
    /// No other access.
    Mut,
}

/// One live view as the model records it.
pub(crate) type Entry = (Region, Loan);

/// Whether two regions share a byte (empty regions share none).
pub(crate) fn overlaps(a: Region, b: Region) -> bool {
    let (a0, a1) = (u64::from(a.start), u64::from(a.start) + u64::from(a.len));
    let (b0, b1) = (u64::from(b.start), u64::from(b.start) + u64::from(b.len));
    a.len != 0 && b.len != 0 && a0 < b1 && b0 < a1
}

/// Guest memory as plain bytes.
pub(crate) struct Model {
    /// The memory's bytes.
    pub(crate) bytes: Vec<u8>,
    /// The host address of byte 0, modulo 8 (0: aligned; 1: one byte off).
    pub(crate) host_skew: usize,
}

impl Model {
    /// The memory's length.
    pub(crate) fn len(&self) -> u32 {
        u32::try_from(self.bytes.len()).unwrap_or(u32::MAX)
    }

    /// `count` elements of `size` bytes, in bytes.
    pub(crate) fn array_len(count: u32, size: u32) -> Result<u32, GuestError> {
        let bytes = u64::from(count) * u64::from(size);
        u32::try_from(bytes).map_err(|_| GuestError::PtrOverflow)
    }

    /// Overflow, alignment of the guest offset, bounds.
    pub(crate) fn check(&self, off: u32, len: u32, align: u32) -> Result<Range<usize>, GuestError> {
        let start = u64::from(off);
        let end = start + u64::from(len);
        if end > u64::from(u32::MAX) {
            return Err(GuestError::PtrOverflow);
        }
        if align != 0 && !off.is_multiple_of(align) {
            return Err(GuestError::PtrNotAligned(Region::new(off, len), align));
        }
        if end > u64::from(self.len()) {
            return Err(GuestError::PtrOutOfBounds(Region::new(off, len)));
        }
        Ok(usize::try_from(start).unwrap_or(usize::MAX)..usize::try_from(end).unwrap_or(0))
    }

    /// [`check`](Self::check), then the live views: a read fails under a mutable view, a
    /// write under any view.
    pub(crate) fn access(
        &self,
        table: &[Entry],
        off: u32,
        len: u32,
        align: u32,
        write: bool,
    ) -> Result<Range<usize>, GuestError> {
        let range = self.check(off, len, align)?;
        let region = Region::new(off, len);
        if Self::conflicts(table, region, write) {
            return Err(GuestError::BorrowConflict(region));
        }
        Ok(range)
    }

    /// Whether a live view forbids an access to `region` (a read: a mutable view; a write:
    /// any view) — the check of each element of an element-wise copy.
    pub(crate) fn conflicts(table: &[Entry], region: Region, write: bool) -> bool {
        table
            .iter()
            .any(|&(r, loan)| overlaps(r, region) && (write || loan == Loan::Mut))
    }

    /// A new view: [`access`](Self::access) (a shared view as a read, a mutable one as a
    /// write), then room in the table. The host alignment is the caller's (it depends on the
    /// host type).
    pub(crate) fn lend(
        &self,
        table: &[Entry],
        off: u32,
        len: u32,
        align: u32,
        loan: Loan,
    ) -> Result<Range<usize>, GuestError> {
        let range = self.access(table, off, len, align, loan == Loan::Mut)?;
        if table.len() >= MAX_VIEWS {
            return Err(GuestError::TooManyBorrows(Region::new(off, len)));
        }
        Ok(range)
    }

    /// Whether guest offset `off` is at a host address misaligned for `align`.
    pub(crate) fn host_misaligned(&self, off: u32, align: usize) -> bool {
        let at = usize::try_from(off).unwrap_or(0) + self.host_skew;
        !at.is_multiple_of(align)
    }

    /// What decoding every element of `bytes` must give: their canonical bytes, or the first
    /// element's error.
    pub(crate) fn decode_all<'m, T: Ty<'m>>(bytes: &[u8]) -> Result<Vec<u8>, GuestError> {
        let mut out = Vec::with_capacity(bytes.len());
        let size = usize::try_from(T::GUEST_SIZE).unwrap_or(1).max(1);
        for chunk in bytes.chunks_exact(size) {
            T::expect(chunk, &mut out)?;
        }
        Ok(out)
    }
}
