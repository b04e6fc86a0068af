//! The one mechanism that turns a safe Rust function into a wasm3 host function:
//! [`host_fn!`](crate::host_fn), and the link tables it builds from the host-function lists of
//! `guestmem-wasi` ([`wasi::functions`](crate::wasi::functions)) and the example host
//! ([`raw_host::functions`](crate::raw_host::functions)).
//!
//! The slot ABI is `guestmem-wasi`'s engine-neutral one ([`guestmem_wasi::abi`], re-exported
//! here): [`WasmArg`] and [`WasmRet`] move typed values in and out of wasm3's argument slots,
//! [`Sig`] is the signature string wasm3 links by.

use core::ffi::CStr;

/// What [`host_fn!`](crate::host_fn) implements. Not public API.
#[doc(hidden)]
pub use crate::ffi::HostBody;
use crate::ffi::HostEntry;
pub use guestmem_wasi::abi::{Sig, Trap, WasmArg, WasmRet, MAX_SLOTS};

/// A host function ready to link into a [`Runtime`](crate::Runtime) whose context is `C`:
/// import module and name, and the `extern "C"` entry point that wasm3 calls, with the wasm3
/// signature derived from the argument and result types.
///
/// Made by [`host_fn!`](crate::host_fn). The entry point reads its context as a `C`, the one
/// type parameter it shares with this value, so it only links into a `Runtime<'_, C>`.
pub struct HostFunc<C> {
    module: &'static str,
    name: &'static str,
    entry: HostEntry<C>,
}

impl<C> HostFunc<C> {
    /// The host function whose body is `B`, as the import `module.name`. What
    /// [`host_fn!`](crate::host_fn) expands to; safe, as [`HostBody`] is.
    #[doc(hidden)]
    pub const fn new<B: HostBody<C>>(module: &'static str, name: &'static str) -> Self {
        HostFunc {
            module,
            name,
            entry: HostEntry::of::<B>(),
        }
    }

    /// The import module, e.g. `wasi_snapshot_preview1`.
    pub fn module(&self) -> &'static str {
        self.module
    }

    /// The import name, e.g. `fd_write`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The wasm3 signature, e.g. `i(i*i*)`.
    pub fn signature(&self) -> &CStr {
        self.entry.sig().as_cstr()
    }

    /// The entry point, for [`Runtime::link`](crate::Runtime::link).
    pub(crate) fn entry(&self) -> &HostEntry<C> {
        &self.entry
    }
}

impl<C> Clone for HostFunc<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for HostFunc<C> {}

impl<C> core::fmt::Debug for HostFunc<C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{}.{} {:?}",
            self.module(),
            self.name(),
            self.signature()
        )
    }
}

