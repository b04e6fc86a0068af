//! [`GuestType`]: how a Rust value is laid out in guest memory, and its impls for primitives and
//! guest pointers.

use crate::raw::{self, Plain, Transparent};
use crate::{FrameRef, GuestError, GuestPtr};

/// A type with a fixed encoding in guest memory: `GUEST_SIZE` bytes, little-endian, aligned to
/// `GUEST_ALIGN` in the guest's address space (the wasm32 C ABI).
///
/// Implemented here for `u8 i8 u16 i16 u32 i32 u64 i64 f32 f64` and for [`GuestPtr`] (stored as
/// a `u32` offset); structs, enums and flag sets get it from [`guest_struct!`](crate::guest_struct),
/// [`guest_enum!`](crate::guest_enum) and [`guest_flags!`](crate::guest_flags). It is
/// deliberately not implemented for `usize`/`isize` (their host size is not the guest's) nor for
/// `bool`/`char` (not every guest byte pattern is one).
///
/// A type implements [`decode`](GuestType::decode) and [`encode`](GuestType::encode) over a byte
/// buffer; the provided [`read`](GuestType::read) and [`write`](GuestType::write) check the
/// guest range once, move the bytes through a buffer on the stack (for types of at most
/// [`MAX_SCRATCH`] bytes) and call them. Primitives override `read` and `write` to access guest
/// memory directly.
///
/// The `'a` is the lifetime of the memory borrow, which types that hold a `GuestPtr` need.
///
/// # Examples
///
/// ```
/// use guestmem::{GuestPtr, GuestType, GuestFrame};
///
/// assert_eq!(<u64 as GuestType>::guest_size(), 8);
/// assert_eq!(<GuestPtr<'_, u8> as GuestType>::guest_align(), 4);
///
/// let mut bytes = [0u8; 16];
/// let mem = GuestFrame::new(&mut bytes);
/// let p = GuestPtr::<u64>::new(&mem, 8);
/// p.write(0x1122_3344_5566_7788)?;
/// assert_eq!(p.read()?, 0x1122_3344_5566_7788);
/// # Ok::<(), guestmem::GuestError>(())
/// ```
///
/// `usize` has no guest encoding (its size is the host's); using it is a build error that says
/// so (`on_unimplemented`):
///
/// ```compile_fail
/// use guestmem::{GuestFrame, GuestPtr};
///
/// let mut bytes = [0u8; 8];
/// let mem = GuestFrame::new(&mut bytes);
/// let _ = GuestPtr::<usize>::new(&mem, 0).read();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no layout in guest memory",
    label = "not a guest type",
    note = "declare structs, enums and flag sets with `guest_struct!`, `guest_enum!` and \
            `guest_flags!`; `usize`, `isize`, `bool` and `char` have no fixed guest encoding"
)]
pub trait GuestType<'a>: Sized {
    /// Size in guest memory, in bytes.
    const GUEST_SIZE: u32;
    /// Alignment in guest memory, in bytes (a power of two).
    const GUEST_ALIGN: u32;

    /// Size in guest memory, in bytes.
    fn guest_size() -> u32 {
        Self::GUEST_SIZE
    }

    /// Alignment in guest memory, in bytes.
    fn guest_align() -> u32 {
        Self::GUEST_ALIGN
    }

    /// Decodes a value from the first `GUEST_SIZE` bytes of `bytes` (a copy of guest memory).
    ///
    /// `mem` is the memory the bytes came from, for types that hold a [`GuestPtr`].
    ///
    /// # Errors
    ///
    /// [`GuestError::BufferTooSmall`] if `bytes` is shorter than `GUEST_SIZE`; a validation
    /// error such as [`GuestError::InvalidEnumValue`] if the bytes encode no value of the type.
    fn decode(mem: FrameRef<'a>, bytes: &[u8]) -> Result<Self, GuestError>;

    /// Encodes the value into the first `GUEST_SIZE` bytes of `bytes`, padding included (as
    /// zeroes, so that no host data reaches the guest).
    ///
    /// # Errors
    ///
    /// [`GuestError::BufferTooSmall`] if `bytes` is shorter than `GUEST_SIZE`.
    fn encode(&self, bytes: &mut [u8]) -> Result<(), GuestError>;

    /// Reads a value from guest memory.
    ///
    /// # Errors
    ///
    /// Any error of [`GuestPtr::read`].
    #[inline]
    fn read(ptr: &GuestPtr<'a, Self>) -> Result<Self, GuestError> {
        with_scratch(Self::GUEST_SIZE, |bytes| {
            // Copied out first: `decode` (user code) runs on the copy, with no range held.
            raw::copy_out(
                ptr.mem(),
                ptr.offset(),
                Self::GUEST_SIZE,
                Self::GUEST_ALIGN,
                bytes,
                BYTES,
            )?;
            Self::decode(ptr.mem(), bytes)
        })
    }

    /// Writes a value into guest memory.
    ///
    /// # Errors
    ///
    /// Any error of [`GuestPtr::write`].
    #[inline]
    fn write(ptr: &GuestPtr<'_, Self>, val: Self) -> Result<(), GuestError> {
        with_scratch(Self::GUEST_SIZE, |bytes| {
            // Encoded first: `encode` (user code) runs before the range is checked.
            val.encode(bytes)?;
            raw::copy_in(
                ptr.mem(),
                ptr.offset(),
                Self::GUEST_SIZE,
                Self::GUEST_ALIGN,
                bytes,
                BYTES,
            )
        })
    }

    /// `Some` exactly when `Self: GuestTypeTransparent`: selects the bulk copy paths. A
    /// constant, so that choosing runs no code; only the sealed primitives can build the proof.
    #[doc(hidden)]
    const TRANSPARENT: Option<Transparent<Self>> = None;
}

