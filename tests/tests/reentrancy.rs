//! DESIGN §4.4: no host pointer outlives the call that produced it. A memory that moves between
//! accesses (as wasm3's does on `memory.grow`) is seen where it is now, and cannot move while a
//! view is live.
// Tests may index, unwrap, cast and count freely.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::arithmetic_side_effects,
    elided_lifetimes_in_paths,
    missing_docs
)]

use guestmem::{GuestError, GuestMemory, GuestPtr, Region};
use guestmem_tests::MovingMemory;

#[test]
fn every_access_sees_the_memory_where_it_is_now() {
    let mem = MovingMemory::new(16, 64);
    let p = GuestPtr::<u32>::new(&mem, 12);
    p.write(0x1234_5678).unwrap();
    let calls = mem.base_calls();
    mem.relocate(16).unwrap();
    // The same GuestPtr reads the moved bytes, not the poisoned old place.
    assert_eq!(p.read(), Ok(0x1234_5678));
    assert!(mem.base_calls() > calls, "base() is called on every access");

    // Growth: a pointer past the old end becomes valid.
    let beyond = GuestPtr::<u64>::new(&mem, 32);
    assert_eq!(
        beyond.read(),
        Err(GuestError::PtrOutOfBounds(Region::new(32, 8)))
    );
    mem.relocate(64).unwrap();
    beyond.write(u64::MAX).unwrap();
    assert_eq!(beyond.read(), Ok(u64::MAX));
    assert_eq!(p.read(), Ok(0x1234_5678));

    // Shrinking (an embedder may swap memories): the pointer is refused again.
    mem.relocate(8).unwrap();
    assert_eq!(
        p.read(),
        Err(GuestError::PtrOutOfBounds(Region::new(12, 4)))
    );
}

#[test]
fn the_memory_cannot_move_under_a_live_view() {
    let mem = MovingMemory::new(32, 64);
    GuestPtr::<[u8]>::new(&mem, (0, 5))
        .copy_from_slice(b"hello")
        .unwrap();
    {
        let view = GuestPtr::<str>::new(&mem, (0, 5)).as_str().unwrap();
        assert!(mem.borrows().has_outstanding_borrows());
        // The embedder's refusal: re-entering or growing is not allowed now.
        assert!(mem.relocate(64).is_err());
        assert_eq!(&*view, "hello");
    }
    mem.relocate(64).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(
        GuestPtr::<str>::new(&mem, (0, 5)).copy_to_buf(&mut buf),
        Ok("hello")
    );
}

#[test]
fn copied_out_data_survives_the_move() {
    let mem = MovingMemory::new(32, 32);
    GuestPtr::<[u8]>::new(&mem, (0, 4))
        .copy_from_slice(b"data")
        .unwrap();
    let copy = GuestPtr::<str>::new(&mem, (0, 4))
        .to_heapless::<8>()
        .unwrap();
    mem.relocate(32).unwrap();
    GuestPtr::<[u8]>::new(&mem, (0, 4))
        .copy_from_slice(b"DATA")
        .unwrap();
    assert_eq!(copy, "data");
}
