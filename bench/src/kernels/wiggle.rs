//! The wiggle 48 kernels: one body per workload over [`Wg`], expanded twice:
//! - `eager` (the `wiggle` column): wiggle's own `GuestMemory` and `GuestPtr`, called as its
//!   users call them (its checks build their errors eagerly: `ok_or(GuestError::…)`, the
//!   `Region` before the bounds test);
//! - `lazy` (`wiggle-lazy`): [`Lazy`], a transcription of the same checks
//!   (`validate_range`, `validate_size_align`, the enum of shared and unshared memories, the
//!   second bounds test of the indexing, `align_to`) that builds each error only on failure:
//!   wiggle's best case.
//!
//! Each host call builds its memory (`GuestMemory::Unshared` over the base and length reloaded
//! through `black_box`) and passes it by `&mut` through `black_box`, as wiggle's generated glue
//! hands it to a host function.

use core::cell::Cell;
use core::hint::black_box;
use core::ops::Range;
use std::borrow::Cow;

use wiggle::{GuestError, GuestPtr, Region};

use super::{add_iov, tail, tail32, value, Prim, Text};
use crate::{Bufs, Host, TRAP};

/// What the bodies ask of a wiggle memory; each method is one call of wiggle's API.
pub(crate) trait Wg {
    /// `mem.read(GuestPtr::<T>::new(off))`.
    fn read_prim<T: Prim>(&self, off: u32) -> Result<T, GuestError>;
    /// `mem.write(GuestPtr::<T>::new(off), v)`.
    fn write_prim<T: Prim>(&mut self, off: u32, v: T) -> Result<(), GuestError>;
    /// `mem.as_slice(GuestPtr::<[u8]>::new((off, len)))`.
    fn bytes(&self, off: u32, len: u32) -> Result<Option<&[u8]>, GuestError>;
    /// `mem.copy_from_slice(src, GuestPtr::<[T]>::new((off, src.len())))`.
    fn copy_in<T: Prim>(&mut self, src: &[T], off: u32) -> Result<(), GuestError>;
    /// `mem.to_vec(GuestPtr::<[u8]>::new((off, len)))`.
    fn to_vec_u8(&self, off: u32, len: u32) -> Result<Vec<u8>, GuestError>;
    /// `mem.as_cow_str(GuestPtr::<str>::new((off, len)))`.
    fn cow_str(&self, off: u32, len: u32) -> Result<Cow<'_, str>, GuestError>;
    /// `mem.read(GuestPtr::<Iovec>::new(off))`, the struct's `GuestType` as wiggle's
    /// generator writes it (each field read as a `u32`).
    fn read_iovec(&self, off: u32) -> Result<(u32, u32), GuestError>;
}

/// A WASI `ciovec` with the `GuestType` impl that wiggle's generator writes for a struct.
#[derive(Clone, Copy)]
pub(crate) struct WIovec {
    buf: u32,
    buf_len: u32,
}

impl wiggle::GuestType for WIovec {
    fn guest_size() -> u32 {
        8
    }
    fn guest_align() -> usize {
        4
    }
    fn read(mem: &wiggle::GuestMemory<'_>, ptr: GuestPtr<Self>) -> Result<Self, GuestError> {
        let at = ptr.cast::<u32>();
        let buf = <u32 as wiggle::GuestType>::read(mem, at)?;
        let buf_len = <u32 as wiggle::GuestType>::read(mem, at.add(1)?)?;
        Ok(WIovec { buf, buf_len })
    }
    fn write(
        mem: &mut wiggle::GuestMemory<'_>,
        ptr: GuestPtr<Self>,
        val: Self,
    ) -> Result<(), GuestError> {
        let at = ptr.cast::<u32>();
        <u32 as wiggle::GuestType>::write(mem, at, val.buf)?;
        <u32 as wiggle::GuestType>::write(mem, at.add(1)?, val.buf_len)
    }
}

