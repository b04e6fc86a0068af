//! The fixed-size heap wasmi allocates from: a static array handed to embedded-alloc's
//! first-fit allocator at boot, and its peak use.

use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicUsize, Ordering};

use embedded_alloc::LlffHeap;

/// The heap's size: wasmi's engine, the compiled module, one 64 KiB linear memory and the
/// value stack fit with room to spare in 1 MiB (of the board's 4 MiB RAM).
pub(crate) const SIZE: usize = 1024 * 1024;

/// The allocator: first-fit over a linked list of free blocks.
#[global_allocator]
static HEAP: Counting = Counting {
    heap: LlffHeap::empty(),
    peak: AtomicUsize::new(0),
};

/// [`LlffHeap`], remembering the most bytes it ever had in use.
struct Counting {
    heap: LlffHeap,
    peak: AtomicUsize,
}

// SAFETY: forwards every call to `LlffHeap`, a `GlobalAlloc`; only reads its use after.
unsafe impl core::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: core::alloc::Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on unchanged.
        let p = unsafe { self.heap.alloc(layout) };
        self.peak.fetch_max(self.heap.used(), Ordering::Relaxed);
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: core::alloc::Layout) {
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe { self.heap.dealloc(ptr, layout) }
    }
}

/// Gives the heap its memory. Call once, first thing in `main`.
pub(crate) fn init() {
    static mut MEMORY: [MaybeUninit<u8>; SIZE] = [MaybeUninit::uninit(); SIZE];
    let start = core::ptr::addr_of_mut!(MEMORY).addr();
    // SAFETY: called once at boot, before any allocation; `MEMORY` is a static that nothing
    // else names, `SIZE` bytes long, handed over whole to the allocator.
    unsafe { HEAP.heap.init(start, SIZE) }
}

/// The most heap in use at once so far, in bytes.
pub(crate) fn peak() -> usize {
    HEAP.peak.load(Ordering::Relaxed)
}
