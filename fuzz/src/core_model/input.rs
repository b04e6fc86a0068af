//! The structured input of the target: what `arbitrary` makes of the fuzzer's bytes.

use arbitrary::Arbitrary;

use super::hostile::PlanIn;

/// One input: a memory and what to do with it.
#[derive(Arbitrary, Debug)]
pub(crate) struct Input {
    pub(super) size: Size,
    pub(super) misaligned: bool,
    pub(super) null_when_empty: bool,
    pub(super) fill: Vec<u8>,
    pub(super) ops: Vec<Op>,
}

/// The memory's size in bytes.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub(super) enum Size {
    Tiny(u8),
    Small(u16),
    Any(u16),
    Full,
}

impl Size {
    pub(super) fn bytes(self) -> usize {
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
pub(super) enum Off {
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
pub(super) enum Count {
    Small(u8),
    /// The elements that fit between the offset and the end of memory, plus this.
    ToEnd(i8),
    Any(u32),
}

/// An array: offset and element count.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub(super) struct Arr {
    pub(super) off: Off,
    pub(super) count: Count,
}

/// A host buffer's length relative to the guest array's.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub(super) enum Fit {
    Exact,
    Plus(u8),
    Minus(u8),
}

/// The element types of copies.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub(super) enum Elem {
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
    /// `[u16; 3]`: a guest array as the element.
    Arr3,
    /// A struct with array fields (`[u8; 6]`, `[Tagged; 2]`, `[u64; 2]`).
    Named,
}

/// The element types of views (those guestmem lends).
#[derive(Arbitrary, Clone, Copy, Debug)]
pub(super) enum ViewElem {
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
pub(super) enum Op {
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
    ValidateWrite {
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
    /// `copy_to_uninit` of bytes into a host buffer of `fit` bytes.
    CopyUninit {
        arr: Arr,
        fit: Fit,
    },
    /// `GuestPtr::<[u8]>::gather` of the first `n % 5` of `pieces` into a buffer of `fit`
    /// bytes (relative to their total); the pieces' iterator carries out `plan` as hostile
    /// code would (the view it takes kept) right before it yields piece `act_before`.
    GatherUninit {
        pieces: [Arr; 4],
        n: u8,
        fit: Fit,
        plan: PlanIn,
        act_before: u8,
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
        /// Through `GuestPtr::<[u8]>::as_str_ptr` rather than `GuestPtr::<str>::new`.
        via_bytes: bool,
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
    /// A view of bytes for one call (`with_slice`), and a byte written at `probe` during it.
    ViewCall {
        arr: Arr,
        probe: Off,
        value: u8,
    },
}

/// Operations on arrays of the hostile type.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub(super) enum HostileOp {
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
