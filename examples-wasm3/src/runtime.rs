//! [`Runtime`]: one wasm3 runtime with one module, its host context, and the checks that make
//! calling into it safe.

use core::ffi::CStr;
use core::fmt;
use core::num::NonZeroU32;

use guestmem::GuestFrame;

use crate::ffi::{RawCallError, RawRuntime, TrustedModule};
use crate::HostFunc;
use guestmem_wasi::abi::MAX_SLOTS;

#[cfg(feature = "validate")]
use crate::validate::{ModuleInfo, ValidationError};

/// The longest message kept from wasm3 or a host function.
const MESSAGE_LEN: usize = 100;

/// The longest import module or name a host function may have, in bytes.
const NAME_LEN: usize = 127;

/// The WASI functions that wasm3 0.4.7's `m3_LinkWASI` provides, under both
/// `wasi_unstable` and `wasi_snapshot_preview1`.
#[cfg(feature = "wasm3-wasi")]
const WASM3_WASI_FUNCTIONS: [&str; 18] = [
    "args_get",
    "args_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "environ_get",
    "environ_sizes_get",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_read",
    "fd_seek",
    "fd_write",
    "path_open",
    "proc_exit",
    "random_get",
];

/// A message from wasm3, copied out of the C string that carried it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Message {
    buf: [u8; MESSAGE_LEN],
    len: u8,
}

impl Message {
    fn new(parts: &[&[u8]]) -> Self {
        let mut m = Message {
            buf: [0; MESSAGE_LEN],
            len: 0,
        };
        for part in parts {
            for &b in *part {
                if let Some(slot) = m.buf.get_mut(usize::from(m.len)) {
                    *slot = b;
                    m.len = m.len.saturating_add(1);
                }
            }
        }
        m
    }

    fn from_cstr(s: &CStr) -> Self {
        Self::new(&[s.to_bytes()])
    }

    /// The text (lossy: invalid UTF-8 is cut off).
    pub fn as_str(&self) -> &str {
        let bytes = self.buf.get(..usize::from(self.len)).unwrap_or(&[]);
        match core::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                core::str::from_utf8(bytes.get(..e.valid_up_to()).unwrap_or(&[])).unwrap_or("")
            }
        }
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a module could not be loaded.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// The module is invalid, or uses what wasm3 0.4.7 cannot run.
    #[cfg(feature = "validate")]
    Invalid(ValidationError),
    /// wasm3 refused it.
    Wasm3(Message),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            #[cfg(feature = "validate")]
            LoadError::Invalid(e) => fmt::Display::fmt(e, f),
            LoadError::Wasm3(m) => write!(f, "wasm3: {m}"),
        }
    }
}

impl core::error::Error for LoadError {}

/// Why a host function could not be linked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkError {
    /// `module.name` of the function.
    pub import: Message,
    /// wasm3's reason, e.g. `function signature mismatch`.
    pub reason: &'static str,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot link {}: {}", self.import, self.reason)
    }
}

impl core::error::Error for LinkError {}

/// Why the module's code could not be compiled ([`Runtime::compile`]): wasm3 0.4.7 cannot
/// compile some valid functions (e.g. stack-polymorphic code after a `br`: `no operation
/// found for opcode`), and refuses one that calls an import that is not linked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// The index of the function, in the module's function index space (imports first).
    pub function: u32,
    /// wasm3's reason, after the function's name (export, import or debug name) when it has
    /// one: `name: reason`.
    pub message: Message,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wasm3 cannot compile function {}: {}",
            self.function, self.message
        )
    }
}

impl core::error::Error for CompileError {}

