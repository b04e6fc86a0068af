//! The FFI boundary: every `unsafe` operation on wasm3 of the crate. The calls into wasm3's C
//! API, the guest memory it owns, and the entry point wasm3 calls for a host function are here,
//! behind an API that safe code cannot misuse: [`RawRuntime`] (a loaded module and the host
//! context lent to it), [`Wasm3Memory`], [`HostBody`] (a host function's body, safe code) and
//! [`HostEntry`] (its `extern "C"` trampoline, which only this module can make and link).
//!
//! wasm3 0.4.7 facts this module relies on (see the crate docs for how they were found):
//!
//! - a runtime owns a module once `m3_LoadModule` has put it on the runtime's list
//!   (`M3Runtime.modules`), and frees it with itself; a module not on the list is the caller's
//!   to free. `m3_LoadModule` puts the module on the list *before* it runs the start function
//!   and still returns the start function's error, so [`RawRuntime::load`] never lets it run
//!   one: it clears `M3Module.startFunction` (a plain field, read only by the loader) and runs
//!   the start function itself once the host functions are linked;
//! - a function not yet compiled is compiled by `Compile_Function`, which dereferences the
//!   function's module: an import that is not linked has none, so it must never be compiled
//!   (`m3_FindFunction` does, when asked for the name of an unlinked import — hence
//!   [`RawRuntime::call`]'s own lookup);
//! - `m3_GetMemory` dereferences the runtime's memory header, which exists only once a module
//!   that does not import its memory has been loaded; it returns null for a memory of size 0;
//! - the memory is one `realloc`ed block that moves when the guest grows it, so its address is
//!   asked again for every host call (one [`GuestFrame`] per call, over [`Wasm3Memory::base`]);
//! - a raw host function receives one `u64` slot per argument from `sp[0]` and writes its
//!   result into `sp[0]`; returning non-null makes the call trap with that message. wasm3 links
//!   a function only if its signature string (parsed by `SignatureToFuncType`) equals the
//!   import's type;
//! - after `m3_CallWithArgs` succeeds, the result is in slot 0 of the runtime's stack;
//! - `m3_LoadModule` allocates the memory, clamped to the runtime's `memoryLimit` field (0: no
//!   limit), which therefore must be set between `m3_NewRuntime` and `m3_LoadModule`.

use core::ffi::{c_char, c_void, CStr};
use core::marker::PhantomData;
use core::num::NonZeroU32;
use core::ptr::{self, NonNull};

use guestmem::{GuestFrame, GuestMemory};
use wasm3_sys as m3;

#[cfg(feature = "validate")]
use crate::validate::{ModuleInfo, ValidationError};
use guestmem_wasi::abi::{Sig, Trap, MAX_SLOTS};

/// The signature wasm3 calls a linked host function with (`M3RawCallEx` without the `Option`).
type RawHostFn = unsafe extern "C" fn(
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
        // A non-null `M3Result` is a NUL-terminated string: one of wasm3's `m3Err_*` constants
        // or literals (static storage), or a message returned by one of our host functions,
        // which are `&'static CStr`s (`Trap::message`). All live for the whole program.
        // SAFETY: a static NUL-terminated string, as argued above.
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

/// Module bytes that wasm3 0.4.7 loads and runs without undefined behaviour: they pass
/// `guestmem_wasm3::validate` (feature `validate`) — checked by this crate, or promised by
/// whoever made the value with `TrustedModule::new`.
///
/// Without the `validate` feature (no allocator, e.g. firmware) the runtime cannot check a
/// module itself: [`Runtime::new_trusted`](crate::Runtime::new_trusted) takes one of these,
/// and making it is the one promise the embedder signs.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "validate", allow(unreachable_pub))]
pub struct TrustedModule<'m> {
    bytes: &'m [u8],
}

impl<'m> TrustedModule<'m> {
    /// Vouches for `wasm` without validating it here.
    ///
    /// # Safety
    ///
    /// 1. `wasm` passes `guestmem_wasm3::validate` (checked elsewhere, e.g. by
    ///    `guestmem-wasm3 check` before the firmware image was built): it uses no instruction
    ///    or section that wasm3 0.4.7 has undefined behaviour on (bulk memory, reference types,
    ///    multi-value, SIMD, padded table indices, a data-count section), and imports no
    ///    memory, table or global.
    #[cfg(not(feature = "validate"))]
    pub const unsafe fn new(wasm: &'m [u8]) -> Self {
        TrustedModule { bytes: wasm }
    }