/// Types whose host representation is their guest encoding, on this host: slices of them are
/// copied with one `memcpy` and can be borrowed as zero-copy views.
///
/// Implemented for `u8` and `i8` everywhere, and for the wider integers and floats on
/// little-endian hosts only (guest memory is little-endian). Sealed: the crate's safety
/// argument depends on exactly which types these are, so no other type can implement it.
///
/// # Examples
///
/// ```
/// use guestmem::GuestTypeTransparent;
///
/// fn bulk<T: GuestTypeTransparent>() {}
/// bulk::<u8>();
/// # #[cfg(target_endian = "little")]
/// bulk::<u32>();
/// ```
///
/// A struct, even one without padding, is not transparent (its fields are validated and its
/// byte order converted one by one):
///
/// ```compile_fail
/// use guestmem::{guest_struct, GuestTypeTransparent};
///
/// guest_struct! {
///     #[derive(Clone, Copy)]
///     pub struct Pair { pub a: u32, pub b: u32 }
/// }
/// fn bulk<T: GuestTypeTransparent>() {}
/// bulk::<Pair>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be copied or lent as raw bytes",
    label = "host bytes are not guest bytes",
    note = "only `u8` and `i8`, and the wider integers and floats on little-endian hosts, are \
            transparent: copy other types out with `copy_to_slice`, `to_heapless` or `read_iter`"
)]
pub trait GuestTypeTransparent: Plain + for<'a> GuestType<'a> {}

impl<T: Plain + for<'a> GuestType<'a>> GuestTypeTransparent for T {}

/// The proof for bytes, which the default `read`/`write` copy through.
const BYTES: Transparent<u8> = Transparent::new();

/// The largest `GUEST_SIZE` that the provided [`GuestType::read`] and [`GuestType::write`]
/// handle (through a stack buffer); [`guest_struct!`](crate::guest_struct) refuses larger
/// structs at compile time.
///
/// ```
/// assert_eq!(guestmem::MAX_SCRATCH, 256);
/// ```
pub const MAX_SCRATCH: u32 = 256;

/// [`MAX_SCRATCH`] as a `usize`, for array lengths.
#[allow(clippy::as_conversions)] // 256 fits every `usize`
pub(crate) const SCRATCH_LEN: usize = MAX_SCRATCH as usize;

