//! The WASI preview1 types the functions read and write: [`Errno`], the descriptors of the
//! standard streams ([`Stdio`]), [`ClockId`], [`Filetype`], [`Fdflags`], [`Rights`], and the
//! guest structures [`Iovec`] and [`Fdstat`]. The enums and flags are the core's
//! [`guest_enum!`] and [`guest_flags!`] types: they convert to and from the guest's integers
//! and can be read from and written to guest memory.

use guestmem::{guest_enum, guest_flags, guest_struct, GuestError, GuestPtr, GuestType};

use crate::abi::{Trap, WasmRet};

guest_enum! {
    /// A WASI error number (`errno`), as a host function returns it: the 77 values of
    /// preview1.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum Errno: u16 {
        /// No error.
        Success = 0,
        /// Argument list too long.
        TooBig = 1,
        /// Permission denied.
        Acces = 2,
        /// Address in use.
        Addrinuse = 3,
        /// Address not available.
        Addrnotavail = 4,
        /// Address family not supported.
        Afnosupport = 5,
        /// Resource unavailable, or operation would block.
        Again = 6,
        /// Connection already in progress.
        Already = 7,
        /// Bad file descriptor.
        Badf = 8,
        /// Bad message.
        Badmsg = 9,
        /// Device or resource busy.
        Busy = 10,
        /// Operation canceled.
        Canceled = 11,
        /// No child processes.
        Child = 12,
        /// Connection aborted.
        Connaborted = 13,
        /// Connection refused.
        Connrefused = 14,
        /// Connection reset.
        Connreset = 15,
        /// Resource deadlock would occur.
        Deadlk = 16,
        /// Destination address required.
        Destaddrreq = 17,
        /// Mathematics argument out of domain of function.
        Dom = 18,
        /// Reserved.
        Dquot = 19,
        /// File exists.
        Exist = 20,
        /// Bad address.
        Fault = 21,
        /// File too large.
        Fbig = 22,
        /// Host is unreachable.
        Hostunreach = 23,
        /// Identifier removed.
        Idrm = 24,
        /// Illegal byte sequence.
        Ilseq = 25,
        /// Operation in progress.
        Inprogress = 26,
        /// Interrupted function.
        Intr = 27,
        /// Invalid argument.
        Inval = 28,
        /// I/O error.
        Io = 29,
        /// Socket is connected.
        Isconn = 30,
        /// Is a directory.
        Isdir = 31,
        /// Too many levels of symbolic links.
        Loop = 32,
        /// File descriptor value too large.
        Mfile = 33,
        /// Too many links.
        Mlink = 34,
        /// Message too large.
        Msgsize = 35,
        /// Reserved.
        Multihop = 36,
        /// Filename too long.
        Nametoolong = 37,
        /// Network is down.
        Netdown = 38,
        /// Connection aborted by network.
        Netreset = 39,
        /// Network unreachable.
        Netunreach = 40,
        /// Too many files open in system.
        Nfile = 41,
        /// No buffer space available.
        Nobufs = 42,
        /// No such device.
        Nodev = 43,
        /// No such file or directory.
        Noent = 44,
        /// Executable file format error.
        Noexec = 45,
        /// No locks available.
        Nolck = 46,
        /// Reserved.
        Nolink = 47,
        /// Not enough space.
        Nomem = 48,
        /// No message of the desired type.
        Nomsg = 49,
        /// Protocol not available.
        Noprotoopt = 50,
        /// No space left on device.
        Nospc = 51,
        /// Function not supported.
        Nosys = 52,
        /// The socket is not connected.
        Notconn = 53,
        /// Not a directory or a symbolic link to a directory.
        Notdir = 54,
        /// Directory not empty.
        Notempty = 55,
        /// State not recoverable.
        Notrecoverable = 56,
        /// Not a socket.
        Notsock = 57,
        /// Not supported, or operation not supported on socket.
        Notsup = 58,
        /// Inappropriate I/O control operation.
        Notty = 59,
        /// No such device or address.
        Nxio = 60,
        /// Value too large to be stored in data type.
        Overflow = 61,
        /// Previous owner died.
        Ownerdead = 62,
        /// Operation not permitted.
        Perm = 63,
        /// Broken pipe.
        Pipe = 64,
        /// Protocol error.
        Proto = 65,
        /// Protocol not supported.
        Protonosupport = 66,
        /// Protocol wrong type for socket.
        Prototype = 67,
        /// Result too large.
        Range = 68,
        /// Read-only file system.
        Rofs = 69,
        /// Invalid seek.
        Spipe = 70,
        /// No such process.
        Srch = 71,
        /// Reserved.
        Stale = 72,
        /// Connection timed out.
        Timedout = 73,
        /// Text file busy.
        Txtbsy = 74,
        /// Cross-device link.
        Xdev = 75,
        /// Extension: capabilities insufficient.
        Notcapable = 76,
    }
}

