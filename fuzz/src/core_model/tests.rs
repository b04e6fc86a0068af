//! Hand-written inputs for the harness itself.

use super::hostile::PlanIn;
use super::input::{Arr, Count, Elem, Fit, HostileOp, Input, Off, Op, Size, ViewElem};
use super::run_input;

fn plan(off: u16, len: u16, action: u8) -> PlanIn {
    PlanIn {
        off,
        len,
        action,
        fail: false,
    }
}

#[test]
fn hole_1_encode_keeps_a_str_of_a_later_element() {
    let input = Input {
        size: Size::Tiny(64),
        misaligned: false,
        null_when_empty: false,
        fill: Vec::new(),
        ops: vec![Op::Hostile(HostileOp::CopyIn {
            arr: Arr {
                off: Off::Low(0),
                count: Count::Small(4),
            },
            fit: Fit::Exact,
            plans: [plan(16, 8, 3), plan(0, 0, 0), plan(5, 5, 0), plan(0, 0, 0)],
        })],
    };
    run_input(&input);
}

fn input(size: Size, misaligned: bool, fill: &[u8], ops: Vec<Op>) -> Input {
    Input {
        size,
        misaligned,
        null_when_empty: false,
        fill: fill.to_vec(),
        ops,
    }
}

fn arr(off: Off, count: Count) -> Arr {
    Arr { off, count }
}

#[test]
fn a_full_table_refuses_views_until_one_is_dropped() {
    let views = |mutable| Op::ViewMany {
        off: Off::Low(0),
        stride: 2,
        len: 1,
        count: 20,
        mutable,
    };
    run_input(&input(
        Size::Tiny(64),
        false,
        b"abc",
        vec![
            views(false),
            // Table full: every access still checks against the 16 live views.
            Op::Write {
                elem: Elem::U8,
                off: Off::Low(4),
                seed: 1,
            },
            Op::StrCow {
                arr: arr(Off::Low(0), Count::Small(3)),
                hold: true,
            },
            Op::Drop { holder: 3 },
            views(true),
            Op::DropAll,
            views(true),
            Op::CopyIn {
                elem: Elem::U16,
                arr: arr(Off::Low(0), Count::ToEnd(0)),
                fit: Fit::Exact,
                seed: 2,
            },
        ],
    ));
}

#[test]
fn a_misaligned_host_base_refuses_wide_views_not_copies() {
    let ops = [ViewElem::U16, ViewElem::U32, ViewElem::F64, ViewElem::U8]
        .into_iter()
        .flat_map(|elem| {
            [
                Op::View {
                    elem,
                    arr: arr(Off::Aligned(1), Count::Small(3)),
                    mutable: true,
                    hold: true,
                },
                Op::CopyOut {
                    elem: Elem::F64,
                    arr: arr(Off::Aligned(1), Count::Small(3)),
                    fit: Fit::Exact,
                },
            ]
        })
        .collect();
    run_input(&input(Size::Any(100), true, &[1, 2, 3], ops));
}

#[test]
fn struct_arrays_report_their_first_invalid_element() {
    // Tagged elements: kind 1 (valid), flags 0x0105 (valid), then kind 2 (invalid) at the
    // third element (offset 16) through the fill pattern's period of 24 bytes.
    let mut fill = [0u8; 24];
    fill[0] = 1;
    fill[2] = 0x05;
    fill[3] = 0x01;
    fill[16] = 2;
    let ops = vec![
        Op::CopyOut {
            elem: Elem::Tagged,
            arr: arr(Off::Low(0), Count::Small(5)),
            fit: Fit::Exact,
        },
        Op::ToVec {
            elem: Elem::Tagged,
            arr: arr(Off::Low(0), Count::Small(2)),
        },
        Op::ReadIter {
            elem: Elem::Tagged,
            arr: arr(Off::Low(0), Count::Small(4)),
            take: 4,
            hold: true,
        },
        Op::CopyIn {
            elem: Elem::Big,
            arr: arr(Off::Aligned(8), Count::Small(3)),
            fit: Fit::Exact,
            seed: 3,
        },
        Op::Heapless {
            elem: Elem::Huge,
            arr: arr(Off::Aligned(8), Count::Small(1)),
            big: false,
        },
    ];
    run_input(&input(Size::Tiny(255), false, &fill, ops));
}