/// Why a call into the guest ended without a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallError {
    /// The guest exited (`proc_exit`); its status is in the WASI context.
    Exit,
    /// The guest trapped, or wasm3 failed; wasm3's message, e.g. `[trap] unreachable executed`.
    Trap(Message),
    /// The name is not an exported function of the module.
    NotExported,
    /// An import of the module is not linked (named).
    Unlinked(Message),
    /// The name or an argument cannot be passed to C (a NUL byte, too many arguments).
    BadArgument,
    /// The module's start function trapped or exited in an earlier call: the module is not
    /// usable.
    StartFailed,
    /// wasm3 cannot compile the module's code (see [`Runtime::compile`]); nothing ran.
    Compile(CompileError),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Exit => f.write_str("the guest exited"),
            CallError::Trap(m) => write!(f, "{m}"),
            CallError::NotExported => f.write_str("no exported function of that name"),
            CallError::Unlinked(m) => write!(f, "import {m} is not linked"),
            CallError::BadArgument => f.write_str("bad function name or argument"),
            CallError::StartFailed => f.write_str("the module's start function failed"),
            CallError::Compile(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl core::error::Error for CallError {}

/// How a [`Runtime`] is set up: the size of wasm3's value stack, and an optional cap on the
/// guest's linear memory.
///
/// # Examples
///
/// ```
/// use guestmem_wasm3::Config;
///
/// // A 2 KiB value stack, and at most 4 KiB of the guest's memory.
/// let config = Config::new(2048).with_memory_limit(4096);
/// assert_eq!(config.stack_bytes(), 2048);
/// assert_eq!(config.memory_limit(), Some(4096));
/// assert_eq!(Config::new(2048).memory_limit(), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    stack_bytes: u32,
    memory_limit: Option<NonZeroU32>,
}

impl Config {
    /// A value stack of `stack_bytes` bytes (wasm3 rounds it to 8-byte slots), no memory
    /// limit.
    pub const fn new(stack_bytes: u32) -> Self {
        Config {
            stack_bytes,
            memory_limit: None,
        }
    }

    /// Caps the guest's linear memory at `bytes` (0: no cap, as in wasm3).
    ///
    /// wasm3 allocates at most `bytes` for the memory (`M3Runtime.memoryLimit`, set before the
    /// module is loaded), though the guest still sees whole 64 KiB pages: its loads and stores
    /// past the cap trap, and host functions get `EFAULT` there, because every access is
    /// checked against the allocated size. A data segment past the cap makes loading fail.
    /// `memory.grow` returns -1 unless the grown memory still fits under the cap in whole
    /// pages, so a memory cut below one page never grows (wasm3 would copy whole pages out of
    /// the smaller block).
    #[must_use]
    pub const fn with_memory_limit(self, bytes: u32) -> Self {
        Config {
            memory_limit: NonZeroU32::new(bytes),
            ..self
        }
    }

    /// The size of the value stack in bytes.
    pub const fn stack_bytes(&self) -> u32 {
        self.stack_bytes
    }

    /// The memory cap in bytes, if any.
    pub const fn memory_limit(&self) -> Option<u32> {
        match self.memory_limit {
            Some(limit) => Some(limit.get()),
            None => None,
        }
    }
}

/// A wasm3 runtime with one module loaded, and the host context `C` that its host functions
/// receive. Frees everything on drop.
///
/// It borrows the module's bytes (wasm3 keeps pointers into them) and the context for `'m`.
/// Host functions get `&mut C` and the guest memory for the length of their call, never the
/// runtime, so they cannot re-enter the guest: wasm3 0.4.7 runs a nested call on the same
/// stack slots as the paused caller and would clobber it (see the crate docs).
///
/// The module's start function runs at the first [`call`](Self::call) (or
/// [`start`](Self::start)), after the host functions are linked: wasm3 0.4.7 would run it
/// while loading, before any import could be linked.
///
/// # Examples
///
/// ```
/// use guestmem_wasm3::Runtime;
///
/// // (module (func (export "answer") (result i32) i32.const 42))
/// let wasm = [
///     0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0, 7, 10, 1, 6, 97, 110,
///     115, 119, 101, 114, 0, 0, 10, 6, 1, 4, 0, 65, 42, 11,
/// ];
/// let mut ctx = ();
/// let mut rt = Runtime::new(&wasm, &mut ctx, 64 * 1024)?;
/// assert_eq!(rt.call("answer", &[])?, Some(42));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Runtime<'m, C> {
    raw: RawRuntime<'m, C>,
    /// Whether every function is compiled ([`compile`](Self::compile)).
    compiled: bool,
    #[cfg(feature = "validate")]
    info: ModuleInfo,
    #[cfg(feature = "validate")]
    linked: alloc::vec::Vec<bool>,
}