impl Wg for wiggle::GuestMemory<'_> {
    #[inline]
    fn read_prim<T: Prim>(&self, off: u32) -> Result<T, GuestError> {
        self.read(GuestPtr::<T>::new(off))
    }
    #[inline]
    fn write_prim<T: Prim>(&mut self, off: u32, v: T) -> Result<(), GuestError> {
        self.write(GuestPtr::<T>::new(off), v)
    }
    #[inline]
    fn bytes(&self, off: u32, len: u32) -> Result<Option<&[u8]>, GuestError> {
        self.as_slice(GuestPtr::<[u8]>::new((off, len)))
    }
    #[inline]
    fn copy_in<T: Prim>(&mut self, src: &[T], off: u32) -> Result<(), GuestError> {
        self.copy_from_slice(src, GuestPtr::<[T]>::new((off, src.len() as u32)))
    }
    #[inline]
    fn to_vec_u8(&self, off: u32, len: u32) -> Result<Vec<u8>, GuestError> {
        self.to_vec(GuestPtr::<[u8]>::new((off, len)))
    }
    #[inline]
    fn cow_str(&self, off: u32, len: u32) -> Result<Cow<'_, str>, GuestError> {
        self.as_cow_str(GuestPtr::<str>::new((off, len)))
    }
    #[inline]
    fn read_iovec(&self, off: u32) -> Result<(u32, u32), GuestError> {
        self.read(GuestPtr::<WIovec>::new(off))
            .map(|v| (v.buf, v.buf_len))
    }
}

/// wiggle 48's `GuestMemory`, its checks transcribed with lazily built errors. (The shared
/// arm holds `Cell`s, not `UnsafeCell`s: it is never built, only matched, as in wiggle.)
pub(crate) enum Lazy<'a> {
    Unshared(&'a mut [u8]),
    #[allow(dead_code)] // matched, never built: the match is part of wiggle's cost
    Shared(&'a [Cell<u8>]),
}

// The point of the transcription: errors built by closures, only on failure.
#[allow(clippy::unnecessary_lazy_evaluations)]
impl Lazy<'_> {
    /// wiggle's `validate_range`: the byte length (overflow-checked), then `get(range)` on the
    /// memory's slice; the errors built only on failure.
    #[inline]
    fn validate_range(&self, offset: u32, len: u32, size: u32) -> Result<Range<usize>, GuestError> {
        let byte_len = len
            .checked_mul(size)
            .ok_or_else(|| GuestError::PtrOverflow)?;
        let start = usize::try_from(offset)?;
        let range = start..start + usize::try_from(byte_len)?;
        let oob = match self {
            Lazy::Unshared(b) => b.get(range.clone()).is_none(),
            Lazy::Shared(b) => b.get(range.clone()).is_none(),
        };
        if oob {
            Err(GuestError::PtrOutOfBounds(Region::new(offset, byte_len)))
        } else {
            Ok(range)
        }
    }
}

/// wiggle's `PtrNotAligned` error for `range`, built on failure only.
#[cold]
fn not_aligned(range: &Range<usize>, align: usize) -> GuestError {
    GuestError::PtrNotAligned(
        Region::new(range.start as u32, range.len() as u32),
        align as u32,
    )
}

