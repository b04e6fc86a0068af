//! The engine-neutral host-function ABI: how a host function's arguments and result travel
//! as `u64` slots, whatever engine runs the guest.
//!
//! wasm3, wasmi and wasmtime all hand a host function its arguments as a list of untyped
//! 64-bit slots, one per wasm value (an `i32` in the low 32 bits), and take its result as one
//! such slot. This module is that list and nothing engine-specific:
//!
//! - [`WasmArg`] decodes a typed argument from its slots (a [`GuestPtr`] to a slice or string
//!   takes two: offset and length), and [`WasmRet`] encodes a result, or the [`Trap`] that
//!   stops the guest;
//! - [`Sig`] is the signature built from those types at compile time, written in wasm3's
//!   letters (`i` `I` `f` `F` for `i32 i64 f32 f64`, `*` for a pointer, which is an `i32`, `v`
//!   for no result): wasm3 links by that string, another engine maps each letter to its own
//!   value type ([`Sig::params`], [`Sig::result`]);
//! - [`HostFn`] is a host function as data (import module and name, signature, and a plain
//!   `fn` over the slots), for an engine that calls host functions through a pointer;
//!   [`slot_call!`](crate::slot_call) and [`slot_sig!`](crate::slot_sig) are what builds the
//!   body and the signature of one, and what an engine's monomorphised glue calls instead.
//!
//! An engine binding relies on one property of [`Sig`], kept by its private fields and
//! checked by [`Sig::is_valid`]: a valid signature has exactly [`slots`](Sig::slots)
//! parameter letters, and a result exactly when [`has_result`](Sig::has_result).

use core::ffi::CStr;

use guestmem::{GuestError, GuestFrame, GuestPtr};

/// The most argument slots a host function may take (WASI's `path_open` takes 9).
pub const MAX_SLOTS: usize = 12;

/// Why a host function stops the guest.
// Exhaustive on purpose: each engine maps every trap to its own error, and a new variant must
// fail their builds rather than fall into a catch-all arm.
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

/// The room for a signature: a result letter, `(`, the parameters, `)`, and the NUL.
const SIG_BYTES: usize = 40;

/// A host function's signature built at compile time, as a NUL-terminated string in wasm3's
/// letters, e.g. `i(i*ii)`.
///
/// Only these letters are accepted: `v i I f F` for the result, `i I f F *` for parameters
/// (the ones wasm3 0.4.7 reads; `*` is an `i32` pointer). Anything else, too many
/// parameters, or a signature that was never [`finish`](Self::finish)ed is not
/// [valid](Self::is_valid), and a binding refuses to link it.
#[derive(Clone, Copy, Debug)]
pub struct Sig {
    buf: [u8; SIG_BYTES],
    len: usize,
    slots: usize,
    has_result: bool,
    /// A letter wasm3 does not read, or more bytes than `buf` holds.
    invalid: bool,
    /// `finish` closed the parameter list.
    closed: bool,
}

impl Sig {
    /// A signature returning `ret` (a [`WasmRet::SIG`] letter), with
    /// no parameters yet.
    pub const fn new(ret: u8) -> Self {
        let mut s = Sig {
            buf: [0; SIG_BYTES],
            len: 0,
            slots: 0,
            has_result: ret != b'v',
            invalid: !matches!(ret, b'v' | b'i' | b'I' | b'f' | b'F'),
            closed: false,
        };
        s = s.push(ret);
        s.push(b'(')
    }

