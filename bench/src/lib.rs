//! Benchmarks of guestmem against its physical limits (unchecked `read_unaligned`, `memcpy`,
//! `from_utf8`), the hand-written bounds check that wasm3's `m3ApiCheckMem` does, and `wiggle`
//! (feature `wiggle`), all in one binary (issue 5, DESIGN §7).
//!
//! Every workload is a [`Case`]: one row of the report, with one kernel per implementation.
//! A kernel is an `#[inline(never)]` function `fn(&mut Bufs, size, reps) -> u64` that runs the
//! operation `reps` times and returns a checksum, so that the harness can time it, callgrind can
//! count its instructions, and [`verify`] can check that every implementation of a case computes
//! the same thing.

// Benchmark code compares against unchecked baselines: it indexes, casts and does wrapping or
// plain arithmetic on sizes it chose itself. The workspace lints guard the library crates.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions,
    clippy::missing_errors_doc,
    clippy::missing_panics_doc
)]

use core::hint::black_box;

pub mod harness;
// The baselines: unchecked raw access and the hand-written check, written as C would.
#[allow(unsafe_code)]
mod kernels;

pub use kernels::cases;

/// Bytes of guest memory.
pub const GUEST_BYTES: usize = 4 << 20;
/// Scalar accesses go to pseudo-random 8-aligned offsets below this.
pub const SCALAR_SPAN: u32 = 64 << 10;
/// Scalar accesses per repetition.
pub const SCALAR_OPS: usize = 1024;
/// Guest offset of the copy-out source and of the strings (ASCII text).
pub const SRC: u32 = 1 << 20;
/// Guest offset of the copy-in destination.
pub const DST: u32 = 2 << 20;
/// Guest offset of the iovec array.
pub const IOV: u32 = 3 << 20;
/// The largest slice size.
pub const MAX_SIZE: usize = 1 << 20;
/// The value a kernel returns when an access failed (a host function would trap).
pub const TRAP: u64 = u64::MAX;
/// `(dst - src) mod 4096` for every copy: the destination sits 512 bytes *below* the source
/// modulo a page, so no load aliases an earlier store in the low 12 address bits.
pub const ALIAS_SHIFT: usize = 4096 - 512;

/// A kernel: runs its operation `reps` times on `size` (bytes, or elements for iovecs) and
/// returns a checksum.
pub type Kernel = fn(&mut Bufs, usize, u32) -> u64;

/// One row of the report: a workload at one size, with its implementations.
#[derive(Clone, Debug)]
pub struct Case {
    /// The workload, e.g. `copy-out [u8]`.
    pub workload: &'static str,
    /// Bytes (or iovec elements, or scalar accesses per repetition).
    pub size: usize,
    /// How many operations one repetition does (1024 for scalar batches, else 1).
    pub ops_per_rep: usize,
    /// Bytes moved per operation, for throughput (0: not a copy).
    pub bytes_per_op: usize,
    /// `(implementation, kernel)`, the implementations named as in [`IMPLS`].
    pub impls: Vec<(&'static str, Kernel)>,
}

/// The implementation columns of the report, in order.
pub const IMPLS: [&str; 5] = ["limit", "hand", "guestmem", "guestmem-devirt", "wiggle"];

impl Case {
    /// The case's label: `workload size`.
    pub fn label(&self) -> String {
        format!("{} {}", self.workload, size_label(self.workload, self.size))
    }
}

/// `64B`, `4KiB`, `1MiB`, or the element count for iovecs and scalar batches.
pub fn size_label(workload: &str, size: usize) -> String {
    if workload.starts_with("iovec") || workload.starts_with("scalar") {
        return format!("{size}");
    }
    if size >= 1 << 20 && size.is_multiple_of(1 << 20) {
        format!("{}MiB", size >> 20)
    } else if size >= 1 << 10 && size.is_multiple_of(1 << 10) {
        format!("{}KiB", size >> 10)
    } else {
        format!("{size}B")
    }
}

/// The buffers every kernel works on: the guest memory and host-side sources and destinations,
/// placed so that no copy suffers 4 KiB aliasing ([`ALIAS_SHIFT`]).
pub struct Bufs {
    guest: Vec<u8>,
    g0: usize,
    out8: Vec<u8>,
    o8: usize,
    out32: Vec<u32>,
    o32: usize,
    in8: Vec<u8>,
    i8: usize,
    in32: Vec<u32>,
    i32: usize,
    strbuf: Vec<u8>,
    s0: usize,
    offsets: Vec<u32>,
}

/// The host side of [`Bufs`], borrowed beside the guest memory.
pub struct Host<'b> {
    /// Copy-out destination, bytes.
    pub out8: &'b mut [u8],
    /// Copy-out destination, `u32`s.
    pub out32: &'b mut [u32],
    /// Copy-in source, bytes.
    pub in8: &'b [u8],
    /// Copy-in source, `u32`s.
    pub in32: &'b [u32],
    /// String copy-out buffer.
    pub strbuf: &'b mut [u8],
    /// Scalar offsets.
    pub offsets: &'b [u32],
}