    /// Validates `wasm`, and lists its imports and exports.
    #[cfg(feature = "validate")]
    pub(crate) fn validate(wasm: &'m [u8]) -> Result<(Self, ModuleInfo), ValidationError> {
        let info = crate::validate(wasm)?;
        Ok((TrustedModule { bytes: wasm }, info))
    }

    /// The module's bytes.
    #[cfg(not(feature = "validate"))]
    pub const fn bytes(&self) -> &'m [u8] {
        self.bytes
    }
}

/// What ended a call into the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RawCallError {
    /// The guest called `proc_exit` (or a host function returned [`Trap::Exit`]).
    Exit,
    /// Any other trap or failure, with wasm3's message.
    Failed(&'static CStr),
    /// The start function failed in an earlier call: the module is not usable.
    StartFailed,
}

/// Where the module's start function is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    /// Not run yet: the function index.
    Pending(u32),
    /// Ran and returned, or the module has none.
    Done,
    /// Trapped or exited.
    Failed,
}

/// A wasm3 environment and runtime, with one module loaded into it and the host context that
/// its host functions receive. Frees all of it on drop.
///
/// Invariant: `rt` is a live runtime made in `env`, with `module` loaded into it (on its list),
/// a module that declares or has no memory (never imports one), so `m3_GetMemory(rt, ..)` is
/// always valid; `ctx` comes from a `&'m mut C` held for `'m`.
pub(crate) struct RawRuntime<'m, C> {
    env: NonNull<m3::M3Environment>,
    rt: NonNull<m3::M3Runtime>,
    module: NonNull<m3::M3Module>,
    /// The embedder's view of the memory; host calls get their own.
    memory: Wasm3Memory,
    /// The cookie of every host function linked here.
    ctx: NonNull<C>,
    start: Start,
    /// The module's bytes: wasm3 keeps pointers into them for as long as the module lives.
    /// Read only to compare them with a trusted guest's (`wasm3-wasi`); held in any case.
    #[cfg_attr(not(feature = "wasm3-wasi"), allow(dead_code))]
    wasm: &'m [u8],
    /// Host functions use the context until the runtime is freed.
    _borrows: PhantomData<&'m mut C>,
}

