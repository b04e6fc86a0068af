//! Strings: copy-out and UTF-8 validation (into a caller's buffer or a `heapless::String`), and
//! zero-copy `&str` views. The strings are ASCII text (paths, environment variables).

use core::hint::black_box;
use core::ptr;

use guestmem::GuestPtr;

use super::{raw, tail, Impls};
use crate::{Bufs, SRC, TRAP};

// ---- copy + validate into a buffer ----

#[inline(never)]
fn copy_limit(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, h| {
        let (off, n) = (black_box(SRC), black_box(n));
        // SAFETY: `SRC + n` is inside the memory and `strbuf` holds at least `n` bytes.
        unsafe { ptr::copy_nonoverlapping(m.at(off), h.strbuf.as_mut_ptr(), n) };
        match core::str::from_utf8(&h.strbuf[..n]) {
            Ok(s) => tail(black_box(s).as_bytes()),
            Err(_) => TRAP,
        }
    })
}

#[inline(never)]
fn copy_hand(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, h| {
        let (off, n) = (black_box(SRC), black_box(n));
        let Some(p) = m.check(off, n) else {
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
    })
}

gm_pair!(copy_gm, copy_gm_devirt, |m, h, n| {
    let (off, n) = (black_box(SRC), black_box(n));
    match GuestPtr::<str>::new(m, (off, n as u32)).copy_to_buf(h.strbuf) {
        Ok(s) => tail(black_box(s).as_bytes()),
        Err(_) => TRAP,
    }
});

/// wiggle copies a string by borrowing its bytes, copying them and validating the copy.
#[cfg(feature = "wiggle")]
#[inline(never)]
fn copy_wiggle(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    super::wg(b, reps, |m, h| {
        let (off, n) = (black_box(SRC), black_box(n));
        let Some(dst) = h.strbuf.get_mut(..n) else {
            return TRAP;
        };
        match m.as_slice(wiggle::GuestPtr::<[u8]>::new((off, n as u32))) {
            Ok(Some(s)) => dst.copy_from_slice(s),
            _ => return TRAP,
        }
        match core::str::from_utf8(dst) {
            Ok(s) => tail(black_box(s).as_bytes()),
            Err(_) => TRAP,
        }
    })
}

// ---- copy + validate into a heapless::String ----

const CAP: usize = 4096;

#[inline(always)]
fn heapless_string(s: &[u8]) -> u64 {
    let Ok(v) = heapless::Vec::<u8, CAP>::from_slice(s) else {
        return TRAP;
    };
    match heapless::String::from_utf8(v) {
        Ok(s) => tail(black_box(&s).as_bytes()),
        Err(_) => TRAP,
    }
}

#[inline(never)]
fn heapless_limit(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, _| {
        let (off, n) = (black_box(SRC), black_box(n));
        // SAFETY: `SRC + n` is inside the memory, and nothing writes it while the slice lives.
        heapless_string(unsafe { core::slice::from_raw_parts(m.at(off), n) })
    })
}

#[inline(never)]
fn heapless_hand(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, _| {
        let (off, n) = (black_box(SRC), black_box(n));
        let Some(p) = m.check(off, n) else {
            return TRAP;
        };
        // SAFETY: `check` put the `n` bytes at `p` inside the memory; nothing writes them.
        heapless_string(unsafe { core::slice::from_raw_parts(p, n) })
    })
}

gm_pair!(heapless_gm, heapless_gm_devirt, |m, _h, n| {
    let (off, n) = (black_box(SRC), black_box(n));
    match GuestPtr::<str>::new(m, (off, n as u32)).to_heapless::<CAP>() {
        Ok(s) => tail(black_box(&s).as_bytes()),
        Err(_) => TRAP,
    }
});

// ---- zero-copy view ----

#[inline(never)]
fn view_limit(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, _| {
        let (off, n) = (black_box(SRC), black_box(n));
        // SAFETY: as in `heapless_limit`.
        let bytes = unsafe { core::slice::from_raw_parts(m.at(off), n) };
        match core::str::from_utf8(bytes) {
            Ok(s) => tail(black_box(s).as_bytes()),
            Err(_) => TRAP,
        }
    })
}

#[inline(never)]
fn view_hand(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    raw(b, reps, |m, _| {
        let (off, n) = (black_box(SRC), black_box(n));
        let Some(p) = m.check(off, n) else {
            return TRAP;
        };
        // SAFETY: as in `heapless_hand`.
        let bytes = unsafe { core::slice::from_raw_parts(p, n) };
        match core::str::from_utf8(bytes) {
            Ok(s) => tail(black_box(s).as_bytes()),
            Err(_) => TRAP,
        }
    })
}

gm_pair!(view_gm, view_gm_devirt, |m, _h, n| {
    let (off, n) = (black_box(SRC), black_box(n));
    match GuestPtr::<str>::new(m, (off, n as u32)).as_str() {
        Ok(s) => tail(black_box(&*s).as_bytes()),
        Err(_) => TRAP,
    }
});

#[cfg(feature = "wiggle")]
#[inline(never)]
fn view_wiggle(b: &mut Bufs, n: usize, reps: u32) -> u64 {
    super::wg(b, reps, |m, _| {
        let (off, n) = (black_box(SRC), black_box(n));
        match m.as_cow_str(wiggle::GuestPtr::<str>::new((off, n as u32))) {
            Ok(s) => tail(black_box(&*s).as_bytes()),
            Err(_) => TRAP,
        }
    })
}

pub(crate) fn workloads() -> Vec<(&'static str, Impls)> {
    vec![
        (
            "str copy+validate",
            Impls {
                limit: Some(copy_limit),
                hand: copy_hand,
                gm: copy_gm,
                gm_devirt: Some(copy_gm_devirt),
                wiggle: wg_kernel!(copy_wiggle),
            },
        ),
        (
            "str to_heapless",
            Impls {
                limit: Some(heapless_limit),
                hand: heapless_hand,
                gm: heapless_gm,
                gm_devirt: Some(heapless_gm_devirt),
                wiggle: None,
            },
        ),
        (
            "str view",
            Impls {
                limit: Some(view_limit),
                hand: view_hand,
                gm: view_gm,
                gm_devirt: Some(view_gm_devirt),
                wiggle: wg_kernel!(view_wiggle),
            },
        ),
    ]
}
