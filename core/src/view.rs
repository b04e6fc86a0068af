//! Zero-copy views: guards that lend guest memory as `&[T]`, `&mut [T]` or `&str` and record
//! the loan in the table of views of their [`GuestFrame`](crate::GuestFrame) until they are
//! dropped.

use core::fmt;
use core::iter::FusedIterator;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};

use crate::guest_type::GuestTypeTransparent;
use crate::raw::{Lent, LentMut, LentStr, Transparent};
use crate::{GuestError, GuestFrame, GuestType};

/// The length in bytes of `count` elements of `T`, and `T`'s guest alignment.
fn layout_of<'a, T: GuestType<'a>>(count: u32) -> Result<(u32, u32), GuestError> {
    let len = count
        .checked_mul(T::GUEST_SIZE)
        .ok_or(GuestError::PtrOverflow)?;
    Ok((len, T::GUEST_ALIGN))
}

/// A shared view of guest memory as `&[T]`: no copy. Obtained from
/// [`GuestPtr::<[T]>::as_slice`](crate::GuestPtr::as_slice).
///
/// While it lives, the region cannot be written, and its frame (so the memory) stays borrowed.
///
/// ```
/// use guestmem::{GuestPtr, GuestFrame};
///
/// let mut bytes = [1u8, 2, 3, 4];
/// let mem = GuestFrame::new(&mut bytes);
/// let view = GuestPtr::<[u8]>::new(&mem, (1, 3)).as_slice()?;
/// assert_eq!(view.iter().sum::<u8>(), 9);
/// # Ok::<(), guestmem::GuestError>(())
/// ```
///
/// It cannot outlive the memory:
///
/// ```compile_fail
/// use guestmem::{GuestPtr, GuestFrame};
///
/// let mut bytes = [0u8; 4];
/// let view = {
///     let mem = GuestFrame::new(&mut bytes);
///     let v = GuestPtr::<[u8]>::new(&mem, (0, 4)).as_slice().unwrap();
///     v
/// };
/// assert_eq!(view.len(), 4);
/// ```
///
/// The slice it derefs to cannot outlive the view either:
///
/// ```compile_fail
/// use guestmem::{GuestPtr, GuestFrame};
///
/// let mut bytes = [0u8; 4];
/// let mem = GuestFrame::new(&mut bytes);
/// let slice: &[u8] = {
///     let view = GuestPtr::<[u8]>::new(&mem, (0, 4)).as_slice().unwrap();
///     &*view
/// }; // the view, and its record in the borrow table, end here
/// assert_eq!(slice.len(), 4);
/// ```
pub struct GuestSlice<'a, T> {
    lent: Lent<'a, T>,
}

/// A mutable view of guest memory as `&mut [T]`: no copy. Obtained from
/// [`GuestPtr::<[T]>::as_slice_mut`](crate::GuestPtr::as_slice_mut).
///
/// While it lives, no other access may touch the region, and its frame (so the memory) stays
/// borrowed.
///
/// # Examples
///
/// ```
/// use guestmem::{GuestPtr, GuestFrame};
///
/// let mut bytes = [0u8; 8];
/// let mem = GuestFrame::new(&mut bytes);
/// let mut view = GuestPtr::<[u8]>::new(&mem, (2, 4)).as_slice_mut()?;
/// view.copy_from_slice(b"wasm");
/// // A second, overlapping view is refused while this one lives.
/// assert!(GuestPtr::<[u8]>::new(&mem, (0, 3)).as_slice().is_err());
/// # Ok::<(), guestmem::GuestError>(())
/// ```
pub struct GuestSliceMut<'a, T> {
    lent: LentMut<'a, T>,
}

/// A shared view of a guest string as `&str`, validated once on the bytes it lends. Obtained
/// from [`GuestPtr::<str>::as_str`](crate::GuestPtr::as_str).
///
/// # Examples
///
/// ```
/// use guestmem::{GuestPtr, GuestFrame};
///
/// let mut bytes = *b"PATH=/bin";
/// let mem = GuestFrame::new(&mut bytes);
/// let var = GuestPtr::<str>::new(&mem, (0, 9)).as_str()?;
/// assert_eq!(var.split_once('='), Some(("PATH", "/bin")));
/// assert_eq!(format!("{var}"), "PATH=/bin");
/// # Ok::<(), guestmem::GuestError>(())
/// ```
pub struct GuestStr<'a> {
    lent: LentStr<'a>,
}