impl From<GuestError> for Errno {
    /// Bounds and overflow errors are `EFAULT`; misalignment and malformed values `EINVAL`.
    fn from(e: GuestError) -> Self {
        match e {
            GuestError::PtrNotAligned(..)
            | GuestError::InvalidUtf8(_)
            | GuestError::InvalidEnumValue(..)
            | GuestError::InvalidFlagValue(..) => Errno::Inval,
            _ => Errno::Fault,
        }
    }
}

#[cfg(feature = "std")]
impl From<std::io::Error> for Errno {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::PermissionDenied => Errno::Acces,
            std::io::ErrorKind::InvalidInput => Errno::Inval,
            _ => Errno::Io,
        }
    }
}

impl WasmRet for Errno {
    const SIG: u8 = b'i';
    #[inline]
    fn into_slot(self) -> Result<Option<u64>, Trap> {
        Ok(Some(u64::from(self.to_raw())))
    }
}

/// `n` as a guest length: `EOVERFLOW` if it does not fit in `u32`.
pub(crate) fn to_u32(n: usize) -> Result<u32, Errno> {
    u32::try_from(n).map_err(|_| Errno::Overflow)
}

/// Checks the out-parameter `p` as a write of a `T` would be checked, without writing it: the
/// same bounds and alignment checks. A write differs only by refusing a live view of the
/// bytes, and the WASI functions write their out-parameters when they hold no view, so a
/// write after this check cannot fail.
///
/// # Errors
///
/// `EFAULT` when `p` is out of bounds, `EINVAL` when it is misaligned.
#[inline]
pub fn check_out<'a, T: GuestType<'a>>(p: GuestPtr<'a, T>) -> Result<(), Errno> {
    p.as_array(1).validate().map_err(Errno::from)
}

/// The standard streams, the descriptors every guest starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stdio {
    /// fd 0.
    Stdin,
    /// fd 1.
    Stdout,
    /// fd 2.
    Stderr,
}

impl Stdio {
    /// The stream of a guest fd.
    pub fn from_fd(fd: u32) -> Option<Self> {
        match fd {
            0 => Some(Stdio::Stdin),
            1 => Some(Stdio::Stdout),
            2 => Some(Stdio::Stderr),
            _ => None,
        }
    }

    /// The guest fd of the stream.
    pub fn fd(self) -> u32 {
        match self {
            Stdio::Stdin => 0,
            Stdio::Stdout => 1,
            Stdio::Stderr => 2,
        }
    }
}

guest_enum! {
    /// A WASI clock (`clockid`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum ClockId: u32 {
        /// Wall-clock time since 1970.
        Realtime = 0,
        /// A clock that never goes back.
        Monotonic = 1,
        /// CPU time of the process.
        ProcessCputime = 2,
        /// CPU time of the thread.
        ThreadCputime = 3,
    }
}

guest_enum! {
    /// The type of a file descriptor (`filetype`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Filetype: u8 {
        /// Unknown, e.g. a pipe.
        Unknown = 0,
        /// A block device.
        BlockDevice = 1,
        /// A character device, e.g. a terminal.
        CharacterDevice = 2,
        /// A directory.
        Directory = 3,
        /// A regular file.
        RegularFile = 4,
        /// A datagram socket.
        SocketDgram = 5,
        /// A byte-stream socket.
        SocketStream = 6,
        /// A symbolic link.
        SymbolicLink = 7,
    }
}

