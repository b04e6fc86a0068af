//! The harness's state during one input, the dispatch of operations, and the checks after
//! each of them.

use std::fmt;
use std::ops::Range;
use std::rc::Rc;

use guestmem::{GuestError, GuestFrame, GuestPtr, Region, MAX_VIEWS};

use super::held::{Guard, Held};
use super::hostile::{Hostile, Stash};
use super::input::{Arr, Count, Elem, Fit, Off, Op, ViewElem};
use super::model::{overlaps, Entry, Loan, Model};
use super::rng::Rng;
use super::types::{Big, Huge, Iovec, Named, Padded, Tagged, Ty};

/// The harness's state during one input.
pub(super) struct World<'m> {
    pub(super) mem: &'m GuestFrame<'m>,
    pub(super) model: Model,
    /// The harness's own views and iterators.
    pub(super) guards: Vec<Guard<'m>>,
    /// Views kept by hostile `encode`s.
    pub(super) stash: Stash<'m>,
    /// Decoded hostile values that keep views.
    pub(super) values: Vec<Hostile<'m>>,
    /// The operation in progress, for reports.
    pub(super) op: Option<(usize, Op)>,
    /// A buffer for reading the memory back.
    pub(super) scratch: Vec<u8>,
}

/// The canonical bytes of one value.
pub(super) fn canon<'m, T: Ty<'m>>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    v.canon(&mut out);
    out
}

/// The canonical bytes of values.
pub(super) fn canon_all<'m, T: Ty<'m>>(items: &[T]) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.len().saturating_mul(8));
    for item in items {
        item.canon(&mut out);
    }
    out
}

/// The host range of a region that lies inside the memory.
pub(super) fn span(region: Region) -> Range<usize> {
    let start = usize::try_from(region.start).unwrap_or(usize::MAX);
    let len = usize::try_from(region.len).unwrap_or(0);
    start..start.saturating_add(len)
}

/// The parts of `range` that none of `covers` overlaps.
pub(super) fn uncovered(range: Range<usize>, covers: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut covers: Vec<Range<usize>> = covers
        .iter()
        .filter(|c| c.start < c.end && c.start < range.end && range.start < c.end)
        .cloned()
        .collect();
    covers.sort_by_key(|c| c.start);
    let mut out = Vec::new();
    let mut at = range.start;
    for c in covers {
        if c.start > at {
            out.push(at..c.start);
        }
        at = at.max(c.end);
    }
    if at < range.end {
        out.push(at..range.end);
    }
    out
}

/// A view as a boxed `Held`.
pub(super) fn boxed<'m, H: Held<'m> + 'm>(held: H) -> Box<dyn Held<'m> + 'm> {
    Box::new(held)
}

/// A view as a `Held`, for the dispatch macros.
pub(super) type Lent<'m> = Result<Box<dyn Held<'m> + 'm>, GuestError>;

/// A closure that lends an array of `$t` (shared or mutable) as a boxed `Held`: the views
/// are taken on concrete types, so the harness does not name the core's bound for them.
macro_rules! lend {
    ($lt:lifetime, $t:ty) => {
        |p: GuestPtr<$lt, [$t]>, mutable: bool| -> Lent<$lt> {
            if mutable {
                p.as_slice_mut().map(boxed)
            } else {
                p.as_slice().map(boxed)
            }
        }
    };
}

