//! [`SeededRandom`]: reproducible random bytes for hosts without a source of entropy.

/// A small deterministic random generator (xorshift64*) for hosts without a source of
/// entropy: its bytes are reproducible, not secret.
///
/// # Examples
///
/// ```
/// use guestmem_wasi::SeededRandom;
///
/// let mut a = SeededRandom::new(7);
/// let mut b = SeededRandom::new(7);
/// let (mut x, mut y) = ([0u8; 5], [0u8; 5]);
/// a.fill(&mut x);
/// b.fill(&mut y);
/// assert_eq!(x, y);
/// assert_ne!(x, [0; 5]);
/// ```
#[derive(Clone, Debug)]
pub struct SeededRandom {
    state: u64,
}

impl SeededRandom {
    /// A generator started from `seed` (0 is replaced by a fixed non-zero seed).
    pub const fn new(seed: u64) -> Self {
        SeededRandom {
            state: if seed == 0 {
                0x9E37_79B9_7F4A_7C15
            } else {
                seed
            },
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Fills `buf` with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            for (dst, src) in chunk.iter_mut().zip(bytes) {
                *dst = src;
            }
        }
    }
}
