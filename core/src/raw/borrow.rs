//! The fixed-capacity table of live views that makes zero-copy views sound (DESIGN §4.4),
//! owned by each [`GuestFrame`](crate::GuestFrame): its count sits in the frame's header, its
//! slots after the header, as many as the frame's capacity. An array of `Cell`s: a check only
//! reads it, and no operation on it can fail halfway. Slots past the live ones are never read,
//! so a new table writes only its count: a frame costs no initialisation of its slots.
//!
//! A view (`&[T]`, `&str`, `&mut [T]` into guest memory) is recorded here for as long as it
//! lives. Every other access checks the table: reads fail on a region under a mutable view,
//! writes and new mutable views fail on a region under any view.

use core::cell::Cell;
use core::mem::MaybeUninit;

use crate::{GuestError, Region};

/// How many views can be live at once in a frame made with
/// [`GuestFrame::new`](crate::GuestFrame::new): the default capacity of a frame's table of
/// views. [`GuestFrame::with_views`](crate::GuestFrame::with_views) makes a frame of another
/// capacity.
///
/// Each slot costs 12 bytes of RAM in every frame.
pub const MAX_VIEWS: usize = 16;

/// Whether a view allows others to read alongside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BorrowKind {
    Shared,
    Mut,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::raw) struct Borrow {
    region: Region,
    kind: BorrowKind,
}

/// One entry of a table: written before it is counted as live, never read after the count.
pub(in crate::raw) type Slot = Cell<MaybeUninit<Borrow>>;

/// `N` unwritten slots: a frame's array of slots, made without writing it.
#[inline(always)]
pub(in crate::raw) const fn empty_slots<const N: usize>() -> [Slot; N] {
    [const { Cell::new(MaybeUninit::uninit()) }; N]
}

/// The live views of one frame, as references into it: its count of live views and its slots
/// (as many as its capacity). Invariant: `live <= slots.len()`, and `slots[..live]` are all
/// written; the rest are never read.
#[derive(Clone, Copy)]
pub(in crate::raw) struct BorrowTable<'t> {
    live: &'t Cell<usize>,
    slots: &'t [Slot],
}

impl<'t> BorrowTable<'t> {
    /// The table of a frame: its count and its slots. The count must be at most the number of
    /// slots, with that many written (an empty table is: count 0).
    #[inline(always)]
    pub(in crate::raw) fn new(live: &'t Cell<usize>, slots: &'t [Slot]) -> Self {
        debug_assert!(live.get() <= slots.len());
        BorrowTable { live, slots }
    }

    /// The live entries.
    #[inline(always)]
    fn live(self) -> LiveSlots<'t> {
        let live = self.slots.get(..self.live.get()).unwrap_or(&[]);
        // SAFETY: `slots[..live]` are all written (the table's invariant).
        unsafe { LiveSlots::new_unchecked(live) }
    }

    /// The live entries.
    #[inline(always)]
    fn entries(self) -> impl Iterator<Item = Borrow> + 't {
        self.live().entries()
    }

    /// Whether the live entries allow `access` of `region` (see [`LiveSlots::allow`]).
    #[cfg(test)]
    fn allows(self, region: Region, access: BorrowKind) -> bool {
        self.live().allow(region, access)
    }

    /// Records a view of `region`: the two steps of
    /// [`FrameRef::borrow`](super::frame::FrameRef::borrow), for the tests of the table alone.
    ///
    /// # Errors
    ///
    /// [`GuestError::BorrowConflict`] when the new view would overlap a mutable view, or be
    /// mutable and overlap any view; [`GuestError::TooManyBorrows`] when the table is full.
    #[cfg(test)]
    fn borrow(self, region: Region, kind: BorrowKind) -> Result<(), GuestError> {
        if !self.allows(region, kind) {
            return Err(GuestError::BorrowConflict(region));
        }
        self.push(region, kind)
    }

    /// Records a view of `region` of `kind`, which the live entries allow.
    ///
    /// # Errors
    ///
    /// [`GuestError::TooManyBorrows`] when the table is full.
    #[inline(always)]
    pub(in crate::raw) fn push(self, region: Region, kind: BorrowKind) -> Result<(), GuestError> {
        let live = self.live.get();
        let slot = self
            .slots
            .get(live)
            .ok_or(GuestError::TooManyBorrows(region))?;
        slot.set(MaybeUninit::new(Borrow { region, kind }));
        self.live.set(live.saturating_add(1));
        Ok(())
    }

    /// Forgets one view of `region` recorded by [`push`](Self::push): the first entry
    /// equal to it. (A frame's views end through
    /// [`FrameRef::release`](super::frame::FrameRef::release), which looks at the last entry
    /// inline first.)
    pub(in crate::raw) fn release(self, region: Region, kind: BorrowKind) {
        let wanted = Borrow { region, kind };
        // Move the last entry into the freed slot, then shorten the table.
        let Some(found) = self.entries().position(|b| b == wanted) else {
            // Not recorded (unreachable): keeping the table as it is only refuses accesses.
            return;
        };
        let last = self.live.get().saturating_sub(1);
        if let (Some(freed), Some(moved)) = (self.slots.get(found), self.slots.get(last)) {
            freed.set(moved.get());
        }
        self.live.set(last);
    }
}

