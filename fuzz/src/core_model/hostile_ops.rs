//! The operations on arrays of the hostile type.
//!
//! The core copies hostile elements one at a time through the stack, each checked against the
//! views right before its copy, and runs `decode`/`encode` only on those copies: so the model
//! can say exactly what each operation must give — the result, the views each decoded value or
//! `encode` keeps, and the bytes written — by walking the elements as the core documents it
//! ([`Model::read_elem`], [`Model::act`]). The loose check of old is kept beside the exact one:
//! a range the model refuses before any user code runs must be refused.

use guestmem::{GuestError, GuestPtr, Region};
use guestmem_alloc::GuestSliceExt;

use super::held::{Guard, Held, HostileIter};
use super::hostile::{Hostile, Kept, Plan, PlanIn, Shown};
use super::input::HostileOp;
use super::model::{Entry, Model};
use super::world::{span, World};

/// The plan of a value that takes nothing.
const BLANK: Plan = Plan {
    off: 0,
    len: 0,
    action: 0,
    fail: false,
};

impl<'m> World<'m> {
    /// Whether the model refuses an array of `n` hostile elements at `off` (with a host
    /// buffer of `host` elements) before any user code could matter: then guestmem must
    /// refuse it too.
    pub(super) fn refuses(
        &self,
        table: &[Entry],
        n: u32,
        host: usize,
        write: bool,
        off: u32,
    ) -> bool {
        usize::try_from(n) != Ok(host)
            || Model::array_len(n, 8)
                .and_then(|len| self.model.access(table, off, len, 4, write))
                .is_err()
    }

    /// Reading `n` hostile elements at `off` through `read_iter` (as `copy_to_slice`,
    /// `to_heapless` and `to_vec` do): the whole array checked, then each element in turn,
    /// the views earlier elements kept live. The elements decoded before an error, and the
    /// result.
    fn expect_elements(
        &self,
        table: &mut Vec<Entry>,
        off: u32,
        n: u32,
    ) -> (Vec<Shown>, Result<(), GuestError>) {
        let mut out = Vec::new();
        let checked = Model::array_len(n, 8)
            .and_then(|len| self.model.access(table, off, len, 4, false).map(|_| ()));
        if let Err(e) = checked {
            return (out, Err(e));
        }
        for i in 0..n {
            match self.model.read_elem(table, off + i * 8) {
                Ok(shown) => {
                    table.extend(shown.1.iter().copied());
                    out.push(shown);
                }
                Err(e) => return (out, Err(e)),
            }
        }
        (out, Ok(()))
    }

    /// What `guestmem_alloc`'s `to_vec` must give: `validate`, then element 0 read on its own
    /// (the value its `resize` fills with; its views live until the last slot is overwritten,
    /// so through the whole copy), then `copy_to_slice`. On error every value is dropped.
    fn expect_to_vec(&self, table: &[Entry], off: u32, n: u32) -> Result<Vec<Shown>, GuestError> {
        let len = Model::array_len(n, 8)?;
        self.model.access(table, off, len, 4, false)?;
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut table = table.to_vec();
        let (_, first) = self.model.read_elem(&table, off)?;
        table.extend(first);
        let (values, result) = self.expect_elements(&mut table, off, n);
        result.map(|()| values)
    }

    /// Keeps the decoded hostile values that hold views.
    fn keep_all(&mut self, values: impl IntoIterator<Item = Hostile<'m>>) {
        for v in values {
            self.keep(v);
        }
    }

    /// `real`'s values as the model shows them.
    fn shown_all<'v>(values: impl IntoIterator<Item = &'v Hostile<'m>>) -> Vec<Shown>
    where
        'm: 'v,
    {
        values.into_iter().map(Hostile::shown).collect()
    }

    /// The views hostile `encode`s kept from index `from` of the stash on.
    fn stashed_since(&self, from: usize) -> Vec<Entry> {
        self.stash
            .borrow()
            .iter()
            .skip(from)
            .map(Kept::entry)
            .collect()
    }

