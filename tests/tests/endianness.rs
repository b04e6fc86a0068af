//! DESIGN §4.3: guest memory is little-endian whatever the host is. Run under Miri on
//! `s390x-unknown-linux-gnu`, these also prove the big-endian path (no bulk fast path there).
// Tests may index, unwrap, cast and count freely.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::arithmetic_side_effects,
    elided_lifetimes_in_paths,
    missing_docs
)]

use guestmem::{GuestPtr, GuestTypeTransparent};
use guestmem_tests::{HostBuffer, Placement};

const BYTES: [u8; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

#[test]
fn scalars_are_little_endian() {
    let mut host = HostBuffer::with_bytes(&BYTES, Placement::Misaligned);
    let mem = host.memory();
    assert_eq!(GuestPtr::<u16>::new(&mem, 2).read(), Ok(0x0403));
    assert_eq!(GuestPtr::<u32>::new(&mem, 4).read(), Ok(0x0807_0605));
    assert_eq!(
        GuestPtr::<u64>::new(&mem, 8).read(),
        Ok(0x100f_0e0d_0c0b_0a09)
    );
    assert_eq!(GuestPtr::<i16>::new(&mem, 0).read(), Ok(0x0201));
    assert_eq!(
        GuestPtr::<f32>::new(&mem, 4).read().unwrap().to_bits(),
        0x0807_0605
    );
    assert_eq!(
        GuestPtr::<GuestPtr<u8>>::new(&mem, 12)
            .read()
            .unwrap()
            .offset(),
        0x100f_0e0d
    );
}

#[test]
fn bulk_copies_are_little_endian() {
    let mut host = HostBuffer::with_bytes(&BYTES, Placement::Aligned);
    let mem = host.memory();
    let mut halves = [0u16; 8];
    GuestPtr::<[u16]>::new(&mem, (0, 8))
        .copy_to_slice(&mut halves)
        .unwrap();
    assert_eq!(halves[0], 0x0201);
    assert_eq!(halves[7], 0x100f);
    let words = GuestPtr::<[u32]>::new(&mem, (0, 4))
        .to_heapless::<4>()
        .unwrap();
    assert_eq!(words[3], 0x100f_0e0d);
    GuestPtr::<[i64]>::new(&mem, (0, 2))
        .copy_from_slice(&[-2, 0x0102_0304_0506_0708])
        .unwrap();
    let mut out = [0u8; 16];
    GuestPtr::<[u8]>::new(&mem, (0, 16))
        .copy_to_slice(&mut out)
        .unwrap();
    assert_eq!(out[..8], [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(out[8..], [8, 7, 6, 5, 4, 3, 2, 1]);
}

#[test]
fn wide_views_exist_only_where_host_bytes_are_guest_bytes() {
    fn transparent<T: GuestTypeTransparent>() -> bool {
        core::mem::size_of::<T>() == <T as guestmem::GuestType<'static>>::GUEST_SIZE as usize
    }
    assert!(transparent::<u8>() && transparent::<i8>());
    // `GuestTypeTransparent for u32` exists only on little-endian hosts: on s390x this test
    // does not name it, and `as_slice` on `[u32]` does not compile there.
    #[cfg(target_endian = "little")]
    {
        let mut host = HostBuffer::with_bytes(&BYTES, Placement::Aligned);
        let mem = host.memory();
        assert!(transparent::<u32>());
        assert_eq!(
            GuestPtr::<[u32]>::new(&mem, (4, 1)).as_slice().unwrap()[0],
            0x0807_0605
        );
    }
}
