//! Every guestmem kernel: one body per workload, written with guestmem's public API as a host
//! function author writes it, expanded twice by [`gm_kernels!`]:
//! - `opaque` (the `guestmem` column): the memory reaches the body as a `&dyn GuestMemory`
//!   whose vtable the compiler cannot see, as an interpreter hands it to a host function;
//! - `devirt` (`guestmem-devirt`): the same body over a memory whose type the compiler sees.
//!
//! [`call`] is the one place that builds the memory of a host call; a body sees only `m` (what
//! `GuestPtr::new` takes), `h` (the host buffers and the argument offsets) and `n` (the size).
//! Porting the kernels to another access path means changing `call` and the first argument of
//! each `GuestPtr::new`.

use core::hint::black_box;

use guestmem::{guest_struct, GuestMemory, GuestPtr, SliceMemory};
use guestmem_alloc::GuestSliceExt as _;

use super::{add_iov, tail, tail32, value, Prim, Text, HEAPLESS_CAP};
use crate::{Bufs, Host, MAX_IOVS, TRAP};

/// Makes `reps` host calls of `f`. Each builds its memory as a binding does (wasm3's binding
/// builds a `Wasm3Memory`, borrow table included, in every host call), from the base and
/// length reloaded through `black_box`, and hands it over as an opaque `&dyn GuestMemory`
/// unless `devirt`.
#[inline(always)]
fn call(
    b: &mut Bufs,
    reps: u32,
    devirt: bool,
    mut f: impl FnMut(&dyn GuestMemory, &mut Host<'_>) -> u64,
) -> u64 {
    let (g, mut h) = b.split();
    let mut acc = 0u64;
    for _ in 0..reps {
        let mem = SliceMemory::new(black_box(&mut *g));
        let opaque: &dyn GuestMemory = &mem;
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

/// One module per workload, with `opaque` and `devirt` kernels sharing its body.
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
            pub(crate) fn devirt $(<$T: $B>)? (b: &mut Bufs, $n: usize, reps: u32) -> u64 {
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
