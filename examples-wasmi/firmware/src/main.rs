//! Firmware for QEMU's mps2-an386 (Cortex-M4F): runs one of the wasm3 firmware's guests on
//! wasmi, with the same host functions (guestmem-wasi's WASI subset, guestmem-example-host's
//! `env` module) linked by guestmem-wasmi's glue, and exits through semihosting with the
//! guest's status.
//!
//! The guest is the first word after the kernel path on the semihosting command line
//! (`qemu-system-arm ... -kernel <elf> -append raw`); `hello` by default. The last line
//! reports the stack high-water mark and the heap used, for `cargo xtask firmware`.
//!
//! The board (semihosting streams, SysTick clock), the semihosting calls, the stack painting
//! and the panic handlers are the wasm3 firmware's own files, included by path.

#![no_std]
#![no_main]

#[cfg(feature = "bench")]
mod bench;
#[cfg(feature = "bench")]
#[path = "../../../examples-wasm3/firmware/src/bench_guest.rs"]
mod bench_guest;
#[path = "../../../examples-wasm3/firmware/src/board.rs"]
mod board;
mod guests;
#[allow(unsafe_code)] // the board boundary: the heap's memory, given to the allocator once
mod heap;
#[path = "../../../examples-wasm3/firmware/src/panic.rs"]
#[allow(unsafe_code)] // the link-time check: a release panic handler calls an undefined symbol
#[cfg(feature = "panic-free")]
mod panic;
#[cfg(not(feature = "panic-free"))]
mod panic_report;
#[path = "../../../examples-wasm3/firmware/src/semihosting.rs"]
#[allow(unsafe_code)] // the board boundary: semihosting calls to QEMU
mod semihosting;
#[cfg(feature = "bench")]
#[path = "../../../examples-wasm3/firmware/src/sink.rs"]
mod sink;
#[path = "../../../examples-wasm3/firmware/src/stack.rs"]
#[allow(unsafe_code)] // the board boundary: volatile stack painting
mod stack;

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
/// What the shared board module calls `crate::wasi`.
use guestmem_wasi as wasi;
use guestmem_wasi::WasiCtx;

use crate::board::Board;
use crate::stack::Stack;

/// Seeds `random_get`: reproducible bytes, not secrets (the wasm3 firmware's seed).
const RANDOM_SEED: u64 = 0x6775_6573_746d_656d;

#[entry]
fn main() -> ! {
    let stack = Stack::paint();
    heap::init();
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
    let Some(guest) = guest else {
        hprintln!("fw: unknown guest; the guests are: hello, raw, hostile (and bench, with --features bench)");
        return 2;
    };
    hprintln!(
        "fw: {} | wasmi | guest {} ({} B) | heap {} B",
        board::NAME,
        guest.name,
        guest.module.len(),
        heap::SIZE
    );
    let ctx = WasiCtx::new(Board::new(RANDOM_SEED));
    let status = guests::run(guest, ctx);
    hprintln!(
        "fw: stack high-water {} B (of {} B painted), heap peak {} of {} B, exit {}",
        stack.high_water(),
        stack.measurable(),
        heap::peak(),
        heap::SIZE,
        status
    );
    status
}