impl<'m, C> Runtime<'m, C> {
    /// Validates `wasm` ([`validate`](crate::validate())) and loads it into a new runtime
    /// whose value stack has `stack_bytes` bytes; the same as
    /// [`with_config`](Self::with_config)`(wasm, ctx, Config::new(stack_bytes))`.
    ///
    /// # Errors
    ///
    /// [`LoadError::Invalid`] when validation fails, [`LoadError::Wasm3`] when wasm3 does.
    #[cfg(feature = "validate")]
    pub fn new(wasm: &'m [u8], ctx: &'m mut C, stack_bytes: u32) -> Result<Self, LoadError> {
        Self::with_config(wasm, ctx, Config::new(stack_bytes))
    }

    /// Validates `wasm` ([`validate`](crate::validate())) and loads it into a new runtime
    /// set up as `config` says.
    ///
    /// # Errors
    ///
    /// [`LoadError::Invalid`] when validation fails, [`LoadError::Wasm3`] when wasm3 does
    /// (e.g. `data segment overflowing linear memory` when a memory limit cuts off a data
    /// segment).
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::GuestPtr;
    /// use guestmem_wasm3::{Config, Runtime};
    ///
    /// // (module (memory (export "memory") 1)
    /// //         (func (export "grow") (result i32) i32.const 1 memory.grow))
    /// let wasm = [
    ///     0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0, 5, 3, 1, 0, 1, 7,
    ///     17, 2, 6, 109, 101, 109, 111, 114, 121, 2, 0, 4, 103, 114, 111, 119, 0, 0, 10, 8, 1,
    ///     6, 0, 65, 1, 64, 0, 11,
    /// ];
    /// let mut ctx = ();
    /// let config = Config::new(64 * 1024).with_memory_limit(4096);
    /// let mut rt = Runtime::with_config(&wasm, &mut ctx, config)?;
    /// let mem = rt.memory();
    /// assert_eq!(mem.len(), 4096);
    /// assert!(GuestPtr::<u32>::new(&mem, 4096).read().is_err());
    /// drop(mem); // the guest cannot run while a frame of its memory lives
    /// // memory.grow fails: -1.
    /// assert_eq!(rt.call("grow", &[])?, Some(u64::from(u32::MAX)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "validate")]
    pub fn with_config(wasm: &'m [u8], ctx: &'m mut C, config: Config) -> Result<Self, LoadError> {
        let (module, info) = TrustedModule::validate(wasm).map_err(LoadError::Invalid)?;
        let raw = RawRuntime::load(module, ctx, config.stack_bytes, config.memory_limit)
            .map_err(|e| LoadError::Wasm3(Message::from_cstr(e)))?;
        let linked = alloc::vec![false; info.imports.len()];
        Ok(Runtime {
            raw,
            compiled: false,
            info,
            linked,
        })
    }

    /// Loads `module` into a new runtime without validating it (for targets without an
    /// allocator, which `wasmparser` needs); the same as
    /// [`with_config_trusted`](Self::with_config_trusted)`(module, ctx, Config::new(stack_bytes))`.
    ///
    /// # Errors
    ///
    /// [`LoadError::Wasm3`] when wasm3 refuses the module.
    #[cfg(not(feature = "validate"))]
    pub fn new_trusted(
        module: TrustedModule<'m>,
        ctx: &'m mut C,
        stack_bytes: u32,
    ) -> Result<Self, LoadError> {
        Self::with_config_trusted(module, ctx, Config::new(stack_bytes))
    }

