//! The fixed-capacity table of live views that makes zero-copy views sound (DESIGN §4.4).
//!
//! A view (`&[T]`, `&str`, `&mut [T]` into guest memory) is recorded here for as long as it
//! lives. Every other access checks the table: reads fail on a region under a mutable view,
//! writes and new mutable views fail on a region under any view. The embedder asks
//! [`BorrowTable::has_outstanding_borrows`] before re-entering the guest or growing the memory.

use core::cell::{Cell, RefCell};

use crate::{GuestError, Region};

/// How many views can be live at once in one memory.
///
/// Each entry costs 12 bytes of RAM in every memory.
pub const MAX_VIEWS: usize = 16;

/// Whether a view allows others to read alongside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BorrowKind {
    Shared,
    Mut,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Borrow {
    region: Region,
    kind: BorrowKind,
}

/// The live views of one guest memory, at most [`MAX_VIEWS`] of them.
///
/// Every [`GuestMemory`](crate::GuestMemory) owns one. Only this crate records and releases
/// borrows; an embedder reads it.
///
/// # Examples
///
/// ```
/// use guestmem::{GuestMemory, GuestPtr, SliceMemory};
///
/// let mut bytes = *b"hello";
/// let mem = SliceMemory::new(&mut bytes);
/// let text = GuestPtr::<str>::new(&mem, (0, 5));
/// {
///     let view = text.as_str()?;
///     assert_eq!(&*view, "hello");
///     // An embedder must not re-enter the guest now.
///     assert!(mem.borrows().has_outstanding_borrows());
/// }
/// assert!(!mem.borrows().has_outstanding_borrows());
/// # Ok::<(), guestmem::GuestError>(())
/// ```
#[derive(Debug, Default)]
pub struct BorrowTable {
    live: RefCell<heapless::Vec<Borrow, MAX_VIEWS>>,
    /// Whether `live` may hold an entry: set before an entry is pushed, cleared only once
    /// `live` is empty. Every access reads it, so that with no view live (the common case) the
    /// check is one load: no `RefCell` flag is written and no entry is looked at.
    maybe_live: Cell<bool>,
}

impl BorrowTable {
    /// An empty table.
    pub const fn new() -> Self {
        BorrowTable {
            live: RefCell::new(heapless::Vec::new()),
            maybe_live: Cell::new(false),
        }
    }

    /// Whether any view of this memory is live. While it is, the embedder must neither re-enter
    /// the guest nor move or resize the memory (the contract of
    /// [`GuestMemory`](crate::GuestMemory)).
    #[inline]
    pub fn has_outstanding_borrows(&self) -> bool {
        // A table we cannot inspect is being changed: count that as borrowed.
        self.live.try_borrow().map_or(true, |live| !live.is_empty())
    }

    /// Whether reading `region` is allowed now (no mutable view overlaps it).
    ///
    /// # Errors
    ///
    /// [`GuestError::BorrowConflict`] when a mutable view overlaps `region`.
    #[inline]
    pub(crate) fn check_read(&self, region: Region) -> Result<(), GuestError> {
        self.check(region, |b| b.kind == BorrowKind::Mut)
    }

    /// Whether writing `region` is allowed now (no view overlaps it).
    ///
    /// # Errors
    ///
    /// [`GuestError::BorrowConflict`] when any view overlaps `region`.
    #[inline]
    pub(crate) fn check_write(&self, region: Region) -> Result<(), GuestError> {
        self.check(region, |_| true)
    }

    #[inline]
    fn check(&self, region: Region, conflicts: impl Fn(&Borrow) -> bool) -> Result<(), GuestError> {
        if !self.maybe_live.get() {
            // No entry: nothing can conflict.
            return Ok(());
        }
        self.check_entries(region, conflicts)
    }

    /// The slow path of `check`: some view may be live.
    #[inline(never)]
    fn check_entries(
        &self,
        region: Region,
        conflicts: impl Fn(&Borrow) -> bool,
    ) -> Result<(), GuestError> {
        let live = self
            .live
            .try_borrow()
            .map_err(|_| GuestError::BorrowConflict(region))?;
        if live
            .iter()
            .any(|b| b.region.overlaps(region) && conflicts(b))
        {
            return Err(GuestError::BorrowConflict(region));
        }
        Ok(())
    }

