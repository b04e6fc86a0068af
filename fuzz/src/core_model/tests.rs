//! Hand-written inputs for the harness itself.

use super::hostile::PlanIn;
use super::input::{Arr, Count, Fit, HostileOp, Input, Off, Op, Size};
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
