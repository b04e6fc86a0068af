//! Slice copy-out and copy-in of `[u8]` and `[u32]`, and copy-out into `Vec` and
//! `heapless::Vec`. The size is in bytes; every copy goes between the guest and a host buffer
//! placed to avoid 4 KiB aliasing.

use core::hint::black_box;
use core::ptr;

use guestmem::GuestPtr;
use guestmem_alloc::GuestSliceExt;

use super::{raw, tail, tail32, Impls};
use crate::{Bufs, DST, SRC, TRAP};

// ---- copy-out [u8] ----

#[inline(never)]
fn out8_limit(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, h| {
        let (off, n) = (black_box(SRC), black_box(n));
        // SAFETY: `SRC + n` is inside the memory and `out8` holds `n` bytes; they do not overlap.
        unsafe { ptr::copy_nonoverlapping(m.at(off), h.out8.as_mut_ptr(), n) };
        tail(&black_box(&mut *h.out8)[..n])
    })
}

#[inline(never)]
fn out8_hand(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, h| {
        let (off, n) = (black_box(SRC), black_box(n));
        let Some(p) = m.check(off, n) else {
            return TRAP;
        };
        let dst = &mut h.out8[..n];
        // SAFETY: `check` put the `n` bytes at `p` inside the memory; `dst` is `n` host bytes.
        unsafe { ptr::copy_nonoverlapping(p, dst.as_mut_ptr(), n) };
        tail(black_box(dst))
    })
}

gm_pair!(out8_gm, out8_gm_devirt, |m, h, n| {
    let (off, n) = (black_box(SRC), black_box(n));
    let dst = &mut h.out8[..n];
    if GuestPtr::<[u8]>::new(m, (off, n as u32))
        .copy_to_slice(dst)
        .is_err()
    {
        return TRAP;
    }
    tail(black_box(dst))
});

#[cfg(feature = "wiggle")]
#[inline(never)]
fn out8_wiggle(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    super::wg(b, reps, |m, h| {
        let (off, n) = (black_box(SRC), black_box(n));
        let dst = &mut h.out8[..n];
        match m.as_slice(wiggle::GuestPtr::<[u8]>::new((off, n as u32))) {
            Ok(Some(s)) => dst.copy_from_slice(s),
            _ => return TRAP,
        }
        tail(black_box(dst))
    })
}

// ---- copy-out [u32] ----

#[inline(never)]
fn out32_limit(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, h| {
        let (off, n) = (black_box(SRC), black_box(n));
        // SAFETY: as in `out8_limit`; `out32` holds `n / 4` words, `n` bytes.
        unsafe { ptr::copy_nonoverlapping(m.at(off), h.out32.as_mut_ptr().cast::<u8>(), n) };
        tail32(&black_box(&mut *h.out32)[..n / 4])
    })
}

#[inline(never)]
fn out32_hand(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, h| {
        let (off, n) = (black_box(SRC), black_box(n));
        let Some(p) = m.check(off, n) else {
            return TRAP;
        };
        let dst = &mut h.out32[..n / 4];
        // SAFETY: as in `out8_hand`; `dst` is `n` host bytes of `u32`s (little-endian host).
        unsafe { ptr::copy_nonoverlapping(p, dst.as_mut_ptr().cast::<u8>(), n) };
        tail32(black_box(dst))
    })
}

gm_pair!(out32_gm, out32_gm_devirt, |m, h, n| {
    let (off, n) = (black_box(SRC), black_box(n));
    let dst = &mut h.out32[..n / 4];
    if GuestPtr::<[u32]>::new(m, (off, (n / 4) as u32))
        .copy_to_slice(dst)
        .is_err()
    {
        return TRAP;
    }
    tail32(black_box(dst))
});

/// wiggle has no copy into a caller's `[u32]`: a user borrows the bytes and converts them.
#[cfg(feature = "wiggle")]
#[inline(never)]
fn out32_wiggle(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    super::wg(b, reps, |m, h| {
        let (off, n) = (black_box(SRC), black_box(n));
        let dst = &mut h.out32[..n / 4];
        match m.as_slice(wiggle::GuestPtr::<[u8]>::new((off, n as u32))) {
            Ok(Some(s)) => {
                for (d, c) in dst.iter_mut().zip(s.chunks_exact(4)) {
                    *d = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                }
            }
            _ => return TRAP,
        }
        tail32(black_box(dst))
    })
}