guest_flags! {
    /// The flags of a descriptor (`fdflags`).
    pub struct Fdflags: u16 {
        /// Writes append to the end of the file.
        const APPEND = 1 << 0;
        /// Writes complete as if by `fdatasync`.
        const DSYNC = 1 << 1;
        /// Calls do not block.
        const NONBLOCK = 1 << 2;
        /// Reads complete as synchronised as writes.
        const RSYNC = 1 << 3;
        /// Writes complete as if by `fsync`.
        const SYNC = 1 << 4;
    }
}

guest_flags! {
    /// What a descriptor may be used for (`rights`): the 30 rights of preview1.
    pub struct Rights: u64 {
        /// `fd_datasync`.
        const FD_DATASYNC = 1 << 0;
        /// `fd_read`.
        const FD_READ = 1 << 1;
        /// `fd_seek`.
        const FD_SEEK = 1 << 2;
        /// `fd_fdstat_set_flags`.
        const FD_FDSTAT_SET_FLAGS = 1 << 3;
        /// `fd_sync`.
        const FD_SYNC = 1 << 4;
        /// `fd_tell`.
        const FD_TELL = 1 << 5;
        /// `fd_write`.
        const FD_WRITE = 1 << 6;
        /// `fd_advise`.
        const FD_ADVISE = 1 << 7;
        /// `fd_allocate`.
        const FD_ALLOCATE = 1 << 8;
        /// `path_create_directory`.
        const PATH_CREATE_DIRECTORY = 1 << 9;
        /// `path_open` with `O_CREAT`.
        const PATH_CREATE_FILE = 1 << 10;
        /// `path_link` from this directory.
        const PATH_LINK_SOURCE = 1 << 11;
        /// `path_link` into this directory.
        const PATH_LINK_TARGET = 1 << 12;
        /// `path_open`.
        const PATH_OPEN = 1 << 13;
        /// `fd_readdir`.
        const FD_READDIR = 1 << 14;
        /// `path_readlink`.
        const PATH_READLINK = 1 << 15;
        /// `path_rename` from this directory.
        const PATH_RENAME_SOURCE = 1 << 16;
        /// `path_rename` into this directory.
        const PATH_RENAME_TARGET = 1 << 17;
        /// `path_filestat_get`.
        const PATH_FILESTAT_GET = 1 << 18;
        /// Changing a file's size through a path.
        const PATH_FILESTAT_SET_SIZE = 1 << 19;
        /// `path_filestat_set_times`.
        const PATH_FILESTAT_SET_TIMES = 1 << 20;
        /// `fd_filestat_get`.
        const FD_FILESTAT_GET = 1 << 21;
        /// `fd_filestat_set_size`.
        const FD_FILESTAT_SET_SIZE = 1 << 22;
        /// `fd_filestat_set_times`.
        const FD_FILESTAT_SET_TIMES = 1 << 23;
        /// `path_symlink`.
        const PATH_SYMLINK = 1 << 24;
        /// `path_remove_directory`.
        const PATH_REMOVE_DIRECTORY = 1 << 25;
        /// `path_unlink_file`.
        const PATH_UNLINK_FILE = 1 << 26;
        /// `poll_oneoff` on the descriptor's readiness.
        const POLL_FD_READWRITE = 1 << 27;
        /// `sock_shutdown`.
        const SOCK_SHUTDOWN = 1 << 28;
        /// `sock_accept`.
        const SOCK_ACCEPT = 1 << 29;
    }
}

guest_struct! {
    /// A buffer the guest wants written (`ciovec`) or read into (`iovec`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Iovec<'a> {
        /// Start of the buffer.
        pub buf: GuestPtr<'a, u8>,
        /// Its length in bytes.
        pub buf_len: u32,
    }
}

guest_struct! {
    /// What `fd_fdstat_get` returns (`fdstat`, 24 bytes).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Fdstat {
        /// The type of the descriptor.
        pub fs_filetype: Filetype,
        /// Its flags.
        pub fs_flags: Fdflags,
        /// The rights it has.
        pub fs_rights_base: Rights,
        /// The rights descriptors opened from it would have.
        pub fs_rights_inheriting: Rights,
    }
}
