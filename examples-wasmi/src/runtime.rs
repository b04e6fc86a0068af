//! A guest on wasmi, in three steps with their own errors: [`Runtime::new`] compiles,
//! validates and links (a [`LoadError`]: the module is refused), [`Runtime::instantiate`]
//! lays out the memory and runs the start function (a [`StartError`]), and
//! [`Runtime::call`] calls an export (a [`CallError`]: the guest exited or trapped).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use guestmem_wasi::abi::{HostFn, Trap};
use wasmi::errors::ErrorKind;
use wasmi::TrapCode;
use wasmi::{Engine, ExternType, Instance, Linker, Module, Store, Val};

use crate::glue::{func_type, link, Host, HostTrap};
use crate::slots::{from_slot, to_slot};

/// Why a module is refused before it runs.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// wasmi cannot decode, validate or compile it, or cannot lay out its memory, tables or
    /// data (wasmi's message).
    Invalid(String),
    /// An import no host-function list provides (or one that is not a function).
    UnsupportedImport {
        /// Its module, e.g. `env`.
        module: String,
        /// Its name.
        name: String,
    },
    /// A function import whose type differs from the host function of that name.
    SignatureMismatch {
        /// Its module.
        module: String,
        /// Its name.
        name: String,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The wasm3 binding's words, so that both engines refuse a module alike.
        match self {
            LoadError::Invalid(m) => write!(f, "invalid module: {m}"),
            LoadError::UnsupportedImport { module, name } => {
                write!(f, "unsupported import {module}.{name}")
            }
            LoadError::SignatureMismatch { module, name } => {
                write!(
                    f,
                    "cannot link {module}.{name}: function signature mismatch"
                )
            }
        }
    }
}

/// Why a call into the guest did not return.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallError {
    /// The guest exited (`proc_exit`); its status is in the host context.
    Exit,
    /// The guest trapped, in wasm3's words (`[trap] unreachable executed`), so that both
    /// engines report a trap alike; a host function's [`Trap::Message`] as it is.
    Trap(String),
    /// The name is not an exported function taking no parameters (or the instance is not
    /// made yet).
    NotExported,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Exit => f.write_str("the guest exited"),
            CallError::Trap(m) => f.write_str(m),
            CallError::NotExported => f.write_str("no exported function of that name"),
        }
    }
}

/// Why [`Runtime::instantiate`] failed: the module's memory or tables could not be laid out
/// (refused, as at load), or its start function did not return.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// Instantiation failed before the start function ran.
    Load(LoadError),
    /// The start function exited or trapped.
    Call(CallError),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Load(e) => e.fmt(f),
            StartError::Call(e) => e.fmt(f),
        }
    }
}

/// wasm3 0.4.7's message for a trap code (its `m3Err_trap*` strings), wasmi's own for what
/// wasm3 has no word for.
fn trap_message(code: TrapCode) -> String {
    let m = match code {
        TrapCode::UnreachableCodeReached => "[trap] unreachable executed",
        TrapCode::MemoryOutOfBounds => "[trap] out of bounds memory access",
        TrapCode::TableOutOfBounds => "[trap] undefined element",
        TrapCode::IndirectCallToNull => "[trap] null table element",
        TrapCode::IntegerDivisionByZero => "[trap] integer divide by zero",
        TrapCode::IntegerOverflow => "[trap] integer overflow",
        TrapCode::BadConversionToInteger => "[trap] invalid conversion to integer",
        TrapCode::StackOverflow => "[trap] stack overflow",
        TrapCode::BadSignature => "[trap] indirect call type mismatch",
        other => return alloc::format!("[trap] {}", other.trap_message()),
    };
    m.to_string()
}

/// A wasmi error from running guest code as a [`CallError`], or `None` when it is not one
/// (an instantiation failure).
fn call_error(e: &wasmi::Error) -> Option<CallError> {
    if let Some(HostTrap(t)) = e.downcast_ref::<HostTrap>() {
        return Some(match t {
            Trap::Exit => CallError::Exit,
            Trap::OutOfBounds => CallError::Trap(trap_message(TrapCode::MemoryOutOfBounds)),
            Trap::Message(m) => CallError::Trap(m.to_string_lossy().into_owned()),
        });
    }
    if e.i32_exit_status().is_some() {
        return Some(CallError::Exit);
    }
    e.as_trap_code()
        .map(|code| CallError::Trap(trap_message(code)))
}

/// A module on wasmi with its host context `C` and host functions.
pub struct Runtime<C: 'static> {
    store: Store<Host<C>>,
    linker: Linker<Host<C>>,
    module: Module,
    instance: Option<Instance>,
}

impl<C: 'static> fmt::Debug for Runtime<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("instantiated", &self.instance.is_some())
            .finish_non_exhaustive()
    }
}

