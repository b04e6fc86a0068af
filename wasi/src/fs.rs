//! The types of WASI's files and directories: what the guest passes to `path_open` and the
//! other file functions ([`Oflags`], [`Lookupflags`], [`Fstflags`], [`Whence`], [`Advice`]),
//! what it gets back ([`Filestat`]), and what the functions ask of a host with files
//! ([`OpenRequest`], [`SetTime`], [`DirEntry`]).
//!
//! The limits that bound a guest's demands on the host are here too: [`MAX_PATH`], the longest
//! path a guest may pass (copied into a buffer of that size on the host stack), and
//! [`MAX_FDS`], how many descriptors a guest may hold open.

use guestmem::{guest_enum, guest_flags, guest_struct};

use crate::types::{Fdflags, Filetype, Rights};

/// The longest path, in bytes, a guest may pass to a file function: the path is copied into a
/// buffer of this size on the host stack before the host sees it; a longer one gets
/// `ENAMETOOLONG`. Linux's `PATH_MAX` is 4096; 1024 is macOS's, and ample for a guest.
pub const MAX_PATH: usize = 1024;

/// How many descriptors a guest may have open at once, the three standard streams and the
/// preopened directories included: `path_open` past it gets `EMFILE`. 32 keeps the table small
/// (8 bytes an entry) for firmware, and is more than the WASI test suite's programs hold.
pub const MAX_FDS: usize = 32;

guest_flags! {
    /// How `path_open` opens (`oflags`).
    pub struct Oflags: u16 {
        /// Create the file if it does not exist.
        const CREAT = 1 << 0;
        /// Fail unless the path is a directory.
        const DIRECTORY = 1 << 1;
        /// With `CREAT`: fail if the file exists.
        const EXCL = 1 << 2;
        /// Truncate the file to size 0.
        const TRUNC = 1 << 3;
    }
}

guest_flags! {
    /// How a path is resolved (`lookupflags`).
    pub struct Lookupflags: u32 {
        /// Follow a symbolic link at the end of the path.
        const SYMLINK_FOLLOW = 1 << 0;
    }
}

guest_flags! {
    /// Which timestamps `*_filestat_set_times` sets (`fstflags`).
    pub struct Fstflags: u16 {
        /// Set the access time to the value given.
        const ATIM = 1 << 0;
        /// Set the access time to now.
        const ATIM_NOW = 1 << 1;
        /// Set the modification time to the value given.
        const MTIM = 1 << 2;
        /// Set the modification time to now.
        const MTIM_NOW = 1 << 3;
    }
}

guest_enum! {
    /// Where `fd_seek` counts from (`whence`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Whence: u8 {
        /// From the start.
        Set = 0,
        /// From the current offset.
        Cur = 1,
        /// From the end.
        End = 2,
    }
}

guest_enum! {
    /// What `fd_advise` says of the guest's use of a file (`advice`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Advice: u8 {
        /// No advice.
        Normal = 0,
        /// Sequential access.
        Sequential = 1,
        /// Random access.
        Random = 2,
        /// Needed soon.
        Willneed = 3,
        /// Not needed soon.
        Dontneed = 4,
        /// Accessed once.
        Noreuse = 5,
    }
}

guest_struct! {
    /// What `fd_filestat_get` and `path_filestat_get` return (`filestat`, 64 bytes).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Filestat {
        /// The device of the file.
        pub dev: u64,
        /// Its inode.
        pub ino: u64,
        /// Its type.
        pub filetype: Filetype,
        /// Its number of hard links.
        pub nlink: u64,
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

impl Filestat {
    /// Attributes of type `filetype` and all else 0: what a standard stream reports.
    pub const fn of_type(filetype: Filetype) -> Self {
        Filestat {
            dev: 0,
            ino: 0,
            filetype,
            nlink: 0,
            size: 0,
            atim: 0,
            mtim: 0,
            ctim: 0,
        }
    }
}

/// What `path_open` asks a host to open: the guest's flags, and the access it wants, derived
/// from the rights it asked for (WASI's rights decide only that: see [`FILE_RIGHTS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenRequest {
    /// Create, truncate, require a directory.
    pub oflags: Oflags,
    /// Follow a symbolic link at the end of the path.
    pub follow: bool,
    /// Open for reading.
    pub read: bool,
    /// Open for writing.
    pub write: bool,
    /// Append, non-blocking, synchronised writes.
    pub fdflags: Fdflags,
}

/// What a host opened for `path_open`: a file or a directory, by the host's handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opened {
    /// A file (or anything not a directory), with the host's handle.
    File(u32),
    /// A directory, with the host's handle.
    Dir(u32),
}