    /// A hostile operation.
    pub(super) fn hostile(&mut self, op: HostileOp) {
        let mem = self.mem;
        let table = self.table();
        let (what, ok, refused) = match op {
            HostileOp::Read { off } => {
                let off = self.off(off);
                let refused = self.refuses(&table, 1, 1, false, off);
                let real = GuestPtr::<Hostile<'m>>::new(mem, off).read();
                let expected = self
                    .model
                    .access(&table, off, 8, 4, false)
                    .and_then(|_| self.model.read_elem(&table, off));
                let shown = real.as_ref().map(Hostile::shown).map_err(|e| *e);
                self.same("hostile read", &shown, &expected);
                let ok = real.is_ok();
                if let Ok(v) = real {
                    self.keep(v);
                }
                ("read", ok, refused)
            }
            HostileOp::Write { off, plan } => {
                let off = self.off(off);
                let refused = self.refuses(&table, 1, 1, true, off);
                let plan = plan.plan();
                let before = self.stash.borrow().len();
                let value = Hostile::new(mem, plan, &self.stash);
                let real = GuestPtr::<Hostile<'m>>::new(mem, off).write(value);
                // `encode` runs first, on the stack; then the range is checked, with the view
                // it kept live.
                let kept = self.model.act(&table, plan);
                let mut after = table.clone();
                after.extend(kept);
                let expected = if plan.fail {
                    Err(GuestError::InvalidEnumValue("Hostile", u64::from(plan.off)))
                } else {
                    self.model.access(&after, off, 8, 4, true)
                };
                self.same("hostile write", &real, &expected.clone().map(|_| ()));
                let stashed = self.stashed_since(before);
                if stashed != kept.into_iter().collect::<Vec<_>>() {
                    self.fail(format_args!(
                        "hostile write: encode kept {stashed:?}, the model {kept:?}"
                    ));
                }
                if let Ok(range) = expected {
                    self.model.bytes[range].copy_from_slice(&plan.to_bytes());
                }
                ("write", real.is_ok(), refused)
            }
            HostileOp::CopyOut { arr, fit } => {
                let (off, n) = self.arr(arr, 8);
                let host = self.fit(fit, n, 8);
                let refused = self.refuses(&table, n, host, false, off);
                let mut dst = vec![Hostile::new(mem, BLANK, &self.stash); host];
                let real = GuestPtr::<[Hostile<'m>]>::new(mem, (off, n)).copy_to_slice(&mut dst);
                // On error the slots before the failing element keep what was decoded.
                let (mut want, expected) = if usize::try_from(n) == Ok(host) {
                    self.expect_elements(&mut table.clone(), off, n)
                } else {
                    (Vec::new(), Err(GuestError::SliceLengthsDiffer))
                };
                self.same("hostile copy_to_slice", &real, &expected);
                want.resize(host, (BLANK, Vec::new()));
                let shown = Self::shown_all(&dst);
                if shown != want {
                    self.fail(format_args!(
                        "hostile copy_to_slice: the slots hold {shown:?}, the model {want:?}"
                    ));
                }
                self.keep_all(dst);
                ("copy_to_slice", real.is_ok(), refused)
            }
            HostileOp::CopyIn { arr, fit, plans } => {
                let (off, n) = self.arr(arr, 8);
                let host = self.fit(fit, n, 8);
                let refused = self.refuses(&table, n, host, true, off);
                let before = self.stash.borrow().len();
                let src: Vec<Hostile<'m>> = (0..host)
                    .map(|i| Hostile::new(mem, plans[i % plans.len()].plan(), &self.stash))
                    .collect();
                let real = GuestPtr::<[Hostile<'m>]>::new(mem, (off, n)).copy_from_slice(&src);
                drop(src);
                let (kept, expected) = self.expect_copy_in(&table, off, n, host, &plans);
                self.same("hostile copy_from_slice", &real, &expected);
                let stashed = self.stashed_since(before);
                if stashed != kept {
                    self.fail(format_args!(
                        "hostile copy_from_slice: encode kept {stashed:?}, the model {kept:?}"
                    ));
                }
                ("copy_from_slice", real.is_ok(), refused)
            }
            HostileOp::Heapless { arr } => {
                let (off, n) = self.arr(arr, 8);
                // More than 8 elements: refused as a host buffer of another length is.
                let host = if n > 8 {
                    0
                } else {
                    usize::try_from(n).unwrap_or(0)
                };
                let refused = self.refuses(&table, n, host, false, off);
                let real = GuestPtr::<[Hostile<'m>]>::new(mem, (off, n)).to_heapless::<8>();
                let expected = if n > 8 {
                    Err(GuestError::BufferTooSmall {
                        needed: n,
                        available: 8,
                    })
                } else {
                    let (values, result) = self.expect_elements(&mut table.clone(), off, n);
                    result.map(|()| values)
                };
                let shown = real
                    .as_ref()
                    .map(|v| Self::shown_all(v.iter()))
                    .map_err(|e| *e);
                self.same("hostile to_heapless", &shown, &expected);
                let ok = real.is_ok();
                if let Ok(v) = real {
                    self.keep_all(v);
                }
                ("to_heapless", ok, refused)
            }
            HostileOp::ToVec { arr } => {
                let (off, n) = self.arr(arr, 8);
                let host = usize::try_from(n).unwrap_or(0);
                let refused = self.refuses(&table, n, host, false, off);
                let real = GuestPtr::<[Hostile<'m>]>::new(mem, (off, n)).to_vec();
                let expected = self.expect_to_vec(&table, off, n);
                let shown = real
                    .as_ref()
                    .map(|v| Self::shown_all(v.iter()))
                    .map_err(|e| *e);
                self.same("hostile to_vec", &shown, &expected);
                let ok = real.is_ok();
                if let Ok(v) = real {
                    self.keep_all(v);
                }
                ("to_vec", ok, refused)
            }
            HostileOp::ReadIter { arr, take, hold } => {
                let (off, n) = self.arr(arr, 8);
                // Taking the iterator checks the whole array as a read, and lends nothing.
                let real = GuestPtr::<[Hostile<'m>]>::new(mem, (off, n)).read_iter();
                let expected = Model::array_len(n, 8)
                    .and_then(|len| self.model.access(&table, off, len, 4, false).map(|_| len));
                self.same(
                    "hostile read_iter",
                    &real.as_ref().map(|_| ()).map_err(|e| *e),
                    &expected.map(|_| ()),
                );
                if let (Ok(iter), Ok(len)) = (real, expected) {
                    let mut held = HostileIter {
                        iter,
                        base: off,
                        count: n,
                        next: 0,
                    };
                    if let Err(e) = held.advance(take, &self.model, &table, &mut self.values) {
                        self.fail(e);
                    }
                    if hold {
                        self.guards.push(Guard {
                            region: Region::new(off, len),
                            loan: None,
                            snapshot: None,
                            held: Box::new(held),
                        });
                    }
                }
                return;
            }
        };
        if refused && ok {
            self.fail(format_args!(
                "hostile {what}: guestmem accepted a range the model refuses"
            ));
        }
    }

    /// What `copy_from_slice` of hostile values (plans `plans[i % 4]`) must do: lengths, the
    /// whole array checked as a write, then each value encoded on the stack (its view kept,
    /// even when it then fails) and its element checked against the views now and written.
    /// Writes the model's bytes as the core must; returns the views `encode` kept and the
    /// result.
    fn expect_copy_in(
        &mut self,
        table: &[Entry],
        off: u32,
        n: u32,
        host: usize,
        plans: &[PlanIn; 4],
    ) -> (Vec<Entry>, Result<(), GuestError>) {
        let mut kept = Vec::new();
        if usize::try_from(n) != Ok(host) {
            return (kept, Err(GuestError::SliceLengthsDiffer));
        }
        let checked = Model::array_len(n, 8)
            .and_then(|len| self.model.access(table, off, len, 4, true).map(|_| ()));
        if let Err(e) = checked {
            return (kept, Err(e));
        }
        let mut table = table.to_vec();
        for i in 0..n {
            let plan = plans[usize::try_from(i).unwrap_or(0) % plans.len()].plan();
            if let Some(view) = self.model.act(&table, plan) {
                table.push(view);
                kept.push(view);
            }
            if plan.fail {
                let e = GuestError::InvalidEnumValue("Hostile", u64::from(plan.off));
                return (kept, Err(e));
            }
            let region = Region::new(off + i * 8, 8);
            if Model::conflicts(&table, region, true) {
                return (kept, Err(GuestError::BorrowConflict(region)));
            }
            self.model.bytes[span(region)].copy_from_slice(&plan.to_bytes());
        }
        (kept, Ok(()))
    }
}
