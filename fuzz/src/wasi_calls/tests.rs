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

/// The calls added with `poll_oneoff`: valid subscriptions of both layouts (every clock,
/// relative and absolute, due and not; descriptors in both directions, open and not), bad
/// ones, and bad regions; the socket functions, preview0's `fd_seek` and the file functions,
/// on open, closed and unknown descriptors.
#[test]
fn poll_sockets_and_files_run_checked() {
    use input::{Small, Sub, Timeout};
    // Each group one input (`run_input` takes the first `MAX_STEPS` steps).
    let mut groups: Vec<Vec<Step>> = Vec::new();
    for preview0 in [false, true] {
        let size: u8 = if preview0 { 56 } else { 48 };
        let clocks: Vec<(u64, Sub)> = (0..4u8)
            .map(|id| {
                let sub = Sub::Clock {
                    id,
                    abs: id % 2 == 1,
                    timeout: if id % 2 == 1 {
                        Timeout::FromNow(i16::from(id) * 3 - 5)
                    } else {
                        Timeout::Micros(u16::from(id) * 7 + 1)
                    },
                    precision: 9,
                };
                (u64::from(id) + 1, sub)
            })
            .collect();
        let mut mixed = clocks.clone();
        for fd in 0..5 {
            mixed.push((10 + u64::from(fd), Sub::FdRead(fd)));
            mixed.push((20 + u64::from(fd), Sub::FdWrite(fd)));
        }
        let bad = [
            Sub::Raw {
                tag: 3,
                word: 0,
                flags: 0,
            },
            Sub::Raw {
                tag: 0,
                word: 4,
                flags: 0,
            },
            Sub::Raw {
                tag: 0,
                word: 1,
                flags: 2,
            },
        ];
        let lists = [clocks, mixed.into_iter().take(8).collect()]
            .into_iter()
            .chain(bad.map(|b| vec![(1, Sub::FdWrite(1)), (2, b)]));
        for subs in lists {
            let count = u8::try_from(subs.len()).unwrap_or(u8::MAX); // at most 8
            let mut steps = vec![Step::PokeSubs {
                at: Addr::Aligned(0),
                preview0,
                subs,
            }];
            for (events, nevents) in [
                (Addr::Aligned(64), Addr::Aligned(100)), // 512, 800: fine
                (Addr::Aligned(64), Addr::Aligned(64)),  // events and nevents may overlap
                (Addr::Aligned(5), Addr::Aligned(100)),  // events over the subscriptions
                (Addr::Aligned(64), Addr::Aligned(1)),   // nevents over them
                (Addr::Small(4), Addr::Aligned(100)),    // misaligned
                (Addr::Aligned(64), Addr::FromEnd(2)),   // out of bounds
            ] {
                for n in [Len::Small(count), Len::Zero, Len::Small(1), Len::Max(0)] {
                    steps.push(Step::Call(Call::PollOneoff {
                        preview0,
                        subs: Addr::Zero,
                        events,
                        n,
                        nevents,
                    }));
                }
            }
            steps.push(Step::Call(Call::PollOneoff {
                preview0,
                subs: Addr::FromEnd(size),
                events: Addr::Aligned(64),
                n: Len::Small(2),
                nevents: Addr::Aligned(100),
            }));
            groups.push(steps);
        }
    }
    for fd in [Fd::Std(0), Fd::Std(1), Fd::Std(3), Fd::Any(u32::MAX)] {
        for out in [Addr::Aligned(64), Addr::Small(3), Addr::High(0)] {
            let mut steps = Vec::new();
            for whence in 0..4 {
                steps.push(Step::Call(Call::FdSeek0 {
                    fd,
                    offset: -1,
                    whence: Small::Near(whence),
                    out,
                }));
            }
            steps.extend(
                [
                    Call::SockAccept {
                        fd,
                        flags: 0,
                        result_fd: 8,
                    },
                    Call::SockRecv { fd, args: [8; 5] },
                    Call::SockSend { fd, args: [8; 4] },
                    Call::SockShutdown { fd, how: 3 },
                    Call::PathOpen {
                        fd,
                        dirflags: 1,
                        path: out,
                        len: Len::Small(3),
                        oflags: 0,
                        rights_base: 2,
                        rights_inheriting: 0,
                        fdflags: 0,
                        opened: out,
                    },
                    // preview0's first: its 56 bytes over the fill, then preview1's 64.
                    Call::FdFilestatGet {
                        preview0: true,
                        fd,
                        buf: out,
                    },
                    Call::FdFilestatGet {
                        preview0: false,
                        fd,
                        buf: out,
                    },
                    Call::PathFilestatGet {
                        preview0: true,
                        fd,
                        flags: 1,
                        path: out,
                        len: Len::Small(2),
                        buf: out,
                    },
                    Call::FdReaddir {
                        fd,
                        buf: out,
                        len: Len::Small(40),
                        cookie: 0,
                        bufused: out,
                    },
                    Call::FdPread {
                        fd,
                        iovs: out,
                        n: Len::Small(1),
                        offset: 0,
                        nread: out,
                    },
                    Call::FdPwrite {
                        fd,
                        iovs: out,
                        n: Len::Small(1),
                        offset: 0,
                        nwritten: out,
                    },
                    Call::FdTell { fd, out },
                ]
                .map(Step::Call),
            );
            groups.push(steps);
        }
    }
    // Clocks alone: the host sleeps until the earliest (or not at all, an absolute one past).
    for preview0 in [false, true] {
        let mut steps = Vec::new();
        for (id, abs, timeout) in [
            (1, false, Timeout::Micros(5)),
            (0, true, Timeout::FromNow(2)),
            (2, true, Timeout::FromNow(-1)),
            (3, false, Timeout::Max),
            (1, true, Timeout::Max),
            (3, false, Timeout::Zero),
        ] {
            let clock = |id: u8, abs, timeout| Sub::Clock {
                id,
                abs,
                timeout,
                precision: 0,
            };
            steps.push(Step::Poll {
                at: Addr::Aligned(0),
                preview0,
                subs: vec![
                    (7, clock(id, abs, timeout)),
                    (8, clock(id ^ 1, !abs, Timeout::Micros(3))),
                ],
                events: Addr::Aligned(64),
                nevents: Addr::Aligned(100),
            });
            steps.push(Step::Poll {
                at: Addr::Aligned(0),
                preview0,
                subs: vec![(9, clock(id, abs, timeout))],
                events: Addr::Aligned(64),
                nevents: Addr::Aligned(100),
            });
        }
        groups.push(steps);
    }
    // A closed stream: `EBADF` in its event, and for the other calls.
    groups.push(vec![
        Step::Call(Call::FdClose { fd: Fd::Std(0) }),
        Step::PokeSubs {
            at: Addr::Aligned(0),
            preview0: false,
            subs: vec![(1, Sub::FdRead(0)), (2, Sub::FdWrite(2))],
        },
        Step::Call(Call::PollOneoff {
            preview0: false,
            subs: Addr::Zero,
            events: Addr::Aligned(64),
            n: Len::Small(2),
            nevents: Addr::Aligned(100),
        }),
        Step::Call(Call::FdFilestatGet {
            preview0: true,
            fd: Fd::Std(0),
            buf: Addr::Aligned(64),
        }),
        Step::Call(Call::SockShutdown {
            fd: Fd::Std(0),
            how: 0,
        }),
    ]);
    for steps in groups {
        assert!(steps.len() <= MAX_STEPS);
        run_input(&input(steps));
    }
}
