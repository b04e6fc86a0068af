//! `poll_oneoff`: waiting for clocks and for the standard streams, with the guest structures
//! it reads and writes ([`Subscription`], [`Event`]).
//!
//! Layouts (WASI `legacy/preview1/witx/typenames.witx`; preview0's differ only in
//! `subscription_clock`, see [`preview0`](crate::preview0)):
//!
//! | structure | size | fields at |
//! |---|---|---|
//! | `subscription` | 48 | `userdata` 0, tag 8, contents 16 |
//! | `subscription_clock` | 32 | `id` 0, `timeout` 8, `precision` 16, `flags` 24 |
//! | `subscription_fd_readwrite` | 4 | `file_descriptor` 0 |
//! | `event` | 32 | `userdata` 0, `error` 8, `type` 10, `fd_readwrite` 16 (`nbytes` 16, `flags` 24) |
//!
//! What the call does:
//!
//! - a clock subscription waits `timeout` nanoseconds (relative), or until the clock reads
//!   `timeout` (absolute, `SUBSCRIPTION_CLOCK_ABSTIME`), for any of the four clocks; the host
//!   waits with [`WasiHost::sleep`], once, for the earliest of them. A CPU-time clock is
//!   waited for as if it advanced with real time. A clock the host cannot read, or a sleep it
//!   cannot do, is the event's `error`;
//! - a descriptor subscription is always ready at once: stdout and stderr for `fd_write`,
//!   stdin for `fd_read` (so a wait on stdin never blocks here: the `fd_read` that follows
//!   does), `nbytes` 0 (unknown). A descriptor that is not open, or a stream subscribed in
//!   the other direction, gives an event with `error` `EBADF`;
//! - so when any descriptor is subscribed, nothing sleeps, and the clocks already due fire
//!   with it; otherwise the host sleeps until the earliest clock, and the clocks due then
//!   fire. At least one event is written, in the order of the subscriptions.
//!
//! All or nothing, checked in this order before any clock is read or the host sleeps:
//! `nsubscriptions == 0` is `EINVAL`; then the regions — the subscriptions, the events array
//! for `nsubscriptions` events and `nevents`, each for overflow and bounds (`EFAULT`) and
//! alignment (8, 8 and 4: `EINVAL`), and the events and `nevents` must not overlap the
//! subscriptions (`EFAULT`); then every subscription's contents (tag, clock id, flags:
//! `EINVAL`). Each clock is read at most once per call, when a subscription first needs it,
//! in the order of the subscriptions.

use guestmem::{
    guest_enum, guest_flags, guest_struct, FrameRef, GuestError, GuestFrame, GuestPtr, GuestType,
};

use crate::{ClockId, Descriptor, Errno, HasWasi, Stdio, WasiCtx, WasiHost};

guest_enum! {
    /// The type of a subscription or event (`eventtype`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Eventtype: u8 {
        /// A clock reached a time.
        Clock = 0,
        /// A descriptor has data to read.
        FdRead = 1,
        /// A descriptor can be written.
        FdWrite = 2,
    }
}

guest_flags! {
    /// How a clock subscription's `timeout` is read (`subclockflags`).
    pub struct Subclockflags: u16 {
        /// `timeout` is a time of the clock, not a duration from now.
        const SUBSCRIPTION_CLOCK_ABSTIME = 1 << 0;
    }
}

guest_flags! {
    /// The state of a descriptor in an event (`eventrwflags`).
    pub struct Eventrwflags: u16 {
        /// The peer closed the connection.
        const FD_READWRITE_HANGUP = 1 << 0;
    }
}

guest_struct! {
    /// The contents of a clock subscription (`subscription_clock`, 32 bytes).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SubscriptionClock {
        /// The clock.
        pub id: ClockId,
        /// The duration, or the time when `flags` has `SUBSCRIPTION_CLOCK_ABSTIME`, in
        /// nanoseconds.
        pub timeout: u64,
        /// How much later the event may fire (ignored).
        pub precision: u64,
        /// How `timeout` is read.
        pub flags: Subclockflags,
    }
}

