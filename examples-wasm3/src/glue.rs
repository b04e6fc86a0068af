//! The one mechanism that turns a safe Rust function into a wasm3 host function:
//! [`host_fn!`](crate::host_fn), with the traits that move typed values in and out of wasm3's
//! argument slots.

use core::ffi::CStr;

use guestmem::{GuestFrame, GuestPtr};

pub use crate::abi::{Sig, Trap, MAX_SLOTS};
/// What [`host_fn!`](crate::host_fn) implements. Not public API.
#[doc(hidden)]
pub use crate::ffi::HostBody;
use crate::ffi::HostEntry;

/// A host function argument: decoded from one or two wasm3 slots.
///
/// Implemented for `u32 i32 u64 i64 f32 f64` (one slot each), `GuestPtr<T>` (one `i32` slot,
/// the offset), and `GuestPtr<[T]>`, `GuestPtr<str>` (two `i32` slots: offset, then length).
pub trait WasmArg<'a>: Sized {
    /// The wasm3 signature letters of the slots, e.g. `b"i"`, `b"**"`.
    const SIG: &'static [u8];
    /// Builds the value from exactly `SIG.len()` slots.
    fn from_slots(mem: &'a GuestFrame<'a>, slots: &[u64]) -> Self;
}

/// The low 32 bits of a slot (wasm3 keeps an `i32` there).
fn low32(slot: u64) -> u32 {
    let [a, b, c, d, ..] = slot.to_le_bytes();
    u32::from_le_bytes([a, b, c, d])
}

fn first(slots: &[u64]) -> u64 {
    slots.first().copied().unwrap_or(0)
}

fn second(slots: &[u64]) -> u64 {
    slots.get(1).copied().unwrap_or(0)
}

impl WasmArg<'_> for u32 {
    const SIG: &'static [u8] = b"i";
    fn from_slots(_: &GuestFrame<'_>, slots: &[u64]) -> Self {
        low32(first(slots))
    }
}

impl WasmArg<'_> for i32 {
    const SIG: &'static [u8] = b"i";
    fn from_slots(_: &GuestFrame<'_>, slots: &[u64]) -> Self {
        i32::from_le_bytes(low32(first(slots)).to_le_bytes())
    }
}

impl WasmArg<'_> for u64 {
    const SIG: &'static [u8] = b"I";
    fn from_slots(_: &GuestFrame<'_>, slots: &[u64]) -> Self {
        first(slots)
    }
}

impl WasmArg<'_> for i64 {
    const SIG: &'static [u8] = b"I";
    fn from_slots(_: &GuestFrame<'_>, slots: &[u64]) -> Self {
        i64::from_le_bytes(first(slots).to_le_bytes())
    }
}

impl WasmArg<'_> for f32 {
    const SIG: &'static [u8] = b"f";
    fn from_slots(_: &GuestFrame<'_>, slots: &[u64]) -> Self {
        f32::from_bits(low32(first(slots)))
    }
}

impl WasmArg<'_> for f64 {
    const SIG: &'static [u8] = b"F";
    fn from_slots(_: &GuestFrame<'_>, slots: &[u64]) -> Self {
        f64::from_bits(first(slots))
    }
}

impl<'a, T> WasmArg<'a> for GuestPtr<'a, T> {
    const SIG: &'static [u8] = b"*";
    fn from_slots(mem: &'a GuestFrame<'a>, slots: &[u64]) -> Self {
        GuestPtr::new(mem, low32(first(slots)))
    }
}

impl<'a, T> WasmArg<'a> for GuestPtr<'a, [T]> {
    const SIG: &'static [u8] = b"*i";
    fn from_slots(mem: &'a GuestFrame<'a>, slots: &[u64]) -> Self {
        GuestPtr::new(mem, (low32(first(slots)), low32(second(slots))))
    }
}

impl<'a> WasmArg<'a> for GuestPtr<'a, str> {
    const SIG: &'static [u8] = b"*i";
    fn from_slots(mem: &'a GuestFrame<'a>, slots: &[u64]) -> Self {
        GuestPtr::new(mem, (low32(first(slots)), low32(second(slots))))
    }
}

