//! Zero-copy views: guards that lend guest memory as `&[T]`, `&mut [T]` or `&str` and record
//! the loan in the table of views of their [`GuestFrame`](crate::GuestFrame) until they are
//! dropped.

use core::fmt;
use core::ops::{Deref, DerefMut};

use crate::guest_type::GuestTypeTransparent;
use crate::raw::{Lent, LentMut, LentStr, Transparent};
use crate::{FrameRef, GuestError, GuestType};

/// The length in bytes of `count` elements of `T`, and `T`'s guest alignment.
pub(crate) fn layout_of<'a, T: GuestType<'a>>(count: u32) -> Result<(u32, u32), GuestError> {
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
#[must_use = "a view records a loan until it is dropped; dropping it at once lends nothing"]
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
#[must_use = "a view records a loan until it is dropped; dropping it at once lends nothing"]
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
#[must_use = "a view records a loan until it is dropped; dropping it at once lends nothing"]
pub struct GuestStr<'a> {
    lent: LentStr<'a>,
}

impl<'a, T: GuestTypeTransparent> GuestSlice<'a, T> {
    #[inline]
    pub(crate) fn new(mem: FrameRef<'a>, offset: u32, count: u32) -> Result<Self, GuestError> {
        let (len, align) = layout_of::<T>(count)?;
        let lent = Lent::new(mem, offset, len, align, Transparent::<T>::new())?;
        Ok(GuestSlice { lent })
    }
}

impl<'a, T: GuestTypeTransparent> GuestSliceMut<'a, T> {
    #[inline]
    pub(crate) fn new(mem: FrameRef<'a>, offset: u32, count: u32) -> Result<Self, GuestError> {
        let (len, align) = layout_of::<T>(count)?;
        let lent = LentMut::new(mem, offset, len, align, Transparent::<T>::new())?;
        Ok(GuestSliceMut { lent })
    }
}

impl<'a> GuestStr<'a> {
    #[inline]
    pub(crate) fn new(mem: FrameRef<'a>, offset: u32, len: u32) -> Result<Self, GuestError> {
        let bytes = Lent::new(mem, offset, len, 1, Transparent::<u8>::new())?;
        // Validated on the very bytes that are lent: nothing can write them while they are.
        Ok(GuestStr {
            lent: bytes.into_str()?,
        })
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