    const fn push(mut self, c: u8) -> Self {
        // Keep the last byte for the NUL.
        if self.len.wrapping_add(1) >= self.buf.len() {
            self.invalid = true;
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

    /// Appends the parameter letters `letters` (a [`WasmArg::SIG`]), one slot each.
    pub const fn arg(mut self, letters: &[u8]) -> Self {
        let mut i = 0;
        while i < letters.len() {
            // In bounds: `i < letters.len()` (`get` is not `const` yet).
            #[allow(clippy::indexing_slicing)]
            let letter = letters[i];
            if self.closed || !matches!(letter, b'i' | b'I' | b'f' | b'F' | b'*') {
                self.invalid = true;
            }
            self = self.push(letter);
            i = i.wrapping_add(1);
            self.slots = self.slots.wrapping_add(1);
        }
        self
    }

    /// Closes the parameter list. Fails to compile (in a `const`) when the signature is not
    /// [valid](Self::is_valid): a letter wasm3 does not read, or more than [`MAX_SLOTS`]
    /// parameters.
    pub const fn finish(mut self) -> Self {
        if self.closed {
            self.invalid = true;
        }
        let mut s = self.push(b')');
        s.closed = true;
        assert!(s.is_valid(), "host function signature invalid or too long");
        s
    }

    /// Whether wasm3 reads this signature as [`slots`](Self::slots) parameters and a result
    /// exactly when [`has_result`](Self::has_result): only known letters, at most
    /// [`MAX_SLOTS`] parameters, and closed by [`finish`](Self::finish).
    pub const fn is_valid(&self) -> bool {
        !self.invalid && self.closed && self.slots <= MAX_SLOTS
    }

    /// The number of argument slots.
    pub const fn slots(&self) -> usize {
        self.slots
    }

    /// Whether the function returns a value.
    pub const fn has_result(&self) -> bool {
        self.has_result
    }

    /// The signature as wasm3 reads it, e.g. `i(i*i*)`.
    pub fn as_cstr(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.buf).unwrap_or(c"")
    }

    /// The parameter letters, one per slot, e.g. `i*i*` (`*` is an `i32`).
    pub fn params(&self) -> &[u8] {
        // The buffer holds `result ( params ) NUL`.
        let end = 2usize.saturating_add(self.slots);
        self.buf.get(2..end).unwrap_or(&[])
    }

    /// The result letter, `None` for no result (`v`).
    pub fn result(&self) -> Option<u8> {
        self.buf.first().copied().filter(|&r| r != b'v')
    }
}

/// A host function argument: decoded from one or two slots.
///
/// Implemented for `u32 i32 u64 i64 f32 f64` (one slot each), `GuestPtr<T>` (one `i32` slot,
/// the offset), and `GuestPtr<[T]>`, `GuestPtr<str>` (two `i32` slots: offset, then length).
pub trait WasmArg<'a>: Sized {
    /// The signature letters of the slots, e.g. `b"i"`, `b"**"`.
    const SIG: &'static [u8];
    /// Builds the value from exactly `SIG.len()` slots.
    fn from_slots(mem: &'a GuestFrame<'a>, slots: &[u64]) -> Self;
}

/// The low 32 bits of a slot (where an engine keeps an `i32`).
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
    /// The signature letter of the result (`b'v'` for none).
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

/// The body of a host function over slots, as [`HostFn`] holds it: the context, the guest
/// memory of this call, and the argument slots ([`Sig::slots`] of them); returns the result
/// slot (`None` for no result) or the trap that ends the guest's call.
pub type SlotFn<C> = fn(&mut C, &GuestFrame<'_>, &[u64]) -> Result<Option<u64>, Trap>;

/// A host function as data, engine-neutral: import module and name, signature, and the body
/// over slots. Made from a host-function list (e.g. [`host_functions`](crate::host_functions))
/// for an engine that calls host functions through a pointer; an engine that can
/// monomorphise (wasm3's `host_fn!`) builds its own glue from the same list instead, with the
/// same [`slot_call!`](crate::slot_call).
pub struct HostFn<C> {
    /// The import module, e.g. `wasi_snapshot_preview1`.
    pub module: &'static str,
    /// The import name, e.g. `fd_write`.
    pub name: &'static str,
    /// The signature.
    pub sig: Sig,
    /// The body.
    pub call: SlotFn<C>,
}

impl<C> Clone for HostFn<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for HostFn<C> {}

impl<C> core::fmt::Debug for HostFn<C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{} {:?}", self.module, self.name, self.sig.as_cstr())
    }
}

