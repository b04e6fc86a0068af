//! DESIGN §4.4, §4.5: zero-copy views are recorded while they live; overlapping shared and
//! mutable access is refused; typed views are refused on a misaligned host address; strings
//! are validated on the bytes they lend.
// Tests may index, unwrap, cast and count freely.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::arithmetic_side_effects,
    elided_lifetimes_in_paths,
    missing_docs
)]

use guestmem::{guest_struct, FrameRef, GuestError, GuestFrame, GuestPtr, Region, MAX_VIEWS};
use guestmem_tests::{HostBuffer, Placement};

#[test]
fn shared_views_block_writes_and_mutable_views() {
    let mut host = HostBuffer::with_bytes(b"0123456789abcdef", Placement::Aligned);
    let mem = host.memory();
    let head = GuestPtr::<[u8]>::new(&mem, (0, 8));
    let view = head.as_slice().unwrap();
    let again = head.as_slice().unwrap();
    assert_eq!(&*view, b"01234567");
    assert_eq!(&*again, &*view);
    // Reads of the region still work; writes and mutable views do not.
    assert_eq!(GuestPtr::<u8>::new(&mem, 7).read(), Ok(b'7'));
    assert_eq!(
        GuestPtr::<u8>::new(&mem, 7).write(0),
        Err(GuestError::BorrowConflict(Region::new(7, 1)))
    );
    assert_eq!(
        GuestPtr::<[u8]>::new(&mem, (4, 8))
            .as_slice_mut()
            .unwrap_err(),
        GuestError::BorrowConflict(Region::new(4, 8))
    );
    assert!(GuestPtr::<[u8]>::new(&mem, (4, 8))
        .copy_from_slice(&[0; 8])
        .is_err());
    // Outside the region everything works.
    GuestPtr::<[u8]>::new(&mem, (8, 8))
        .as_slice_mut()
        .unwrap()
        .fill(b'x');
    assert!(mem.has_live_views());
    drop(view);
    assert!(
        GuestPtr::<u8>::new(&mem, 7).write(0).is_err(),
        "the second view still lives"
    );
    drop(again);
    assert!(!mem.has_live_views());
    GuestPtr::<u8>::new(&mem, 7).write(b'!').unwrap();
    let mut out = [0u8; 16];
    GuestPtr::<[u8]>::new(&mem, (0, 16))
        .copy_to_slice(&mut out)
        .unwrap();
    assert_eq!(&out, b"0123456!xxxxxxxx");
}

#[test]
fn a_mutable_view_excludes_every_other_access() {
    let mut host = HostBuffer::new(32, Placement::Aligned);
    let mem = host.memory();
    let mut view = GuestPtr::<[u8]>::new(&mem, (8, 8)).as_slice_mut().unwrap();
    view[4..].copy_from_slice(&0xdead_beef_u32.to_le_bytes());
    let conflict = |r| Err::<(), _>(GuestError::BorrowConflict(r));
    assert_eq!(
        GuestPtr::<u32>::new(&mem, 12).read().map(drop),
        conflict(Region::new(12, 4))
    );
    assert_eq!(
        GuestPtr::<u8>::new(&mem, 15).read().map(drop),
        conflict(Region::new(15, 1))
    );
    assert_eq!(
        GuestPtr::<[u8]>::new(&mem, (0, 9)).as_slice().map(drop),
        conflict(Region::new(0, 9))
    );
    assert_eq!(
        GuestPtr::<str>::new(&mem, (15, 2)).as_str().map(drop),
        conflict(Region::new(15, 2))
    );
    let mut buf = [0u8; 4];
    assert!(GuestPtr::<str>::new(&mem, (14, 4))
        .copy_to_buf(&mut buf)
        .is_err());
    // Neighbours are free.
    assert_eq!(GuestPtr::<u32>::new(&mem, 16).read(), Ok(0));
    assert_eq!(GuestPtr::<u32>::new(&mem, 4).read(), Ok(0));
    drop(view);
    assert_eq!(GuestPtr::<u32>::new(&mem, 12).read(), Ok(0xdead_beef));
}