/// Calls `$self.$method::<T>($args)` with the element type named by `$elem`.
macro_rules! by_elem {
    ($self:ident, $elem:expr, $method:ident $([$n:literal])? ( $($arg:expr),* )) => {
        match $elem {
            Elem::U8 => $self.$method::<u8 $(, $n)?>($($arg),*),
            Elem::I8 => $self.$method::<i8 $(, $n)?>($($arg),*),
            Elem::U16 => $self.$method::<u16 $(, $n)?>($($arg),*),
            Elem::I16 => $self.$method::<i16 $(, $n)?>($($arg),*),
            Elem::U32 => $self.$method::<u32 $(, $n)?>($($arg),*),
            Elem::I32 => $self.$method::<i32 $(, $n)?>($($arg),*),
            Elem::U64 => $self.$method::<u64 $(, $n)?>($($arg),*),
            Elem::I64 => $self.$method::<i64 $(, $n)?>($($arg),*),
            Elem::F32 => $self.$method::<f32 $(, $n)?>($($arg),*),
            Elem::F64 => $self.$method::<f64 $(, $n)?>($($arg),*),
            Elem::Iovec => $self.$method::<Iovec<'_> $(, $n)?>($($arg),*),
            Elem::Padded => $self.$method::<Padded $(, $n)?>($($arg),*),
            Elem::Tagged => $self.$method::<Tagged $(, $n)?>($($arg),*),
            Elem::Ptr => $self.$method::<GuestPtr<'_, u8> $(, $n)?>($($arg),*),
            Elem::Big => $self.$method::<Big $(, $n)?>($($arg),*),
            Elem::Huge => $self.$method::<Huge $(, $n)?>($($arg),*),
            Elem::Arr3 => $self.$method::<[u16; 3] $(, $n)?>($($arg),*),
            Elem::Named => $self.$method::<Named $(, $n)?>($($arg),*),
        }
    };
}

impl<'m> World<'m> {
    pub(super) fn new(mem: &'m GuestFrame<'m>, model: Model) -> Self {
        World {
            mem,
            model,
            guards: Vec::new(),
            stash: Rc::default(),
            values: Vec::new(),
            op: None,
            scratch: Vec::new(),
        }
    }

    /// Reports a finding.
    #[track_caller]
    pub(super) fn fail(&self, what: impl fmt::Display) -> ! {
        match self.op {
            Some((n, op)) => panic!("core_model: operation #{n} {op:?}: {what}"),
            None => panic!("core_model: {what}"),
        }
    }

    /// `real` must be `expected`: the same value or the same error.
    #[track_caller]
    pub(super) fn same<T: PartialEq + fmt::Debug>(
        &self,
        what: &str,
        real: &Result<T, GuestError>,
        expected: &Result<T, GuestError>,
    ) {
        if real != expected {
            self.fail(format_args!(
                "{what}: guestmem gave {real:?}, the model {expected:?}"
            ));
        }
    }

    /// The live views the model knows of: the harness's, and those hostile code kept.
    pub(super) fn table(&self) -> Vec<Entry> {
        let mut table: Vec<Entry> = self
            .guards
            .iter()
            .filter_map(|g| g.loan.map(|l| (g.region, l)))
            .collect();
        table.extend(self.stash.borrow().iter().map(|k| (k.region, k.loan)));
        for v in &self.values {
            table.extend(v.kept.iter().map(|k| (k.region, k.loan)));
        }
        table
    }

    pub(super) fn off(&self, off: Off) -> u32 {
        match off {
            Off::Low(x) => u32::from(x),
            Off::Aligned(x) => u32::from(x) * 8,
            Off::NearEnd(d) => self
                .model
                .len()
                .checked_add_signed(i32::from(d))
                .unwrap_or(0),
            Off::High(x) => u32::MAX - u32::from(x),
            Off::Any(x) => x,
        }
    }

    pub(super) fn count(&self, count: Count, off: u32, size: u32) -> u32 {
        match count {
            Count::Small(x) => u32::from(x),
            Count::ToEnd(d) => (self.model.len().saturating_sub(off) / size.max(1))
                .checked_add_signed(i32::from(d))
                .unwrap_or(0),
            Count::Any(x) => x,
        }
    }

    /// An array of `size`-byte elements: offset and count.
    pub(super) fn arr(&self, arr: Arr, size: u32) -> (u32, u32) {
        let off = self.off(arr.off);
        (off, self.count(arr.count, off, size))
    }

