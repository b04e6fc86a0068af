//! The fixed-capacity table of live views that makes zero-copy views sound (DESIGN §4.4),
//! owned by each [`GuestFrame`](crate::GuestFrame). A fixed array of `Cell`s: a check only
//! reads it, and no operation on it can fail halfway. Slots past the live ones are never read,
//! so a new table writes only its count: a frame costs no initialisation of its slots.
//!
//! A view (`&[T]`, `&str`, `&mut [T]` into guest memory) is recorded here for as long as it
//! lives. Every other access checks the table: reads fail on a region under a mutable view,
//! writes and new mutable views fail on a region under any view.

use core::cell::Cell;
use core::mem::MaybeUninit;

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

/// The live views of one frame, at most [`MAX_VIEWS`] of them.
pub(crate) struct BorrowTable {
    /// The live views are `slots[..live]`, all written; the rest are never read.
    slots: [Cell<MaybeUninit<Borrow>>; MAX_VIEWS],
    live: Cell<usize>,
}

impl BorrowTable {
    /// An empty table.
    #[inline(always)]
    pub(crate) const fn new() -> Self {
        BorrowTable {
            slots: [const { Cell::new(MaybeUninit::uninit()) }; MAX_VIEWS],
            live: Cell::new(0),
        }
    }

    /// Whether any view is live.
    #[inline]
    pub(crate) fn has_live_views(&self) -> bool {
        self.live.get() != 0
    }

    /// The live entries.
    #[inline]
    fn entries(&self) -> impl Iterator<Item = Borrow> + '_ {
        let live = self.slots.get(..self.live.get()).unwrap_or(&[]);
        live.iter().map(|slot| {
            // SAFETY: `slots[..live]` were all written (`borrow` writes a slot before counting
            // it, `release` moves a written one into a freed place); `Borrow` is `Copy`.
            unsafe { slot.get().assume_init() }
        })
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

    /// With no view live (the common case) one load and a branch. The check only reads, so
    /// the compiler may keep the memory's base and length in registers across a loop of
    /// accesses.
    #[inline]
    fn check(&self, region: Region, conflicts: impl Fn(&Borrow) -> bool) -> Result<(), GuestError> {
        if self.live.get() == 0 {
            return Ok(());
        }
        self.check_entries(region, conflicts)
    }

    /// The slow path of `check`: some view is live.
    #[inline(never)]
    fn check_entries(
        &self,
        region: Region,
        conflicts: impl Fn(&Borrow) -> bool,
    ) -> Result<(), GuestError> {
        let clash = self
            .entries()
            .any(|b| b.region.overlaps(region) && conflicts(&b));
        if clash {
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
        let live = self.live.get();
        let slot = self
            .slots
            .get(live)
            .ok_or(GuestError::TooManyBorrows(region))?;
        slot.set(MaybeUninit::new(Borrow { region, kind }));
        self.live.set(live.saturating_add(1));
        Ok(())
    }

    /// Forgets one view of `region` recorded by [`borrow`](Self::borrow).
    pub(crate) fn release(&self, region: Region, kind: BorrowKind) {
        let wanted = Borrow { region, kind };
        let live = self.live.get();
        let Some(found) = self.entries().position(|b| b == wanted) else {
            // Not recorded (unreachable): keeping the table as it is only refuses accesses.
            return;
        };
        let last = live.saturating_sub(1);
        // Move the last entry into the freed slot, then shorten the table.
        if let (Some(freed), Some(moved)) = (self.slots.get(found), self.slots.get(last)) {
            freed.set(moved.get());
        }
        self.live.set(last);
    }
}

impl core::fmt::Debug for BorrowTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.entries()).finish()
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
        assert!(t.has_live_views());
        t.release(r, BorrowKind::Shared);
        assert!(!t.has_live_views());
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
