//! Zero-copy views: guards that lend guest memory as `&[T]`, `&mut [T]` or `&str` and record
//! the loan in the memory's [`BorrowTable`](crate::BorrowTable) until they are dropped.

use core::fmt;
use core::iter::FusedIterator;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::slice::ChunksExact;

use crate::borrow::BorrowKind;
use crate::guest_type::{GuestTypeTransparent, Transparent};
use crate::raw::{self, Access, HostRange};
use crate::{BorrowTable, GuestError, GuestMemory, GuestType, Region};

/// A recorded borrow of a region, released on drop.
struct Loan<'a> {
    table: &'a BorrowTable,
    region: Region,
    kind: BorrowKind,
}

impl<'a> Loan<'a> {
    /// Checks the `len` bytes at `offset` (aligned to `align` in the guest) and records a
    /// borrow of them.
    #[inline]
    fn take(
        mem: &'a dyn GuestMemory,
        offset: u32,
        len: u32,
        align: u32,
        kind: BorrowKind,
    ) -> Result<(Self, HostRange<'a>), GuestError> {
        let (range, table) = raw::check_with_table(mem, offset, len, align, Access::View)?;
        table.borrow(range.region(), kind)?;
        let loan = Loan {
            table,
            region: range.region(),
            kind,
        };
        Ok((loan, range))
    }
}

impl Drop for Loan<'_> {
    fn drop(&mut self) {
        self.table.release(self.region, self.kind);
    }
}

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
/// While it lives, the region cannot be written through this crate and the embedder must not
/// re-enter the guest.
///
/// ```
/// use guestmem::{GuestPtr, SliceMemory};
///
/// let mut bytes = [1u8, 2, 3, 4];
/// let mem = SliceMemory::new(&mut bytes);
/// let view = GuestPtr::<[u8]>::new(&mem, (1, 3)).as_slice()?;
/// assert_eq!(view.iter().sum::<u8>(), 9);
/// # Ok::<(), guestmem::GuestError>(())
/// ```
///
/// It cannot outlive the memory:
///
/// ```compile_fail
/// use guestmem::{GuestPtr, SliceMemory};
///
/// let mut bytes = [0u8; 4];
/// let view = {
///     let mem = SliceMemory::new(&mut bytes);
///     let v = GuestPtr::<[u8]>::new(&mem, (0, 4)).as_slice().unwrap();
///     v
/// };
/// assert_eq!(view.len(), 4);
/// ```
///
/// The slice it derefs to cannot outlive the view either:
///
/// ```compile_fail
/// use guestmem::{GuestPtr, SliceMemory};
///
/// let mut bytes = [0u8; 4];
/// let mem = SliceMemory::new(&mut bytes);
/// let slice: &[u8] = {
///     let view = GuestPtr::<[u8]>::new(&mem, (0, 4)).as_slice().unwrap();
///     &*view
/// }; // the view, and its record in the borrow table, end here
/// assert_eq!(slice.len(), 4);
/// ```
pub struct GuestSlice<'a, T> {
    slice: &'a [T],
    _loan: Loan<'a>,
}

/// A mutable view of guest memory as `&mut [T]`: no copy. Obtained from
/// [`GuestPtr::<[T]>::as_slice_mut`](crate::GuestPtr::as_slice_mut).
///
/// While it lives, no other access through this crate may touch the region and the embedder
/// must not re-enter the guest.
///
/// # Examples
///
/// ```
/// use guestmem::{GuestPtr, SliceMemory};
///
/// let mut bytes = [0u8; 8];
/// let mem = SliceMemory::new(&mut bytes);
/// let mut view = GuestPtr::<[u8]>::new(&mem, (2, 4)).as_slice_mut()?;
/// view.copy_from_slice(b"wasm");
/// // A second, overlapping view is refused while this one lives.
/// assert!(GuestPtr::<[u8]>::new(&mem, (0, 3)).as_slice().is_err());
/// # Ok::<(), guestmem::GuestError>(())
/// ```
pub struct GuestSliceMut<'a, T> {
    slice: &'a mut [T],
    _loan: Loan<'a>,
}

/// A shared view of a guest string as `&str`, validated once on the bytes it lends. Obtained
/// from [`GuestPtr::<str>::as_str`](crate::GuestPtr::as_str).
///
/// # Examples
///
/// ```
/// use guestmem::{GuestPtr, SliceMemory};
///
/// let mut bytes = *b"PATH=/bin";
/// let mem = SliceMemory::new(&mut bytes);
/// let var = GuestPtr::<str>::new(&mem, (0, 9)).as_str()?;
/// assert_eq!(var.split_once('='), Some(("PATH", "/bin")));
/// assert_eq!(format!("{var}"), "PATH=/bin");
/// # Ok::<(), guestmem::GuestError>(())
/// ```
pub struct GuestStr<'a> {
    text: &'a str,
    _loan: Loan<'a>,
}

