//! [`GuestPtr`]: a typed guest address, and its methods for sized pointees.

use core::fmt;
use core::marker::PhantomData;

use crate::guest_type::GuestType;
use crate::{FrameRef, GuestError};

mod private {
    pub trait Sealed {}
    impl<T> Sealed for T {}
    impl<T> Sealed for [T] {}
    impl Sealed for str {}
}

/// What a [`GuestPtr`] can point at, and how it is addressed: a `u32` offset for a sized `T`,
/// an `(offset, element count)` pair for `[T]` and an `(offset, byte length)` pair for `str`.
///
/// Sealed: these three are the only pointees.
///
/// # Examples
///
/// ```
/// use guestmem::{GuestPtr, GuestFrame};
///
/// let mem = GuestFrame::empty();
/// let one: u32 = GuestPtr::<u64>::new(&mem, 8).pointer();
/// let many: (u32, u32) = GuestPtr::<[u64]>::new(&mem, (8, 2)).pointer();
/// let text: (u32, u32) = GuestPtr::<str>::new(&mem, (8, 5)).pointer();
/// assert_eq!((one, many, text), (8, (8, 2), (8, 5)));
/// ```
pub trait Pointee: private::Sealed {
    /// The guest address of the pointee.
    type Pointer: Copy + PartialEq + fmt::Debug;
}

impl<T> Pointee for T {
    type Pointer = u32;
}

impl<T> Pointee for [T] {
    type Pointer = (u32, u32);
}

impl Pointee for str {
    type Pointer = (u32, u32);
}

/// A pointer into guest memory, typed as `T`: a [`FrameRef`] of a
/// [`GuestFrame`](crate::GuestFrame) and a guest address.
///
/// Creating one checks nothing and is always safe; every access ([`read`](GuestPtr::read),
/// [`write`](GuestPtr::write), copies and views) checks bounds, alignment and live views
/// against the frame's memory, and returns a [`GuestError`] instead of touching memory it must
/// not. It is `Copy`, and cannot outlive the frame it borrows:
///
/// ```compile_fail
/// use guestmem::{GuestPtr, GuestFrame};
///
/// let p = {
///     let mut bytes = [0u8; 4];
///     let mem = GuestFrame::new(&mut bytes);
///     GuestPtr::<u32>::new(&mem, 0)
/// }; // `mem` dropped here while `p` still borrows it
/// let _ = p.read();
/// ```
///
/// # Examples
///
/// ```
/// use guestmem::{GuestPtr, GuestFrame};
///
/// let mut bytes = [0u8; 64];
/// let mem = GuestFrame::new(&mut bytes);
/// // An out-parameter of a host function: the guest passed offset 16.
/// let out = GuestPtr::<u32>::new(&mem, 16);
/// out.write(42)?;
/// assert_eq!(out.read()?, 42);
/// // The next `u32` in an array.
/// let next = out.add(1)?;
/// assert_eq!(next.offset(), 20);
/// # Ok::<(), guestmem::GuestError>(())
/// ```
pub struct GuestPtr<'a, T: ?Sized + Pointee> {
    mem: FrameRef<'a>,
    pointer: T::Pointer,
    // Invariant in `T`, like a `&Cell<T>`: a `GuestPtr<'a, GuestPtr<'static, u8>>` must not
    // become a `GuestPtr<'a, GuestPtr<'a, u8>>` that writes a shorter-lived pointer.
    _pointee: PhantomData<&'a core::cell::Cell<T>>,
}

impl<'a, T: ?Sized + Pointee> GuestPtr<'a, T> {
    /// A pointer to `pointer` in `mem`: a `&GuestFrame` (of any capacity) or a [`FrameRef`].
    /// Checks nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{FrameRef, GuestFrame, GuestPtr};
    ///
    /// let mut bytes = [0u8; 8];
    /// let mem = GuestFrame::new(&mut bytes);
    /// let p = GuestPtr::<u16>::new(&mem, 6);
    /// assert_eq!(p.pointer(), 6);
    /// assert_eq!(p.mem(), FrameRef::from(&mem));
    /// // Nothing is checked until an access.
    /// let wild = GuestPtr::<[u64]>::new(&mem, (u32::MAX, u32::MAX));
    /// assert!(wild.validate().is_err());
    /// ```
    #[inline]
    pub fn new(mem: impl Into<FrameRef<'a>>, pointer: T::Pointer) -> Self {
        GuestPtr {
            mem: mem.into(),
            pointer,
            _pointee: PhantomData,
        }
    }

    /// The frame this pointer points into.
    #[inline]
    pub fn mem(&self) -> FrameRef<'a> {
        self.mem
    }

    /// The guest address: the offset, or the offset and length of a slice or string.
    #[inline]
    pub fn pointer(&self) -> T::Pointer {
        self.pointer
    }
}

impl<'a, T> GuestPtr<'a, T> {
    /// The guest offset this pointer holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, GuestFrame};
    ///
    /// let mem = GuestFrame::empty();
    /// assert_eq!(GuestPtr::<u64>::new(&mem, 24).offset(), 24);
    /// ```
    #[inline]
    pub fn offset(&self) -> u32 {
        self.pointer
    }

