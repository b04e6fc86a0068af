//! Guest structs, enums and flag sets from the core's macros: wasm32 C layout, validation on
//! read, zeroed padding on write (DESIGN §4.8), arrays of structs (WASI iovecs).
// Tests may index, unwrap, cast and count freely.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::arithmetic_side_effects,
    elided_lifetimes_in_paths,
    missing_docs
)]

use guestmem::{
    guest_enum, guest_flags, guest_struct, GuestError, GuestFrame, GuestPtr, GuestType, Region,
};
use guestmem_tests::{HostBuffer, Placement};

guest_struct! {
    /// WASI `ciovec`.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Iovec<'a> {
        pub buf: GuestPtr<'a, u8>,
        pub buf_len: u32,
    }
}

guest_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum FileType: u8 {
        Unknown = 0,
        Directory = 3,
        Regular = 4,
    }
}

guest_flags! {
    pub struct Rights: u64 {
        const READ = 1 << 1;
        const SEEK = 1 << 2;
        const WRITE = 1 << 6;
    }
}

guest_struct! {
    /// Like WASI `fdstat`: padding after a byte, a `u16`, then 64-bit fields.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct FdStat {
        pub filetype: FileType,
        pub flags: u16,
        pub rights: Rights,
        pub inheriting: u64,
    }
}

guest_struct! {
    /// Nested structs and a trailing byte: size rounds up to the alignment.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Outer<'a> {
        pub head: u8,
        pub iov: Iovec<'a>,
        pub stat: FdStat,
        pub tail: u8,
    }
}

#[test]
fn layouts_follow_the_wasm32_c_abi() {
    assert_eq!(
        (
            <Iovec as GuestType>::GUEST_SIZE,
            <Iovec as GuestType>::GUEST_ALIGN
        ),
        (8, 4)
    );
    assert_eq!(
        (
            <FdStat as GuestType>::GUEST_SIZE,
            <FdStat as GuestType>::GUEST_ALIGN
        ),
        (24, 8)
    );
    // head@0, iov@4, stat@16, tail@40, size 48.
    assert_eq!(
        (
            <Outer as GuestType>::GUEST_SIZE,
            <Outer as GuestType>::GUEST_ALIGN
        ),
        (48, 8)
    );
    assert_eq!(<FileType as GuestType>::guest_size(), 1);
    assert_eq!(<Rights as GuestType>::guest_align(), 8);
}

