//! Every `unsafe` operation of the crate: the calls into wasm3's C API, the guest memory it
//! owns, and the entry point of host functions. The rest of the crate is safe code over the
//! handful of functions and types here.
//!
//! wasm3 0.4.7 facts this module relies on (see the crate docs for how they were found):
//!
//! - a runtime owns the module after a successful `m3_LoadModule`, and frees it with itself;
//! - `m3_GetMemory` dereferences the runtime's memory header, which exists only once a module
//!   that does not import its memory has been loaded; it returns null for a memory of size 0;
//! - the memory is one `realloc`ed block that moves when the guest grows it, so its address is
//!   asked again on every access ([`Wasm3Memory::base`]);
//! - a raw host function receives one `u64` slot per argument from `sp[0]` and writes its
//!   result into `sp[0]`; returning non-null makes the call trap with that message;
//! - after `m3_CallWithArgs` succeeds, the result is in slot 0 of the runtime's stack.
//! - `m3_LoadModule` allocates the memory, clamped to the runtime's `memoryLimit` field (0: no
//!   limit), which therefore must be set between `m3_NewRuntime` and `m3_LoadModule`.

use core::ffi::{c_char, c_void, CStr};
use core::marker::PhantomData;
use core::num::NonZeroU32;
use core::ptr::{self, NonNull};

use guestmem::{BorrowTable, GuestMemory};
use wasm3_sys as m3;

use crate::glue::{Trap, MAX_SLOTS};

/// The signature wasm3 calls a linked host function with (`M3RawCallEx` without the `Option`).
pub(crate) type RawHostFn = unsafe extern "C" fn(
    runtime: m3::IM3Runtime,
    sp: *mut u64,
    mem: *mut c_void,
    cookie: *mut c_void,
) -> *const c_void;

/// A wasm3 result: `Ok` for null (`m3Err_none`), else the error's C string.
fn check(result: m3::M3Result) -> Result<(), &'static CStr> {
    if result.is_null() {
        Ok(())
    } else {
        // SAFETY: a non-null `M3Result` is a NUL-terminated string: one of wasm3's `m3Err_*`
        // constants (static storage) or a message returned by one of our host functions, which
        // are `&'static CStr`s (`Trap::message`). Both live for the whole program.
        Err(unsafe { CStr::from_ptr(result) })
    }
}

/// Whether `result` is wasm3's "the guest called exit" trap.
fn is_exit(result: m3::M3Result) -> bool {
    // SAFETY: reading a `static mut` by value; wasm3 initialises it at compile time and never
    // writes it.
    let exit = unsafe { m3::m3Err_trapExit };
    ptr::eq(result, exit)
}

/// The trap pointer a host function returns for `trap`.
fn trap_pointer(trap: Trap) -> *const c_void {
    let message: m3::M3Result = match trap {
        // SAFETY: reading a `static mut` by value, never written (as in `is_exit`).
        Trap::Exit => unsafe { m3::m3Err_trapExit },
        // SAFETY: as above.
        Trap::OutOfBounds => unsafe { m3::m3Err_trapOutOfBoundsMemoryAccess },
        Trap::Message(text) => text.as_ptr(),
    };
    message.cast()
}

/// What ended a call into the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RawCallError {
    /// The guest called `proc_exit` (or a host function returned [`Trap::Exit`]).
    Exit,
    /// Any other trap or failure, with wasm3's message.
    Failed(&'static CStr),
}

/// A wasm3 environment and runtime, with one module loaded into it. Frees all of it on drop.
///
/// Invariant: `rt` is a live runtime made in `env`, with a module loaded that declares or has
/// no memory (never imports one), so `m3_GetMemory(rt, ..)` is always valid.
pub(crate) struct RawRuntime<'m> {
    env: NonNull<m3::M3Environment>,
    rt: NonNull<m3::M3Runtime>,
    module: NonNull<m3::M3Module>,
    /// wasm3 keeps pointers into the module's bytes for as long as the module lives.
    _bytes: PhantomData<&'m [u8]>,
}