// The point of the transcription: errors built by closures, only on failure.
#[allow(clippy::unnecessary_lazy_evaluations)]
impl Wg for Lazy<'_> {
    #[inline]
    fn read_prim<T: Prim>(&self, off: u32) -> Result<T, GuestError> {
        let range = self.validate_range(off, 1, T::SIZE as u32)?;
        match self {
            Lazy::Unshared(s) => {
                let memory = &s[range.clone()];
                // SAFETY: `T` is an integer (`Prim`): every byte pattern is a value.
                let (start, mid, end) = unsafe { memory.align_to::<T>() };
                if !start.is_empty() || !end.is_empty() {
                    return Err(not_aligned(&range, T::SIZE));
                }
                Ok(mid[0].le())
            }
            Lazy::Shared(s) => {
                let mut w = [0u8; 8];
                for (d, c) in w.iter_mut().zip(&s[range]) {
                    *d = c.get();
                }
                Ok(T::from_u64(u64::from_le_bytes(w)))
            }
        }
    }

    #[inline]
    fn write_prim<T: Prim>(&mut self, off: u32, v: T) -> Result<(), GuestError> {
        let range = self.validate_range(off, 1, T::SIZE as u32)?;
        match self {
            Lazy::Unshared(s) => {
                let memory = &mut s[range.clone()];
                // SAFETY: `T` is an integer (`Prim`): every byte pattern is a value, and any
                // value written is bytes.
                let (start, mid, end) = unsafe { memory.align_to_mut::<T>() };
                if !start.is_empty() || !end.is_empty() {
                    return Err(not_aligned(&range, T::SIZE));
                }
                mid[0] = v.le();
            }
            Lazy::Shared(s) => {
                for (c, b) in s[range].iter().zip(v.to_u64().to_le_bytes()) {
                    c.set(b);
                }
            }
        }
        Ok(())
    }

    #[inline]
    fn bytes(&self, off: u32, len: u32) -> Result<Option<&[u8]>, GuestError> {
        let range = self.validate_range(off, len, 1)?;
        match self {
            Lazy::Unshared(s) => Ok(Some(&s[range])),
            Lazy::Shared(_) => Ok(None),
        }
    }

    #[inline]
    fn copy_in<T: Prim>(&mut self, src: &[T], off: u32) -> Result<(), GuestError> {
        let len = u32::try_from(src.len())?;
        if src.is_empty() {
            return Ok(());
        }
        let range = self.validate_range(off, len, T::SIZE as u32)?;
        match self {
            Lazy::Unshared(s) => {
                let memory = &mut s[range.clone()];
                // SAFETY: as in `write_prim`.
                let (start, mid, end) = unsafe { memory.align_to_mut::<T>() };
                if !start.is_empty() || !end.is_empty() {
                    return Err(not_aligned(&range, T::SIZE));
                }
                // A little-endian host: the host's `T`s are the guest's bytes.
                mid.copy_from_slice(src);
            }
            Lazy::Shared(s) => {
                for (c, w) in s[range].chunks_exact(T::SIZE).zip(src) {
                    for (c, b) in c.iter().zip(w.to_u64().to_le_bytes()) {
                        c.set(b);
                    }
                }
            }
        }
        Ok(())
    }

    #[inline]
    fn to_vec_u8(&self, off: u32, len: u32) -> Result<Vec<u8>, GuestError> {
        let range = self.validate_range(off, len, 1)?;
        Ok(match self {
            Lazy::Unshared(s) => s[range].to_vec(),
            Lazy::Shared(s) => s[range].iter().map(Cell::get).collect(),
        })
    }

    #[inline]
    fn cow_str(&self, off: u32, len: u32) -> Result<Cow<'_, str>, GuestError> {
        match self.bytes(off, len)? {
            Some(bytes) => Ok(Cow::Borrowed(core::str::from_utf8(bytes)?)),
            None => Ok(Cow::Owned(
                String::from_utf8(self.to_vec_u8(off, len)?).map_err(|e| e.utf8_error())?,
            )),
        }
    }

    #[inline]
    fn read_iovec(&self, off: u32) -> Result<(u32, u32), GuestError> {
        let buf = self.read_prim::<u32>(off)?;
        let next = off.checked_add(4).ok_or_else(|| GuestError::PtrOverflow)?;
        let buf_len = self.read_prim::<u32>(next)?;
        Ok((buf, buf_len))
    }
}

/// Makes `reps` host calls of `f` over wiggle's memory.
#[inline(always)]
fn call_eager(
    b: &mut Bufs,
    reps: u32,
    mut f: impl FnMut(&mut wiggle::GuestMemory<'_>, &mut Host<'_>) -> u64,
) -> u64 {
    let (g, mut h) = b.split();
    let mut acc = 0u64;
    for _ in 0..reps {
        let mut mem = wiggle::GuestMemory::Unshared(black_box(&mut *g));
        let r = f(black_box(&mut mem), &mut h);
        if r == TRAP {
            return TRAP;
        }
        acc = acc.wrapping_add(r);
    }
    acc
}

/// Makes `reps` host calls of `f` over the lazy transcription.
#[inline(always)]
fn call_lazy(
    b: &mut Bufs,
    reps: u32,
    mut f: impl FnMut(&mut Lazy<'_>, &mut Host<'_>) -> u64,
) -> u64 {
    let (g, mut h) = b.split();
    let mut acc = 0u64;
    for _ in 0..reps {
        let mut mem = Lazy::Unshared(black_box(&mut *g));
        let r = f(black_box(&mut mem), &mut h);
        if r == TRAP {
            return TRAP;
        }
        acc = acc.wrapping_add(r);
    }
    acc
}

