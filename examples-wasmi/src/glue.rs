//! The one glue between the engine-neutral [`HostFn`] and wasmi: [`link`] turns every
//! function of a host-function list into a wasmi host function with
//! [`Linker::func_new`], its [`FuncType`] read from the [`Sig`].
//!
//! Each call: the argument [`Val`]s become `u64` slots, the guest's memory and the host
//! context are borrowed together from the store ([`Memory::data_and_store_mut`], no unsafe),
//! a fresh [`GuestFrame`] is built over the bytes (so growth since the last call is seen),
//! the [`HostFn`] runs, and its result slot becomes the result [`Val`], or its [`Trap`] a
//! [`wasmi::Error`] carrying a [`HostTrap`].

use core::fmt;

use guestmem::GuestFrame;
use guestmem_wasi::abi::{HostFn, Sig, Trap, MAX_SLOTS};

use wasmi::errors::LinkerError;
use wasmi::{Caller, Extern, FuncType, Linker, Memory, Val, ValType};

use crate::slots::{from_slot, to_slot};

/// What the wasmi store holds for a guest: the host context, and the guest's memory once a
/// host function has found it (its export `memory`, looked up by name on the first call and
/// kept, since an instance never changes its memory).
#[derive(Debug)]
pub struct Host<C> {
    /// The host context every host function gets (e.g. a `WasiCtx`).
    pub ctx: C,
    memory: Option<Memory>,
}

impl<C> Host<C> {
    /// A host over `ctx`; the memory is found at the first host call.
    pub fn new(ctx: C) -> Self {
        Host { ctx, memory: None }
    }
}

/// A host function's [`Trap`], as the [`wasmi::Error`] that stops the guest: recovered with
/// [`wasmi::Error::downcast_ref`] where the call returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostTrap(pub Trap);

impl fmt::Display for HostTrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Trap::Exit => f.write_str("the guest exited"),
            Trap::OutOfBounds => f.write_str("out of bounds memory access"),
            Trap::Message(m) => write!(f, "{}", m.to_string_lossy()),
        }
    }
}

impl wasmi::errors::HostError for HostTrap {}

/// The wasm value type of a signature letter (`*`, a pointer, is an `i32`).
fn val_type(letter: u8) -> ValType {
    match letter {
        b'I' => ValType::I64,
        b'f' => ValType::F32,
        b'F' => ValType::F64,
        _ => ValType::I32,
    }
}

/// The wasmi function type of a signature, e.g. `i(i*i*)` as `(i32 i32 i32 i32) -> i32`.
pub fn func_type(sig: &Sig) -> FuncType {
    FuncType::new(
        sig.params().iter().map(|&l| val_type(l)),
        sig.result().map(val_type),
    )
}

/// The guest's memory: the one kept in the store, or its export `memory` (then kept).
/// `None` for a guest that exports no memory: its host functions see an empty one.
fn memory_of<C>(caller: &mut Caller<'_, Host<C>>) -> Option<Memory> {
    if let Some(m) = caller.data().memory {
        return Some(m);
    }
    let m = caller.get_export("memory").and_then(Extern::into_memory)?;
    caller.data_mut().memory = Some(m);
    Some(m)
}

/// Calls `f` for the guest behind `caller`: what every linked function does.
fn call<C>(
    f: &HostFn<C>,
    mut caller: Caller<'_, Host<C>>,
    params: &[Val],
    results: &mut [Val],
) -> Result<(), wasmi::Error> {
    let mut slots = [0u64; MAX_SLOTS];
    for (slot, v) in slots.iter_mut().zip(params) {
        *slot = to_slot(v);
    }
    let slots = slots.get(..params.len()).unwrap_or(&[]);
    let r = match memory_of(&mut caller) {
        Some(memory) => {
            let (bytes, host) = memory.data_and_store_mut(&mut caller);
            (f.call)(&mut host.ctx, &GuestFrame::from_slice(bytes), slots)
        }
        None => (f.call)(
            &mut caller.data_mut().ctx,
            &GuestFrame::from_slice(&mut []),
            slots,
        ),
    };
    match r {
        Ok(value) => {
            if let (Some(slot), Some(letter), Some(out)) =
                (value, f.sig.result(), results.first_mut())
            {
                *out = from_slot(val_type(letter), slot);
            }
            Ok(())
        }
        Err(trap) => Err(wasmi::Error::host(HostTrap(trap))),
    }
}

/// Links every function of `functions` into `linker`: the one glue for any host-function
/// list (`guestmem_wasi::host_functions`, `guestmem_example_host::host_functions`).
///
/// # Errors
///
/// A name defined twice in `linker`.
///
/// # Examples
///
/// ```
/// use guestmem_wasi::{host_functions, TestHost, WasiCtx};
/// use guestmem_wasmi::{link, Host};
/// use wasmi::{Engine, Linker};
///
/// let engine = Engine::default();
/// let mut linker = Linker::<Host<WasiCtx<TestHost<'static>>>>::new(&engine);
/// link(&mut linker, &host_functions()).unwrap();
/// ```
pub fn link<C: 'static>(
    linker: &mut Linker<Host<C>>,
    functions: &[HostFn<C>],
) -> Result<(), LinkerError> {
    for &f in functions {
        linker.func_new(
            f.module,
            f.name,
            func_type(&f.sig),
            move |caller: Caller<'_, Host<C>>, params: &[Val], results: &mut [Val]| {
                call(&f, caller, params, results)
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_types_from_signatures() {
        let sig = Sig::new(b'i').arg(b"i*").arg(b"IfF").finish();
        let ty = func_type(&sig);
        assert_eq!(
            ty.params(),
            &[
                ValType::I32,
                ValType::I32,
                ValType::I64,
                ValType::F32,
                ValType::F64
            ]
        );
        assert_eq!(ty.results(), &[ValType::I32]);
        assert_eq!(func_type(&Sig::new(b'v').finish()).results(), &[]);
    }
}