// ---- copy-in [u8] ----

#[inline(never)]
fn in8_limit(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, h| {
        let (off, n) = (black_box(DST), black_box(n));
        // SAFETY: `DST + n` is inside the memory and `in8` holds `n` bytes; they do not overlap.
        unsafe { ptr::copy_nonoverlapping(h.in8.as_ptr(), m.at(off), n) };
        n as u64
    })
}

#[inline(never)]
fn in8_hand(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, h| {
        let (off, n) = (black_box(DST), black_box(n));
        let Some(p) = m.check(off, n) else {
            return TRAP;
        };
        let src = &h.in8[..n];
        // SAFETY: `check` put the `n` bytes at `p` inside the memory; `src` is `n` host bytes.
        unsafe { ptr::copy_nonoverlapping(src.as_ptr(), p, n) };
        n as u64
    })
}

gm_pair!(in8_gm, in8_gm_devirt, |m, h, n| {
    let (off, n) = (black_box(DST), black_box(n));
    if GuestPtr::<[u8]>::new(m, (off, n as u32))
        .copy_from_slice(&h.in8[..n])
        .is_err()
    {
        return TRAP;
    }
    n as u64
});

#[cfg(feature = "wiggle")]
#[inline(never)]
fn in8_wiggle(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    super::wg(b, reps, |m, h| {
        let (off, n) = (black_box(DST), black_box(n));
        if m.copy_from_slice(&h.in8[..n], wiggle::GuestPtr::<[u8]>::new((off, n as u32)))
            .is_err()
        {
            return TRAP;
        }
        n as u64
    })
}

// ---- copy-in [u32] ----

#[inline(never)]
fn in32_limit(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, h| {
        let (off, n) = (black_box(DST), black_box(n));
        // SAFETY: as in `in8_limit`; `in32` holds `n` bytes.
        unsafe { ptr::copy_nonoverlapping(h.in32.as_ptr().cast::<u8>(), m.at(off), n) };
        n as u64
    })
}

#[inline(never)]
fn in32_hand(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, h| {
        let (off, n) = (black_box(DST), black_box(n));
        let Some(p) = m.check(off, n) else {
            return TRAP;
        };
        let src = &h.in32[..n / 4];
        // SAFETY: as in `in8_hand`; `src` is `n` host bytes (little-endian host).
        unsafe { ptr::copy_nonoverlapping(src.as_ptr().cast::<u8>(), p, n) };
        n as u64
    })
}

gm_pair!(in32_gm, in32_gm_devirt, |m, h, n| {
    let (off, n) = (black_box(DST), black_box(n));
    if GuestPtr::<[u32]>::new(m, (off, (n / 4) as u32))
        .copy_from_slice(&h.in32[..n / 4])
        .is_err()
    {
        return TRAP;
    }
    n as u64
});

#[cfg(feature = "wiggle")]
#[inline(never)]
fn in32_wiggle(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    super::wg(b, reps, |m, h| {
        let (off, n) = (black_box(DST), black_box(n));
        if m.copy_from_slice(
            &h.in32[..n / 4],
            wiggle::GuestPtr::<[u32]>::new((off, (n / 4) as u32)),
        )
        .is_err()
        {
            return TRAP;
        }
        n as u64
    })
}

// ---- copy-out into a Vec ----

#[inline(never)]
fn vec_limit(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, _| {
        let (off, n) = (black_box(SRC), black_box(n));
        // SAFETY: `SRC + n` is inside the memory, and nothing writes it while the slice lives.
        let s = unsafe { core::slice::from_raw_parts(m.at(off), n) };
        let v = s.to_vec();
        tail(&black_box(v))
    })
}

