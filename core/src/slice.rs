//! Methods of `GuestPtr<[T]>`: arrays in guest memory.

use core::iter::FusedIterator;
use core::marker::PhantomData;

use crate::guest_type::{with_scratch, GuestTypeTransparent};
use crate::raw::{self, Transparent};
use crate::view::{layout_of, GuestSlice, GuestSliceMut};
use crate::{FrameRef, GuestError, GuestPtr, GuestType};

impl<'a, T> GuestPtr<'a, [T]> {
    /// A pointer to the first element (checks nothing).
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, GuestFrame};
    ///
    /// let mem = GuestFrame::empty();
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
    /// use guestmem::{GuestError, GuestPtr, Region, GuestFrame};
    ///
    /// let mut bytes = [0u8; 16];
    /// let mem = GuestFrame::new(&mut bytes);
    /// assert_eq!(GuestPtr::<[u32]>::new(&mem, (8, 2)).validate(), Ok(()));
    /// assert_eq!(
    ///     GuestPtr::<[u32]>::new(&mem, (8, 3)).validate(),
    ///     Err(GuestError::PtrOutOfBounds(Region::new(8, 12)))
    /// );
    /// ```
    #[inline]
    pub fn validate(&self) -> Result<(), GuestError> {
        raw::validate_read(
            self.mem(),
            self.offset_base(),
            self.byte_len()?,
            T::GUEST_ALIGN,
        )
    }

    /// Checks the whole array as a write would (bounds, alignment, no overlapping view)
    /// without writing it — to refuse a bad out-parameter before any side effect.
    ///
    /// # Errors
    ///
    /// As [`copy_from_slice`](Self::copy_from_slice), but never
    /// [`GuestError::SliceLengthsDiffer`].
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestError, GuestFrame, GuestPtr};
    ///
    /// let mut bytes = [0u8; 16];
    /// let mem = GuestFrame::new(&mut bytes);
    /// let out = GuestPtr::<[u8]>::new(&mem, (0, 4));
    /// let view = GuestPtr::<[u8]>::new(&mem, (2, 2)).as_slice()?;
    /// assert_eq!(out.validate(), Ok(())); // reading beside a shared view is fine
    /// assert!(matches!(out.validate_write(), Err(GuestError::BorrowConflict(_))));
    /// drop(view);
    /// assert_eq!(out.validate_write(), Ok(()));
    /// # Ok::<(), GuestError>(())
    /// ```
    #[inline]
    pub fn validate_write(&self) -> Result<(), GuestError> {
        raw::validate_write(
            self.mem(),
            self.offset_base(),
            self.byte_len()?,
            T::GUEST_ALIGN,
        )
    }

    /// A pointer to element `index`, or `None` if `index >= len()` or its offset overflows.
    /// Checks nothing against memory.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, GuestFrame};
    ///
    /// let mut bytes = [0u8, 0, 0, 0, 7, 0, 0, 0];
    /// let mem = GuestFrame::new(&mut bytes);
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
    /// use guestmem::{GuestPtr, GuestFrame};
    ///
    /// let mut bytes = [1u8, 0, 2, 0, 3, 0];
    /// let mem = GuestFrame::new(&mut bytes);
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

    /// Reads the elements one by one: the whole array is checked at once (so a bad array is
    /// refused before the first element), then each element is copied onto the stack — its
    /// check a few instructions, the frame's base and length in registers — and decoded from
    /// the copy. The fast way through an array of structs (WASI iovecs): no view, and `decode`
    /// never runs on guest memory.
    ///
    /// It takes no slot in the frame's table of views, neither when it is made nor while it
    /// lives: it works in a frame whose table is full, or of capacity 0
    /// ([`GuestFrame::with_views`](crate::GuestFrame::with_views)). Views that `decode` or the
    /// caller take meanwhile are checked against each element right before its copy.
    ///
    /// # Errors
    ///
    /// The errors of [`validate`](Self::validate); each item is a validation error of `T`
    /// (such as [`GuestError::InvalidEnumValue`]) or a value — or
    /// [`GuestError::BorrowConflict`] if a live mutable view now overlaps the element.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{guest_struct, GuestPtr, GuestFrame};
    ///
    /// guest_struct! {
    ///     pub struct Iovec<'a> {
    ///         pub buf: GuestPtr<'a, u8>,
    ///         pub buf_len: u32,
    ///     }
    /// }
    ///
    /// let mut bytes = [0u8; 32];
    /// let mem = GuestFrame::new(&mut bytes);
    /// let iovs = GuestPtr::<[Iovec]>::new(&mem, (0, 2));
    /// iovs.get(1).unwrap().write(Iovec { buf: GuestPtr::new(&mem, 16), buf_len: 5 })?;
    /// let mut total = 0;
    /// for iov in iovs.read_iter()? {
    ///     total += iov?.buf_len;
    /// }
    /// assert_eq!(total, 5);
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn read_iter(&self) -> Result<ReadIter<'a, T>, GuestError> {
        self.read_iter_with(false)
    }

    /// [`read_iter`](Self::read_iter), each element checked against live views inline or out
    /// of line (see `raw::Cursor::views_out_of_line`).
    #[inline]
    fn read_iter_with(&self, views_out_of_line: bool) -> Result<ReadIter<'a, T>, GuestError> {
        let mut elements = raw::Cursor::new(
            self.mem(),
            self.offset_base(),
            self.byte_len()?,
            T::GUEST_ALIGN,
            false,
        )?;
        if views_out_of_line {
            elements = elements.views_out_of_line();
        }
        Ok(ReadIter {
            mem: self.mem(),
            elements,
            left: self.len(),
            _elem: PhantomData,
        })
    }

    /// Copies the array into `dst`, which must have `len()` elements. The whole guest range is
    /// checked once; types whose host and guest bytes agree are copied with one `memcpy`,
    /// others are copied onto the stack one element at a time (each checked against the views
    /// right before) and decoded from there, so `decode` never runs on memory it could change.
    ///
    /// # Errors
    ///
    /// [`GuestError::SliceLengthsDiffer`] if `dst.len() != len()`; otherwise the errors of
    /// [`GuestPtr::read`] for the whole array. On error `dst` may be partly written.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, GuestFrame};
    ///
    /// let mut bytes = [1u8, 0, 0, 0, 2, 0, 0, 0];
    /// let mem = GuestFrame::new(&mut bytes);
    /// let mut out = [0u32; 2];
    /// GuestPtr::<[u32]>::new(&mem, (0, 2)).copy_to_slice(&mut out)?;
    /// assert_eq!(out, [1, 2]);
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn copy_to_slice(&self, dst: &mut [T]) -> Result<(), GuestError> {
        if u32::try_from(dst.len()) != Ok(self.len()) {
            return Err(GuestError::SliceLengthsDiffer);
        }
        if let Some(proof) = T::TRANSPARENT {
            return self.copy_out(dst, proof);
        }
        let mut slots = dst.iter_mut();
        self.for_each_decoded(|value| {
            if let Some(slot) = slots.next() {
                *slot = value;
            }
            Ok(())
        })
    }

    /// Copies `src`, which must have `len()` elements, into the array.
    ///
    /// # Errors
    ///
    /// [`GuestError::SliceLengthsDiffer`] if `src.len() != len()`; otherwise the errors of
    /// [`GuestPtr::write`] for the whole array, checked before anything is written. (Element
    /// types that are not transparent are encoded onto the stack and copied in one by one,
    /// each checked against the views right before; if their `encode` takes a view of the
    /// array itself, the element under it is refused with [`GuestError::BorrowConflict`], after
    /// the elements before it were written.)
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, GuestFrame};
    ///
    /// let mut bytes = [0u8; 4];
    /// {
    ///     let mem = GuestFrame::new(&mut bytes);
    ///     GuestPtr::<[u16]>::new(&mem, (0, 2)).copy_from_slice(&[0x0201, 0x0403])?;
    /// }
    /// assert_eq!(bytes, [1, 2, 3, 4]);
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn copy_from_slice(&self, src: &[T]) -> Result<(), GuestError> {
        if u32::try_from(src.len()) != Ok(self.len()) {
            return Err(GuestError::SliceLengthsDiffer);
        }
        let len = self.byte_len()?;
        if let Some(proof) = T::TRANSPARENT {
            return raw::copy_in(
                self.mem(),
                self.offset_base(),
                len,
                T::GUEST_ALIGN,
                src,
                proof,
            );
        }
        // The whole array first, so that a bad one is refused before anything is written;
        // then each element, encoded on the stack (user code, with no range held), is checked
        // against the views and copied in.
        let mut elements =
            raw::Cursor::new(self.mem(), self.offset_base(), len, T::GUEST_ALIGN, true)?;
        for value in src {
            with_scratch(T::GUEST_SIZE, |bytes| {
                value.encode(bytes)?;
                elements
                    .write_from(bytes, BYTES)
                    .unwrap_or(Err(GuestError::SliceLengthsDiffer))
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
    /// use guestmem::{GuestError, GuestPtr, GuestFrame};
    ///
    /// let mut bytes = *b"abcdef";
    /// let mem = GuestFrame::new(&mut bytes);
    /// let array = GuestPtr::<[u8]>::new(&mem, (1, 4));
    /// assert_eq!(array.to_heapless::<8>()?.as_slice(), b"bcde");
    /// assert_eq!(
    ///     array.to_heapless::<2>(),
    ///     Err(GuestError::BufferTooSmall { needed: 4, available: 2 })
    /// );
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
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
        if let Some(proof) = T::TRANSPARENT {
            // One `memcpy` into the spare capacity.
            raw::append_to_heapless(
                self.mem(),
                self.offset_base(),
                self.byte_len()?,
                T::GUEST_ALIGN,
                &mut out,
                proof,
            )?;
            return Ok(out);
        }
        self.for_each_decoded(|value| out.push(value).map_err(|_| too_small))?;
        Ok(out)
    }

    /// Copies the array into `dst` with one `memcpy`.
    #[inline]
    fn copy_out(&self, dst: &mut [T], proof: Transparent<T>) -> Result<(), GuestError> {
        raw::copy_out(
            self.mem(),
            self.offset_base(),
            self.byte_len()?,
            T::GUEST_ALIGN,
            dst,
            proof,
        )
    }

    /// Decodes every element in order and hands it to `each`: the whole array is checked
    /// first, then each element is copied onto the stack and decoded from the copy. `decode`
    /// (user code, which may take views or access memory) never runs on guest memory, and
    /// each element is checked against the views right before its copy (DESIGN §4.9).
    #[inline]
    fn for_each_decoded(
        &self,
        mut each: impl FnMut(T) -> Result<(), GuestError>,
    ) -> Result<(), GuestError> {
        // The values are stored away: the views are checked out of line.
        for value in self.read_iter_with(true)? {
            each(value?)?;
        }
        Ok(())
    }
}

/// The proof for bytes, which the element-wise paths copy through.
const BYTES: Transparent<u8> = Transparent::new();

impl<'a> GuestPtr<'a, [u8]> {
    /// Copies the byte arrays `pieces` one after another into the front of `buf`, uninitialised
    /// storage, and returns that front, initialised: the gather of an `fd_write`, into one
    /// buffer for one contiguous host write. Each piece is checked (as
    /// [`validate`](Self::validate) does) right before its copy.
    ///
    /// # Errors
    ///
    /// [`GuestError::BufferTooSmall`] if a piece does not fit in what is left of `buf` (checked
    /// before the piece's range); the errors of [`validate`](Self::validate) for a piece. On
    /// error, `buf` may be partly written.
    ///
    /// # Examples
    ///
    /// ```
    /// use core::mem::MaybeUninit;
    /// use guestmem::{GuestFrame, GuestPtr};
    ///
    /// let mut bytes = *b"hello, guest";
    /// let mem = GuestFrame::new(&mut bytes);
    /// let pieces = [(7, 5), (5, 2), (0, 5)].map(|p| GuestPtr::<[u8]>::new(&mem, p));
    /// let mut buf = [MaybeUninit::uninit(); 64];
    /// assert_eq!(GuestPtr::gather(pieces, &mut buf)?, b"guest, hello");
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn gather<'b>(
        pieces: impl IntoIterator<Item = GuestPtr<'a, [u8]>>,
        buf: &'b mut [core::mem::MaybeUninit<u8>],
    ) -> Result<&'b mut [u8], GuestError> {
        raw::gather(
            pieces
                .into_iter()
                .map(|p| (p.mem(), p.offset_base(), p.len())),
            buf,
        )
    }

    /// The same bytes as a string (checks nothing; the UTF-8 check comes with each access).
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestFrame, GuestPtr};
    ///
    /// let mut bytes = *b"name=value";
    /// let mem = GuestFrame::new(&mut bytes);
    /// let raw = GuestPtr::<[u8]>::new(&mem, (5, 5));
    /// assert_eq!(&*raw.as_str_ptr().as_str()?, "value");
    /// assert_eq!(raw.as_str_ptr().as_bytes(), raw);
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn as_str_ptr(&self) -> GuestPtr<'a, str> {
        GuestPtr::new(self.mem(), self.pointer())
    }

    /// Copies the bytes into the front of `buf`, uninitialised storage (so a gather buffer on
    /// the stack needs no zeroing first), and returns that front, initialised.
    ///
    /// # Errors
    ///
    /// [`GuestError::BufferTooSmall`] if `buf` is shorter than the array (checked first, as
    /// every copy into a caller's buffer does); otherwise the errors of
    /// [`validate`](Self::validate).
    ///
    /// # Examples
    ///
    /// ```
    /// use core::mem::MaybeUninit;
    /// use guestmem::{GuestFrame, GuestPtr};
    ///
    /// let mut bytes = *b"hello, guest";
    /// let mem = GuestFrame::new(&mut bytes);
    /// let mut buf = [MaybeUninit::<u8>::uninit(); 64];
    /// let (head, rest) = buf.split_at_mut(5);
    /// let hello = GuestPtr::<[u8]>::new(&mem, (0, 5)).copy_to_uninit(head)?;
    /// assert_eq!(hello, b"hello");
    /// let guest = GuestPtr::<[u8]>::new(&mem, (7, 5)).copy_to_uninit(rest)?;
    /// assert_eq!(guest, b"guest");
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn copy_to_uninit<'b>(
        &self,
        buf: &'b mut [core::mem::MaybeUninit<u8>],
    ) -> Result<&'b mut [u8], GuestError> {
        raw::copy_out_uninit(self.mem(), self.offset_base(), self.len(), 1, buf)
    }
}

