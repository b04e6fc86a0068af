//! Every guestmem kernel: one body per workload, written with guestmem's public API as a host
//! function author writes it, expanded twice by [`gm_kernels!`]. Each host call opens a
//! `GuestFrame` over the memory, as a binding's glue does (wasm3's trampoline opens one per
//! call), and the body gets `&GuestFrame`:
//! - `opaque` (the `guestmem` column): through `black_box`, so the compiler knows nothing of
//!   the frame — a host function compiled apart from its glue, loading base and length from
//!   the frame it is given;
//! - `inline` (`guestmem-inline`): the same body with the frame in view — a host function
//!   inlined into its glue, base and length in registers.
//!
//! [`call`] is the one place that builds the memory of a host call; a body sees only `m` (what
//! `GuestPtr::new` takes), `h` (the host buffers and the argument offsets) and `n` (the size).

use core::hint::black_box;

use guestmem::{guest_struct, GuestFrame, GuestPtr};
use guestmem_alloc::GuestSliceExt as _;

use super::{add_iov, tail, tail32, value, Prim, Text, HEAPLESS_CAP};
use crate::{Bufs, Host, MAX_IOVS, TRAP};

/// Makes `reps` host calls of `f`. Each opens its frame as a binding does, from the base and
/// length reloaded through `black_box`, and hands it over opaquely unless `inline`.
#[inline(always)]
fn call(
    b: &mut Bufs,
    reps: u32,
    inline: bool,
    mut f: impl FnMut(&GuestFrame<'_>, &mut Host<'_>) -> u64,
) -> u64 {
    let (g, mut h) = b.split();
    let mut acc = 0u64;
    for _ in 0..reps {
        let frame = GuestFrame::from_slice(black_box(&mut *g));
        let m: &GuestFrame<'_> = if inline { &frame } else { black_box(&frame) };
        let r = f(m, &mut h);
        if r == TRAP {
            return TRAP;
        }
        acc = acc.wrapping_add(r);
    }
    acc
}

/// One module per workload, with `opaque` and `inline` kernels sharing its body.
macro_rules! gm_kernels {
    ($(
        $(#[$doc:meta])*
        $name:ident $(<$T:ident: $B:path>)? = |$m:ident, $h:ident, $n:ident| $body:block
    )*) => {$(
        $(#[$doc])*
        pub(crate) mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[inline(never)]
            pub(crate) fn opaque $(<$T: $B>)? (b: &mut Bufs, $n: usize, reps: u32) -> u64 {
                call(b, reps, false, |$m, $h| $body)
            }

            #[inline(never)]
            pub(crate) fn inline $(<$T: $B>)? (b: &mut Bufs, $n: usize, reps: u32) -> u64 {
                call(b, reps, true, |$m, $h| $body)
            }
        }
    )*};
}

guest_struct! {
    /// A WASI `ciovec`, as a guestmem user declares it.
    #[derive(Clone, Copy)]
    pub struct Iovec<'a> {
        /// The buffer.
        pub buf: GuestPtr<'a, u8>,
        /// Its length.
        pub buf_len: u32,
    }
}

