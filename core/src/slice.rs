//! Methods of `GuestPtr<[T]>`: arrays in guest memory.

use core::iter::FusedIterator;

use crate::guest_type::{with_scratch, GuestTypeTransparent};
use crate::raw::{self, Access, HostRange};
use crate::view::{GuestSlice, GuestSliceMut, ReadIter};
use crate::{GuestError, GuestPtr, GuestType};

impl<'a, T> GuestPtr<'a, [T]> {
    /// A pointer to the first element (checks nothing).
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, SliceMemory};
    ///
    /// let mem = SliceMemory::empty();
    /// let array = GuestPtr::<[u32]>::new(&mem, (16, 3));
    /// assert_eq!(array.as_ptr().offset(), 16);
    /// assert_eq!(array.byte_len(), Ok(12));
    /// ```
    #[inline]
    pub fn as_ptr(&self) -> GuestPtr<'a, T> {
        GuestPtr::new(self.mem(), self.offset_base())
    }
}

impl<'a, T: GuestType<'a>> GuestPtr<'a, [T]> {
    /// The length of the array in bytes.
    ///
    /// # Errors
    ///
    /// [`GuestError::PtrOverflow`] if it does not fit in `u32`.
    #[inline]
    pub fn byte_len(&self) -> Result<u32, GuestError> {
        self.len()
            .checked_mul(T::GUEST_SIZE)
            .ok_or(GuestError::PtrOverflow)
    }

    /// Checks the whole array as a read would (bounds, alignment, no overlapping mutable view)
    /// without reading it — to refuse a bad argument before any side effect or allocation.
    ///
    /// # Errors
    ///
    /// As [`copy_to_slice`](Self::copy_to_slice), but never
    /// [`GuestError::SliceLengthsDiffer`].
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestError, GuestPtr, Region, SliceMemory};
    ///
    /// let mut bytes = [0u8; 16];
    /// let mem = SliceMemory::new(&mut bytes);
    /// assert_eq!(GuestPtr::<[u32]>::new(&mem, (8, 2)).validate(), Ok(()));
    /// assert_eq!(
    ///     GuestPtr::<[u32]>::new(&mem, (8, 3)).validate(),
    ///     Err(GuestError::PtrOutOfBounds(Region::new(8, 12)))
    /// );
    /// ```
    #[inline]
    pub fn validate(&self) -> Result<(), GuestError> {
        self.checked_range(Access::Read).map(|_| ())
    }

    /// Checks the whole array once.
    #[inline]
    fn checked_range(&self, access: Access) -> Result<HostRange<'a>, GuestError> {
        raw::check(
            self.mem(),
            self.offset_base(),
            self.byte_len()?,
            T::GUEST_ALIGN,
            access,
        )
    }

    /// A pointer to element `index`, or `None` if `index >= len()` or its offset overflows.
    /// Checks nothing against memory.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, SliceMemory};
    ///
    /// let mut bytes = [0u8, 0, 0, 0, 7, 0, 0, 0];
    /// let mem = SliceMemory::new(&mut bytes);
    /// let array = GuestPtr::<[u32]>::new(&mem, (0, 2));
    /// assert_eq!(array.get(1).map(|p| p.read()), Some(Ok(7)));
    /// assert!(array.get(2).is_none());
    /// ```
    #[inline]
    pub fn get(&self, index: u32) -> Option<GuestPtr<'a, T>> {
        if index >= self.len() {
            return None;
        }
        self.as_ptr().add(index).ok()
    }

    /// Pointers to each element, in order. An element whose offset overflows `u32` yields
    /// [`GuestError::PtrOverflow`] and ends the iteration.
    ///
    /// Each element is checked when it is read; to check the whole array at once, copy it out
    /// with [`copy_to_slice`](Self::copy_to_slice) or [`to_heapless`](Self::to_heapless).
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, SliceMemory};
    ///
    /// let mut bytes = [1u8, 0, 2, 0, 3, 0];
    /// let mem = SliceMemory::new(&mut bytes);
    /// let mut sum = 0;
    /// for p in GuestPtr::<[u16]>::new(&mem, (0, 3)).iter() {
    ///     sum += p?.read()?;
    /// }
    /// assert_eq!(sum, 6);
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn iter(&self) -> GuestIter<'a, T> {
        GuestIter {
            array: *self,
            next: 0,
        }
    }

    /// Reads the elements one by one from a view of the whole array: the array is checked
    /// once, and lent (as with [`as_slice`](Self::as_slice)) for as long as the iterator lives,
    /// so each element is decoded from bytes nothing can change, without a check of its own.
    /// The fast way through an array of structs; unlike [`iter`](Self::iter), writes to the
    /// array fail while the iterator lives.
    ///
    /// # Errors
    ///
    /// The errors of [`validate`](Self::validate), and those of
    /// [`GuestPtr::<[u8]>::as_slice`](GuestPtr::as_slice) for its bytes; each item is a
    /// validation error of `T` (such as [`GuestError::InvalidEnumValue`]) or a value.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{guest_struct, GuestPtr, SliceMemory};
    ///
    /// guest_struct! {
    ///     pub struct Iovec<'a> {
    ///         pub buf: GuestPtr<'a, u8>,
    ///         pub buf_len: u32,
    ///     }
    /// }
    ///
    /// let mut bytes = [0u8; 32];
    /// let mem = SliceMemory::new(&mut bytes);
    /// let iovs = GuestPtr::<[Iovec]>::new(&mem, (0, 2));
    /// iovs.get(1).unwrap().write(Iovec { buf: GuestPtr::new(&mem, 16), buf_len: 5 })?;
    /// let mut total = 0;
    /// for iov in iovs.read_iter()? {
    ///     total += iov?.buf_len;
    /// }
    /// assert_eq!(total, 5);
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    pub fn read_iter(&self) -> Result<ReadIter<'a, T>, GuestError> {
        ReadIter::new(self.mem(), self.offset_base(), self.len())
    }

    /// Copies the array into `dst`, which must have `len()` elements. The whole guest range is
    /// checked once; types whose host and guest bytes agree are copied with one `memcpy`.
    ///
    /// # Errors
    ///
    /// [`GuestError::SliceLengthsDiffer`] if `dst.len() != len()`; otherwise the errors of
    /// [`GuestPtr::read`] for the whole array. On error `dst` may be partly written.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, SliceMemory};
    ///
    /// let mut bytes = [1u8, 0, 0, 0, 2, 0, 0, 0];
    /// let mem = SliceMemory::new(&mut bytes);
    /// let mut out = [0u32; 2];
    /// GuestPtr::<[u32]>::new(&mem, (0, 2)).copy_to_slice(&mut out)?;
    /// assert_eq!(out, [1, 2]);
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    pub fn copy_to_slice(&self, dst: &mut [T]) -> Result<(), GuestError> {
        if u32::try_from(dst.len()) != Ok(self.len()) {
            return Err(GuestError::SliceLengthsDiffer);
        }
        let range = self.checked_range(Access::Read)?;
        if let Some(proof) = T::transparent() {
            return range.copy_to_transparent(dst, proof);
        }
        let mut elems = Elements::<T>::new(range);
        for slot in dst.iter_mut() {
            let elem = elems.next_range()?;
            *slot = with_scratch(T::GUEST_SIZE, |bytes| {
                elem.copy_to(bytes)?;
                T::decode(self.mem(), bytes)
            })?;
        }
        Ok(())
    }

    /// Copies `src`, which must have `len()` elements, into the array.
    ///
    /// # Errors
    ///
    /// [`GuestError::SliceLengthsDiffer`] if `src.len() != len()`; otherwise the errors of
    /// [`GuestPtr::write`] for the whole array, checked before anything is written.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, SliceMemory};
    ///
    /// let mut bytes = [0u8; 4];
    /// {
    ///     let mem = SliceMemory::new(&mut bytes);
    ///     GuestPtr::<[u16]>::new(&mem, (0, 2)).copy_from_slice(&[0x0201, 0x0403])?;
    /// }
    /// assert_eq!(bytes, [1, 2, 3, 4]);
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    pub fn copy_from_slice(&self, src: &[T]) -> Result<(), GuestError> {
        if u32::try_from(src.len()) != Ok(self.len()) {
            return Err(GuestError::SliceLengthsDiffer);
        }
        let range = self.checked_range(Access::Write)?;
        if let Some(proof) = T::transparent() {
            return range.copy_from_transparent(src, proof);
        }
        let mut elems = Elements::<T>::new(range);
        for value in src {
            let elem = elems.next_range()?;
            with_scratch(T::GUEST_SIZE, |bytes| {
                value.encode(bytes)?;
                elem.copy_from(bytes)
            })?;
        }
        Ok(())
    }

    /// Copies the array into a new `heapless::Vec` of capacity `N`.
    ///
    /// # Errors
    ///
    /// [`GuestError::BufferTooSmall`] if `len() > N`; otherwise as
    /// [`copy_to_slice`](Self::copy_to_slice).
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestError, GuestPtr, SliceMemory};
    ///
    /// let mut bytes = *b"abcdef";
    /// let mem = SliceMemory::new(&mut bytes);
    /// let array = GuestPtr::<[u8]>::new(&mem, (1, 4));
    /// assert_eq!(array.to_heapless::<8>()?.as_slice(), b"bcde");
    /// assert_eq!(
    ///     array.to_heapless::<2>(),
    ///     Err(GuestError::BufferTooSmall { needed: 4, available: 2 })
    /// );
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    pub fn to_heapless<const N: usize>(&self) -> Result<heapless::Vec<T, N>, GuestError> {
        let too_small = GuestError::BufferTooSmall {
            needed: self.len(),
            available: crate::error::saturate_u32(N),
        };
        let count = usize::try_from(self.len()).map_err(|_| too_small)?;
        if count > N {
            return Err(too_small);
        }
        let mut out = heapless::Vec::new();
        let range = self.checked_range(Access::Read)?;
        if let Some(proof) = T::transparent() {
            // One `memcpy` into the spare capacity.
            range.append_to_heapless(&mut out, proof)?;
            return Ok(out);
        }
        let mut elems = Elements::<T>::new(range);
        for _ in 0..count {
            let elem = elems.next_range()?;
            let value = with_scratch(T::GUEST_SIZE, |bytes| {
                elem.copy_to(bytes)?;
                T::decode(self.mem(), bytes)
            })?;
            out.push(value).map_err(|_| too_small)?;
        }
        Ok(out)
    }
}

