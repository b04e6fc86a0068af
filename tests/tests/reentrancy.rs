//! DESIGN §4.4: no host pointer outlives the scope that produced it. A memory that moves
//! between frames (as wasm3's does on `memory.grow` between host calls) is seen where it is
//! now, and cannot move while a frame — or a view, which borrows the frame — is live: moving it
//! needs `&mut`, which the frame holds (compile-time proof: the `compile_fail` example of
//! `GuestFrame`).
// Tests may index, unwrap, cast and count freely.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::arithmetic_side_effects,
    elided_lifetimes_in_paths,
    missing_docs
)]

use guestmem::{GuestError, GuestFrame, GuestPtr, Region};
use guestmem_tests::MovingMemory;

#[test]
fn every_frame_sees_the_memory_where_it_is_now() {
    let mut mem = MovingMemory::new(16, 64);
    {
        let frame = GuestFrame::new(&mut mem);
        let p = GuestPtr::<u32>::new(&frame, 12);
        p.write(0x1234_5678).unwrap();
        // One frame, one call of `base()`, however many accesses.
        assert_eq!(p.read(), Ok(0x1234_5678));
    }
    assert_eq!(mem.base_calls(), 1);
    mem.relocate(16);
    {
        // The next frame reads the moved bytes, not the poisoned old place.
        let frame = GuestFrame::new(&mut mem);
        assert_eq!(GuestPtr::<u32>::new(&frame, 12).read(), Ok(0x1234_5678));
        // Growth: a pointer past the old end is refused until the memory grows.
        assert_eq!(
            GuestPtr::<u64>::new(&frame, 32).read(),
            Err(GuestError::PtrOutOfBounds(Region::new(32, 8)))
        );
    }
    assert_eq!(mem.base_calls(), 2);
    mem.relocate(64);
    {
        let frame = GuestFrame::new(&mut mem);
        let beyond = GuestPtr::<u64>::new(&frame, 32);
        beyond.write(u64::MAX).unwrap();
        assert_eq!(beyond.read(), Ok(u64::MAX));
        assert_eq!(GuestPtr::<u32>::new(&frame, 12).read(), Ok(0x1234_5678));
    }
    // Shrinking (an embedder may swap memories): the pointer is refused again.
    mem.relocate(8);
    let frame = GuestFrame::new(&mut mem);
    assert_eq!(
        GuestPtr::<u32>::new(&frame, 12).read(),
        Err(GuestError::PtrOutOfBounds(Region::new(12, 4)))
    );
}

#[test]
fn views_end_with_their_frame_and_the_memory_moves_after() {
    let mut mem = MovingMemory::new(32, 64);
    {
        let frame = GuestFrame::new(&mut mem);
        GuestPtr::<[u8]>::new(&frame, (0, 5))
            .copy_from_slice(b"hello")
            .unwrap();
        let view = GuestPtr::<str>::new(&frame, (0, 5)).as_str().unwrap();
        assert!(frame.has_live_views());
        assert_eq!(&*view, "hello");
    }
    mem.relocate(64);
    let frame = GuestFrame::new(&mut mem);
    let mut buf = [0u8; 8];
    assert_eq!(
        GuestPtr::<str>::new(&frame, (0, 5)).copy_to_buf(&mut buf),
        Ok("hello")
    );
}

#[test]
fn copied_out_data_survives_the_move() {
    let mut mem = MovingMemory::new(32, 32);
    let copy = {
        let frame = GuestFrame::new(&mut mem);
        GuestPtr::<[u8]>::new(&frame, (0, 4))
            .copy_from_slice(b"data")
            .unwrap();
        GuestPtr::<str>::new(&frame, (0, 4))
            .to_heapless::<8>()
            .unwrap()
    };
    mem.relocate(32);
    let frame = GuestFrame::new(&mut mem);
    GuestPtr::<[u8]>::new(&frame, (0, 4))
        .copy_from_slice(b"DATA")
        .unwrap();
    assert_eq!(copy, "data");
}
