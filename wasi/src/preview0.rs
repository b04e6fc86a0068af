//! WASI preview0 (`wasi_unstable`): the preview1 functions under the older import name, with
//! shims where the two differ.
//!
//! [`for_each_function_preview0!`](crate::for_each_function_preview0) is the preview1 list of
//! [`for_each_function!`](crate::for_each_function) with a few named entries replaced
//! (preview0 per WASI `legacy/preview0/witx`, `wasi_unstable.witx` and `typenames.witx`):
//!
//! - `fd_seek`: preview0 numbers `whence` `CUR = 0, END = 1, SET = 2` (preview1: `SET = 0,
//!   CUR = 1, END = 2`); [`fd_seek`] maps it and calls preview1's;
//! - `poll_oneoff`: preview0's `subscription_clock` has an `identifier: u64` first (40 bytes,
//!   so a subscription is 56, not 48; [`SubscriptionClock`]); [`poll_oneoff`]. The events are
//!   the same;
//! - `fd_filestat_get`, `path_filestat_get`: preview0's `filestat` has `nlink: u32` (56 bytes,
//!   not 64; [`Filestat`]); [`fd_filestat_get`] and [`path_filestat_get`] write it;
//! - `sock_accept`: not in preview0, left out (45 functions).
//!
//! Every other function (a later preview1 one included) is linked under both names as it is.

use guestmem::{guest_struct, GuestFrame, GuestPtr};

use crate::__host_fn_table;
use crate::poll::{poll, ClockContents, Event, Subclockflags, Subscription};
use crate::{ClockId, Errno, Filetype, HasWasi};

/// The import module of WASI preview0.
pub const MODULE: &str = "wasi_unstable";

/// How many functions [`for_each_function_preview0!`](crate::for_each_function_preview0)
/// lists: every import of preview0.
pub const FUNCTION_COUNT: usize = 45;

/// preview0's `whence` as preview1's: `CUR = 0 → 1`, `END = 1 → 2`, `SET = 2 → 0`.
///
/// # Errors
///
/// `EINVAL` for any other value.
pub const fn whence_to_preview1(whence: u32) -> Result<u32, Errno> {
    match whence {
        0 => Ok(1),
        1 => Ok(2),
        2 => Ok(0),
        _ => Err(Errno::Inval),
    }
}

/// `fd_seek(fd, offset, whence, newoffset)` of preview0: `whence` mapped by
/// [`whence_to_preview1`], then preview1's [`fd_seek`](crate::calls::fd_seek).
pub fn fd_seek<'a, C: HasWasi>(
    ctx: &mut C,
    mem: &'a GuestFrame<'a>,
    fd: u32,
    offset: i64,
    whence: u32,
    newoffset: GuestPtr<'a, u64>,
) -> Errno {
    match whence_to_preview1(whence) {
        Ok(w) => crate::calls::fd_seek(ctx, mem, fd, offset, w, newoffset),
        // An unknown whence on a bad descriptor is still `EBADF`, as in preview1.
        Err(e) => ctx.wasi().descriptor(fd).err().unwrap_or(e),
    }
}

guest_struct! {
    /// preview0's clock subscription contents (`subscription_clock`, 40 bytes): preview1's
    /// [`SubscriptionClock`](crate::poll::SubscriptionClock) after an `identifier`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SubscriptionClock {
        /// The guest's identifier of the clock (ignored).
        pub identifier: u64,
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

impl ClockContents for SubscriptionClock {
    fn clock(&self) -> (ClockId, u64, bool) {
        let abs = self
            .flags
            .contains(Subclockflags::SUBSCRIPTION_CLOCK_ABSTIME);
        (self.id, self.timeout, abs)
    }
}

/// `poll_oneoff(in, out, nsubscriptions, nevents)` of preview0: preview1's
/// [`poll_oneoff`](crate::poll::poll_oneoff) over 56-byte subscriptions.
pub fn poll_oneoff<'a, C: HasWasi>(
    ctx: &mut C,
    mem: &'a GuestFrame<'a>,
    subs: GuestPtr<'a, Subscription<SubscriptionClock>>,
    events: GuestPtr<'a, Event>,
    nsubscriptions: u32,
    nevents: GuestPtr<'a, u32>,
) -> Errno {
    poll(ctx, mem, subs, events, nsubscriptions, nevents)
        .err()
        .unwrap_or(Errno::Success)
}

guest_struct! {
    /// preview0's `filestat` (56 bytes): preview1's [`Filestat`](crate::fs::Filestat) with a
    /// 32-bit `nlink`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Filestat {
        /// The device of the file.
        pub dev: u64,
        /// Its inode.
        pub ino: u64,
        /// Its type.
        pub filetype: Filetype,
        /// Its number of hard links (`u32::MAX` if it has more).
        pub nlink: u32,
        /// Its size in bytes.
        pub size: u64,
        /// Last access, in nanoseconds since 1970.
        pub atim: u64,
        /// Last modification, in nanoseconds since 1970.
        pub mtim: u64,
        /// Last status change, in nanoseconds since 1970.
        pub ctim: u64,
    }
}