impl<'m, C> RawRuntime<'m, C> {
    /// Parses and loads `module` into a new runtime with a `stack_bytes` value stack, lending
    /// it `ctx` for its host functions; with a `memory_limit`, the linear memory is allocated
    /// with at most that many bytes and can grow only in whole pages that fit under it (see
    /// [`cap_growth`](Self::cap_growth)). The start function does not run here: see
    /// [`run_start`](Self::run_start).
    ///
    /// Leak-free on every error: what wasm3 did not take is freed here.
    ///
    /// # Errors
    ///
    /// wasm3's message when it cannot allocate, parse or load the module.
    pub(crate) fn load(
        module: TrustedModule<'m>,
        ctx: &'m mut C,
        stack_bytes: u32,
        memory_limit: Option<NonZeroU32>,
    ) -> Result<Self, &'static CStr> {
        let bytes = module.bytes;
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
        match Self::parse_and_load(env, rt, bytes, len) {
            Ok((loaded, start)) => {
                let mut raw = RawRuntime {
                    env,
                    rt,
                    module: loaded,
                    memory: Wasm3Memory::new(rt),
                    ctx: NonNull::from(ctx),
                    start: start.map_or(Start::Done, Start::Pending),
                    wasm: bytes,
                    _borrows: PhantomData,
                };
                if let Some(limit) = memory_limit {
                    raw.cap_growth(limit);
                }
                Ok(raw)
            }
            Err(e) => {
                // SAFETY: `rt` is live and owned here; it frees the modules on its list (at
                // most ours, when wasm3 kept it), and `parse_and_load` freed any other.
                unsafe { m3::m3_FreeRuntime(rt.as_ptr()) };
                // SAFETY: `env` is live and owned here; its runtime is gone.
                unsafe { m3::m3_FreeEnvironment(env.as_ptr()) };
                Err(e)
            }
        }
    }

    /// Parses `bytes` in `env` and loads the module into `rt` without running its start
    /// function; returns the module and its start function's index. On error the module is
    /// freed, or left on `rt`'s list for `m3_FreeRuntime`, never both.
    fn parse_and_load(
        env: NonNull<m3::M3Environment>,
        rt: NonNull<m3::M3Runtime>,
        bytes: &'m [u8],
        len: u32,
    ) -> Result<(NonNull<m3::M3Module>, Option<u32>), &'static CStr> {
        let mut module: m3::IM3Module = ptr::null_mut();
        // SAFETY: `env` is live; `bytes` is valid for `len` bytes and outlives the module
        // (`'m`, kept by `_borrows`); wasm3 writes the new module, or null after freeing it on
        // an error, to `module`. `TrustedModule`: the parser handles these bytes.
        let parsed = unsafe { m3::m3_ParseModule(env.as_ptr(), &mut module, bytes.as_ptr(), len) };
        check(parsed)?;
        let module = NonNull::new(module).ok_or(c"module parse failed")?;
        // SAFETY: `module` was just parsed and is owned here; `startFunction` is a plain field.
        let start_field = unsafe { &mut (*module.as_ptr()).startFunction };
        // -1 is "none"; the parser checked an index against the function count.
        let start = u32::try_from(*start_field).ok();
        // Only `m3_LoadModule` reads the field, to run the function before any import can be
        // linked. We run it ourselves, later.
        *start_field = -1;
        // SAFETY: `rt` and `module` are live and belong to `env`; `TrustedModule`: the module
        // imports no memory, so the memory header that `m3_GetMemory` needs is allocated; no
        // start function runs.
        let loaded = unsafe { m3::m3_LoadModule(rt.as_ptr(), module.as_ptr()) };
        if let Err(e) = check(loaded) {
            // SAFETY: `rt` is live; reading its list head, a plain field.
            let kept = ptr::eq(unsafe { (*rt.as_ptr()).modules }, module.as_ptr());
            if !kept {
                // SAFETY: loading failed before the runtime took the module (it is not on the
                // list): it is ours to free, and nothing refers to it any more.
                unsafe { m3::m3_FreeModule(module.as_ptr()) };
            }
            return Err(e);
        }
        Ok((module, start))
    }

    /// Links `f` as the import `module.name`, with this runtime's context as its cookie.
    ///
    /// # Errors
    ///
    /// wasm3's message, e.g. `function lookup failed` (not imported) or `function signature
    /// mismatch`; `invalid host function signature` for a [`Sig`] that is not
    /// [valid](Sig::is_valid).
    pub(crate) fn link(
        &mut self,
        module: &CStr,
        name: &CStr,
        f: &HostEntry<C>,
    ) -> Result<(), &'static CStr> {
        if !f.sig.is_valid() {
            return Err(c"invalid host function signature");
        }
        // `f.raw` is `trampoline::<C, B>` with `f.sig == B::SIG` (`HostEntry::of`, the only
        // constructor): it reads its cookie as `*mut C`, which `self.ctx` is, valid for `'m`,
        // which outlives the runtime; wasm3 links it only if `f.sig` equals the import's type,
        // so the slots the trampoline reads are the ones wasm3 passes (a valid `Sig` has one
        // letter per slot). The strings are NUL-terminated and wasm3 copies what it keeps; the
        // module is live and loaded (invariant).
        // SAFETY: a live module, and a function and cookie that fit each other, as argued above.
        check(unsafe {
            m3::m3_LinkRawFunctionEx(
                self.module.as_ptr(),
                module.as_ptr(),
                name.as_ptr(),
                f.sig.as_cstr().as_ptr(),
                Some(f.raw),
                self.ctx.as_ptr().cast(),
            )
        })
    }

    /// Links wasm3's own C implementation of WASI preview1, if the module loaded is `guest`.
    ///
    /// # Errors
    ///
    /// When the module loaded is not `guest`'s bytes; wasm3's message.
    #[cfg(feature = "wasm3-wasi")]
    pub(crate) fn link_wasm3_wasi(
        &mut self,
        guest: &crate::audited::TrustedGuest,
    ) -> Result<(), &'static CStr> {
        if guest.wasm() != self.wasm {
            return Err(c"the module loaded is not the trusted guest");
        }
        // The module is `guest`'s bytes (checked just above): an audited guest or its lowering
        // (`TrustedGuest`'s invariant: its fields are private to `audited`, where only
        // `audited`, which compares the bytes with the embedded guests, and `lowered`, which
        // lowers such bytes, make one), whose every WASI call passes pointers and lengths inside
        // its memory (the audit in `audited`'s docs).
        // SAFETY: the module is live and loaded (invariant) and is a trusted guest (above): the
        // C functions, which check none of its pointers, stay inside its memory.
        let linked = unsafe { m3::m3_LinkWASI(self.module.as_ptr()) };
        check(linked)
    }

    /// Runs the module's start function if it has one that has not run yet. Call it after
    /// linking the host functions: wasm3 0.4.7's loader would run it before any could be.
    ///
    /// # Errors
    ///
    /// [`RawCallError::Exit`] or [`RawCallError::Failed`] when the start function exits or
    /// traps (or calls an import that is not linked); [`RawCallError::StartFailed`] after
    /// that.
    pub(crate) fn run_start(&mut self) -> Result<(), RawCallError> {
        let index = match self.start {
            Start::Done => return Ok(()),
            Start::Failed => return Err(RawCallError::StartFailed),
            Start::Pending(index) => index,
        };
        // Failed until it returns: a start function that fails is not run again.
        self.start = Start::Failed;
        // SAFETY: the module is live; `Module_GetFunction` checks the index against the
        // function count and returns null when it is out of range.
        let function = unsafe { m3::Module_GetFunction(self.module.as_ptr(), index) };
        let function = NonNull::new(function).ok_or(c"start function index out of bounds");
        let function = function.and_then(|f| self.compiled(f));
        let function = function.map_err(RawCallError::Failed)?;
        // SAFETY: `function` is a live, compiled function of the module; wasm3 types a start
        // function `() -> ()` (and `m3_CallWithArgs` checks the argument count); no view is
        // live (checked above), and `&mut self` keeps the embedder's memory unused meanwhile.
        let result = unsafe { m3::m3_CallWithArgs(function.as_ptr(), 0, ptr::null()) };
        finished(result)?;
        self.start = Start::Done;
        Ok(())
    }

    /// `function`, compiled. A function without a module is an import that is not linked: it
    /// has no code, and `Compile_Function` would dereference its null module.
    fn compiled(
        &mut self,
        function: NonNull<m3::M3Function>,
    ) -> Result<NonNull<m3::M3Function>, &'static CStr> {
        // SAFETY: `function` is a live function of this runtime's module (from
        // `Module_GetFunction`); reading a plain field.
        let code = unsafe { (*function.as_ptr()).compiled };
        if !code.is_null() {
            return Ok(function);
        }
        // SAFETY: as above.
        let owner = unsafe { (*function.as_ptr()).module };
        if owner.is_null() {
            return Err(c"import not linked");
        }
        // A defined function of the loaded module, not yet compiled: what `m3_FindFunction`
        // compiles too. `TrustedModule`: the compiler handles its code; a call to an unlinked
        // import is reported as an error (`m3Err_functionImportMissing`). `&mut self`: no
        // guest code runs meanwhile.
        // SAFETY: a live, uncompiled function of a trusted module, as argued above.
        check(unsafe { m3::Compile_Function(function.as_ptr()) })?;
        Ok(function)
    }

    /// Compiles every function of the module that is not compiled yet (wasm3 compiles each at
    /// its first call otherwise), in index order.
    ///
    /// # Errors
    ///
    /// The index of the first function that fails and wasm3's reason (e.g. `no operation
    /// found for opcode`); for an import that is not linked, `import not linked`.
    pub(crate) fn compile_all(&mut self) -> Result<(), (u32, &'static CStr)> {
        // SAFETY: the module is live; reading a plain field.
        let count = unsafe { (*self.module.as_ptr()).numFunctions };
        for index in 0..count {
            // SAFETY: the module is live; `index < numFunctions`, and the call checks it too.
            let f = unsafe { m3::Module_GetFunction(self.module.as_ptr(), index) };
            let f = NonNull::new(f).ok_or((index, c"function index out of bounds"))?;
            // `compiled` checks for code and for a linked import (which has code) first.
            self.compiled(f).map_err(|e| (index, e))?;
        }
        Ok(())
    }

    /// The name wasm3 knows function `index` by (export, import or debug name), if any.
    pub(crate) fn function_name(&self, index: u32) -> Option<&CStr> {
        // SAFETY: the module is live; the call checks the index against the function count.
        let f = NonNull::new(unsafe { m3::Module_GetFunction(self.module.as_ptr(), index) })?;
        // SAFETY: a live function of the module; reading a plain field.
        let name = unsafe { (*f.as_ptr()).name };
        if name.is_null() {
            return None;
        }
        // SAFETY: a function's name is null or a NUL-terminated string that the module owns,
        // live while the module is, which `&self` keeps.
        Some(unsafe { CStr::from_ptr(name) })
    }

    /// The function of the module called `name`, found as `m3_FindFunction` finds it (the
    /// first function, in index order, with that export, import or debug name), compiled.
    fn function(&mut self, name: &CStr) -> Result<NonNull<m3::M3Function>, &'static CStr> {
        // SAFETY: the module is live; reading a plain field.
        let count = unsafe { (*self.module.as_ptr()).numFunctions };
        for index in 0..count {
            // SAFETY: the module is live; `index < numFunctions`, and the call checks it too.
            let f = unsafe { m3::Module_GetFunction(self.module.as_ptr(), index) };
            let Some(f) = NonNull::new(f) else {
                continue;
            };
            // SAFETY: a live function of the module; reading a plain field.
            let own = unsafe { (*f.as_ptr()).name };
            if own.is_null() {
                continue;
            }
            // SAFETY: a function's name is null or a NUL-terminated string that the module
            // owns (an export, import or debug name), live while the module is.
            if unsafe { CStr::from_ptr(own) } == name {
                return self.compiled(f);
            }
        }
        Err(c"function lookup failed")
    }

    /// Runs the start function if it has not run, then calls the function `name` with `args`
    /// as decimal strings, and returns slot 0 of the value stack afterwards (meaningless for a
    /// function without a result).
    ///
    /// # Errors
    ///
    /// As [`run_start`](Self::run_start); [`RawCallError::Exit`] when the guest exits, else
    /// wasm3's message (e.g. `function lookup failed`, an argument count mismatch, a trap).
    pub(crate) fn call(&mut self, name: &CStr, args: &[&CStr]) -> Result<u64, RawCallError> {
        self.run_start()?;
        let function = self.function(name).map_err(RawCallError::Failed)?;
        let mut argv: [*const c_char; MAX_SLOTS] = [ptr::null(); MAX_SLOTS];
        for (slot, arg) in argv.iter_mut().zip(args) {
            *slot = arg.as_ptr();
        }
        let argc = u32::try_from(args.len().min(MAX_SLOTS)).unwrap_or(0);
        // `function` is a live, compiled function of this runtime (`function` above); `argv`
        // holds `argc` valid NUL-terminated strings (wasm3 parses, never keeps them past the
        // call, and checks their count against the function's). Nothing else touches the
        // memory while the guest runs: `&mut self` keeps the embedder's `Wasm3Memory` (and so
        // every frame and view over it) unused, and host functions reach it only through the
        // one their trampoline makes for their call.
        // SAFETY: a live compiled function, valid arguments, and an unshared memory, as argued.
        let result = unsafe { m3::m3_CallWithArgs(function.as_ptr(), argc, argv.as_ptr()) };
        finished(result)?;
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

    /// The guest memory of this runtime, for a frame of the embedder's.
    pub(crate) fn memory(&mut self) -> &mut Wasm3Memory {
        &mut self.memory
    }

    /// The host context.
    pub(crate) fn context(&mut self) -> &mut C {
        // SAFETY: `ctx` came from a `&'m mut C` that the runtime holds for `'m` (invariant);
        // host functions use it only while the guest runs, inside `call` or `run_start`, which
        // need `&mut self` as this does: this is the only live borrow.
        unsafe { self.ctx.as_mut() }
    }
}