/// One module per workload, with `eager` and `lazy` kernels sharing its body.
macro_rules! wg_kernels {
    ($(
        $(#[$doc:meta])*
        $name:ident $(<$T:ident: $B:path>)? = |$m:ident, $h:ident, $n:ident| $body:block
    )*) => {$(
        $(#[$doc])*
        pub(crate) mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[inline(never)]
            pub(crate) fn eager $(<$T: $B>)? (b: &mut Bufs, $n: usize, reps: u32) -> u64 {
                call_eager(b, reps, |$m, $h| $body)
            }

            #[inline(never)]
            pub(crate) fn lazy $(<$T: $B>)? (b: &mut Bufs, $n: usize, reps: u32) -> u64 {
                call_lazy(b, reps, |$m, $h| $body)
            }
        }
    )*};
}

wg_kernels! {
    /// `n` scalar reads at pseudo-random offsets.
    read<T: Prim> = |m, h, n| {
        let mut s = 0u64;
        for &o in &h.offsets[..n] {
            match m.read_prim::<T>(o) {
                Ok(v) => s = s.wrapping_add(v.to_u64()),
                Err(_) => return TRAP,
            }
        }
        s
    }

    /// `n` scalar writes at pseudo-random offsets.
    write<T: Prim> = |m, h, n| {
        let mut s = 0u64;
        for &o in &h.offsets[..n] {
            if m.write_prim(o, T::from_u64(value(o))).is_err() {
                return TRAP;
            }
            s = s.wrapping_add(u64::from(o));
        }
        s
    }

    /// Copy-out of `n` bytes: wiggle lends the bytes, the user copies them.
    out8 = |m, h, n| {
        let (off, n) = (black_box(h.args.src), black_box(n));
        let dst = &mut h.out8[..n];
        match m.bytes(off, n as u32) {
            Ok(Some(s)) => dst.copy_from_slice(s),
            _ => return TRAP,
        }
        tail(black_box(dst))
    }

    /// Copy-out of `n` bytes of `u32`s: wiggle has no copy into a caller's `[u32]`; a user
    /// borrows the bytes and converts them.
    out32 = |m, h, n| {
        let (off, n) = (black_box(h.args.src), black_box(n));
        let dst = &mut h.out32[..n / 4];
        match m.bytes(off, n as u32) {
            Ok(Some(s)) => {
                for (d, c) in dst.iter_mut().zip(s.chunks_exact(4)) {
                    *d = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                }
            }
            _ => return TRAP,
        }
        tail32(black_box(dst))
    }

    /// Copy-in of `n` bytes.
    in8 = |m, h, n| {
        let (off, n) = (black_box(h.args.dst), black_box(n));
        if m.copy_in(&h.in8[..n], off).is_err() {
            return TRAP;
        }
        n as u64
    }

    /// Copy-in of `n` bytes of `u32`s.
    in32 = |m, h, n| {
        let (off, n) = (black_box(h.args.dst), black_box(n));
        if m.copy_in(&h.in32[..n / 4], off).is_err() {
            return TRAP;
        }
        n as u64
    }

    /// Copy-out of `n` bytes into a new `Vec`.
    to_vec = |m, h, n| {
        let (off, n) = (black_box(h.args.src), black_box(n));
        match m.to_vec_u8(off, n as u32) {
            Ok(v) => tail(&black_box(v)),
            Err(_) => TRAP,
        }
    }

    /// A string of `n` bytes copied into a buffer and validated: wiggle lends the bytes, the
    /// user copies them and validates the copy.
    str_copy<X: Text> = |m, h, n| {
        let (off, n) = (black_box(X::at(&h.args)), black_box(n));
        let Some(dst) = h.strbuf.get_mut(..n) else {
            return TRAP;
        };
        match m.bytes(off, n as u32) {
            Ok(Some(s)) => dst.copy_from_slice(s),
            _ => return TRAP,
        }
        match core::str::from_utf8(dst) {
            Ok(s) => tail(black_box(s).as_bytes()),
            Err(_) => TRAP,
        }
    }

    /// A string of `n` bytes lent as `&str` (`as_cow_str`).
    str_view<X: Text> = |m, h, n| {
        let (off, n) = (black_box(X::at(&h.args)), black_box(n));
        match m.cow_str(off, n as u32) {
            Ok(s) => tail(black_box(&*s).as_bytes()),
            Err(_) => TRAP,
        }
    }

    /// `n` iovecs walked with `iter` and `read` per element, each buffer checked by lending it
    /// (`as_slice`), as wasmtime's `fd_write` does before it writes.
    iovec = |m, h, n| {
        let (off, n) = (black_box(h.args.iov), black_box(n));
        let mut s = 0u64;
        for p in GuestPtr::<[WIovec]>::new((off, n as u32)).iter() {
            let Ok(p) = p else {
                return TRAP;
            };
            let Ok((buf, buf_len)) = m.read_iovec(p.offset()) else {
                return TRAP;
            };
            if m.bytes(buf, buf_len).is_err() {
                return TRAP;
            }
            s = add_iov(s, buf, buf_len);
        }
        s
    }
}
