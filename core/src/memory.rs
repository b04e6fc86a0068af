//! The [`GuestMemory`] trait that an interpreter binding implements, and its impls for byte
//! arrays that Rust owns.

/// The linear memory of a guest, as an interpreter owns it.
///
/// A binding implements this trait for its interpreter's memory (wasm3's runtime, say), and
/// host functions never call it: a [`GuestFrame`](crate::GuestFrame) borrows the memory
/// mutably for the duration of a host call, asks [`base`](GuestMemory::base) once, and every
/// [`GuestPtr`](crate::GuestPtr) access of the call is checked against what it returned.
/// While the frame lives, the memory is mutably borrowed: nothing can grow or move it, and
/// nothing can re-enter the guest through it.
///
/// Byte slices and arrays are guest memories already, so tests and pure-Rust interpreters
/// (wasmi's `Memory::data_mut`) need no unsafe code.
///
/// # Safety
///
/// Implementing this trait promises, for every call of `base()` through an exclusive borrow
/// `&'b mut self` returning `(ptr, len)`:
///
/// 1. If `len > 0`, `ptr` is non-null and the `len` bytes from `ptr` are one live allocation
///    (so `len <= isize::MAX`), valid for reads and writes through `ptr` and pointers derived
///    from it.
/// 2. Those bytes stay valid and in place, and no code reads or writes them other than through
///    pointers derived from `ptr`, for as long as the borrow `'b` lasts — until `self` is used
///    again. So the guest is not re-entered, the memory not grown, moved or freed, and no
///    other Rust reference to the bytes is used, while the caller holds the borrow; a memory
///    shared with another thread cannot implement this trait.
/// 3. If `len == 0`, `ptr` may be null (or anything else); it is never dereferenced.
///
/// What `base()` should do when the memory is momentarily unavailable (none allocated yet, an
/// interpreter without a loaded module): return length 0 (and any pointer). Every access is
/// then refused with [`GuestError::PtrOutOfBounds`](crate::GuestError::PtrOutOfBounds).
///
/// # Examples
///
/// Any Rust-owned buffer is a guest memory without unsafe code:
///
/// ```
/// use guestmem::{GuestFrame, GuestPtr};
///
/// let mut bytes = [0u8; 16];
/// let frame = GuestFrame::new(&mut bytes);
/// GuestPtr::<u32>::new(&frame, 4).write(7)?;
/// assert_eq!(frame.len(), 16);
/// drop(frame);
/// assert_eq!(bytes[4], 7);
/// # Ok::<(), guestmem::GuestError>(())
/// ```
#[allow(unsafe_code)] // an unsafe trait: its numbered contract is what the crate relies on
pub unsafe trait GuestMemory {
    /// The host address and byte length of the guest memory now.
    fn base(&mut self) -> (*mut u8, u32);
}

#[allow(unsafe_code)] // implements the unsafe trait, argued below
                      // SAFETY: 1. the pointer and (possibly shortened) length of a live slice, non-null when not
                      // empty. 2. the slice is borrowed exclusively for `'b`, and `ptr` is derived from that borrow:
                      // nothing else can reach the bytes while it lasts. 3. an empty slice is never dereferenced.
unsafe impl GuestMemory for [u8] {
    /// The slice; one longer than `u32::MAX` bytes (only possible on 64-bit hosts) is seen as
    /// its first `u32::MAX` bytes.
    #[inline]
    fn base(&mut self) -> (*mut u8, u32) {
        let len = u32::try_from(self.len()).unwrap_or(u32::MAX);
        (self.as_mut_ptr(), len)
    }
}

#[allow(unsafe_code)] // implements the unsafe trait, argued below
                      // SAFETY: forwards to the slice impl, which upholds points 1–3.
unsafe impl<const N: usize> GuestMemory for [u8; N] {
    #[inline]
    fn base(&mut self) -> (*mut u8, u32) {
        self.as_mut_slice().base()
    }
}

#[allow(unsafe_code)] // implements the unsafe trait, argued below
                      // SAFETY: forwards to `M`, which upholds points 1–3; an exclusive borrow of a `&mut M` is one
                      // of `M` for as long.
unsafe impl<M: GuestMemory + ?Sized> GuestMemory for &mut M {
    #[inline]
    fn base(&mut self) -> (*mut u8, u32) {
        M::base(self)
    }
}
