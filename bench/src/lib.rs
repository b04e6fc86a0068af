//! Benchmarks of guestmem against its physical limits (unchecked access, `memcpy`, a copy and
//! `from_utf8`), the hand-written bounds check, the wasm3-style check (`m3ApiCheckMem`) and
//! `wiggle` 48 (feature `wiggle`), all in one binary (issue 9 item 2, DESIGN §7).
//!
//! Every workload is a [`Case`]: one row of the report, with one kernel per implementation.
//! A kernel is an `#[inline(never)]` function `fn(&mut Bufs, size, reps) -> u64` that makes
//! `reps` host calls, each building its memory as a binding does and doing the operation once,
//! and returns a checksum, so that the harness can time it, callgrind can count its
//! instructions, and [`verify`] can check that every implementation of a case computes the same
//! thing, and that every checked implementation refuses a hostile argument.

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
// The baselines: unchecked raw access, the hand-written and wasm3-style checks, written as C
// would, and the transcription of wiggle's checks with lazy errors.
#[allow(unsafe_code)]
mod kernels;

pub use kernels::cases;

/// Bytes of guest memory.
pub const GUEST_BYTES: usize = 4 << 20;
/// Scalar accesses go to pseudo-random 8-aligned offsets below this.
pub const SCALAR_SPAN: u32 = 64 << 10;
/// Scalar offsets available (the most accesses one host call makes).
pub const SCALAR_OPS: usize = 1024;
/// Guest offset of the iovec array (256 iovecs of 8 bytes).
pub const IOV: u32 = 64 << 10;
/// The most iovecs in one call.
pub const MAX_IOVS: usize = 256;
/// Guest offset of the copy-out source and of the ASCII text.
pub const SRC: u32 = 1 << 20;
/// Guest offset of the multibyte UTF-8 text.
pub const SRC_UTF8: u32 = 2 << 20;
/// Guest offset of the copy-in destination.
pub const DST: u32 = 3 << 20;
/// The largest slice or string, in bytes.
pub const MAX_SIZE: usize = 1 << 20;
/// The value a kernel returns when an access failed (a host function would trap).
pub const TRAP: u64 = u64::MAX;
/// `(dst - src) mod 4096` for every copy: the destination sits 512 bytes *below* the source
/// modulo a page, so no load aliases an earlier store in the low 12 address bits.
pub const ALIAS_SHIFT: usize = 4096 - 512;

/// Text such as paths and environment variables: ASCII.
pub const ASCII_TEXT: &[u8] = b"/usr/share/guest/data/file-0123456789.txt PATH=/bin:/usr/bin ";

/// Multibyte text: four 16-byte chunks, each whole UTF-8 (so every prefix of a multiple of 16
/// bytes is valid), with 2-, 3- and 4-byte characters making 29 of its 64 bytes (45 %).
pub const UTF8_TEXT: &str = "Grüße, Köln. día → ñandú東京 to 😀 anaïve café, ok";

/// A kernel: makes `reps` host calls of its operation on `size` (bytes, iovecs or scalar
/// accesses per call) and returns a checksum.
pub type Kernel = fn(&mut Bufs, usize, u32) -> u64;

/// What a hostile argument of a case looks like, for [`verify`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hostile {
    /// The guest range of the operand ends past the memory: every implementation but `limit`
    /// must trap.
    Bounds,
    /// As `Bounds`, and the text is also checked with a byte that is not UTF-8: every
    /// implementation, `limit` included, must refuse it.
    BoundsAndUtf8,
}