/// Typed views exist only where host bytes are guest bytes: on little-endian hosts.
#[cfg(target_endian = "little")]
#[test]
fn typed_views_need_an_aligned_host_address() {
    let mut host = HostBuffer::new(32, Placement::Misaligned);
    let mem = host.memory();
    // The guest offset is aligned; the host address is one byte off.
    assert_eq!(
        GuestPtr::<[u32]>::new(&mem, (8, 2)).as_slice().unwrap_err(),
        GuestError::PtrNotAligned(Region::new(8, 8), 4)
    );
    assert!(GuestPtr::<[u64]>::new(&mem, (8, 1)).as_slice_mut().is_err());
    // A refused view leaves nothing recorded.
    assert!(!mem.has_live_views());
    // Byte views and copies work anywhere.
    assert_eq!(
        GuestPtr::<[u8]>::new(&mem, (3, 5))
            .as_slice()
            .unwrap()
            .len(),
        5
    );
    let mut out = [0u32; 2];
    GuestPtr::<[u32]>::new(&mem, (8, 2))
        .copy_to_slice(&mut out)
        .unwrap();

    let mut host = HostBuffer::new(32, Placement::Aligned);
    let mem = host.memory();
    assert_eq!(
        GuestPtr::<[u64]>::new(&mem, (8, 3))
            .as_slice()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn the_view_table_has_a_fixed_capacity() {
    let mut host = HostBuffer::new(64, Placement::Aligned);
    let mem = host.memory();
    let views: Vec<_> = (0..MAX_VIEWS)
        .map(|i| {
            GuestPtr::<[u8]>::new(&mem, (u32::try_from(i).unwrap(), 1))
                .as_slice()
                .unwrap()
        })
        .collect();
    assert_eq!(
        GuestPtr::<[u8]>::new(&mem, (60, 1)).as_slice().unwrap_err(),
        GuestError::TooManyBorrows(Region::new(60, 1))
    );
    // Copies do not need the table.
    assert_eq!(GuestPtr::<u8>::new(&mem, 60).read(), Ok(0));
    drop(views);
    assert!(GuestPtr::<[u8]>::new(&mem, (60, 1)).as_slice().is_ok());
}

/// A frame of capacity `N` over 64 bytes holds `N` one-byte views, refuses the next with
/// `TooManyBorrows`, copies alongside them, and takes one more after a release.
fn capacity_is_enforced<const N: usize>() {
    let mut host = HostBuffer::new(64, Placement::Aligned);
    let frame = GuestFrame::<N>::with_views(host.bytes_mut());
    assert_eq!(frame.capacity(), N);
    assert_eq!(FrameRef::from(&frame).capacity(), N);
    let one = |at: usize| GuestPtr::<[u8]>::new(&frame, (u32::try_from(at).unwrap(), 1));
    let mut views: Vec<_> = (0..N).map(|i| one(i).as_slice().unwrap()).collect();
    let next = Region::new(u32::try_from(N).unwrap(), 1);
    assert_eq!(
        one(N).as_slice().unwrap_err(),
        GuestError::TooManyBorrows(next)
    );
    assert_eq!(
        one(N).as_slice_mut().unwrap_err(),
        GuestError::TooManyBorrows(next)
    );
    assert_eq!(
        GuestPtr::<str>::new(&frame, (next.start, 1))
            .as_str()
            .unwrap_err(),
        GuestError::TooManyBorrows(next)
    );
    // Copies do not need a slot.
    GuestPtr::<u8>::new(&frame, 63).write(9).unwrap();
    assert_eq!(GuestPtr::<u8>::new(&frame, 63).read(), Ok(9));
    let mut out = [0u8; 4];
    GuestPtr::<[u8]>::new(&frame, (60, 4))
        .copy_to_slice(&mut out)
        .unwrap();
    assert_eq!(out, [0, 0, 0, 9]);
    // The views still guard their bytes.
    if N > 0 {
        assert_eq!(
            GuestPtr::<u8>::new(&frame, 0).write(1),
            Err(GuestError::BorrowConflict(Region::new(0, 1)))
        );
        // Release one: one more view fits, and the one after is refused again.
        drop(views.swap_remove(0));
        let mut last = one(N).as_slice_mut().unwrap();
        last[0] = 5;
        assert_eq!(
            one(N + 1).as_slice().unwrap_err(),
            GuestError::TooManyBorrows(Region::new(next.start + 1, 1))
        );
        drop(last);
        assert_eq!(GuestPtr::<u8>::new(&frame, next.start).read(), Ok(5));
    }
    drop(views);
    assert!(!frame.has_live_views());
}

#[test]
fn a_frame_of_one_view_refuses_the_second() {
    capacity_is_enforced::<1>();
}

#[test]
fn a_frame_of_32_views_refuses_the_33rd() {
    capacity_is_enforced::<32>();
}

#[test]
fn a_frame_without_views_refuses_every_view_and_copies() {
    capacity_is_enforced::<0>();
    // Nor does `read_iter`, which copies each element, take a slot.
    let mut host = HostBuffer::with_bytes(&[1, 0, 2, 0, 3, 0], Placement::Aligned);
    let frame = GuestFrame::<0>::with_views(host.bytes_mut());
    let items: Vec<u16> = GuestPtr::<[u16]>::new(&frame, (0, 3))
        .read_iter()
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(items, [1, 2, 3]);
}

#[test]
fn pointers_decoded_from_a_small_frame_point_into_it() {
    guest_struct! {
        struct Iovec<'a> {
            buf: GuestPtr<'a, u8>,
            buf_len: u32,
        }
    }
    let mut host = HostBuffer::new(32, Placement::Aligned);
    let frame = GuestFrame::<2>::with_views(host.bytes_mut());
    let at = GuestPtr::<Iovec>::new(&frame, 0);
    at.write(Iovec {
        buf: GuestPtr::new(&frame, 16),
        buf_len: 4,
    })
    .unwrap();
    let iov = at.read().unwrap();
    assert_eq!(iov.buf.mem(), FrameRef::from(&frame));
    assert_eq!(iov.buf, GuestPtr::new(&frame, 16));
    let view = iov.buf.as_array(iov.buf_len).as_slice().unwrap();
    assert_eq!(view.len(), 4);
    assert!(frame.has_live_views());
}

#[test]
fn a_forgotten_view_only_keeps_refusing() {
    let mut host = HostBuffer::new(8, Placement::Aligned);
    let mem = host.memory();
    core::mem::forget(GuestPtr::<[u8]>::new(&mem, (0, 4)).as_slice_mut().unwrap());
    // The loan is never released: the region stays closed, and an embedder sees a live view.
    assert!(GuestPtr::<u8>::new(&mem, 0).read().is_err());
    assert!(mem.has_live_views());
    assert_eq!(GuestPtr::<u8>::new(&mem, 4).read(), Ok(0));
}

#[test]
fn strings_are_validated_on_the_bytes_they_lend() {
    let mut host = HostBuffer::with_bytes("héllo\u{ff}".as_bytes(), Placement::Misaligned);
    let mem = host.memory();
    let s = GuestPtr::<str>::new(&mem, (0, 6));
    let view = s.as_str().unwrap();
    assert_eq!(&*view, "héllo");
    // Nothing can change the bytes under the validated view.
    assert!(GuestPtr::<u8>::new(&mem, 1).write(0xff).is_err());
    drop(view);
    // Cutting a character in half is invalid.
    assert!(matches!(
        GuestPtr::<str>::new(&mem, (0, 2)).as_str(),
        Err(GuestError::InvalidUtf8(e)) if e.valid_up_to() == 1
    ));
    assert!(!mem.has_live_views());
}

#[test]
fn a_view_for_one_call_ends_with_the_call() {
    let mut host = HostBuffer::with_bytes(b"0123456789abcdef", Placement::Aligned);
    let mem = host.memory();
    let all = GuestPtr::<[u8]>::new(&mem, (0, 16));
    let head = GuestPtr::<[u8]>::new(&mem, (0, 4));
    let sum = all
        .with_slice(|bytes| {
            // Recorded while `f` runs: reads and shared views pass, writes and mutable views
            // are refused, and a nested one-call view is one more shared view.
            assert!(mem.has_live_views());
            assert_eq!(GuestPtr::<u8>::new(&mem, 3).read(), Ok(b'3'));
            assert_eq!(
                GuestPtr::<u8>::new(&mem, 3).write(0),
                Err(GuestError::BorrowConflict(Region::new(3, 1)))
            );
            assert!(head.as_slice_mut().is_err());
            assert_eq!(head.with_slice(|h| h.to_vec()), Ok(b"0123".to_vec()));
            bytes.iter().map(|&b| u32::from(b)).sum::<u32>()
        })
        .unwrap();
    assert_eq!(sum, b"0123456789abcdef".iter().map(|&b| u32::from(b)).sum());
    // Ended: the memory is free again.
    assert!(!mem.has_live_views());
    GuestPtr::<u8>::new(&mem, 3).write(b'x').unwrap();
}

#[test]
fn a_refused_view_for_one_call_does_not_call() {
    let mut host = HostBuffer::new(16, Placement::Aligned);
    let mem = host.memory();
    let guard = GuestPtr::<[u8]>::new(&mem, (4, 4)).as_slice_mut().unwrap();
    let mut called = false;
    let overlapping = GuestPtr::<[u8]>::new(&mem, (0, 8)).with_slice(|_| called = true);
    assert_eq!(
        overlapping,
        Err(GuestError::BorrowConflict(Region::new(0, 8)))
    );
    let outside = GuestPtr::<[u8]>::new(&mem, (12, 8)).with_slice(|_| called = true);
    assert_eq!(outside, Err(GuestError::PtrOutOfBounds(Region::new(12, 8))));
    assert!(!called);
    drop(guard);
    // A frame without room for a view refuses it too.
    let mut bytes = [0u8; 4];
    let none = GuestFrame::<0>::with_views(&mut bytes);
    let r = GuestPtr::<[u8]>::new(&none, (0, 4)).with_slice(|_| called = true);
    assert_eq!(r, Err(GuestError::TooManyBorrows(Region::new(0, 4))));
    assert!(!called);
}

#[test]
fn a_view_made_inside_a_one_call_view_outlives_it() {
    let mut host = HostBuffer::with_bytes(b"abcdefgh", Placement::Aligned);
    let mem = host.memory();
    let tail = GuestPtr::<[u8]>::new(&mem, (4, 4));
    // The inner view is recorded after the one-call view and returned from the call: the
    // one-call view's entry, no longer the last, ends first.
    let kept = GuestPtr::<[u8]>::new(&mem, (0, 4))
        .with_slice(|_| tail.as_slice().unwrap())
        .unwrap();
    assert_eq!(&*kept, b"efgh");
    GuestPtr::<u8>::new(&mem, 0).write(b'A').unwrap();
    assert!(GuestPtr::<u8>::new(&mem, 4).write(b'E').is_err());
    drop(kept);
    assert!(!mem.has_live_views());
    GuestPtr::<u8>::new(&mem, 4).write(b'E').unwrap();
}
