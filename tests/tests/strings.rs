//! Strings and the alloc extension: copy-out into caller buffers, `heapless`, `Vec`,
//! `String` and `Cow`, each validating exactly the bytes it returns (DESIGN §4.5).
// Tests may index, unwrap, cast and count freely.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::arithmetic_side_effects,
    elided_lifetimes_in_paths,
    missing_docs
)]

use guestmem::{GuestError, GuestPtr, Region, MAX_VIEWS};
use guestmem_alloc::{GuestCowStr, GuestSliceExt, GuestStrExt};
use guestmem_tests::{HostBuffer, Placement};

#[test]
fn copy_out_paths_agree() {
    for placement in Placement::ALL {
        let mut host = HostBuffer::with_bytes("..κόσμε..".as_bytes(), placement);
        let mem = host.memory();
        let s = GuestPtr::<str>::new(&mem, (2, 10));
        let mut buf = [0u8; 32];
        assert_eq!(s.copy_to_buf(&mut buf), Ok("κόσμε"));
        assert_eq!(s.to_heapless::<10>().unwrap(), "κόσμε");
        assert_eq!(s.to_string().unwrap(), "κόσμε");
        assert_eq!(&*s.as_str().unwrap(), "κόσμε");
        assert_eq!(s.as_cow_str().unwrap().as_cow(), "κόσμε");
        assert_eq!(s.as_bytes().to_vec().unwrap(), "κόσμε".as_bytes());
        assert_eq!((s.len(), s.is_empty(), s.offset_base()), (10, false, 2));
    }
}

#[test]
fn too_small_and_invalid() {
    let mut host = HostBuffer::with_bytes(b"abc\xffdef", Placement::Aligned);
    let mem = host.memory();
    let all = GuestPtr::<str>::new(&mem, (0, 7));
    assert_eq!(
        all.to_heapless::<6>().unwrap_err(),
        GuestError::BufferTooSmall {
            needed: 7,
            available: 6
        }
    );
    assert_eq!(
        all.copy_to_buf(&mut [0; 6]).unwrap_err(),
        GuestError::BufferTooSmall {
            needed: 7,
            available: 6
        }
    );
    for result in [
        all.to_heapless::<7>().map(drop),
        all.to_string().map(drop),
        all.as_str().map(drop),
        all.as_cow_str().map(drop),
        all.copy_to_buf(&mut [0; 7]).map(drop),
    ] {
        assert!(matches!(result, Err(GuestError::InvalidUtf8(e)) if e.valid_up_to() == 3));
    }
    let past_end = GuestPtr::<str>::new(&mem, (4, 4));
    assert_eq!(
        past_end.to_string(),
        Err(GuestError::PtrOutOfBounds(Region::new(4, 4)))
    );
    assert!(matches!(
        past_end.as_cow_str(),
        Err(GuestError::PtrOutOfBounds(_))
    ));
    assert!(matches!(
        GuestPtr::<str>::new(&mem, (0, 3)).as_cow_str().unwrap(),
        GuestCowStr::Borrowed(_)
    ));
}

#[test]
fn vec_of_structs_and_of_wide_integers() {
    let mut host = HostBuffer::new(64, Placement::Misaligned);
    let mem = host.memory();
    let words = GuestPtr::<[u64]>::new(&mem, (8, 3));
    words.copy_from_slice(&[1, u64::MAX, 3]).unwrap();
    assert_eq!(words.to_vec().unwrap(), [1, u64::MAX, 3]);
    let ptrs = GuestPtr::<[GuestPtr<u8>]>::new(&mem, (8, 2));
    assert_eq!(ptrs.to_vec().unwrap()[0].offset(), 1);
    assert_eq!(
        GuestPtr::<[u64]>::new(&mem, (4, 1)).to_vec().unwrap_err(),
        GuestError::PtrNotAligned(Region::new(4, 8), 8)
    );
}

/// `to_vec` copies an array that can be lent out of a view, which ends with the call; where
/// no view can be made it copies without one, and what refuses a read refuses it.
#[test]
fn to_vec_with_and_without_a_view() {
    for placement in Placement::ALL {
        let mut host = HostBuffer::with_bytes(b"0123456789abcdef", placement);
        let mem = host.memory();
        let bytes = GuestPtr::<[u8]>::new(&mem, (0, 16));
        let words = GuestPtr::<[u32]>::new(&mem, (4, 2)); // a view only where the host is aligned
        let expected = [u32::from_le_bytes(*b"4567"), u32::from_le_bytes(*b"89ab")];
        assert_eq!(bytes.to_vec().unwrap(), b"0123456789abcdef");
        assert_eq!(words.to_vec().unwrap(), expected);
        assert!(!mem.has_live_views());
        // The table of views full: copied without one.
        let views: Vec<_> = (0..MAX_VIEWS)
            .map(|i| {
                GuestPtr::<[u8]>::new(&mem, (i as u32, 1))
                    .as_slice()
                    .unwrap()
            })
            .collect();
        assert_eq!(bytes.to_vec().unwrap(), b"0123456789abcdef");
        assert_eq!(words.to_vec().unwrap(), expected);
        drop(views);
        // Under a mutable view: refused, as a read is.
        let view = GuestPtr::<[u8]>::new(&mem, (8, 1)).as_slice_mut().unwrap();
        assert!(matches!(bytes.to_vec(), Err(GuestError::BorrowConflict(_))));
        assert!(matches!(words.to_vec(), Err(GuestError::BorrowConflict(_))));
        drop(view);
        // Misaligned in the guest, past the end: the errors of a read.
        assert_eq!(
            GuestPtr::<[u32]>::new(&mem, (2, 1)).to_vec(),
            Err(GuestError::PtrNotAligned(Region::new(2, 4), 4))
        );
        assert_eq!(
            GuestPtr::<[u8]>::new(&mem, (8, 9)).to_vec(),
            Err(GuestError::PtrOutOfBounds(Region::new(8, 9)))
        );
    }
}