#[test]
fn read_iter_lends_nothing_and_reads_elements_as_they_are_then() {
    let ops = vec![
        // A held iterator over 8 u32s at 0, one element taken.
        Op::ReadIter {
            elem: Elem::U32,
            arr: arr(Off::Low(0), Count::Small(8)),
            take: 1,
            hold: true,
        },
        // Writes to the array succeed while it lives...
        Op::CopyIn {
            elem: Elem::U32,
            arr: arr(Off::Low(0), Count::Small(8)),
            fit: Fit::Exact,
            seed: 7,
        },
        // ...a mutable view over element 2 refuses that element only...
        Op::View {
            elem: ViewElem::U8,
            arr: arr(Off::Low(9), Count::Small(1)),
            mutable: true,
            hold: true,
        },
        Op::Advance { guard: 0, take: 3 },
        Op::Drop { holder: 1 },
        // ...and the rest are read as they are now.
        Op::Advance { guard: 0, take: 9 },
    ];
    run_input(&input(Size::Tiny(64), false, b"\x01\x02", ops));
}

#[test]
fn hostile_decode_of_a_later_element_refuses_it() {
    // Element 0's plan (its own bytes): a mutable view (action 2) of 8 bytes at 8, element
    // 1. Reading the array then fails at element 1 with BorrowConflict, through every path.
    let fill = [8, 0, 0, 0, 8, 0, 2, 0];
    let ops = [
        HostileOp::ToVec {
            arr: arr(Off::Low(0), Count::Small(3)),
        },
        HostileOp::Heapless {
            arr: arr(Off::Low(0), Count::Small(3)),
        },
        HostileOp::CopyOut {
            arr: arr(Off::Low(0), Count::Small(3)),
            fit: Fit::Exact,
        },
        HostileOp::ReadIter {
            arr: arr(Off::Low(0), Count::Small(3)),
            take: 3,
            hold: false,
        },
        HostileOp::CopyIn {
            arr: arr(Off::Low(16), Count::Small(4)),
            fit: Fit::Exact,
            plans: [plan(40, 8, 2), plan(0, 0, 0), plan(5, 5, 0), plan(0, 0, 0)],
        },
    ]
    .map(Op::Hostile)
    .into_iter()
    .chain([Op::DropAll])
    .collect();
    run_input(&input(Size::Tiny(64), false, &fill, ops));
}

#[test]
fn gather_checks_each_piece_after_the_iterator_ran() {
    let piece = |off, n| arr(Off::Low(off), Count::Small(n));
    let ops = vec![
        Op::GatherUninit {
            pieces: [piece(4, 4), piece(0, 4), piece(30, 2), piece(60, 8)],
            n: 3,
            fit: Fit::Exact,
            // Before piece 2: a mutable view over it.
            plan: plan(31, 1, 2),
            act_before: 2,
        },
        Op::GatherUninit {
            pieces: [piece(4, 4), piece(0, 4), piece(40, 2), piece(60, 8)],
            n: 4,
            fit: Fit::Plus(3),
            plan: plan(0, 0, 0),
            act_before: 9,
        },
        Op::CopyUninit {
            arr: piece(10, 20),
            fit: Fit::Minus(1),
        },
    ];
    run_input(&input(Size::Tiny(64), false, b"gather", ops));
}

#[test]
fn a_view_for_one_call_refuses_writes_under_it_and_ends() {
    let view_call = |off, count, probe, value| Op::ViewCall {
        arr: arr(Off::Low(off), Count::Small(count)),
        probe: Off::Low(probe),
        value,
    };
    let ops = vec![
        // A write beside the view goes through, one under it is refused.
        view_call(8, 8, 20, 0xaa),
        view_call(8, 8, 12, 0xbb),
        // Under a held mutable view, the one-call view is refused and nothing is written.
        Op::View {
            elem: ViewElem::U8,
            arr: arr(Off::Low(0), Count::Small(4)),
            mutable: true,
            hold: true,
        },
        view_call(2, 4, 30, 0xcc),
        Op::Drop { holder: 0 },
        // Past the end: refused.
        view_call(60, 8, 0, 0xdd),
        // Empty, anywhere in bounds.
        view_call(64, 0, 1, 0xee),
    ];
    run_input(&input(Size::Tiny(64), true, b"0123456789", ops));
}
