//! Target (a), `core_model`: guestmem against a reference model.
//!
//! An input is a memory (0 to 64 KiB, its host base aligned or one byte off an 8-byte
//! boundary, or a null base when empty) and a sequence of operations: scalar reads and writes
//! of every primitive and of guest structs, slice and string copies in and out (core and
//! `guestmem-alloc`), `validate`, `get`, `iter`, `read_iter`, zero-copy views taken and held
//! across later operations (up to the table's capacity and past it), writes through held
//! mutable views, and a hostile user type whose `decode`/`encode` take views and keep them.
//!
//! Every operation but the hostile ones is checked exactly against the model: the `Ok` value
//! (floats bitwise) or the error, variant and region. After every operation the harness
//! checks that the memory equals the model (read back around the live mutable views, whose
//! contents are checked through the views), that every live view still shows the bytes it was
//! given, and that the memory's table holds as many views as the model. Hostile operations
//! are checked loosely — no panic; an error where the model refuses the range; memory outside
//! the operation's own region unchanged — because the order in which the core runs user code
//! inside a bulk copy is not part of its contract; everything after them is exact again.
//! At the end all views are dropped and the host buffer itself is compared with the model.
//!
//! Any mismatch panics with the operation and what differed, which libFuzzer reports.

mod held;
mod hostile;
mod model;
mod rng;
mod types;

use std::fmt;
use std::ops::Range;
use std::rc::Rc;

use arbitrary::{Arbitrary, Unstructured};
use guestmem::{GuestError, GuestMemory, GuestPtr, Region, SliceMemory, MAX_VIEWS};
use guestmem_alloc::{GuestCowStr, GuestSliceExt, GuestStrExt};
use guestmem_tests::{HostBuffer, Placement};

use held::{Guard, Held, HostileIter, IterHeld};
use hostile::{Hostile, Plan, PlanIn, Stash};
use model::{overlaps, Entry, Loan, Model};
use rng::Rng;
use types::{Big, Huge, Iovec, Padded, Tagged, Ty};

/// Operations run per input at most.
const MAX_OPS: usize = 200;

/// Runs one input given as raw fuzzer bytes.
///
/// # Panics
///
/// On any difference between guestmem and the model: that is a finding.
pub fn run(data: &[u8]) {
    let u = Unstructured::new(data);
    if let Ok(input) = Input::arbitrary_take_rest(u) {
        run_input(&input);
    }
}

/// One input: a memory and what to do with it.
#[derive(Arbitrary, Debug)]
pub(crate) struct Input {
    size: Size,
    misaligned: bool,
    null_when_empty: bool,
    fill: Vec<u8>,
    ops: Vec<Op>,
}

/// The memory's size in bytes.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum Size {
    Tiny(u8),
    Small(u16),
    Any(u16),
    Full,
}

impl Size {
    fn bytes(self) -> usize {
        match self {
            Size::Tiny(x) => usize::from(x),
            Size::Small(x) => usize::from(x % 4097),
            Size::Any(x) => usize::from(x),
            Size::Full => 1 << 16,
        }
    }
}

/// A guest offset, relative to the places where checks change their answer.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum Off {
    Low(u16),
    /// A multiple of 8.
    Aligned(u16),
    /// The memory's length plus this.
    NearEnd(i8),
    /// `u32::MAX` minus this.
    High(u8),
    Any(u32),
}

/// An element count.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum Count {
    Small(u8),
    /// The elements that fit between the offset and the end of memory, plus this.
    ToEnd(i8),
    Any(u32),
}

/// An array: offset and element count.
#[derive(Arbitrary, Clone, Copy, Debug)]
struct Arr {
    off: Off,
    count: Count,
}

/// A host buffer's length relative to the guest array's.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum Fit {
    Exact,
    Plus(u8),
    Minus(u8),
}

/// The element types of copies.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum Elem {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    F32,
    F64,
    Ptr,
    Iovec,
    Padded,
    Tagged,
    Big,
    Huge,
}

/// The element types of views (those guestmem lends).
#[derive(Arbitrary, Clone, Copy, Debug)]
enum ViewElem {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    F32,
    F64,
}

