//! The one mechanism that turns a safe Rust function into a wasm3 host function:
//! [`host_fn!`](crate::host_fn), with the traits that move typed values in and out of wasm3's
//! argument slots.

use core::ffi::CStr;
use core::marker::PhantomData;

use guestmem::{GuestError, GuestMemory, GuestPtr};

use crate::ffi::RawHostFn;

/// The most argument slots a host function may take (WASI's `path_open` takes 9).
pub const MAX_SLOTS: usize = 12;

/// Why a host function stops the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trap {
    /// The guest asked to exit (`proc_exit`); the exit code is in the host context.
    Exit,
    /// A guest pointer was out of bounds: the guest traps as its own load would.
    OutOfBounds,
    /// Any other reason, as the message the call fails with.
    Message(&'static CStr),
}

impl From<GuestError> for Trap {
    fn from(e: GuestError) -> Self {
        match e {
            GuestError::PtrOutOfBounds(_) | GuestError::PtrOverflow => Trap::OutOfBounds,
            _ => Trap::Message(c"[trap] host function: invalid guest argument"),
        }
    }
}

/// A host function argument: decoded from one or two wasm3 slots.
///
/// Implemented for `u32 i32 u64 i64 f32 f64` (one slot each), `GuestPtr<T>` (one `i32` slot,
/// the offset), and `GuestPtr<[T]>`, `GuestPtr<str>` (two `i32` slots: offset, then length).
pub trait WasmArg<'a>: Sized {
    /// The wasm3 signature letters of the slots, e.g. `b"i"`, `b"**"`.
    const SIG: &'static [u8];
    /// Builds the value from exactly `SIG.len()` slots.
    fn from_slots(mem: &'a dyn GuestMemory, slots: &[u64]) -> Self;
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
    fn from_slots(_: &dyn GuestMemory, slots: &[u64]) -> Self {
        low32(first(slots))
    }
}

impl WasmArg<'_> for i32 {
    const SIG: &'static [u8] = b"i";
    fn from_slots(_: &dyn GuestMemory, slots: &[u64]) -> Self {
        i32::from_le_bytes(low32(first(slots)).to_le_bytes())
    }
}

impl WasmArg<'_> for u64 {
    const SIG: &'static [u8] = b"I";
    fn from_slots(_: &dyn GuestMemory, slots: &[u64]) -> Self {
        first(slots)
    }
}

impl WasmArg<'_> for i64 {
    const SIG: &'static [u8] = b"I";
    fn from_slots(_: &dyn GuestMemory, slots: &[u64]) -> Self {
        i64::from_le_bytes(first(slots).to_le_bytes())
    }
}

impl WasmArg<'_> for f32 {
    const SIG: &'static [u8] = b"f";
    fn from_slots(_: &dyn GuestMemory, slots: &[u64]) -> Self {
        f32::from_bits(low32(first(slots)))
    }
}

impl WasmArg<'_> for f64 {
    const SIG: &'static [u8] = b"F";
    fn from_slots(_: &dyn GuestMemory, slots: &[u64]) -> Self {
        f64::from_bits(first(slots))
    }
}

impl<'a, T> WasmArg<'a> for GuestPtr<'a, T> {
    const SIG: &'static [u8] = b"*";
    fn from_slots(mem: &'a dyn GuestMemory, slots: &[u64]) -> Self {
        GuestPtr::new(mem, low32(first(slots)))
    }
}

impl<'a, T> WasmArg<'a> for GuestPtr<'a, [T]> {
    const SIG: &'static [u8] = b"*i";
    fn from_slots(mem: &'a dyn GuestMemory, slots: &[u64]) -> Self {
        GuestPtr::new(mem, (low32(first(slots)), low32(second(slots))))
    }
}

impl<'a> WasmArg<'a> for GuestPtr<'a, str> {
    const SIG: &'static [u8] = b"*i";
    fn from_slots(mem: &'a dyn GuestMemory, slots: &[u64]) -> Self {
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

/// A wasm3 signature string built at compile time, e.g. `i(i*ii)`, NUL-terminated.
#[derive(Clone, Copy, Debug)]
pub struct Sig {
    buf: [u8; 40],
    len: usize,
    slots: usize,
    has_result: bool,
    overflow: bool,
}

impl Sig {
    /// A signature returning `ret` (a [`WasmRet::SIG`] letter), with no parameters yet.
    pub const fn new(ret: u8) -> Self {
        let mut s = Sig {
            buf: [0; 40],
            len: 0,
            slots: 0,
            has_result: ret != b'v',
            overflow: false,
        };
        s = s.push(ret);
        s.push(b'(')
    }

    const fn push(mut self, c: u8) -> Self {
        // Keep the last byte for the NUL.
        if self.len.wrapping_add(1) >= self.buf.len() {
            self.overflow = true;
            return self;
        }
        // In bounds: checked just above (`get_mut` is not `const` yet).
        #[allow(clippy::indexing_slicing)]
        {
            self.buf[self.len] = c;
        }
        self.len = self.len.wrapping_add(1);
        self
    }

    /// Appends the parameter letters `letters` (a [`WasmArg::SIG`]).
    pub const fn arg(mut self, letters: &[u8]) -> Self {
        let mut i = 0;
        while i < letters.len() {
            // In bounds: `i < letters.len()` (`get` is not `const` yet).
            #[allow(clippy::indexing_slicing)]
            {
                self = self.push(letters[i]);
            }
            i = i.wrapping_add(1);
            self.slots = self.slots.wrapping_add(1);
        }
        self
    }

    /// Closes the parameter list. Fails to compile (in a `const`) when the signature is too
    /// long for wasm3's slots.
    pub const fn finish(self) -> Self {
        let s = self.push(b')');
        assert!(
            !s.overflow && s.slots <= MAX_SLOTS,
            "host function has too many parameters"
        );
        s
    }

    /// The number of argument slots.
    pub const fn slots(&self) -> usize {
        self.slots
    }

    /// Whether the function returns a value.
    pub const fn has_result(&self) -> bool {
        self.has_result
    }

    /// The signature as wasm3 reads it.
    pub fn as_cstr(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.buf).unwrap_or(c"")
    }
}