    /// Loads `module` into a new runtime set up as `config` says, without validating it (for
    /// targets without an allocator, which `wasmparser` needs): the embedder vouched for it
    /// when it made the [`TrustedModule`].
    ///
    /// Without validation the runtime does not know the exports: [`call`](Self::call) finds a
    /// function by name as wasm3 does (an unexported function by its debug name too), and an
    /// unlinked import makes the call fail when it is compiled.
    ///
    /// # Errors
    ///
    /// [`LoadError::Wasm3`] when wasm3 refuses the module.
    #[cfg(not(feature = "validate"))]
    pub fn with_config_trusted(
        module: TrustedModule<'m>,
        ctx: &'m mut C,
        config: Config,
    ) -> Result<Self, LoadError> {
        let raw = RawRuntime::load(module, ctx, config.stack_bytes, config.memory_limit)
            .map_err(|e| LoadError::Wasm3(Message::from_cstr(e)))?;
        Ok(Runtime {
            raw,
            compiled: false,
        })
    }

    /// Links `f` if the module imports it; returns whether it did.
    ///
    /// # Errors
    ///
    /// [`LinkError`] when the import exists with another type.
    pub fn link(&mut self, f: &HostFunc<C>) -> Result<bool, LinkError> {
        let error = |reason: &'static str| LinkError {
            import: Message::new(&[f.module().as_bytes(), b".", f.name().as_bytes()]),
            reason,
        };
        let (mut module_buf, mut name_buf) = ([0u8; NAME_LEN + 1], [0u8; NAME_LEN + 1]);
        let module = to_cstr(f.module().as_bytes(), &mut module_buf);
        let name = to_cstr(f.name().as_bytes(), &mut name_buf);
        let (Some(module), Some(name)) = (module, name) else {
            return Err(error("name too long or contains a NUL byte"));
        };
        match self.raw.link(module, name, f.entry()) {
            Ok(()) => {
                self.mark_linked(f.module(), f.name());
                Ok(true)
            }
            Err(e) if e == c"function lookup failed" => Ok(false),
            Err(e) => Err(error(e.to_str().unwrap_or("?"))),
        }
    }

    /// Links every function of `fs` that the module imports.
    ///
    /// # Errors
    ///
    /// The first [`LinkError`].
    pub fn link_all(&mut self, fs: &[HostFunc<C>]) -> Result<(), LinkError> {
        fs.iter().try_for_each(|f| self.link(f).map(|_| ()))
    }

    /// Links wasm3's own C implementation of WASI preview1, for comparison only: it checks no
    /// guest pointer and gives the guest the host's current directory, so it is linked only
    /// for a [`TrustedGuest`](crate::TrustedGuest), one of the repository's audited guests,
    /// and only if that is the module this runtime loaded.
    ///
    /// # Errors
    ///
    /// [`LinkError`] when the module loaded is not `guest`'s bytes, or when wasm3 fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem_wasm3::{Runtime, TrustedGuest};
    ///
    /// let hello = TrustedGuest::audited(include_bytes!("../guests/hello.wasm"))
    ///     .ok_or("not audited")?
    ///     .lowered()?;
    /// let mut ctx = ();
    /// let mut rt = Runtime::new(hello.wasm(), &mut ctx, 64 * 1024)?;
    /// rt.link_wasm3_wasi(&hello)?;
    /// assert_eq!(rt.unlinked_imports().count(), 0);
    ///
    /// // Trust goes with the bytes, not with the runtime: another module is refused.
    /// let bench = TrustedGuest::audited(include_bytes!("../guests/bench.wasm"))
    ///     .ok_or("not audited")?;
    /// assert!(rt.link_wasm3_wasi(&bench).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "wasm3-wasi")]
    pub fn link_wasm3_wasi(&mut self, guest: &crate::TrustedGuest) -> Result<(), LinkError> {
        self.raw.link_wasm3_wasi(guest).map_err(|e| LinkError {
            import: Message::new(&[b"wasi_snapshot_preview1"]),
            reason: e.to_str().unwrap_or("?"),
        })?;
        // `m3_LinkWASI` links each function under both names, preview0's and preview1's.
        for module in [crate::wasi::preview0::MODULE, crate::wasi::MODULE] {
            for name in WASM3_WASI_FUNCTIONS {
                self.mark_linked(module, name);
            }
        }
        Ok(())
    }

    /// Marks the import `module.name` linked: the first one of that name only, as wasm3's
    /// `m3_LinkRawFunctionEx` links only the first (validation refuses a module that imports
    /// a function twice; [`lower`](crate::lower()) merges such imports).
    #[cfg(feature = "validate")]
    fn mark_linked(&mut self, module: &str, name: &str) {
        let first = self
            .info
            .imports
            .iter()
            .zip(self.linked.iter_mut())
            .find(|(import, _)| import.module == module && import.name == name);
        if let Some((_, linked)) = first {
            *linked = true;
        }
    }

    #[cfg(not(feature = "validate"))]
    fn mark_linked(&mut self, _module: &str, _name: &str) {}

    /// The imports not linked yet, as `module.name`.
    #[cfg(feature = "validate")]
    pub fn unlinked_imports(&self) -> impl Iterator<Item = (&str, &str)> {
        self.info
            .imports
            .iter()
            .zip(&self.linked)
            .filter(|(_, linked)| !**linked)
            .map(|(i, _)| (i.module.as_str(), i.name.as_str()))
    }

    /// What validation learnt about the module: imports and exports.
    #[cfg(feature = "validate")]
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }

    /// Runs the module's start function, if it has one that has not run yet; the first
    /// [`call`](Self::call) does so too. Link the host functions first.
    ///
    /// A start function that traps or exits leaves the module unusable: later calls return
    /// [`CallError::StartFailed`].
    ///
    /// # Errors
    ///
    /// [`CallError::Unlinked`] and [`CallError::Compile`] before running anything;
    /// [`CallError::Exit`] when the start function exits; [`CallError::Trap`] when it traps; [`CallError::StartFailed`] when it
    /// failed before.
    pub fn start(&mut self) -> Result<(), CallError> {
        self.check_linked()?;
        self.compile_before_running()?;
        self.raw.run_start().map_err(call_error)
    }

    /// Compiles every function of the module now, after the host functions are linked; does
    /// nothing once it succeeded.
    ///
    /// wasm3 compiles each function at its first call, so a valid module that wasm3 0.4.7
    /// cannot compile (e.g. stack-polymorphic code after a `br`) would fail in the middle of
    /// a run, as if the guest trapped. With the `validate` feature, [`start`](Self::start) and
    /// [`call`](Self::call) compile everything first, and fail with [`CallError::Compile`]
    /// before running anything. Without it (firmware) functions are compiled at their first
    /// call, unless the embedder calls this.
    ///
    /// # Errors
    ///
    /// [`CompileError`] for the first function that fails, or an import that is not linked
    /// (reason `import not linked`); the module must not be run then.
    pub fn compile(&mut self) -> Result<(), CompileError> {
        if self.compiled {
            return Ok(());
        }
        self.raw.compile_all().map_err(|(function, reason)| {
            let reason = reason.to_bytes();
            let message = match self.raw.function_name(function) {
                Some(name) => Message::new(&[name.to_bytes(), b": ", reason]),
                None => Message::new(&[reason]),
            };
            CompileError { function, message }
        })?;
        self.compiled = true;
        Ok(())
    }

    /// [`compile`](Self::compile) with the `validate` feature (see there).
    fn compile_before_running(&mut self) -> Result<(), CallError> {
        #[cfg(feature = "validate")]
        self.compile().map_err(CallError::Compile)?;
        Ok(())
    }

    /// Calls the exported function `name` with `args` (each an `i32`/`i64` bit pattern, or a
    /// float's bits), and returns its result if it has one. The start function runs first if
    /// it has not yet ([`start`](Self::start)).
    ///
    /// Without the `validate` feature the runtime does not know the function's type: `call`
    /// then returns `Some(slot 0 of the value stack)` for every function, and for one without
    /// a result that value is meaningless (whatever the slot held last).
    ///
    /// # Errors
    ///
    /// [`CallError::NotExported`], [`CallError::Unlinked`], [`CallError::Compile`] and (with
    /// `validate`, for a wrong number of arguments) [`CallError::BadArgument`] before running
    /// anything; [`CallError::Exit`] when the guest exits; [`CallError::Trap`] when it traps;
    /// [`CallError::StartFailed`] after the start function failed.
    pub fn call(&mut self, name: &str, args: &[u64]) -> Result<Option<u64>, CallError> {
        let has_result = self.check_callable(name)?;
        #[cfg(feature = "validate")]
        if self
            .info
            .exported_function(name)
            .is_some_and(|e| usize::try_from(e.params).ok() != Some(args.len()))
        {
            return Err(CallError::BadArgument);
        }
        let mut name_buf = [0u8; 64];
        let c_name = to_cstr(name.as_bytes(), &mut name_buf).ok_or(CallError::BadArgument)?;
        let mut arg_bufs = [[0u8; 24]; MAX_SLOTS];
        let mut c_args: [&CStr; MAX_SLOTS] = [c""; MAX_SLOTS];
        if args.len() > c_args.len() {
            return Err(CallError::BadArgument);
        }
        for ((arg, buf), c) in args.iter().zip(&mut arg_bufs).zip(&mut c_args) {
            *c = decimal(*arg, buf);
        }
        let c_args = c_args.get(..args.len()).unwrap_or(&[]);
        self.compile_before_running()?;
        let slot = self.raw.call(c_name, c_args).map_err(call_error)?;
        Ok(has_result.then_some(slot))
    }

    /// Calls `_start` with `argv` as the arguments that wasm3's own WASI serves (`args_get`);
    /// with [`link_wasm3_wasi`](Self::link_wasm3_wasi) only. A start function runs first, with
    /// no arguments.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call); after [`CallError::Exit`], the status is
    /// [`wasm3_exit_code`](Self::wasm3_exit_code).
    #[cfg(feature = "wasm3-wasi")]
    pub fn call_start_wasm3_wasi(&mut self, argv: &[&CStr]) -> Result<(), CallError> {
        self.check_callable("_start")?;
        if argv.len() > MAX_SLOTS {
            return Err(CallError::BadArgument);
        }
        self.compile_before_running()?;
        self.raw.call(c"_start", argv).map_err(call_error)?;
        Ok(())
    }

    /// The status that wasm3's own WASI `proc_exit` received.
    #[cfg(feature = "wasm3-wasi")]
    pub fn wasm3_exit_code(&self) -> i32 {
        self.raw.wasm3_exit_code()
    }

    /// Checks that `name` may be called now; returns whether it has a result.
    fn check_callable(&self, name: &str) -> Result<bool, CallError> {
        #[cfg(feature = "validate")]
        {
            let export = self
                .info
                .exported_function(name)
                .ok_or(CallError::NotExported)?;
            self.check_linked()?;
            Ok(export.results > 0)
        }
        #[cfg(not(feature = "validate"))]
        {
            let _ = name;
            Ok(true)
        }
    }

    /// Checks (with validation) that every import is linked.
    fn check_linked(&self) -> Result<(), CallError> {
        #[cfg(feature = "validate")]
        if let Some((module, import)) = self.unlinked_imports().next() {
            return Err(CallError::Unlinked(Message::new(&[
                module.as_bytes(),
                b".",
                import.as_bytes(),
            ])));
        }
        Ok(())
    }

    /// Caps the guest memory at `pages` pages of 64 KiB: `memory.grow` beyond returns -1.
    ///
    /// # Errors
    ///
    /// [`CallError::Trap`] when the memory is already larger.
    pub fn limit_memory_pages(&mut self, pages: u32) -> Result<(), CallError> {
        self.raw
            .limit_pages(pages)
            .map_err(|m| CallError::Trap(Message::from_cstr(m)))
    }

    /// The guest memory, for the embedder to read and write between calls: a frame that
    /// borrows the runtime mutably, so the guest cannot run (and move the memory) while it,
    /// or any pointer or view of it, lives:
    ///
    /// ```compile_fail
    /// use guestmem::GuestPtr;
    /// use guestmem_wasm3::Runtime;
    ///
    /// fn grow_under_a_view(rt: &mut Runtime<'_, ()>) {
    ///     let mem = rt.memory();
    ///     let view = GuestPtr::<[u8]>::new(&mem, (0, 4)).as_slice().unwrap();
    ///     let _ = rt.call("grow", &[]); // the guest could move the memory under `view`
    ///     assert_eq!(view.len(), 4);
    /// }
    /// ```
    pub fn memory(&mut self) -> GuestFrame<'_> {
        GuestFrame::new(self.raw.memory())
    }

    /// The host context.
    pub fn context(&mut self) -> &mut C {
        self.raw.context()
    }
}