/// The live slots of a table: all written.
#[derive(Clone, Copy)]
pub(in crate::raw) struct LiveSlots<'t>(&'t [Slot]);

impl<'t> LiveSlots<'t> {
    /// # Safety
    ///
    /// 1. Every slot of `slots` is written.
    #[inline(always)]
    pub(in crate::raw) unsafe fn new_unchecked(slots: &'t [Slot]) -> Self {
        LiveSlots(slots)
    }

    /// The entries.
    #[inline(always)]
    fn entries(self) -> impl Iterator<Item = Borrow> + 't {
        self.0.iter().map(|slot| {
            // SAFETY: every slot is written (precondition 1 of `new_unchecked`); `Borrow` is
            // `Copy`.
            unsafe { slot.get().assume_init() }
        })
    }

    /// Whether the last entry is a view of `region` of `kind`.
    #[inline(always)]
    pub(in crate::raw) fn ends_with(self, region: Region, kind: BorrowKind) -> bool {
        self.0.last().is_some_and(|slot| {
            // SAFETY: as in `entries`.
            let last = unsafe { slot.get().assume_init() };
            last == Borrow { region, kind }
        })
    }

    /// Whether these entries allow `access` of `region`: a shared access (a read, a shared
    /// view) conflicts with an overlapping mutable view, a mutable one (a write, a mutable
    /// view) with any overlapping view. Inlined at every access: with no entry, the answer
    /// costs a compare; with some, the entries are scanned (see [`scan`](Self::scan)).
    #[inline(always)]
    pub(in crate::raw) fn allow(self, region: Region, access: BorrowKind) -> bool {
        self.0.is_empty() || self.scan(region.start, region.len, access)
    }

    /// [`allow`](Self::allow) over some entries, the region in scalars.
    ///
    /// Inlined on targets with an operating system, so that no pointer into the frame reaches
    /// a call the compiler cannot see into: the frame's base, length and count then stay in
    /// registers across a loop of accesses. Out of line on bare-metal targets
    /// (`target_os = "none"`), where flash is the budget (one copy instead of one per access:
    /// 770 bytes of the example firmware's library code) and firmware is built with
    /// link-time optimisation, which sees that the call only reads the table.
    #[cfg_attr(target_os = "none", inline(never))]
    #[cfg_attr(not(target_os = "none"), inline(always))]
    fn scan(self, start: u32, len: u32, access: BorrowKind) -> bool {
        let region = Region::new(start, len);
        for slot in self.0 {
            // SAFETY: as in `entries`.
            let b = unsafe { slot.get().assume_init() };
            if b.region.overlaps(region) && (access == BorrowKind::Mut || b.kind == BorrowKind::Mut)
            {
                return false;
            }
        }
        true
    }
}

