//! Run-time measurement of how much of wasm3's fixed heap is used (probe allocations); the
//! stack's is in `stack.rs`.

use core::ffi::c_void;
use core::ptr;

use wasm3_sys as m3;

/// The next free address of wasm3's bump heap, or `None` when it is full. Takes one heap
/// alignment unit (16 bytes) itself.
pub(crate) fn heap_mark() -> Option<usize> {
    let mut p: *mut c_void = ptr::null_mut();
    // SAFETY: `m3_Malloc` writes a pointer to `p` (a live local) and returns null or an error
    // string; with `d_m3FixedHeap` it bumps a pointer inside wasm3's static heap and never
    // touches anything else.
    let result = unsafe { m3::m3_Malloc(&mut p, 1) };
    (result.is_null() && !p.is_null()).then(|| p.addr())
}