impl<'m> RawRuntime<'m> {
    /// Parses and loads `bytes` into a new runtime with a `stack_bytes` value stack; with a
    /// `memory_limit`, the linear memory is allocated with at most that many bytes and can
    /// grow only in whole pages that fit under it (see [`cap_growth`](Self::cap_growth)).
    ///
    /// # Safety
    ///
    /// 1. `bytes` is a module that wasm3 0.4.7 handles without undefined behaviour: it passed
    ///    [`validate`](crate::validate()) (no bulk-memory, reference-types, multi-value or SIMD
    ///    instructions, no padded table indices, no data-count section).
    /// 2. It does not import a memory.
    ///
    /// # Errors
    ///
    /// wasm3's message when it cannot allocate, parse or load the module.
    pub(crate) unsafe fn load(
        bytes: &'m [u8],
        stack_bytes: u32,
        memory_limit: Option<NonZeroU32>,
    ) -> Result<Self, &'static CStr> {
        let len = u32::try_from(bytes.len()).map_err(|_| c"module larger than 4 GiB")?;
        // SAFETY: no precondition; returns null when out of memory.
        let env = NonNull::new(unsafe { m3::m3_NewEnvironment() }).ok_or(c"out of memory")?;
        // SAFETY: `env` is a live environment; the last argument is unused by wasm3 0.4.7.
        let rt = unsafe { m3::m3_NewRuntime(env.as_ptr(), stack_bytes, ptr::null_mut()) };
        let Some(rt) = NonNull::new(rt) else {
            // SAFETY: `env` is live and owned here, and nothing else refers to it.
            unsafe { m3::m3_FreeEnvironment(env.as_ptr()) };
            return Err(c"out of memory");
        };
        if let Some(limit) = memory_limit {
            // SAFETY: `rt` is live and has no module yet; wasm3 reads `memoryLimit` (a plain
            // field, no API in 0.4.7) when `m3_LoadModule` below allocates the memory, and
            // clamps the allocation to it. Nothing else refers to the runtime.
            unsafe { (*rt.as_ptr()).memoryLimit = limit.get() };
        }
        let mut module: m3::IM3Module = ptr::null_mut();
        // SAFETY: `env` is live; `bytes` is valid for `len` bytes and outlives the module
        // (`'m`, kept by `_bytes`); wasm3 writes the new module to `module`. Precondition 1:
        // the parser handles these bytes.
        let parsed = unsafe { m3::m3_ParseModule(env.as_ptr(), &mut module, bytes.as_ptr(), len) };
        let loaded = check(parsed).and_then(|()| {
            let module = NonNull::new(module).ok_or(c"module parse failed")?;
            // SAFETY: `rt` and `module` are live and belong to `env`; precondition 2 keeps the
            // memory header that `m3_GetMemory` needs allocated.
            let result = unsafe { m3::m3_LoadModule(rt.as_ptr(), module.as_ptr()) };
            check(result).map(|()| module).inspect_err(|_| {
                // SAFETY: loading failed, so the runtime did not take the module; it is ours
                // to free, and nothing refers to it any more.
                unsafe { m3::m3_FreeModule(module.as_ptr()) };
            })
        });
        match loaded {
            Ok(module) => {
                let mut raw = RawRuntime {
                    env,
                    rt,
                    module,
                    _bytes: PhantomData,
                };
                if let Some(limit) = memory_limit {
                    raw.cap_growth(limit);
                }
                Ok(raw)
            }
            Err(e) => {
                // SAFETY: `rt` is live, owned here, and holds no module.
                unsafe { m3::m3_FreeRuntime(rt.as_ptr()) };
                // SAFETY: `env` is live and owned here; its runtime is gone.
                unsafe { m3::m3_FreeEnvironment(env.as_ptr()) };
                Err(e)
            }
        }
    }

    /// Links `f` as the import `module.name` of type `signature`, with `cookie` as its context.
    ///
    /// # Safety
    ///
    /// 1. `f`, when wasm3 calls it, may dereference `cookie` as the type it expects and read
    ///    as many argument slots as `signature` has parameters: `cookie` must stay valid for
    ///    that use for as long as this runtime lives.
    ///
    /// # Errors
    ///
    /// wasm3's message, e.g. `function lookup failed` (not imported) or `function signature
    /// mismatch`.
    pub(crate) unsafe fn link(
        &mut self,
        module: &CStr,
        name: &CStr,
        signature: &CStr,
        f: RawHostFn,
        cookie: *mut c_void,
    ) -> Result<(), &'static CStr> {
        // SAFETY: the module is live and loaded (invariant); the strings are NUL-terminated and
        // wasm3 copies what it keeps; precondition 1 covers `f` and `cookie`.
        check(unsafe {
            m3::m3_LinkRawFunctionEx(
                self.module.as_ptr(),
                module.as_ptr(),
                name.as_ptr(),
                signature.as_ptr(),
                Some(f),
                cookie,
            )
        })
    }

    /// Links wasm3's own C implementation of WASI preview1.
    ///
    /// # Errors
    ///
    /// wasm3's message.
    #[cfg(feature = "wasm3-wasi")]
    pub(crate) fn link_wasm3_wasi(&mut self) -> Result<(), &'static CStr> {
        // SAFETY: the module is live and loaded (invariant). The C functions check nothing the
        // guest passes them — that is the comparison this crate exists for.
        check(unsafe { m3::m3_LinkWASI(self.module.as_ptr()) })
    }

    /// Calls the function `name` with `args` as decimal strings, and returns slot 0 of the
    /// value stack afterwards.
    ///
    /// # Safety
    ///
    /// 1. The caller checked that `name` is an exported function of the module, whose every
    ///    import is linked.
    /// 2. No view into guest memory is live (the guest may move the memory), and no
    ///    [`Wasm3Memory`] of this runtime other than host calls' is used during the call.
    ///
    /// # Errors
    ///
    /// [`RawCallError::Exit`] when the guest exits, else wasm3's message.
    pub(crate) unsafe fn call(&mut self, name: &CStr, args: &[&CStr]) -> Result<u64, RawCallError> {
        let mut function: m3::IM3Function = ptr::null_mut();
        // SAFETY: the runtime is live; `name` is NUL-terminated; wasm3 writes the function
        // found to `function`. Compiling it is safe by `load`'s precondition 1.
        check(unsafe { m3::m3_FindFunction(&mut function, self.rt.as_ptr(), name.as_ptr()) })
            .map_err(RawCallError::Failed)?;
        let mut argv: [*const c_char; MAX_SLOTS] = [ptr::null(); MAX_SLOTS];
        for (slot, arg) in argv.iter_mut().zip(args) {
            *slot = arg.as_ptr();
        }
        let argc = u32::try_from(args.len().min(MAX_SLOTS)).unwrap_or(0);
        // `function` was just found in this live runtime; `argv` holds `argc` valid
        // NUL-terminated strings (wasm3 parses, never keeps them). Precondition 2: nothing
        // else touches the memory while the guest runs; host functions reach it only through
        // the `Wasm3Memory` built by `dispatch` for their call.
        // SAFETY: a live function, valid arguments, and precondition 2, as argued above.
        let result = unsafe { m3::m3_CallWithArgs(function, argc, argv.as_ptr()) };
        if is_exit(result) {
            return Err(RawCallError::Exit);
        }
        check(result).map_err(RawCallError::Failed)?;
        // SAFETY: the runtime is live; reading one pointer field through the raw pointer.
        let stack = unsafe { (*self.rt.as_ptr()).stack };
        // SAFETY: the value stack was allocated by `m3_NewRuntime` with at least one 8-byte,
        // 8-aligned slot, and the call returned, so nothing writes it now.
        Ok(unsafe { stack.cast::<u64>().read() })
    }

    /// The status wasm3's own WASI `proc_exit` stored.
    #[cfg(feature = "wasm3-wasi")]
    pub(crate) fn wasm3_exit_code(&self) -> i32 {
        // SAFETY: the runtime is live; reading one `i32` field through the raw pointer while
        // the guest does not run (`&self`, and `call` needs `&mut`).
        unsafe { (*self.rt.as_ptr()).exit_code }
    }

    /// Caps the memory at `pages` 64 KiB pages: `memory.grow` past it returns -1.
    ///
    /// # Errors
    ///
    /// When the memory already has more pages than that.
    pub(crate) fn limit_pages(&mut self, pages: u32) -> Result<(), &'static CStr> {
        // SAFETY: the runtime is live and not running (we hold `&mut self`); `memory` is a
        // plain field that wasm3 reads on `memory.grow`. Writing `maxPages` lower only makes
        // growth fail (the documented effect of a module's declared maximum).
        let memory = unsafe { &mut (*self.rt.as_ptr()).memory };
        if memory.numPages > pages {
            return Err(c"memory already larger than the limit");
        }
        memory.maxPages = memory.maxPages.min(pages);
        Ok(())
    }

    /// Lowers the memory's `maxPages` so that it only grows to whole pages that fit in
    /// `limit` bytes, and never below its current page count.
    ///
    /// wasm3 clamps every (re)allocation of the memory to `memoryLimit`, but still counts
    /// whole pages: growing a clamped memory passes `numPages * 64 KiB` as the *old* size to
    /// `m3_Realloc`, whose fixed-heap version copies that many bytes out of the smaller block.
    /// With this cap a clamped memory never grows (`memory.grow` returns -1), and an unclamped
    /// one grows only while it stays unclamped.
    fn cap_growth(&mut self, limit: NonZeroU32) {
        const PAGE: u32 = 64 * 1024;
        // SAFETY: the runtime is live and not running (we hold `&mut self`); `memory` is a
        // plain field that wasm3 reads on `memory.grow`. Lowering `maxPages` only makes growth
        // fail (the documented effect of a module's declared maximum).
        let memory = unsafe { &mut (*self.rt.as_ptr()).memory };
        let pages = (limit.get() / PAGE).max(memory.numPages);
        memory.maxPages = memory.maxPages.min(pages);
    }

    /// The guest memory of this runtime, with its own table of views.
    pub(crate) fn memory(&self) -> Wasm3Memory {
        Wasm3Memory::new(self.rt)
    }
}

