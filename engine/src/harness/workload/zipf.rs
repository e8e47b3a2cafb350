//! [`Zipfian`]: a seeded generator of item ranks with a Zipf distribution, as YCSB draws keys.
//!
//! Rank `r` (0-based) of `n` items is drawn with probability proportional to `1 / (r + 1)^θ`.
//! The sampler is the constant-time method of Gray et al., "Quickly Generating Billion-Record
//! Synthetic Databases" (SIGMOD 1994): after a one-off `O(n)` computation of the generalized
//! harmonic number `ζ(n, θ)`, each draw costs one uniform variate and one `powf`. It is exact
//! for ranks 0 and 1 and a close continuous approximation for the tail, which is what YCSB uses
//! (θ = 0.99 there).
//!
//! The workload keys are already pseudo-random functions of their index
//! ([`super::key`]), so the popular ranks land scattered over the key space without the extra
//! hashing step YCSB needs for sequential keys.

use crate::error::{Error, Result};
use crate::util::rng::SplitMix64;

/// YCSB's default skew.
pub const YCSB_THETA: f64 = 0.99;

/// A Zipf-distributed rank generator over `0..n`; see the module docs. Cheap to clone (five
/// numbers), so each client thread clones one and draws with its own PRNG.
#[derive(Clone, Debug, PartialEq)]
pub struct Zipfian {
    n: u64,
    theta: f64,
    zeta_n: f64,
    alpha: f64,
    eta: f64,
}

/// `ζ(n, θ) = Σ_{i=1..n} 1 / i^θ`.
fn zeta(n: u64, theta: f64) -> f64 {
    (1..=n).map(|i| (i as f64).powf(-theta)).sum()
}

impl Zipfian {
    /// A generator over `0..n` with skew `theta`, which must lie strictly between 0 and 1
    /// (`0` would be uniform; the method diverges at `1`). `n` must be at least 1.
    pub fn new(n: u64, theta: f64) -> Result<Zipfian> {
        if n == 0 {
            return Err(Error::InvalidArgument(
                "a zipfian generator needs at least one item".into(),
            ));
        }
        if !(theta > 0.0 && theta < 1.0) {
            return Err(Error::InvalidArgument(format!(
                "zipfian skew must lie strictly between 0 and 1, got {theta}"
            )));
        }
        let zeta_n = zeta(n, theta);
        let zeta_2 = zeta(2.min(n), theta);
        let alpha = 1.0 / (1.0 - theta);
        let eta = if n < 2 {
            0.0
        } else {
            (1.0 - (2.0 / n as f64).powf(1.0 - theta)) / (1.0 - zeta_2 / zeta_n)
        };
        Ok(Zipfian {
            n,
            theta,
            zeta_n,
            alpha,
            eta,
        })
    }

    /// The number of items.
    pub fn items(&self) -> u64 {
        self.n
    }

    /// The skew θ.
    pub fn theta(&self) -> f64 {
        self.theta
    }

    /// The exact probability of rank `r`: `(r + 1)^-θ / ζ(n, θ)` (0 outside `0..n`).
    pub fn probability(&self, r: u64) -> f64 {
        if r >= self.n {
            return 0.0;
        }
        ((r + 1) as f64).powf(-self.theta) / self.zeta_n
    }

    /// Draws the next rank in `0..n`.
    pub fn next(&self, rng: &mut SplitMix64) -> u64 {
        // A uniform variate in [0, 1) from the top 53 bits.
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let uz = u * self.zeta_n;
        if uz < 1.0 || self.n == 1 {
            return 0;
        }
        if uz < 1.0 + 0.5f64.powf(self.theta) {
            return 1;
        }
        let r = (self.n as f64 * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64;
        r.min(self.n - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_parameters() {
        assert!(Zipfian::new(0, 0.99).is_err());
        for theta in [0.0, 1.0, 1.5, -0.1, f64::NAN] {
            assert!(Zipfian::new(100, theta).is_err(), "theta {theta} accepted");
        }
        assert_eq!(
            Zipfian::new(1, 0.5)
                .expect("valid")
                .next(&mut SplitMix64::new(1)),
            0
        );
    }

    #[test]
    fn draws_are_deterministic_in_range_and_follow_the_distribution() {
        let seed = 0x5EED_0001;
        let n = 10_000u64;
        let z = Zipfian::new(n, YCSB_THETA).expect("valid");
        let mut a = SplitMix64::new(seed);
        let mut b = SplitMix64::new(seed);
        let draws = 400_000u64;
        let mut counts = vec![0u64; n as usize];
        for _ in 0..draws {
            let r = z.next(&mut a);
            assert_eq!(r, z.next(&mut b), "seed {seed}: not deterministic");
            assert!(r < n, "seed {seed}: rank {r} out of range");
            counts[r as usize] += 1;
        }
        // Ranks 0 and 1 are sampled exactly: their frequencies match the probabilities.
        for r in [0u64, 1] {
            let expected = z.probability(r) * draws as f64;
            let got = counts[r as usize] as f64;
            assert!(
                (got - expected).abs() < 0.05 * expected,
                "seed {seed}: rank {r} drawn {got} times, expected about {expected}"
            );
        }
        // The head is heavy and the tail light: the first 1% of ranks get far more than 1% of
        // the draws (about 53% at θ = 0.99 over 10k items), and popularity falls with rank.
        let head: u64 = counts[..100].iter().sum();
        assert!(
            head as f64 > 0.45 * draws as f64,
            "seed {seed}: head drew only {head} of {draws}"
        );
        let band = |lo: usize, hi: usize| counts[lo..hi].iter().sum::<u64>();
        assert!(band(0, 10) > band(10, 100), "seed {seed}");
        assert!(band(100, 200) > band(9_900, 10_000), "seed {seed}");
    }

    #[test]
    fn probabilities_sum_to_one() {
        let z = Zipfian::new(1_000, 0.8).expect("valid");
        let total: f64 = (0..1_000).map(|r| z.probability(r)).sum();
        assert!((total - 1.0).abs() < 1e-9, "sum {total}");
        assert_eq!(z.probability(1_000), 0.0);
    }
}
