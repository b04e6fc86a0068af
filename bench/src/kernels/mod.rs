//! The kernels and the list of cases. One file per family of implementations, each with one
//! body per workload, expanded once per flavour by a macro:
//! - [`baseline`]: `limit` (no check: the physical limit, `memcpy`, `from_utf8` + copy),
//!   `hand` (the check C programmers write, the memory length in a register) and `wasm3` (the
//!   check of wasm3's `m3ApiCheckMem`: the memory size re-read through an out-of-line call on
//!   every access);
//! - [`guestmem`]: guestmem's public API over the host call's `GuestFrame`, handed opaquely
//!   (`guestmem`, a host function compiled apart from its glue) or in view (`guestmem-inline`,
//!   one inlined into it). **Every guestmem kernel body is in that one file.**
//! - `wiggle` (feature `wiggle`): wiggle 48 as its users call it (`wiggle`), and a transcription
//!   of its checks with the errors built lazily (`wiggle-lazy`, its best case).
//!
//! A kernel makes `reps` host calls. Each call receives the memory as a binding passes it: the
//! base and length reloaded (through `black_box`), and guestmem's and wiggle's memory objects
//! built anew, as wasm3's binding builds its `Wasm3Memory` in every host call.

use core::hint::black_box;

use crate::{Args, Bufs, Case, Hostile, Kernel, M3Runtime, TRAP};

mod baseline;
mod guestmem;
#[cfg(feature = "wiggle")]
mod wiggle;

// ---- what the bodies share ----

/// What the wiggle kernels need of a primitive.
#[cfg(feature = "wiggle")]
pub(crate) trait WiggleType: ::wiggle::GuestType + ::wiggle::GuestTypeTransparent {}
#[cfg(feature = "wiggle")]
impl<T: ::wiggle::GuestType + ::wiggle::GuestTypeTransparent> WiggleType for T {}
/// What the wiggle kernels need of a primitive (nothing: wiggle is off).
#[cfg(not(feature = "wiggle"))]
pub(crate) trait WiggleType {}
#[cfg(not(feature = "wiggle"))]
impl<T> WiggleType for T {}

/// The primitives of the scalar and `[u32]` workloads: integers only (the unchecked
/// baselines and `wiggle-lazy` rely on every bit pattern being a value).
pub(crate) trait Prim: Copy + for<'a> ::guestmem::GuestType<'a> + WiggleType {
    const SIZE: usize;
    fn to_u64(self) -> u64;
    fn from_u64(v: u64) -> Self;
    fn le(self) -> Self;
}