impl Drop for RawRuntime<'_> {
    fn drop(&mut self) {
        // SAFETY: the runtime is live and owned; it frees the module it loaded. No `Wasm3Memory`
        // of it can outlive it: `Runtime` borrows them from itself.
        unsafe { m3::m3_FreeRuntime(self.rt.as_ptr()) };
        // SAFETY: the environment is live and owned; its only runtime is gone.
        unsafe { m3::m3_FreeEnvironment(self.env.as_ptr()) };
    }
}

/// The linear memory of a wasm3 runtime, as a [`GuestMemory`]: [`base`](GuestMemory::base)
/// asks wasm3 (`m3_GetMemory`) on every call, because the memory moves when the guest grows
/// it.
///
/// Host functions receive one for the duration of their call; an embedder borrows the
/// runtime's with [`Runtime::memory`](crate::Runtime::memory). Only this crate creates them,
/// for a runtime with a loaded module that does not import its memory.
pub struct Wasm3Memory {
    rt: NonNull<m3::M3Runtime>,
    borrows: BorrowTable,
}

impl Wasm3Memory {
    /// The memory of `rt`, which must satisfy `RawRuntime`'s invariant for as long as the new
    /// value lives (`RawRuntime::memory` and `dispatch` are the only callers).
    fn new(rt: NonNull<m3::M3Runtime>) -> Self {
        Wasm3Memory {
            rt,
            borrows: BorrowTable::new(),
        }
    }

