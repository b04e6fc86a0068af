//! The guests trusted with wasm3's own C WASI: the repository's audited honest guests.
//!
//! wasm3 0.4.7's C WASI (`m3_api_wasi.c`) checks no pointer or length a guest passes it: a
//! hostile guest makes it read and write outside guest memory, in the host. It is linked only
//! for comparison (`guestmem-wasm3-c-wasi`, `cargo xtask wasi-bench`), and only to run a
//! guest whose every WASI call was read and found to pass pointers and lengths inside its
//! memory. A [`TrustedGuest`] is such a module, and the only way to link the C WASI
//! ([`Runtime::link_wasm3_wasi`](crate::Runtime::link_wasm3_wasi)), which also checks that the
//! runtime loaded exactly these bytes. No promise is asked of anyone: the bytes decide.
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
//! audited guest ([`lower`](crate::lower())) is trusted as well: it rewrites encodings into
//! their MVP equivalents and keeps what the module does (its contract, tested in
//! `tests/lower.rs`).

/// The audited guests: their file names in `guests/` and their bytes.
const AUDITED: [(&str, &[u8]); 2] = [
    ("hello.wasm", include_bytes!("../guests/hello.wasm")),
    ("bench.wasm", include_bytes!("../guests/bench.wasm")),
];

/// A module trusted to pass wasm3's own C WASI only pointers and lengths inside its memory:
/// one of the repository's audited guests (see the [module docs](self)), as built or as
/// lowered by this crate.
///
/// Invariant: `wasm` is the bytes of an audited guest, or of its lowering.
#[derive(Clone, Copy, Debug)]
pub struct TrustedGuest<'m> {
    wasm: &'m [u8],
    name: &'static str,
}

impl<'m> TrustedGuest<'m> {
    /// `wasm` as a trusted guest if it is one of the audited guests, or the lowering of one
    /// ([`lower`](crate::lower())); `None` for any other module.
    ///
    /// # Examples
    ///
    /// ```
    /// use guestmem_wasm3::TrustedGuest;
    ///
    /// let hello = include_bytes!("../guests/hello.wasm");
    /// assert_eq!(TrustedGuest::audited(hello).map(|g| g.name()), Some("hello.wasm"));
    /// let lowered = guestmem_wasm3::lower(hello)?;
    /// assert!(TrustedGuest::audited(&lowered).is_some());
    ///
    /// let mut changed = hello.to_vec();
    /// if let Some(last) = changed.last_mut() {
    ///     *last ^= 1;
    /// }
    /// assert!(TrustedGuest::audited(&changed).is_none());
    /// # Ok::<(), guestmem_wasm3::LowerError>(())
    /// ```
    #[must_use]
    pub fn audited(wasm: &'m [u8]) -> Option<Self> {
        let trusted = |name| Some(TrustedGuest { wasm, name });
        if let Some((name, _)) = AUDITED.iter().find(|(_, bytes)| *bytes == wasm) {
            return trusted(name);
        }
        let lowers_to_wasm = |bytes: &[u8]| crate::lower(bytes).is_ok_and(|l| l == wasm);
        AUDITED
            .iter()
            .find(|(_, bytes)| lowers_to_wasm(bytes))
            .and_then(|(name, _)| trusted(name))
    }

    /// The module's bytes.
    #[must_use]
    pub const fn wasm(&self) -> &'m [u8] {
        self.wasm
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
