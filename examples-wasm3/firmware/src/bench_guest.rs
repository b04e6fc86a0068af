//! What the measurement images know of the bench guest (`guests/bench.c`): its `fill16`
//! out-parameter and seed, the guestmem host functions both engines measure, and the sum its
//! `fill16_expected` loop computes. Shared by the wasm3 and wasmi firmware
//! (examples-wasmi/firmware includes this file).

// `crate::wasi` is guestmem-wasi as each firmware names it.
use crate::wasi::guestmem::{guest_struct, GuestFrame, GuestPtr};
use crate::wasi::{Errno, Iovec};

/// The seed the guest's `fill16_loop` passes as `b` (`FILL16_SEED` in `guests/bench.c`).
const FILL16_SEED: u32 = 0x9e37_79b9;

guest_struct! {
    /// `fill16`'s out-parameter: four words (16 bytes).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct Quad {
        pub(crate) a: u32,
        pub(crate) b: u32,
        pub(crate) c: u32,
        pub(crate) d: u32,
    }
}

/// What `fill16(a, b, out)` writes: `{a, b, a ^ b, a + b}`.
#[inline(always)]
pub(crate) fn quad(a: u32, b: u32) -> Quad {
    Quad {
        a,
        b,
        c: a ^ b,
        d: a.wrapping_add(b),
    }
}

/// `fill16(a, b, out)` as the example's host functions are written: a `guest_struct!` value
/// written through its `GuestPtr`.
pub(crate) fn fill16<C>(
    _ctx: &mut C,
    _mem: &GuestFrame<'_>,
    a: u32,
    b: u32,
    out: GuestPtr<'_, Quad>,
) -> Errno {
    out.write(quad(a, b))
        .map_err(Errno::from)
        .err()
        .unwrap_or(Errno::Success)
}

/// An empty host function of `fd_write`'s signature: the glue alone.
pub(crate) fn nop_fd_write<C>(
    _ctx: &mut C,
    _mem: &GuestFrame<'_>,
    _fd: u32,
    _iovs: GuestPtr<'_, [Iovec<'_>]>,
    _nwritten: GuestPtr<'_, u32>,
) -> Errno {
    Errno::Success
}

/// An empty host function of `fill16`'s signature: the glue alone.
pub(crate) fn nop_fill16<C>(
    _ctx: &mut C,
    _mem: &GuestFrame<'_>,
    _a: u32,
    _b: u32,
    _out: GuestPtr<'_, Quad>,
) -> Errno {
    Errno::Success
}

/// The sum of the four words `fill16(i, seed)` writes, over `i` in `0..n`, in wrapping `u32`
/// arithmetic: what the guest's `fill16_expected(n)` computes.
pub(crate) fn expected_sum(n: u32) -> u32 {
    (0..n).fold(0u32, |s, i| {
        let q = quad(i, FILL16_SEED);
        s.wrapping_add(q.a)
            .wrapping_add(q.b)
            .wrapping_add(q.c)
            .wrapping_add(q.d)
    })
}