impl<'a, T: GuestTypeTransparent> GuestPtr<'a, [T]> {
    /// Lends the array as `&[T]` without copying.
    ///
    /// The guest offset must be aligned for the guest type, and — since this is a Rust
    /// reference — the host address must be aligned for `T` too; copy out with
    /// [`copy_to_slice`](Self::copy_to_slice) when it may not be (wasm3 puts a header before
    /// its memory). While the view lives, writes to the region fail and the embedder must not
    /// re-enter the guest.
    ///
    /// # Errors
    ///
    /// The errors of [`GuestPtr::read`] for the whole array; [`GuestError::PtrNotAligned`] also
    /// for a misaligned host address; [`GuestError::BorrowConflict`] if a mutable view overlaps;
    /// [`GuestError::TooManyBorrows`] if [`MAX_VIEWS`](crate::MAX_VIEWS) views are live.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestError, GuestPtr, SliceMemory};
    ///
    /// let mut bytes = *b"guest bytes";
    /// let mem = SliceMemory::new(&mut bytes);
    /// let array = GuestPtr::<[u8]>::new(&mem, (6, 5));
    /// let view = array.as_slice()?;
    /// assert_eq!(&*view, b"bytes");
    /// // While the view lives, the bytes cannot change under it.
    /// assert!(matches!(array.as_ptr().write(b'B'), Err(GuestError::BorrowConflict(_))));
    /// drop(view);
    /// array.as_ptr().write(b'B')?;
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    pub fn as_slice(&self) -> Result<GuestSlice<'a, T>, GuestError> {
        GuestSlice::new(self.mem(), self.offset_base(), self.len())
    }

    /// Lends the array as `&mut [T]` without copying. While the view lives, every other
    /// access to the region fails and the embedder must not re-enter the guest.
    ///
    /// # Errors
    ///
    /// As [`as_slice`](Self::as_slice), and [`GuestError::BorrowConflict`] if any view
    /// overlaps.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, SliceMemory};
    ///
    /// let mut bytes = *b"hello";
    /// {
    ///     let mem = SliceMemory::new(&mut bytes);
    ///     let mut view = GuestPtr::<[u8]>::new(&mem, (0, 5)).as_slice_mut()?;
    ///     view.make_ascii_uppercase();
    /// }
    /// assert_eq!(&bytes, b"HELLO");
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    pub fn as_slice_mut(&self) -> Result<GuestSliceMut<'a, T>, GuestError> {
        GuestSliceMut::new(self.mem(), self.offset_base(), self.len())
    }
}