/// The end of a call: `Exit` for wasm3's exit trap, else the error message.
fn finished(result: m3::M3Result) -> Result<(), RawCallError> {
    if is_exit(result) {
        return Err(RawCallError::Exit);
    }
    check(result).map_err(RawCallError::Failed)
}

impl<C> Drop for RawRuntime<'_, C> {
    fn drop(&mut self) {
        // SAFETY: the runtime is live and owned; it frees the module on its list. The
        // `Wasm3Memory` in `self.memory` is never used again, and no other outlives the
        // runtime: `Runtime` lends its own out by reference, host calls' end with their call.
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
}

impl Wasm3Memory {
    /// The memory of `rt`, which must satisfy `RawRuntime`'s invariant for as long as the new
    /// value lives (`RawRuntime::load` and `trampoline` are the only callers).
    fn new(rt: NonNull<m3::M3Runtime>) -> Self {
        Wasm3Memory { rt }
    }
}

// SAFETY:
// 1. `m3_GetMemory` returns the data of wasm3's one `realloc`ed memory block and its length
//    (`mallocated->length`), or null with length 0; a block below 4 GiB (wasm32) fits isize.
// 2. wasm3 moves or resizes the block only while the guest runs (`memory.grow`) or when the
//    runtime is freed, and no Rust reference to it exists but through this value. A host
//    call's `Wasm3Memory` lives only during its call, and host functions cannot re-enter the
//    guest (they never get the runtime). The embedder's is borrowed mutably from the
//    `RawRuntime` (`memory`), whose `call`, `run_start` and drop also need `&mut self`: none
//    can happen while the borrow `base` was called through lasts.
// 3. A zero length comes with a null pointer, which is never dereferenced.
unsafe impl GuestMemory for Wasm3Memory {
    fn base(&mut self) -> (*mut u8, u32) {
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
}

impl core::fmt::Debug for Wasm3Memory {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Wasm3Memory").finish_non_exhaustive()
    }
}

