//! The [`GuestMemory`] trait that an interpreter implements, and a ready memory over a Rust slice.

use core::marker::PhantomData;
use core::ptr;

use crate::borrow::BorrowTable;

/// The linear memory of a guest, as the host sees it at this moment.
///
/// An interpreter (or an embedder on its behalf) implements this trait; host functions never
/// touch the pointer it returns: they go through [`GuestPtr`](crate::GuestPtr), which calls
/// [`base`](GuestMemory::base) again on **every** access. Nothing in this crate keeps a host
/// pointer past the call that obtained it (except a live view, which the
/// [`borrows`](GuestMemory::borrows) table records), because an interpreter may move or grow
/// its memory whenever the guest runs — wasm3 `realloc`s it on `memory.grow`.
///
/// # Safety
///
/// Implementing this trait promises, for every call of `base()` returning `(ptr, len)`:
///
/// 1. If `len > 0`, `ptr` is non-null and the `len` bytes from `ptr` are one live allocation
///    (so `len <= isize::MAX`), valid for reads and writes through `ptr` and pointers derived
///    from it.
/// 2. Those bytes stay valid and in place until the guest is re-entered or the memory is changed
///    by an explicit action of the embedder (grown, freed, moved). The embedder must not do
///    either while [`BorrowTable::has_outstanding_borrows`] of this memory's table is true.
/// 3. If `len == 0`, `ptr` may be null (or anything else); it is never dereferenced.
/// 4. While a [`GuestPtr`](crate::GuestPtr) access or a view of this crate is in progress, no
///    other code reads or writes those bytes except through this crate: no other thread (a
///    memory shared between threads cannot implement this trait), and no Rust reference to
///    them is live outside this crate's views.
/// 5. `borrows()` returns the same table for as long as the memory lives, and nothing but this
///    crate records or releases borrows in it.
/// 6. `base_and_borrows()`, if overridden, returns exactly what `base()` and `borrows()` would.
///
/// # Examples
///
/// Any Rust-owned buffer can be a guest memory without unsafe code, through [`SliceMemory`]:
///
/// ```
/// use guestmem::{GuestMemory, SliceMemory};
///
/// let mut bytes = [0u8; 16];
/// let mem = SliceMemory::new(&mut bytes);
/// let (_ptr, len) = mem.base();
/// assert_eq!(len, 16);
/// assert!(!mem.borrows().has_outstanding_borrows());
/// ```
#[allow(unsafe_code)] // an unsafe trait: its numbered contract is what the crate relies on
pub unsafe trait GuestMemory {
    /// The host address and byte length of the guest memory now.
    fn base(&self) -> (*mut u8, u32);

    /// The table of live views into this memory.
    fn borrows(&self) -> &BorrowTable;

    /// [`base`](Self::base) and [`borrows`](Self::borrows) in one call: what every access
    /// asks, so that an access through a `&dyn GuestMemory` makes one dynamic call, not two.
    /// There is no need to override it (contract point 6).
    #[inline]
    fn base_and_borrows(&self) -> (*mut u8, u32, &BorrowTable) {
        let (ptr, len) = self.base();
        (ptr, len, self.borrows())
    }
}

#[allow(unsafe_code)] // implements the unsafe trait, argued below
                      // SAFETY: forwards to `T`, which upholds points 1–6; a shared reference changes none of them.
unsafe impl<T: GuestMemory + ?Sized> GuestMemory for &T {
    fn base(&self) -> (*mut u8, u32) {
        T::base(self)
    }
    fn borrows(&self) -> &BorrowTable {
        T::borrows(self)
    }
    fn base_and_borrows(&self) -> (*mut u8, u32, &BorrowTable) {
        T::base_and_borrows(self)
    }
}

#[allow(unsafe_code)] // implements the unsafe trait, argued below
                      // SAFETY: forwards to `T`, which upholds points 1–6; a unique reference changes none of them.