/// Walks the element ranges of a checked array.
struct Elements<'a, T> {
    range: HostRange<'a>,
    at: u32,
    _elem: core::marker::PhantomData<fn() -> T>,
}

impl<'a, T: GuestType<'a>> Elements<'a, T> {
    fn new(range: HostRange<'a>) -> Self {
        Elements {
            range,
            at: 0,
            _elem: core::marker::PhantomData,
        }
    }

    /// The next element's bytes.
    #[inline(always)]
    fn next_range(&mut self) -> Result<HostRange<'a>, GuestError> {
        let out_of_bounds = GuestError::PtrOutOfBounds(self.range.region());
        let elem = self
            .range
            .sub(self.at, T::GUEST_SIZE)
            .ok_or(out_of_bounds)?;
        self.at = self
            .at
            .checked_add(T::GUEST_SIZE)
            .ok_or(GuestError::PtrOverflow)?;
        Ok(elem)
    }
}

/// The iterator of [`GuestPtr::<[T]>::iter`](GuestPtr::iter).
#[derive(Debug, Clone)]
pub struct GuestIter<'a, T> {
    array: GuestPtr<'a, [T]>,
    next: u32,
}

impl<'a, T: GuestType<'a>> Iterator for GuestIter<'a, T> {
    type Item = Result<GuestPtr<'a, T>, GuestError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.array.len() {
            return None;
        }
        let item = self.array.as_ptr().add(self.next);
        // Stop after an overflow: every later element overflows too.
        self.next = if item.is_ok() {
            self.next.saturating_add(1)
        } else {
            self.array.len()
        };
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.array.len().saturating_sub(self.next)).ok();
        (left.unwrap_or(usize::MAX), left)
    }
}

impl<'a, T: GuestType<'a>> FusedIterator for GuestIter<'a, T> {}
