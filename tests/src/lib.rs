//! Shared fixtures of the guestmem test suite: host buffers placed on purpose (aligned, or one
//! byte off), a memory that moves between accesses like wasm3's, and a reference model of
//! guest memory written with plain safe indexing.
//!
//! The integration tests, one file per area, live in `tests/`.
#![deny(unsafe_code)]
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions,
    clippy::unwrap_used,
    clippy::missing_errors_doc
)]

use guestmem::{GuestError, GuestFrame, GuestMemory, Region};

/// Where a host buffer starts relative to an 8-byte boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// At a multiple of 8 (as a host allocator places it).
    Aligned,
    /// One byte past a multiple of 8 (as wasm3 places its memory behind a header on 32-bit
    /// hosts): typed views must be refused, copies must work.
    Misaligned,
}

impl Placement {
    /// Both placements, for sweeps.
    pub const ALL: [Placement; 2] = [Placement::Aligned, Placement::Misaligned];
}

/// A zero-filled host buffer of `len` bytes with a chosen placement.
pub struct HostBuffer {
    words: Vec<u64>,
    placement: Placement,
    len: usize,
}

impl HostBuffer {
    /// A buffer of `len` zero bytes.
    pub fn new(len: usize, placement: Placement) -> Self {
        HostBuffer {
            words: vec![0; len / 8 + 2],
            placement,
            len,
        }
    }

    /// A buffer holding `bytes`.
    pub fn with_bytes(bytes: &[u8], placement: Placement) -> Self {
        let mut buf = HostBuffer::new(bytes.len(), placement);
        buf.bytes_mut().copy_from_slice(bytes);
        buf
    }

    /// The buffer's bytes.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        let start = match self.placement {
            Placement::Aligned => 0,
            Placement::Misaligned => 1,
        };
        &mut bytemuck::cast_slice_mut::<u64, u8>(&mut self.words)[start..start + self.len]
    }

    /// A guest memory over the buffer.
    pub fn memory(&mut self) -> GuestFrame<'_> {
        GuestFrame::new(self.bytes_mut())
    }
}

/// A guest memory that moves to the other of two buffers (copying its bytes, like `realloc`)
/// every time the test calls [`MovingMemory::relocate`] — as wasm3's memory moves when the guest
/// grows it — and counts the calls of `base()`.
pub struct MovingMemory {
    buffers: [Box<[u8]>; 2],
    current: usize,
    len: u32,
    base_calls: usize,
}

impl MovingMemory {
    /// A memory of `len` zero bytes, able to grow to `capacity` (at least 1).
    pub fn new(len: u32, capacity: usize) -> Self {
        let buffer = || vec![0u8; capacity.max(1)].into_boxed_slice();
        MovingMemory {
            buffers: [buffer(), buffer()],
            current: 0,
            len: len.min(u32::try_from(capacity).unwrap_or(u32::MAX)),
            base_calls: 0,
        }
    }

    /// Moves the bytes to the other buffer and sets the length to `new_len` (at most the
    /// capacity). It takes `&mut self`: no frame (and so no view) of the memory can be live.
    pub fn relocate(&mut self, new_len: u32) {
        let from = self.current;
        let to = 1 - from;
        let [a, b] = &mut self.buffers;
        let (src, dst) = if from == 0 { (a, b) } else { (b, a) };
        dst.copy_from_slice(src);
        // Poison the old place: a stale pointer would read this.
        src.fill(0xEE);
        self.current = to;
        let cap = u32::try_from(self.buffers[to].len()).unwrap_or(u32::MAX);
        self.len = new_len.min(cap);
    }

    /// How many times `base()` was called.
    pub fn base_calls(&self) -> usize {
        self.base_calls
    }
}

#[allow(unsafe_code)] // implements the unsafe trait, argued below
                      // SAFETY:
                      // 1. The pointer is that of a live boxed slice of at least `len` bytes (`len` is capped at its
                      //    length), taken from `&mut` so it may write every byte.
                      // 2. The bytes move only in `relocate`, which needs `&mut self`: not while the exclusive borrow
                      //    `base` was called through lasts. No other reference to them is handed out.
                      // 3. The pointer is never null.