/// A timestamp to set, for `*_filestat_set_times`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetTime {
    /// Leave it as it is.
    Keep,
    /// The host's current time.
    Now,
    /// This time, in nanoseconds since 1970.
    At(u64),
}

/// One directory entry a host hands `fd_readdir`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirEntry<'n> {
    /// The cookie of the entry after this one (what the guest passes to resume after it).
    pub next: u64,
    /// The inode of the entry.
    pub ino: u64,
    /// Its type.
    pub filetype: Filetype,
    /// Its name.
    pub name: &'n [u8],
}

/// The size of a `dirent` before its name: `d_next`, `d_ino`, `d_namlen`, `d_type` and padding.
pub(crate) const DIRENT_SIZE: usize = 24;

impl DirEntry<'_> {
    /// The entry's `dirent` header as the guest reads it (little-endian).
    pub(crate) fn header(&self) -> [u8; DIRENT_SIZE] {
        let mut h = [0u8; DIRENT_SIZE];
        let namlen = u32::try_from(self.name.len()).unwrap_or(u32::MAX);
        let fields = self
            .next
            .to_le_bytes()
            .into_iter()
            .chain(self.ino.to_le_bytes())
            .chain(namlen.to_le_bytes())
            .chain([self.filetype.to_raw()]);
        for (dst, src) in h.iter_mut().zip(fields) {
            *dst = src;
        }
        h
    }
}

/// The rights a file descriptor reports (`fd_fdstat_get`), less `FD_READ` or `FD_WRITE` when it
/// was not opened for them. Rights are not otherwise enforced, as in wasmtime's preview1:
/// `fd_fdstat_set_rights` answers `ENOTSUP`, which tells the WASI test suite so.
pub const FILE_RIGHTS: Rights = Rights::from_raw_truncate(
    Rights::FD_DATASYNC.to_raw()
        | Rights::FD_READ.to_raw()
        | Rights::FD_SEEK.to_raw()
        | Rights::FD_FDSTAT_SET_FLAGS.to_raw()
        | Rights::FD_SYNC.to_raw()
        | Rights::FD_TELL.to_raw()
        | Rights::FD_WRITE.to_raw()
        | Rights::FD_ADVISE.to_raw()
        | Rights::FD_ALLOCATE.to_raw()
        | Rights::FD_FILESTAT_GET.to_raw()
        | Rights::FD_FILESTAT_SET_SIZE.to_raw()
        | Rights::FD_FILESTAT_SET_TIMES.to_raw()
        | Rights::POLL_FD_READWRITE.to_raw(),
);

/// The rights a directory descriptor reports: every path right but `PATH_FILESTAT_SET_SIZE`
/// (preview1 has no call that uses it: a file is truncated by `path_open`'s `O_TRUNC`), none
/// to read, write or seek.
pub const DIR_RIGHTS: Rights = Rights::from_raw_truncate(
    Rights::FD_DATASYNC.to_raw()
        | Rights::FD_FDSTAT_SET_FLAGS.to_raw()
        | Rights::FD_SYNC.to_raw()
        | Rights::PATH_CREATE_DIRECTORY.to_raw()
        | Rights::PATH_CREATE_FILE.to_raw()
        | Rights::PATH_LINK_SOURCE.to_raw()
        | Rights::PATH_LINK_TARGET.to_raw()
        | Rights::PATH_OPEN.to_raw()
        | Rights::FD_READDIR.to_raw()
        | Rights::PATH_READLINK.to_raw()
        | Rights::PATH_RENAME_SOURCE.to_raw()
        | Rights::PATH_RENAME_TARGET.to_raw()
        | Rights::PATH_FILESTAT_GET.to_raw()
        | Rights::PATH_FILESTAT_SET_TIMES.to_raw()
        | Rights::FD_FILESTAT_GET.to_raw()
        | Rights::FD_FILESTAT_SET_TIMES.to_raw()
        | Rights::PATH_SYMLINK.to_raw()
        | Rights::PATH_REMOVE_DIRECTORY.to_raw()
        | Rights::PATH_UNLINK_FILE.to_raw()
        | Rights::POLL_FD_READWRITE.to_raw(),
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirent_header_layout() {
        let e = DirEntry {
            next: 0x0102,
            ino: 7,
            filetype: Filetype::Directory,
            name: b"abc",
        };
        let h = e.header();
        assert_eq!(&h[..8], &0x0102u64.to_le_bytes());
        assert_eq!(&h[8..16], &7u64.to_le_bytes());
        assert_eq!(&h[16..20], &3u32.to_le_bytes());
        assert_eq!(h[20], 3);
        assert_eq!(&h[21..], &[0, 0, 0]);
    }
}