/// Turns a safe Rust function into a [`HostFunc`]: the `extern "C"` glue that wasm3 calls,
/// generated once (in the crate's FFI module) instead of written by hand per function.
///
/// ```text
/// host_fn!(<Context> "module" "name" => path::to::function(Arg1, Arg2, ...) -> Ret)
/// host_fn!(<C: Bound1, Bound2> "module" "name" => path::to::function(Arg1, ...) -> Ret)
/// host_fn!(<Context or C: Bounds> "module" "name" => const(Arg1, Arg2, ...) -> Ret = value)
/// ```
///
/// `Context` is the context type of the [`Runtime`](crate::Runtime); inside a generic function,
/// name its type parameter and repeat its bounds, at least one (`<C: HasWasi>`).
/// The function is called as `function(ctx: &mut C, mem: &GuestFrame<'_>, arg1, arg2, ...)`
/// — `mem` is the guest memory for this call, its base and length read once; each argument type implements [`WasmArg`]
/// (`u32 i32 u64 i64 f32 f64`, `GuestPtr<T>`, and `GuestPtr<[T]>`/`GuestPtr<str>`, which take
/// two slots), and `Ret` implements [`WasmRet`] (`()`, a number, WASI's `Errno`, or
/// `Result<_, Trap>`). The wasm3 signature is derived from the types at compile time. The
/// third form links a function that ignores its arguments and returns `value` (WASI's
/// `ENOSYS` stubs). Write `'_` for the lifetimes in argument types.
///
/// The expansion is a zero-sized type implementing [`HostBody`] with the call in safe code,
/// and [`HostFunc::new`]; it contains no `unsafe`, so the function, the types and `value` are
/// checked as the caller's own code.
///
/// # Examples
///
/// ```
/// use guestmem::{GuestFrame, GuestPtr};
/// use guestmem_wasm3::{host_fn, HostFunc, Trap};
///
/// struct Counter { calls: u32 }
///
/// /// Adds the guest's `u32` at `p` to the count, and returns the new count.
/// fn add(ctx: &mut Counter, _mem: &GuestFrame<'_>, p: GuestPtr<'_, u32>) -> Result<u32, Trap> {
///     ctx.calls = ctx.calls.wrapping_add(p.read()?);
///     Ok(ctx.calls)
/// }
///
/// let f: HostFunc<Counter> = host_fn!(<Counter> "env" "add" => add(GuestPtr<'_, u32>) -> Result<u32, Trap>);
/// assert_eq!(f.signature().to_str(), Ok("i(*)"));
/// let stub: HostFunc<Counter> = host_fn!(<Counter> "env" "nop" => const(u32, u64) -> u32 = 52);
/// assert_eq!(stub.signature().to_str(), Ok("i(iI)"));
/// ```
///
#[doc = include_str!("host_fn_safety.md")]
#[macro_export]
macro_rules! host_fn {
    (<$c:ident : $($bound:path),+> $module:literal $name:literal => $($rest:tt)*) => {
        $crate::host_fn!(@body [impl<$c: $($bound+)+>] [$c] $module $name => $($rest)*)
    };
    (<$ctx:ty> $module:literal $name:literal => $($rest:tt)*) => {
        $crate::host_fn!(@body [impl] [$ctx] $module $name => $($rest)*)
    };
    // Internal. The public forms, as a list entry of `guestmem_wasi::for_each_function!`.
    (@body [$($impl:tt)*] [$ctx:ty] $module:literal $name:literal
        => const ( $($arg:ty),* $(,)? ) -> $ret:ty = $value:expr) => {
        $crate::host_fn!(@entry [$($impl)*] [$ctx] $module const $name ($($arg),*) -> $ret = $value)
    };
    (@body [$($impl:tt)*] [$ctx:ty] $module:literal $name:literal
        => $($f:ident)::+ ( $($arg:ty),* $(,)? ) -> $ret:ty) => {
        $crate::host_fn!(@entry [$($impl)*] [$ctx] $module fn $name ($($arg),*) -> $ret = $($f)::+)
    };
    // Internal. One list entry (`fn` or `const`): a zero-sized body whose call is
    // `guestmem_wasi::slot_call!`, and its `HostFunc`. One context type, used both for the body
    // and the `HostFunc`; whatever else is passed here is expanded outside any `unsafe`.
    (@entry [$($impl:tt)*] [$ctx:ty] $module:literal $kind:tt $name:literal
        ( $($arg:ty),* ) -> $ret:ty = $target:expr) => {{
        struct __GuestmemHostFnBody;
        $($impl)* $crate::glue::HostBody<$ctx> for __GuestmemHostFnBody {
            const SIG: $crate::glue::Sig = $crate::__wasi::slot_sig!(($($arg),*) -> $ret);
            fn call(
                ctx: &mut $ctx,
                mem: &$crate::__GuestFrame<'_>,
                slots: &[u64],
            ) -> ::core::result::Result<::core::option::Option<u64>, $crate::glue::Trap> {
                $crate::__wasi::slot_call!($kind (ctx, mem, slots) ($($arg),*) -> $ret = $target)
            }
        }
        $crate::HostFunc::<$ctx>::new::<__GuestmemHostFnBody>($module, $name)
    }};
}

/// The wasm3 link table of a host-function list: the callback that
/// [`wasi::functions`](crate::wasi::functions) and
/// [`raw_host::functions`](crate::raw_host::functions) hand to their crate's
/// `for_each_function!`, as `for_each_function!(host_fn_table, C)` in a function generic over
/// the context `C`. Expands to `[HostFunc<C>; N]`, one [`host_fn!`](crate::host_fn) entry
/// (a monomorphised [`HostBody`]) per function. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! host_fn_table {
    ([$c:ident] module $module:literal; bound $bound:path;
     $($kind:tt $name:literal ($($arg:ty),* $(,)?) -> $ret:ty = $target:expr;)*) => {
        [$(
            $crate::host_fn!(@entry [impl<$c: $bound>] [$c] $module $kind $name ($($arg),*) -> $ret = $target)
        ),*]
    };
}

#[cfg(test)]
mod tests {
    use guestmem::GuestPtr;

    use super::*;

    #[test]
    fn slot_decoding_keeps_bits() {
        let mut b = [0u8; 4];
        let mem = guestmem::GuestFrame::new(&mut b);
        assert_eq!(i32::from_slots(&mem, &[0xFFFF_FFFF_FFFF_FFFE]), -2);
        assert_eq!(u32::from_slots(&mem, &[0x1_0000_0007]), 7);
        assert_eq!(i64::from_slots(&mem, &[u64::MAX]), -1);
        assert_eq!(f32::from_slots(&mem, &[u64::from(1.5f32.to_bits())]), 1.5);
        let s = GuestPtr::<'_, [u8]>::from_slots(&mem, &[8, 3]);
        assert_eq!(s.pointer(), (8, 3));
        assert_eq!((-2i32).into_slot(), Ok(Some(0xFFFF_FFFE)));
        assert_eq!(Err::<u32, _>(Trap::Exit).into_slot(), Err(Trap::Exit));
    }
}
