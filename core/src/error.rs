//! The one error type of the crate, and the guest region it names.

use core::fmt;
use core::str::Utf8Error;

/// A range of guest memory: `len` bytes starting at guest offset `start`.
///
/// `start + len` may exceed `u32::MAX` only in a region that a check has rejected; a region that
/// passed a bounds check always ends inside the memory.
///
/// # Examples
///
/// ```
/// use guestmem::Region;
///
/// let a = Region::new(8, 4);
/// assert!(a.overlaps(Region::new(11, 1)));
/// assert!(!a.overlaps(Region::new(12, 4)));
/// // An empty region overlaps nothing.
/// assert!(!a.overlaps(Region::new(9, 0)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Region {
    /// Guest offset of the first byte.
    pub start: u32,
    /// Length in bytes.
    pub len: u32,
}

impl Region {
    /// A region of `len` bytes at guest offset `start`.
    pub const fn new(start: u32, len: u32) -> Self {
        Region { start, len }
    }

    /// One past the last byte, in `u64` so that it cannot overflow.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem::Region;
    ///
    /// assert_eq!(Region::new(u32::MAX, 2).end(), 0x1_0000_0001);
    /// ```
    pub const fn end(self) -> u64 {
        // Cannot overflow: both terms are below 2^32.
        #[allow(clippy::arithmetic_side_effects)]
        let end = widen(self.start) + widen(self.len);
        end
    }

    /// Whether the two regions share at least one byte.
    pub const fn overlaps(self, other: Region) -> bool {
        self.len != 0
            && other.len != 0
            && widen(self.start) < other.end()
            && widen(other.start) < self.end()
    }
}

/// `u32` to `u64`; `From` is not usable in a `const fn`.
const fn widen(x: u32) -> u64 {
    #[allow(clippy::as_conversions)] // lossless widening
    let wide = x as u64;
    wide
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}..{:#x}", self.start, self.end())
    }
}

/// Everything that can go wrong when the host touches guest memory.
///
/// Small and `Copy`, so host functions can return it through any FFI layer; every variant that
/// concerns a place in memory carries the [`Region`] that failed.
///
/// # Examples
///
/// ```
/// use guestmem::{GuestError, GuestPtr, Region, GuestFrame};
///
/// let mut bytes = [0u8; 8];
/// let mem = GuestFrame::new(&mut bytes);
/// let err = GuestPtr::<u32>::new(&mem, 6).read().unwrap_err();
/// assert_eq!(err, GuestError::PtrNotAligned(Region::new(6, 4), 4));
/// let err = GuestPtr::<u32>::new(&mem, 8).read().unwrap_err();
/// assert_eq!(err, GuestError::PtrOutOfBounds(Region::new(8, 4)));
/// assert_eq!(err.to_string(), "guest pointer out of bounds: 0x8..0xc");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GuestError {
    /// Computing an address or a length overflowed 32 bits: the range cannot exist in any
    /// guest memory.
    PtrOverflow,
    /// The region does not lie inside the guest memory as it is now.
    PtrOutOfBounds(Region),
    /// The guest offset is not a multiple of the alignment (the second field) that the guest ABI
    /// promises for the type; for a borrowed view, the host address is not aligned for the host
    /// type.
    PtrNotAligned(Region, u32),
    /// The guest bytes of a string are not UTF-8.
    InvalidUtf8(Utf8Error),
    /// A guest enum held a value (the second field) that names no variant of the enum named by
    /// the first field.
    InvalidEnumValue(&'static str, u64),
    /// A guest flag set (named by the first field) had bits set that it does not define; the
    /// second field is the whole value read.
    InvalidFlagValue(&'static str, u64),
    /// A copy between a guest slice and a host slice of different lengths.
    SliceLengthsDiffer,
    /// The caller's buffer or container cannot hold the guest data.
    BufferTooSmall {
        /// Bytes or elements the copy needs.
        needed: u32,
        /// Bytes or elements the destination has room for (saturated at `u32::MAX`).
        available: u32,
    },
    /// The region is borrowed by a live view in a way that forbids this access: a mutable view
    /// forbids any other access, a shared view forbids writes and mutable views.
    BorrowConflict(Region),
    /// The frame's table of live views is full (it holds
    /// [`GuestFrame::capacity`](crate::GuestFrame::capacity) views); drop a view before creating
    /// another.
    TooManyBorrows(Region),
}

impl fmt::Display for GuestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GuestError::PtrOverflow => f.write_str("guest pointer arithmetic overflowed"),
            GuestError::PtrOutOfBounds(r) => write!(f, "guest pointer out of bounds: {r}"),
            GuestError::PtrNotAligned(r, align) => {
                write!(f, "guest pointer {r} not aligned to {align} bytes")
            }
            GuestError::InvalidUtf8(e) => write!(f, "guest string is not UTF-8: {e}"),
            GuestError::InvalidEnumValue(name, v) => {
                write!(f, "invalid value {v} for guest enum {name}")
            }
            GuestError::InvalidFlagValue(name, v) => {
                write!(f, "undefined bits in {v:#x} for guest flags {name}")
            }
            GuestError::SliceLengthsDiffer => f.write_str("guest and host slice lengths differ"),
            GuestError::BufferTooSmall { needed, available } => {
                write!(f, "buffer too small: {needed} needed, room for {available}")
            }
            GuestError::BorrowConflict(r) => {
                write!(f, "guest region {r} is borrowed by a live view")
            }
            GuestError::TooManyBorrows(r) => {
                write!(f, "no room to borrow guest region {r}: too many live views")
            }
        }
    }
}

impl core::error::Error for GuestError {}

#[cfg(feature = "defmt")]
impl defmt::Format for Region {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=u32:#x}..{=u64:#x}", self.start, self.end())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for GuestError {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            GuestError::PtrOverflow => defmt::write!(f, "PtrOverflow"),
            GuestError::PtrOutOfBounds(r) => defmt::write!(f, "PtrOutOfBounds({})", r),
            GuestError::PtrNotAligned(r, a) => defmt::write!(f, "PtrNotAligned({}, {=u32})", r, a),
            GuestError::InvalidUtf8(e) => {
                defmt::write!(f, "InvalidUtf8(valid_up_to={=usize})", e.valid_up_to())
            }
            GuestError::InvalidEnumValue(n, v) => {
                defmt::write!(f, "InvalidEnumValue({=str}, {=u64})", n, v)
            }
            GuestError::InvalidFlagValue(n, v) => {
                defmt::write!(f, "InvalidFlagValue({=str}, {=u64:#x})", n, v)
            }
            GuestError::SliceLengthsDiffer => defmt::write!(f, "SliceLengthsDiffer"),
            GuestError::BufferTooSmall { needed, available } => defmt::write!(
                f,
                "BufferTooSmall {{ needed: {=u32}, available: {=u32} }}",
                needed,
                available
            ),
            GuestError::BorrowConflict(r) => defmt::write!(f, "BorrowConflict({})", r),
            GuestError::TooManyBorrows(r) => defmt::write!(f, "TooManyBorrows({})", r),
        }
    }
}

/// Saturating `usize` to `u32`, for error reports about host buffers.
pub(crate) fn saturate_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