unsafe impl GuestMemory for MovingMemory {
    fn base(&mut self) -> (*mut u8, u32) {
        self.base_calls += 1;
        let buffer = &mut self.buffers[self.current];
        (buffer.as_mut_ptr(), self.len)
    }
}

/// What the reference model says an access should give.
pub type Expected<T> = Result<T, GuestError>;

/// Guest memory as a plain `Vec<u8>` with safe, `u64`-computed indexing: the oracle that the
/// property tests compare guestmem against.
#[derive(Clone, Debug)]
pub struct Model {
    /// The memory's bytes.
    pub bytes: Vec<u8>,
}

impl Model {
    /// The outcome of checking `len` bytes at `offset` with alignment `align`, in the order
    /// guestmem documents: overflow, alignment, bounds.
    pub fn check(&self, offset: u32, len: u32, align: u32) -> Expected<std::ops::Range<usize>> {
        let end = u64::from(offset) + u64::from(len);
        if end > u64::from(u32::MAX) {
            return Err(GuestError::PtrOverflow);
        }
        if !offset.is_multiple_of(align) {
            return Err(GuestError::PtrNotAligned(Region::new(offset, len), align));
        }
        if end > self.bytes.len() as u64 {
            return Err(GuestError::PtrOutOfBounds(Region::new(offset, len)));
        }
        Ok(offset as usize..end as usize)
    }

    /// Reads `N` little-endian bytes at `offset`, aligned to `N`.
    pub fn read<const N: usize>(&self, offset: u32) -> Expected<[u8; N]> {
        let n = u32::try_from(N).unwrap();
        let range = self.check(offset, n, n)?;
        Ok(self.bytes[range].try_into().unwrap())
    }

    /// Writes `N` bytes at `offset`, aligned to `N`.
    pub fn write<const N: usize>(&mut self, offset: u32, value: [u8; N]) -> Expected<()> {
        let n = u32::try_from(N).unwrap();
        let range = self.check(offset, n, n)?;
        self.bytes[range].copy_from_slice(&value);
        Ok(())
    }

    /// Copies `len` bytes at `offset`.
    pub fn copy_out(&self, offset: u32, len: u32) -> Expected<Vec<u8>> {
        Ok(self.bytes[self.check(offset, len, 1)?].to_vec())
    }
}

/// Offsets worth sweeping for a memory of `mem_len` bytes: the start, around the end, and
/// around `u32::MAX`.
pub fn edge_offsets(mem_len: u32) -> Vec<u32> {
    let mut offsets: Vec<u32> = (0..=9).collect();
    offsets.extend((0..=9).filter_map(|d| mem_len.checked_sub(d)));
    offsets.extend((1..=9).filter_map(|d| mem_len.checked_add(d)));
    offsets.extend((0..=9).map(|d| u32::MAX - d));
    offsets.extend([u32::MAX / 2, 1 << 31]);
    offsets.sort_unstable();
    offsets.dedup();
    offsets
}

/// Lengths worth sweeping: small ones, and ones that reach or overflow `u32::MAX`.
pub fn edge_lengths(mem_len: u32) -> Vec<u32> {
    let mut lengths: Vec<u32> = (0..=9).collect();
    lengths.extend([mem_len, mem_len.saturating_add(1), u32::MAX - 1, u32::MAX]);
    lengths.sort_unstable();
    lengths.dedup();
    lengths
}

/// Memory sizes of the sweeps (DESIGN §6): 0, 1, 7 and 64 KiB bytes; smaller under Miri,
/// which runs every byte access through its interpreter.
pub fn memory_sizes() -> &'static [usize] {
    if cfg!(miri) {
        &[0, 1, 7, 100]
    } else {
        &[0, 1, 7, 65536]
    }
}