/// The linear memory of a wasm3 runtime during one host call: the data pointer wasm3 passes
/// the raw host function, and the length in the memory header right before it — no call into
/// wasm3 (`m3_GetMemory` is an out-of-line call with checks of its own).
struct CallMemory {
    data: *mut u8,
    len: u32,
}

impl CallMemory {
    /// The memory of the host call wasm3 passed `mem`.
    ///
    /// # Safety
    ///
    /// 1. `mem` is the `_mem` argument wasm3 0.4.7 passes a raw host function it calls, during
    ///    that call: `m3MemData(header)`, one `M3MemoryHeader` past the runtime's live memory
    ///    header (`op_CallRawFunctionEx`, which also reads that header's `runtime` field to
    ///    make the call, so it exists).
    unsafe fn of_call(mem: *mut c_void) -> Self {
        let data = mem.cast::<u8>();
        if data.is_null() {
            return CallMemory {
                data: ptr::null_mut(),
                len: 0,
            };
        }
        let header = data.cast::<m3::M3MemoryHeader>().wrapping_sub(1);
        // SAFETY: precondition 1: `header` is the runtime's live memory header, allocated by
        // wasm3 (so aligned) right before the data, and not written during the host call.
        let length = unsafe { header.read() }.length;
        CallMemory {
            data,
            // A full 4 GiB memory is seen as its first `u32::MAX` bytes.
            len: u32::try_from(length).unwrap_or(u32::MAX),
        }
    }
}