impl From<crate::fs::Filestat> for Filestat {
    fn from(s: crate::fs::Filestat) -> Self {
        Filestat {
            dev: s.dev,
            ino: s.ino,
            filetype: s.filetype,
            nlink: u32::try_from(s.nlink).unwrap_or(u32::MAX),
            size: s.size,
            atim: s.atim,
            mtim: s.mtim,
            ctim: s.ctim,
        }
    }
}

/// `fd_filestat_get(fd, buf)` of preview0: preview1's
/// [`fd_filestat_get`](crate::calls::fd_filestat_get) into a preview0 [`Filestat`].
pub fn fd_filestat_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    buf: GuestPtr<'a, Filestat>,
) -> Errno {
    crate::files::fd_filestat(ctx, fd, buf)
        .err()
        .unwrap_or(Errno::Success)
}

/// `path_filestat_get(fd, flags, path, buf)` of preview0: preview1's
/// [`path_filestat_get`](crate::calls::path_filestat_get) into a preview0 [`Filestat`].
pub fn path_filestat_get<'a, C: HasWasi>(
    ctx: &mut C,
    _mem: &'a GuestFrame<'a>,
    fd: u32,
    flags: u32,
    path: GuestPtr<'a, [u8]>,
    buf: GuestPtr<'a, Filestat>,
) -> Errno {
    crate::files::path_filestat(ctx, fd, flags, path, buf)
        .err()
        .unwrap_or(Errno::Success)
}

/// The one list of every WASI preview0 host function: [`for_each_function!`]'s preview1 list
/// under the module `wasi_unstable`, with the entries that differ replaced (see the
/// [module docs](crate::preview0)). Used as `for_each_function!` is, with the same callback.
///
/// # Examples
///
/// ```
/// macro_rules! names {
///     ([] module $module:literal; bound $bound:path;
///      $($kind:tt $name:literal ($($arg:ty),*) -> $ret:ty = $target:expr;)*) => {
///         [$(($module, $name, stringify!($kind))),*]
///     };
/// }
///
/// let list = guestmem_wasi::for_each_function_preview0!(names);
/// assert_eq!(list.len(), guestmem_wasi::preview0::FUNCTION_COUNT);
/// assert!(list.contains(&("wasi_unstable", "fd_seek", "fn")));
/// assert!(list.contains(&("wasi_unstable", "fd_filestat_get", "fn")));
/// assert!(!list.iter().any(|(_, name, _)| *name == "sock_accept"));
/// ```
///
/// [`for_each_function!`]: crate::for_each_function
#[macro_export]
macro_rules! for_each_function_preview0 {
    ($callback:ident $(, $($extra:tt)*)?) => {
        $crate::for_each_function!($crate::__preview0_list, $callback [$($($extra)*)?])
    };
}

/// The callback of [`for_each_function_preview0!`]: takes the preview1 list and rewrites it
/// entry by entry ([`__preview0_entries!`]). Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __preview0_list {
    ([$callback:ident [$($extra:tt)*]] module $module:literal; bound $bound:path; $($entries:tt)*) => {
        $crate::__preview0_entries!([$callback [$($extra)*] $bound] [] $($entries)*)
    };
}

