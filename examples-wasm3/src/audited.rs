//! The guests trusted with wasm3's own C WASI: the repository's audited honest guests.
//!
//! wasm3 0.4.7's C WASI (`m3_api_wasi.c`) checks no pointer or length a guest passes it: a
//! hostile guest makes it read and write outside guest memory, in the host. It is linked only
//! for comparison (`guestmem-wasm3-c-wasi`, `cargo xtask wasi-bench`), and only to run a
//! guest whose every WASI call was read and found to pass pointers and lengths inside its
//! memory. A [`TrustedGuest`] is such a module, and the only way to link the C WASI
//! ([`Runtime::link_wasm3_wasi`](crate::Runtime::link_wasm3_wasi)), which also checks that the
//! runtime loaded exactly its bytes. No promise is asked of anyone: the bytes decide.
//!
//! # The audit
//!
//! Each audited guest is the file in `guests/` built from the C source beside it by
//! `cargo xtask firmware --guests` (clang-14, `--target=wasm32-wasi -Os`, Debian's
//! wasi-libc), embedded here byte for byte; any other module, even one byte off, is not
//! trusted. Their WASI calls:
//!
//! - `hello.c` (`printf`, `argv`, `environ`, `getenv`, `atoi`) and `bench.c` (`argv`, then
//!   `__wasi_fd_write` in a loop): wasi-libc's start-up calls `args_sizes_get` and
//!   `environ_sizes_get` with pointers to its own locals, allocates the sizes returned and
//!   passes those buffers to `args_get` / `environ_get` (which write no more than the sizes
//!   said); stdio's `fd_write`, `fd_seek`, `fd_fdstat_get` and `fd_close` pass its
//!   statically allocated `FILE` buffer and locals; `proc_exit` passes an integer.
//! - `bench.c`'s own `fd_write` passes a four-element iovec array on its stack, pointing at
//!   four static strings, and a local `size_t` for the count.
//!
//! Every pointer is therefore to the guest's own static data, stack or heap, inside its
//! memory, whatever the host's arguments, environment or output are. The lowering of an
//! audited guest ([`TrustedGuest::lowered`]) is trusted as well: it rewrites encodings into
//! their MVP equivalents and keeps what the module does (its contract, tested in
//! `tests/lower.rs`).

use alloc::vec::Vec;

/// The audited guests: their file names in `guests/` and their bytes.
const AUDITED: [(&str, &[u8]); 2] = [
    ("hello.wasm", include_bytes!("../guests/hello.wasm")),
    ("bench.wasm", include_bytes!("../guests/bench.wasm")),
];

/// A module trusted to pass wasm3's own C WASI only pointers and lengths inside its memory:
/// one of the repository's audited guests (their audit is in `src/audited.rs`), as built or as
/// lowered by this crate. It owns its bytes.
///
/// Invariant: `wasm` is the bytes of an audited guest, or of its lowering.
#[derive(Clone, Debug)]
pub struct TrustedGuest {
    wasm: Vec<u8>,
    name: &'static str,
}

impl TrustedGuest {
    /// A copy of `wasm` as a trusted guest if it is, byte for byte, one of the audited
    /// guests; `None` for any other module.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem_wasm3::TrustedGuest;
    ///
    /// let hello = include_bytes!("../guests/hello.wasm");
    /// assert_eq!(TrustedGuest::audited(hello).map(|g| g.name()), Some("hello.wasm"));
    ///
    /// let mut changed = hello.to_vec();
    /// if let Some(last) = changed.last_mut() {
    ///     *last ^= 1;
    /// }
    /// assert!(TrustedGuest::audited(&changed).is_none());
    /// ```
    #[must_use]
    pub fn audited(wasm: &[u8]) -> Option<Self> {
        AUDITED
            .iter()
            .find(|(_, bytes)| *bytes == wasm)
            .map(|&(name, bytes)| TrustedGuest {
                wasm: bytes.to_vec(),
                name,
            })
    }

    /// The guest lowered for wasm3 0.4.7 ([`lower`](crate::lower())), still trusted: the
    /// lowering keeps what the module does.
    ///
    /// # Errors
    ///
    /// [`LowerError`](crate::LowerError) if the lowering fails (not for the audited guests).
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem_wasm3::TrustedGuest;
    ///
    /// let bench = include_bytes!("../guests/bench.wasm");
    /// let guest = TrustedGuest::audited(bench).ok_or("not audited")?;
    /// let lowered = guest.lowered()?;
    /// assert_eq!(lowered.wasm(), guestmem_wasm3::lower(bench)?.as_slice());
    /// assert_eq!(lowered.name(), "bench.wasm");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lowered(&self) -> Result<Self, crate::LowerError> {
        Ok(TrustedGuest {
            wasm: crate::lower(&self.wasm)?,
            name: self.name,
        })
    }

    /// The module's bytes.
    #[must_use]
    pub fn wasm(&self) -> &[u8] {
        &self.wasm
    }

    /// The file name of the audited guest it is (or the lowering of), e.g. `hello.wasm`.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The file names of the audited guests.
    pub fn names() -> impl Iterator<Item = &'static str> {
        AUDITED.iter().map(|(name, _)| *name)
    }
}
