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
    live: Cell<usize>,
    slots: Slots,
}

/// The entries of a [`BorrowTable`]: `slots[..live]` are all written; the rest are never read.
#[repr(transparent)]
pub(crate) struct Slots([Cell<MaybeUninit<Borrow>>; MAX_VIEWS]);

/// A copy of the entries of a [`BorrowTable`], which the range check's slow path takes by
/// value: no pointer into the frame then reaches a call, so the frame's base, length and count
/// of views never escape, and the compiler keeps them in registers across a loop of accesses.
/// (One 192-byte copy, made only on the slow path.)
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct SlotsCopy([MaybeUninit<Borrow>; MAX_VIEWS]);

impl BorrowTable {
    /// An empty table.
    #[inline(always)]
    pub(crate) const fn new() -> Self {
        BorrowTable {
            live: Cell::new(0),
            slots: Slots([const { Cell::new(MaybeUninit::uninit()) }; MAX_VIEWS]),
        }
    }

    /// Whether any view is live.
    #[inline(always)]
    pub(crate) fn has_live_views(&self) -> bool {
        self.live.get() != 0
    }

    /// How many views are live.
    #[inline(always)]
    pub(crate) fn live(&self) -> usize {
        self.live.get()
    }

    /// A copy of the entries, in one piece.
    #[inline(always)]
    pub(crate) fn copy_slots(&self) -> SlotsCopy {
        let slots = core::ptr::from_ref(&self.slots).cast::<SlotsCopy>();
        // SAFETY: `Slots` and `SlotsCopy` are `repr(transparent)` arrays of the same length of
        // `Cell<MaybeUninit<Borrow>>` and `MaybeUninit<Borrow>`, which have the same layout
        // (`Cell<T>` has the in-memory representation of `T`); `MaybeUninit` may hold any bytes,
        // so reading the whole array is a copy whatever was written. No cell is written while
        // it is read: the table is not `Sync`, and this copy runs no other code.
        // SAFETY: a same-layout, any-bytes copy of unaliased cells, as argued above.
        unsafe { slots.read() }
    }

    /// The live entries.
    #[inline]
    fn entries(&self) -> impl Iterator<Item = Borrow> + '_ {
        self.slots.entries(self.live.get())
    }

    /// Whether `access` of `region` is allowed now.
    ///
    /// # Errors
    ///
    /// [`GuestError::BorrowConflict`] when a view forbids it.
    #[inline]
    fn check(&self, region: Region, access: BorrowKind) -> Result<(), GuestError> {
        self.slots.check(self.live.get(), region, access)
    }

    /// Records a view of `region`.
    ///
    /// # Errors
    ///
    /// [`GuestError::BorrowConflict`] when the new view would overlap a mutable view, or be
    /// mutable and overlap any view; [`GuestError::TooManyBorrows`] when the table is full.
    pub(crate) fn borrow(&self, region: Region, kind: BorrowKind) -> Result<(), GuestError> {
        self.check(region, kind)?;
        let live = self.live.get();
        let slot = self
            .slots
            .0
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
        // Move the last entry into the freed slot (unless it is the last), then shorten the
        // table.
        if found != last {
            if let (Some(freed), Some(moved)) = (self.slots.0.get(found), self.slots.0.get(last)) {
                freed.set(moved.get());
            }
        }
        self.live.set(last);
    }
}

impl Slots {
    /// Whether the first `live` entries allow `access` of `region`: a shared access (a read,
    /// a shared view) conflicts with an overlapping mutable view, a mutable one (a write, a
    /// mutable view) with any overlapping view.
    ///
    /// # Errors
    ///
    /// [`GuestError::BorrowConflict`] when they do not.
    #[inline]
    pub(crate) fn check(
        &self,
        live: usize,
        region: Region,
        access: BorrowKind,
    ) -> Result<(), GuestError> {
        let clash = self.entries(live).any(|b| {
            b.region.overlaps(region) && (access == BorrowKind::Mut || b.kind == BorrowKind::Mut)
        });
        if clash {
            return Err(GuestError::BorrowConflict(region));
        }
        Ok(())
    }

    /// The first `live` entries, which are written.
    #[inline]
    fn entries(&self, live: usize) -> impl Iterator<Item = Borrow> + '_ {
        let live = self.0.get(..live).unwrap_or(&[]);
        live.iter().map(|slot| {
            // SAFETY: `slots[..live]` were all written (`borrow` writes a slot before counting
            // it, `release` moves a written one into a freed place); `Borrow` is `Copy`.
            unsafe { slot.get().assume_init() }
        })
    }
}

impl SlotsCopy {
    /// No entries (to be read with a count of 0).
    pub(crate) const EMPTY: Self = SlotsCopy([MaybeUninit::uninit(); MAX_VIEWS]);

    /// Whether the first `live` entries allow `access` of `region` (as [`Slots::check`]);
    /// `live` is the count of the table this is a copy of.
    ///
    /// # Errors
    ///
    /// [`GuestError::BorrowConflict`] when they do not.
    #[inline]
    pub(crate) fn check(
        &self,
        live: usize,
        region: Region,
        access: BorrowKind,
    ) -> Result<(), GuestError> {
        let live = self.0.get(..live).unwrap_or(&[]);
        let clash = live.iter().any(|slot| {
            // SAFETY: a copy of `slots[..live]` of a table, which were all written (see
            // `Slots::entries`); `Borrow` is `Copy`.
            let b = unsafe { slot.assume_init() };
            b.region.overlaps(region) && (access == BorrowKind::Mut || b.kind == BorrowKind::Mut)
        });
        if clash {
            return Err(GuestError::BorrowConflict(region));
        }
        Ok(())
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
        assert_eq!(t.check(r, BorrowKind::Shared), Ok(()));
        assert_eq!(
            t.check(Region::new(3, 1), BorrowKind::Mut),
            Err(GuestError::BorrowConflict(Region::new(3, 1)))
        );
        assert_eq!(t.check(Region::new(4, 4), BorrowKind::Mut), Ok(()));
        t.release(r, BorrowKind::Shared);
        assert!(t.has_live_views());
        t.release(r, BorrowKind::Shared);
        assert!(!t.has_live_views());
        assert_eq!(t.check(r, BorrowKind::Mut), Ok(()));
    }

    #[test]
    fn mut_view_is_exclusive() {
        let t = BorrowTable::new();
        let r = Region::new(10, 10);
        t.borrow(r, BorrowKind::Mut).unwrap();
        assert!(t.check(Region::new(19, 1), BorrowKind::Shared).is_err());
        assert!(t.borrow(Region::new(0, 11), BorrowKind::Shared).is_err());
        assert!(t.borrow(Region::new(5, 100), BorrowKind::Mut).is_err());
        assert_eq!(t.check(Region::new(20, 1), BorrowKind::Shared), Ok(()));
        // Releasing an entry that was never recorded changes nothing.
        t.release(Region::new(10, 10), BorrowKind::Shared);
        assert!(t.check(r, BorrowKind::Shared).is_err());
        t.release(r, BorrowKind::Mut);
        assert_eq!(t.check(r, BorrowKind::Shared), Ok(()));
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
        assert!(t.check(Region::new(4, 1), BorrowKind::Shared).is_ok());
        assert!(t.check(Region::new(4, 1), BorrowKind::Mut).is_err());
        assert!(t.check(Region::new(3, 1), BorrowKind::Mut).is_ok());
    }
}