unsafe impl<T: GuestMemory + ?Sized> GuestMemory for &mut T {
    fn base(&self) -> (*mut u8, u32) {
        T::base(self)
    }
    fn borrows(&self) -> &BorrowTable {
        T::borrows(self)
    }
    fn base_and_borrows(&self) -> (*mut u8, u32, &BorrowTable) {
        T::base_and_borrows(self)
    }
}

/// A guest memory over a byte slice that Rust owns: a test buffer, or the memory of a pure-Rust
/// interpreter (for wasmi, `SliceMemory::new(memory.data_mut(&mut store))`).
///
/// The slice is borrowed mutably for `'m`, so nothing else can touch it while the memory lives;
/// drop the `SliceMemory` to use the slice again. Slices longer than `u32::MAX` bytes (only
/// possible on 64-bit hosts) are seen as their first `u32::MAX` bytes.
///
/// # Examples
///
/// ```
/// use guestmem::{GuestPtr, SliceMemory};
///
/// let mut bytes = [0u8; 8];
/// {
///     let mem = SliceMemory::new(&mut bytes);
///     GuestPtr::<u32>::new(&mem, 4).write(0x0403_0201)?;
/// }
/// assert_eq!(bytes, [0, 0, 0, 0, 1, 2, 3, 4]);
/// # Ok::<(), guestmem::GuestError>(())
/// ```
pub struct SliceMemory<'m> {
    // Raw, not `&'m mut [u8]`: every access and view derives its pointer from this one, which
    // was taken from the unique borrow, so they never invalidate each other (Stacked Borrows,
    // Tree Borrows).
    ptr: *mut u8,
    len: u32,
    borrows: BorrowTable,
    _buf: PhantomData<&'m mut [u8]>,
}

impl<'m> SliceMemory<'m> {
    /// A guest memory over `buf`.
    pub fn new(buf: &'m mut [u8]) -> Self {
        let len = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        SliceMemory {
            ptr: buf.as_mut_ptr(),
            len,
            borrows: BorrowTable::new(),
            _buf: PhantomData,
        }
    }

    /// An empty memory (no bytes, null base), as an interpreter reports a memory of size 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestError, GuestPtr, Region, SliceMemory};
    ///
    /// let mem = SliceMemory::empty();
    /// let err = GuestPtr::<u8>::new(&mem, 0).read().unwrap_err();
    /// assert_eq!(err, GuestError::PtrOutOfBounds(Region::new(0, 1)));
    /// ```
    pub const fn empty() -> SliceMemory<'static> {
        SliceMemory {
            ptr: ptr::null_mut(),
            len: 0,
            borrows: BorrowTable::new(),
            _buf: PhantomData,
        }
    }
}

#[allow(unsafe_code)] // implements the unsafe trait, argued below
                      // SAFETY:
                      // 1. `ptr` and `len` come from a `&'m mut [u8]` (`len` possibly shortened), so the bytes are one
                      //    live allocation valid for reads and writes, and `ptr` is non-null when `len > 0`.
                      // 2. The slice is borrowed uniquely for `'m`, and `self` cannot outlive `'m`: the bytes cannot
                      //    move or be freed while `self` exists, and there is no guest to re-enter.
                      // 3. `empty()` has a null pointer only with length 0.
                      // 4. The unique borrow keeps every other Rust path off the bytes; `SliceMemory` is `!Sync`
                      //    (it holds a raw pointer and `Cell`s), so no other thread can use it.
                      // 5. `borrows` is a field, the same for the whole life of `self`, and private.
                      // 6. `base_and_borrows` is the provided one.
unsafe impl GuestMemory for SliceMemory<'_> {
    #[inline]
    fn base(&self) -> (*mut u8, u32) {
        (self.ptr, self.len)
    }

    #[inline]
    fn borrows(&self) -> &BorrowTable {
        &self.borrows
    }
}

impl core::fmt::Debug for SliceMemory<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SliceMemory")
            .field("len", &self.len)
            .field("borrows", &self.borrows)
            .finish()
    }
}
