//! The C-style kernels: one body per workload, written as a C host function is, expanded for
//! the three checks of [`Check`](super::Check): `limit` (none), `hand` (the length in a
//! register) and `wasm3` (`m3ApiCheckMem`, the size re-read out of line on every check).
//!
//! In every body, `c.check(off, len)` returns the host address of a guest range; under `limit`
//! it checks nothing, and the harness only ever passes it ranges inside the memory.

use core::hint::black_box;
use core::ptr;

use super::{add_iov, c_call, tail, tail32, value, Hand, Limit, Prim, Text, Wasm3};
use super::{Check as _, HEAPLESS_CAP};
use crate::{Bufs, TRAP};

/// One module per workload, with `limit`, `hand` and `wasm3` kernels sharing its body.
macro_rules! c_kernels {
    ($(
        $(#[$doc:meta])*
        $name:ident $(<$T:ident: $B:path>)? = |$c:ident, $h:ident, $n:ident| $body:block
    )*) => {$(
        $(#[$doc])*
        pub(crate) mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[inline(never)]
            pub(crate) fn limit $(<$T: $B>)? (b: &mut Bufs, $n: usize, reps: u32) -> u64 {
                c_call(b, reps, |$c: Limit, $h| $body)
            }

            #[inline(never)]
            pub(crate) fn hand $(<$T: $B>)? (b: &mut Bufs, $n: usize, reps: u32) -> u64 {
                c_call(b, reps, |$c: Hand, $h| $body)
            }

            #[inline(never)]
            pub(crate) fn wasm3 $(<$T: $B>)? (b: &mut Bufs, $n: usize, reps: u32) -> u64 {
                c_call(b, reps, |$c: Wasm3<'_>, $h| $body)
            }
        }
    )*};
}

/// `strbuf`-free copy into a `heapless::String`, validated.
#[inline(always)]
fn heapless_string(s: &[u8]) -> u64 {
    let Ok(v) = heapless::Vec::<u8, HEAPLESS_CAP>::from_slice(s) else {
        return TRAP;
    };
    match heapless::String::from_utf8(v) {
        Ok(s) => tail(black_box(&s).as_bytes()),
        Err(_) => TRAP,
    }
}

c_kernels! {
    /// `n` scalar reads at pseudo-random offsets.
    read<T: Prim> = |c, h, n| {
        let mut s = 0u64;
        for &o in &h.offsets[..n] {
            let Some(p) = c.check(o, T::SIZE) else {
                return TRAP;
            };
            // SAFETY: `check` put the `T::SIZE` bytes at `p` inside the memory; any bytes are a
            // `T` (an integer).
            let v = unsafe { p.cast::<T>().read_unaligned() };
            s = s.wrapping_add(v.le().to_u64());
        }
        s
    }

    /// `n` scalar writes at pseudo-random offsets.
    write<T: Prim> = |c, h, n| {
        let mut s = 0u64;
        for &o in &h.offsets[..n] {
            let Some(p) = c.check(o, T::SIZE) else {
                return TRAP;
            };
            let v = T::from_u64(value(o)).le();
            // SAFETY: `check` put the `T::SIZE` bytes at `p` inside the memory.
            unsafe { p.cast::<T>().write_unaligned(v) };
            s = s.wrapping_add(u64::from(o));
        }
        s
    }

    /// Copy-out of `n` bytes (`memcpy`).
    out8 = |c, h, n| {
        let (off, n) = (black_box(h.args.src), black_box(n));
        let Some(p) = c.check(off, n) else {
            return TRAP;
        };
        let dst = &mut h.out8[..n];
        // SAFETY: `check` put the `n` bytes at `p` inside the memory; `dst` is `n` host bytes.
        unsafe { ptr::copy_nonoverlapping(p, dst.as_mut_ptr(), n) };
        tail(black_box(dst))
    }

    /// Copy-out of `n` bytes of `u32`s.
    out32 = |c, h, n| {
        let (off, n) = (black_box(h.args.src), black_box(n));
        let Some(p) = c.check(off, n) else {
            return TRAP;
        };
        let dst = &mut h.out32[..n / 4];
        // SAFETY: as in `out8`; `dst` is `n` host bytes of `u32`s (a little-endian host).
        unsafe { ptr::copy_nonoverlapping(p, dst.as_mut_ptr().cast::<u8>(), n) };
        tail32(black_box(dst))
    }

    /// Copy-in of `n` bytes.
    in8 = |c, h, n| {
        let (off, n) = (black_box(h.args.dst), black_box(n));
        let Some(p) = c.check(off, n) else {
            return TRAP;
        };
        let src = &h.in8[..n];
        // SAFETY: `check` put the `n` bytes at `p` inside the memory; `src` is `n` host bytes.
        unsafe { ptr::copy_nonoverlapping(src.as_ptr(), p, n) };
        n as u64
    }

    /// Copy-in of `n` bytes of `u32`s.
    in32 = |c, h, n| {
        let (off, n) = (black_box(h.args.dst), black_box(n));
        let Some(p) = c.check(off, n) else {
            return TRAP;
        };
        let src = &h.in32[..n / 4];
        // SAFETY: as in `in8`; `src` is `n` host bytes (a little-endian host).
        unsafe { ptr::copy_nonoverlapping(src.as_ptr().cast::<u8>(), p, n) };
        n as u64
    }

    /// Copy-out of `n` bytes into a new `Vec`.
    to_vec = |c, h, n| {
        let (off, n) = (black_box(h.args.src), black_box(n));
        let Some(p) = c.check(off, n) else {
            return TRAP;
        };
        // SAFETY: `check` put the `n` bytes at `p` inside the memory; nothing writes them while
        // the slice lives.
        let s = unsafe { core::slice::from_raw_parts(p, n) };
        tail(&black_box(s.to_vec()))
    }

    /// Copy-out of `n` bytes into a `heapless::Vec`.
    heapless8 = |c, h, n| {
        let (off, n) = (black_box(h.args.src), black_box(n));
        let Some(p) = c.check(off, n) else {
            return TRAP;
        };
        // SAFETY: as in `to_vec`.
        let s = unsafe { core::slice::from_raw_parts(p, n) };
        match heapless::Vec::<u8, HEAPLESS_CAP>::from_slice(s) {
            Ok(v) => tail(&black_box(v)),
            Err(_) => TRAP,
        }
    }

    /// A string of `n` bytes copied into a buffer, the copy validated (`from_utf8` + copy).
    str_copy<X: Text> = |c, h, n| {
        let (off, n) = (black_box(X::at(&h.args)), black_box(n));
        let Some(p) = c.check(off, n) else {
            return TRAP;
        };
        let Some(dst) = h.strbuf.get_mut(..n) else {
            return TRAP;
        };
        // SAFETY: `check` put the `n` bytes at `p` inside the memory; `dst` is `n` host bytes.
        unsafe { ptr::copy_nonoverlapping(p, dst.as_mut_ptr(), n) };
        match core::str::from_utf8(dst) {
            Ok(s) => tail(black_box(s).as_bytes()),
            Err(_) => TRAP,
        }
    }

    /// A string of `n` bytes copied into a `heapless::String`.
    str_heapless<X: Text> = |c, h, n| {
        let (off, n) = (black_box(X::at(&h.args)), black_box(n));
        let Some(p) = c.check(off, n) else {
            return TRAP;
        };
        // SAFETY: `check` put the `n` bytes at `p` inside the memory; nothing writes them while
        // the slice lives.
        heapless_string(unsafe { core::slice::from_raw_parts(p, n) })
    }

    /// A string of `n` bytes validated in place (`from_utf8`).
    str_view<X: Text> = |c, h, n| {
        let (off, n) = (black_box(X::at(&h.args)), black_box(n));
        let Some(p) = c.check(off, n) else {
            return TRAP;
        };
        // SAFETY: as in `str_heapless`.
        let bytes = unsafe { core::slice::from_raw_parts(p, n) };
        match core::str::from_utf8(bytes) {
            Ok(s) => tail(black_box(s).as_bytes()),
            Err(_) => TRAP,
        }
    }

    /// `fd_write`'s walk of `n` iovecs: the array checked once, each `{buf, buf_len}` read and
    /// its buffer checked (`limit`: nothing checked).
    iovec = |c, h, n| {
        let (off, n) = (black_box(h.args.iov), black_box(n));
        let Some(p) = c.check(off, n * 8) else {
            return TRAP;
        };
        let mut s = 0u64;
        for i in 0..n {
            let at = p.wrapping_add(i * 8);
            // SAFETY: `check` put the `n * 8` bytes at `p` inside the memory.
            let buf = u32::from_le(unsafe { at.cast::<u32>().read_unaligned() });
            // SAFETY: as above.
            let len = u32::from_le(unsafe { at.wrapping_add(4).cast::<u32>().read_unaligned() });
            if c.check(buf, len as usize).is_none() {
                return TRAP;
            }
            s = add_iov(s, buf, len);
        }
        s
    }
}