impl<'a, T: GuestTypeTransparent> GuestPtr<'a, [T]> {
    /// Lends the array as `&[T]` without copying.
    ///
    /// The guest offset must be aligned for the guest type, and — since this is a Rust
    /// reference — the host address must be aligned for `T` too; copy out with
    /// [`copy_to_slice`](Self::copy_to_slice) when it may not be (wasm3 puts a header before
    /// its memory). While the view lives, writes to the region fail.
    ///
    /// # Errors
    ///
    /// The errors of [`GuestPtr::read`] for the whole array; [`GuestError::PtrNotAligned`] also
    /// for a misaligned host address; [`GuestError::BorrowConflict`] if a mutable view overlaps;
    /// [`GuestError::TooManyBorrows`] if the frame's table of views is full (its
    /// [`capacity`](crate::GuestFrame::capacity), [`MAX_VIEWS`](crate::MAX_VIEWS) by default).
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestError, GuestPtr, GuestFrame};
    ///
    /// let mut bytes = *b"guest bytes";
    /// let mem = GuestFrame::new(&mut bytes);
    /// let array = GuestPtr::<[u8]>::new(&mem, (6, 5));
    /// let view = array.as_slice()?;
    /// assert_eq!(&*view, b"bytes");
    /// // While the view lives, the bytes cannot change under it.
    /// assert!(matches!(array.as_ptr().write(b'B'), Err(GuestError::BorrowConflict(_))));
    /// drop(view);
    /// array.as_ptr().write(b'B')?;
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn as_slice(&self) -> Result<GuestSlice<'a, T>, GuestError> {
        GuestSlice::new(self.mem(), self.offset_base(), self.len())
    }

    /// Lends the array as `&mut [T]` without copying. While the view lives, every other
    /// access to the region fails.
    ///
    /// # Errors
    ///
    /// As [`as_slice`](Self::as_slice), and [`GuestError::BorrowConflict`] if any view
    /// overlaps.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, GuestFrame};
    ///
    /// let mut bytes = *b"hello";
    /// {
    ///     let mem = GuestFrame::new(&mut bytes);
    ///     let mut view = GuestPtr::<[u8]>::new(&mem, (0, 5)).as_slice_mut()?;
    ///     view.make_ascii_uppercase();
    /// }
    /// assert_eq!(&bytes, b"HELLO");
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn as_slice_mut(&self) -> Result<GuestSliceMut<'a, T>, GuestError> {
        GuestSliceMut::new(self.mem(), self.offset_base(), self.len())
    }

    /// Lends the array as `&[T]` to `f`, without copying, and returns what `f` returns: a
    /// view for the duration of one call. While `f` runs, writes to the region fail, as under
    /// [`as_slice`](Self::as_slice)'s view; when it returns, the view ends.
    ///
    /// The cheaper of the two where it fits: the view is recorded and released inline, with
    /// no guard for the compiler to keep in memory and drop through a call.
    ///
    /// # Errors
    ///
    /// Those of [`as_slice`](Self::as_slice); `f` is not called.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestError, GuestPtr, GuestFrame};
    ///
    /// let mut bytes = *b"guest bytes";
    /// let mem = GuestFrame::new(&mut bytes);
    /// let array = GuestPtr::<[u8]>::new(&mem, (6, 5));
    /// let vowels = array.with_slice(|view| {
    ///     // The bytes cannot change under the view.
    ///     assert!(matches!(array.as_ptr().write(b'B'), Err(GuestError::BorrowConflict(_))));
    ///     view.iter().filter(|b| b"aeiou".contains(b)).count()
    /// })?;
    /// assert_eq!(vowels, 1);
    /// array.as_ptr().write(b'B')?; // the view has ended
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    ///
    /// The slice cannot leave the call:
    ///
    /// ```compile_fail
    /// use guestmem::{GuestPtr, GuestFrame};
    ///
    /// let mut bytes = [0u8; 4];
    /// let mem = GuestFrame::new(&mut bytes);
    /// let kept: &[u8] = GuestPtr::<[u8]>::new(&mem, (0, 4)).with_slice(|view| view).unwrap();
    /// assert_eq!(kept.len(), 4);
    /// ```
    #[inline]
    pub fn with_slice<R>(&self, f: impl FnOnce(&[T]) -> R) -> Result<R, GuestError> {
        self.with_slice_proven(Transparent::new(), f)
    }
}

