//! The WASI state of one guest ([`WasiCtx`]: its host, its descriptors, its exit code), and
//! [`HasWasi`], how the functions find it in an embedder's context.
//!
//! The descriptor table is the one place that maps a guest fd to what it is
//! ([`Descriptor`]); today the three standard streams. A function that opens descriptors
//! (`path_open`) adds a variant and a way to insert into the table, and nothing else here
//! changes.

use crate::host::WasiHost;
use crate::types::{Errno, Stdio};

/// What an open guest descriptor refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Descriptor {
    /// A standard stream of the host.
    Stdio(Stdio),
}

/// How many descriptors a guest can have open at once.
const FDS: usize = 3;

/// A guest's open descriptors, indexed by fd: fds 0 to 2 start as the standard streams.
#[derive(Clone, Debug)]
struct FdTable {
    slots: [Option<Descriptor>; FDS],
}

impl FdTable {
    const fn new() -> Self {
        FdTable {
            slots: [
                Some(Descriptor::Stdio(Stdio::Stdin)),
                Some(Descriptor::Stdio(Stdio::Stdout)),
                Some(Descriptor::Stdio(Stdio::Stderr)),
            ],
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

    /// Closes `fd`.
    fn close(&mut self, fd: u32) -> Result<(), Errno> {
        match self.slot(fd) {
            Some(slot @ Some(_)) => {
                *slot = None;
                Ok(())
            }
            _ => Err(Errno::Badf),
        }
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

    /// The open standard stream `fd`.
    #[inline]
    pub(crate) fn stream(&self, fd: u32) -> Result<Stdio, Errno> {
        match self.fds.get(fd)? {
            Descriptor::Stdio(s) => Ok(s),
        }
    }

    /// Closes the descriptor `fd`; later calls on it get `EBADF`.
    pub(crate) fn close(&mut self, fd: u32) -> Result<(), Errno> {
        self.fds.close(fd)
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