gm_kernels! {
    /// `n` scalar reads at pseudo-random offsets.
    read<T: Prim> = |m, h, n| {
        let mut s = 0u64;
        for &o in &h.offsets[..n] {
            match GuestPtr::<T>::new(m, o).read() {
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
            if GuestPtr::<T>::new(m, o).write(T::from_u64(value(o))).is_err() {
                return TRAP;
            }
            s = s.wrapping_add(u64::from(o));
        }
        s
    }

    /// Copy-out of `n` bytes.
    out8 = |m, h, n| {
        let (off, n) = (black_box(h.args.src), black_box(n));
        let dst = &mut h.out8[..n];
        if GuestPtr::<[u8]>::new(m, (off, n as u32)).copy_to_slice(dst).is_err() {
            return TRAP;
        }
        tail(black_box(dst))
    }

    /// Copy-out of `n` bytes of `u32`s.
    out32 = |m, h, n| {
        let (off, n) = (black_box(h.args.src), black_box(n));
        let dst = &mut h.out32[..n / 4];
        if GuestPtr::<[u32]>::new(m, (off, (n / 4) as u32)).copy_to_slice(dst).is_err() {
            return TRAP;
        }
        tail32(black_box(dst))
    }

    /// Copy-in of `n` bytes.
    in8 = |m, h, n| {
        let (off, n) = (black_box(h.args.dst), black_box(n));
        if GuestPtr::<[u8]>::new(m, (off, n as u32)).copy_from_slice(&h.in8[..n]).is_err() {
            return TRAP;
        }
        n as u64
    }

    /// Copy-in of `n` bytes of `u32`s.
    in32 = |m, h, n| {
        let (off, n) = (black_box(h.args.dst), black_box(n));
        let src = &h.in32[..n / 4];
        if GuestPtr::<[u32]>::new(m, (off, (n / 4) as u32)).copy_from_slice(src).is_err() {
            return TRAP;
        }
        n as u64
    }

    /// Copy-out of `n` bytes into a new `Vec` (guestmem-alloc).
    to_vec = |m, h, n| {
        let (off, n) = (black_box(h.args.src), black_box(n));
        match GuestPtr::<[u8]>::new(m, (off, n as u32)).to_vec() {
            Ok(v) => tail(&black_box(v)),
            Err(_) => TRAP,
        }
    }

    /// Copy-out of `n` bytes into a `heapless::Vec`.
    heapless8 = |m, h, n| {
        let (off, n) = (black_box(h.args.src), black_box(n));
        match GuestPtr::<[u8]>::new(m, (off, n as u32)).to_heapless::<HEAPLESS_CAP>() {
            Ok(v) => tail(&black_box(v)),
            Err(_) => TRAP,
        }
    }

    /// A string of `n` bytes copied into a buffer and validated.
    str_copy<X: Text> = |m, h, n| {
        let (off, n) = (black_box(X::at(&h.args)), black_box(n));
        match GuestPtr::<str>::new(m, (off, n as u32)).copy_to_buf(h.strbuf) {
            Ok(s) => tail(black_box(s).as_bytes()),
            Err(_) => TRAP,
        }
    }

    /// A string of `n` bytes copied into a `heapless::String`.
    str_heapless<X: Text> = |m, h, n| {
        let (off, n) = (black_box(X::at(&h.args)), black_box(n));
        match GuestPtr::<str>::new(m, (off, n as u32)).to_heapless::<HEAPLESS_CAP>() {
            Ok(s) => tail(black_box(&s).as_bytes()),
            Err(_) => TRAP,
        }
    }

    /// A string of `n` bytes lent as `&str` (zero-copy).
    str_view<X: Text> = |m, h, n| {
        let (off, n) = (black_box(X::at(&h.args)), black_box(n));
        match GuestPtr::<str>::new(m, (off, n as u32)).as_str() {
            Ok(s) => tail(black_box(&*s).as_bytes()),
            Err(_) => TRAP,
        }
    }

    /// `n` iovecs walked with `read_iter` (the array checked once and lent), each buffer
    /// checked with `validate`: the README's `fd_write`.
    iovec_read_iter = |m, h, n| {
        let (off, n) = (black_box(h.args.iov), black_box(n));
        let Ok(iovs) = GuestPtr::<[Iovec<'_>]>::new(m, (off, n as u32)).read_iter() else {
            return TRAP;
        };
        let mut s = 0u64;
        for iov in iovs {
            let Ok(Iovec { buf, buf_len }) = iov else {
                return TRAP;
            };
            if buf.as_array(buf_len).validate().is_err() {
                return TRAP;
            }
            s = add_iov(s, buf.offset(), buf_len);
        }
        s
    }

    /// `n` iovecs walked with `iter` and `read` per element, each buffer checked.
    iovec_iter = |m, h, n| {
        let (off, n) = (black_box(h.args.iov), black_box(n));
        let mut s = 0u64;
        for p in GuestPtr::<[Iovec<'_>]>::new(m, (off, n as u32)).iter() {
            let Ok(Iovec { buf, buf_len }) = p.and_then(|p| p.read()) else {
                return TRAP;
            };
            if buf.as_array(buf_len).validate().is_err() {
                return TRAP;
            }
            s = add_iov(s, buf.offset(), buf_len);
        }
        s
    }

    /// `n` iovecs copied out at once onto the stack, then each buffer checked.
    iovec_copy = |m, h, n| {
        let (off, n) = (black_box(h.args.iov), black_box(n));
        let zero = Iovec {
            buf: GuestPtr::new(m, 0),
            buf_len: 0,
        };
        let mut iovs = [zero; MAX_IOVS];
        let Some(dst) = iovs.get_mut(..n) else {
            return TRAP;
        };
        if GuestPtr::<[Iovec<'_>]>::new(m, (off, n as u32)).copy_to_slice(dst).is_err() {
            return TRAP;
        }
        let mut s = 0u64;
        for &Iovec { buf, buf_len } in dst.iter() {
            if buf.as_array(buf_len).validate().is_err() {
                return TRAP;
            }
            s = add_iov(s, buf.offset(), buf_len);
        }
        s
    }

    /// `n` iovecs copied out into a `heapless::Vec`, then each buffer checked.
    iovec_heapless = |m, h, n| {
        let (off, n) = (black_box(h.args.iov), black_box(n));
        let array = GuestPtr::<[Iovec<'_>]>::new(m, (off, n as u32));
        let Ok(iovs) = array.to_heapless::<MAX_IOVS>() else {
            return TRAP;
        };
        let mut s = 0u64;
        for &Iovec { buf, buf_len } in iovs.iter() {
            if buf.as_array(buf_len).validate().is_err() {
                return TRAP;
            }
            s = add_iov(s, buf.offset(), buf_len);
        }
        s
    }
}
