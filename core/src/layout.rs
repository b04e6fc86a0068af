//! Compile-time wasm32 C layout for [`guest_struct!`](crate::guest_struct), and the field
//! helpers its expansion calls. Not public API: reached through `guestmem::__private`.

use crate::guest_type::MAX_SCRATCH;
use crate::{FrameRef, GuestError, GuestType};

/// Field offsets, size and alignment of a struct of `N` fields in the wasm32 C ABI: each field
/// at the next multiple of its alignment, the struct aligned to its largest field alignment and
/// its size rounded up to that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StructLayout<const N: usize> {
    /// Offset of each field.
    pub offsets: [u32; N],
    /// Size of the struct, padding included.
    pub size: u32,
    /// Alignment of the struct.
    pub align: u32,
}

impl<const N: usize> StructLayout<N> {
    /// The layout of fields given as `(size, align)`, in declaration order.
    ///
    /// Meant for constants only: a layout that cannot exist (alignment not a power of two,
    /// size past 4 GiB, or larger than [`MAX_SCRATCH`]) stops the build.
    // Evaluated at compile time, where a panic is a build error, not a runtime panic.
    #[allow(
        clippy::indexing_slicing,
        clippy::panic,
        clippy::arithmetic_side_effects
    )]
    pub const fn new(fields: [(u32, u32); N]) -> Self {
        let mut offsets = [0u32; N];
        let mut at = 0u32;
        let mut align = 1u32;
        let mut i = 0;
        while i < N {
            let (size, field_align) = fields[i];
            at = align_up(at, field_align);
            offsets[i] = at;
            at = match at.checked_add(size) {
                Some(end) => end,
                None => panic!("guest struct larger than 4 GiB"),
            };
            if field_align > align {
                align = field_align;
            }
            i += 1;
        }
        let size = align_up(at, align);
        if size > MAX_SCRATCH {
            panic!("guest struct larger than guestmem::MAX_SCRATCH bytes");
        }
        StructLayout {
            offsets,
            size,
            align,
        }
    }
}

/// `at` rounded up to a multiple of `align`, a power of two.
#[allow(clippy::panic, clippy::arithmetic_side_effects)]
const fn align_up(at: u32, align: u32) -> u32 {
    if !align.is_power_of_two() {
        panic!("guest alignment must be a power of two");
    }
    // `align >= 1`, so `align - 1` cannot underflow.
    let mask = align - 1;
    match at.checked_add(mask) {
        Some(up) => up & !mask,
        None => panic!("guest struct larger than 4 GiB"),
    }
}

/// The bytes of the field at `offset` of type `F`.
#[inline(always)]
fn field<'b, 'a, F: GuestType<'a>>(
    bytes: &'b [u8],
    offset: Option<&u32>,
) -> Result<&'b [u8], GuestError> {
    let too_small = GuestError::BufferTooSmall {
        needed: offset.map_or(F::GUEST_SIZE, |o| o.saturating_add(F::GUEST_SIZE)),
        available: crate::error::saturate_u32(bytes.len()),
    };
    let start = usize::try_from(*offset.ok_or(too_small)?).map_err(|_| too_small)?;
    bytes.get(start..).ok_or(too_small)
}

/// Decodes the field of type `F` at `offset` of a struct's bytes.
///
/// # Errors
///
/// [`GuestError::BufferTooSmall`] if the field does not fit; the errors of `F::decode`.
#[inline(always)]
pub fn decode_field<'a, F: GuestType<'a>>(
    mem: FrameRef<'a>,
    bytes: &[u8],
    offset: Option<&u32>,
) -> Result<F, GuestError> {
    F::decode(mem, field::<F>(bytes, offset)?)
}

/// Encodes `value` as the field at `offset` of a struct's bytes.
///
/// # Errors
///
/// [`GuestError::BufferTooSmall`] if the field does not fit.
#[inline(always)]
pub fn encode_field<'a, F: GuestType<'a>>(
    value: &F,
    bytes: &mut [u8],
    offset: Option<&u32>,
) -> Result<(), GuestError> {
    let too_small = GuestError::BufferTooSmall {
        needed: offset.map_or(F::GUEST_SIZE, |o| o.saturating_add(F::GUEST_SIZE)),
        available: crate::error::saturate_u32(bytes.len()),
    };
    let start = usize::try_from(*offset.ok_or(too_small)?).map_err(|_| too_small)?;
    value.encode(bytes.get_mut(start..).ok_or(too_small)?)
}

/// The first `size` bytes of `bytes`: a struct is decoded from all of its bytes, trailing
/// padding included, as [`GuestType::decode`] promises.
///
/// # Errors
///
/// [`GuestError::BufferTooSmall`] if `bytes` is shorter than `size`.
#[inline(always)]
pub fn whole(bytes: &[u8], size: u32) -> Result<&[u8], GuestError> {
    let too_small = GuestError::BufferTooSmall {
        needed: size,
        available: crate::error::saturate_u32(bytes.len()),
    };
    let len = usize::try_from(size).map_err(|_| too_small)?;
    bytes.get(..len).ok_or(too_small)
}

/// Zeroes the first `size` bytes of `bytes` (a struct's padding must reach the guest as zeroes)
/// and returns them.
///
/// # Errors
///
/// [`GuestError::BufferTooSmall`] if `bytes` is shorter than `size`.
#[inline(always)]
pub fn zeroed(bytes: &mut [u8], size: u32) -> Result<&mut [u8], GuestError> {
    let too_small = GuestError::BufferTooSmall {
        needed: size,
        available: crate::error::saturate_u32(bytes.len()),
    };
    let len = usize::try_from(size).map_err(|_| too_small)?;
    let out = bytes.get_mut(..len).ok_or(too_small)?;
    out.fill(0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasm32_c_layout() {
        // struct { u8 a; u64 b; u16 c; } is 24 bytes, aligned to 8, in wasm32 C.
        let l = StructLayout::new([(1, 1), (8, 8), (2, 2)]);
        assert_eq!(
            l,
            StructLayout {
                offsets: [0, 8, 16],
                size: 24,
                align: 8
            }
        );
        // struct { u32 buf; u32 len; } (a WASI iovec).
        let l = StructLayout::new([(4, 4), (4, 4)]);
        assert_eq!((l.offsets, l.size, l.align), ([0, 4], 8, 4));
        // An empty struct.
        let l = StructLayout::<0>::new([]);
        assert_eq!((l.size, l.align), (0, 1));
        assert_eq!(align_up(13, 4), 16);
        assert_eq!(align_up(16, 16), 16);
    }

    #[test]
    fn fields_outside_the_bytes_are_errors() {
        let bytes = [0u8; 4];
        let frame = crate::GuestFrame::empty();
        let mem = FrameRef::from(&frame);
        assert!(decode_field::<u32>(mem, &bytes, Some(&0)).is_ok());
        assert!(decode_field::<u32>(mem, &bytes, Some(&2)).is_err());
        assert!(decode_field::<u32>(mem, &bytes, None).is_err());
        let mut out = [0u8; 4];
        assert!(encode_field(&1u64, &mut out, Some(&0)).is_err());
        assert!(zeroed(&mut out, 5).is_err());
        assert_eq!(whole(&bytes, 4).map(<[u8]>::len), Ok(4));
        assert_eq!(
            whole(&bytes, 5),
            Err(GuestError::BufferTooSmall {
                needed: 5,
                available: 4
            })
        );
    }
}