    /// The current size of the memory in bytes.
    pub fn size(&self) -> u32 {
        self.base().1
    }
}

// SAFETY:
// 1. `m3_GetMemory` returns the data of wasm3's one `realloc`ed memory block and its length
//    (`mallocated->length`), or null with length 0; a block below 4 GiB (wasm32) fits isize.
// 2. wasm3 moves or resizes the block only while the guest runs (`memory.grow`) or when the
//    runtime is freed. A host function's memory lives only during its call, and host functions
//    cannot re-enter the guest (they never get the `Runtime`). The embedder's memory is borrowed
//    from the `Runtime`, whose `call` needs `&mut self` and also refuses while this table is
//    not empty; the runtime cannot be dropped while borrowed.
// 3. A zero length comes with a null pointer, which callers never dereference.
// 4. The guest does not run during a host call or while the embedder holds the runtime's
//    memory (`call` needs `&mut`); `Wasm3Memory` is neither `Send` nor `Sync` (raw pointer), and
//    the crate hands out no other reference to the bytes.
// 5. `borrows` is a private field, the same for the life of the value.
// 6. `base_and_borrows` is the provided one.
unsafe impl GuestMemory for Wasm3Memory {
    fn base(&self) -> (*mut u8, u32) {
        let mut len: u32 = 0;
        // SAFETY: `rt` is a live runtime with a loaded module that does not import its memory
        // (invariant of `RawRuntime`, which every `Wasm3Memory` comes from), so its memory
        // header exists; wasm3 writes the length to `len`.
        let data = unsafe { m3::m3_GetMemory(self.rt.as_ptr(), &mut len, 0) };
        if data.is_null() {
            (ptr::null_mut(), 0)
        } else {
            (data, len)
        }
    }

