//! A small deterministic generator for the values an operation writes: the fuzzer picks the
//! seed, so an input still decides everything, without spending its bytes on every value.

/// xorshift64*.
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value; zero is moved off the fixed point).
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// The next 32 random bits.
    pub(crate) fn u32(&mut self) -> u32 {
        let [a, b, c, d, ..] = self.next().to_le_bytes();
        u32::from_le_bytes([a, b, c, d])
    }

    /// The next random byte.
    pub(crate) fn byte(&mut self) -> u8 {
        self.next().to_le_bytes()[7]
    }

    /// `N <= 8` random bytes.
    pub(crate) fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let all = self.next().to_le_bytes();
        let mut out = [0u8; N];
        for (o, b) in out.iter_mut().zip(all) {
            *o = b;
        }
        out
    }
}
