//! Seeded input generation as the TPC-C specification describes it (clause 2.1.6 and 4.3.2):
//! `NURand`, customer last names from syllables, random text, and the database's [`Scale`].

use crate::util::rng::SplitMix64 as Rng;

/// How big the database is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    /// Warehouses (W).
    pub warehouses: u64,
    /// Districts per warehouse (10 in TPC-C).
    pub districts: u64,
    /// Customers per district (3,000 in TPC-C).
    pub customers: u64,
    /// Items, and stock rows per warehouse (100,000 in TPC-C).
    pub items: u64,
}

impl Scale {
    /// TPC-C's sizes for `warehouses` warehouses.
    pub fn full(warehouses: u64) -> Scale {
        Scale {
            warehouses,
            districts: 10,
            customers: 3_000,
            items: 100_000,
        }
    }

    /// A tenth of TPC-C's customers and items (what `--quick` loads).
    pub fn quick(warehouses: u64) -> Scale {
        Scale {
            warehouses,
            districts: 10,
            customers: 300,
            items: 10_000,
        }
    }

    /// The number of distinct last names the loader gives customers (at most 1,000).
    pub fn last_names(&self) -> u64 {
        self.customers.clamp(1, 1_000)
    }
}

/// The run-time constants `C` of `NURand(A, x, y)` for A = 255, 1023, 8191.
#[derive(Clone, Copy, Debug)]
pub struct NuConstants {
    c255: u64,
    c1023: u64,
    c8191: u64,
}

impl NuConstants {
    /// Constants drawn from `rng`.
    pub fn new(rng: &mut Rng) -> NuConstants {
        NuConstants {
            c255: rng.below(256),
            c1023: rng.below(1024),
            c8191: rng.below(8192),
        }
    }

    /// `NURand(A, x, y) = (((random(0, A) | random(x, y)) + C) % (y - x + 1)) + x`.
    pub fn nurand(&self, rng: &mut Rng, a: u64, x: u64, y: u64) -> u64 {
        let c = match a {
            255 => self.c255,
            1023 => self.c1023,
            _ => self.c8191,
        };
        (((rng.range_inclusive(0, a) | rng.range_inclusive(x, y)) + c) % (y - x + 1)) + x
    }
}

const SYLLABLES: [&str; 10] = [
    "BAR", "OUGHT", "ABLE", "PRI", "PRES", "ESE", "ANTI", "CALLY", "ATION", "EING",
];

/// The last name numbered `n` (0..=999): its three decimal digits pick three syllables.
pub fn last_name(n: u64) -> String {
    let n = n % 1_000;
    let mut s = String::with_capacity(15);
    for d in [n / 100, (n / 10) % 10, n % 10] {
        s.push_str(SYLLABLES[d as usize]);
    }
    s
}

/// Random letters, `lo..=hi` of them.
pub fn astring(rng: &mut Rng, lo: u64, hi: u64) -> String {
    let len = rng.range_inclusive(lo, hi);
    (0..len)
        .map(|_| char::from(b'a' + rng.below(26) as u8))
        .collect()
}

/// A random amount in cents between `lo` and `hi` cents, as a value with two decimals.
pub fn money(rng: &mut Rng, lo: u64, hi: u64) -> f64 {
    rng.range_inclusive(lo, hi) as f64 / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_names_follow_the_syllable_table() {
        assert_eq!(last_name(0), "BARBARBAR");
        assert_eq!(last_name(371), "PRICALLYOUGHT");
        assert_eq!(last_name(999), "EINGEINGEING");
    }

    #[test]
    fn nurand_stays_in_range() {
        let mut rng = Rng::new(7);
        let k = NuConstants::new(&mut rng);
        for _ in 0..10_000 {
            let v = k.nurand(&mut rng, 1023, 1, 300);
            assert!((1..=300).contains(&v), "{v} out of 1..=300");
        }
    }
}
