#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(test, allow(clippy::unwrap_used))]

extern crate alloc;

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Deref;

use guestmem::{GuestError, GuestPtr, GuestStr, GuestType};

/// Copy-out of a guest array into a `Vec`.
pub trait GuestSliceExt<'a, T> {
    /// Copies the array into a new `Vec`.
    ///
    /// The whole array is checked before anything is allocated; element types whose host and
    /// guest bytes agree are copied with one `memcpy`.
    ///
    /// # Errors
    ///
    /// The errors of [`GuestPtr::<[T]>::copy_to_slice`](GuestPtr::copy_to_slice) for the
    /// array; [`GuestError::BufferTooSmall`] if the allocation fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, GuestFrame};
    /// use guestmem_alloc::GuestSliceExt;
    ///
    /// let mut bytes = [1u8, 0, 2, 0];
    /// let mem = GuestFrame::new(&mut bytes);
    /// assert_eq!(GuestPtr::<[u16]>::new(&mem, (0, 2)).to_vec()?, [1, 2]);
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    fn to_vec(&self) -> Result<Vec<T>, GuestError>;
}

impl<'a, T: GuestType<'a> + Clone> GuestSliceExt<'a, T> for GuestPtr<'a, [T]> {
    fn to_vec(&self) -> Result<Vec<T>, GuestError> {
        // An array that can be lent is copied straight out of a view into the new `Vec`.
        // When no view can be made (the table of views is full, a host address misaligned
        // for `T`, or anything wrong with the array), the checked copy below decides.
        if let Some(proof) = T::TRANSPARENT {
            if let Ok(copied) = self.with_slice_proven(proof, try_copy) {
                return copied;
            }
        }
        self.validate()?;
        let Some(first) = self.get(0) else {
            return Ok(Vec::new());
        };
        let count = usize::try_from(self.len()).map_err(|_| GuestError::PtrOverflow)?;
        let mut out = with_capacity(count)?;
        // Fill with a real element, then copy the whole array over it in one checked pass.
        out.resize(count, first.read()?);
        self.copy_to_slice(&mut out)?;
        Ok(out)
    }
}

/// `elements` copied into a new `Vec` of exactly their length.
///
/// # Errors
///
/// As [`with_capacity`].
fn try_copy<T: Clone>(elements: &[T]) -> Result<Vec<T>, GuestError> {
    let mut out = with_capacity(elements.len())?;
    out.extend_from_slice(elements);
    Ok(out)
}

/// An empty `Vec` with room for exactly `count` elements.
///
/// # Errors
///
/// [`GuestError::BufferTooSmall`] if the allocation fails (`needed`: `count`).
fn with_capacity<T>(count: usize) -> Result<Vec<T>, GuestError> {
    let mut out = Vec::new();
    out.try_reserve_exact(count)
        .map_err(|_| GuestError::BufferTooSmall {
            needed: u32::try_from(count).unwrap_or(u32::MAX),
            available: 0,
        })?;
    Ok(out)
}