guest_struct! {
    /// The contents of a descriptor subscription (`subscription_fd_readwrite`, 4 bytes).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SubscriptionFdReadwrite {
        /// The descriptor.
        pub file_descriptor: u32,
    }
}

/// What a subscription waits for (`subscription_u`): its tag and contents. `K` is the
/// layout of the clock contents ([`SubscriptionClock`], or preview0's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscriptionU<K> {
    /// A clock.
    Clock(K),
    /// Data to read on a descriptor.
    FdRead(SubscriptionFdReadwrite),
    /// Room to write on a descriptor.
    FdWrite(SubscriptionFdReadwrite),
}

/// A subscription (`subscription`): the guest's `userdata`, and what it waits for. 48 bytes
/// with preview1's clock contents (the default `K`), 56 with preview0's: the tag at 8, the
/// contents at 16, 8-byte aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subscription<K = SubscriptionClock> {
    /// The guest's value, copied into the event.
    pub userdata: u64,
    /// What it waits for.
    pub u: SubscriptionU<K>,
}

/// Offset of the tag, and of the contents, in a subscription.
const TAG_AT: usize = 8;
const CONTENTS_AT: usize = 16;

fn too_small(needed: u32, bytes: &[u8]) -> GuestError {
    GuestError::BufferTooSmall {
        needed,
        available: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
    }
}

impl<'a, K: GuestType<'a>> GuestType<'a> for Subscription<K> {
    // The contents (8-aligned, as `K` holds `u64`s) after `userdata` and the padded tag. The
    // sizes are constants (32 or 40 for `K`): an overflow would fail the build.
    #[allow(clippy::arithmetic_side_effects)]
    const GUEST_SIZE: u32 = 16 + K::GUEST_SIZE;
    const GUEST_ALIGN: u32 = 8;

    fn decode(mem: FrameRef<'a>, bytes: &[u8]) -> Result<Self, GuestError> {
        let short = || too_small(Self::GUEST_SIZE, bytes);
        let userdata = u64::decode(mem, bytes)?;
        let tag = Eventtype::decode(mem, bytes.get(TAG_AT..).ok_or_else(short)?)?;
        let contents = bytes.get(CONTENTS_AT..).ok_or_else(short)?;
        let u = match tag {
            Eventtype::Clock => SubscriptionU::Clock(K::decode(mem, contents)?),
            Eventtype::FdRead => SubscriptionU::FdRead(GuestType::decode(mem, contents)?),
            Eventtype::FdWrite => SubscriptionU::FdWrite(GuestType::decode(mem, contents)?),
        };
        Ok(Subscription { userdata, u })
    }

    fn encode(&self, bytes: &mut [u8]) -> Result<(), GuestError> {
        let size = usize::try_from(Self::GUEST_SIZE).map_err(|_| too_small(0, bytes))?;
        let short = too_small(Self::GUEST_SIZE, bytes);
        let bytes = bytes.get_mut(..size).ok_or(short)?;
        bytes.fill(0);
        self.userdata.encode(bytes)?;
        let (tag, contents) = bytes.split_at_mut(CONTENTS_AT);
        let tag = tag.get_mut(TAG_AT..).ok_or(short)?;
        match &self.u {
            SubscriptionU::Clock(c) => {
                Eventtype::Clock.encode(tag)?;
                c.encode(contents)
            }
            SubscriptionU::FdRead(f) => {
                Eventtype::FdRead.encode(tag)?;
                f.encode(contents)
            }
            SubscriptionU::FdWrite(f) => {
                Eventtype::FdWrite.encode(tag)?;
                f.encode(contents)
            }
        }
    }
}

guest_struct! {
    /// The descriptor part of an event (`event_fd_readwrite`, 16 bytes).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct EventFdReadwrite {
        /// Bytes ready to read or write (0: unknown).
        pub nbytes: u64,
        /// The descriptor's state.
        pub flags: Eventrwflags,
    }
}