    /// The length of the host buffer for a guest array of `n` elements of `size` bytes.
    ///
    /// Host buffers are kept small: up to the memory's length (plus a little) in elements,
    /// so that out-of-bounds arrays are still tried with matching lengths; past that the
    /// buffer has at most 256 elements (and so, for a longer array, another length).
    pub(super) fn fit(&self, fit: Fit, n: u32, size: u32) -> usize {
        let limit = (self.model.len() + 1024) / size.max(1) + 16;
        let len = if n > limit {
            n.min(256)
        } else {
            match fit {
                Fit::Exact => n,
                Fit::Plus(x) => n + u32::from(x),
                Fit::Minus(x) => n.saturating_sub(u32::from(x)),
            }
        };
        usize::try_from(len).unwrap_or(0)
    }

    /// What reading `len` bytes at `off` as an array of `T` must give.
    pub(super) fn expect_read<T: Ty<'m>>(
        &self,
        off: u32,
        count: u32,
    ) -> Result<Vec<u8>, GuestError> {
        let len = Model::array_len(count, T::GUEST_SIZE)?;
        let range = self
            .model
            .access(&self.table(), off, len, T::GUEST_ALIGN, false)?;
        Model::decode_all::<T>(&self.model.bytes[range])
    }

    pub(super) fn apply(&mut self, n: usize, op: Op) {
        self.op = Some((n, op));
        match op {
            Op::Read { elem, off } => by_elem!(self, elem, read(off)),
            Op::Write { elem, off, seed } => by_elem!(self, elem, write(off, seed)),
            Op::Get { elem, arr, index } => by_elem!(self, elem, get(arr, index)),
            Op::Iter { elem, arr, limit } => by_elem!(self, elem, iter(arr, limit)),
            Op::CopyOut { elem, arr, fit } => by_elem!(self, elem, copy_out(arr, fit)),
            Op::CopyIn {
                elem,
                arr,
                fit,
                seed,
            } => by_elem!(self, elem, copy_in(arr, fit, seed)),
            Op::Heapless { elem, arr, big } => {
                if big {
                    by_elem!(self, elem, heapless[64](arr))
                } else {
                    by_elem!(self, elem, heapless[8](arr))
                }
            }
            Op::ToVec { elem, arr } => by_elem!(self, elem, copy_to_vec(arr)),
            Op::Validate { elem, arr } => by_elem!(self, elem, validate(arr)),
            Op::ValidateWrite { elem, arr } => by_elem!(self, elem, validate_write(arr)),
            Op::ReadIter {
                elem,
                arr,
                take,
                hold,
            } => by_elem!(self, elem, read_iter(arr, take, hold)),
            Op::Gather { arr, lend, each } => self.gather(arr, lend, each),
            Op::StrCopy { arr, fit } => self.str_copy(arr, fit),
            Op::CopyUninit { arr, fit } => self.copy_uninit(arr, fit),
            Op::GatherUninit {
                pieces,
                n,
                fit,
                plan,
                act_before,
            } => self.gather_uninit(&pieces[..usize::from(n % 5)], fit, plan, act_before),
            Op::StrHeapless { arr, big } => {
                if big {
                    self.str_heapless::<64>(arr);
                } else {
                    self.str_heapless::<8>(arr);
                }
            }
            Op::StrToString { arr } => self.str_to_string(arr),
            Op::StrCow { arr, hold } => self.str_cow(arr, hold),
            Op::ViewStr {
                arr,
                hold,
                via_bytes,
            } => self.view_str(arr, hold, via_bytes),
            Op::View {
                elem,
                arr,
                mutable,
                hold,
            } => {
                let (a, m, h) = (self.arr(arr, Self::view_size(elem)), mutable, hold);
                match elem {
                    ViewElem::U8 => self.view::<u8>(a, m, h, lend!('m, u8)),
                    ViewElem::I8 => self.view::<i8>(a, m, h, lend!('m, i8)),
                    ViewElem::U16 => self.view::<u16>(a, m, h, lend!('m, u16)),
                    ViewElem::I16 => self.view::<i16>(a, m, h, lend!('m, i16)),
                    ViewElem::U32 => self.view::<u32>(a, m, h, lend!('m, u32)),
                    ViewElem::I32 => self.view::<i32>(a, m, h, lend!('m, i32)),
                    ViewElem::U64 => self.view::<u64>(a, m, h, lend!('m, u64)),
                    ViewElem::I64 => self.view::<i64>(a, m, h, lend!('m, i64)),
                    ViewElem::F32 => self.view::<f32>(a, m, h, lend!('m, f32)),
                    ViewElem::F64 => self.view::<f64>(a, m, h, lend!('m, f64)),
                }
            }
            Op::ViewMany {
                off,
                stride,
                len,
                count,
                mutable,
            } => {
                let mut at = self.off(off);
                for _ in 0..count % 32 {
                    self.view::<u8>((at, u32::from(len)), mutable, true, lend!('m, u8));
                    at = at.wrapping_add(u32::from(stride));
                }
            }
            Op::WriteThrough { guard, index, seed } => self.write_through(guard, index, seed),
            Op::Advance { guard, take } => self.advance(guard, take),
            Op::Drop { holder } => self.drop_holder(holder),
            Op::DropAll => {
                self.guards.clear();
                self.stash.borrow_mut().clear();
                self.values.clear();
            }
            Op::Hostile(h) => self.hostile(h),
            Op::ViewCall { arr, probe, value } => self.view_call(arr, probe, value),
        }
        self.verify();
    }
    pub(super) fn write_through(&mut self, guard: u8, index: u32, seed: u64) {
        let muts: Vec<usize> = (0..self.guards.len())
            .filter(|&i| self.guards[i].loan == Some(Loan::Mut))
            .collect();
        if muts.is_empty() {
            return;
        }
        let i = muts[usize::from(guard) % muts.len()];
        let g = &mut self.guards[i];
        let start = span(g.region).start;
        if let Some((at, bytes)) = g.held.write(self.mem, index, &mut Rng::new(seed)) {
            let at = start + at;
            self.model.bytes[at..at + bytes.len()].copy_from_slice(&bytes);
        }
    }

    pub(super) fn advance(&mut self, guard: u8, take: u8) {
        if self.guards.is_empty() {
            return;
        }
        let i = usize::from(guard) % self.guards.len();
        let table = self.table();
        if let Err(e) = self.guards[i]
            .held
            .advance(take, &self.model, &table, &mut self.values)
        {
            self.fail(e);
        }
    }

    pub(super) fn drop_holder(&mut self, holder: u8) {
        let stashed = self.stash.borrow().len();
        let total = self.guards.len() + stashed + self.values.len();
        if total == 0 {
            return;
        }
        let mut i = usize::from(holder) % total;
        if i < self.guards.len() {
            drop(self.guards.swap_remove(i));
            return;
        }
        i -= self.guards.len();
        if i < stashed {
            drop(self.stash.borrow_mut().swap_remove(i));
            return;
        }
        drop(self.values.swap_remove(i - stashed));
    }
    /// Keeps a decoded hostile value if it holds views.
    pub(super) fn keep(&mut self, v: Hostile<'m>) {
        if !v.kept.is_empty() {
            self.values.push(v);
        }
    }

    /// The checks after every operation.
    pub(super) fn verify(&mut self) {
        let table = self.table();
        // The memory's table holds as many views as the model's.
        let live = live_views(self.mem).unwrap_or_else(|e| self.fail(e));
        if live != table.len() {
            self.fail(format_args!(
                "the memory records {live} live views, the model {}",
                table.len()
            ));
        }
        if self.mem.has_live_views() == table.is_empty() {
            self.fail("has_live_views disagrees with the model");
        }
        // Every live view shows the model's bytes, and a shared one the bytes it was given.
        for g in &self.guards {
            let want = &self.model.bytes[span(g.region)];
            if g.snapshot.as_deref().is_some_and(|s| s != want) {
                self.fail(format_args!(
                    "bytes under a live shared view {:?} changed",
                    g.region
                ));
            }
            if g.held.bytes().is_some_and(|b| b != want) {
                self.fail(format_args!(
                    "guard {:?} ({:?}) shows other bytes than the model",
                    g.region, g.loan
                ));
            }
        }
        {
            let stash = self.stash.borrow();
            let kept = stash
                .iter()
                .chain(self.values.iter().flat_map(|v| v.kept.iter()));
            for k in kept {
                if k.bytes() != k.snapshot.as_slice() {
                    self.fail(format_args!(
                        "bytes under a view {:?} ({:?}) kept by user code changed while it lived",
                        k.region, k.loan
                    ));
                }
                if k.bytes() != &self.model.bytes[span(k.region)] {
                    self.fail(format_args!(
                        "view {:?} kept by user code shows other bytes than the model",
                        k.region
                    ));
                }
            }
        }
        // The rest of the memory, read back around the mutable views.
        let muts: Vec<Range<usize>> = table
            .iter()
            .filter(|(_, loan)| *loan == Loan::Mut)
            .map(|&(r, _)| span(r))
            .collect();
        for seg in uncovered(0..self.model.bytes.len(), &muts) {
            let (Ok(start), Ok(n)) = (u32::try_from(seg.start), u32::try_from(seg.len())) else {
                self.fail("memory past 4 GiB");
            };
            let mut got = std::mem::take(&mut self.scratch);
            got.resize(seg.len(), 0);
            if let Err(e) = GuestPtr::<[u8]>::new(self.mem, (start, n)).copy_to_slice(&mut got) {
                self.fail(format_args!("read-back of {seg:?} refused: {e:?}"));
            }
            if got != self.model.bytes[seg.clone()] {
                let at = got
                    .iter()
                    .zip(&self.model.bytes[seg.clone()])
                    .position(|(a, b)| a != b)
                    .map(|i| i + seg.start);
                self.fail(format_args!(
                    "memory differs from the model, first at byte {at:?}"
                ));
            }
            self.scratch = got;
        }
        // Keep the model's table honest about what it recorded.
        for (i, &(a, la)) in table.iter().enumerate() {
            for &(b, lb) in &table[i + 1..] {
                if overlaps(a, b) && (la == Loan::Mut || lb == Loan::Mut) {
                    self.fail(format_args!(
                        "two live views {a:?} ({la:?}) and {b:?} ({lb:?}) overlap"
                    ));
                }
            }
        }
    }

    /// Drops everything the harness holds; returns the model's bytes.
    pub(super) fn finish(mut self) -> Vec<u8> {
        self.op = None;
        self.guards.clear();
        self.values.clear();
        self.stash.borrow_mut().clear();
        if self.mem.has_live_views() {
            self.fail("views are still recorded after all were dropped");
        }
        std::mem::take(&mut self.model.bytes)
    }
}

/// How many views the memory's table records now: the number of empty views it still
/// accepts, taken from the capacity.
pub(super) fn live_views(mem: &GuestFrame<'_>) -> Result<usize, String> {
    let mut probes = Vec::with_capacity(MAX_VIEWS);
    for _ in 0..=MAX_VIEWS {
        match GuestPtr::<[u8]>::new(mem, (0, 0)).as_slice() {
            Ok(v) => probes.push(v),
            Err(GuestError::TooManyBorrows(_)) => {
                return Ok(MAX_VIEWS.saturating_sub(probes.len()));
            }
            Err(e) => return Err(format!("an empty view was refused: {e:?}")),
        }
    }
    Err(format!("the table took {} views", probes.len()))
}