impl<'a, T: GuestType<'a>> GuestPtr<'a, [T]> {
    /// [`with_slice`](Self::with_slice) for code generic over the element type: `T` shown
    /// transparent by a value, its proof [`GuestType::TRANSPARENT`], instead of a bound. So
    /// generic code can lend the arrays that can be lent, and copy the others.
    ///
    /// # Errors
    ///
    /// Those of [`with_slice`](Self::with_slice); `f` is not called.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{guest_enum, GuestError, GuestPtr, GuestFrame, GuestType};
    ///
    /// guest_enum! {
    ///     #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    ///     pub enum Light: u8 {
    ///         Off = 0,
    ///         On = 1,
    ///     }
    /// }
    ///
    /// /// How many elements equal `x`: counted in a view when `T` can be lent, else decoded
    /// /// one by one.
    /// fn count<'a, T: GuestType<'a> + PartialEq>(
    ///     array: GuestPtr<'a, [T]>,
    ///     x: &T,
    /// ) -> Result<usize, GuestError> {
    ///     match T::TRANSPARENT {
    ///         Some(proof) => array.with_slice_proven(proof, |xs| xs.iter().filter(|y| *y == x).count()),
    ///         None => array.read_iter()?.try_fold(0, |n, y| Ok(n + usize::from(y? == *x))),
    ///     }
    /// }
    ///
    /// let mut bytes = [1u8, 0, 1, 1];
    /// let mem = GuestFrame::new(&mut bytes);
    /// assert_eq!(count(GuestPtr::<[u8]>::new(&mem, (0, 4)), &1)?, 3);
    /// // Not every byte is a `Light`: each is decoded, and checked.
    /// assert_eq!(count(GuestPtr::<[Light]>::new(&mem, (0, 4)), &Light::On)?, 3);
    /// # Ok::<(), GuestError>(())
    /// ```
    #[inline]
    pub fn with_slice_proven<R>(
        &self,
        proof: Transparent<T>,
        f: impl FnOnce(&[T]) -> R,
    ) -> Result<R, GuestError> {
        let (len, align) = layout_of::<T>(self.len())?;
        raw::lend(self.mem(), self.offset_base(), len, align, proof, f)
    }
}