/// Rewrites the preview1 entries one at a time (the names are matched as tokens), then calls
/// the caller's callback with the preview0 list. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __preview0_entries {
    ([$callback:ident [$($extra:tt)*] $bound:path] [$($done:tt)*]) => {
        $callback! {
            [$($extra)*]
            module "wasi_unstable";
            bound $bound;
            $($done)*
        }
    };
    ($head:tt [$($done:tt)*] $kind:tt "fd_seek" $args:tt -> $ret:ty = $target:expr; $($rest:tt)*) => {
        $crate::__preview0_entries!($head [$($done)*
            fn "fd_seek" (u32, i64, u32, $crate::guestmem::GuestPtr<'_, u64>) -> $crate::Errno = $crate::preview0::fd_seek;
        ] $($rest)*)
    };
    ($head:tt [$($done:tt)*] $kind:tt "poll_oneoff" $args:tt -> $ret:ty = $target:expr; $($rest:tt)*) => {
        $crate::__preview0_entries!($head [$($done)*
            fn "poll_oneoff" ($crate::guestmem::GuestPtr<'_, $crate::poll::Subscription<$crate::preview0::SubscriptionClock>>, $crate::guestmem::GuestPtr<'_, $crate::poll::Event>, u32, $crate::guestmem::GuestPtr<'_, u32>) -> $crate::Errno = $crate::preview0::poll_oneoff;
        ] $($rest)*)
    };
    ($head:tt [$($done:tt)*] $kind:tt "fd_filestat_get" $args:tt -> $ret:ty = $target:expr; $($rest:tt)*) => {
        $crate::__preview0_entries!($head [$($done)*
            fn "fd_filestat_get" (u32, $crate::guestmem::GuestPtr<'_, $crate::preview0::Filestat>) -> $crate::Errno = $crate::preview0::fd_filestat_get;
        ] $($rest)*)
    };
    ($head:tt [$($done:tt)*] $kind:tt "path_filestat_get" $args:tt -> $ret:ty = $target:expr; $($rest:tt)*) => {
        $crate::__preview0_entries!($head [$($done)*
            fn "path_filestat_get" (u32, u32, $crate::guestmem::GuestPtr<'_, [u8]>, $crate::guestmem::GuestPtr<'_, $crate::preview0::Filestat>) -> $crate::Errno = $crate::preview0::path_filestat_get;
        ] $($rest)*)
    };
    // Not in preview0.
    ($head:tt [$($done:tt)*] $kind:tt "sock_accept" $args:tt -> $ret:ty = $target:expr; $($rest:tt)*) => {
        $crate::__preview0_entries!($head [$($done)*] $($rest)*)
    };
    ($head:tt [$($done:tt)*] $kind:tt $name:tt $args:tt -> $ret:ty = $target:expr; $($rest:tt)*) => {
        $crate::__preview0_entries!($head [$($done)* $kind $name $args -> $ret = $target;] $($rest)*)
    };
}

/// Every WASI preview0 function as an engine-neutral [`HostFn`](crate::abi::HostFn), built
/// from [`for_each_function_preview0!`](crate::for_each_function_preview0), as
/// [`host_functions`](crate::host_functions) is for preview1.
///
/// # Examples
///
/// ```
/// use guestmem_wasi::abi::HostFn;
/// use guestmem_wasi::{preview0, TestHost, WasiCtx};
///
/// static WASI: [HostFn<WasiCtx<TestHost<'static>>>; preview0::FUNCTION_COUNT] =
///     preview0::host_functions();
/// let seek = WASI.iter().find(|f| f.name == "fd_seek").unwrap();
/// assert_eq!((seek.module, seek.sig.as_cstr()), ("wasi_unstable", c"i(iIi*)"));
/// ```
pub const fn host_functions<C: HasWasi>() -> [crate::abi::HostFn<C>; FUNCTION_COUNT] {
    crate::for_each_function_preview0!(__host_fn_table, C)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TestHost, WasiCtx};

    #[test]
    fn preview0_filestat_is_56_bytes_with_a_32_bit_nlink() {
        use guestmem::GuestType;
        assert_eq!(<Filestat as GuestType<'_>>::guest_size(), 56);
        let p1 = crate::fs::Filestat {
            nlink: u64::from(u32::MAX) + 1,
            size: 5,
            ..crate::fs::Filestat::of_type(Filetype::RegularFile)
        };
        let mut bytes = [0u8; 56];
        Filestat::from(p1).encode(&mut bytes).unwrap();
        assert_eq!(bytes[16], 4); // regular file
        assert_eq!(bytes[20..24], u32::MAX.to_le_bytes()); // saturated
        assert_eq!(bytes[24..32], 5u64.to_le_bytes());
    }

    #[test]
    fn the_preview1_list_renamed_with_the_overrides() {
        let p0 = host_functions::<WasiCtx<TestHost<'static>>>();
        let p1 = crate::host_functions::<WasiCtx<TestHost<'static>>>();
        for f in &p0 {
            assert_eq!(f.module, MODULE);
            let same = p1.iter().find(|g| g.name == f.name).unwrap();
            // Same signatures as preview1, up to `*` (a pointer) for `i`.
            let norm = |s: &core::ffi::CStr| {
                s.to_bytes()
                    .iter()
                    .map(|&b| if b == b'*' { b'i' } else { b })
                    .collect::<std::vec::Vec<u8>>()
            };
            assert_eq!(norm(f.sig.as_cstr()), norm(same.sig.as_cstr()), "{f:?}");
        }
        assert_eq!(p0.len(), p1.len() - 1);
        assert!(!p0.iter().any(|f| f.name == "sock_accept"));
    }

    #[test]
    fn whence_numbering() {
        // preview0 CUR, END, SET are preview1's 1, 2, 0.
        assert_eq!([0, 1, 2].map(whence_to_preview1), [Ok(1), Ok(2), Ok(0)]);
        assert_eq!(whence_to_preview1(3), Err(Errno::Inval));
    }
}
