//! DESIGN §4.1, §4.2, §4.6: exhaustive sweeps of `(offset, len)` near the end of memory and
//! near `u32::MAX`, over memories of 0, 1, 7 and 64 KiB bytes, on aligned and misaligned host
//! bases — every outcome compared with the reference model.
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
use guestmem_tests::{edge_lengths, edge_offsets, memory_sizes, HostBuffer, Model, Placement};

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

#[test]
fn byte_ranges_near_the_end_and_near_u32_max() {
    for &size in memory_sizes() {
        for placement in Placement::ALL {
            let bytes = pattern(size);
            let model = Model {
                bytes: bytes.clone(),
            };
            let mut host = HostBuffer::with_bytes(&bytes, placement);
            let mem = host.memory();
            let mem_len = size as u32;
            for offset in edge_offsets(mem_len) {
                for len in edge_lengths(mem_len) {
                    let expected = model.copy_out(offset, len);
                    let array = GuestPtr::<[u8]>::new(&mem, (offset, len));
                    // Never allocate a host buffer for a length the model rejects.
                    let got = match &expected {
                        Ok(v) => {
                            let mut out = vec![0u8; v.len()];
                            array.copy_to_slice(&mut out).map(|()| out)
                        }
                        Err(_) => array.validate().map(|()| Vec::new()),
                    };
                    assert_eq!(
                        got, expected,
                        "size {size} {placement:?} offset {offset} len {len}"
                    );
                }
            }
        }
    }
}

fn sweep_scalar<const N: usize, T>(from_le: fn([u8; N]) -> T)
where
    T: for<'a> guestmem::GuestType<'a> + PartialEq + core::fmt::Debug,
{
    for &size in memory_sizes() {
        for placement in Placement::ALL {
            let bytes = pattern(size);
            let model = Model {
                bytes: bytes.clone(),
            };
            let mut host = HostBuffer::with_bytes(&bytes, placement);
            let mem = host.memory();
            for offset in edge_offsets(size as u32) {
                let expected = model.read::<N>(offset).map(from_le);
                let got = GuestPtr::<T>::new(&mem, offset).read();
                assert_eq!(got, expected, "size {size} {placement:?} offset {offset}");
            }
        }
    }
}

#[test]
fn scalar_reads_near_the_end_and_near_u32_max() {
    sweep_scalar::<1, u8>(u8::from_le_bytes);
    sweep_scalar::<2, u16>(u16::from_le_bytes);
    sweep_scalar::<4, u32>(u32::from_le_bytes);
    sweep_scalar::<8, u64>(u64::from_le_bytes);
    sweep_scalar::<4, f32>(|b| f32::from_bits(u32::from_le_bytes(b)));
    sweep_scalar::<8, i64>(i64::from_le_bytes);
}

#[test]
fn scalar_writes_touch_exactly_their_bytes() {
    for &size in memory_sizes() {
        for placement in Placement::ALL {
            let bytes = pattern(size);
            let mut model = Model {
                bytes: bytes.clone(),
            };
            let mut host = HostBuffer::with_bytes(&bytes, placement);
            {
                let mem = host.memory();
                for offset in edge_offsets(size as u32) {
                    let value = offset.rotate_left(7) ^ 0xA5A5_5A5A;
                    let expected = model.write(offset, value.to_le_bytes());
                    assert_eq!(GuestPtr::<u32>::new(&mem, offset).write(value), expected);
                }
            }
            assert_eq!(host.bytes_mut(), &model.bytes[..]);
        }
    }
}

#[test]
fn empty_ranges() {
    // A null base with length 0 is a valid memory; an empty slice at `offset == mem_len` is in
    // bounds, one past it is not.
    let mem = GuestFrame::empty();
    let empty = GuestPtr::<[u64]>::new(&mem, (0, 0));
    empty.copy_to_slice(&mut []).unwrap();
    empty.copy_from_slice(&[]).unwrap();
    assert_eq!(empty.to_heapless::<0>().unwrap().len(), 0);
    assert_eq!(
        &*GuestPtr::<[u8]>::new(&mem, (0, 0)).as_slice().unwrap(),
        &[] as &[u8]
    );
    assert_eq!(&*GuestPtr::<str>::new(&mem, (0, 0)).as_str().unwrap(), "");
    assert_eq!(
        GuestPtr::<[u8]>::new(&mem, (1, 0)).validate(),
        Err(GuestError::PtrOutOfBounds(Region::new(1, 0)))
    );

    let mut host = HostBuffer::new(7, Placement::Misaligned);
    let mem = host.memory();
    let at_end = GuestPtr::<[u8]>::new(&mem, (7, 0));
    assert_eq!(at_end.validate(), Ok(()));
    assert_eq!(at_end.as_slice_mut().unwrap().len(), 0);
    assert!(GuestPtr::<[u8]>::new(&mem, (8, 0)).validate().is_err());
}

#[test]
fn element_count_times_size_is_checked() {
    let mut host = HostBuffer::new(64, Placement::Aligned);
    let mem = host.memory();
    // 0x4000_0001 * 4 overflows u32: no wrap-around to a small length.
    let huge = GuestPtr::<[u32]>::new(&mem, (0, 0x4000_0001));
    assert_eq!(huge.byte_len(), Err(GuestError::PtrOverflow));
    assert_eq!(huge.validate(), Err(GuestError::PtrOverflow));
    // Typed views exist only where host bytes are guest bytes (little-endian hosts).
    #[cfg(target_endian = "little")]
    assert!(huge.as_slice().is_err());
    assert_eq!(
        GuestPtr::<u64>::new(&mem, 8).add(u32::MAX / 8 + 1),
        Err(GuestError::PtrOverflow)
    );
    assert_eq!(GuestPtr::<u64>::new(&mem, 8).add(3).unwrap().offset(), 32);
}

#[test]
fn alignment_is_checked_on_the_guest_offset_not_the_host_address() {
    for placement in Placement::ALL {
        let mut host = HostBuffer::with_bytes(&pattern(32), placement);
        let mem = host.memory();
        // An aligned guest offset reads fine even when the host address is misaligned.
        assert!(GuestPtr::<u64>::new(&mem, 8).read().is_ok());
        assert!(GuestPtr::<[u32]>::new(&mem, (4, 3))
            .to_heapless::<3>()
            .is_ok());
        // A misaligned guest offset fails everywhere.
        for offset in [1, 2, 3, 5, 6, 7] {
            assert_eq!(
                GuestPtr::<u64>::new(&mem, offset).read(),
                Err(GuestError::PtrNotAligned(Region::new(offset, 8), 8))
            );
        }
        assert_eq!(
            GuestPtr::<[u16]>::new(&mem, (3, 2)).validate(),
            Err(GuestError::PtrNotAligned(Region::new(3, 4), 2))
        );
    }
}