    fn borrows(&self) -> &BorrowTable {
        &self.borrows
    }
}

impl core::fmt::Debug for Wasm3Memory {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Wasm3Memory")
            .field("size", &self.size())
            .field("borrows", &self.borrows)
            .finish()
    }
}

/// Runs a host function for wasm3: reads the argument slots, lends the context and the memory
/// to `body`, writes its result to `sp[0]`, and turns a [`Trap`] into wasm3's trap pointer.
/// What [`host_fn!`](crate::host_fn) expands to.
///
/// # Safety
///
/// 1. `rt` is the runtime wasm3 passes to a host function of a [`Runtime`](crate::Runtime),
///    so it satisfies `RawRuntime`'s invariant and the guest is paused in this call.
/// 2. `sp` points to at least `max(arg_slots, has_result)` writable `u64` slots, as wasm3
///    provides for a function linked with a signature of `arg_slots` parameters.
/// 3. `cookie` is the `*mut C` the runtime linked the function with: valid, aligned, and not
///    otherwise borrowed while the guest runs (the `Runtime` holds the only `&mut C`).
#[doc(hidden)]
pub unsafe fn dispatch<C>(
    rt: m3::IM3Runtime,
    sp: *mut u64,
    cookie: *mut c_void,
    arg_slots: usize,
    has_result: bool,
    body: impl FnOnce(&mut C, &Wasm3Memory, &[u64]) -> Result<Option<u64>, Trap>,
) -> *const c_void {
    let Some(rt) = NonNull::new(rt) else {
        return trap_pointer(Trap::Message(
            c"[trap] host function called without a runtime",
        ));
    };
    let count = arg_slots.min(MAX_SLOTS);
    let args: &[u64] = if count > 0 {
        // Precondition 2: `sp` points to at least `count` initialised slots. Nothing writes
        // them while `body` reads them: the guest is paused in this call (precondition 1) and
        // host functions cannot re-enter it; we write slot 0 only after `body` is done with it.
        // SAFETY: `count` initialised slots, unchanged while the slice lives, as argued above.
        unsafe { core::slice::from_raw_parts(sp, count) }
    } else {
        &[]
    };
    // SAFETY: precondition 3: the cookie is the runtime's `*mut C`, valid and unaliased for
    // this call (the guest is paused in it, and host functions cannot re-enter it).
    let ctx = unsafe { &mut *cookie.cast::<C>() };
    // Precondition 1: `rt` satisfies the invariant that `Wasm3Memory::new` needs.
    let mem = Wasm3Memory::new(rt);
    match run_body(|| body(ctx, &mem, args)) {
        Ok(Some(value)) if has_result => {
            // SAFETY: precondition 2: slot 0 exists and is writable; `body`, the only user of
            // the argument slice, has returned.
            unsafe { sp.write(value) };
            ptr::null()
        }
        Ok(_) => ptr::null(),
        Err(trap) => trap_pointer(trap),
    }
}

