//! Property tests (DESIGN §6): random sequences of reads, writes and copies against a
//! reference model — a `Vec<u8>` with safe indexing — on aligned and misaligned host bases.
//! Few cases under Miri, which interprets every access.
// Tests may index, unwrap, cast and count freely.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::arithmetic_side_effects,
    elided_lifetimes_in_paths,
    missing_docs
)]

use guestmem::{GuestFrame, GuestPtr};
use guestmem_tests::{HostBuffer, Model, Placement};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    ReadU16(u32),
    ReadU32(u32),
    ReadU64(u32),
    WriteU32(u32, u32),
    WriteU64(u32, u64),
    CopyOut(u32, u32),
    CopyIn(u32, Vec<u8>),
    Str(u32, u32),
}

/// Offsets that land inside, at the end of, just past, and far past a small memory.
fn offset() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => 0u32..300,
        1 => (u32::MAX - 16)..=u32::MAX,
        1 => Just(1u32 << 31),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        offset().prop_map(Op::ReadU16),
        offset().prop_map(Op::ReadU32),
        offset().prop_map(Op::ReadU64),
        (offset(), any::<u32>()).prop_map(|(o, v)| Op::WriteU32(o, v)),
        (offset(), any::<u64>()).prop_map(|(o, v)| Op::WriteU64(o, v)),
        (offset(), prop_oneof![0u32..40, Just(u32::MAX)]).prop_map(|(o, l)| Op::CopyOut(o, l)),
        (offset(), proptest::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(o, b)| Op::CopyIn(o, b)),
        (offset(), 0u32..40).prop_map(|(o, l)| Op::Str(o, l)),
    ]
}

fn apply(mem: &GuestFrame<'_>, model: &mut Model, op: &Op) {
    match *op {
        Op::ReadU16(o) => assert_eq!(
            GuestPtr::<u16>::new(mem, o).read(),
            model.read::<2>(o).map(u16::from_le_bytes)
        ),
        Op::ReadU32(o) => assert_eq!(
            GuestPtr::<u32>::new(mem, o).read(),
            model.read::<4>(o).map(u32::from_le_bytes)
        ),
        Op::ReadU64(o) => assert_eq!(
            GuestPtr::<u64>::new(mem, o).read(),
            model.read::<8>(o).map(u64::from_le_bytes)
        ),
        Op::WriteU32(o, v) => {
            assert_eq!(
                GuestPtr::<u32>::new(mem, o).write(v),
                model.write(o, v.to_le_bytes())
            )
        }
        Op::WriteU64(o, v) => {
            assert_eq!(
                GuestPtr::<u64>::new(mem, o).write(v),
                model.write(o, v.to_le_bytes())
            )
        }
        Op::CopyOut(o, l) => {
            let expected = model.copy_out(o, l);
            let array = GuestPtr::<[u8]>::new(mem, (o, l));
            let got = match &expected {
                Ok(v) => {
                    let mut out = vec![0; v.len()];
                    array.copy_to_slice(&mut out).map(|()| out)
                }
                Err(_) => array.validate().map(|()| Vec::new()),
            };
            assert_eq!(got, expected);
        }
        Op::CopyIn(o, ref bytes) => {
            let len = bytes.len() as u32;
            let expected = model
                .check(o, len, 1)
                .map(|r| model.bytes[r].copy_from_slice(bytes));
            assert_eq!(
                GuestPtr::<[u8]>::new(mem, (o, len)).copy_from_slice(bytes),
                expected
            );
        }
        Op::Str(o, l) => {
            let expected = model.copy_out(o, l).and_then(|b| {
                String::from_utf8(b).map_err(|e| guestmem::GuestError::InvalidUtf8(e.utf8_error()))
            });
            let s = GuestPtr::<str>::new(mem, (o, l));
            assert_eq!(
                s.to_heapless::<64>().map(|s| s.as_str().to_owned()),
                expected
            );
            assert_eq!(s.as_str().map(|v| v.to_owned()), expected);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 512 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn guestmem_agrees_with_the_model(
        size in prop_oneof![Just(0usize), 1usize..300],
        misaligned in any::<bool>(),
        seed in proptest::collection::vec(any::<u8>(), 300),
        ops in proptest::collection::vec(op(), 1..if cfg!(miri) { 8 } else { 64 }),
    ) {
        let placement = if misaligned { Placement::Misaligned } else { Placement::Aligned };
        let mut model = Model { bytes: seed[..size].to_vec() };
        let mut host = HostBuffer::with_bytes(&model.bytes, placement);
        {
            let mem = host.memory();
            for op in &ops {
                apply(&mem, &mut model, op);
            }
        }
        prop_assert_eq!(host.bytes_mut(), &model.bytes[..]);
    }
}
