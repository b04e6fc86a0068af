//! Host functions for guests that do not use WASI (import module `env`): strings, arrays of
//! structs and out-pointers, all declared with the core's macros and read through
//! [`GuestPtr`]. Each returns 0 or a negated WASI errno, so the guest sees what went wrong.
//!
//! Engine-neutral: the functions are public and take a [`GuestFrame`] over any guest memory,
//! so tests and fuzzers call them without an engine (e.g. over a byte array, with a
//! [`WasiCtx`](guestmem_wasi::WasiCtx) of a [`TestHost`](guestmem_wasi::TestHost)), and
//! [`for_each_function!`] lists them once for every engine binding, as
//! [`guestmem_wasi::for_each_function!`] lists WASI's.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(
    test,
    allow(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::arithmetic_side_effects,
    )
)]

use guestmem::{guest_enum, guest_flags, guest_struct, GuestError, GuestFrame, GuestPtr};
use guestmem_wasi::abi::HostFn;
use guestmem_wasi::{check_out, Errno, HasWasi, Stdio, WasiHost};

/// The engine-neutral ABI and the WASI crate, which [`for_each_function!`]'s paths name.
#[doc(hidden)]
pub use guestmem_wasi as __wasi;

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
    #[non_exhaustive]
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
        Err(e) => i32::from(e.to_raw()).wrapping_neg(),
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

/// The import module of these functions.
pub const MODULE: &str = "env";

/// How many functions [`for_each_function!`] lists.
pub const FUNCTION_COUNT: usize = 4;

/// The one list of the raw guest's host functions (module `env`), in the form of
/// [`guestmem_wasi::for_each_function!`]: `for_each_function!(callback)` or
/// `for_each_function!(callback, EXTRA...)` invokes `callback!` with `[EXTRA...]`, the module,
/// the bound of the context type ([`HasWasi`]), and one `fn "name" (Args...) -> Ret = path;`
/// entry per function. An engine binding's glue for WASI's list takes this one unchanged.
///
/// # Examples
///
/// ```
/// macro_rules! names {
///     ([] module $module:literal; bound $bound:path;
///      $($kind:tt $name:literal ($($arg:ty),*) -> $ret:ty = $target:expr;)*) => {
///         [$(concat!($module, ".", $name)),*]
///     };
/// }
///
/// let names = guestmem_example_host::for_each_function!(names);
/// assert_eq!(names, ["env.print", "env.sum_points", "env.shape_area", "env.upper"]);
/// ```
#[macro_export]
macro_rules! for_each_function {
    ($callback:ident $(, $($extra:tt)*)?) => {
        $callback! {
            [$($($extra)*)?]
            module "env";
            bound $crate::__wasi::HasWasi;
            fn "print" ($crate::__wasi::guestmem::GuestPtr<'_, str>) -> i32 = $crate::print;
            fn "sum_points" ($crate::__wasi::guestmem::GuestPtr<'_, [$crate::Point]>, $crate::__wasi::guestmem::GuestPtr<'_, $crate::Point>) -> i32 = $crate::sum_points;
            fn "shape_area" ($crate::__wasi::guestmem::GuestPtr<'_, $crate::Shape>, $crate::__wasi::guestmem::GuestPtr<'_, u64>) -> i32 = $crate::shape_area;
            fn "upper" ($crate::__wasi::guestmem::GuestPtr<'_, str>, $crate::__wasi::guestmem::GuestPtr<'_, [u8]>, $crate::__wasi::guestmem::GuestPtr<'_, u32>) -> i32 = $crate::upper;
        }
    };
}

/// The raw guest's host functions as engine-neutral [`HostFn`]s, built from
/// [`for_each_function!`] (see [`guestmem_wasi::host_functions`]).
///
/// # Examples
///
/// ```
/// use guestmem_example_host::host_functions;
/// use guestmem_wasi::{TestHost, WasiCtx};
///
/// let fs = host_functions::<WasiCtx<TestHost<'static>>>();
/// assert_eq!(fs[3].name, "upper");
/// assert_eq!(fs[3].sig.as_cstr(), c"i(*i*i*)");
/// ```
pub const fn host_functions<C: HasWasi>() -> [HostFn<C>; FUNCTION_COUNT] {
    use guestmem_wasi::__host_fn_table;
    for_each_function!(__host_fn_table, C)
}
