//! A user `GuestType` written as an attacker would, in safe code: its `decode` and `encode`
//! take views of the memory they are given (through the `mem` argument, or the memory of a
//! `GuestPtr` they hold) and keep them — in the decoded value, or in a list shared with the
//! harness (`Rc<RefCell<..>>`) — while the core is in the middle of a bulk copy.
//!
//! The plan of what to take is 8 guest bytes (`decode` reads it from the element's own bytes,
//! which the fuzzer chooses; `encode` writes it), so a hostile element can point its view at a
//! later element of the same array.
//!
//! Since the core copies such elements one at a time through the stack, each checked against
//! the views right before its copy, what hostile code does is part of the model too:
//! [`Model::act`] is what [`act`] must do to the table of views, and [`Model::read_elem`] what
//! reading one element must give.

use std::cell::RefCell;
use std::rc::Rc;

use arbitrary::Arbitrary;
use guestmem::{
    FrameRef, GuestError, GuestFrame, GuestPtr, GuestSlice, GuestSliceMut, GuestStr, GuestType,
    Region,
};

use super::model::{Entry, Loan, Model};
use super::world::span;

/// What a hostile `decode`/`encode` does with the memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Guest offset of the region it takes.
    pub(crate) off: u32,
    /// Its length in bytes.
    pub(crate) len: u16,
    /// Which action (see [`act`]).
    pub(crate) action: u8,
    /// Whether `decode`/`encode` then fails (after acting).
    pub(crate) fail: bool,
}

impl Plan {
    /// The plan from its 8 guest bytes.
    pub(crate) fn from_bytes(b: [u8; 8]) -> Self {
        Plan {
            off: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            len: u16::from_le_bytes([b[4], b[5]]),
            action: b[6],
            fail: b[7] == 0xFF,
        }
    }

    /// Its 8 guest bytes.
    pub(crate) fn to_bytes(self) -> [u8; 8] {
        let [o0, o1, o2, o3] = self.off.to_le_bytes();
        let [l0, l1] = self.len.to_le_bytes();
        [
            o0,
            o1,
            o2,
            o3,
            l0,
            l1,
            self.action,
            if self.fail { 0xFF } else { 0 },
        ]
    }
}

/// A plan as the fuzzer gives it to an operation that encodes hostile values.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub(crate) struct PlanIn {
    pub(crate) off: u16,
    pub(crate) len: u16,
    pub(crate) action: u8,
    pub(crate) fail: bool,
}

impl PlanIn {
    /// The plan.
    pub(crate) fn plan(self) -> Plan {
        Plan {
            off: u32::from(self.off),
            len: self.len,
            action: self.action,
            fail: self.fail,
        }
    }
}

/// A view that hostile code took and kept.
pub(crate) enum HView<'m> {
    Shared(GuestSlice<'m, u8>),
    Mut(GuestSliceMut<'m, u8>),
    Str(GuestStr<'m>),
}

/// A kept view with what the harness needs to check it.
pub(crate) struct Kept<'m> {
    /// The region it lends.
    pub(crate) region: Region,
    /// How.
    pub(crate) loan: Loan,
    /// Its bytes when it was taken: nothing may change them while it lives.
    pub(crate) snapshot: Vec<u8>,
    /// The view.
    pub(crate) view: HView<'m>,
}

impl Kept<'_> {
    /// The region and loan the model records for it.
    pub(crate) fn entry(&self) -> Entry {
        (self.region, self.loan)
    }

    /// The bytes the view lends now.
    pub(crate) fn bytes(&self) -> &[u8] {
        match &self.view {
            HView::Shared(v) => v,
            HView::Mut(v) => v,
            HView::Str(v) => v.as_bytes(),
        }
    }
}

/// The views hostile `encode`s kept, shared with the harness.
pub(crate) type Stash<'m> = Rc<RefCell<Vec<Kept<'m>>>>;

/// Carries out `plan` on `mem`: possibly a view to keep.
pub(crate) fn act<'m>(mem: FrameRef<'m>, plan: Plan) -> Option<Kept<'m>> {
    let len = u32::from(plan.len);
    let bytes = GuestPtr::<[u8]>::new(mem, (plan.off, len));
    let region = Region::new(plan.off, len);
    let (loan, view) = match plan.action % 7 {
        1 => (Loan::Shared, HView::Shared(bytes.as_slice().ok()?)),
        2 => (Loan::Mut, HView::Mut(bytes.as_slice_mut().ok()?)),
        3 => (
            Loan::Shared,
            HView::Str(GuestPtr::<str>::new(mem, (plan.off, len)).as_str().ok()?),
        ),
        4 => {
            // Take a mutable view and let it go at once.
            drop(bytes.as_slice_mut());
            return None;
        }
        5 => {
            // Read through the memory during the copy.
            let _ = GuestPtr::<u32>::new(mem, plan.off).read();
            let _ = bytes.to_heapless::<16>();
            return None;
        }
        6 => {
            // Take a view through a guest pointer held as a value: the `GuestPtr` field
            // case (the pointer carries the memory).
            let field: GuestPtr<'m, u8> = GuestPtr::new(mem, plan.off);
            let view = field.as_array(len).as_slice_mut().ok()?;
            (Loan::Mut, HView::Mut(view))
        }
        _ => return None,
    };
    let mut kept = Kept {
        region,
        loan,
        snapshot: Vec::new(),
        view,
    };
    kept.snapshot = kept.bytes().to_vec();
    Some(kept)
}