// SAFETY:
// 1. `data` is wasm3's memory data and `len` (at most) its length, from the header wasm3 keeps
//    for it (`CallMemory::of_call`): one live allocation behind the header, valid for reads and
//    writes; a block below 4 GiB fits `isize`.
// 2. A `CallMemory` lives only during its host call (the trampoline's), while the guest is
//    paused; host functions cannot re-enter the guest (they never get the runtime), so wasm3
//    neither moves nor frees the block, and no other Rust reference to the bytes exists.
// 3. A zero length is never dereferenced, whatever the pointer.
unsafe impl GuestMemory for CallMemory {
    #[inline]
    fn base(&mut self) -> (*mut u8, u32) {
        (self.data, self.len)
    }
}

/// The body of a host function whose context is `C`, in safe Rust: what
/// [`host_fn!`](crate::host_fn) generates, as a zero-sized type. The crate's FFI module makes
/// the `extern "C"` trampoline that wasm3 calls for it ([`HostFunc::new`](crate::HostFunc::new)).
///
/// Safe to implement by hand: the trampoline reads exactly [`SIG`](Self::SIG)'s slots, and a
/// runtime links it only with a [valid](Sig::is_valid) signature, which wasm3 then checks
/// against the import's type.
pub trait HostBody<C> {
    /// The wasm3 signature: [`slots`](Sig::slots) argument slots, and a result if
    /// [`has_result`](Sig::has_result).
    const SIG: Sig;

