//! What a host call looks like to wasm3 0.4.7: the signature string it checks an import
//! against ([`Sig`]), the most argument slots a host function takes ([`MAX_SLOTS`]), and why a
//! host function stops the guest ([`Trap`]).
//!
//! Safe code with no dependency on the rest of the crate: both the FFI module and the glue
//! build on it. The FFI module relies on one property of [`Sig`], kept by its private fields
//! and checked by [`Sig::is_valid`]: a valid signature string has exactly
//! [`slots`](Sig::slots) parameter letters as wasm3 parses them, and a result exactly when
//! [`has_result`](Sig::has_result).

use core::ffi::CStr;

use guestmem::GuestError;

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

/// The room for a signature: a result letter, `(`, the parameters, `)`, and the NUL.
const SIG_BYTES: usize = 40;

/// A wasm3 signature string built at compile time, e.g. `i(i*ii)`, NUL-terminated.
///
/// Only the letters wasm3 0.4.7 reads are accepted: `v i I f F` for the result, `i I f F *`
/// for parameters. Anything else, too many parameters, or a signature that was never
/// [`finish`](Self::finish)ed is not [valid](Self::is_valid), and a runtime refuses to link it.
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
    /// A signature returning `ret` (a [`WasmRet::SIG`](crate::glue::WasmRet::SIG) letter), with
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

    /// Appends the parameter letters `letters` (a
    /// [`WasmArg::SIG`](crate::glue::WasmArg::SIG)), one slot each.
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

    /// The signature as wasm3 reads it.
    pub fn as_cstr(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.buf).unwrap_or(c"")
    }
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
