//! Methods of `GuestPtr<str>`: UTF-8 strings in guest memory, addressed by offset and byte
//! length (guest strings carry their length; nothing here looks for a terminator).

use crate::view::GuestStr;
use crate::{GuestError, GuestPtr};

impl<'a> GuestPtr<'a, str> {
    /// The string's bytes, as an array of `u8` (checks nothing).
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, GuestFrame};
    ///
    /// let mut bytes = *b"abc";
    /// let mem = GuestFrame::new(&mut bytes);
    /// let s = GuestPtr::<str>::new(&mem, (1, 2));
    /// assert_eq!(s.as_bytes().to_heapless::<2>().unwrap().as_slice(), b"bc");
    /// ```
    #[inline]
    pub fn as_bytes(&self) -> GuestPtr<'a, [u8]> {
        GuestPtr::new(self.mem(), self.pointer())
    }

    /// Copies the string into the front of `buf` and returns it as `&str`. The copy is what is
    /// validated, so the guest cannot change the bytes between the check and the use.
    ///
    /// # Errors
    ///
    /// [`GuestError::BufferTooSmall`] if `buf` is shorter than the string;
    /// [`GuestError::InvalidUtf8`] if the bytes are not UTF-8; otherwise the errors of
    /// [`GuestPtr::<[u8]>::copy_to_slice`](GuestPtr::copy_to_slice).
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestError, GuestPtr, GuestFrame};
    ///
    /// let mut bytes = *b"..name\xff";
    /// let mem = GuestFrame::new(&mut bytes);
    /// let mut buf = [0u8; 16];
    /// assert_eq!(GuestPtr::<str>::new(&mem, (2, 4)).copy_to_buf(&mut buf)?, "name");
    /// assert!(matches!(
    ///     GuestPtr::<str>::new(&mem, (2, 5)).copy_to_buf(&mut buf),
    ///     Err(GuestError::InvalidUtf8(_))
    /// ));
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline(always)]
    pub fn copy_to_buf<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, GuestError> {
        let too_small = GuestError::BufferTooSmall {
            needed: self.len(),
            available: crate::error::saturate_u32(buf.len()),
        };
        let len = usize::try_from(self.len()).map_err(|_| too_small)?;
        let dst = buf.get_mut(..len).ok_or(too_small)?;
        self.as_bytes().copy_to_slice(dst)?;
        core::str::from_utf8(dst).map_err(GuestError::InvalidUtf8)
    }

    /// Copies the string into a new `heapless::String` of capacity `N` bytes.
    ///
    /// # Errors
    ///
    /// [`GuestError::BufferTooSmall`] if the string is longer than `N` bytes; otherwise as
    /// [`copy_to_buf`](Self::copy_to_buf).
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, GuestFrame};
    ///
    /// let mut bytes = *b"KEY=value";
    /// let mem = GuestFrame::new(&mut bytes);
    /// let s = GuestPtr::<str>::new(&mem, (0, 9)).to_heapless::<32>()?;
    /// assert_eq!(s.split_once('='), Some(("KEY", "value")));
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn to_heapless<const N: usize>(&self) -> Result<heapless::String<N>, GuestError> {
        let bytes = self.as_bytes().to_heapless::<N>()?;
        heapless::String::from_utf8(bytes).map_err(GuestError::InvalidUtf8)
    }

    /// Lends the string as `&str` without copying, validated once on the lent bytes.
    ///
    /// While the view lives, writes to its bytes fail.
    ///
    /// # Errors
    ///
    /// [`GuestError::InvalidUtf8`] if the bytes are not UTF-8; otherwise the errors of
    /// [`GuestPtr::<[u8]>::as_slice`](GuestPtr::as_slice).
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::{GuestPtr, GuestFrame};
    ///
    /// let mut bytes = *b"/tmp/file.txt";
    /// let mem = GuestFrame::new(&mut bytes);
    /// let path = GuestPtr::<str>::new(&mem, (0, 13)).as_str()?;
    /// assert!(path.ends_with(".txt"));
    /// # Ok::<(), guestmem::GuestError>(())
    /// ```
    #[inline]
    pub fn as_str(&self) -> Result<GuestStr<'a>, GuestError> {
        GuestStr::new(self.mem(), self.offset_base(), self.len())
    }
}