impl core::fmt::Debug for BorrowTable<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.entries()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table of `N` slots over `live` and `slots`.
    fn table<'t, const N: usize>(live: &'t Cell<usize>, slots: &'t [Slot; N]) -> BorrowTable<'t> {
        BorrowTable::new(live, slots)
    }

    #[test]
    fn shared_views_coexist_and_block_writes() {
        let (live, slots) = (Cell::new(0), empty_slots::<4>());
        let t = table(&live, &slots);
        let r = Region::new(0, 4);
        t.borrow(r, BorrowKind::Shared).unwrap();
        t.borrow(r, BorrowKind::Shared).unwrap();
        assert!(t.allows(r, BorrowKind::Shared));
        assert!(!t.allows(Region::new(3, 1), BorrowKind::Mut));
        assert!(t.allows(Region::new(4, 4), BorrowKind::Mut));
        t.release(r, BorrowKind::Shared);
        assert_eq!(live.get(), 1);
        t.release(r, BorrowKind::Shared);
        assert_eq!(live.get(), 0);
        assert!(t.allows(r, BorrowKind::Mut));
    }

    #[test]
    fn views_end_in_any_order() {
        let (live, slots) = (Cell::new(0), empty_slots::<4>());
        let t = table(&live, &slots);
        let (a, b, c) = (Region::new(0, 4), Region::new(8, 4), Region::new(16, 4));
        t.borrow(a, BorrowKind::Mut).unwrap();
        t.borrow(b, BorrowKind::Shared).unwrap();
        t.borrow(c, BorrowKind::Mut).unwrap();
        // The first one ends first (not the last entry: out of line), then the last one.
        t.release(a, BorrowKind::Mut);
        assert_eq!(live.get(), 2);
        assert!(t.allows(a, BorrowKind::Mut));
        assert!(!t.allows(b, BorrowKind::Mut) && !t.allows(c, BorrowKind::Shared));
        t.release(c, BorrowKind::Mut);
        assert_eq!(live.get(), 1);
        assert!(t.allows(c, BorrowKind::Mut) && !t.allows(b, BorrowKind::Mut));
        // A view never recorded changes nothing.
        t.release(c, BorrowKind::Shared);
        assert_eq!(live.get(), 1);
        t.release(b, BorrowKind::Shared);
        assert_eq!(live.get(), 0);
    }

    #[test]
    fn mut_view_is_exclusive() {
        let (live, slots) = (Cell::new(0), empty_slots::<4>());
        let t = table(&live, &slots);
        let r = Region::new(10, 10);
        t.borrow(r, BorrowKind::Mut).unwrap();
        assert!(!t.allows(Region::new(19, 1), BorrowKind::Shared));
        assert_eq!(
            t.borrow(Region::new(0, 11), BorrowKind::Shared),
            Err(GuestError::BorrowConflict(Region::new(0, 11)))
        );
        assert!(t.borrow(Region::new(5, 100), BorrowKind::Mut).is_err());
        assert!(t.allows(Region::new(20, 1), BorrowKind::Shared));
        // Releasing an entry that was never recorded changes nothing.
        t.release(Region::new(10, 10), BorrowKind::Shared);
        assert!(!t.allows(r, BorrowKind::Shared));
        t.release(r, BorrowKind::Mut);
        assert!(t.allows(r, BorrowKind::Shared));
    }

    #[test]
    fn table_full_is_an_error_not_a_panic() {
        let (live, slots) = (Cell::new(0), empty_slots::<MAX_VIEWS>());
        let t = table(&live, &slots);
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
        assert!(t.allows(Region::new(4, 1), BorrowKind::Shared));
        assert!(!t.allows(Region::new(4, 1), BorrowKind::Mut));
        assert!(t.allows(Region::new(3, 1), BorrowKind::Mut));
    }

    #[test]
    fn a_table_without_slots_refuses_every_view() {
        let (live, slots) = (Cell::new(0), empty_slots::<0>());
        let t = table(&live, &slots);
        let r = Region::new(0, 1);
        assert_eq!(
            t.borrow(r, BorrowKind::Shared),
            Err(GuestError::TooManyBorrows(r))
        );
        assert_eq!(live.get(), 0);
        assert!(t.allows(r, BorrowKind::Mut));
    }
}