/// Calls `body`, turning a panic into a trap when unwinding is available: a panic must not
/// unwind into C.
#[cfg(feature = "std")]
fn run_body(body: impl FnOnce() -> Result<Option<u64>, Trap>) -> Result<Option<u64>, Trap> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body))
        .unwrap_or(Err(Trap::Message(c"[trap] host function panicked")))
}

/// Calls `body`. Without `std` a panic aborts (an `extern "C"` function cannot unwind).
#[cfg(not(feature = "std"))]
fn run_body(body: impl FnOnce() -> Result<Option<u64>, Trap>) -> Result<Option<u64>, Trap> {
    body()
}

/// The CPU time of the process (`process = true`) or of the calling thread, in nanoseconds.
#[cfg(feature = "std")]
pub(crate) fn cpu_time_ns(process: bool) -> Option<u64> {
    cpu_clock_ns(process, libc::clock_gettime)
}

/// The resolution of the CPU time clocks, in nanoseconds.
#[cfg(feature = "std")]
pub(crate) fn cpu_time_res_ns(process: bool) -> Option<u64> {
    cpu_clock_ns(process, libc::clock_getres)
}

/// Asks `query` (`clock_gettime` or `clock_getres`) about a CPU time clock, in nanoseconds.
#[cfg(feature = "std")]
fn cpu_clock_ns(
    process: bool,
    query: unsafe extern "C" fn(libc::clockid_t, *mut libc::timespec) -> libc::c_int,
) -> Option<u64> {
    let clock = if process {
        libc::CLOCK_PROCESS_CPUTIME_ID
    } else {
        libc::CLOCK_THREAD_CPUTIME_ID
    };
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `query` is `clock_gettime` or `clock_getres`, which write one `timespec` to a
    // valid, writable pointer; the clock id is a constant of this platform.
    let rc = unsafe { query(clock, &mut ts) };
    if rc != 0 {
        return None;
    }
    let secs = u64::try_from(ts.tv_sec).ok()?;
    let nanos = u64::try_from(ts.tv_nsec).ok()?;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// `write(fd, buf)` on a standard stream, retried on `EINTR`.
#[cfg(feature = "std")]
pub(crate) fn write(fd: i32, buf: &[u8]) -> std::io::Result<usize> {
    loop {
        // SAFETY: `buf` is a live slice of `buf.len()` readable bytes; `write` only reads it.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if let Ok(n) = usize::try_from(n) {
            return Ok(n);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// `writev(fd, bufs)` on a standard stream, retried on `EINTR`; at most 16 buffers.
#[cfg(feature = "std")]
pub(crate) fn writev(fd: i32, bufs: &[&[u8]]) -> std::io::Result<usize> {
    let mut iov = [libc::iovec {
        iov_base: ptr::null_mut(),
        iov_len: 0,
    }; 16];
    for (dst, src) in iov.iter_mut().zip(bufs) {
        dst.iov_base = src.as_ptr().cast_mut().cast();
        dst.iov_len = src.len();
    }
    let count = i32::try_from(bufs.len().min(iov.len())).unwrap_or(0);
    loop {
        // SAFETY: the first `count` entries of `iov` describe live, readable slices of
        // `bufs`, which outlive the call; `writev` only reads them.
        let n = unsafe { libc::writev(fd, iov.as_ptr(), count) };
        if let Ok(n) = usize::try_from(n) {
            return Ok(n);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}