/// Runs `f` on a zeroed stack buffer of exactly `size` bytes.
#[inline(always)]
pub(crate) fn with_scratch<R>(
    size: u32,
    f: impl FnOnce(&mut [u8]) -> Result<R, GuestError>,
) -> Result<R, GuestError> {
    #[inline(always)]
    fn run<const N: usize, R>(
        size: u32,
        f: impl FnOnce(&mut [u8]) -> Result<R, GuestError>,
    ) -> Result<R, GuestError> {
        let mut buf = [0u8; N];
        let too_small = GuestError::BufferTooSmall {
            needed: size,
            available: crate::error::saturate_u32(N),
        };
        let len = usize::try_from(size).map_err(|_| too_small)?;
        f(buf.get_mut(..len).ok_or(too_small)?)
    }
    // `size` is a constant at every call site, so only one arm survives.
    match size {
        0..=16 => run::<16, R>(size, f),
        17..=64 => run::<64, R>(size, f),
        _ => run::<SCRATCH_LEN, R>(size, f),
    }
}

/// The first `N` bytes of `bytes`, for decoding.
#[inline(always)]
pub(crate) fn first<const N: usize>(bytes: &[u8]) -> Result<[u8; N], GuestError> {
    bytes
        .first_chunk::<N>()
        .copied()
        .ok_or(GuestError::BufferTooSmall {
            needed: crate::error::saturate_u32(N),
            available: crate::error::saturate_u32(bytes.len()),
        })
}

/// The first `N` bytes of `bytes`, for encoding.
#[inline(always)]
pub(crate) fn first_mut<const N: usize>(bytes: &mut [u8]) -> Result<&mut [u8; N], GuestError> {
    let available = crate::error::saturate_u32(bytes.len());
    bytes
        .first_chunk_mut::<N>()
        .ok_or(GuestError::BufferTooSmall {
            needed: crate::error::saturate_u32(N),
            available,
        })
}

macro_rules! primitives {
    ($($t:ty => $transparent:ident),* $(,)?) => {$(
        impl<'a> GuestType<'a> for $t {
            const GUEST_SIZE: u32 = core::mem::size_of::<$t>() as u32;
            const GUEST_ALIGN: u32 = core::mem::size_of::<$t>() as u32;
            const TRANSPARENT: Option<Transparent<Self>> = $transparent!($t);

            #[inline]
            fn decode(_mem: FrameRef<'a>, bytes: &[u8]) -> Result<Self, GuestError> {
                first(bytes).map(<$t>::from_le_bytes)
            }

            #[inline]
            fn encode(&self, bytes: &mut [u8]) -> Result<(), GuestError> {
                *first_mut(bytes)? = self.to_le_bytes();
                Ok(())
            }

            // Always inlined: the check and one load or store, the refusal out of line.
            #[inline(always)]
            fn read(ptr: &GuestPtr<'a, Self>) -> Result<Self, GuestError> {
                raw::read_array(ptr.mem(), ptr.offset(), Self::GUEST_ALIGN).map(<$t>::from_le_bytes)
            }

            #[inline(always)]
            fn write(ptr: &GuestPtr<'_, Self>, val: Self) -> Result<(), GuestError> {
                raw::write_array(ptr.mem(), ptr.offset(), Self::GUEST_ALIGN, val.to_le_bytes())
            }
        }
    )*};
}

// Only `size_of` of primitives (at most 8) is converted: lossless.
#[allow(clippy::as_conversions)]
mod impls {
    use super::*;

    /// Always transparent: one byte has no byte order.
    macro_rules! always {
        ($t:ty) => {
            Some(Transparent::<$t>::new())
        };
    }

    cfg_if::cfg_if! {
        if #[cfg(target_endian = "little")] {
            /// Transparent on this little-endian host.
            macro_rules! if_little_endian {
                ($t:ty) => {
                    Some(Transparent::<$t>::new())
                };
            }
        } else {
            /// Not transparent: the host is big-endian, so values are converted one by one.
            macro_rules! if_little_endian {
                ($t:ty) => {
                    None
                };
            }
        }
    }

    primitives! {
        u8 => always, i8 => always,
        u16 => if_little_endian, i16 => if_little_endian,
        u32 => if_little_endian, i32 => if_little_endian,
        u64 => if_little_endian, i64 => if_little_endian,
        f32 => if_little_endian, f64 => if_little_endian,
    }
}