/// The [`CallError`] for what ended a call.
fn call_error(e: RawCallError) -> CallError {
    match e {
        RawCallError::Exit => CallError::Exit,
        RawCallError::Failed(m) => CallError::Trap(Message::from_cstr(m)),
        RawCallError::StartFailed => CallError::StartFailed,
    }
}

impl<C> fmt::Debug for Runtime<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}

/// `bytes` with a NUL appended, in `buf`; `None` when they do not fit or contain a NUL.
fn to_cstr<'b>(bytes: &[u8], buf: &'b mut [u8]) -> Option<&'b CStr> {
    let with_nul = buf.get_mut(..bytes.len().checked_add(1)?)?;
    let (room, nul) = with_nul.split_at_mut(bytes.len());
    room.copy_from_slice(bytes);
    nul.fill(0);
    CStr::from_bytes_with_nul(with_nul).ok()
}

/// `n` in decimal, NUL-terminated, in `buf` (24 bytes hold any `u64`).
fn decimal(mut n: u64, buf: &mut [u8; 24]) -> &CStr {
    let mut digits = [0u8; 20];
    let mut count = 0usize;
    loop {
        let d = u8::try_from(n % 10).unwrap_or(0);
        if let Some(slot) = digits.get_mut(count) {
            *slot = b'0'.saturating_add(d);
        }
        count = count.saturating_add(1);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for (dst, src) in buf
        .iter_mut()
        .zip(digits.get(..count).unwrap_or(&[]).iter().rev())
    {
        *dst = *src;
    }
    if let Some(end) = buf.get_mut(count) {
        *end = 0;
    }
    CStr::from_bytes_until_nul(buf).unwrap_or(c"0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings() {
        let mut b = [0u8; 24];
        assert_eq!(decimal(0, &mut b), c"0");
        assert_eq!(decimal(42, &mut b), c"42");
        assert_eq!(decimal(u64::MAX, &mut b), c"18446744073709551615");
    }

    #[test]
    fn messages_are_truncated_not_panicking() {
        let long = [b'x'; 300];
        assert_eq!(Message::new(&[&long]).as_str().len(), MESSAGE_LEN);
        assert_eq!(Message::new(&[b"a", b".", b"b"]).as_str(), "a.b");
    }
}