impl<C: 'static> Runtime<C> {
    /// Compiles and validates `wasm` (wasmi's default features: bulk memory, reference
    /// types, multi-value and the rest of WebAssembly 2.0), and links `functions` (one or
    /// more host-function lists) with context `ctx`. Every import must be one of them, with
    /// the same type.
    ///
    /// # Errors
    ///
    /// The module is invalid, or an import is missing or of another type.
    pub fn new(wasm: &[u8], ctx: C, functions: &[&[HostFn<C>]]) -> Result<Self, LoadError> {
        let engine = Engine::default();
        let module = Module::new(&engine, wasm).map_err(|e| LoadError::Invalid(e.to_string()))?;
        for import in module.imports() {
            let (m, n) = (import.module(), import.name());
            let found = functions
                .iter()
                .flat_map(|list| list.iter())
                .find(|f| f.module == m && f.name == n);
            match (import.ty(), found) {
                (ExternType::Func(want), Some(f)) if *want == func_type(&f.sig) => {}
                (ExternType::Func(_), Some(_)) => {
                    return Err(LoadError::SignatureMismatch {
                        module: m.to_string(),
                        name: n.to_string(),
                    })
                }
                _ => {
                    return Err(LoadError::UnsupportedImport {
                        module: m.to_string(),
                        name: n.to_string(),
                    })
                }
            }
        }
        let mut linker = Linker::new(&engine);
        for list in functions {
            link(&mut linker, list).map_err(|e| LoadError::Invalid(e.to_string()))?;
        }
        Ok(Runtime {
            store: Store::new(&engine, Host::new(ctx)),
            linker,
            module,
            instance: None,
        })
    }

    /// The parameter and result counts of the exported function `name`, if there is one.
    pub fn exported_function(&self, name: &str) -> Option<(usize, usize)> {
        self.module.exports().find_map(|e| match e.ty() {
            ExternType::Func(ty) if e.name() == name => {
                Some((ty.params().len(), ty.results().len()))
            }
            _ => None,
        })
    }

    /// The names of the module's imports, `module.name`.
    pub fn imports(&self) -> Vec<String> {
        self.module
            .imports()
            .map(|i| alloc::format!("{}.{}", i.module(), i.name()))
            .collect()
    }

    /// Makes the instance: lays out its memory, tables and data, then runs its start
    /// function, if any. Once only: a second call does nothing.
    ///
    /// # Errors
    ///
    /// [`StartError::Load`] when a data or element segment does not fit (nothing ran),
    /// [`StartError::Call`] when the start function exits or traps.
    pub fn instantiate(&mut self) -> Result<(), StartError> {
        if self.instance.is_some() {
            return Ok(());
        }
        let instance = self
            .linker
            .instantiate_and_start(&mut self.store, &self.module)
            .map_err(|e| {
                // Guest code traps with a trap code (or a host function's error); a segment
                // that does not fit fails as a memory or table error, before any code runs.
                let ran = matches!(
                    e.kind(),
                    ErrorKind::TrapCode(_) | ErrorKind::Host(_) | ErrorKind::I32ExitStatus(_)
                );
                match call_error(&e) {
                    Some(c) if ran => StartError::Call(c),
                    _ => StartError::Load(LoadError::Invalid(e.to_string())),
                }
            })?;
        self.instance = Some(instance);
        Ok(())
    }

    /// Calls the exported function `name` with `args`, one slot per parameter (an `i32` in
    /// the low 32 bits, as [`HostFn`] slots), and returns its first result as a slot (`None`
    /// when it returns nothing).
    ///
    /// # Errors
    ///
    /// The guest exited or trapped, or there is no such function (or no instance yet, or
    /// not as many `args` as it takes parameters).
    pub fn call(&mut self, name: &str, args: &[u64]) -> Result<Option<u64>, CallError> {
        let func = self
            .instance
            .and_then(|i| i.get_func(&self.store, name))
            .ok_or(CallError::NotExported)?;
        let ty = func.ty(&self.store);
        if ty.params().len() != args.len() {
            return Err(CallError::NotExported);
        }
        let params: Vec<Val> = ty
            .params()
            .iter()
            .zip(args)
            .map(|(t, &slot)| from_slot(*t, slot))
            .collect();
        let mut results: Vec<Val> = ty
            .results()
            .iter()
            .map(|t| Val::default_for_ty(*t))
            .collect();
        func.call(&mut self.store, &params, &mut results)
            .map_err(|e| call_error(&e).unwrap_or_else(|| CallError::Trap(e.to_string())))?;
        Ok(results.first().map(to_slot))
    }

    /// The size in bytes of the guest's memory (its export `memory`, the one host functions
    /// see): what the guest may address, whole pages. 0 when it exports none, or before
    /// [`Runtime::instantiate`].
    ///
    /// ```
    /// # use guestmem_wasi::{host_functions, TestHost, WasiCtx};
    /// # use guestmem_wasmi::Runtime;
    /// let wasm = wat::parse_str(r#"(module (memory (export "memory") 2 3))"#).unwrap();
    /// let wasi = host_functions();
    /// let mut rt = Runtime::new(&wasm, WasiCtx::new(TestHost::default()), &[&wasi]).unwrap();
    /// assert_eq!(rt.memory_size(), 0);
    /// rt.instantiate().unwrap();
    /// assert_eq!(rt.memory_size(), 2 * 65536);
    /// ```
    pub fn memory_size(&self) -> u64 {
        self.instance
            .and_then(|i| i.get_memory(&self.store, "memory"))
            .map_or(0, |m| {
                u64::try_from(m.data_size(&self.store)).unwrap_or(u64::MAX)
            })
    }

    /// The host context.
    pub fn ctx(&self) -> &C {
        &self.store.data().ctx
    }

    /// The host context, mutably.
    pub fn ctx_mut(&mut self) -> &mut C {
        &mut self.store.data_mut().ctx
    }

    /// Ends the guest and gives back the host context.
    pub fn into_ctx(self) -> C {
        self.store.into_data().ctx
    }
}