impl<'a, T: GuestTypeTransparent> GuestSlice<'a, T> {
    pub(crate) fn new(
        mem: &'a GuestFrame<'a>,
        offset: u32,
        count: u32,
    ) -> Result<Self, GuestError> {
        let (len, align) = layout_of::<T>(count)?;
        let lent = Lent::new(mem, offset, len, align, Transparent::<T>::new())?;
        Ok(GuestSlice { lent })
    }
}

impl<'a, T: GuestTypeTransparent> GuestSliceMut<'a, T> {
    pub(crate) fn new(
        mem: &'a GuestFrame<'a>,
        offset: u32,
        count: u32,
    ) -> Result<Self, GuestError> {
        let (len, align) = layout_of::<T>(count)?;
        let lent = LentMut::new(mem, offset, len, align, Transparent::<T>::new())?;
        Ok(GuestSliceMut { lent })
    }
}

impl<'a> GuestStr<'a> {
    pub(crate) fn new(mem: &'a GuestFrame<'a>, offset: u32, len: u32) -> Result<Self, GuestError> {
        let bytes = Lent::new(mem, offset, len, 1, Transparent::<u8>::new())?;
        // Validated on the very bytes that are lent: nothing can write them while they are.
        Ok(GuestStr {
            lent: bytes.into_str()?,
        })
    }
}

/// The iterator of [`GuestPtr::<[T]>::read_iter`](crate::GuestPtr::read_iter): decodes each
/// element from the bytes of the array, which it holds lent until it is dropped.
pub struct ReadIter<'a, T> {
    mem: &'a GuestFrame<'a>,
    /// The array's bytes (private: they never leave the iterator).
    bytes: Lent<'a, u8>,
    /// Where the next element starts in `bytes`.
    at: usize,
    /// `T::GUEST_SIZE`.
    size: usize,
    /// Elements not yet yielded.
    left: u32,
    _elem: PhantomData<fn() -> T>,
}

impl<'a, T: GuestType<'a>> ReadIter<'a, T> {
    pub(crate) fn new(
        mem: &'a GuestFrame<'a>,
        offset: u32,
        count: u32,
    ) -> Result<Self, GuestError> {
        let (len, align) = layout_of::<T>(count)?;
        // The array's bytes, lent like any view: the loan moves into the iterator with them.
        let bytes = Lent::new(mem, offset, len, align, Transparent::<u8>::new())?;
        let size = usize::try_from(T::GUEST_SIZE).map_err(|_| GuestError::PtrOverflow)?;
        Ok(ReadIter {
            mem,
            bytes,
            at: 0,
            size,
            left: count,
            _elem: PhantomData,
        })
    }
}

impl<'a, T: GuestType<'a>> Iterator for ReadIter<'a, T> {
    type Item = Result<T, GuestError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        let end = self.at.checked_add(self.size)?;
        let bytes = self.bytes.get().get(self.at..end)?;
        self.at = end;
        // `decode` cannot keep `bytes` (their lifetime is not `'a`), and cannot change them:
        // the loan makes every write to them, and every mutable view of them, fail.
        Some(T::decode(self.mem, bytes))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.left).ok();
        (left.unwrap_or(usize::MAX), left)
    }
}

impl<'a, T: GuestType<'a>> FusedIterator for ReadIter<'a, T> {}

impl<T> fmt::Debug for ReadIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadIter")
            .field("region", &self.bytes.region())
            .field("left", &self.left)
            .finish()
    }
}

impl<T> Deref for GuestSlice<'_, T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.lent.get()
    }
}

impl<T> Deref for GuestSliceMut<'_, T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.lent.get()
    }
}

impl<T> DerefMut for GuestSliceMut<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        self.lent.get_mut()
    }
}

impl Deref for GuestStr<'_> {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.lent.get()
    }
}

impl<T: fmt::Debug> fmt::Debug for GuestSlice<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.lent.get(), f)
    }
}

impl<T: fmt::Debug> fmt::Debug for GuestSliceMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.lent.get(), f)
    }
}

impl fmt::Debug for GuestStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.lent.get(), f)
    }
}

impl fmt::Display for GuestStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.lent.get(), f)
    }
}
