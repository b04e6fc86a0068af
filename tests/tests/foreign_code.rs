//! User code inside bulk accesses (DESIGN §4.9): a `GuestType` is safe code that receives the
//! memory, so its `decode` and `encode` may take views of the very array being copied, and keep
//! them. Whatever they do, no view may be aliased by the copy or changed under it. The first
//! tests here reached undefined behaviour before the bulk paths copied elements through the
//! stack (natively visible for the string view; under Miri for the mutable view).
// Tests may index, unwrap, cast and count freely.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use std::cell::RefCell;
use std::rc::Rc;

use guestmem::{
    guest_struct, FrameRef, GuestError, GuestFrame, GuestPtr, GuestSliceMut, GuestStr, GuestType,
    Region,
};
use guestmem_alloc::GuestSliceExt;

/// Views a type's `encode` or `decode` took and kept.
type Stash<'a, V> = Rc<RefCell<Vec<V>>>;

/// A 4-byte guest value whose `encode` first takes a string view of `target` and keeps it.
struct PinsString<'a> {
    target: GuestPtr<'a, str>,
    stash: Stash<'a, GuestStr<'a>>,
}

impl<'a> GuestType<'a> for PinsString<'a> {
    const GUEST_SIZE: u32 = 4;
    const GUEST_ALIGN: u32 = 1;

    fn decode(mem: FrameRef<'a>, _bytes: &[u8]) -> Result<Self, GuestError> {
        Ok(PinsString {
            target: GuestPtr::new(mem, (0, 0)),
            stash: Rc::default(),
        })
    }

    fn encode(&self, bytes: &mut [u8]) -> Result<(), GuestError> {
        if let Ok(view) = self.target.as_str() {
            self.stash.borrow_mut().push(view);
        }
        // Not UTF-8: if these bytes land under the view, the view's `&str` is broken.
        bytes[..4].copy_from_slice(&[0xff; 4]);
        Ok(())
    }
}

#[test]
fn encode_cannot_change_a_string_view_it_took() {
    let mut bytes = *b"....abcd........";
    let mem = GuestFrame::new(&mut bytes);
    let stash: Stash<'_, GuestStr<'_>> = Rc::default();
    // Element 0's encode views element 1's bytes ("abcd"); element 1's views bytes outside.
    let values = [
        PinsString {
            target: GuestPtr::new(&mem, (4, 4)),
            stash: stash.clone(),
        },
        PinsString {
            target: GuestPtr::new(&mem, (12, 4)),
            stash: stash.clone(),
        },
    ];
    let result = GuestPtr::<[PinsString<'_>]>::new(&mem, (0, 2)).copy_from_slice(&values);
    // The copy must not write under the live view: element 1 is refused instead.
    assert!(
        matches!(result, Err(GuestError::BorrowConflict(_))),
        "{result:?}"
    );
    let views = stash.borrow();
    assert_eq!(&*views[0], "abcd");
    assert!(std::str::from_utf8(views[0].as_bytes()).is_ok());
    drop(views);
    drop(values);
    drop(stash);
    // Element 0 (checked, then written before element 1's encode ran) may be written; the
    // bytes under the view never were.
    let mut now = [0u8; 16];
    GuestPtr::<[u8]>::new(&mem, (0, 16))
        .copy_to_slice(&mut now)
        .unwrap();
    assert_eq!(&now[4..], b"abcd........");
}

/// A 4-byte guest value whose `decode` takes a mutable view of a fixed region of the memory, if
/// it can, and keeps it.
struct SeizesBytes<'a> {
    view: Option<GuestSliceMut<'a, u8>>,
}

/// Where `SeizesBytes::decode` takes its mutable view: element 1, or element 80 (in the second
/// 256-byte chunk of a 400-byte array).
const SEIZED: (u32, u32) = (4, 4);
const SEIZED_FAR: (u32, u32) = (320, 4);

/// Decodes by seizing `region` mutably, if it can.
fn seize<'a>(mem: FrameRef<'a>, region: (u32, u32)) -> SeizesBytes<'a> {
    SeizesBytes {
        view: GuestPtr::<[u8]>::new(mem, region).as_slice_mut().ok(),
    }
}

impl<'a> GuestType<'a> for SeizesBytes<'a> {
    const GUEST_SIZE: u32 = 4;
    const GUEST_ALIGN: u32 = 1;

    fn decode(mem: FrameRef<'a>, bytes: &[u8]) -> Result<Self, GuestError> {
        // Only the first element (bytes "0000" / "FFFF") seizes; the others leave it.
        match bytes {
            b"0000" => Ok(seize(mem, SEIZED)),
            b"FFFF" => Ok(seize(mem, SEIZED_FAR)),
            _ => Ok(SeizesBytes { view: None }),
        }
    }

    fn encode(&self, _bytes: &mut [u8]) -> Result<(), GuestError> {
        Ok(())
    }
}