#[derive(Arbitrary, Clone, Copy, Debug)]
enum Op {
    Read {
        elem: Elem,
        off: Off,
    },
    Write {
        elem: Elem,
        off: Off,
        seed: u64,
    },
    Get {
        elem: Elem,
        arr: Arr,
        index: Count,
    },
    Iter {
        elem: Elem,
        arr: Arr,
        limit: u8,
    },
    CopyOut {
        elem: Elem,
        arr: Arr,
        fit: Fit,
    },
    CopyIn {
        elem: Elem,
        arr: Arr,
        fit: Fit,
        seed: u64,
    },
    Heapless {
        elem: Elem,
        arr: Arr,
        big: bool,
    },
    ToVec {
        elem: Elem,
        arr: Arr,
    },
    Validate {
        elem: Elem,
        arr: Arr,
    },
    ReadIter {
        elem: Elem,
        arr: Arr,
        take: u8,
        hold: bool,
    },
    Gather {
        arr: Arr,
        lend: bool,
        each: u8,
    },
    StrCopy {
        arr: Arr,
        fit: Fit,
    },
    StrHeapless {
        arr: Arr,
        big: bool,
    },
    StrToString {
        arr: Arr,
    },
    StrCow {
        arr: Arr,
        hold: bool,
    },
    ViewStr {
        arr: Arr,
        hold: bool,
    },
    View {
        elem: ViewElem,
        arr: Arr,
        mutable: bool,
        hold: bool,
    },
    /// Up to 31 byte views at `off`, `off + stride`, ..., all held: fills the table.
    ViewMany {
        off: Off,
        stride: u8,
        len: u8,
        count: u8,
        mutable: bool,
    },
    WriteThrough {
        guard: u8,
        index: u32,
        seed: u64,
    },
    Advance {
        guard: u8,
        take: u8,
    },
    Drop {
        holder: u8,
    },
    DropAll,
    Hostile(HostileOp),
}

/// Operations on arrays of the hostile type.
#[derive(Arbitrary, Clone, Copy, Debug)]
enum HostileOp {
    Read {
        off: Off,
    },
    Write {
        off: Off,
        plan: PlanIn,
    },
    CopyOut {
        arr: Arr,
        fit: Fit,
    },
    CopyIn {
        arr: Arr,
        fit: Fit,
        plans: [PlanIn; 4],
    },
    Heapless {
        arr: Arr,
    },
    ToVec {
        arr: Arr,
    },
    ReadIter {
        arr: Arr,
        take: u8,
        hold: bool,
    },
}

/// Runs one structured input.
///
/// # Panics
///
/// On any difference between guestmem and the model.
pub(crate) fn run_input(input: &Input) {
    let size = input.size.bytes();
    let (placement, host_skew) = if input.misaligned {
        (Placement::Misaligned, 1)
    } else {
        (Placement::Aligned, 0)
    };
    let mut buf = HostBuffer::new(size, placement);
    let fill = input.fill.get(..input.fill.len().min(64)).unwrap_or(&[]);
    if !fill.is_empty() {
        for (b, f) in buf.bytes_mut().iter_mut().zip(fill.iter().cycle()) {
            *b = *f;
        }
    }
    let model = Model {
        bytes: buf.bytes_mut().to_vec(),
        host_skew,
    };
    let expected = {
        let mem = if size == 0 && input.null_when_empty {
            SliceMemory::empty()
        } else {
            buf.memory()
        };
        let mut world = World::new(&mem, model);
        for (n, op) in input.ops.iter().take(MAX_OPS).enumerate() {
            world.apply(n, *op);
        }
        world.finish()
    };
    if buf.bytes_mut() != expected.as_slice() {
        let at = buf
            .bytes_mut()
            .iter()
            .zip(&expected)
            .position(|(a, b)| a != b);
        panic!("core_model: host buffer differs from the model at the end, first at byte {at:?}");
    }
}

/// The harness's state during one input.
struct World<'m> {
    mem: &'m dyn GuestMemory,
    model: Model,
    /// The harness's own views and iterators.
    guards: Vec<Guard<'m>>,
    /// Views kept by hostile `encode`s.
    stash: Stash<'m>,
    /// Decoded hostile values that keep views.
    values: Vec<Hostile<'m>>,
    /// The operation in progress, for reports.
    op: Option<(usize, Op)>,
    /// A buffer for reading the memory back.
    scratch: Vec<u8>,
}

/// The canonical bytes of one value.
fn canon<'m, T: Ty<'m>>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    v.canon(&mut out);
    out
}

/// The canonical bytes of values.
fn canon_all<'m, T: Ty<'m>>(items: &[T]) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.len().saturating_mul(8));
    for item in items {
        item.canon(&mut out);
    }
    out
}

/// The host range of a region that lies inside the memory.
fn span(region: Region) -> Range<usize> {
    let start = usize::try_from(region.start).unwrap_or(usize::MAX);
    let len = usize::try_from(region.len).unwrap_or(0);
    start..start.saturating_add(len)
}

/// The parts of `range` that none of `covers` overlaps.
fn uncovered(range: Range<usize>, covers: &[Range<usize>]) -> Vec<Range<usize>> {
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
fn boxed<'m, H: Held<'m> + 'm>(held: H) -> Box<dyn Held<'m> + 'm> {
    Box::new(held)
}

