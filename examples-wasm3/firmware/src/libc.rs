//! The three C library functions wasm3 0.4.7 needs beyond what Rust's `compiler_builtins`
//! provides (`memcpy`, `memset`, `strlen`, the float helpers): `strcmp` for import and export
//! names, `strtoul`/`strtoull` for the decimal arguments of `m3_CallWithArgs`. Newlib's would
//! do too, but its `strtoul` drags in 1 KiB of `.data` (the reentrancy structure).

use core::cmp::Ordering;
use core::ffi::{c_char, c_int, c_ulong, c_ulonglong, CStr};

/// C `strcmp`.
///
/// # Safety
///
/// 1. `a` and `b` point to NUL-terminated strings.
#[no_mangle]
unsafe extern "C" fn strcmp(a: *const c_char, b: *const c_char) -> c_int {
    // SAFETY: precondition 1.
    let a = unsafe { CStr::from_ptr(a) };
    // SAFETY: precondition 1.
    let b = unsafe { CStr::from_ptr(b) };
    // Byte-wise unsigned comparison, a prefix first: what C's strcmp orders by.
    match a.to_bytes().cmp(b.to_bytes()) {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }
}

/// C `strtoul` (32-bit `unsigned long`).
///
/// # Safety
///
/// 1. `s` points to a NUL-terminated string.
/// 2. `end` is null or valid for writing a pointer.
#[no_mangle]
unsafe extern "C" fn strtoul(s: *const c_char, end: *mut *mut c_char, base: c_int) -> c_ulong {
    // SAFETY: preconditions 1 and 2, passed on.
    let (value, negative) = unsafe { parse(s, end, base, u64::from(c_ulong::MAX)) };
    let value = c_ulong::try_from(value).unwrap_or(c_ulong::MAX);
    if negative {
        value.wrapping_neg()
    } else {
        value
    }
}

/// C `strtoull`.
///
/// # Safety
///
/// As [`strtoul`].
#[no_mangle]
unsafe extern "C" fn strtoull(s: *const c_char, end: *mut *mut c_char, base: c_int) -> c_ulonglong {
    // SAFETY: preconditions 1 and 2, passed on.
    let (value, negative) = unsafe { parse(s, end, base, c_ulonglong::MAX) };
    if negative {
        value.wrapping_neg()
    } else {
        value
    }
}

/// Parses as C's `strto*` do: leading white space, an optional sign, a `0x` prefix in base 16
/// (or base 0, where a leading `0` means octal), then digits; the magnitude saturates at
/// `max`. Stores the end of the number (or `s` when there is none) in `*end`.
///
/// # Safety
///
/// As [`strtoul`].
unsafe fn parse(s: *const c_char, end: *mut *mut c_char, base: c_int, max: u64) -> (u64, bool) {
    // SAFETY: precondition 1.
    let bytes = unsafe { CStr::from_ptr(s) }.to_bytes();
    let (value, negative, used) = parse_bytes(bytes, base, max);
    if !end.is_null() {
        // SAFETY: precondition 2; `used <= bytes.len()`, so the pointer stays in the string.
        unsafe { end.write(s.wrapping_add(used).cast_mut()) };
    }
    (value, negative)
}

/// [`parse`] on the bytes: `(magnitude, negative, bytes used)`.
fn parse_bytes(bytes: &[u8], base: c_int, max: u64) -> (u64, bool, usize) {
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let mut i = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'..=b'\r'))
        .unwrap_or(bytes.len());
    let negative = at(i) == b'-';
    if matches!(at(i), b'-' | b'+') {
        i = i.saturating_add(1);
    }
    let hex_prefix = at(i) == b'0' && matches!(at(i.saturating_add(1)), b'x' | b'X');
    let base: u64 = match base {
        0 if hex_prefix => 16,
        0 if at(i) == b'0' => 8,
        0 => 10,
        2..=36 => u64::from(base.unsigned_abs()),
        _ => return (0, false, 0),
    };
    if base == 16 && hex_prefix && char::from(at(i.saturating_add(2))).is_ascii_hexdigit() {
        i = i.saturating_add(2);
    }
    let start = i;
    let mut value: u64 = 0;
    while let Some(digit) = char::from(at(i)).to_digit(36).map(u64::from) {
        if digit >= base {
            break;
        }
        value = value
            .checked_mul(base)
            .and_then(|v| v.checked_add(digit))
            .filter(|v| *v <= max)
            .unwrap_or(max);
        i = i.saturating_add(1);
    }
    if i == start {
        return (0, false, 0);
    }
    (value, negative, i)
}