/// A small deterministic generator (xorshift64*).
fn rng(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// The index in a buffer starting at address `buf` from which an element at that index sits
/// at `target` modulo 4096, for elements of `elem` bytes.
fn placed(buf: usize, target: usize, elem: usize) -> usize {
    (target.wrapping_sub(buf) % 4096) / elem
}

impl Bufs {
    /// Fresh buffers with their data.
    pub fn new() -> Self {
        let guest = vec![0u8; GUEST_BYTES + 64];
        let g0 = guest.as_ptr().align_offset(64);
        let gaddr = guest.as_ptr() as usize + g0;
        let src_addr = gaddr + SRC as usize;
        let dst_addr = gaddr + DST as usize;
        let slack = 8192;
        let out8 = vec![0u8; MAX_SIZE + slack];
        let o8 = placed(out8.as_ptr() as usize, src_addr + ALIAS_SHIFT, 1);
        let out32 = vec![0u32; (MAX_SIZE + slack) / 4];
        let o32 = placed(out32.as_ptr() as usize, src_addr + ALIAS_SHIFT, 4);
        let mut in8 = vec![0u8; MAX_SIZE + slack];
        let i8 = placed(in8.as_ptr() as usize, dst_addr.wrapping_sub(ALIAS_SHIFT), 1);
        let mut in32 = vec![0u32; (MAX_SIZE + slack) / 4];
        let i32 = placed(
            in32.as_ptr() as usize,
            dst_addr.wrapping_sub(ALIAS_SHIFT),
            4,
        );
        let strbuf = vec![0u8; 4096 + slack];
        let s0 = placed(strbuf.as_ptr() as usize, src_addr + ALIAS_SHIFT, 1);
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let offsets = (0..SCALAR_OPS)
            .map(|_| (rng(&mut seed) % u64::from(SCALAR_SPAN / 8)) as u32 * 8)
            .collect();
        for (i, b) in in8.iter_mut().enumerate() {
            *b = (i % 251) as u8;
        }
        for (i, w) in in32.iter_mut().enumerate() {
            *w = (i as u32).wrapping_mul(0x9E37_79B9);
        }
        let mut b = Bufs {
            guest,
            g0,
            out8,
            o8,
            out32,
            o32,
            in8,
            i8,
            in32,
            i32,
            strbuf,
            s0,
            offsets,
        };
        let (g, _) = b.split();
        // Text such as paths and environment variables: ASCII.
        const TEXT: &[u8] = b"/usr/share/guest/data/file-0123456789.txt PATH=/bin:/usr/bin ";
        for (i, c) in g[SRC as usize..SRC as usize + MAX_SIZE]
            .iter_mut()
            .enumerate()
        {
            *c = TEXT[i % TEXT.len()];
        }
        for i in 0..256u32 {
            let at = IOV as usize + i as usize * 8;
            g[at..at + 4].copy_from_slice(&(SRC + i * 16).to_le_bytes());
            g[at + 4..at + 8].copy_from_slice(&(i % 61 + 1).to_le_bytes());
        }
        b.reset(MAX_SIZE);
        b
    }

    /// Rewrites the scalar data and clears the first `span` bytes of every destination.
    fn reset(&mut self, span: usize) {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let (g, h) = self.split();
        for chunk in g[..SCALAR_SPAN as usize].chunks_exact_mut(8) {
            chunk.copy_from_slice(&rng(&mut seed).to_le_bytes());
        }
        g[DST as usize..DST as usize + span].fill(0);
        h.out8[..span].fill(0);
        h.out32[..span / 4].fill(0);
        h.strbuf.fill(0);
    }

    /// The guest memory and the host buffers.
    pub fn split(&mut self) -> (&mut [u8], Host<'_>) {
        let guest = &mut self.guest[self.g0..self.g0 + GUEST_BYTES];
        let host = Host {
            out8: &mut self.out8[self.o8..self.o8 + MAX_SIZE],
            out32: &mut self.out32[self.o32..self.o32 + MAX_SIZE / 4],
            in8: &self.in8[self.i8..self.i8 + MAX_SIZE],
            in32: &self.in32[self.i32..self.i32 + MAX_SIZE / 4],
            strbuf: &mut self.strbuf[self.s0..self.s0 + 4096],
            offsets: &self.offsets,
        };
        (guest, host)
    }

    /// A digest of everything a kernel may have written in the first `span` bytes.
    fn digest(&mut self, span: usize) -> u64 {
        let (g, h) = self.split();
        let mut d = 0xcbf2_9ce4_8422_2325u64;
        let mut eat = |bytes: &[u8]| {
            for chunk in bytes.chunks(8) {
                let mut w = [0u8; 8];
                w[..chunk.len()].copy_from_slice(chunk);
                d = (d ^ u64::from_le_bytes(w)).wrapping_mul(0x100_0000_01b3);
            }
        };
        eat(&g[..SCALAR_SPAN as usize]);
        eat(&g[DST as usize..DST as usize + span]);
        eat(&h.out8[..span]);
        for w in &h.out32[..span / 4] {
            eat(&w.to_le_bytes());
        }
        eat(h.strbuf);
        d
    }
}

impl Default for Bufs {
    fn default() -> Self {
        Self::new()
    }
}

/// A mismatch found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The case.
    pub case: String,
    /// The implementation that differs from the case's first one.
    pub implementation: &'static str,
    /// `(checksum, digest)` of the first implementation and of this one.
    pub expected: (u64, u64),
    /// `(checksum, digest)` of this implementation.
    pub got: (u64, u64),
}

/// Runs every implementation of every case no larger than `max_size` once on fresh data and
/// checks that each returns the same checksum and leaves the same bytes behind as the case's
/// first implementation, and that none trapped.
pub fn verify(max_size: usize) -> Result<usize, Mismatch> {
    let mut bufs = Bufs::new();
    let mut runs = 0;
    for case in cases().into_iter().filter(|c| c.size <= max_size) {
        let mut expected = None;
        for &(name, kernel) in &case.impls {
            let span = case.size.max(4096);
            bufs.reset(span);
            let sum = black_box(kernel(&mut bufs, case.size, 2));
            let got = (sum, bufs.digest(span));
            runs += 1;
            let want = *expected.get_or_insert(got);
            if got != want || sum == TRAP {
                return Err(Mismatch {
                    case: case.label(),
                    implementation: name,
                    expected: want,
                    got,
                });
            }
        }
    }
    Ok(runs)
}

#[cfg(test)]
#[allow(clippy::panic)] // a failed test panics
mod tests {
    #[test]
    fn every_implementation_agrees_on_small_inputs() {
        match super::verify(4096) {
            Ok(runs) => assert!(runs > 50, "only {runs} runs"),
            Err(m) => panic!("{m:?}"),
        }
    }
}
