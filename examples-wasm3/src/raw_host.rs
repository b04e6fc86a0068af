//! Host functions for guests that do not use WASI (import module `env`): strings, arrays of
//! structs and out-pointers, all declared with the core's macros and read through
//! [`GuestPtr`]. Each returns 0 or a negated WASI errno, so the guest sees what went wrong.
//!
//! The functions are public and take a [`GuestFrame`] over any guest memory, so tests and
//! fuzzers call them without wasm3 (e.g. over a byte array, with a
//! [`WasiCtx`](crate::wasi::WasiCtx) of a [`TestHost`](crate::wasi::TestHost)); [`functions`]
//! links them.

use guestmem::{guest_enum, guest_flags, guest_struct, GuestError, GuestFrame, GuestPtr};

use crate::wasi::{check_out, Errno, HasWasi, Stdio, WasiHost};
use crate::{host_fn, HostFunc};

guest_struct! {
    /// A point of the guest (`struct point { int32_t x, y; }`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Point {
        /// x coordinate.
        pub x: i32,
        /// y coordinate.
        pub y: i32,
    }
}

guest_enum! {
    /// What a [`Shape`] is.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ShapeKind: u8 {
        /// `w` × `h`.
        Rect = 1,
        /// `w` × `w`.
        Square = 2,
        /// Half of `w` × `h`.
        Triangle = 3,
    }
}

guest_flags! {
    /// How a [`Shape`] is drawn.
    pub struct ShapeFlags: u16 {
        /// Filled in.
        const FILLED = 1 << 0;
        /// With a border.
        const BORDER = 1 << 1;
    }
}

guest_struct! {
    /// A shape of the guest (`struct shape { uint8_t kind; uint16_t flags; uint32_t w, h; }`,
    /// 12 bytes with padding after `kind`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Shape {
        /// What it is.
        pub kind: ShapeKind,
        /// How it is drawn.
        pub flags: ShapeFlags,
        /// Width.
        pub w: u32,
        /// Height.
        pub h: u32,
    }
}

/// 0, or the negated errno of `e`.
fn status(r: Result<(), Errno>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => i32::from(e.raw()).wrapping_neg(),
    }
}

fn err(e: GuestError) -> Errno {
    Errno::from(e)
}

/// `print(ptr, len)`: writes the UTF-8 string and a newline to stdout.
pub fn print<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    text: GuestPtr<'a, str>,
) -> i32 {
    status((|| {
        let text = text.as_str().map_err(err)?;
        ctx.wasi()
            .host()
            .write(Stdio::Stdout, &[text.as_bytes(), b"\n"])?;
        Ok(())
    })())
}

/// `sum_points(points, n, out)`: the sum of an array of points, into `*out`.
pub fn sum_points<'a, C: HasWasi>(
    _ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    points: GuestPtr<'a, [Point]>,
    out: GuestPtr<'a, Point>,
) -> i32 {
    status((|| {
        let mut sum = Point::default();
        for p in points.iter() {
            let p = p.map_err(err)?.read().map_err(err)?;
            sum.x = sum.x.wrapping_add(p.x);
            sum.y = sum.y.wrapping_add(p.y);
        }
        out.write(sum).map_err(err)
    })())
}

/// `shape_area(shape, out)`: the area of a shape into `*out`; `EINVAL` for an unknown kind or
/// flag bit.
pub fn shape_area<'a, C: HasWasi>(
    _ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    shape: GuestPtr<'a, Shape>,
    out: GuestPtr<'a, u64>,
) -> i32 {
    status((|| {
        let s = shape.read().map_err(err)?;
        let (w, h) = (u64::from(s.w), u64::from(s.h));
        let area = match s.kind {
            ShapeKind::Rect => w.saturating_mul(h),
            ShapeKind::Square => w.saturating_mul(w),
            ShapeKind::Triangle => w.saturating_mul(h) / 2,
        };
        out.write(area).map_err(err)
    })())
}

/// `upper(text, text_len, out, out_cap, out_len)`: `text` in upper case into `out`, its length
/// into `*out_len`. `EOVERFLOW` (and the needed length in `*out_len`, `out` untouched) when
/// `out` is too small; `EFAULT` when `out` overlaps `text`.
///
/// All or nothing: the text, `out_len` and `out` (bounds, and no overlap with the text) are
/// checked before anything is written, whether `out` is large enough or not.
pub fn upper<'a, C: HasWasi>(
    _ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    text: GuestPtr<'a, str>,
    out: GuestPtr<'a, [u8]>,
    out_len: GuestPtr<'a, u32>,
) -> i32 {
    status((|| {
        let needed = {
            let text = text.as_str().map_err(err)?;
            let needed = u32::try_from(text.len()).map_err(|_| Errno::Overflow)?;
            // Before the mutable view below, which a check of `out_len` would conflict with
            // if they overlapped (that overlap is allowed: the guest reads what it asked for).
            check_out(out_len)?;
            // Both views live at once: the core refuses `out` if it overlaps the text.
            let mut dst = out.as_slice_mut().map_err(err)?;
            if needed <= out.len() {
                for (d, s) in dst.iter_mut().zip(text.bytes()) {
                    *d = s.to_ascii_uppercase();
                }
            }
            needed
        }; // the views end here, so the write below cannot be refused
        out_len.write(needed).map_err(err)?;
        if needed > out.len() {
            return Err(Errno::Overflow);
        }
        Ok(())
    })())
}

/// The raw guest's host functions, module `env`. A `const fn`, so that a `static` of the
/// table can live in flash (see [`wasi::functions`](crate::wasi::functions)).
pub const fn functions<C: HasWasi>() -> [HostFunc<C>; 4] {
    [
        host_fn!(<C: HasWasi> "env" "print" => print(GuestPtr<'_, str>) -> i32),
        host_fn!(<C: HasWasi> "env" "sum_points" => sum_points(GuestPtr<'_, [Point]>, GuestPtr<'_, Point>) -> i32),
        host_fn!(<C: HasWasi> "env" "shape_area" => shape_area(GuestPtr<'_, Shape>, GuestPtr<'_, u64>) -> i32),
        host_fn!(<C: HasWasi> "env" "upper" => upper(GuestPtr<'_, str>, GuestPtr<'_, [u8]>, GuestPtr<'_, u32>) -> i32),
    ]
}