guest_struct! {
    /// An event that occurred (`event`, 32 bytes; the same in preview0).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Event {
        /// The subscription's `userdata`.
        pub userdata: u64,
        /// Why the subscription failed, or `ESUCCESS`.
        pub error: Errno,
        /// The subscription's type.
        pub r#type: Eventtype,
        /// For a descriptor subscription; zero for a clock.
        pub fd_readwrite: EventFdReadwrite,
    }
}

/// The clock contents of a subscription, in the layout of either preview; the rest of the
/// call is the same for both.
pub(crate) trait ClockContents {
    /// The clock, the timeout, and whether it is absolute.
    fn clock(&self) -> (ClockId, u64, bool);
}

impl ClockContents for SubscriptionClock {
    fn clock(&self) -> (ClockId, u64, bool) {
        let abs = self
            .flags
            .contains(Subclockflags::SUBSCRIPTION_CLOCK_ABSTIME);
        (self.id, self.timeout, abs)
    }
}

/// Each clock's reading during one call, read once, when first needed.
#[derive(Default)]
struct Now([Option<Result<u64, Errno>>; 4]);

impl Now {
    fn get<H: WasiHost>(&mut self, host: &mut H, clock: ClockId) -> Result<u64, Errno> {
        let slot = usize::try_from(clock.to_raw())
            .ok()
            .and_then(|i| self.0.get_mut(i));
        match slot {
            Some(Some(now)) => *now,
            Some(slot) => *slot.insert(host.clock_time(clock)),
            None => host.clock_time(clock),
        }
    }
}

/// How long until clock subscription `c` is due: 0 when due or when its clock cannot be read.
fn remaining<H: WasiHost>(now: &mut Now, host: &mut H, c: &impl ClockContents) -> u64 {
    match c.clock() {
        (_, timeout, false) => timeout,
        (id, timeout, true) => now.get(host, id).map_or(0, |t| timeout.saturating_sub(t)),
    }
}

/// The event of descriptor subscription `f`, always ready: `EBADF` for a descriptor that is
/// not open, a directory, or a stream subscribed the other way.
fn fd_event<H: WasiHost>(wasi: &WasiCtx<H>, f: SubscriptionFdReadwrite, kind: Eventtype) -> Errno {
    match wasi.descriptor(f.file_descriptor) {
        Err(e) => e,
        Ok(Descriptor::Stdio(s)) => match (s, kind) {
            (Stdio::Stdin, Eventtype::FdRead)
            | (Stdio::Stdout | Stdio::Stderr, Eventtype::FdWrite) => Errno::Success,
            _ => Errno::Badf,
        },
        // A regular file is always ready (preview1's `poll_oneoff`); a directory is not a
        // stream.
        Ok(Descriptor::File { .. }) => Errno::Success,
        Ok(Descriptor::Dir { .. }) => Errno::Badf,
    }
}