impl<'a, T: GuestTypeTransparent> GuestSlice<'a, T> {
    pub(crate) fn new(
        mem: &'a dyn GuestMemory,
        offset: u32,
        count: u32,
    ) -> Result<Self, GuestError> {
        let (len, align) = layout_of::<T>(count)?;
        Self::with_alignment(mem, offset, len, align)
    }

    #[inline]
    fn with_alignment(
        mem: &'a dyn GuestMemory,
        offset: u32,
        len: u32,
        align: u32,
    ) -> Result<Self, GuestError> {
        let (loan, range) = Loan::take(mem, offset, len, align, BorrowKind::Shared)?;
        // SAFETY: 1. `loan` recorded the range's region as a shared borrow, successfully, and
        // is kept beside the slice until both are dropped together (if `as_slice` fails, the
        // loan is dropped and released at once).
        let slice = unsafe { range.as_slice(Transparent::<T>::new()) }?;
        Ok(GuestSlice { slice, _loan: loan })
    }
}

impl<'a, T: GuestTypeTransparent> GuestSliceMut<'a, T> {
    pub(crate) fn new(
        mem: &'a dyn GuestMemory,
        offset: u32,
        count: u32,
    ) -> Result<Self, GuestError> {
        let (len, align) = layout_of::<T>(count)?;
        let (loan, range) = Loan::take(mem, offset, len, align, BorrowKind::Mut)?;
        // SAFETY: 1. `loan` recorded the range's region as a mutable borrow, successfully, and
        // is kept beside the slice until both are dropped together.
        let slice = unsafe { range.as_mut_slice(Transparent::<T>::new()) }?;
        Ok(GuestSliceMut { slice, _loan: loan })
    }
}

impl<'a> GuestStr<'a> {
    pub(crate) fn new(mem: &'a dyn GuestMemory, offset: u32, len: u32) -> Result<Self, GuestError> {
        let GuestSlice { slice, _loan } = GuestSlice::<u8>::new(mem, offset, len)?;
        // Validated on the very bytes that are lent: nothing can write them while `_loan` lives.
        let text = core::str::from_utf8(slice).map_err(GuestError::InvalidUtf8)?;
        Ok(GuestStr { text, _loan })
    }
}

/// The iterator of [`GuestPtr::<[T]>::read_iter`](crate::GuestPtr::read_iter): decodes each
/// element from the bytes of the array, which it holds lent until it is dropped.
pub struct ReadIter<'a, T> {
    mem: &'a dyn GuestMemory,
    /// The lent bytes, one chunk per element (private: they never leave the iterator).
    elements: ChunksExact<'a, u8>,
    /// Elements of a zero-sized `T` not yet yielded (they have no chunks to count).
    left: u32,
    _loan: Loan<'a>,
    _elem: PhantomData<fn() -> T>,
}

impl<'a, T: GuestType<'a>> ReadIter<'a, T> {
    pub(crate) fn new(
        mem: &'a dyn GuestMemory,
        offset: u32,
        count: u32,
    ) -> Result<Self, GuestError> {
        let (len, align) = layout_of::<T>(count)?;
        // The array's bytes, lent like any view: the loan moves into the iterator with them.
        let GuestSlice {
            slice: bytes,
            _loan,
        } = GuestSlice::with_alignment(mem, offset, len, align)?;
        // A zero-sized `T` never reads its (empty) chunk: `next` counts it.
        let size = usize::try_from(T::GUEST_SIZE).map_err(|_| GuestError::PtrOverflow)?;
        Ok(ReadIter {
            mem,
            elements: bytes.chunks_exact(size.max(1)),
            left: count,
            _loan,
            _elem: PhantomData,
        })
    }
}

impl<'a, T: GuestType<'a>> Iterator for ReadIter<'a, T> {
    type Item = Result<T, GuestError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let bytes = if T::GUEST_SIZE == 0 {
            self.left = self.left.checked_sub(1)?;
            &[]
        } else {
            self.elements.next()?
        };
        // `decode` cannot keep `bytes` (their lifetime is not `'a`), and cannot change them:
        // the loan makes every write to them fail.
        Some(T::decode(self.mem, bytes))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = if T::GUEST_SIZE == 0 {
            usize::try_from(self.left).ok()
        } else {
            Some(self.elements.len())
        };
        (left.unwrap_or(usize::MAX), left)
    }
}

impl<'a, T: GuestType<'a>> FusedIterator for ReadIter<'a, T> {}

impl<T> fmt::Debug for ReadIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadIter")
            .field("region", &self._loan.region)
            .field("left", &self.left)
            .finish()
    }
}

impl<T> Deref for GuestSlice<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.slice
    }
}

impl<T> Deref for GuestSliceMut<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.slice
    }
}

impl<T> DerefMut for GuestSliceMut<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.slice
    }
}

impl Deref for GuestStr<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.text
    }
}

impl<T: fmt::Debug> fmt::Debug for GuestSlice<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.slice, f)
    }
}

impl<T: fmt::Debug> fmt::Debug for GuestSliceMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.slice, f)
    }
}

impl fmt::Debug for GuestStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.text, f)
    }
}

impl fmt::Display for GuestStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.text, f)
    }
}
