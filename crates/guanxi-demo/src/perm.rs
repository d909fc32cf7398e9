//! A keyed permutation of `0..n`: a balanced Feistel network on the smallest even number of
//! bits that covers `n`, with cycle walking to stay below `n`. Counting 0, 1, 2, … through it
//! gives distinct, random-looking values.

use rand::Rng;

#[derive(Clone, Debug)]
pub struct Perm {
    n: u64,
    half_bits: u32,
    keys: [u64; 4],
}

impl Perm {
    /// A permutation of `0..n` (`n` at least 1) keyed from `rng`.
    pub fn new(n: u64, rng: &mut impl Rng) -> Self {
        let n = n.max(1);
        let bits = 64 - (n - 1).leading_zeros();
        let half_bits = bits.div_ceil(2).clamp(1, 31);
        Self {
            n,
            half_bits,
            keys: rng.gen(),
        }
    }

    /// The image of `i` (taken modulo `n`).
    pub fn apply(&self, i: u64) -> u64 {
        let mut x = i % self.n;
        // The permutation of the larger domain maps the cycle through x back to x, which is
        // below n, so this ends; on average after fewer than four rounds.
        loop {
            x = self.feistel(x);
            if x < self.n {
                return x;
            }
        }
    }

    fn feistel(&self, x: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let mut left = x >> self.half_bits;
        let mut right = x & mask;
        for k in self.keys {
            let f = mix(right ^ k) & mask;
            (left, right) = (right, left ^ f);
        }
        (left << self.half_bits) | right
    }
}

/// The SplitMix64 finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn is_a_permutation() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for n in [1u64, 2, 3, 10, 1000, 4097, 70_000] {
            let p = Perm::new(n, &mut rng);
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let v = p.apply(i);
                assert!(v < n);
                assert!(!seen[v as usize], "{v} twice for n = {n}");
                seen[v as usize] = true;
            }
        }
    }
}
