//! Scalar `read`/`write` of `u32`/`u64` at pseudo-random 8-aligned offsets, 1024 per repetition.

use guestmem::{GuestPtr, GuestType};

use super::{gm, raw, Impls};
use crate::{Bufs, TRAP};

/// What the wiggle kernels need of a primitive.
#[cfg(feature = "wiggle")]
pub(crate) trait WiggleType: wiggle::GuestType {}
#[cfg(feature = "wiggle")]
impl<T: wiggle::GuestType> WiggleType for T {}
/// What the wiggle kernels need of a primitive (nothing: wiggle is off).
#[cfg(not(feature = "wiggle"))]
pub(crate) trait WiggleType {}
#[cfg(not(feature = "wiggle"))]
impl<T> WiggleType for T {}

/// `u32` and `u64`.
pub(crate) trait Prim: Copy + for<'a> GuestType<'a> + WiggleType {
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
prim!(u32, u64);

/// The value written at offset `o`.
#[inline(always)]
fn value(o: u32) -> u64 {
    (u64::from(o) * 0x0001_0001_0001_0001) ^ 0x5A5A_5A5A_5A5A_5A5A
}

#[inline(never)]
fn read_limit<T: Prim>(b: &mut Bufs, _n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, h| {
        let mut s = 0u64;
        for &o in h.offsets {
            // SAFETY: every offset is below `SCALAR_SPAN - 8`, inside the memory.
            let v = unsafe { m.at(o).cast::<T>().read_unaligned() };
            s = s.wrapping_add(v.le().to_u64());
        }
        s
    })
}

#[inline(never)]
fn read_hand<T: Prim>(b: &mut Bufs, _n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, h| {
        let mut s = 0u64;
        for &o in h.offsets {
            let Some(p) = m.check(o, T::SIZE) else {
                return TRAP;
            };
            // SAFETY: `check` put the `T::SIZE` bytes at `p` inside the memory.
            let v = unsafe { p.cast::<T>().read_unaligned() };
            s = s.wrapping_add(v.le().to_u64());
        }
        s
    })
}

#[inline(always)]
fn read_gm_body<T: Prim>(b: &mut Bufs, reps: u32, devirt: bool) -> u64 {
    gm(b, reps, devirt, |m, h| {
        let mut s = 0u64;
        for &o in h.offsets {
            match GuestPtr::<T>::new(m, o).read() {
                Ok(v) => s = s.wrapping_add(v.to_u64()),
                Err(_) => return TRAP,
            }
        }
        s
    })
}

#[inline(never)]
fn read_gm<T: Prim>(b: &mut Bufs, _n: usize, reps: u32) -> u64 {
    read_gm_body::<T>(b, reps, false)
}

#[inline(never)]
fn read_gm_devirt<T: Prim>(b: &mut Bufs, _n: usize, reps: u32) -> u64 {
    read_gm_body::<T>(b, reps, true)
}

#[cfg(feature = "wiggle")]
#[inline(never)]
fn read_wiggle<T: Prim>(b: &mut Bufs, _n: usize, reps: u32) -> u64 {
    super::wg(b, reps, |m, h| {
        let mut s = 0u64;
        for &o in h.offsets {
            match m.read(wiggle::GuestPtr::<T>::new(o)) {
                Ok(v) => s = s.wrapping_add(v.to_u64()),
                Err(_) => return TRAP,
            }
        }
        s
    })
}

#[inline(never)]
fn write_limit<T: Prim>(b: &mut Bufs, _n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, h| {
        let mut s = 0u64;
        for &o in h.offsets {
            let v = T::from_u64(value(o)).le();
            // SAFETY: every offset is below `SCALAR_SPAN - 8`, inside the memory.
            unsafe { m.at(o).cast::<T>().write_unaligned(v) };
            s = s.wrapping_add(u64::from(o));
        }
        s
    })
}

#[inline(never)]
fn write_hand<T: Prim>(b: &mut Bufs, _n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, h| {
        let mut s = 0u64;
        for &o in h.offsets {
            let Some(p) = m.check(o, T::SIZE) else {
                return TRAP;
            };
            let v = T::from_u64(value(o)).le();
            // SAFETY: `check` put the `T::SIZE` bytes at `p` inside the memory.
            unsafe { p.cast::<T>().write_unaligned(v) };
            s = s.wrapping_add(u64::from(o));
        }
        s
    })
}

#[inline(always)]
fn write_gm_body<T: Prim>(b: &mut Bufs, reps: u32, devirt: bool) -> u64 {
    gm(b, reps, devirt, |m, h| {
        let mut s = 0u64;
        for &o in h.offsets {
            if GuestPtr::<T>::new(m, o)
                .write(T::from_u64(value(o)))
                .is_err()
            {
                return TRAP;
            }
            s = s.wrapping_add(u64::from(o));
        }
        s
    })
}

#[inline(never)]
fn write_gm<T: Prim>(b: &mut Bufs, _n: usize, reps: u32) -> u64 {
    write_gm_body::<T>(b, reps, false)
}

#[inline(never)]
fn write_gm_devirt<T: Prim>(b: &mut Bufs, _n: usize, reps: u32) -> u64 {
    write_gm_body::<T>(b, reps, true)
}

#[cfg(feature = "wiggle")]
#[inline(never)]
fn write_wiggle<T: Prim>(b: &mut Bufs, _n: usize, reps: u32) -> u64 {
    super::wg(b, reps, |m, h| {
        let mut s = 0u64;
        for &o in h.offsets {
            if m.write(wiggle::GuestPtr::<T>::new(o), T::from_u64(value(o)))
                .is_err()
            {
                return TRAP;
            }
            s = s.wrapping_add(u64::from(o));
        }
        s
    })
}

fn reads<T: Prim>() -> Impls {
    Impls {
        limit: Some(read_limit::<T>),
        hand: read_hand::<T>,
        gm: read_gm::<T>,
        gm_devirt: Some(read_gm_devirt::<T>),
        #[cfg(feature = "wiggle")]
        wiggle: Some(read_wiggle::<T>),
        #[cfg(not(feature = "wiggle"))]
        wiggle: None,
    }
}

fn writes<T: Prim>() -> Impls {
    Impls {
        limit: Some(write_limit::<T>),
        hand: write_hand::<T>,
        gm: write_gm::<T>,
        gm_devirt: Some(write_gm_devirt::<T>),
        #[cfg(feature = "wiggle")]
        wiggle: Some(write_wiggle::<T>),
        #[cfg(not(feature = "wiggle"))]
        wiggle: None,
    }
}

pub(crate) fn workloads() -> Vec<(&'static str, Impls)> {
    vec![
        ("scalar read u32", reads::<u32>()),
        ("scalar read u64", reads::<u64>()),
        ("scalar write u32", writes::<u32>()),
        ("scalar write u64", writes::<u64>()),
    ]
}