macro_rules! prim {
    ($($t:ty),*) => {$(
        impl Prim for $t {
            const SIZE: usize = core::mem::size_of::<$t>();
            #[inline(always)]
            fn to_u64(self) -> u64 {
                self as u64
            }
            #[inline(always)]
            fn from_u64(v: u64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn le(self) -> Self {
                <$t>::from_le(self)
            }
        }
    )*};
}
prim!(u8, u32, u64);

/// Which text a string workload reads.
pub(crate) trait Text {
    fn at(args: &Args) -> u32;
}
/// ASCII text (paths, environment variables).
pub(crate) struct Ascii;
impl Text for Ascii {
    #[inline(always)]
    fn at(args: &Args) -> u32 {
        args.ascii
    }
}
/// Text with 45 % of its bytes in 2- to 4-byte characters.
pub(crate) struct Utf8;
impl Text for Utf8 {
    #[inline(always)]
    fn at(args: &Args) -> u32 {
        args.utf8
    }
}

/// The value written at offset `o`.
#[inline(always)]
pub(crate) fn value(o: u32) -> u64 {
    u64::from(o).wrapping_mul(0x0001_0001_0001_0001) ^ 0x5A5A_5A5A_5A5A_5A5A
}

/// A cheap checksum of copied bytes: length, first and last byte.
#[inline(always)]
pub(crate) fn tail(bytes: &[u8]) -> u64 {
    let first = bytes.first().copied().unwrap_or(0);
    let last = bytes.last().copied().unwrap_or(0);
    bytes.len() as u64 + (u64::from(first) << 8) + (u64::from(last) << 16)
}

/// A cheap checksum of copied `u32`s.
#[inline(always)]
pub(crate) fn tail32(words: &[u32]) -> u64 {
    let first = words.first().copied().unwrap_or(0);
    let last = words.last().copied().unwrap_or(0);
    words.len() as u64 + (u64::from(first) << 8) + (u64::from(last) << 24)
}

/// The checksum of an iovec: its buffer and length.
#[inline(always)]
pub(crate) fn add_iov(s: u64, buf: u32, len: u32) -> u64 {
    s.wrapping_add(u64::from(len))
        .wrapping_add(u64::from(buf) << 20)
}

/// The capacity of the `heapless` containers.
pub(crate) const HEAPLESS_CAP: usize = 4096;

// ---- the C-style checks ----

/// A host call's memory as C code sees it: the check it does before each access.
pub(crate) trait Check<'r>: Copy {
    fn new(base: *mut u8, len: usize, rt: &'r M3Runtime) -> Self;
    /// The host address of the `len` bytes at guest offset `off`, if they may be accessed.
    fn check(self, off: u32, len: usize) -> Option<*mut u8>;
}

/// No check: the physical limit.
#[derive(Clone, Copy)]
pub(crate) struct Limit(*mut u8);

impl Check<'_> for Limit {
    #[inline(always)]
    fn new(base: *mut u8, _len: usize, _rt: &M3Runtime) -> Self {
        Limit(base)
    }
    #[inline(always)]
    fn check(self, off: u32, _len: usize) -> Option<*mut u8> {
        Some(self.0.wrapping_add(off as usize))
    }
}

/// The hand-written check, the memory length read once per call and kept in a register.
#[derive(Clone, Copy)]
pub(crate) struct Hand {
    base: *mut u8,
    len: usize,
}

impl Check<'_> for Hand {
    #[inline(always)]
    fn new(base: *mut u8, len: usize, _rt: &M3Runtime) -> Self {
        Hand { base, len }
    }
    #[inline(always)]
    fn check(self, off: u32, len: usize) -> Option<*mut u8> {
        let end = (off as usize).checked_add(len)?;
        if end > self.len {
            return None;
        }
        Some(self.base.wrapping_add(off as usize))
    }
}

/// wasm3's `m3ApiCheckMem(addr, len)`: `_mem` (the base) is an argument of the host function;
/// the size is `m3_GetMemorySize(runtime)`, an out-of-line call, on every check.
#[derive(Clone, Copy)]
pub(crate) struct Wasm3<'r> {
    mem: *mut u8,
    runtime: &'r M3Runtime,
}

/// wasm3's `m3_GetMemorySize`: `runtime->memory.mallocated->length`, in another translation
/// unit. The volatile load keeps the compiler from treating the call as pure and hoisting it
/// out of a loop, as it cannot in C; it is the same `mov`.
#[inline(never)]
pub(crate) fn m3_get_memory_size(runtime: &M3Runtime) -> u32 {
    let length: &usize = &runtime.mallocated.length;
    // SAFETY: `length` is a reference: valid, aligned and initialised.
    let length = unsafe { core::ptr::read_volatile(length) };
    length as u32
}

impl<'r> Check<'r> for Wasm3<'r> {
    #[inline(always)]
    fn new(base: *mut u8, _len: usize, runtime: &'r M3Runtime) -> Self {
        Wasm3 { mem: base, runtime }
    }
    #[inline(always)]
    fn check(self, off: u32, len: usize) -> Option<*mut u8> {
        // `if (addr < _mem || addr + len > _mem + m3_GetMemorySize(runtime)) trap`, in u64.
        let mem = self.mem as usize as u64;
        let addr = mem.wrapping_add(u64::from(off));
        let size = u64::from(m3_get_memory_size(self.runtime));
        if addr < mem || addr.wrapping_add(len as u64) > mem.wrapping_add(size) {
            return None;
        }
        Some(self.mem.wrapping_add(off as usize))
    }
}