#[test]
fn struct_round_trip_puts_fields_at_their_offsets_and_zeroes_padding() {
    for placement in Placement::ALL {
        let mut host = HostBuffer::with_bytes(&[0xAA; 64], placement);
        {
            let mem = host.memory();
            let stat = FdStat {
                filetype: FileType::Regular,
                flags: 0x0102,
                rights: Rights::READ | Rights::WRITE,
                inheriting: 0x1122_3344_5566_7788,
            };
            let p = GuestPtr::<FdStat>::new(&mem, 8);
            p.write(stat).unwrap();
            assert_eq!(p.read(), Ok(stat));
        }
        let b = host.bytes_mut();
        assert_eq!(b[..8], [0xAA; 8]);
        assert_eq!(
            b[8..16],
            [4, 0, 2, 1, 0, 0, 0, 0],
            "filetype, pad, flags, pad"
        );
        assert_eq!(b[16..24], (0x42u64).to_le_bytes());
        assert_eq!(b[24..32], 0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(b[32..], [0xAA; 32]);
    }
}

#[test]
fn nested_struct_with_pointers() {
    let mut host = HostBuffer::with_bytes(&[0xFF; 128], Placement::Misaligned);
    let mem = host.memory();
    let outer = Outer {
        head: 1,
        iov: Iovec {
            buf: GuestPtr::new(&mem, 100),
            buf_len: 5,
        },
        stat: FdStat {
            filetype: FileType::Directory,
            flags: 0,
            rights: Rights::empty(),
            inheriting: 7,
        },
        tail: 9,
    };
    let p = GuestPtr::<Outer>::new(&mem, 16);
    p.write(outer).unwrap();
    assert_eq!(p.read(), Ok(outer));
    // Padding between `head` and `iov`, and after `tail`, is zero.
    let mut raw = [0u8; 48];
    GuestPtr::<[u8]>::new(&mem, (16, 48))
        .copy_to_slice(&mut raw)
        .unwrap();
    assert_eq!(raw[1..4], [0, 0, 0]);
    assert_eq!(raw[40..], [9, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(p.read().unwrap().iov.buf.offset(), 100);
}

#[test]
fn invalid_enum_and_flag_values_are_refused_on_read() {
    let mut host = HostBuffer::new(64, Placement::Aligned);
    let mem = host.memory();
    GuestPtr::<u8>::new(&mem, 0).write(5).unwrap();
    assert_eq!(
        GuestPtr::<FileType>::new(&mem, 0).read(),
        Err(GuestError::InvalidEnumValue("FileType", 5))
    );
    GuestPtr::<u64>::new(&mem, 8).write(1).unwrap();
    assert_eq!(
        GuestPtr::<Rights>::new(&mem, 8).read(),
        Err(GuestError::InvalidFlagValue("Rights", 1))
    );
    // Inside a struct too.
    let stat = GuestPtr::<FdStat>::new(&mem, 0);
    assert_eq!(
        stat.read(),
        Err(GuestError::InvalidEnumValue("FileType", 5))
    );
    GuestPtr::<u8>::new(&mem, 0).write(3).unwrap();
    assert_eq!(stat.read(), Err(GuestError::InvalidFlagValue("Rights", 1)));
    GuestPtr::<u64>::new(&mem, 8)
        .write(Rights::all().to_raw())
        .unwrap();
    assert_eq!(
        stat.read().unwrap().rights,
        Rights::READ | Rights::SEEK | Rights::WRITE
    );
    assert_eq!(
        Rights::from_raw(1),
        Err(GuestError::InvalidFlagValue("Rights", 1))
    );
    assert_eq!(
        Rights::from_raw_truncate(0x43),
        Rights::READ | Rights::WRITE
    );
    // A struct is checked once, as a whole: out of bounds even if its first field is inside.
    assert_eq!(
        GuestPtr::<FdStat>::new(&mem, 48).read(),
        Err(GuestError::PtrOutOfBounds(Region::new(48, 24)))
    );
    assert_eq!(
        GuestPtr::<FdStat>::new(&mem, 4).read(),
        Err(GuestError::PtrNotAligned(Region::new(4, 24), 8))
    );
}

/// Iovecs of 3 bytes, of none, and of 100 bytes whose buffer runs past the end of memory.
fn three_iovecs<'a>(mem: &'a GuestFrame<'a>) -> [Iovec<'a>; 3] {
    let iov = |buf, buf_len| Iovec {
        buf: GuestPtr::new(mem, buf),
        buf_len,
    };
    [iov(64, 3), iov(70, 0), iov(250, 100)]
}

#[test]
fn arrays_of_iovecs() {
    let mut host = HostBuffer::new(256, Placement::Misaligned);
    let mem = host.memory();
    let iovs = GuestPtr::<[Iovec]>::new(&mem, (0, 3));
    let written = three_iovecs(&mem);
    iovs.copy_from_slice(&written).unwrap();
    assert_eq!(iovs.to_heapless::<4>().unwrap().as_slice(), &written);
    let mut copy = [written[1]; 3];
    iovs.copy_to_slice(&mut copy).unwrap();
    assert_eq!(copy, written);
    let lens: Vec<u32> = iovs
        .iter()
        .map(|p| p.unwrap().read().unwrap().buf_len)
        .collect();
    assert_eq!(lens, [3, 0, 100]);
    // The third iovec is itself fine; the buffer it describes is not.
    let bad = iovs.get(2).unwrap().read().unwrap();
    assert!(matches!(
        bad.buf.as_array(bad.buf_len).validate(),
        Err(GuestError::PtrOutOfBounds(_))
    ));
    assert!(iovs.get(3).is_none());
    assert_eq!(
        GuestPtr::<[Iovec]>::new(&mem, (0, 40))
            .to_heapless::<64>()
            .unwrap_err(),
        GuestError::PtrOutOfBounds(Region::new(0, 320))
    );
    assert_eq!(
        iovs.to_heapless::<2>().unwrap_err(),
        GuestError::BufferTooSmall {
            needed: 3,
            available: 2
        }
    );
    assert_eq!(
        iovs.copy_to_slice(&mut copy[..2]),
        Err(GuestError::SliceLengthsDiffer)
    );
}

#[test]
fn iteration_stops_at_offset_overflow() {
    let mut host = HostBuffer::new(8, Placement::Aligned);
    let mem = host.memory();
    let near_top = GuestPtr::<[u64]>::new(&mem, (u32::MAX - 15, 4));
    let items: Vec<_> = near_top.iter().collect();
    assert_eq!(items.len(), 3);
    assert!(items[0].is_ok() && items[1].is_ok());
    assert_eq!(items[2], Err(GuestError::PtrOverflow));
    assert_eq!(near_top.iter().size_hint(), (4, Some(4)));
}

guest_struct! {
    /// No fields: zero bytes in the guest.
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Unit {}
}

#[test]
fn read_iter_checks_once_and_copies_each_element_when_read() {
    for placement in Placement::ALL {
        let mut host = HostBuffer::new(128, placement);
        let mem = host.memory();
        let iovs = GuestPtr::<[Iovec]>::new(&mem, (8, 3));
        let written = three_iovecs(&mem);
        iovs.copy_from_slice(&written).unwrap();
        let mut items = iovs.read_iter().unwrap();
        assert_eq!(items.size_hint(), (3, Some(3)));
        assert_eq!(items.next(), Some(Ok(written[0])));
        // Nothing is lent: an element not yet read can change, and is read as it is then.
        iovs.get(1).unwrap().write(written[2]).unwrap();
        assert_eq!(items.next(), Some(Ok(written[2])));
        // A mutable view over an element not yet read refuses that element.
        let view = GuestPtr::<[u8]>::new(&mem, (24, 2)).as_slice_mut().unwrap();
        assert!(matches!(
            items.next(),
            Some(Err(GuestError::BorrowConflict(_)))
        ));
        drop(view);
        assert_eq!(items.next(), None);
        assert_eq!(items.size_hint(), (0, Some(0)));
    }
}

#[test]
fn read_iter_refuses_bad_arrays_and_reports_bad_elements() {
    let mut host = HostBuffer::new(64, Placement::Aligned);
    let mem = host.memory();
    assert_eq!(
        GuestPtr::<[Iovec]>::new(&mem, (2, 1))
            .read_iter()
            .map(|_| ()),
        Err(GuestError::PtrNotAligned(Region::new(2, 8), 4))
    );
    assert_eq!(
        GuestPtr::<[Iovec]>::new(&mem, (56, 2))
            .read_iter()
            .map(|_| ()),
        Err(GuestError::PtrOutOfBounds(Region::new(56, 16)))
    );
    assert_eq!(
        GuestPtr::<[Iovec]>::new(&mem, (0, u32::MAX))
            .read_iter()
            .map(|_| ()),
        Err(GuestError::PtrOverflow)
    );
    assert_eq!(
        GuestPtr::<[Iovec]>::new(&mem, (64, 0))
            .read_iter()
            .unwrap()
            .count(),
        0
    );
    // An element that does not decode is an `Err` item; the others still come.
    GuestPtr::<u8>::new(&mem, 1).write(9).unwrap();
    let kinds: Vec<_> = GuestPtr::<[FileType]>::new(&mem, (0, 3))
        .read_iter()
        .unwrap()
        .collect();
    assert_eq!(
        kinds,
        [
            Ok(FileType::Unknown),
            Err(GuestError::InvalidEnumValue("FileType", 9)),
            Ok(FileType::Unknown)
        ]
    );
    // Zero-sized elements are counted, not measured: the iteration ends.
    assert_eq!(<Unit as GuestType>::GUEST_SIZE, 0);
    assert_eq!(
        GuestPtr::<[Unit]>::new(&mem, (0, 5))
            .read_iter()
            .unwrap()
            .count(),
        5
    );
}