    /// Runs the host function on the context, the guest memory and the argument slots
    /// (`SIG.slots()` of them); returns the result slot (ignored unless `SIG.has_result()`),
    /// or the trap that ends the guest's call.
    ///
    /// # Errors
    ///
    /// The trap that ends the guest's call.
    fn call(ctx: &mut C, mem: &GuestFrame<'_>, args: &[u64]) -> Result<Option<u64>, Trap>;
}

/// The `extern "C"` entry point of a [`HostBody`] and the signature it reads its slots by:
/// what [`RawRuntime::link`] links. Made only by [`of`](Self::of), so the two always belong to
/// one body, and the context type is the one the runtime lends.
pub(crate) struct HostEntry<C> {
    raw: RawHostFn,
    sig: Sig,
    _ctx: PhantomData<fn(&mut C)>,
}

impl<C> HostEntry<C> {
    /// The trampoline of `B`, with `B`'s signature.
    pub(crate) const fn of<B: HostBody<C>>() -> Self {
        HostEntry {
            raw: trampoline::<C, B>,
            sig: B::SIG,
            _ctx: PhantomData,
        }
    }

    /// The signature.
    pub(crate) fn sig(&self) -> &Sig {
        &self.sig
    }
}

impl<C> Clone for HostEntry<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for HostEntry<C> {}

/// What wasm3 calls for a host function `B`: reads the argument slots, lends the context and a
/// [`GuestFrame`] over the runtime's memory (its base and length asked once, for this call) to
/// `B::call`, writes its result to `sp[0]`, and turns a [`Trap`] into wasm3's trap pointer.
///
/// # Safety
///
/// 1. `_rt` is the runtime wasm3 passes to a host function of a [`RawRuntime`], so it satisfies
///    `RawRuntime`'s invariant and the guest is paused in this call.
/// 2. `sp` points to at least `max(B::SIG.slots(), 1)` initialised, writable `u64` slots, as
///    wasm3 provides for a function linked with `B::SIG` (and at least one slot for any call).
/// 3. `cookie` is the `*mut C` the runtime linked the function with: valid, aligned, and not
///    otherwise borrowed while the guest runs (the runtime holds the only `&mut C`).
/// 4. `mem` is what wasm3 0.4.7's `op_CallRawFunctionEx` passes: `m3MemData(_mem)` of the
///    runtime's memory header, the data of the guest memory that sits right behind it.
///
/// [`RawRuntime::link`] links it only so: from a [`HostEntry<C>`] of `B`, with its own context
/// as the cookie; wasm3 checks the valid `B::SIG` against the import's type.
unsafe extern "C" fn trampoline<C, B: HostBody<C>>(
    _rt: m3::IM3Runtime,
    sp: *mut u64,
    mem: *mut c_void,
    cookie: *mut c_void,
) -> *const c_void {
    // Null only if wasm3 broke preconditions 2 and 3; checked all the same, for two
    // instructions.
    let (Some(sp), Some(ctx)) = (NonNull::new(sp), NonNull::new(cookie.cast::<C>())) else {
        return no_call_frame();
    };
    let count = B::SIG.slots().min(MAX_SLOTS);
    let args: &[u64] = if count > 0 {
        // Precondition 2: `sp` points to at least `count` initialised slots. Nothing writes
        // them while `B::call` reads them: the guest is paused in this call (precondition 1)
        // and host functions cannot re-enter it; we write slot 0 only after `B::call` is done.
        // SAFETY: `count` initialised slots, unchanged while the slice lives, as argued above.
        unsafe { core::slice::from_raw_parts(sp.as_ptr(), count) }
    } else {
        &[]
    };
    let mut ctx = ctx;
    // SAFETY: precondition 3: the cookie is the runtime's `*mut C`, valid and unaliased for
    // this call (the guest is paused in it, and host functions cannot re-enter it).
    let ctx = unsafe { ctx.as_mut() };
    // SAFETY: 1. `mem` is the `_mem` argument wasm3 passes this raw host function during this
    // call (preconditions 1 and 4).
    let mut mem = unsafe { CallMemory::of_call(mem) };
    let frame = GuestFrame::new(&mut mem);
    match run_body(|| B::call(ctx, &frame, args)) {
        Ok(Some(value)) if B::SIG.has_result() => {
            // SAFETY: precondition 2: slot 0 exists and is writable; `B::call`, the only user
            // of the argument slice, has returned.
            unsafe { sp.as_ptr().write(value) };
            ptr::null()
        }
        Ok(_) => ptr::null(),
        Err(trap) => trap_pointer(trap),
    }
}

/// The trap of a host call without its stack or context, out of line: the message's address
/// is then formed only on that path (through `black_box`, or the compiler folds the constant
/// back into every trampoline's entry).
#[cold]
#[inline(never)]
fn no_call_frame() -> *const c_void {
    core::hint::black_box(trap_pointer(Trap::Message(
        c"[trap] host function called without its runtime",
    )))
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

#[cfg(all(test, feature = "validate"))]
mod tests {
    use super::*;

    fn load<'m>(bytes: &'m [u8], ctx: &'m mut ()) -> RawRuntime<'m, ()> {
        let (module, _) = TrustedModule::validate(bytes).unwrap();
        RawRuntime::load(module, ctx, 64 * 1024, None).unwrap()
    }

    /// (module (import "env" "f" (func)) (func (export "g") (result i32) i32.const 3))
    const IMPORTS_F: &[u8] = &[
        0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 2, 96, 0, 0, 96, 0, 1, 127, 2, 9, 1, 3, 101, 110, 118,
        1, 102, 0, 0, 3, 2, 1, 1, 7, 5, 1, 1, 103, 0, 1, 10, 6, 1, 4, 0, 65, 3, 11,
    ];

    #[test]
    fn an_unlinked_import_is_never_compiled() {
        // `m3_FindFunction(rt, "f")` would compile the import and dereference its null module.
        let mut ctx = ();
        let mut raw = load(IMPORTS_F, &mut ctx);
        assert_eq!(
            raw.call(c"f", &[]),
            Err(RawCallError::Failed(c"import not linked"))
        );
        assert_eq!(
            raw.call(c"nope", &[]),
            Err(RawCallError::Failed(c"function lookup failed"))
        );
        assert_eq!(raw.call(c"g", &[]), Ok(3));
    }

    /// (module (import "env" "f" (func)) (start 0))
    const STARTS_WITH_IMPORT: &[u8] = &[
        0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, 9, 1, 3, 101, 110, 118, 1, 102, 0, 0, 8,
        1, 0,
    ];

    #[test]
    fn an_unlinked_start_import_fails_the_start() {
        let mut ctx = ();
        let mut raw = load(STARTS_WITH_IMPORT, &mut ctx);
        assert_eq!(
            raw.run_start(),
            Err(RawCallError::Failed(c"import not linked"))
        );
        assert_eq!(raw.run_start(), Err(RawCallError::StartFailed));
    }

    struct Nothing;
    impl HostBody<()> for Nothing {
        const SIG: Sig = Sig::new(b'v');
        fn call(_: &mut (), _: &GuestFrame<'_>, _: &[u64]) -> Result<Option<u64>, Trap> {
            Ok(None)
        }
    }

    #[test]
    fn an_invalid_signature_is_not_linked() {
        let mut ctx = ();
        let mut raw = load(IMPORTS_F, &mut ctx);
        let entry = HostEntry::<()>::of::<Nothing>();
        assert_eq!(
            raw.link(c"env", c"f", &entry),
            Err(c"invalid host function signature")
        );
    }
}