/// Makes `reps` host calls of `f` with C-style memory access `C`.
#[inline(always)]
pub(crate) fn c_call<'b, C: Check<'b>>(
    b: &'b mut Bufs,
    reps: u32,
    mut f: impl FnMut(C, &mut crate::Host<'b>) -> u64,
) -> u64 {
    let (g, mut h) = b.split();
    let (base, len) = (g.as_mut_ptr(), g.len());
    let rt = h.rt;
    let mut acc = 0u64;
    for _ in 0..reps {
        // The arguments of one host call: `_mem` and the runtime (and, for `hand`, the length
        // the function reads once).
        let c = C::new(black_box(base), black_box(len), black_box(rt));
        let r = f(c, &mut h);
        if r == TRAP {
            return TRAP;
        }
        acc = acc.wrapping_add(r);
    }
    acc
}

// ---- the cases ----

/// `limit`, `hand` and `wasm3` of a baseline workload.
macro_rules! c3 {
    ($w:ident $(::<$T:ty>)?) => {
        [
            ("limit", baseline::$w::limit $(::<$T>)? as Kernel),
            ("hand", baseline::$w::hand $(::<$T>)? as Kernel),
            ("wasm3", baseline::$w::wasm3 $(::<$T>)? as Kernel),
        ]
    };
}

/// The two guestmem flavours of a workload.
macro_rules! gm2 {
    ($w:ident $(::<$T:ty>)?) => {
        [
            ("guestmem", guestmem::$w::opaque $(::<$T>)? as Kernel),
            ("guestmem-inline", guestmem::$w::inline $(::<$T>)? as Kernel),
        ]
    };
}

/// The two wiggle flavours of a workload (none without the feature).
#[cfg(feature = "wiggle")]
macro_rules! wg2 {
    ($w:ident $(::<$T:ty>)?) => {
        vec![
            ("wiggle", wiggle::$w::eager $(::<$T>)? as Kernel),
            ("wiggle-lazy", wiggle::$w::lazy $(::<$T>)? as Kernel),
        ]
    };
}
#[cfg(not(feature = "wiggle"))]
macro_rules! wg2 {
    ($($t:tt)*) => {
        Vec::<(&'static str, Kernel)>::new()
    };
}

/// Every implementation of a workload: baselines, guestmem and (unless `no wiggle`) wiggle.
macro_rules! all {
    ($b:ident $(::<$Tb:ty>)?, $g:ident $(::<$Tg:ty>)?, no wiggle) => {
        [c3!($b $(::<$Tb>)?).to_vec(), gm2!($g $(::<$Tg>)?).to_vec()].concat()
    };
    ($b:ident $(::<$Tb:ty>)?, $g:ident $(::<$Tg:ty>)?, $w:ident $(::<$Tw:ty>)?) => {
        [
            c3!($b $(::<$Tb>)?).to_vec(),
            gm2!($g $(::<$Tg>)?).to_vec(),
            wg2!($w $(::<$Tw>)?),
        ]
        .concat()
    };
}

/// Copy and string sizes.
const SIZES: [usize; 5] = [16, 1 << 10, 4 << 10, 64 << 10, 1 << 20];
/// Sizes that fit a `heapless` container.
const HEAPLESS_SIZES: [usize; 3] = [16, 1 << 10, 4 << 10];
/// Iovecs per call.
const IOVECS: [usize; 3] = [1, 16, 256];

/// Every case, in report order.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut push = |workload: &'static str,
                    sizes: &[usize],
                    scalar: bool,
                    hostile: Hostile,
                    impls: Vec<(&'static str, Kernel)>| {
        for &size in sizes {
            out.push(Case {
                workload,
                size,
                ops_per_rep: if scalar { size } else { 1 },
                bytes_per_op: if scalar { 0 } else { size },
                hostile,
                impls: impls.clone(),
            });
        }
    };
    use Hostile::{Bounds, BoundsAndUtf8};
    let one_and_many: &[usize] = &[1, crate::SCALAR_OPS];
    let many: &[usize] = &[crate::SCALAR_OPS];
    push(
        "scalar read u32",
        one_and_many,
        true,
        Bounds,
        all!(read::<u32>, read::<u32>, read::<u32>),
    );
    push(
        "scalar read u64",
        many,
        true,
        Bounds,
        all!(read::<u64>, read::<u64>, read::<u64>),
    );
    push(
        "scalar write u32",
        one_and_many,
        true,
        Bounds,
        all!(write::<u32>, write::<u32>, write::<u32>),
    );
    push(
        "scalar write u64",
        many,
        true,
        Bounds,
        all!(write::<u64>, write::<u64>, write::<u64>),
    );
    push(
        "copy-out [u8]",
        &SIZES,
        false,
        Bounds,
        all!(out8, out8, out8),
    );
    push(
        "copy-out [u32]",
        &SIZES,
        false,
        Bounds,
        all!(out32, out32, out32),
    );
    push("copy-in [u8]", &SIZES, false, Bounds, all!(in8, in8, in8));
    push(
        "copy-in [u32]",
        &SIZES,
        false,
        Bounds,
        all!(in32, in32, in32),
    );
    push(
        "to_vec [u8]",
        &[16, 4 << 10, 64 << 10],
        false,
        Bounds,
        all!(to_vec, to_vec, to_vec),
    );
    push(
        "to_heapless [u8]",
        &HEAPLESS_SIZES,
        false,
        Bounds,
        all!(heapless8, heapless8, no wiggle),
    );
    push(
        "str copy+validate ascii",
        &SIZES,
        false,
        BoundsAndUtf8,
        all!(str_copy::<Ascii>, str_copy::<Ascii>, str_copy::<Ascii>),
    );
    push(
        "str copy+validate utf8",
        &SIZES,
        false,
        BoundsAndUtf8,
        all!(str_copy::<Utf8>, str_copy::<Utf8>, str_copy::<Utf8>),
    );
    push(
        "str to_heapless ascii",
        &HEAPLESS_SIZES,
        false,
        BoundsAndUtf8,
        all!(str_heapless::<Ascii>, str_heapless::<Ascii>, no wiggle),
    );
    push(
        "str to_heapless utf8",
        &HEAPLESS_SIZES,
        false,
        BoundsAndUtf8,
        all!(str_heapless::<Utf8>, str_heapless::<Utf8>, no wiggle),
    );
    push(
        "str view ascii",
        &[16, 4 << 10, 64 << 10],
        false,
        BoundsAndUtf8,
        all!(str_view::<Ascii>, str_view::<Ascii>, str_view::<Ascii>),
    );
    push(
        "str view utf8",
        &[16, 4 << 10, 64 << 10],
        false,
        BoundsAndUtf8,
        all!(str_view::<Utf8>, str_view::<Utf8>, str_view::<Utf8>),
    );
    // Each iovec's buffer is range-checked, as `fd_write` must before it writes. wiggle has one
    // way to walk an array (iter + read); it stands beside every guestmem way.
    push(
        "iovec read_iter",
        &IOVECS,
        false,
        Bounds,
        all!(iovec, iovec_read_iter, iovec),
    );
    push(
        "iovec iter+read",
        &IOVECS,
        false,
        Bounds,
        all!(iovec, iovec_iter, iovec),
    );
    push(
        "iovec copy_to_slice",
        &IOVECS,
        false,
        Bounds,
        all!(iovec, iovec_copy, iovec),
    );
    push(
        "iovec to_heapless",
        &IOVECS,
        false,
        Bounds,
        all!(iovec, iovec_heapless, iovec),
    );
    out
}
