//! Firmware for QEMU's mps2-an386 (Cortex-M4F) and lm3s6965evb (Cortex-M3, 64 KiB RAM): runs
//! one of the embedded WebAssembly guests on wasm3, with guestmem-wasm3's host functions and
//! WASI subset, and exits through semihosting with the guest's status.
//!
//! The guest is the first word after the kernel path on the semihosting command line
//! (`qemu-system-arm ... -kernel <elf> -append raw`); `hello` by default. The last line
//! reports the stack high-water mark and the wasm3 heap used, for `cargo xtask firmware`.

#![no_std]
#![no_main]

// `unsafe_code` is denied for the firmware (Cargo.toml) and allowed only where it meets C,
// the board or the build, each with its reason.
#[cfg(feature = "bench")]
mod bench;
#[cfg(feature = "bench")]
mod bench_guest;
mod board;
#[cfg(feature = "bench")]
#[allow(unsafe_code)]
// the C boundary: links c/bench.c's host functions, exports their sink; an asm loop
mod c_bench;
#[allow(unsafe_code)] // the build boundary: the promise that the embedded guests were validated
mod embedded;
mod guests;
mod layout;
#[allow(unsafe_code)] // the C boundary: `strcmp`/`strtoul`/`strtoull` exported for wasm3
mod libc;
#[allow(unsafe_code)] // the board boundary: wasm3's heap probe
mod measure;
#[allow(unsafe_code)] // the link-time check: a release panic handler calls an undefined symbol
mod panic;
#[allow(unsafe_code)] // the board boundary: semihosting calls to QEMU
mod semihosting;
#[cfg(feature = "bench")]
mod sink;
#[allow(unsafe_code)] // the board boundary: volatile stack painting
mod stack;

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use guestmem_wasm3::wasi::{self, WasiCtx};

use crate::board::Board;
use crate::stack::Stack;

/// Seeds `random_get`: reproducible bytes, not secrets.
const RANDOM_SEED: u64 = 0x6775_6573_746d_656d;

#[entry]
fn main() -> ! {
    let stack = Stack::paint();
    let status = run(&stack);
    semihosting::exit(status)
}

fn run(stack: &Stack) -> u32 {
    if let Some(p) = cortex_m::Peripherals::take() {
        board::start_clock(p.SYST);
    }
    let mut line = [0u8; 128];
    let cmdline = semihosting::command_line(&mut line);
    let mut words = cmdline
        .split(|b| *b == b' ')
        .filter(|w| !w.is_empty())
        .skip(1);
    let guest = match words.next() {
        None => guests::GUESTS.first(),
        Some(name) => guests::find(name),
    };
    #[cfg(feature = "bench")]
    bench::set_calls(words.next());
    let Some(guest) = guest else {
        hprintln!("fw: unknown guest; the guests are: hello, raw, hostile (and bench, with --features bench)");
        return 2;
    };
    let (height, slots, page) = layout::LIMITS;
    hprintln!(
        "fw: {} | guest {} ({} B) | memory limit {} B, wasm3 stack {} B, heap {} B | \
         wasm3 layout: {} values match gcc | max stack height {}, slots {}, code page {} B",
        board::NAME,
        guest.name,
        guest.module.bytes().len(),
        guests::MEMORY_LIMIT,
        guests::WASM_STACK,
        layout::FIXED_HEAP,
        layout::CHECKED,
        height,
        slots,
        page
    );
    let heap_start = measure::heap_mark();
    let mut ctx = WasiCtx::new(Board::new(RANDOM_SEED));
    let status = guests::run(guest, &mut ctx);
    let heap_used = match (heap_start, measure::heap_mark()) {
        (Some(start), Some(end)) => end.saturating_sub(start).saturating_sub(layout::HEAP_ALIGN),
        _ => layout::FIXED_HEAP,
    };
    hprintln!(
        "fw: stack high-water {} B (of {} B painted), wasm3 heap used {} of {} B, exit {}",
        stack.high_water(),
        stack.measurable(),
        heap_used,
        layout::FIXED_HEAP,
        status
    );
    status
}
