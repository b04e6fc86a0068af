//! The C boundary of the measurement image: links the C host functions of `c/bench.c` (wasm3's
//! macros) into the bench guest's module, exports the sink they write to, runs the loop that
//! checks the instruction counter against a known instruction count, and holds the what-if
//! host function with a lean glue ([`fw_lean_fill16`]).

use core::ffi::{c_char, c_void, CStr};
use core::ptr;

use guestmem::{GuestFrame, GuestMemory, GuestPtr};
use guestmem_wasm3::Runtime;
use wasm3_sys as m3;

use crate::guests::Ctx;
use crate::sink;

extern "C" {
    /// `c/bench.c`: links the C host functions into the one module of the runtime whose memory
    /// starts at `mem` and is `len` bytes long; returns null, or a C string saying what failed.
    fn bench_link_c(mem: *const u8, len: u32) -> *const c_char;
}

/// Links the C host functions (`bench.nop_fd_write`, `c_fd_write`, `nop_fill16`, `c_fill16`)
/// into `rt`'s module.
///
/// The binding does not hand out its wasm3 module (nothing else should link into it), so the
/// C side finds it from the memory: wasm3 keeps the runtime's address in the header right
/// before the memory's data, and `bench_link_c` checks that this runtime reports the same
/// memory before it links.
pub(crate) fn link(rt: &mut Runtime<'_, Ctx>) -> Result<(), &'static str> {
    let (base, len) = {
        let frame = rt.memory();
        let first = GuestPtr::<[u8]>::new(&frame, (0, 1))
            .as_slice()
            .map_err(|_| "the bench guest has no memory")?;
        (first.as_ptr(), frame.len())
    };
    // The view and the frame ended above: no Rust reference to the memory is live here.
    // `base` is the address of the first byte of the memory data wasm3 allocated for `rt`'s
    // module, behind its `M3MemoryHeader`; `rt` is borrowed mutably, so the guest does not run
    // and the memory does not move. `bench_link_c` reads the header and the runtime (wasm3's
    // own structures, compiled with wasm3's flags), checks that the runtime leads back to
    // `base` and `len`, and calls `m3_LinkRawFunction` on its only module, as wasm3's API
    // expects after `m3_LoadModule`; it never touches the guest's bytes.
    // SAFETY: `base` and `len` describe the live memory of a loaded, paused runtime, as argued
    // above.
    let error = unsafe { bench_link_c(base, len) };
    if error.is_null() {
        Ok(())
    } else {
        // SAFETY: a non-null result is a NUL-terminated string of static storage: a literal in
        // bench.c or one of wasm3's `m3Err_*` constants.
        let message = unsafe { CStr::from_ptr(error) };
        Err(message
            .to_str()
            .unwrap_or("linking the C host functions failed"))
    }
}

/// The sink of `c/bench.c`'s `fd_write` (its `write(2)`): takes `len` bytes at `buf`; returns
/// `len`, or -1 for a descriptor other than stdout and stderr.
///
/// # Safety
///
/// `buf` points to `len` readable bytes that nothing writes while the call lasts: `bench.c`
/// calls it only for a buffer it has checked to lie inside the guest memory, from a host
/// function (the guest is paused in it, and no Rust reference to the memory is live then).
#[no_mangle]
unsafe extern "C" fn fw_sink_write(fd: u32, buf: *const u8, len: u32) -> i32 {
    if fd != 1 && fd != 2 {
        return -1;
    }
    sink::count(len);
    if sink::verifying() {
        let n = usize::try_from(len).unwrap_or(0);
        // SAFETY: the function's precondition: `n` readable bytes at `buf`, unchanged while the
        // slice lives (only within this call).
        let bytes = unsafe { core::slice::from_raw_parts(buf, n) };
        sink::hash(bytes);
    }
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// The memory wasm3 hands a raw host function: its data pointer and length.
struct RawMemory {
    base: *mut u8,
    len: u32,
}

// SAFETY: made only by `fw_lean_fill16` from the `_mem` argument wasm3 passes a raw host
// function, the data of the runtime's one memory block (`m3MemData`), and the length wasm3
// keeps in the header before it: 1. the block's bytes, live while the host call lasts; 2. the
// guest is paused in that call and no Rust reference to the memory exists meanwhile (the
// embedder's `Runtime::call` holds the runtime mutably); the value lives only in the call;
// 3. a zero length is never dereferenced.
unsafe impl GuestMemory for RawMemory {
    fn base(&mut self) -> (*mut u8, u32) {
        (self.base, self.len)
    }
}

/// `fill16` (the example's way: `crate::bench::fill16_body`) behind a glue that does what
/// the binding's trampoline does in fewer instructions (a what-if for the glue's cost): the
/// memory from wasm3's `_mem` argument and the length in its header (no `m3_GetMemory`
/// call), no null checks of pointers wasm3 always passes, no context.
///
/// # Safety
///
/// Called by wasm3 only, as a raw host function linked with the signature `i(ii*)`: `sp`
/// points to three argument slots (the result goes to the first), `mem` is `m3MemData` of the
/// runtime's memory header.
#[no_mangle]
unsafe extern "C" fn fw_lean_fill16(
    _runtime: m3::IM3Runtime,
    sp: *mut u64,
    mem: *mut c_void,
) -> *const c_void {
    let header = mem.cast::<m3::M3MemoryHeader>().wrapping_sub(1);
    // SAFETY: `mem` is `m3MemData(header)`, one header past wasm3's `M3MemoryHeader`
    // (precondition), which is live and not written during the host call.
    let length = unsafe { (*header).length };
    let mut memory = RawMemory {
        base: mem.cast(),
        len: length, // `size_t`: 32 bits on these targets
    };
    let frame = GuestFrame::new(&mut memory);
    // SAFETY: three initialised argument slots at `sp` (precondition), read before the result
    // is written.
    let [a, b, out] = unsafe { sp.cast::<[u64; 3]>().read() };
    let low = |slot: u64| u32::try_from(slot & 0xFFFF_FFFF).unwrap_or(0);
    let errno = crate::bench::fill16_body(&frame, low(a), low(b), low(out));
    // SAFETY: the first slot takes the result (precondition); nothing reads the arguments now.
    unsafe { sp.write(u64::from(errno)) };
    ptr::null()
}

/// Runs a loop of `iterations` of exactly two instructions (`subs`, `bne`) and returns how
/// many instructions that is, for checking the instruction counter.
#[inline(never)]
pub(crate) fn known_loop(iterations: u32) -> u32 {
    let mut n = iterations.max(1);
    // SAFETY: the asm only counts a register down to zero: no memory access, no stack use, and
    // the flags it clobbers are declared (no `preserves_flags`).
    unsafe {
        core::arch::asm!(
            "2:",
            "subs {n}, {n}, #1",
            "bne 2b",
            n = inout(reg) n,
            options(nomem, nostack),
        );
    }
    let _ = n;
    iterations.max(1).saturating_mul(2)
}
