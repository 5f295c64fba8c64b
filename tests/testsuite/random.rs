//! A seeded pseudo-random sequence for tests that make random edits, so that a failure can be replayed.

/// A deterministic pseudo-random sequence (xorshift), so that a failure can be replayed.
pub struct Random(pub u64);

impl Random {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}