/// One row of the report: a workload at one size, with its implementations.
#[derive(Clone, Debug)]
pub struct Case {
    /// The workload, e.g. `copy-out [u8]`.
    pub workload: &'static str,
    /// Bytes (or iovecs, or scalar accesses per call).
    pub size: usize,
    /// How many operations one host call does (the scalar accesses; else 1).
    pub ops_per_rep: usize,
    /// Bytes moved per operation, for the callgrind repetitions (0: not a copy).
    pub bytes_per_op: usize,
    /// How [`verify`] attacks it.
    pub hostile: Hostile,
    /// `(implementation, kernel)`, the implementations named as in [`IMPLS`].
    pub impls: Vec<(&'static str, Kernel)>,
}

/// The implementation columns of the report, in order.
pub const IMPLS: [&str; 7] = [
    "limit",
    "hand",
    "wasm3",
    "guestmem",
    "guestmem-inline",
    "wiggle",
    "wiggle-lazy",
];

impl Case {
    /// The case's label: `workload size`.
    pub fn label(&self) -> String {
        format!("{} {}", self.workload, size_label(self.workload, self.size))
    }
}

/// `16B`, `4KiB`, `1MiB`, or `xN` for iovec counts and scalar accesses per call.
pub fn size_label(workload: &str, size: usize) -> String {
    if workload.starts_with("iovec") || workload.starts_with("scalar") {
        return format!("x{size}");
    }
    if size >= 1 << 20 && size.is_multiple_of(1 << 20) {
        format!("{}MiB", size >> 20)
    } else if size >= 1 << 10 && size.is_multiple_of(1 << 10) {
        format!("{}KiB", size >> 10)
    } else {
        format!("{size}B")
    }
}

/// The guest offsets a host call receives as arguments. Kernels read them through
/// `black_box`, as a host function reads its argument slots.
#[derive(Clone, Copy, Debug)]
pub struct Args {
    /// The copy-out source (ASCII text).
    pub src: u32,
    /// The ASCII text.
    pub ascii: u32,
    /// The multibyte text.
    pub utf8: u32,
    /// The copy-in destination.
    pub dst: u32,
    /// The iovec array.
    pub iov: u32,
}

impl Args {
    const GOOD: Args = Args {
        src: SRC,
        ascii: SRC,
        utf8: SRC_UTF8,
        dst: DST,
        iov: IOV,
    };
}

/// The memory-size header a wasm3 runtime keeps (`M3MemoryHeader`): what `m3_GetMemorySize`
/// reads on every `m3ApiCheckMem`.
#[derive(Debug)]
pub struct M3MemoryHeader {
    /// `runtime`: unused here.
    pub runtime: usize,
    /// `maxStack`: unused here.
    pub max_stack: usize,
    /// `length`: the memory's size in bytes.
    pub length: usize,
}

/// The part of a wasm3 runtime (`M3Runtime.memory.mallocated`) a host function reaches.
#[derive(Debug)]
pub struct M3Runtime {
    /// `memory.mallocated`.
    pub mallocated: Box<M3MemoryHeader>,
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
    args: Args,
    rt: M3Runtime,
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
    /// The guest offsets of the operands.
    pub args: Args,
    /// The wasm3 runtime whose memory size `m3ApiCheckMem` re-reads.
    pub rt: &'b M3Runtime,
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
        // SRC_UTF8 - SRC is a multiple of 4096: one placement serves both texts.
        let strbuf = vec![0u8; MAX_SIZE + slack];
        let s0 = placed(strbuf.as_ptr() as usize, src_addr + ALIAS_SHIFT, 1);
        let offsets = vec![0; SCALAR_OPS]; // written by `heal`
        for (i, b) in in8.iter_mut().enumerate() {
            *b = (i % 251) as u8;
        }
        for (i, w) in in32.iter_mut().enumerate() {
            *w = (i as u32).wrapping_mul(0x9E37_79B9);
        }
        let rt = M3Runtime {
            mallocated: Box::new(M3MemoryHeader {
                runtime: 0,
                max_stack: 0,
                length: GUEST_BYTES,
            }),
        };
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
            args: Args::GOOD,
            rt,
        };
        let (g, _) = b.split();
        let fill = |g: &mut [u8], at: u32, text: &[u8]| {
            let at = at as usize;
            for (i, c) in g[at..at + MAX_SIZE].iter_mut().enumerate() {
                *c = text[i % text.len()];
            }
        };
        fill(g, SRC, ASCII_TEXT);
        fill(g, SRC_UTF8, UTF8_TEXT.as_bytes());
        b.heal(MAX_SIZE);
        b.reset(MAX_SIZE);
        b
    }

    /// Writes the arguments, the iovecs, the scalar offsets and the last byte of every text of
    /// `size` bytes as every kernel expects them.
    fn heal(&mut self, size: usize) {
        self.args = Args::GOOD;
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for o in &mut self.offsets {
            *o = (rng(&mut seed) % u64::from(SCALAR_SPAN / 8)) as u32 * 8;
        }
        let (g, _) = self.split();
        for i in 0..MAX_IOVS as u32 {
            let at = IOV as usize + i as usize * 8;
            g[at..at + 4].copy_from_slice(&(SRC + i * 16).to_le_bytes());
            g[at + 4..at + 8].copy_from_slice(&(i % 61 + 1).to_le_bytes());
        }
        // The bytes `poison_utf8` may have broken.
        let last = size.clamp(1, MAX_SIZE) - 1;
        g[SRC as usize + last] = ASCII_TEXT[last % ASCII_TEXT.len()];
        g[SRC_UTF8 as usize + last] = UTF8_TEXT.as_bytes()[last % UTF8_TEXT.len()];
    }

    /// Makes the operand of every case of `size` reach past the end of memory: the operand
    /// offsets, the last scalar offset of a call and the buffer of its last iovec.
    fn poison_bounds(&mut self, size: usize) {
        let edge = |n: usize| (GUEST_BYTES - n.div_ceil(2)) as u32;
        self.args = Args {
            src: edge(size),
            ascii: edge(size),
            utf8: edge(size),
            dst: edge(size),
            iov: IOV,
        };
        let last = size.clamp(1, SCALAR_OPS) - 1;
        self.offsets[last] = GUEST_BYTES as u32;
        let n = size.clamp(1, MAX_IOVS) - 1;
        let (g, _) = self.split();
        let at = IOV as usize + n * 8;
        g[at..at + 4].copy_from_slice(&(GUEST_BYTES as u32 - 4).to_le_bytes());
        g[at + 4..at + 8].copy_from_slice(&16u32.to_le_bytes());
    }

    /// Makes the last byte of every text of `size` bytes not UTF-8, in bounds.
    fn poison_utf8(&mut self, size: usize) {
        self.args = Args::GOOD;
        let last = size.clamp(1, MAX_SIZE) - 1;
        let (g, _) = self.split();
        g[SRC as usize + last] = 0xFF;
        g[SRC_UTF8 as usize + last] = 0xFF;
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
        h.strbuf[..span].fill(0);
    }

    /// The guest memory and the host buffers.
    pub fn split(&mut self) -> (&mut [u8], Host<'_>) {
        let guest = &mut self.guest[self.g0..self.g0 + GUEST_BYTES];
        let host = Host {
            out8: &mut self.out8[self.o8..self.o8 + MAX_SIZE],
            out32: &mut self.out32[self.o32..self.o32 + MAX_SIZE / 4],
            in8: &self.in8[self.i8..self.i8 + MAX_SIZE],
            in32: &self.in32[self.i32..self.i32 + MAX_SIZE / 4],
            strbuf: &mut self.strbuf[self.s0..self.s0 + MAX_SIZE],
            offsets: &self.offsets,
            args: self.args,
            rt: &self.rt,
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
        eat(&h.strbuf[..span]);
        d
    }
}

