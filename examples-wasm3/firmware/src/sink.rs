//! The sink that the measurement image's `fd_write` variants write to instead of semihosting:
//! `write(2)` without I/O. Every variant reaches it once per buffer it hands over — the C one
//! through `fw_sink_write` (`c_bench.rs`), the guestmem ones through [`Board`]'s
//! `WasiHost::write` — so it costs each the same per buffer.
//!
//! [`Mode::Count`] adds up bytes and buffers (what the counted calls run); [`Mode::Verify`]
//! also hashes every byte (FNV-1a, as the bench guest's `fd_write_hash`), to check before the
//! counted calls that a variant writes exactly the guest's bytes, in order.
//!
//! [`Board`]: crate::board::Board

use core::sync::atomic::{AtomicU32, AtomicU8, Ordering::Relaxed};

/// What the sink does with the bytes it is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Not a sink: `fd_write` goes to semihosting, as in the shipped image.
    Off,
    /// Counts bytes and buffers.
    Count,
    /// Counts, and hashes every byte.
    Verify,
}

const OFF: u8 = 0;
const COUNT: u8 = 1;
const VERIFY: u8 = 2;

const FNV_OFFSET: u32 = 2_166_136_261;
const FNV_PRIME: u32 = 16_777_619;

static MODE: AtomicU8 = AtomicU8::new(OFF);
static BYTES: AtomicU32 = AtomicU32::new(0);
static BUFFERS: AtomicU32 = AtomicU32::new(0);
static HASH: AtomicU32 = AtomicU32::new(FNV_OFFSET);

/// Switches the sink to `mode` and clears its totals.
pub(crate) fn set(mode: Mode) {
    let mode = match mode {
        Mode::Off => OFF,
        Mode::Count => COUNT,
        Mode::Verify => VERIFY,
    };
    MODE.store(mode, Relaxed);
    BYTES.store(0, Relaxed);
    BUFFERS.store(0, Relaxed);
    HASH.store(FNV_OFFSET, Relaxed);
}

/// Whether `fd_write` goes to the sink.
#[inline(always)]
pub(crate) fn is_on() -> bool {
    MODE.load(Relaxed) != OFF
}

/// Whether the sink hashes what it is given.
#[inline(always)]
pub(crate) fn verifying() -> bool {
    MODE.load(Relaxed) == VERIFY
}

/// Takes one buffer of `len` bytes (plain loads and stores: one core, and no interrupt
/// handler touches the sink).
#[inline(always)]
pub(crate) fn count(len: u32) {
    BYTES.store(BYTES.load(Relaxed).wrapping_add(len), Relaxed);
    BUFFERS.store(BUFFERS.load(Relaxed).wrapping_add(1), Relaxed);
}

/// Hashes `bytes` after those hashed before.
#[inline(never)]
pub(crate) fn hash(bytes: &[u8]) {
    let mut h = HASH.load(Relaxed);
    for b in bytes {
        h = (h ^ u32::from(*b)).wrapping_mul(FNV_PRIME);
    }
    HASH.store(h, Relaxed);
}

/// Takes one buffer: counts it, and hashes it when verifying. Returns its length.
#[inline(always)]
pub(crate) fn take(bytes: &[u8]) -> usize {
    count(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
    if verifying() {
        hash(bytes);
    }
    bytes.len()
}

/// The totals since the last [`set`]: bytes, buffers, and the hash of the bytes (meaningful in
/// [`Mode::Verify`]).
pub(crate) fn totals() -> (u32, u32, u32) {
    (
        BYTES.load(Relaxed),
        BUFFERS.load(Relaxed),
        HASH.load(Relaxed),
    )
}
