//! Caps the guest's linear memory below one 64 KiB page.
//!
//! wasm3 allocates a module's memory in `m3_LoadModule`, clamped to the runtime's
//! `memoryLimit` field; the field must be set before that call, between `m3_NewRuntime` and
//! `m3_LoadModule`, and guestmem-wasm3's `Runtime` makes both calls in one function without a
//! way to set it (see /work/scratch/fw-requests.md). Until it has one, build.rs links with
//! `--wrap=m3_LoadModule`: every call to `m3_LoadModule` reaches [`__wrap_m3_LoadModule`],
//! which sets the limit and calls the real function (`__real_m3_LoadModule`).
//!
//! The limit only clamps the allocation: the guest still believes it has a whole page, and
//! loads and stores beyond the limit trap (wasm3 checks against the clamped length). Growing
//! must be refused too (`Runtime::limit_memory_pages`), since wasm3 would copy a whole page
//! out of the smaller block when it moves it.

use wasm3_sys as m3;

/// The guest memory the firmware allows, in bytes.
pub(crate) const MEMORY_LIMIT: u32 = 4096;

extern "C" {
    /// wasm3's `m3_LoadModule` (the linker's name for it under `--wrap`).
    fn __real_m3_LoadModule(runtime: m3::IM3Runtime, module: m3::IM3Module) -> m3::M3Result;
}

/// Sets `runtime.memoryLimit` to [`MEMORY_LIMIT`], then loads the module.
///
/// # Safety
///
/// 1. As `m3_LoadModule`: `runtime` is a live runtime and `module` a module parsed in its
///    environment, not loaded yet.
#[no_mangle]
unsafe extern "C" fn __wrap_m3_LoadModule(
    runtime: m3::IM3Runtime,
    module: m3::IM3Module,
) -> m3::M3Result {
    if !runtime.is_null() {
        // SAFETY: precondition 1: `runtime` points to a live `M3Runtime`; no module is loaded
        // in it, so nothing reads the field concurrently (and the firmware has one thread).
        unsafe { (*runtime).memoryLimit = MEMORY_LIMIT };
    }
    // SAFETY: precondition 1, passed on unchanged.
    unsafe { __real_m3_LoadModule(runtime, module) }
}