/// `poll_oneoff` over subscriptions whose clock contents are `K` (see the module docs).
pub(crate) fn poll<'a, K, C>(
    ctx: &mut C,
    mem: &'a GuestFrame<'a>,
    subs: GuestPtr<'a, Subscription<K>>,
    events: GuestPtr<'a, Event>,
    nsubscriptions: u32,
    nevents: GuestPtr<'a, u32>,
) -> Result<(), Errno>
where
    K: GuestType<'a> + ClockContents,
    C: HasWasi,
{
    if nsubscriptions == 0 {
        return Err(Errno::Inval);
    }
    let subs = subs.as_array(nsubscriptions);
    subs.validate()?;
    // One shared view of the subscriptions for the whole call: they are decoded from it, and
    // while it lives no write into them is allowed, so the checks below refuse events or a
    // count that overlap them, and the writes at the end cannot fail.
    let view = subs
        .as_ptr()
        .cast::<u8>()
        .as_array(subs.byte_len()?)
        .as_slice()?;
    events.as_array(nsubscriptions).validate_write()?;
    nevents.as_array(1).validate_write()?;
    let size = usize::try_from(Subscription::<K>::GUEST_SIZE).map_err(|_| Errno::Inval)?;
    let decode = |bytes: &[u8]| Subscription::<K>::decode(mem.into(), bytes);

    let mut any_fd = false;
    for bytes in view.chunks_exact(size) {
        any_fd |= !matches!(decode(bytes)?.u, SubscriptionU::Clock(_));
    }

    // Checked: from here on, clocks are read, the host sleeps, events are written.
    let wasi = ctx.wasi();
    let mut now = Now::default();
    let mut wait = 0;
    if !any_fd {
        wait = u64::MAX;
        for bytes in view.chunks_exact(size) {
            if let SubscriptionU::Clock(c) = decode(bytes)?.u {
                wait = wait.min(remaining(&mut now, &mut wasi.host, &c));
            }
        }
    }
    let slept = if wait > 0 {
        wasi.host.sleep(wait)
    } else {
        Ok(())
    };

    let mut n: u32 = 0;
    for bytes in view.chunks_exact(size) {
        let sub = decode(bytes)?;
        let (kind, error) = match sub.u {
            SubscriptionU::Clock(c) => {
                let (id, timeout, abs) = c.clock();
                let due = if abs {
                    now.get(&mut wasi.host, id)
                        .map(|t| timeout <= t.saturating_add(wait))
                } else {
                    Ok(timeout <= wait)
                };
                match due {
                    Ok(false) => continue,
                    Ok(true) => (Eventtype::Clock, slept.err().unwrap_or(Errno::Success)),
                    Err(e) => (Eventtype::Clock, e),
                }
            }
            SubscriptionU::FdRead(f) => (Eventtype::FdRead, fd_event(wasi, f, Eventtype::FdRead)),
            SubscriptionU::FdWrite(f) => {
                (Eventtype::FdWrite, fd_event(wasi, f, Eventtype::FdWrite))
            }
        };
        events.add(n)?.write(Event {
            userdata: sub.userdata,
            error,
            r#type: kind,
            fd_readwrite: EventFdReadwrite {
                nbytes: 0,
                flags: Eventrwflags::empty(),
            },
        })?;
        n = n.saturating_add(1);
    }
    drop(view);
    nevents.write(n)?;
    Ok(())
}