/// An array of `N` guest values, laid out back to back (a `char name[16]` field of a C struct):
/// `N * T::GUEST_SIZE` bytes, aligned as `T`.
///
/// # Examples
///
/// ```
/// use guestmem::{guest_struct, GuestFrame, GuestPtr, GuestType};
///
/// guest_struct! {
///     #[derive(Debug, PartialEq)]
///     pub struct Entry {
///         pub name: [u8; 6],
///         pub size: u16,
///     }
/// }
/// assert_eq!(<Entry as GuestType>::guest_size(), 8);
///
/// let mut bytes = [0u8; 8];
/// let mem = GuestFrame::new(&mut bytes);
/// let at = GuestPtr::<Entry>::new(&mem, 0);
/// at.write(Entry { name: *b"a.txt\0", size: 513 })?;
/// assert_eq!(at.read()?.name, *b"a.txt\0");
/// # Ok::<(), guestmem::GuestError>(())
/// ```
impl<'a, T: GuestType<'a>, const N: usize> GuestType<'a> for [T; N] {
    const GUEST_SIZE: u32 = array_size(T::GUEST_SIZE, N);
    const GUEST_ALIGN: u32 = T::GUEST_ALIGN;

    fn decode(mem: FrameRef<'a>, bytes: &[u8]) -> Result<Self, GuestError> {
        let too_small = GuestError::BufferTooSmall {
            needed: Self::GUEST_SIZE,
            available: crate::error::saturate_u32(bytes.len()),
        };
        let size = usize::try_from(T::GUEST_SIZE).map_err(|_| too_small)?;
        let len = usize::try_from(Self::GUEST_SIZE).map_err(|_| too_small)?;
        let bytes = bytes.get(..len).ok_or(too_small)?;
        let mut out = heapless::Vec::<T, N>::new();
        for i in 0..N {
            let at = i.checked_mul(size).ok_or(too_small)?;
            let element = bytes.get(at..).ok_or(too_small)?;
            // `N` pushes into a vector of capacity `N`: never full.
            out.push(T::decode(mem, element)?).map_err(|_| too_small)?;
        }
        out.into_array().map_err(|_| too_small)
    }

    fn encode(&self, bytes: &mut [u8]) -> Result<(), GuestError> {
        let too_small = GuestError::BufferTooSmall {
            needed: Self::GUEST_SIZE,
            available: crate::error::saturate_u32(bytes.len()),
        };
        let size = usize::try_from(T::GUEST_SIZE).map_err(|_| too_small)?;
        for (i, value) in self.iter().enumerate() {
            let at = i.checked_mul(size).ok_or(too_small)?;
            value.encode(bytes.get_mut(at..).ok_or(too_small)?)?;
        }
        Ok(())
    }
}

/// `n` elements of `size` bytes, at compile time: an array past 4 GiB stops the build.
#[allow(clippy::panic, clippy::as_conversions)] // evaluated in constants only
const fn array_size(size: u32, n: usize) -> u32 {
    let n = if n > u32::MAX as usize {
        panic!("guest array larger than 4 GiB")
    } else {
        n as u32
    };
    match size.checked_mul(n) {
        Some(bytes) => bytes,
        None => panic!("guest array larger than 4 GiB"),
    }
}

/// A guest pointer stored in guest memory: a `u32` offset.
impl<'a, T> GuestType<'a> for GuestPtr<'a, T> {
    const GUEST_SIZE: u32 = 4;
    const GUEST_ALIGN: u32 = 4;

    #[inline]
    fn decode(mem: FrameRef<'a>, bytes: &[u8]) -> Result<Self, GuestError> {
        first(bytes).map(|b| GuestPtr::new(mem, u32::from_le_bytes(b)))
    }

    #[inline]
    fn encode(&self, bytes: &mut [u8]) -> Result<(), GuestError> {
        *first_mut(bytes)? = self.offset().to_le_bytes();
        Ok(())
    }

    #[inline]
    fn read(ptr: &GuestPtr<'a, Self>) -> Result<Self, GuestError> {
        ptr.cast::<u32>()
            .read()
            .map(|o| GuestPtr::new(ptr.mem(), o))
    }

    #[inline]
    fn write(ptr: &GuestPtr<'_, Self>, val: Self) -> Result<(), GuestError> {
        ptr.cast::<u32>().write(val.offset())
    }
}
