//! The kernels, one `#[inline(never)]` function per workload and implementation, and the list
//! of cases. Each implementation gets its memory the way a host function would:
//! - `limit`: a raw base pointer, no check at all (the physical limit);
//! - `hand`: a base pointer and length, checked like wasm3's `m3ApiCheckMem`;
//! - `guestmem`: a `&dyn GuestMemory` hidden behind `black_box`, as an interpreter hands it to a
//!   host function (the vtable is unknown, so `base()` is a real virtual call);
//! - `guestmem-devirt`: the same code over a `SliceMemory` whose type the compiler sees;
//! - `wiggle`: a `wiggle::GuestMemory::Unshared` behind `black_box`.

use core::hint::black_box;

use guestmem::{GuestMemory, SliceMemory};

use crate::{Bufs, Case, Host, Kernel, TRAP};

/// Two guestmem kernels with one body: over an opaque `&dyn GuestMemory`, and devirtualised.
macro_rules! gm_pair {
    ($dyn:ident, $devirt:ident, |$m:ident, $h:ident, $n:ident| $body:block) => {
        #[inline(never)]
        fn $dyn(b: &mut crate::Bufs, $n: usize, reps: u32) -> u64 {
            super::gm(b, reps, false, |$m, $h| $body)
        }
        #[inline(never)]
        fn $devirt(b: &mut crate::Bufs, $n: usize, reps: u32) -> u64 {
            super::gm(b, reps, true, |$m, $h| $body)
        }
    };
}

/// `Some(kernel)` when wiggle is on, else `None`.
#[cfg(feature = "wiggle")]
macro_rules! wg_kernel {
    ($k:ident) => {
        Some($k as crate::Kernel)
    };
}
#[cfg(not(feature = "wiggle"))]
macro_rules! wg_kernel {
    ($k:ident) => {
        None
    };
}

mod iovec;
mod scalar;
mod slices;
mod strings;

/// A guest memory as the hand-written check sees it.
#[derive(Clone, Copy)]
pub(crate) struct RawMem {
    pub(crate) ptr: *mut u8,
    pub(crate) len: usize,
}

impl RawMem {
    /// wasm3's `m3ApiCheckMem`: the host address of the `len` bytes at `off`, if they lie inside.
    #[inline(always)]
    pub(crate) fn check(self, off: u32, len: usize) -> Option<*mut u8> {
        let end = (off as usize).checked_add(len)?;
        if end > self.len {
            return None;
        }
        Some(self.ptr.wrapping_add(off as usize))
    }

    /// The host address of `off`, unchecked (the limit).
    #[inline(always)]
    pub(crate) fn at(self, off: u32) -> *mut u8 {
        self.ptr.wrapping_add(off as usize)
    }
}

/// Runs `f` `reps` times over a raw memory, reloaded from an opaque value each time.
#[inline(always)]
pub(crate) fn raw(b: &mut Bufs, reps: u32, mut f: impl FnMut(RawMem, &mut Host<'_>) -> u64) -> u64 {
    let (g, mut h) = b.split();
    let mem = RawMem {
        ptr: g.as_mut_ptr(),
        len: g.len(),
    };
    let mut acc = 0u64;
    for _ in 0..reps {
        let r = f(black_box(mem), &mut h);
        if r == TRAP {
            return TRAP;
        }
        acc = acc.wrapping_add(r);
    }
    acc
}

/// Runs `f` `reps` times over a `SliceMemory`, seen as an opaque `&dyn GuestMemory` unless
/// `devirt`.
#[inline(always)]
pub(crate) fn gm(
    b: &mut Bufs,
    reps: u32,
    devirt: bool,
    mut f: impl FnMut(&dyn GuestMemory, &mut Host<'_>) -> u64,
) -> u64 {
    let (g, mut h) = b.split();
    let mem = SliceMemory::new(g);
    let opaque: &dyn GuestMemory = &mem;
    let mut acc = 0u64;
    for _ in 0..reps {
        // Loaded back through `black_box`, the vtable is unknown to the compiler. (Passing the
        // fat pointer itself through `black_box` stores its halves separately and reloads them
        // as one vector: a store-forwarding stall of ~10 ns that is the harness's, not guestmem's.)
        let m: &dyn GuestMemory = if devirt { &mem } else { *black_box(&opaque) };
        let r = f(m, &mut h);
        if r == TRAP {
            return TRAP;
        }
        acc = acc.wrapping_add(r);
    }
    acc
}

/// Runs `f` `reps` times over a wiggle memory behind `black_box`.
#[cfg(feature = "wiggle")]
#[inline(always)]
pub(crate) fn wg(
    b: &mut Bufs,
    reps: u32,
    mut f: impl FnMut(&mut wiggle::GuestMemory<'_>, &mut Host<'_>) -> u64,
) -> u64 {
    let (g, mut h) = b.split();
    let mut mem = wiggle::GuestMemory::Unshared(g);
    let mut acc = 0u64;
    for _ in 0..reps {
        let r = f(black_box(&mut mem), &mut h);
        if r == TRAP {
            return TRAP;
        }
        acc = acc.wrapping_add(r);
    }
    acc
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

/// The kernels of one workload, by implementation; `None` where an implementation has none.
pub(crate) struct Impls {
    pub(crate) limit: Option<Kernel>,
    pub(crate) hand: Kernel,
    pub(crate) gm: Kernel,
    pub(crate) gm_devirt: Option<Kernel>,
    pub(crate) wiggle: Option<Kernel>,
}

fn case(workload: &'static str, size: usize, ops_per_rep: usize, bytes: usize, k: &Impls) -> Case {
    let mut impls: Vec<(&'static str, Kernel)> = Vec::new();
    if let Some(l) = k.limit {
        impls.push(("limit", l));
    }
    impls.push(("hand", k.hand));
    impls.push(("guestmem", k.gm));
    if let Some(d) = k.gm_devirt {
        impls.push(("guestmem-devirt", d));
    }
    if let Some(w) = k.wiggle {
        impls.push(("wiggle", w));
    }
    Case {
        workload,
        size,
        ops_per_rep,
        bytes_per_op: bytes,
        impls,
    }
}

/// Every case, in report order.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (name, k) in scalar::workloads() {
        out.push(case(name, crate::SCALAR_OPS, crate::SCALAR_OPS, 0, &k));
    }
    for (name, k) in slices::workloads() {
        let sizes: &[usize] = match name {
            "to_vec [u8]" => &[64, 4 << 10, 64 << 10],
            "to_heapless [u8]" => &[64, 4 << 10],
            _ => &[64, 4 << 10, 64 << 10, 1 << 20],
        };
        for &s in sizes {
            out.push(case(name, s, 1, s, &k));
        }
    }
    for (name, k) in strings::workloads() {
        for s in [16, 256, 4 << 10] {
            out.push(case(name, s, 1, s, &k));
        }
    }
    for (name, k) in iovec::workloads() {
        for n in [16, 256] {
            out.push(case(name, n, 1, 0, &k));
        }
    }
    out
}
