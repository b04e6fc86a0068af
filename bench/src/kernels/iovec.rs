//! Iterating an array of WASI iovecs (`{ buf: u32, buf_len: u32 }`, 8 bytes), as `fd_write`
//! does before it writes: the size is the element count; each element adds its fields to a sum.

use core::hint::black_box;

use guestmem::{guest_struct, GuestPtr};

use super::{raw, Impls};
use crate::{Bufs, IOV, TRAP};

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

#[inline(always)]
fn add(s: u64, buf: u32, len: u32) -> u64 {
    s.wrapping_add(u64::from(len))
        .wrapping_add(u64::from(buf) << 20)
}

/// The most a host keeps on its stack.
const MAX_IOVS: usize = 256;

#[inline(always)]
fn hand_loop(b: &mut Bufs, n: usize, reps: u32, checked: bool) -> u64 {
    raw(b, reps, |m, _| {
        let (off, n) = (black_box(IOV), black_box(n));
        // wasm3's WASI checks the whole array once, then reads the fields.
        let p = if checked {
            let Some(p) = m.check(off, n * 8) else {
                return TRAP;
            };
            p
        } else {
            m.at(off)
        };
        let mut s = 0u64;
        for i in 0..n {
            let at = p.wrapping_add(i * 8);
            // SAFETY: the `n * 8` bytes at `p` are inside the memory (checked above, or chosen
            // so for the limit).
            let buf = unsafe { at.cast::<u32>().read_unaligned() };
            // SAFETY: as above.
            let len = unsafe { at.wrapping_add(4).cast::<u32>().read_unaligned() };
            s = add(s, u32::from_le(buf), u32::from_le(len));
        }
        s
    })
}

#[inline(never)]
fn limit(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    hand_loop(b, n, reps, false)
}

#[inline(never)]
fn hand(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    hand_loop(b, n, reps, true)
}

// What a user writes (the README's `fd_write`): `iter()` and `read()` per element.
gm_pair!(iter_gm, iter_gm_devirt, |m, _h, n| {
    let (off, n) = (black_box(IOV), black_box(n));
    let mut s = 0u64;
    for p in GuestPtr::<[Iovec<'_>]>::new(m, (off, n as u32)).iter() {
        let Ok(iov) = p.and_then(|p| p.read()) else {
            return TRAP;
        };
        s = add(s, iov.buf.offset(), iov.buf_len);
    }
    s
});

// The array checked once and lent while each element is decoded from it.
gm_pair!(read_iter_gm, read_iter_gm_devirt, |m, _h, n| {
    let (off, n) = (black_box(IOV), black_box(n));
    let Ok(iovs) = GuestPtr::<[Iovec<'_>]>::new(m, (off, n as u32)).read_iter() else {
        return TRAP;
    };
    let mut s = 0u64;
    for iov in iovs {
        let Ok(iov) = iov else {
            return TRAP;
        };
        s = add(s, iov.buf.offset(), iov.buf_len);
    }
    s
});

// Copy the whole array out once, then use it.
gm_pair!(copy_gm, copy_gm_devirt, |m, _h, n| {
    let (off, n) = (black_box(IOV), black_box(n));
    let zero = Iovec {
        buf: GuestPtr::new(m, 0),
        buf_len: 0,
    };
    let mut iovs = [zero; MAX_IOVS];
    let Some(dst) = iovs.get_mut(..n) else {
        return TRAP;
    };
    if GuestPtr::<[Iovec<'_>]>::new(m, (off, n as u32))
        .copy_to_slice(dst)
        .is_err()
    {
        return TRAP;
    }
    dst.iter()
        .fold(0, |s, iov| add(s, iov.buf.offset(), iov.buf_len))
});

gm_pair!(heapless_gm, heapless_gm_devirt, |m, _h, n| {
    let (off, n) = (black_box(IOV), black_box(n));
    let Ok(iovs) = GuestPtr::<[Iovec<'_>]>::new(m, (off, n as u32)).to_heapless::<MAX_IOVS>()
    else {
        return TRAP;
    };
    iovs.iter()
        .fold(0, |s, iov| add(s, iov.buf.offset(), iov.buf_len))
});

/// A wiggle iovec with the `GuestType` impl that wiggle's generator writes for a struct.
#[cfg(feature = "wiggle")]
mod wiggle_iovec {
    use wiggle::{GuestError, GuestMemory, GuestPtr, GuestType};

    #[derive(Clone, Copy)]
    pub(super) struct WIovec {
        pub(super) buf: u32,
        pub(super) buf_len: u32,
    }

    impl GuestType for WIovec {
        fn guest_size() -> u32 {
            8
        }
        fn guest_align() -> usize {
            4
        }
        fn read(mem: &GuestMemory<'_>, ptr: GuestPtr<Self>) -> Result<Self, GuestError> {
            let at = ptr.cast::<u32>();
            let buf = <u32 as GuestType>::read(mem, at)?;
            let buf_len = <u32 as GuestType>::read(mem, at.add(1)?)?;
            Ok(WIovec { buf, buf_len })
        }
        fn write(
            mem: &mut GuestMemory<'_>,
            ptr: GuestPtr<Self>,
            val: Self,
        ) -> Result<(), GuestError> {
            let at = ptr.cast::<u32>();
            <u32 as GuestType>::write(mem, at, val.buf)?;
            <u32 as GuestType>::write(mem, at.add(1)?, val.buf_len)
        }
    }
}

#[cfg(feature = "wiggle")]
#[inline(never)]
fn iter_wiggle(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    super::wg(b, reps, |m, _| {
        let (off, n) = (black_box(IOV), black_box(n));
        let mut s = 0u64;
        let array = wiggle::GuestPtr::<[wiggle_iovec::WIovec]>::new((off, n as u32));
        for p in array.iter() {
            let Ok(iov) = p.and_then(|p| m.read(p)) else {
                return TRAP;
            };
            s = add(s, iov.buf, iov.buf_len);
        }
        s
    })
}

pub(crate) fn workloads() -> Vec<(&'static str, Impls)> {
    vec![
        (
            "iovec iter+read",
            Impls {
                limit: Some(limit),
                hand,
                gm: iter_gm,
                gm_devirt: Some(iter_gm_devirt),
                wiggle: wg_kernel!(iter_wiggle),
            },
        ),
        (
            "iovec read_iter",
            Impls {
                limit: Some(limit),
                hand,
                gm: read_iter_gm,
                gm_devirt: Some(read_iter_gm_devirt),
                wiggle: wg_kernel!(iter_wiggle),
            },
        ),
        (
            "iovec copy_to_slice",
            Impls {
                limit: Some(limit),
                hand,
                gm: copy_gm,
                gm_devirt: Some(copy_gm_devirt),
                wiggle: None,
            },
        ),
        (
            "iovec to_heapless",
            Impls {
                limit: Some(limit),
                hand,
                gm: heapless_gm,
                gm_devirt: Some(heapless_gm_devirt),
                wiggle: None,
            },
        ),
    ]
}