impl Default for Bufs {
    fn default() -> Self {
        Self::new()
    }
}

/// A failure found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The case.
    pub case: String,
    /// The implementation that failed.
    pub implementation: &'static str,
    /// What went wrong.
    pub what: String,
}

/// Runs every implementation of every case no larger than `max_size`:
/// - on fresh data, each must return the same checksum and leave the same bytes behind as the
///   case's first implementation, without trapping (a kernel that skips its work differs);
/// - with the operand reaching past the end of memory (the last scalar of a call, the buffer
///   of the last iovec), each but `limit` must trap (a kernel that skips a check does not);
/// - for strings, with a byte that is not UTF-8, each must trap (`limit` included).
///
/// Returns the number of kernel runs.
pub fn verify(max_size: usize) -> Result<usize, Mismatch> {
    let mut bufs = Bufs::new();
    let mut runs = 0;
    for case in cases().into_iter().filter(|c| c.size <= max_size) {
        let span = case.size.max(4096);
        let fail = |name: &'static str, what: String| Mismatch {
            case: case.label(),
            implementation: name,
            what,
        };
        let mut expected = None;
        for &(name, kernel) in &case.impls {
            bufs.reset(span);
            let sum = black_box(kernel(&mut bufs, case.size, 2));
            let got = (sum, bufs.digest(span));
            runs += 1;
            let want = *expected.get_or_insert(got);
            if sum == TRAP {
                return Err(fail(name, "trapped on good data".into()));
            }
            if got != want {
                return Err(fail(
                    name,
                    format!("(checksum, digest) {got:x?}, first implementation {want:x?}"),
                ));
            }
        }
        let mut attacks = vec![("out of bounds", false)];
        if case.hostile == Hostile::BoundsAndUtf8 {
            attacks.push(("not UTF-8", true));
        }
        for (attack, utf8) in attacks {
            for &(name, kernel) in &case.impls {
                if name == "limit" && !utf8 {
                    continue; // unchecked by design: it would touch memory out of bounds
                }
                bufs.reset(span);
                if utf8 {
                    bufs.poison_utf8(case.size);
                } else {
                    bufs.poison_bounds(case.size);
                }
                let sum = black_box(kernel(&mut bufs, case.size, 2));
                bufs.heal(case.size);
                runs += 1;
                if sum != TRAP {
                    return Err(fail(name, format!("accepted an argument {attack}")));
                }
            }
        }
    }
    Ok(runs)
}

#[cfg(test)]
#[allow(clippy::panic)] // a failed test panics
mod tests {
    use super::*;

    #[test]
    fn every_implementation_agrees_and_refuses_hostile_arguments() {
        match verify(4096) {
            Ok(runs) => assert!(runs > 200, "only {runs} runs"),
            Err(m) => panic!("{m:?}"),
        }
    }

    #[test]
    fn the_multibyte_text_is_45_percent_multibyte_and_valid_at_every_16_bytes() {
        let t = UTF8_TEXT.as_bytes();
        assert_eq!(t.len(), 64);
        let multibyte = t.iter().filter(|b| **b >= 0x80).count();
        assert_eq!(multibyte, 29);
        for end in (16..=64).step_by(16) {
            assert!(core::str::from_utf8(&t[..end]).is_ok(), "{end}");
        }
        for w in [2, 3, 4] {
            assert!(UTF8_TEXT.chars().any(|c| c.len_utf8() == w), "{w}-byte");
        }
    }
}