    /// The same address, typed as `U`.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, GuestFrame};
    ///
    /// let mut bytes = [1u8, 0, 0, 0];
    /// let mem = GuestFrame::new(&mut bytes);
    /// assert_eq!(GuestPtr::<u8>::new(&mem, 0).cast::<u32>().read()?, 1);
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn cast<U>(&self) -> GuestPtr<'a, U> {
        GuestPtr::new(self.mem, self.pointer)
    }

    /// Reads the value at this address.
    ///
    /// # Errors
    ///
    /// - [`GuestError::PtrOverflow`]: the value would end past `u32::MAX`;
    /// - [`GuestError::PtrNotAligned`]: the offset is not a multiple of `T::GUEST_ALIGN`;
    /// - [`GuestError::PtrOutOfBounds`]: the value does not lie inside the memory;
    /// - [`GuestError::BorrowConflict`]: a live mutable view overlaps it;
    /// - a validation error of `T` such as [`GuestError::InvalidEnumValue`].
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestError, GuestPtr, Region, GuestFrame};
    ///
    /// let mut bytes = [0x78, 0x56, 0x34, 0x12, 0, 0];
    /// let mem = GuestFrame::new(&mut bytes);
    /// assert_eq!(GuestPtr::<u32>::new(&mem, 0).read()?, 0x1234_5678); // little-endian
    /// assert_eq!(
    ///     GuestPtr::<u32>::new(&mem, 4).read(),
    ///     Err(GuestError::PtrOutOfBounds(Region::new(4, 4)))
    /// );
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline(always)]
    pub fn read(&self) -> Result<T, GuestError>
    where
        T: GuestType<'a>,
    {
        T::read(self)
    }

    /// Writes `val` at this address.
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read), and [`GuestError::BorrowConflict`] if any live view overlaps
    /// the value. Nothing is written on error.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, GuestFrame};
    ///
    /// let mut bytes = [0u8; 4];
    /// {
    ///     let mem = GuestFrame::new(&mut bytes);
    ///     GuestPtr::<i16>::new(&mem, 2).write(-2)?;
    ///     assert!(GuestPtr::<i16>::new(&mem, 3).write(1).is_err()); // misaligned: nothing written
    /// }
    /// assert_eq!(bytes, [0, 0, 0xfe, 0xff]);
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline(always)]
    pub fn write(&self, val: T) -> Result<(), GuestError>
    where
        T: GuestType<'a>,
    {
        T::write(self, val)
    }

    /// The pointer `n` elements of `T` further on (`offset + n * T::GUEST_SIZE`).
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrOverflow`] if the new offset does not fit in `u32`.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestError, GuestPtr, GuestFrame};
    ///
    /// let mem = GuestFrame::empty();
    /// let p = GuestPtr::<u64>::new(&mem, 8);
    /// assert_eq!(p.add(2)?.offset(), 24);
    /// assert_eq!(p.add(u32::MAX), Err(GuestError::PtrOverflow));
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn add(&self, n: u32) -> Result<Self, GuestError>
    where
        T: GuestType<'a>,
    {
        n.checked_mul(T::GUEST_SIZE)
            .and_then(|bytes| self.pointer.checked_add(bytes))
            .map(|offset| GuestPtr::new(self.mem, offset))
            .ok_or(GuestError::PtrOverflow)
    }

    /// The array of `n` elements of `T` that starts at this address. Checks nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, GuestFrame};
    ///
    /// let mut bytes = [1u8, 2, 3, 4];
    /// let mem = GuestFrame::new(&mut bytes);
    /// let mut out = [0u8; 3];
    /// GuestPtr::<u8>::new(&mem, 1).as_array(3).copy_to_slice(&mut out)?;
    /// assert_eq!(out, [2, 3, 4]);
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn as_array(&self, n: u32) -> GuestPtr<'a, [T]> {
        GuestPtr::new(self.mem, (self.pointer, n))
    }
}

/// Arrays (`[T]`) and strings (`str`): an offset and a length.
impl<T: ?Sized + Pointee<Pointer = (u32, u32)>> GuestPtr<'_, T> {
    /// The guest offset of the first element or byte.
    #[inline]
    pub fn offset_base(&self) -> u32 {
        self.pointer.0
    }

    /// The length: elements of an array, bytes of a string.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, GuestFrame};
    ///
    /// let mem = GuestFrame::empty();
    /// let array = GuestPtr::<[u32]>::new(&mem, (16, 3));
    /// assert_eq!((array.offset_base(), array.len(), array.is_empty()), (16, 3, false));
    /// let text = GuestPtr::<str>::new(&mem, (8, 0));
    /// assert_eq!((text.offset_base(), text.len(), text.is_empty()), (8, 0, true));
    /// ```
    #[inline]
    pub fn len(&self) -> u32 {
        self.pointer.1
    }

    /// Whether the length is zero.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T: ?Sized + Pointee> Clone for GuestPtr<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized + Pointee> Copy for GuestPtr<'_, T> {}

impl<T: ?Sized + Pointee> fmt::Debug for GuestPtr<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GuestPtr({:?})", self.pointer)
    }
}

/// Two pointers are equal when they point at the same address of the same memory.
impl<T: ?Sized + Pointee> PartialEq for GuestPtr<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.pointer == other.pointer && self.mem == other.mem
    }
}

impl<T: ?Sized + Pointee> Eq for GuestPtr<'_, T> where T::Pointer: Eq {}