/// A host function result: `()` (no result), a number, or a `Result` whose error traps.
pub trait WasmRet {
    /// The wasm3 signature letter of the result (`b'v'` for none).
    const SIG: u8;
    /// The slot value, `None` for no result.
    ///
    /// # Errors
    ///
    /// The trap that ends the guest's call.
    fn into_slot(self) -> Result<Option<u64>, Trap>;
}

impl WasmRet for () {
    const SIG: u8 = b'v';
    fn into_slot(self) -> Result<Option<u64>, Trap> {
        Ok(None)
    }
}

impl WasmRet for u32 {
    const SIG: u8 = b'i';
    fn into_slot(self) -> Result<Option<u64>, Trap> {
        Ok(Some(u64::from(self)))
    }
}

impl WasmRet for i32 {
    const SIG: u8 = b'i';
    fn into_slot(self) -> Result<Option<u64>, Trap> {
        Ok(Some(u64::from(u32::from_le_bytes(self.to_le_bytes()))))
    }
}

impl WasmRet for u64 {
    const SIG: u8 = b'I';
    fn into_slot(self) -> Result<Option<u64>, Trap> {
        Ok(Some(self))
    }
}

impl WasmRet for i64 {
    const SIG: u8 = b'I';
    fn into_slot(self) -> Result<Option<u64>, Trap> {
        Ok(Some(u64::from_le_bytes(self.to_le_bytes())))
    }
}

impl<R: WasmRet> WasmRet for Result<R, Trap> {
    const SIG: u8 = R::SIG;
    fn into_slot(self) -> Result<Option<u64>, Trap> {
        self.and_then(R::into_slot)
    }
}

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
    // Internal. One context type, used both for the body and the `HostFunc`; whatever else is
    // passed here is expanded outside any `unsafe`.
    (@body [$($impl:tt)*] [$ctx:ty] $module:literal $name:literal
        => const ( $($arg:ty),* $(,)? ) -> $ret:ty = $value:expr) => {{
        struct __GuestmemHostFnBody;
        $($impl)* $crate::glue::HostBody<$ctx> for __GuestmemHostFnBody {
            const SIG: $crate::glue::Sig = $crate::host_fn!(@sig ($($arg),*) -> $ret);
            fn call(
                _: &mut $ctx,
                _: &$crate::__GuestFrame<'_>,
                _: &[u64],
            ) -> ::core::result::Result<::core::option::Option<u64>, $crate::glue::Trap> {
                let r: $ret = $value;
                $crate::glue::WasmRet::into_slot(r)
            }
        }
        $crate::HostFunc::<$ctx>::new::<__GuestmemHostFnBody>($module, $name)
    }};
    (@body [$($impl:tt)*] [$ctx:ty] $module:literal $name:literal
        => $($f:ident)::+ ( $($arg:ty),* $(,)? ) -> $ret:ty) => {{
        struct __GuestmemHostFnBody;
        $($impl)* $crate::glue::HostBody<$ctx> for __GuestmemHostFnBody {
            const SIG: $crate::glue::Sig = $crate::host_fn!(@sig ($($arg),*) -> $ret);
            #[allow(unused_mut, unused_variables, unused_assignments)]
            fn call(
                ctx: &mut $ctx,
                mem: &$crate::__GuestFrame<'_>,
                slots: &[u64],
            ) -> ::core::result::Result<::core::option::Option<u64>, $crate::glue::Trap> {
                let mut rest = slots;
                let r: $ret = $($f)::+(ctx, mem, $({
                    let n = <$arg as $crate::glue::WasmArg<'_>>::SIG.len();
                    let (now, later) = rest.split_at(n.min(rest.len()));
                    rest = later;
                    <$arg as $crate::glue::WasmArg<'_>>::from_slots(mem, now)
                }),*);
                $crate::glue::WasmRet::into_slot(r)
            }
        }
        $crate::HostFunc::<$ctx>::new::<__GuestmemHostFnBody>($module, $name)
    }};
    // Internal: the signature of the argument and result types.
    (@sig ($($arg:ty),*) -> $ret:ty) => {
        $crate::glue::Sig::new(<$ret as $crate::glue::WasmRet>::SIG)
            $( .arg(<$arg as $crate::glue::WasmArg<'_>>::SIG) )*
            .finish()
    };
}

#[cfg(test)]
mod tests {
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