/// The iterator of [`GuestPtr::<[T]>::read_iter`](GuestPtr::read_iter): copies each element
/// onto the stack and decodes it from the copy.
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct ReadIter<'a, T> {
    mem: FrameRef<'a>,
    elements: raw::Cursor<'a>,
    /// Elements left (counted for a zero-sized `T`, whose elements have no bytes).
    left: u32,
    _elem: PhantomData<fn() -> T>,
}

impl<'a, T: GuestType<'a>> Iterator for ReadIter<'a, T> {
    type Item = Result<T, GuestError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if T::GUEST_SIZE == 0 {
            self.left = self.left.checked_sub(1)?;
            return Some(T::decode(self.mem, &[]));
        }
        // A check against the views, a copy onto the stack, and `decode` (user code) on the
        // copy, not on guest memory.
        with_scratch(T::GUEST_SIZE, |bytes| {
            let copied = self.elements.read_into(bytes, BYTES);
            // Not past the end (`None`): counted with it, for `size_hint`.
            self.left = self.left.saturating_sub(1);
            Ok(copied.map(|c| c.and_then(|()| T::decode(self.mem, bytes))))
        })
        .unwrap_or_else(|e| Some(Err(e)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.left).ok();
        (left.unwrap_or(usize::MAX), left)
    }
}

impl<'a, T: GuestType<'a>> FusedIterator for ReadIter<'a, T> {}

impl<'a, T: GuestType<'a>> ExactSizeIterator for ReadIter<'a, T> {}

impl<T> core::fmt::Debug for ReadIter<'_, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReadIter")
            .field("left", &self.left)
            .finish()
    }
}

/// The iterator of [`GuestPtr::<[T]>::iter`](GuestPtr::iter).
#[derive(Debug, Clone)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
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