#[inline(never)]
fn vec_hand(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, _| {
        let (off, n) = (black_box(SRC), black_box(n));
        let Some(p) = m.check(off, n) else {
            return TRAP;
        };
        // SAFETY: `check` put the `n` bytes at `p` inside the memory; nothing writes them.
        let s = unsafe { core::slice::from_raw_parts(p, n) };
        let v = s.to_vec();
        tail(&black_box(v))
    })
}

gm_pair!(vec_gm, vec_gm_devirt, |m, _h, n| {
    let (off, n) = (black_box(SRC), black_box(n));
    match GuestPtr::<[u8]>::new(m, (off, n as u32)).to_vec() {
        Ok(v) => tail(&black_box(v)),
        Err(_) => TRAP,
    }
});

#[cfg(feature = "wiggle")]
#[inline(never)]
fn vec_wiggle(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    super::wg(b, reps, |m, _| {
        let (off, n) = (black_box(SRC), black_box(n));
        match m.to_vec(wiggle::GuestPtr::<[u8]>::new((off, n as u32))) {
            Ok(v) => tail(&black_box(v)),
            Err(_) => TRAP,
        }
    })
}

// ---- copy-out into a heapless::Vec ----

const HEAPLESS_CAP: usize = 4096;

#[inline(never)]
fn heapless_limit(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, _| {
        let (off, n) = (black_box(SRC), black_box(n));
        // SAFETY: as in `vec_limit`.
        let s = unsafe { core::slice::from_raw_parts(m.at(off), n) };
        match heapless::Vec::<u8, HEAPLESS_CAP>::from_slice(s) {
            Ok(v) => tail(&black_box(v)),
            Err(_) => TRAP,
        }
    })
}

#[inline(never)]
fn heapless_hand(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, _| {
        let (off, n) = (black_box(SRC), black_box(n));
        let Some(p) = m.check(off, n) else {
            return TRAP;
        };
        // SAFETY: as in `vec_hand`.
        let s = unsafe { core::slice::from_raw_parts(p, n) };
        match heapless::Vec::<u8, HEAPLESS_CAP>::from_slice(s) {
            Ok(v) => tail(&black_box(v)),
            Err(_) => TRAP,
        }
    })
}

gm_pair!(heapless_gm, heapless_gm_devirt, |m, _h, n| {
    let (off, n) = (black_box(SRC), black_box(n));
    match GuestPtr::<[u8]>::new(m, (off, n as u32)).to_heapless::<HEAPLESS_CAP>() {
        Ok(v) => tail(&black_box(v)),
        Err(_) => TRAP,
    }
});

macro_rules! impls {
    ($limit:ident, $hand:ident, $gm:ident, $devirt:ident, $wiggle:expr) => {
        Impls {
            limit: Some($limit),
            hand: $hand,
            gm: $gm,
            gm_devirt: Some($devirt),
            wiggle: $wiggle,
        }
    };
}

pub(crate) fn workloads() -> Vec<(&'static str, Impls)> {
    vec![
        (
            "copy-out [u8]",
            impls!(
                out8_limit,
                out8_hand,
                out8_gm,
                out8_gm_devirt,
                wg_kernel!(out8_wiggle)
            ),
        ),
        (
            "copy-out [u32]",
            impls!(
                out32_limit,
                out32_hand,
                out32_gm,
                out32_gm_devirt,
                wg_kernel!(out32_wiggle)
            ),
        ),
        (
            "copy-in [u8]",
            impls!(
                in8_limit,
                in8_hand,
                in8_gm,
                in8_gm_devirt,
                wg_kernel!(in8_wiggle)
            ),
        ),
        (
            "copy-in [u32]",
            impls!(
                in32_limit,
                in32_hand,
                in32_gm,
                in32_gm_devirt,
                wg_kernel!(in32_wiggle)
            ),
        ),
        (
            "to_vec [u8]",
            impls!(
                vec_limit,
                vec_hand,
                vec_gm,
                vec_gm_devirt,
                wg_kernel!(vec_wiggle)
            ),
        ),
        (
            "to_heapless [u8]",
            impls!(
                heapless_limit,
                heapless_hand,
                heapless_gm,
                heapless_gm_devirt,
                None
            ),
        ),
    ]
}