    /// Records a view of `region`.
    ///
    /// # Errors
    ///
    /// [`GuestError::BorrowConflict`] when the new view would overlap a mutable view, or be
    /// mutable and overlap any view; [`GuestError::TooManyBorrows`] when the table is full.
    pub(crate) fn borrow(&self, region: Region, kind: BorrowKind) -> Result<(), GuestError> {
        match kind {
            BorrowKind::Shared => self.check_read(region)?,
            BorrowKind::Mut => self.check_write(region)?,
        }
        let mut live = self
            .live
            .try_borrow_mut()
            .map_err(|_| GuestError::BorrowConflict(region))?;
        // Set before the push: the flag may claim an entry that is not there, never the reverse.
        self.maybe_live.set(true);
        let pushed = live
            .push(Borrow { region, kind })
            .map_err(|_| GuestError::TooManyBorrows(region));
        self.maybe_live.set(!live.is_empty());
        pushed
    }

    /// Forgets one view of `region` recorded by [`borrow`](Self::borrow).
    pub(crate) fn release(&self, region: Region, kind: BorrowKind) {
        let Ok(mut live) = self.live.try_borrow_mut() else {
            // Unreachable: no borrow of the table outlives a method of this type. Keeping the
            // entry only refuses accesses; it never allows one.
            return;
        };
        let wanted = Borrow { region, kind };
        if let Some(i) = live.iter().position(|b| *b == wanted) {
            // Swap-remove without an index that could panic.
            if let Some(last) = live.pop() {
                if let Some(slot) = live.get_mut(i) {
                    *slot = last;
                }
            }
        }
        self.maybe_live.set(!live.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_views_coexist_and_block_writes() {
        let t = BorrowTable::new();
        let r = Region::new(0, 4);
        t.borrow(r, BorrowKind::Shared).unwrap();
        t.borrow(r, BorrowKind::Shared).unwrap();
        assert_eq!(t.check_read(r), Ok(()));
        assert_eq!(
            t.check_write(Region::new(3, 1)),
            Err(GuestError::BorrowConflict(Region::new(3, 1)))
        );
        assert_eq!(t.check_write(Region::new(4, 4)), Ok(()));
        t.release(r, BorrowKind::Shared);
        assert!(t.has_outstanding_borrows());
        t.release(r, BorrowKind::Shared);
        assert!(!t.has_outstanding_borrows());
        assert_eq!(t.check_write(r), Ok(()));
    }

    #[test]
    fn mut_view_is_exclusive() {
        let t = BorrowTable::new();
        let r = Region::new(10, 10);
        t.borrow(r, BorrowKind::Mut).unwrap();
        assert!(t.check_read(Region::new(19, 1)).is_err());
        assert!(t.borrow(Region::new(0, 11), BorrowKind::Shared).is_err());
        assert!(t.borrow(Region::new(5, 100), BorrowKind::Mut).is_err());
        assert_eq!(t.check_read(Region::new(20, 1)), Ok(()));
        // Releasing an entry that was never recorded changes nothing.
        t.release(Region::new(10, 10), BorrowKind::Shared);
        assert!(t.check_read(r).is_err());
        t.release(r, BorrowKind::Mut);
        assert_eq!(t.check_read(r), Ok(()));
    }

    #[test]
    fn table_full_is_an_error_not_a_panic() {
        let t = BorrowTable::new();
        for i in 0..MAX_VIEWS {
            let start = u32::try_from(i).unwrap();
            t.borrow(Region::new(start, 1), BorrowKind::Shared).unwrap();
        }
        let r = Region::new(1000, 1);
        assert_eq!(
            t.borrow(r, BorrowKind::Shared),
            Err(GuestError::TooManyBorrows(r))
        );
        // Release from the middle: the swap-remove keeps the others.
        t.release(Region::new(3, 1), BorrowKind::Shared);
        assert_eq!(t.borrow(r, BorrowKind::Mut), Ok(()));
        assert!(t.check_read(Region::new(4, 1)).is_ok());
        assert!(t.check_write(Region::new(4, 1)).is_err());
        assert!(t.check_write(Region::new(3, 1)).is_ok());
    }
}