impl Clone for SeizesBytes<'_> {
    fn clone(&self) -> Self {
        SeizesBytes { view: None }
    }
}

/// 100 elements of 4 bytes: the first `first`, the rest "1111".
fn array_of_400(first: &[u8; 4]) -> Vec<u8> {
    let mut bytes = b"1111".repeat(100);
    bytes[..4].copy_from_slice(first);
    bytes
}

/// Writes through every view the decoded values hold, drops them, and checks the writes
/// landed: under Miri, this use of a view the copy aliased is undefined behaviour.
fn use_views(values: Vec<SeizesBytes<'_>>) -> usize {
    let mut used = 0;
    for mut v in values {
        if let Some(view) = v.view.as_mut() {
            view.copy_from_slice(b"MINE");
            used += 1;
        }
    }
    used
}

#[test]
fn decode_cannot_alias_a_mutable_view_it_took_copy_to_slice() {
    let mut bytes = array_of_400(b"0000");
    {
        let mem = GuestFrame::new(bytes.as_mut_slice());
        let mut out: Vec<SeizesBytes<'_>> = (0..100).map(|_| SeizesBytes { view: None }).collect();
        // Element 0's decode seizes element 1 (bytes 4..8): element 1 is refused, not aliased.
        let result = GuestPtr::<[SeizesBytes<'_>]>::new(&mem, (0, 100)).copy_to_slice(&mut out);
        assert_eq!(result, Err(GuestError::BorrowConflict(Region::new(4, 4))));
        assert_eq!(use_views(out), 1);
    }
    assert_eq!(&bytes[..8], b"0000MINE");
}

#[test]
fn decode_cannot_alias_a_mutable_view_it_took_to_heapless() {
    let mut bytes = array_of_400(b"FFFF");
    let mem = GuestFrame::new(bytes.as_mut_slice());
    // Element 0's decode seizes element 80 (bytes 320..324): that element is refused.
    let result = GuestPtr::<[SeizesBytes<'_>]>::new(&mem, (0, 100)).to_heapless::<100>();
    assert!(
        matches!(result, Err(GuestError::BorrowConflict(_))),
        "{:?}",
        result.as_ref().map(|v| v.len())
    );
    drop(result);
    // The decoded values, and the view with them, were dropped with the error.
    assert!(!mem.has_live_views());
}

#[test]
fn decode_cannot_alias_a_mutable_view_it_took_to_vec() {
    let mut bytes = array_of_400(b"0000");
    let mem = GuestFrame::new(bytes.as_mut_slice());
    // `to_vec` decodes element 0 to fill the vector, which then holds the view of element 1:
    // the copy over it is refused, or (were the filler released first) the view is used.
    match GuestPtr::<[SeizesBytes<'_>]>::new(&mem, (0, 100)).to_vec() {
        Ok(values) => assert!(use_views(values) <= 1),
        Err(e) => assert!(matches!(e, GuestError::BorrowConflict(_)), "{e:?}"),
    }
    assert!(!mem.has_live_views());
}

#[test]
fn read_iter_copies_each_element_after_checking_it_against_the_views() {
    let mut bytes = array_of_400(b"0000");
    let mem = GuestFrame::new(bytes.as_mut_slice());
    let array = GuestPtr::<[SeizesBytes<'_>]>::new(&mem, (0, 100));
    let values: Vec<_> = array.read_iter().unwrap().collect();
    // Element 0's decode seized element 1 mutably: element 1 is refused, not aliased.
    assert!(matches!(values[1], Err(GuestError::BorrowConflict(_))));
    assert!(values.iter().enumerate().all(|(i, v)| i == 1 || v.is_ok()));
    let values: Vec<_> = values.into_iter().filter_map(Result::ok).collect();
    assert_eq!(use_views(values), 1);
}

guest_struct! {
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Padded {
        pub wide: u64, // offset 0
        pub tag: u8,   // offset 8, then 7 bytes of trailing padding: 16 bytes in all
    }
}

#[test]
fn decode_of_a_struct_needs_its_trailing_padding() {
    let mem = GuestFrame::empty();
    assert_eq!(
        Padded::decode(FrameRef::from(&mem), &[0u8; 9]),
        Err(GuestError::BufferTooSmall {
            needed: 16,
            available: 9
        })
    );
    assert_eq!(
        Padded::decode(FrameRef::from(&mem), &[0u8; 16]),
        Ok(Padded { wide: 0, tag: 0 })
    );
}
