//! The stack high-water mark: paint at boot, scan at the end. Shared by the wasm3 and wasmi
//! firmware (examples-wasmi/firmware includes this file).

use core::ptr;

/// The pattern painted over the free stack.
const PAINT: u32 = 0xDEAD_BEEF;
/// Painted at most this far below the stack top: the budget part has 64 KiB of RAM in all.
const PAINT_DEPTH: usize = 64 * 1024;
/// Bytes left unpainted below the current stack pointer (this function's own frame).
const MARGIN: usize = 64;

extern "C" {
    /// The end of `.bss`/`.uninit`: the lowest address the stack may reach (cortex-m-rt).
    static mut __sheap: u32;
    /// The initial stack pointer, the top of RAM (cortex-m-rt).
    static _stack_start: u32;
}

/// The painted stack region, `[low, top)`.
#[derive(Clone, Copy)]
pub(crate) struct Stack {
    low: *mut u32,
    top: usize,
}

impl Stack {
    /// Paints the unused stack below the caller's frame. Call it first thing in `main`.
    #[inline(never)]
    pub(crate) fn paint() -> Self {
        let top = ptr::addr_of!(_stack_start).addr();
        let mut low = ptr::addr_of_mut!(__sheap);
        if low.addr() < top.saturating_sub(PAINT_DEPTH) {
            low = low.with_addr(top.saturating_sub(PAINT_DEPTH));
        }
        let end = usize::try_from(cortex_m::register::msp::read())
            .unwrap_or(0)
            .saturating_sub(MARGIN);
        let mut p = low;
        while p.addr() < end {
            // SAFETY: `p` lies between the end of `.bss` and this function's frame: RAM that
            // no variable occupies (nothing below the stack pointer is live), word aligned
            // since `__sheap` is (cortex-m-rt asserts it) and the depth is a multiple of 4.
            unsafe { p.write_volatile(PAINT) };
            p = p.wrapping_add(1);
        }
        Stack { low, top }
    }

    /// The most stack used since [`paint`](Self::paint), in bytes: from the top down to the
    /// lowest word that lost the pattern.
    pub(crate) fn high_water(&self) -> usize {
        let mut p = self.low;
        while p.addr() < self.top {
            // SAFETY: `p` is in `[low, top)`, RAM between `.bss` and the top of the stack,
            // word aligned; a volatile read of a `u32` there is defined (it holds the paint or
            // a stack value).
            if unsafe { p.read_volatile() } != PAINT {
                break;
            }
            p = p.wrapping_add(1);
        }
        self.top.saturating_sub(p.addr())
    }

    /// The bytes painted: the deepest stack [`high_water`](Self::high_water) can measure.
    pub(crate) fn measurable(&self) -> usize {
        self.top.saturating_sub(self.low.addr())
    }
}