/// `poll_oneoff(in, out, nsubscriptions, nevents)`: waits for the first of the
/// `nsubscriptions` subscriptions at `in` to occur, writes the events that occurred to `out`,
/// and their number to `*nevents`. See the [module docs](self) for what it waits for and what
/// is checked before anything happens.
///
/// # Examples
///
/// A relative clock of 1 ms: the host sleeps 1 ms, one event.
///
/// ```
/// use guestmem_wasi::guestmem::{GuestFrame, GuestPtr};
/// use guestmem_wasi::poll::{self, Event, Eventtype, Subclockflags, Subscription, SubscriptionClock, SubscriptionU};
/// use guestmem_wasi::{ClockId, Errno, HostCall, TestHost, WasiCtx};
///
/// let mut bytes = [0u8; 128];
/// let mem = GuestFrame::new(&mut bytes);
/// let clock = SubscriptionClock { id: ClockId::Monotonic, timeout: 1_000_000, precision: 0, flags: Subclockflags::empty() };
/// GuestPtr::new(&mem, 0).write(Subscription { userdata: 7, u: SubscriptionU::Clock(clock) })?;
/// let mut ctx = WasiCtx::new(TestHost::default());
/// let (subs, out, nevents) = (GuestPtr::new(&mem, 0), GuestPtr::<Event>::new(&mem, 48), GuestPtr::new(&mem, 80));
/// assert_eq!(poll::poll_oneoff(&mut ctx, &mem, subs, out, 1, nevents), Errno::Success);
/// assert_eq!(nevents.read()?, 1);
/// assert_eq!((out.read()?.userdata, out.read()?.r#type, out.read()?.error), (7, Eventtype::Clock, Errno::Success));
/// assert_eq!(ctx.host().log.as_slice(), [HostCall::Sleep(1_000_000)]);
/// # Ok::<(), guestmem_wasi::guestmem::GuestError>(())
/// ```
pub fn poll_oneoff<'a, C: HasWasi>(
    ctx: &mut C,
    mem: &'a GuestFrame<'a>,
    subs: GuestPtr<'a, Subscription>,
    events: GuestPtr<'a, Event>,
    nsubscriptions: u32,
    nevents: GuestPtr<'a, u32>,
) -> Errno {
    poll(ctx, mem, subs, events, nsubscriptions, nevents)
        .err()
        .unwrap_or(Errno::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{preview0, HostCall, TestHost};
    use std::vec::Vec;

    const MS: u64 = 1_000_000;

    fn clock(id: ClockId, timeout: u64, abs: bool) -> SubscriptionClock {
        let flags = if abs {
            Subclockflags::SUBSCRIPTION_CLOCK_ABSTIME
        } else {
            Subclockflags::empty()
        };
        SubscriptionClock {
            id,
            timeout,
            precision: 0,
            flags,
        }
    }

    fn sub(userdata: u64, u: SubscriptionU<SubscriptionClock>) -> Subscription {
        Subscription { userdata, u }
    }

    fn fd(n: u32) -> SubscriptionFdReadwrite {
        SubscriptionFdReadwrite { file_descriptor: n }
    }

    /// Runs preview1's `poll_oneoff` over `subs` at 0, events at 512, the count at 1016.
    fn run(ctx: &mut WasiCtx<TestHost<'static>>, subs: &[Subscription]) -> (Errno, Vec<Event>) {
        let mut bytes = [0u8; 1024];
        let mem = GuestFrame::new(&mut bytes);
        for (i, s) in subs.iter().enumerate() {
            GuestPtr::new(&mem, 48 * i as u32).write(*s).unwrap();
        }
        let out = GuestPtr::<Event>::new(&mem, 512);
        let n = GuestPtr::<u32>::new(&mem, 1016);
        let errno = poll_oneoff(ctx, &mem, GuestPtr::new(&mem, 0), out, subs.len() as u32, n);
        let count = n.read().unwrap();
        let events = (0..count)
            .map(|i| out.add(i).unwrap().read().unwrap())
            .collect();
        (errno, events)
    }

    #[test]
    fn layouts_match_the_witx() {
        assert_eq!(<Subscription as GuestType>::GUEST_SIZE, 48);
        assert_eq!(
            <Subscription<preview0::SubscriptionClock> as GuestType>::GUEST_SIZE,
            56
        );
        assert_eq!(<Event as GuestType>::GUEST_SIZE, 32);
        let mut bytes = [0xAAu8; 56];
        let mem = GuestFrame::new(&mut bytes);
        let s = sub(
            0x0102,
            SubscriptionU::Clock(clock(ClockId::ProcessCputime, 3, true)),
        );
        GuestPtr::new(&mem, 0).write(s).unwrap();
        let mut raw = [0u8; 48];
        GuestPtr::<[u8]>::new(&mem, (0, 48))
            .copy_to_slice(&mut raw)
            .unwrap();
        let mut want = [0u8; 48];
        want[0..2].copy_from_slice(&[2, 1]); // userdata
        want[8] = 0; // tag: clock
        want[16] = 2; // id
        want[24] = 3; // timeout
        want[40] = 1; // flags: abstime
        assert_eq!(raw, want);
        // preview0: the identifier first, the rest 8 bytes later.
        let s0 = Subscription {
            userdata: 1,
            u: SubscriptionU::Clock(preview0::SubscriptionClock {
                identifier: 9,
                id: ClockId::Monotonic,
                timeout: 5,
                precision: 6,
                flags: Subclockflags::SUBSCRIPTION_CLOCK_ABSTIME,
            }),
        };
        GuestPtr::new(&mem, 0).write(s0).unwrap();
        let mut raw = [0u8; 56];
        GuestPtr::<[u8]>::new(&mem, (0, 56))
            .copy_to_slice(&mut raw)
            .unwrap();
        assert_eq!(
            (raw[16], raw[24], raw[32], raw[40], raw[48]),
            (9, 1, 5, 6, 1)
        );
        // An event: error at 8, type at 10, nbytes at 16, flags at 24.
        let e = Event {
            userdata: 1,
            error: Errno::Badf,
            r#type: Eventtype::FdWrite,
            fd_readwrite: EventFdReadwrite {
                nbytes: 4,
                flags: Eventrwflags::FD_READWRITE_HANGUP,
            },
        };
        GuestPtr::new(&mem, 0).write(e).unwrap();
        let mut raw = [0u8; 32];
        GuestPtr::<[u8]>::new(&mem, (0, 32))
            .copy_to_slice(&mut raw)
            .unwrap();
        assert_eq!((raw[0], raw[8], raw[10], raw[16], raw[24]), (1, 8, 2, 4, 1));
    }

    #[test]
    fn relative_clocks_sleep_for_the_earliest() {
        for id in [
            ClockId::Realtime,
            ClockId::Monotonic,
            ClockId::ProcessCputime,
            ClockId::ThreadCputime,
        ] {
            let mut ctx = WasiCtx::new(TestHost::default());
            let subs = [
                sub(1, SubscriptionU::Clock(clock(id, 5 * MS, false))),
                sub(2, SubscriptionU::Clock(clock(id, 2 * MS, false))),
                sub(3, SubscriptionU::Clock(clock(id, 2 * MS, false))),
            ];
            let (errno, events) = run(&mut ctx, &subs);
            assert_eq!(errno, Errno::Success);
            let fired: Vec<u64> = events.iter().map(|e| e.userdata).collect();
            assert_eq!(fired, [2, 3]);
            assert!(events
                .iter()
                .all(|e| e.error == Errno::Success && e.r#type == Eventtype::Clock));
            assert_eq!(ctx.host().log.as_slice(), [HostCall::Sleep(2 * MS)]);
        }
    }

    #[test]
    fn absolute_clocks_sleep_until_the_time() {
        let mut ctx = WasiCtx::new(TestHost::default());
        let t0 = ctx.host().time;
        let subs = [
            sub(
                1,
                SubscriptionU::Clock(clock(ClockId::Realtime, t0 + 3 * MS, true)),
            ),
            sub(
                2,
                SubscriptionU::Clock(clock(ClockId::Monotonic, t0 + 9 * MS, true)),
            ),
        ];
        let (errno, events) = run(&mut ctx, &subs);
        assert_eq!(
            (errno, events.len(), events[0].userdata),
            (Errno::Success, 1, 1)
        );
        // Each clock read once, then one sleep.
        assert_eq!(
            ctx.host().log.as_slice(),
            [
                HostCall::ClockTime(ClockId::Realtime),
                HostCall::ClockTime(ClockId::Monotonic),
                HostCall::Sleep(3 * MS),
            ]
        );
        // A time already past: no sleep.
        let mut ctx = WasiCtx::new(TestHost::default());
        let subs = [sub(
            4,
            SubscriptionU::Clock(clock(ClockId::Realtime, 5, true)),
        )];
        let (_, events) = run(&mut ctx, &subs);
        assert_eq!(events[0].userdata, 4);
        assert!(!ctx
            .host()
            .log
            .iter()
            .any(|c| matches!(c, HostCall::Sleep(_))));
    }

    #[test]
    fn a_host_that_cannot_sleep_reports_it_in_the_event() {
        struct NoSleep;
        impl WasiHost for NoSleep {
            fn write(&mut self, _: Stdio, _: &[&[u8]]) -> Result<usize, Errno> {
                Ok(0)
            }
        }
        let mut bytes = [0u8; 256];
        let mem = GuestFrame::new(&mut bytes);
        let s = sub(
            1,
            SubscriptionU::Clock(clock(ClockId::Monotonic, MS, false)),
        );
        GuestPtr::new(&mem, 0).write(s).unwrap();
        let mut ctx = WasiCtx::new(NoSleep);
        let out = GuestPtr::<Event>::new(&mem, 64);
        let n = GuestPtr::new(&mem, 128);
        let errno = poll_oneoff(&mut ctx, &mem, GuestPtr::new(&mem, 0), out, 1, n);
        assert_eq!((errno, n.read().unwrap()), (Errno::Success, 1));
        assert_eq!(out.read().unwrap().error, Errno::Nosys);
        // An absolute clock it cannot read: EINVAL in the event, at once.
        let s = sub(2, SubscriptionU::Clock(clock(ClockId::Monotonic, MS, true)));
        GuestPtr::new(&mem, 0).write(s).unwrap();
        poll_oneoff(&mut ctx, &mem, GuestPtr::new(&mem, 0), out, 1, n);
        assert_eq!(out.read().unwrap().error, Errno::Inval);
    }

    #[test]
    fn stdio_is_ready_at_once_and_bad_descriptors_are_ebadf() {
        let mut ctx = WasiCtx::new(TestHost::default());
        let subs = [
            sub(
                1,
                SubscriptionU::Clock(clock(ClockId::Monotonic, MS, false)),
            ),
            sub(2, SubscriptionU::FdRead(fd(0))),
            sub(3, SubscriptionU::FdWrite(fd(1))),
            sub(4, SubscriptionU::FdWrite(fd(2))),
            sub(5, SubscriptionU::FdRead(fd(7))),
            sub(6, SubscriptionU::FdRead(fd(1))),
            sub(7, SubscriptionU::FdWrite(fd(0))),
            sub(8, SubscriptionU::Clock(clock(ClockId::Monotonic, 0, false))),
        ];
        let (errno, events) = run(&mut ctx, &subs);
        assert_eq!(errno, Errno::Success);
        let got: Vec<(u64, Eventtype, Errno)> = events
            .iter()
            .map(|e| (e.userdata, e.r#type, e.error))
            .collect();
        use Eventtype::{Clock, FdRead, FdWrite};
        assert_eq!(
            got,
            [
                (2, FdRead, Errno::Success),
                (3, FdWrite, Errno::Success),
                (4, FdWrite, Errno::Success),
                (5, FdRead, Errno::Badf),
                (6, FdRead, Errno::Badf),
                (7, FdWrite, Errno::Badf),
                (8, Clock, Errno::Success),
            ]
        );
        assert_eq!(ctx.host().calls, 0, "no sleep, no clock read");
    }

    #[test]
    fn bad_subscriptions_are_einval_before_anything() {
        let mut ctx = WasiCtx::new(TestHost::default());
        assert_eq!(run(&mut ctx, &[]).0, Errno::Inval);
        for (at, byte) in [(8, 3u8), (16, 4), (40, 2)] {
            let mut bytes = [0u8; 1024];
            let mem = GuestFrame::new(&mut bytes);
            let s = sub(
                1,
                SubscriptionU::Clock(clock(ClockId::Monotonic, MS, false)),
            );
            GuestPtr::new(&mem, 0).write(s).unwrap();
            GuestPtr::<u8>::new(&mem, at).write(byte).unwrap();
            let (out, n) = (GuestPtr::new(&mem, 512), GuestPtr::new(&mem, 1016));
            let errno = poll_oneoff(&mut ctx, &mem, GuestPtr::new(&mem, 0), out, 1, n);
            assert_eq!(errno, Errno::Inval, "byte {at} = {byte}");
        }
        assert_eq!(ctx.host().calls, 0);
    }
}