/// A view as a `Held`, for the dispatch macros.
type Lent<'m> = Result<Box<dyn Held<'m> + 'm>, GuestError>;

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
        }
    };
}

impl<'m> World<'m> {
    fn new(mem: &'m dyn GuestMemory, model: Model) -> Self {
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
    fn fail(&self, what: impl fmt::Display) -> ! {
        match self.op {
            Some((n, op)) => panic!("core_model: operation #{n} {op:?}: {what}"),
            None => panic!("core_model: {what}"),
        }
    }

    /// `real` must be `expected`: the same value or the same error.
    #[track_caller]
    fn same<T: PartialEq + fmt::Debug>(
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
    fn table(&self) -> Vec<Entry> {
        let mut table: Vec<Entry> = self.guards.iter().map(|g| (g.region, g.loan)).collect();
        table.extend(self.stash.borrow().iter().map(|k| (k.region, k.loan)));
        for v in &self.values {
            table.extend(v.kept.iter().map(|k| (k.region, k.loan)));
        }
        table
    }

    fn off(&self, off: Off) -> u32 {
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

    fn count(&self, count: Count, off: u32, size: u32) -> u32 {
        match count {
            Count::Small(x) => u32::from(x),
            Count::ToEnd(d) => (self.model.len().saturating_sub(off) / size.max(1))
                .checked_add_signed(i32::from(d))
                .unwrap_or(0),
            Count::Any(x) => x,
        }
    }

    /// An array of `size`-byte elements: offset and count.
    fn arr(&self, arr: Arr, size: u32) -> (u32, u32) {
        let off = self.off(arr.off);
        (off, self.count(arr.count, off, size))
    }

    /// The length of the host buffer for a guest array of `n` elements of `size` bytes.
    ///
    /// Host buffers are kept small: up to the memory's length (plus a little) in elements,
    /// so that out-of-bounds arrays are still tried with matching lengths; past that the
    /// buffer has at most 256 elements (and so, for a longer array, another length).
    fn fit(&self, fit: Fit, n: u32, size: u32) -> usize {
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
    fn expect_read<T: Ty<'m>>(&self, off: u32, count: u32) -> Result<Vec<u8>, GuestError> {
        let len = Model::array_len(count, T::GUEST_SIZE)?;
        let range = self
            .model
            .access(&self.table(), off, len, T::GUEST_ALIGN, false)?;
        Model::decode_all::<T>(&self.model.bytes[range])
    }

    fn apply(&mut self, n: usize, op: Op) {
        self.op = Some((n, op));
        hostile::set_op_number(n);
        let mut changed = None;
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
            Op::ReadIter {
                elem,
                arr,
                take,
                hold,
            } => by_elem!(self, elem, read_iter(arr, take, hold)),
            Op::Gather { arr, lend, each } => self.gather(arr, lend, each),
            Op::StrCopy { arr, fit } => self.str_copy(arr, fit),
            Op::StrHeapless { arr, big } => {
                if big {
                    self.str_heapless::<64>(arr);
                } else {
                    self.str_heapless::<8>(arr);
                }
            }
            Op::StrToString { arr } => self.str_to_string(arr),
            Op::StrCow { arr, hold } => self.str_cow(arr, hold),
            Op::ViewStr { arr, hold } => self.view_str(arr, hold),
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
            Op::Hostile(h) => changed = self.hostile(h),
        }
        if let Some(region) = changed {
            self.resync(region, n);
        }
        self.verify();
    }

    fn read<T: Ty<'m>>(&mut self, off: Off) {
        let off = self.off(off);
        let real = GuestPtr::<T>::new(self.mem, off).read().map(|v| canon(&v));
        self.same("read", &real, &self.expect_read::<T>(off, 1));
    }

    fn write<T: Ty<'m>>(&mut self, off: Off, seed: u64) {
        let off = self.off(off);
        let value = T::make(self.mem, &mut Rng::new(seed));
        let mut image = Vec::new();
        value.image(&mut image);
        let real = GuestPtr::<T>::new(self.mem, off).write(value);
        let expected = self
            .model
            .access(&self.table(), off, T::GUEST_SIZE, T::GUEST_ALIGN, true);
        self.same("write", &real, &expected.clone().map(|_| ()));
        if let Ok(range) = expected {
            self.model.bytes[range].copy_from_slice(&image);
        }
    }

