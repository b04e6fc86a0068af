//! Every `GuestError` variant is produced by a real access, matched by the patterns DESIGN §3
//! names, and displayed in a sentence that names the failing region.
// Tests may index, unwrap, cast and count freely.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::arithmetic_side_effects,
    elided_lifetimes_in_paths,
    missing_docs
)]

use guestmem::{guest_enum, guest_flags, GuestError, GuestPtr, Region, MAX_VIEWS};
use guestmem_tests::{HostBuffer, Placement};

guest_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Clock: u32 { Realtime = 0, Monotonic = 1 }
}

guest_flags! {
    pub struct Events: u16 { const READ = 1; const WRITE = 2; }
}

#[test]
fn every_variant_from_a_real_access() {
    let mut host = HostBuffer::new(16, Placement::Aligned);
    let mem = host.memory();
    let mut produced = Vec::new();

    let e = GuestPtr::<[u8]>::new(&mem, (u32::MAX, 2))
        .validate()
        .unwrap_err();
    assert!(matches!(e, GuestError::PtrOverflow));
    produced.push(e);

    let e = GuestPtr::<u32>::new(&mem, 16).read().unwrap_err();
    assert!(matches!(
        e,
        GuestError::PtrOutOfBounds(Region { start: 16, len: 4 })
    ));
    produced.push(e);

    let e = GuestPtr::<u16>::new(&mem, 3).write(1).unwrap_err();
    assert!(matches!(
        e,
        GuestError::PtrNotAligned(Region { start: 3, len: 2 }, 2)
    ));
    produced.push(e);

    GuestPtr::<[u8]>::new(&mem, (0, 2))
        .copy_from_slice(&[0xC3, 0x28])
        .unwrap();
    let e = GuestPtr::<str>::new(&mem, (0, 2))
        .to_heapless::<4>()
        .unwrap_err();
    assert!(matches!(e, GuestError::InvalidUtf8(..)));
    produced.push(e);

    GuestPtr::<u32>::new(&mem, 4).write(7).unwrap();
    let e = GuestPtr::<Clock>::new(&mem, 4).read().unwrap_err();
    assert!(matches!(e, GuestError::InvalidEnumValue(..)));
    produced.push(e);

    let e = GuestPtr::<Events>::new(&mem, 4).read().unwrap_err();
    assert!(matches!(e, GuestError::InvalidFlagValue("Events", 7)));
    produced.push(e);

    let e = GuestPtr::<[u8]>::new(&mem, (0, 3))
        .copy_to_slice(&mut [0; 2])
        .unwrap_err();
    assert!(matches!(e, GuestError::SliceLengthsDiffer));
    produced.push(e);

    let e = GuestPtr::<str>::new(&mem, (8, 8))
        .copy_to_buf(&mut [0; 4])
        .unwrap_err();
    assert!(matches!(
        e,
        GuestError::BufferTooSmall {
            needed: 8,
            available: 4
        }
    ));
    produced.push(e);

    {
        let _view = GuestPtr::<[u8]>::new(&mem, (8, 4)).as_slice_mut().unwrap();
        let e = GuestPtr::<u32>::new(&mem, 8).read().unwrap_err();
        assert!(matches!(
            e,
            GuestError::BorrowConflict(Region { start: 8, len: 4 })
        ));
        produced.push(e);
    }

    {
        let _views: Vec<_> = (0..MAX_VIEWS)
            .map(|_| GuestPtr::<[u8]>::new(&mem, (0, 1)).as_slice().unwrap())
            .collect();
        let e = GuestPtr::<[u8]>::new(&mem, (0, 1)).as_slice().unwrap_err();
        assert!(matches!(e, GuestError::TooManyBorrows(_)));
        produced.push(e);
    }

    // Each is a distinct, displayable, `core::error::Error`.
    for (i, a) in produced.iter().enumerate() {
        for b in &produced[i + 1..] {
            assert_ne!(a, b);
        }
        let as_error: &dyn core::error::Error = a;
        assert!(!as_error.to_string().is_empty());
    }
}

#[test]
fn display_names_the_region() {
    let cases = [
        (
            GuestError::PtrOverflow,
            "guest pointer arithmetic overflowed",
        ),
        (
            GuestError::PtrOutOfBounds(Region::new(0x10, 4)),
            "guest pointer out of bounds: 0x10..0x14",
        ),
        (
            GuestError::PtrNotAligned(Region::new(3, 8), 8),
            "guest pointer 0x3..0xb not aligned to 8 bytes",
        ),
        (
            GuestError::InvalidEnumValue("Clock", 7),
            "invalid value 7 for guest enum Clock",
        ),
        (
            GuestError::InvalidFlagValue("Events", 0x80),
            "undefined bits in 0x80 for guest flags Events",
        ),
        (
            GuestError::SliceLengthsDiffer,
            "guest and host slice lengths differ",
        ),
        (
            GuestError::BufferTooSmall {
                needed: 9,
                available: 4,
            },
            "buffer too small: 9 needed, room for 4",
        ),
        (
            GuestError::BorrowConflict(Region::new(0, 1)),
            "guest region 0x0..0x1 is borrowed by a live view",
        ),
        (
            GuestError::TooManyBorrows(Region::new(0, 1)),
            "no room to borrow guest region 0x0..0x1: too many live views",
        ),
        (
            GuestError::PtrOutOfBounds(Region::new(u32::MAX, u32::MAX)),
            "guest pointer out of bounds: 0xffffffff..0x1fffffffe",
        ),
    ];
    for (error, text) in cases {
        assert_eq!(error.to_string(), text);
    }
}

#[test]
fn errors_are_small_and_copy() {
    fn is_copy<T: Copy + Send + Sync + 'static>() {}
    is_copy::<GuestError>();
    // A fat `&str` and a `u64` at most: returned in registers or a few stack words.
    assert!(core::mem::size_of::<GuestError>() <= 32);
}