/// A host function ready to link into a [`Runtime`](crate::Runtime) whose context is `C`:
/// import module and name, wasm3 signature, and the generated glue.
///
/// Made by [`host_fn!`](crate::host_fn) only.
pub struct HostFunc<C> {
    module: &'static str,
    name: &'static str,
    sig: Sig,
    raw: RawHostFn,
    _ctx: PhantomData<fn(&mut C)>,
}

impl<C> HostFunc<C> {
    /// What [`host_fn!`](crate::host_fn) expands to.
    ///
    /// # Safety
    ///
    /// 1. `raw` reads its cookie as `*mut C` and at most `sig.slots()` argument slots, and
    ///    writes slot 0 only if `sig.has_result()` (as [`dispatch`](crate::ffi::dispatch)
    ///    does when given the same numbers).
    /// 2. `module` and `name` end with a NUL byte.
    #[doc(hidden)]
    pub const unsafe fn __new(
        module: &'static str,
        name: &'static str,
        sig: Sig,
        raw: RawHostFn,
    ) -> Self {
        HostFunc {
            module,
            name,
            sig,
            raw,
            _ctx: PhantomData,
        }
    }

    /// The import module, e.g. `wasi_snapshot_preview1`.
    pub fn module(&self) -> &'static str {
        self.module.trim_end_matches('\0')
    }

    /// The import name, e.g. `fd_write`.
    pub fn name(&self) -> &'static str {
        self.name.trim_end_matches('\0')
    }

    /// The wasm3 signature, e.g. `i(i*i*)`.
    pub fn signature(&self) -> &CStr {
        self.sig.as_cstr()
    }

    pub(crate) fn parts(&self) -> (&'static CStr, &'static CStr, &CStr, RawHostFn) {
        let module = CStr::from_bytes_with_nul(self.module.as_bytes()).unwrap_or(c"");
        let name = CStr::from_bytes_with_nul(self.name.as_bytes()).unwrap_or(c"");
        (module, name, self.sig.as_cstr(), self.raw)
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
/// generated once here instead of written (unsafely) per function.
///
/// ```text
/// host_fn!(<Context> "module" "name" => path::to::function(Arg1, Arg2, ...) -> Ret)
/// host_fn!(<C: Bound1, Bound2> "module" "name" => path::to::function(Arg1, ...) -> Ret)
/// host_fn!(<Context or C: Bounds> "module" "name" => const(Arg1, Arg2, ...) -> Ret = value)
/// ```
///
/// `Context` is the context type of the [`Runtime`](crate::Runtime); inside a generic function,
/// name its type parameter and repeat its bounds, at least one (`<C: HasWasi>`).
/// The function is called as `function(ctx: &mut C, mem: &Wasm3Memory, arg1, arg2, ...)`;
/// each argument type implements [`WasmArg`] (`u32 i32 u64 i64 f32 f64`, `GuestPtr<T>`, and
/// `GuestPtr<[T]>`/`GuestPtr<str>`, which take two slots), and `Ret` implements [`WasmRet`]
/// (`()`, a number, WASI's `Errno`, or `Result<_, Trap>`). The wasm3 signature is derived from
/// the types at compile time. The second form links a function that ignores its arguments and
/// returns `value` (WASI's `ENOSYS` stubs). Write `'_` for the lifetimes in argument types.
///
/// # Examples
///
/// ```
/// use guestmem::GuestPtr;
/// use guestmem_wasm3::{host_fn, HostFunc, Trap, Wasm3Memory};
///
/// struct Counter { calls: u32 }
///
/// /// Adds the guest's `u32` at `p` to the count, and returns the new count.
/// fn add(ctx: &mut Counter, _mem: &Wasm3Memory, p: GuestPtr<'_, u32>) -> Result<u32, Trap> {
///     ctx.calls = ctx.calls.wrapping_add(p.read()?);
///     Ok(ctx.calls)
/// }
///
/// let f: HostFunc<Counter> = host_fn!(<Counter> "env" "add" => add(GuestPtr<'_, u32>) -> Result<u32, Trap>);
/// assert_eq!(f.signature().to_str(), Ok("i(*)"));
/// let stub: HostFunc<Counter> = host_fn!(<Counter> "env" "nop" => const(u32, u64) -> u32 = 52);
/// assert_eq!(stub.signature().to_str(), Ok("i(iI)"));
/// ```
#[macro_export]
macro_rules! host_fn {
    (<$c:ident : $($bound:path),+> $module:literal $name:literal => $($rest:tt)*) => {
        $crate::host_fn!(@parse [<$c: $($bound+)+>] [$c] [::<$c>] [$c] $module $name => $($rest)*)
    };
    (<$ctx:ty> $module:literal $name:literal => $($rest:tt)*) => {
        $crate::host_fn!(@parse [] [$ctx] [] [$ctx] $module $name => $($rest)*)
    };
    (@parse [$($gen:tt)*] [$inner:ty] [$($turbofish:tt)*] [$outer:ty] $module:literal $name:literal
        => const ( $($arg:ty),* $(,)? ) -> $ret:ty = $value:expr) => {
        $crate::host_fn!(@glue [$($gen)*] [$inner] [$($turbofish)*] [$outer] $module $name ($($arg),*) -> $ret;
            |_ctx: &mut $inner, _mem: &$crate::Wasm3Memory, _slots: &[u64]| {
                let r: $ret = $value;
                $crate::glue::WasmRet::into_slot(r)
            })
    };
    (@parse [$($gen:tt)*] [$inner:ty] [$($turbofish:tt)*] [$outer:ty] $module:literal $name:literal
        => $($f:ident)::+ ( $($arg:ty),* $(,)? ) -> $ret:ty) => {
        $crate::host_fn!(@glue [$($gen)*] [$inner] [$($turbofish)*] [$outer] $module $name ($($arg),*) -> $ret;
            |ctx: &mut $inner, mem: &$crate::Wasm3Memory, slots: &[u64]| {
                let mut rest = slots;
                let r: $ret = $($f)::+(ctx, mem, $({
                    let n = <$arg as $crate::glue::WasmArg<'_>>::SIG.len();
                    let (now, later) = rest.split_at(n.min(rest.len()));
                    rest = later;
                    <$arg as $crate::glue::WasmArg<'_>>::from_slots(mem, now)
                }),*);
                $crate::glue::WasmRet::into_slot(r)
            })
    };
    (@glue [$($gen:tt)*] [$inner:ty] [$($turbofish:tt)*] [$outer:ty] $module:literal $name:literal
        ($($arg:ty),*) -> $ret:ty; $body:expr) => {{
        const SIG: $crate::glue::Sig = $crate::glue::Sig::new(<$ret as $crate::glue::WasmRet>::SIG)
            $( .arg(<$arg as $crate::glue::WasmArg<'_>>::SIG) )*
            .finish();
        #[allow(unused_mut, unused_variables, unused_assignments)]
        unsafe extern "C" fn glue $($gen)* (
            rt: $crate::__m3::IM3Runtime,
            sp: *mut u64,
            _mem: *mut ::core::ffi::c_void,
            cookie: *mut ::core::ffi::c_void,
        ) -> *const ::core::ffi::c_void {
            // wasm3 calls this function only as linked by `Runtime::link` from the `HostFunc`
            // built below: `rt` is that runtime, paused in this call; `sp` has the slots of
            // `SIG`, which wasm3 checked against the import's type when linking; `cookie` is
            // the runtime's pointer to its context.
            // SAFETY: `__dispatch`'s preconditions 1–3 hold, as argued above.
            unsafe {
                $crate::__dispatch::<$inner>(rt, sp, cookie, SIG.slots(), SIG.has_result(), $body)
            }
        }
        // SAFETY: `glue` reads its cookie as a pointer to the context type of the `HostFunc`
        // and `SIG.slots()` slots, and writes slot 0 only if `SIG.has_result()` (it passes
        // exactly these to `dispatch`); the names are NUL-terminated by `concat!`.
        unsafe {
            $crate::HostFunc::<$outer>::__new(
                ::core::concat!($module, "\0"),
                ::core::concat!($name, "\0"),
                SIG,
                glue $($turbofish)*,
            )
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_from_types() {
        let s = Sig::new(b'i').arg(b"i").arg(b"*i").arg(b"*").finish();
        assert_eq!(s.as_cstr(), c"i(i*i*)");
        assert_eq!(s.slots(), 4);
        assert!(s.has_result());
        let v = Sig::new(b'v').arg(b"I").finish();
        assert_eq!(v.as_cstr(), c"v(I)");
        assert!(!v.has_result());
    }

    #[test]
    fn slot_decoding_keeps_bits() {
        let mut b = [0u8; 4];
        let mem = guestmem::SliceMemory::new(&mut b);
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