    fn get<T: Ty<'m>>(&mut self, arr: Arr, index: Count) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let index = self.count(index, off, T::GUEST_SIZE);
        let real = GuestPtr::<[T]>::new(self.mem, (off, n))
            .get(index)
            .map(|p| (p.offset(), p.read().map(|v| canon(&v))));
        let at = u64::from(off) + u64::from(index) * u64::from(T::GUEST_SIZE);
        let expected = match u32::try_from(at) {
            Ok(at) if index < n => Some((at, self.expect_read::<T>(at, 1))),
            _ => None,
        };
        if real != expected {
            self.fail(format_args!(
                "get({index}): guestmem gave {real:?}, the model {expected:?}"
            ));
        }
    }

    fn iter<T: Ty<'m>>(&mut self, arr: Arr, limit: u8) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let mut iter = GuestPtr::<[T]>::new(self.mem, (off, n)).iter();
        for i in 0..=u32::from(limit) {
            let real = iter
                .next()
                .map(|p| p.map(|p| (p.offset(), p.read().map(|v| canon(&v)))));
            let at = u64::from(off) + u64::from(i) * u64::from(T::GUEST_SIZE);
            let expected = if i >= n {
                None
            } else {
                match u32::try_from(at) {
                    Ok(at) => Some(Ok((at, self.expect_read::<T>(at, 1)))),
                    Err(_) => Some(Err(GuestError::PtrOverflow)),
                }
            };
            if real != expected {
                self.fail(format_args!(
                    "iter item {i}: guestmem gave {real:?}, the model {expected:?}"
                ));
            }
            if !matches!(expected, Some(Ok(_))) {
                // Past the end, or after an overflow: the iterator is done for good.
                if let Some(more) = iter.next() {
                    self.fail(format_args!("iter yielded {more:?} after its end"));
                }
                break;
            }
        }
    }

    fn copy_out<T: Ty<'m>>(&mut self, arr: Arr, fit: Fit) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let host = self.fit(fit, n, T::GUEST_SIZE);
        let mut rng = Rng::new(u64::from(n));
        let mut dst = vec![T::make(self.mem, &mut rng); host];
        let real = GuestPtr::<[T]>::new(self.mem, (off, n))
            .copy_to_slice(&mut dst)
            .map(|()| canon_all(&dst));
        let expected = if usize::try_from(n) != Ok(host) {
            Err(GuestError::SliceLengthsDiffer)
        } else {
            self.expect_read::<T>(off, n)
        };
        self.same("copy_to_slice", &real, &expected);
    }

    fn copy_in<T: Ty<'m>>(&mut self, arr: Arr, fit: Fit, seed: u64) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let host = self.fit(fit, n, T::GUEST_SIZE);
        let mut rng = Rng::new(seed);
        let src: Vec<T> = (0..host).map(|_| T::make(self.mem, &mut rng)).collect();
        let mut image = Vec::new();
        for v in &src {
            v.image(&mut image);
        }
        let real = GuestPtr::<[T]>::new(self.mem, (off, n)).copy_from_slice(&src);
        let expected = if usize::try_from(n) != Ok(host) {
            Err(GuestError::SliceLengthsDiffer)
        } else {
            Model::array_len(n, T::GUEST_SIZE).and_then(|len| {
                self.model
                    .access(&self.table(), off, len, T::GUEST_ALIGN, true)
            })
        };
        self.same("copy_from_slice", &real, &expected.clone().map(|_| ()));
        if let Ok(range) = expected {
            self.model.bytes[range].copy_from_slice(&image);
        }
    }

    fn heapless<T: Ty<'m>, const N: usize>(&mut self, arr: Arr) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let real = GuestPtr::<[T]>::new(self.mem, (off, n))
            .to_heapless::<N>()
            .map(|v| canon_all(&v));
        let expected = if usize::try_from(n).map_or(true, |n| n > N) {
            Err(GuestError::BufferTooSmall {
                needed: n,
                available: u32::try_from(N).unwrap_or(u32::MAX),
            })
        } else {
            self.expect_read::<T>(off, n)
        };
        self.same("to_heapless", &real, &expected);
    }

    fn copy_to_vec<T: Ty<'m>>(&mut self, arr: Arr) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let real = GuestPtr::<[T]>::new(self.mem, (off, n))
            .to_vec()
            .map(|v| canon_all(&v));
        self.same("to_vec", &real, &self.expect_read::<T>(off, n));
    }

    fn validate<T: Ty<'m>>(&mut self, arr: Arr) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let real = GuestPtr::<[T]>::new(self.mem, (off, n)).validate();
        let expected = Model::array_len(n, T::GUEST_SIZE).and_then(|len| {
            self.model
                .access(&self.table(), off, len, T::GUEST_ALIGN, false)
                .map(|_| ())
        });
        self.same("validate", &real, &expected);
    }

    fn read_iter<T: Ty<'m>>(&mut self, arr: Arr, take: u8, hold: bool) {
        let (off, n) = self.arr(arr, T::GUEST_SIZE);
        let real = GuestPtr::<[T]>::new(self.mem, (off, n)).read_iter();
        let expected = Model::array_len(n, T::GUEST_SIZE).and_then(|len| {
            self.model
                .lend(&self.table(), off, len, T::GUEST_ALIGN, Loan::Shared)
                .map(|r| (len, r))
        });
        self.same(
            "read_iter",
            &real.as_ref().map(|_| ()).map_err(|e| *e),
            &expected.clone().map(|_| ()),
        );
        let (Ok(iter), Ok((len, range))) = (real, expected) else {
            return;
        };
        let mut held = IterHeld {
            iter,
            base: off,
            count: n,
            next: 0,
        };
        if let Err(e) = held.advance(take, &self.model, &mut self.values) {
            self.fail(e);
        }
        if hold {
            let snapshot = Some(self.model.bytes[range].to_vec());
            self.guards.push(Guard {
                region: Region::new(off, len),
                loan: Loan::Shared,
                snapshot,
                held: Box::new(held),
            });
        }
    }

    /// WASI's gather: an array of iovecs read from the guest (copied out, or lent through
    /// `read_iter`), then each buffer its `GuestPtr` field points to (copied, or lent).
    fn gather(&mut self, arr: Arr, lend: bool, each: u8) {
        let (off, n) = self.arr(arr, 8);
        let p = GuestPtr::<[Iovec<'m>]>::new(self.mem, (off, n));
        let (real, expected) = if lend {
            let expected = Model::array_len(n, 8).and_then(|len| {
                self.model
                    .lend(&self.table(), off, len, 4, Loan::Shared)
                    .map(|_| ())
            });
            let expected = expected.and_then(|()| self.expect_read::<Iovec<'m>>(off, n));
            (
                p.read_iter()
                    .and_then(|it| it.collect::<Result<Vec<_>, _>>()),
                expected,
            )
        } else {
            (p.to_vec(), self.expect_read::<Iovec<'m>>(off, n))
        };
        let canon = real.as_ref().map(|v| canon_all(v)).map_err(|e| *e);
        self.same("gather: iovecs", &canon, &expected);
        let Ok(iovs) = real else { return };
        for (i, iov) in iovs.iter().take(usize::from(each % 16)).enumerate() {
            let bytes = iov.buf.as_array(iov.buf_len);
            let table = self.table();
            let (what, real, expected) = if i % 2 == 1 {
                let real = bytes.as_slice().map(|v| v.to_vec());
                let expected =
                    self.model
                        .lend(&table, iov.buf.offset(), iov.buf_len, 1, Loan::Shared);
                ("gather: lend buffer", real, expected)
            } else {
                let real = bytes.to_vec();
                let expected = self
                    .model
                    .access(&table, iov.buf.offset(), iov.buf_len, 1, false);
                ("gather: copy buffer", real, expected)
            };
            let expected = expected.map(|r| self.model.bytes[r].to_vec());
            self.same(what, &real, &expected);
        }
    }

    /// What the model's bytes in `range` must give as a string.
    fn expect_str(&self, range: Range<usize>) -> Result<Vec<u8>, GuestError> {
        let bytes = &self.model.bytes[range];
        std::str::from_utf8(bytes)
            .map(|s| s.as_bytes().to_vec())
            .map_err(GuestError::InvalidUtf8)
    }

    fn str_copy(&mut self, arr: Arr, fit: Fit) {
        let (off, len) = self.arr(arr, 1);
        let host = self.fit(fit, len, 1);
        let mut buf = vec![0xA5u8; host];
        let real = GuestPtr::<str>::new(self.mem, (off, len))
            .copy_to_buf(&mut buf)
            .map(|s| s.as_bytes().to_vec());
        let expected = if usize::try_from(len).map_or(true, |l| l > host) {
            Err(GuestError::BufferTooSmall {
                needed: len,
                available: u32::try_from(host).unwrap_or(u32::MAX),
            })
        } else {
            self.model
                .access(&self.table(), off, len, 1, false)
                .and_then(|r| self.expect_str(r))
        };
        self.same("copy_to_buf", &real, &expected);
        if let Some(tail) = usize::try_from(len).ok().and_then(|l| buf.get(l..)) {
            if tail.iter().any(|&b| b != 0xA5) {
                self.fail("copy_to_buf wrote past the string in the caller's buffer");
            }
        }
    }

    fn str_heapless<const N: usize>(&mut self, arr: Arr) {
        let (off, len) = self.arr(arr, 1);
        let real = GuestPtr::<str>::new(self.mem, (off, len))
            .to_heapless::<N>()
            .map(|s| s.as_bytes().to_vec());
        let expected = if usize::try_from(len).map_or(true, |l| l > N) {
            Err(GuestError::BufferTooSmall {
                needed: len,
                available: u32::try_from(N).unwrap_or(u32::MAX),
            })
        } else {
            self.model
                .access(&self.table(), off, len, 1, false)
                .and_then(|r| self.expect_str(r))
        };
        self.same("str to_heapless", &real, &expected);
    }

    fn str_to_string(&mut self, arr: Arr) {
        let (off, len) = self.arr(arr, 1);
        let real = GuestPtr::<str>::new(self.mem, (off, len))
            .to_string()
            .map(String::into_bytes);
        let expected = self
            .model
            .access(&self.table(), off, len, 1, false)
            .and_then(|r| self.expect_str(r));
        self.same("to_string", &real, &expected);
    }

    /// Holds a string view as a guard.
    fn hold_str(&mut self, view: guestmem::GuestStr<'m>, off: u32, len: u32) {
        let snapshot = Some(view.as_bytes().to_vec());
        self.guards.push(Guard {
            region: Region::new(off, len),
            loan: Loan::Shared,
            snapshot,
            held: Box::new(view),
        });
    }

    fn str_cow(&mut self, arr: Arr, hold: bool) {
        let (off, len) = self.arr(arr, 1);
        let real = GuestPtr::<str>::new(self.mem, (off, len)).as_cow_str();
        let table = self.table();
        // As `as_str`, except that a full table falls back to a copy.
        let expected = match self.model.lend(&table, off, len, 1, Loan::Shared) {
            Ok(r) => self.expect_str(r).map(|s| (true, s)),
            Err(GuestError::TooManyBorrows(_)) => self
                .model
                .access(&table, off, len, 1, false)
                .and_then(|r| self.expect_str(r))
                .map(|s| (false, s)),
            Err(e) => Err(e),
        };
        let shown = real
            .as_ref()
            .map(|c| (matches!(c, GuestCowStr::Borrowed(_)), c.as_bytes().to_vec()))
            .map_err(|e| *e);
        self.same("as_cow_str (borrowed?, bytes)", &shown, &expected);
        if let (Ok(GuestCowStr::Borrowed(view)), true) = (real, hold) {
            self.hold_str(view, off, len);
        }
    }

    fn view_str(&mut self, arr: Arr, hold: bool) {
        let (off, len) = self.arr(arr, 1);
        let real = GuestPtr::<str>::new(self.mem, (off, len)).as_str();
        let expected = self
            .model
            .lend(&self.table(), off, len, 1, Loan::Shared)
            .and_then(|r| self.expect_str(r));
        let shown = real.as_ref().map(|v| v.as_bytes().to_vec()).map_err(|e| *e);
        self.same("as_str", &shown, &expected);
        if let (Ok(view), true) = (real, hold) {
            self.hold_str(view, off, len);
        }
    }

    /// The guest size of a view's element type.
    fn view_size(elem: ViewElem) -> u32 {
        match elem {
            ViewElem::U8 | ViewElem::I8 => 1,
            ViewElem::U16 | ViewElem::I16 => 2,
            ViewElem::U32 | ViewElem::I32 | ViewElem::F32 => 4,
            ViewElem::U64 | ViewElem::I64 | ViewElem::F64 => 8,
        }
    }

    fn view<T: Ty<'m>>(
        &mut self,
        (off, n): (u32, u32),
        mutable: bool,
        hold: bool,
        take: impl FnOnce(GuestPtr<'m, [T]>, bool) -> Lent<'m>,
    ) {
        let loan = if mutable { Loan::Mut } else { Loan::Shared };
        let real = take(GuestPtr::new(self.mem, (off, n)), mutable);
        let expected = Model::array_len(n, T::GUEST_SIZE).and_then(|len| {
            let range = self
                .model
                .lend(&self.table(), off, len, T::GUEST_ALIGN, loan)?;
            // A Rust reference needs the host address aligned for the host type.
            let align = core::mem::align_of::<T>();
            if len != 0 && self.model.host_misaligned(off, align) {
                return Err(GuestError::PtrNotAligned(
                    Region::new(off, len),
                    u32::try_from(align).unwrap_or(u32::MAX),
                ));
            }
            Ok((len, range))
        });
        let shown = real
            .as_ref()
            .map(|v| v.bytes().unwrap_or_default().to_vec())
            .map_err(|e| *e);
        let want = expected
            .clone()
            .map(|(_, range)| self.model.bytes[range].to_vec());
        self.same(
            if mutable { "as_slice_mut" } else { "as_slice" },
            &shown,
            &want,
        );
        if let (Ok(held), Ok((len, range)), true) = (real, expected, hold) {
            let snapshot = (!mutable).then(|| self.model.bytes[range].to_vec());
            self.guards.push(Guard {
                region: Region::new(off, len),
                loan,
                snapshot,
                held,
            });
        }
    }

    fn write_through(&mut self, guard: u8, index: u32, seed: u64) {
        let muts: Vec<usize> = (0..self.guards.len())
            .filter(|&i| self.guards[i].loan == Loan::Mut)
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

    fn advance(&mut self, guard: u8, take: u8) {
        if self.guards.is_empty() {
            return;
        }
        let i = usize::from(guard) % self.guards.len();
        if let Err(e) = self.guards[i]
            .held
            .advance(take, &self.model, &mut self.values)
        {
            self.fail(e);
        }
    }

    fn drop_holder(&mut self, holder: u8) {
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

    /// Whether the model refuses an array of `n` hostile elements at `off` (with a host
    /// buffer of `host` elements) before any user code could matter: then guestmem must
    /// refuse it too, and change nothing.
    fn refuses(&self, table: &[Entry], n: u32, host: usize, write: bool, off: u32) -> bool {
        usize::try_from(n) != Ok(host)
            || Model::array_len(n, 8)
                .and_then(|len| self.model.access(table, off, len, 4, write))
                .is_err()
    }

    /// Keeps the decoded hostile values that hold views; checks their number.
    fn keep_all(&mut self, what: &str, values: impl ExactSizeIterator<Item = Hostile<'m>>, n: u32) {
        if values.len() != usize::try_from(n).unwrap_or(0) {
            self.fail(format_args!(
                "hostile {what} gave {} of {n} elements",
                values.len()
            ));
        }
        for v in values {
            self.keep(v);
        }
    }

    /// A hostile operation: returns the region it may have written.
    fn hostile(&mut self, op: HostileOp) -> Option<Region> {
        let mem = self.mem;
        let table = self.table();
        let blank = Plan {
            off: 0,
            len: 0,
            action: 0,
            fail: false,
        };
        let (what, ok, refused, written) = match op {
            HostileOp::Read { off } => {
                let off = self.off(off);
                let refused = self.refuses(&table, 1, 1, false, off);
                let real = GuestPtr::<Hostile<'m>>::new(mem, off).read();
                let ok = real.is_ok();
                if let Ok(v) = real {
                    self.keep(v);
                }
                ("read", ok, refused, None)
            }
            HostileOp::Write { off, plan } => {
                let off = self.off(off);
                let refused = self.refuses(&table, 1, 1, true, off);
                let value = Hostile::new(mem, plan.plan(), &self.stash);
                let ok = GuestPtr::<Hostile<'m>>::new(mem, off).write(value).is_ok();
                ("write", ok, refused, Some(Region::new(off, 8)))
            }
            HostileOp::CopyOut { arr, fit } => {
                let (off, n) = self.arr(arr, 8);
                let host = self.fit(fit, n, 8);
                let refused = self.refuses(&table, n, host, false, off);
                let mut dst = vec![Hostile::new(mem, blank, &self.stash); host];
                let ok = GuestPtr::<[Hostile<'m>]>::new(mem, (off, n))
                    .copy_to_slice(&mut dst)
                    .is_ok();
                for v in dst {
                    self.keep(v);
                }
                ("copy_to_slice", ok, refused, None)
            }
            HostileOp::CopyIn { arr, fit, plans } => {
                let (off, n) = self.arr(arr, 8);
                let host = self.fit(fit, n, 8);
                let refused = self.refuses(&table, n, host, true, off);
                let src: Vec<Hostile<'m>> = (0..host)
                    .map(|i| Hostile::new(mem, plans[i % plans.len()].plan(), &self.stash))
                    .collect();
                let ok = GuestPtr::<[Hostile<'m>]>::new(mem, (off, n))
                    .copy_from_slice(&src)
                    .is_ok();
                drop(src);
                let written = Model::array_len(n, 8).ok().map(|l| Region::new(off, l));
                ("copy_from_slice", ok, refused, written)
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
                let ok = real.is_ok();
                if let Ok(v) = real {
                    self.keep_all("to_heapless", v.into_iter(), n);
                }
                ("to_heapless", ok, refused, None)
            }
            HostileOp::ToVec { arr } => {
                let (off, n) = self.arr(arr, 8);
                let host = usize::try_from(n).unwrap_or(0);
                let refused = self.refuses(&table, n, host, false, off);
                let real = GuestPtr::<[Hostile<'m>]>::new(mem, (off, n)).to_vec();
                let ok = real.is_ok();
                if let Ok(v) = real {
                    self.keep_all("to_vec", v.into_iter(), n);
                }
                ("to_vec", ok, refused, None)
            }
            HostileOp::ReadIter { arr, take, hold } => {
                let (off, n) = self.arr(arr, 8);
                // Taking the iterator runs no user code: exact.
                let real = GuestPtr::<[Hostile<'m>]>::new(mem, (off, n)).read_iter();
                let expected = Model::array_len(n, 8).and_then(|len| {
                    self.model
                        .lend(&table, off, len, 4, Loan::Shared)
                        .map(|r| (len, r))
                });
                self.same(
                    "hostile read_iter",
                    &real.as_ref().map(|_| ()).map_err(|e| *e),
                    &expected.clone().map(|_| ()),
                );
                if let (Ok(iter), Ok((len, range))) = (real, expected) {
                    let mut held = HostileIter { iter, left: n };
                    if let Err(e) = held.advance(take, &self.model, &mut self.values) {
                        self.fail(e);
                    }
                    if hold {
                        self.guards.push(Guard {
                            region: Region::new(off, len),
                            loan: Loan::Shared,
                            snapshot: Some(self.model.bytes[range].to_vec()),
                            held: Box::new(held),
                        });
                    }
                }
                return None;
            }
        };
        if refused && ok {
            self.fail(format_args!(
                "hostile {what}: guestmem accepted a range the model refuses"
            ));
        }
        if refused {
            None
        } else {
            written
        }
    }

    /// Keeps a decoded hostile value if it holds views.
    fn keep(&mut self, v: Hostile<'m>) {
        if !v.kept.is_empty() {
            self.values.push(v);
        }
    }

    /// After a hostile write to `region`: the model takes the memory's bytes there, except
    /// under mutable views taken before this operation (nothing may have written those; the
    /// checks of `verify` see it if something did). Under a mutable view hostile code took
    /// during this operation, the model takes the bytes the view showed when it was taken.
    fn resync(&mut self, region: Region, op_number: usize) {
        let len = self.model.bytes.len();
        let r = span(region);
        let r = r.start.min(len)..r.end.min(len);
        if r.is_empty() {
            return;
        }
        let mut muts: Vec<Range<usize>> = Vec::new();
        {
            let stash = self.stash.borrow();
            let kept = stash
                .iter()
                .chain(self.values.iter().flat_map(|v| v.kept.iter()));
            for k in kept.filter(|k| k.loan == Loan::Mut) {
                let s = span(k.region);
                if k.born == op_number {
                    for at in s.start.max(r.start)..s.end.min(r.end) {
                        self.model.bytes[at] = k.snapshot[at - s.start];
                    }
                }
                muts.push(s);
            }
        }
        muts.extend(
            self.guards
                .iter()
                .filter(|g| g.loan == Loan::Mut)
                .map(|g| span(g.region)),
        );
        for seg in uncovered(r, &muts) {
            let (start, n) = (u32::try_from(seg.start), u32::try_from(seg.len()));
            let (Ok(start), Ok(n)) = (start, n) else {
                self.fail("memory past 4 GiB");
            };
            let got = GuestPtr::<[u8]>::new(self.mem, (start, n)).to_vec();
            match got {
                Ok(bytes) => self.model.bytes[seg].copy_from_slice(&bytes),
                Err(e) => self.fail(format_args!("read-back of {seg:?} refused: {e:?}")),
            }
        }
    }

    /// The checks after every operation.
    fn verify(&mut self) {
        let table = self.table();
        // The memory's table holds as many views as the model's.
        let live = live_views(self.mem).unwrap_or_else(|e| self.fail(e));
        if live != table.len() {
            self.fail(format_args!(
                "the memory records {live} live views, the model {}",
                table.len()
            ));
        }
        if self.mem.borrows().has_outstanding_borrows() == table.is_empty() {
            self.fail("has_outstanding_borrows disagrees with the model");
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
                    "view {:?} ({:?}) shows other bytes than the model",
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
    fn finish(mut self) -> Vec<u8> {
        self.op = None;
        self.guards.clear();
        self.values.clear();
        self.stash.borrow_mut().clear();
        if self.mem.borrows().has_outstanding_borrows() {
            self.fail("views are still recorded after all were dropped");
        }
        std::mem::take(&mut self.model.bytes)
    }
}

/// How many views the memory's table records now: the number of empty views it still
/// accepts, taken from the capacity.
fn live_views(mem: &dyn GuestMemory) -> Result<usize, String> {
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

#[cfg(test)]
mod tests;