/// The hostile element type: 8 bytes, aligned to 4, not transparent.
pub(crate) struct Hostile<'m> {
    /// A guest pointer it holds: `encode` takes its views through this pointer's memory.
    target: GuestPtr<'m, u8>,
    pub(crate) plan: Plan,
    /// Where `encode` keeps what it takes (`None` for decoded values).
    stash: Option<Stash<'m>>,
    /// What `decode` took.
    pub(crate) kept: Vec<Kept<'m>>,
}

impl<'m> Hostile<'m> {
    /// A value that `encode`s `plan`, keeping its views in `stash`.
    pub(crate) fn new(mem: &'m GuestFrame<'m>, plan: Plan, stash: &Stash<'m>) -> Self {
        Hostile {
            target: GuestPtr::new(mem, plan.off),
            plan,
            stash: Some(Rc::clone(stash)),
            kept: Vec::new(),
        }
    }
}

/// A clone keeps the plan, not the views (views cannot be cloned).
impl Clone for Hostile<'_> {
    fn clone(&self) -> Self {
        Hostile {
            target: self.target,
            plan: self.plan,
            stash: self.stash.clone(),
            kept: Vec::new(),
        }
    }
}

impl Hostile<'_> {
    /// What the model compares: the plan, and the views the value keeps.
    pub(crate) fn shown(&self) -> (Plan, Vec<Entry>) {
        (self.plan, self.kept.iter().map(Kept::entry).collect())
    }
}

/// A hostile element as the model expects it: its plan and the views it keeps.
pub(crate) type Shown = (Plan, Vec<Entry>);

impl Model {
    /// What [`act`] must do with `plan` while the live views are `table`: the view it takes
    /// and keeps, if any.
    pub(crate) fn act(&self, table: &[Entry], plan: Plan) -> Option<Entry> {
        let len = u32::from(plan.len);
        let region = Region::new(plan.off, len);
        match plan.action % 7 {
            1 => self
                .lend(table, plan.off, len, 1, Loan::Shared)
                .ok()
                .map(|_| (region, Loan::Shared)),
            2 | 6 => self
                .lend(table, plan.off, len, 1, Loan::Mut)
                .ok()
                .map(|_| (region, Loan::Mut)),
            3 => {
                let range = self.lend(table, plan.off, len, 1, Loan::Shared).ok()?;
                std::str::from_utf8(&self.bytes[range])
                    .ok()
                    .map(|_| (region, Loan::Shared))
            }
            // 4 takes a view and drops it, 5 reads: nothing is left.
            _ => None,
        }
    }

    /// What copying the hostile element at `at` (inside the memory, checked with its array)
    /// onto the stack and decoding it must give while the live views are `table`: a mutable
    /// view over it refuses it, else `decode` acts on the plan in its bytes.
    pub(crate) fn read_elem(&self, table: &[Entry], at: u32) -> Result<Shown, GuestError> {
        let region = Region::new(at, 8);
        if Self::conflicts(table, region, false) {
            return Err(GuestError::BorrowConflict(region));
        }
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&self.bytes[span(region)]);
        let plan = Plan::from_bytes(raw);
        let kept = self.act(table, plan);
        if plan.fail {
            // The view it took is dropped with the error.
            return Err(GuestError::InvalidEnumValue("Hostile", u64::from(plan.off)));
        }
        Ok((plan, kept.into_iter().collect()))
    }
}

impl<'m> GuestType<'m> for Hostile<'m> {
    const GUEST_SIZE: u32 = 8;
    const GUEST_ALIGN: u32 = 4;

    fn decode(mem: FrameRef<'m>, bytes: &[u8]) -> Result<Self, GuestError> {
        let raw: [u8; 8] =
            bytes
                .get(..8)
                .and_then(|b| b.try_into().ok())
                .ok_or(GuestError::BufferTooSmall {
                    needed: 8,
                    available: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
                })?;
        let plan = Plan::from_bytes(raw);
        let kept: Vec<Kept<'m>> = act(mem, plan).into_iter().collect();
        if plan.fail {
            return Err(GuestError::InvalidEnumValue("Hostile", u64::from(plan.off)));
        }
        Ok(Hostile {
            target: GuestPtr::new(mem, plan.off),
            plan,
            stash: None,
            kept,
        })
    }

    fn encode(&self, bytes: &mut [u8]) -> Result<(), GuestError> {
        if let (Some(kept), Some(stash)) = (act(self.target.mem(), self.plan), &self.stash) {
            stash.borrow_mut().push(kept);
        }
        if self.plan.fail {
            return Err(GuestError::InvalidEnumValue(
                "Hostile",
                u64::from(self.plan.off),
            ));
        }
        let available = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        bytes
            .get_mut(..8)
            .ok_or(GuestError::BufferTooSmall {
                needed: 8,
                available,
            })?
            .copy_from_slice(&self.plan.to_bytes());
        Ok(())
    }
}