/// Copy-out of a guest string into a `String`, or a borrow when one can be made.
pub trait GuestStrExt<'a> {
    /// Copies the string into a new `String`, validating the copy.
    ///
    /// # Errors
    ///
    /// [`GuestError::InvalidUtf8`] if the bytes are not UTF-8; otherwise as
    /// [`GuestSliceExt::to_vec`] on its bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestError, GuestPtr, GuestFrame};
    /// use guestmem_alloc::GuestStrExt;
    ///
    /// let mut bytes = *b"ok\xc3";
    /// let mem = GuestFrame::new(&mut bytes);
    /// assert_eq!(GuestPtr::<str>::new(&mem, (0, 2)).to_string()?, "ok");
    /// assert!(matches!(
    ///     GuestPtr::<str>::new(&mem, (0, 3)).to_string(),
    ///     Err(GuestError::InvalidUtf8(_))
    /// ));
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    fn to_string(&self) -> Result<String, GuestError>;

    /// The string borrowed as a zero-copy view when the memory can lend it, copied into a
    /// `String` when its table of views is full.
    ///
    /// # Errors
    ///
    /// As [`GuestPtr::<str>::as_str`](GuestPtr::as_str), except
    /// [`GuestError::TooManyBorrows`], which falls back to a copy.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, GuestFrame};
    /// use guestmem_alloc::{GuestCowStr, GuestStrExt};
    ///
    /// let mut bytes = *b"borrowed";
    /// let mem = GuestFrame::new(&mut bytes);
    /// let s = GuestPtr::<str>::new(&mem, (0, 8)).as_cow_str()?;
    /// assert!(matches!(s, GuestCowStr::Borrowed(_)));
    /// assert_eq!(&*s, "borrowed");
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    fn as_cow_str(&self) -> Result<GuestCowStr<'a>, GuestError>;
}

impl<'a> GuestStrExt<'a> for GuestPtr<'a, str> {
    fn to_string(&self) -> Result<String, GuestError> {
        let bytes = self.as_bytes().to_vec()?;
        String::from_utf8(bytes).map_err(|e| GuestError::InvalidUtf8(e.utf8_error()))
    }

    fn as_cow_str(&self) -> Result<GuestCowStr<'a>, GuestError> {
        match self.as_str() {
            Ok(view) => Ok(GuestCowStr::Borrowed(view)),
            Err(GuestError::TooManyBorrows(_)) => self.to_string().map(GuestCowStr::Copied),
            Err(e) => Err(e),
        }
    }
}

/// A guest string either lent by guest memory or copied out of it.
#[derive(Debug)]
pub enum GuestCowStr<'a> {
    /// A zero-copy view; the memory records it until it is dropped.
    Borrowed(GuestStr<'a>),
    /// A copy.
    Copied(String),
}

impl GuestCowStr<'_> {
    /// The string as a standard `Cow`, borrowed from `self`.
    pub fn as_cow(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }

    /// The string as an owned `String` (copying a view, moving a copy).
    pub fn into_string(self) -> String {
        match self {
            GuestCowStr::Borrowed(view) => String::from(&*view),
            GuestCowStr::Copied(s) => s,
        }
    }
}

impl Deref for GuestCowStr<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            GuestCowStr::Borrowed(view) => view,
            GuestCowStr::Copied(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use guestmem::{GuestFrame, MAX_VIEWS};

    #[test]
    fn cow_falls_back_to_a_copy_when_the_view_table_is_full() {
        let mut bytes = *b"0123456789abcdefghij";
        let mem = GuestFrame::new(&mut bytes);
        let views: Vec<_> = (0..MAX_VIEWS)
            .map(|i| {
                GuestPtr::<[u8]>::new(&mem, (u32::try_from(i).unwrap(), 1))
                    .as_slice()
                    .unwrap()
            })
            .collect();
        let s = GuestPtr::<str>::new(&mem, (0, 20)).as_cow_str().unwrap();
        assert!(matches!(s, GuestCowStr::Copied(_)));
        assert_eq!(s.into_string(), "0123456789abcdefghij");
        drop(views);
        assert!(!mem.has_live_views());
    }

    #[test]
    fn a_hostile_length_fails_before_allocating() {
        let mut bytes = [0u8; 16];
        let mem = GuestFrame::new(&mut bytes);
        let huge = GuestPtr::<[u64]>::new(&mem, (0, u32::MAX / 8));
        assert!(matches!(huge.to_vec(), Err(GuestError::PtrOutOfBounds(_))));
        assert_eq!(
            GuestPtr::<[u8]>::new(&mem, (16, 0)).to_vec(),
            Ok(Vec::new())
        );
        assert!(GuestPtr::<[u8]>::new(&mem, (17, 0)).to_vec().is_err());
    }
}
