//! [`GuestFrame`]: a guest memory for the duration of one host call, its base and length read
//! once.

use core::marker::PhantomData;

use super::borrow::BorrowTable;
use crate::GuestMemory;

/// A guest memory during one host call (or any other scope): borrows the memory exclusively,
/// reads its base and length once, and checks every [`GuestPtr`](crate::GuestPtr) access of the
/// scope against them, with the table of live views.
///
/// This is what makes an access as cheap as the hand-written check: the base and length stay
/// in registers, no dynamic call is made per access. It is sound because the frame holds the
/// `&'a mut` borrow of the memory that [`GuestMemory::base`] was called through, so for `'a`
/// nothing else can reach the memory: the interpreter cannot grow or move it, the guest cannot
/// be re-entered through it, no other frame can exist over it (contract point 2). A binding
/// makes one frame per host call, as wasm3's glue does; a test makes one over a byte array.
///
/// # Examples
///
/// ```
/// use guestmem::{GuestFrame, GuestPtr};
///
/// let mut bytes = [0u8; 64];
/// let frame = GuestFrame::new(&mut bytes);
/// // An out-parameter of a host function: the guest passed offset 16.
/// let out = GuestPtr::<u32>::new(&frame, 16);
/// out.write(42)?;
/// assert_eq!(out.read()?, 42);
/// # Ok::<(), guestmem::GuestError>(())
/// ```
///
/// The memory cannot be touched while the frame lives:
///
/// ```compile_fail
/// use guestmem::{GuestFrame, GuestPtr};
///
/// let mut bytes = [0u8; 8];
/// let frame = GuestFrame::new(&mut bytes);
/// let view = GuestPtr::<[u8]>::new(&frame, (0, 8)).as_slice().unwrap();
/// bytes[0] = 1; // the frame (and the view) borrow `bytes`
/// assert_eq!(view[0], 0);
/// ```
pub struct GuestFrame<'a> {
    // Invariant (established by `new` and `empty` only): if `len > 0`, the `len` bytes at `base`
    // are valid for reads and writes for `'a`, and no code reaches them for `'a` except through
    // pointers derived from `base` (`GuestMemory` contract, points 1 and 2: the frame holds the
    // exclusive borrow `base()` was called through).
    base: *mut u8,
    len: u32,
    table: BorrowTable,
    _mem: PhantomData<&'a mut [u8]>,
}

impl<'a> GuestFrame<'a> {
    /// A frame over `mem`, which it borrows exclusively for `'a`; asks `mem.base()` once.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::GuestFrame;
    ///
    /// let mut bytes = vec![0u8; 1024];
    /// let frame = GuestFrame::new(bytes.as_mut_slice());
    /// assert_eq!(frame.len(), 1024);
    /// ```
    #[inline]
    pub fn new<M: GuestMemory + ?Sized>(mem: &'a mut M) -> Self {
        let (base, len) = mem.base();
        GuestFrame {
            base,
            len,
            table: BorrowTable::new(),
            _mem: PhantomData,
        }
    }

    /// A frame over a byte slice: [`new`](Self::new) for a slice, which a `&mut Vec<u8>` or a
    /// `&mut Box<[u8]>` also coerces to.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::GuestFrame;
    ///
    /// let mut bytes = vec![0u8; 64];
    /// assert_eq!(GuestFrame::from_slice(&mut bytes).len(), 64);
    /// ```
    #[inline]
    pub fn from_slice(bytes: &'a mut [u8]) -> Self {
        Self::new(bytes)
    }

    /// A frame over an empty memory (no bytes, null base), as an interpreter reports a memory
    /// of size 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestError, GuestFrame, GuestPtr, Region};
    ///
    /// let frame = GuestFrame::empty();
    /// let err = GuestPtr::<u8>::new(&frame, 0).read().unwrap_err();
    /// assert_eq!(err, GuestError::PtrOutOfBounds(Region::new(0, 1)));
    /// ```
    pub const fn empty() -> GuestFrame<'static> {
        GuestFrame {
            base: core::ptr::null_mut(),
            len: 0,
            table: BorrowTable::new(),
            _mem: PhantomData,
        }
    }

    /// The size of the memory in bytes.
    #[inline]
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether the memory has no bytes.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether any view (a [`GuestSlice`](crate::GuestSlice),
    /// [`GuestSliceMut`](crate::GuestSliceMut) or [`GuestStr`](crate::GuestStr)) of this frame
    /// is live.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestFrame, GuestPtr};
    ///
    /// let mut bytes = *b"hello";
    /// let frame = GuestFrame::new(&mut bytes);
    /// let view = GuestPtr::<str>::new(&frame, (0, 5)).as_str()?;
    /// assert!(frame.has_live_views());
    /// drop(view);
    /// assert!(!frame.has_live_views());
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn has_live_views(&self) -> bool {
        self.table.has_live_views()
    }

    /// The base, length and table, for the range check.
    #[inline(always)]
    pub(in crate::raw) fn parts(&self) -> (*mut u8, u32, &BorrowTable) {
        (self.base, self.len, &self.table)
    }
}

impl core::fmt::Debug for GuestFrame<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GuestFrame")
            .field("len", &self.len)
            .field("views", &self.table)
            .finish()
    }
}
