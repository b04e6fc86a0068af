//! The harness's own tests: hand-made inputs through the checks, and the model's region rule.

use super::input::{Addr, Fd, Len, MemSize};
use super::model::region;
use super::*;

fn input(steps: Vec<Step>) -> Input {
    Input {
        size: MemSize::Any(1024),
        fill: vec![0xAA],
        args: vec![b"prog".to_vec(), b"-v".to_vec()],
        env: vec![b"A=1".to_vec()],
        stdin: b"hello".to_vec(),
        knobs: Knobs {
            write_limit: None,
            io_error: None,
        },
        steps,
    }
}

#[test]
fn region_orders_overflow_alignment_bounds() {
    assert_eq!(region(16, 8, 2, 4, 4), Ok(()));
    assert_eq!(region(16, 8, 3, 4, 4), Err(Errno::Fault));
    assert_eq!(region(16, 6, 1, 4, 4), Err(Errno::Inval));
    assert_eq!(region(16, 18, 1, 4, 4), Err(Errno::Inval)); // misaligned before out of bounds
    assert_eq!(region(16, 16, 0, 4, 4), Ok(()));
    assert_eq!(region(16, u32::MAX - 1, 1, 4, 1), Err(Errno::Fault));
    assert_eq!(region(16, 0, u32::MAX, 8, 4), Err(Errno::Fault));
}

#[test]
fn every_call_runs_checked_on_valid_and_bad_arguments() {
    let good = Addr::Aligned(64); // 512
    let bad = [
        Addr::High(0),
        Addr::PastEnd(1),
        Addr::Small(1),
        Addr::FromEnd(2),
    ];
    let mut steps = vec![
        Step::Poke {
            at: Addr::Aligned(80),
            bytes: b"text for the host".to_vec(),
        },
        Step::PokeIovecs {
            at: Addr::Aligned(8),
            iovs: vec![(Addr::Aligned(80), Len::Small(4)), (Addr::Zero, Len::Zero)],
        },
        Step::PokeShape {
            at: Addr::Aligned(16),
            kind: 1,
            flags: 3,
            w: 7,
            h: 9,
        },
    ];
    for out in std::iter::once(good).chain(bad) {
        for call in [
            Call::FdWrite {
                fd: Fd::Std(1),
                iovs: Addr::Aligned(8),
                n: Len::Small(2),
                nwritten: out,
            },
            Call::FdRead {
                fd: Fd::Std(0),
                iovs: Addr::Aligned(8),
                n: Len::Small(2),
                nread: out,
            },
            Call::ArgsSizesGet {
                count: out,
                size: Addr::Aligned(70),
            },
            Call::ArgsGet {
                ptrs: Addr::Aligned(72),
                buf: out,
            },
            Call::EnvironSizesGet {
                count: Addr::Aligned(70),
                size: out,
            },
            Call::EnvironGet {
                ptrs: out,
                buf: Addr::Aligned(90),
            },
            Call::FdSeek {
                fd: Fd::Std(1),
                offset: 3,
                whence: input::Small::Near(1),
                out,
            },
            Call::FdFdstatGet {
                fd: Fd::Std(2),
                stat: out,
            },
            Call::FdPrestatGet {
                fd: Fd::Std(3),
                out,
            },
            Call::FdPrestatDirName {
                fd: Fd::Std(3),
                path: out,
                len: Len::Small(3),
            },
            Call::ClockResGet {
                id: input::Small::Near(1),
                out,
            },
            Call::ClockTimeGet {
                id: input::Small::Near(0),
                precision: 1,
                out,
            },
            Call::RandomGet {
                buf: out,
                len: Len::Small(9),
            },
            Call::SchedYield,
            Call::Print {
                text: Addr::Aligned(80),
                len: Len::Small(4),
            },
            Call::SumPoints {
                points: Addr::Aligned(16),
                n: Len::Small(2),
                out,
            },
            Call::ShapeArea {
                shape: Addr::Aligned(16),
                out,
            },
            Call::Upper {
                text: Addr::Aligned(80),
                len: Len::Small(4),
                out,
                cap: Len::Small(8),
                out_len: Addr::Aligned(70),
            },
            Call::Upper {
                text: Addr::Aligned(80),
                len: Len::Small(4),
                out: Addr::Aligned(81),
                cap: Len::Small(2),
                out_len: out,
            },
            Call::ProcExit { code: 3 },
        ] {
            steps.push(Step::Call(call));
        }
    }
    steps.push(Step::Knobs(Knobs {
        write_limit: Some(2),
        io_error: None,
    }));
    steps.push(Step::Call(Call::FdWrite {
        fd: Fd::Std(1),
        iovs: Addr::Aligned(8),
        n: Len::Small(2),
        nwritten: good,
    }));
    steps.push(Step::Knobs(Knobs {
        write_limit: None,
        io_error: Some(IoError::Io),
    }));
    steps.push(Step::Call(Call::FdRead {
        fd: Fd::Std(0),
        iovs: Addr::Aligned(8),
        n: Len::Small(2),
        nread: good,
    }));
    steps.push(Step::Call(Call::FdClose { fd: Fd::Std(1) }));
    steps.push(Step::Call(Call::FdClose { fd: Fd::Std(1) }));
    run_input(&input(steps));
}