/// The [`Sig`] of a host function with these argument and result types, as a constant
/// expression.
///
/// ```
/// use guestmem_wasi::{abi::Sig, guestmem::GuestPtr, slot_sig, Errno};
///
/// const SIG: Sig = slot_sig!((u32, GuestPtr<'_, [u8]>, u64) -> Errno);
/// assert_eq!(SIG.as_cstr(), c"i(i*iI)");
/// assert_eq!((SIG.params(), SIG.result()), (&b"i*iI"[..], Some(b'i')));
/// ```
#[macro_export]
macro_rules! slot_sig {
    (($($arg:ty),* $(,)?) -> $ret:ty) => {
        $crate::abi::Sig::new(<$ret as $crate::abi::WasmRet>::SIG)
            $( .arg(<$arg as $crate::abi::WasmArg<'_>>::SIG) )*
            .finish()
    };
}

/// The body of one host function over slots: decodes each argument from `slots` with
/// [`WasmArg`], calls the function (`fn` form) or takes the value (`const` form), and encodes
/// the result with [`WasmRet`]. Evaluates to `Result<Option<u64>, Trap>`.
///
/// ```text
/// slot_call!(fn (ctx, mem, slots) (Arg1, Arg2, ...) -> Ret = path::to::function)
/// slot_call!(const (ctx, mem, slots) (Arg1, Arg2, ...) -> Ret = value)
/// ```
///
/// The function is called as `function(ctx, mem, arg1, arg2, ...)`; `ctx`, `mem` and `slots`
/// are expressions of the caller (a `&mut C`, a `&GuestFrame<'_>`, a `&[u64]`). Missing slots
/// read as 0, so the call is safe whatever the slice, though an engine passes exactly
/// [`Sig::slots`] of them. The expansion holds no `unsafe`.
///
/// # Examples
///
/// ```
/// use guestmem_wasi::guestmem::{GuestFrame, GuestPtr};
/// use guestmem_wasi::{slot_call, abi::Trap};
///
/// fn add(ctx: &mut u32, _: &GuestFrame<'_>, p: GuestPtr<'_, u32>, n: u32) -> Result<u32, Trap> {
///     *ctx = ctx.wrapping_add(p.read()?).wrapping_add(n);
///     Ok(*ctx)
/// }
///
/// let mut bytes = [0u8; 16];
/// bytes[4] = 40;
/// let mem = GuestFrame::new(&mut bytes);
/// let mut ctx = 0u32;
/// let r = slot_call!(fn (&mut ctx, &mem, &[4, 2]) (GuestPtr<'_, u32>, u32) -> Result<u32, Trap> = add);
/// assert_eq!(r, Ok(Some(42)));
/// let stub = slot_call!(const (&mut ctx, &mem, &[]) (u32) -> u32 = 52);
/// assert_eq!(stub, Ok(Some(52)));
/// ```
#[macro_export]
macro_rules! slot_call {
    (fn ($ctx:expr, $mem:expr, $slots:expr) ($($arg:ty),* $(,)?) -> $ret:ty = $f:expr) => {{
        let mem = $mem;
        #[allow(unused_mut, unused_variables)]
        let mut rest: &[u64] = $slots;
        #[allow(unused_assignments)]
        let r: $ret = ($f)($ctx, mem, $({
            let n = <$arg as $crate::abi::WasmArg<'_>>::SIG.len();
            let (now, later) = rest.split_at(n.min(rest.len()));
            rest = later;
            <$arg as $crate::abi::WasmArg<'_>>::from_slots(mem, now)
        }),*);
        $crate::abi::WasmRet::into_slot(r)
    }};
    (const ($ctx:expr, $mem:expr, $slots:expr) ($($arg:ty),* $(,)?) -> $ret:ty = $value:expr) => {{
        let _: &[u64] = $slots;
        let _ = ($ctx, $mem);
        let r: $ret = $value;
        $crate::abi::WasmRet::into_slot(r)
    }};
}

/// The [`HostFn`]s of a host-function list, as a `[HostFn<C>; N]` expression: the callback
/// that [`host_functions`](crate::host_functions) hands to
/// [`for_each_function!`](crate::for_each_function). Each body is a `fn` generic over the
/// context, instantiated for `C`.
#[doc(hidden)]
#[macro_export]
macro_rules! __host_fn_table {
    ([$c:ident] module $module:literal; bound $bound:path;
     $($kind:tt $name:literal ($($arg:ty),* $(,)?) -> $ret:ty = $target:expr;)*) => {
        [$({
            fn body<$c: $bound>(
                ctx: &mut $c,
                mem: &$crate::guestmem::GuestFrame<'_>,
                slots: &[u64],
            ) -> ::core::result::Result<::core::option::Option<u64>, $crate::abi::Trap> {
                $crate::slot_call!($kind (ctx, mem, slots) ($($arg),*) -> $ret = $target)
            }
            $crate::abi::HostFn::<$c> {
                module: $module,
                name: $name,
                sig: $crate::slot_sig!(($($arg),*) -> $ret),
                call: body::<$c>,
            }
        }),*]
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_from_letters() {
        let s = Sig::new(b'i').arg(b"i").arg(b"*i").arg(b"*").finish();
        assert_eq!(s.as_cstr(), c"i(i*i*)");
        assert_eq!(s.slots(), 4);
        assert!(s.has_result());
        assert!(s.is_valid());
        let v = Sig::new(b'v').arg(b"I").finish();
        assert_eq!(v.as_cstr(), c"v(I)");
        assert!(!v.has_result());
        assert!(v.is_valid());
    }

    #[test]
    fn only_what_wasm3_reads_is_valid() {
        // Letters wasm3 skips or stops at would make it count other parameters than we do.
        for bad in [&b")"[..], b"(", b" ", b"v", b"x", b"\0"] {
            let s = Sig::new(b'i').arg(bad);
            assert!(!s.is_valid(), "{bad:?}");
        }
        assert!(!Sig::new(b'*').is_valid());
        // Not closed, or closed twice.
        assert!(!Sig::new(b'i').arg(b"i").is_valid());
        let closed = Sig::new(b'v').arg(b"i").finish();
        assert!(!closed.arg(b"i").is_valid());
        // Too many slots, and too long for the buffer.
        let mut many = Sig::new(b'v');
        for _ in 0..=MAX_SLOTS {
            many = many.arg(b"i");
        }
        assert!(!Sig {
            closed: true,
            ..many
        }
        .is_valid());
        let mut long = Sig::new(b'v');
        for _ in 0..SIG_BYTES {
            long = long.arg(b"I");
        }
        assert!(!Sig {
            closed: true,
            ..long
        }
        .is_valid());
    }
}
