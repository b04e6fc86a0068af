//! The WASI state of one guest ([`WasiCtx`]: its host, its descriptors, its exit code), and
//! [`HasWasi`], how the functions find it in an embedder's context.
//!
//! The descriptor table is the one place that maps a guest fd to what it is
//! ([`Descriptor`]): a standard stream, or a file or directory of the host by its handle. It
//! holds at most [`MAX_FDS`] descriptors.

use crate::fs::MAX_FDS;
use crate::host::WasiHost;
use crate::types::{Errno, Stdio};

/// What an open guest descriptor refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Descriptor {
    /// A standard stream of the host.
    Stdio(Stdio),
    /// A file of the host, by its handle, and whether it was opened to read and to write.
    File {
        /// The host's handle.
        handle: u32,
        /// Opened for reading.
        read: bool,
        /// Opened for writing.
        write: bool,
    },
    /// A directory of the host, by its handle.
    Dir {
        /// The host's handle.
        handle: u32,
        /// Preopened by the embedder (`fd_prestat_get` answers for it).
        preopen: bool,
    },
}

/// How many descriptors a guest can have open at once.
const FDS: usize = MAX_FDS;
const _: () = assert!(FDS >= 3);

/// A guest's open descriptors, indexed by fd: fds 0 to 2 start as the standard streams.
#[derive(Clone, Debug)]
struct FdTable {
    slots: [Option<Descriptor>; FDS],
}

impl FdTable {
    const fn new() -> Self {
        FdTable {
            // In bounds: `FDS` is at least 3 (`get_mut` is not `const` yet).
            #[allow(clippy::indexing_slicing)]
            slots: {
                let mut slots = [None; FDS];
                slots[0] = Some(Descriptor::Stdio(Stdio::Stdin));
                slots[1] = Some(Descriptor::Stdio(Stdio::Stdout));
                slots[2] = Some(Descriptor::Stdio(Stdio::Stderr));
                slots
            },
        }
    }

    fn slot(&mut self, fd: u32) -> Option<&mut Option<Descriptor>> {
        self.slots.get_mut(usize::try_from(fd).ok()?)
    }

    /// The open descriptor `fd`.
    #[inline]
    fn get(&self, fd: u32) -> Result<Descriptor, Errno> {
        let slot = usize::try_from(fd).ok().and_then(|i| self.slots.get(i));
        slot.copied().flatten().ok_or(Errno::Badf)
    }

    /// Closes `fd`; returns what it was.
    fn close(&mut self, fd: u32) -> Result<Descriptor, Errno> {
        self.slot(fd).and_then(Option::take).ok_or(Errno::Badf)
    }

    /// The lowest free fd: `EMFILE` when the table is full.
    fn free(&self) -> Result<u32, Errno> {
        let i = self.slots.iter().position(Option::is_none);
        i.and_then(|i| u32::try_from(i).ok()).ok_or(Errno::Mfile)
    }

    /// Puts `d` at the lowest free fd, which it returns: `EMFILE` when the table is full.
    fn insert(&mut self, d: Descriptor) -> Result<u32, Errno> {
        let fd = self.free()?;
        *self.slot(fd).ok_or(Errno::Mfile)? = Some(d);
        Ok(fd)
    }

    /// Moves the descriptor `from` to `to`, both open; returns what `to` was.
    fn renumber(&mut self, from: u32, to: u32) -> Result<Descriptor, Errno> {
        let moved = self.get(from)?;
        let old = self.get(to)?;
        if from != to {
            *self.slot(to).ok_or(Errno::Badf)? = Some(moved);
            *self.slot(from).ok_or(Errno::Badf)? = None;
        }
        Ok(old)
    }
}

/// The WASI state of one guest: its host, its open descriptors, and its exit code.
#[derive(Debug)]
pub struct WasiCtx<H> {
    pub(crate) host: H,
    fds: FdTable,
    pub(crate) exit_code: Option<u32>,
}

impl<H: WasiHost> WasiCtx<H> {
    /// A context over `host`, with the three standard streams open.
    pub const fn new(host: H) -> Self {
        WasiCtx {
            host,
            fds: FdTable::new(),
            exit_code: None,
        }
    }

    /// The host.
    pub fn host(&mut self) -> &mut H {
        &mut self.host
    }

    /// The status the guest passed to `proc_exit`, if it called it.
    pub fn exit_code(&self) -> Option<u32> {
        self.exit_code
    }

    /// What the open descriptor `fd` is.
    ///
    /// # Errors
    ///
    /// `EBADF` when `fd` is not open.
    #[inline]
    pub fn descriptor(&self, fd: u32) -> Result<Descriptor, Errno> {
        self.fds.get(fd)
    }

    /// The open standard stream `fd`: `EBADF` for anything else.
    #[inline]
    pub(crate) fn stream(&self, fd: u32) -> Result<Stdio, Errno> {
        match self.fds.get(fd)? {
            Descriptor::Stdio(s) => Ok(s),
            Descriptor::File { .. } | Descriptor::Dir { .. } => Err(Errno::Badf),
        }
    }

    /// Closes the descriptor `fd` (the host's handle too, for a file or a directory); later
    /// calls on it get `EBADF`.
    pub(crate) fn close(&mut self, fd: u32) -> Result<(), Errno> {
        let d = self.fds.close(fd)?;
        self.release(d)
    }

    // --- Files and directories. ---

    /// Adds the host's directory `handle`, which the host names with
    /// [`WasiHost::preopen_name`], as a preopened directory: the guest finds it with
    /// `fd_prestat_get` at the fd returned (3 for the first, then 4, ...).
    ///
    /// # Errors
    ///
    /// `EMFILE` when the guest's descriptor table is full.
    pub fn add_preopen(&mut self, handle: u32) -> Result<u32, Errno> {
        self.fds.insert(Descriptor::Dir {
            handle,
            preopen: true,
        })
    }

    /// Fails with `EMFILE` unless a descriptor can be added.
    pub(crate) fn check_free(&self) -> Result<(), Errno> {
        self.fds.free().map(|_| ())
    }

    /// Adds `d`, returning its fd (after [`check_free`](Self::check_free), it cannot fail).
    pub(crate) fn insert(&mut self, d: Descriptor) -> Result<u32, Errno> {
        self.fds.insert(d)
    }

    /// Moves the descriptor `from` to `to` (both open), closing what `to` was.
    pub(crate) fn renumber(&mut self, from: u32, to: u32) -> Result<(), Errno> {
        let old = self.fds.renumber(from, to)?;
        if from == to {
            return Ok(());
        }
        // `to`'s old host handle is closed; an error there is not the guest's concern any
        // more: its descriptor was replaced.
        let _ = self.release(old);
        Ok(())
    }

    /// Closes the host's side of a descriptor taken out of the table.
    fn release(&mut self, d: Descriptor) -> Result<(), Errno> {
        match d {
            Descriptor::Stdio(_) => Ok(()),
            Descriptor::File { handle, .. } | Descriptor::Dir { handle, .. } => {
                self.host.close(handle)
            }
        }
    }
}

/// A host context that has a WASI context: what the WASI host functions need. Embedders with
/// more host state (e.g. the raw functions' counters) implement it on their own type.
pub trait HasWasi {
    /// The host behind the WASI functions.
    type Host: WasiHost;
    /// The WASI context.
    fn wasi(&mut self) -> &mut WasiCtx<Self::Host>;
}

impl<H: WasiHost> HasWasi for WasiCtx<H> {
    type Host = H;
    fn wasi(&mut self) -> &mut WasiCtx<H> {
        self
    }
}
