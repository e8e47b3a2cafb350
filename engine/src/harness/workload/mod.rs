//! Seeded workloads shared by the criterion benches, `ldb bench` and the tests.
//!
//! The benchmark shape from the storage plan: random 24-byte keys and 150-byte values, generated
//! from a seed by the engine's own PRNG, so the same seed gives byte-identical data on every
//! machine and every version.
//!
//! Submodules: [`zipf`] (the YCSB key-popularity generator), [`histogram`] (latency
//! percentiles) and [`oltp`] (the multi-threaded YCSB-like transaction driver behind
//! `ldb bench oltp` and the `oltp` criterion bench), and [`tables`] (the seeded demo schema
//! with tables and indexes).

pub mod histogram;
pub mod oltp;
pub mod tables;
pub mod zipf;

use crate::db::{Database, WriteBatch};
use crate::error::Result;
use crate::util::rng::SplitMix64 as Rng;

/// Key length of the standard benchmark workload.
pub const KEY_LEN: usize = 24;
/// Value length of the standard benchmark workload.
pub const VALUE_LEN: usize = 150;

/// The `i`-th key of the workload with `seed`: 24 pseudo-random bytes, a pure function of
/// `(seed, i)`, so any key can be regenerated for lookups without storing the key set.
pub fn key(seed: u64, i: u64) -> [u8; KEY_LEN] {
    let mut rng = Rng::new(seed ^ i.wrapping_mul(0xA24B_AED4_963E_E407));
    let mut k = [0u8; KEY_LEN];
    for chunk in k.chunks_mut(8) {
        let bytes = rng.next_u64().to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
    k
}

/// The value stored under `key(seed, i)`: 150 bytes derived from `(seed, i)`.
pub fn value(seed: u64, i: u64) -> [u8; VALUE_LEN] {
    let mut rng = Rng::new(!seed ^ i.wrapping_mul(0x9FB2_1C65_1E98_DF25));
    let mut v = [0u8; VALUE_LEN];
    for chunk in v.chunks_mut(8) {
        let bytes = rng.next_u64().to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
    v
}

/// Inserts keys `start..start + count` of the workload in commits of `batch` keys each.
pub fn load(db: &Database, seed: u64, start: u64, count: u64, batch: u64) -> Result<()> {
    load_where(db, seed, start, count, batch, |_| true).map(|_| ())
}

/// Like [`load`], but only the keys for which `keep` holds (commits of up to `batch` keys;
/// a batch left empty commits nothing); returns how many keys were skipped. Used to load the
/// standard workload beside tables without writing into the schema's reserved prefix.
pub fn load_where(
    db: &Database,
    seed: u64,
    start: u64,
    count: u64,
    batch: u64,
    keep: impl Fn(&[u8]) -> bool,
) -> Result<u64> {
    let batch = batch.max(1);
    let mut i = start;
    let mut skipped = 0;
    while i < start + count {
        let end = (i + batch).min(start + count);
        let mut b = WriteBatch::new();
        let mut puts = 0;
        for j in i..end {
            let k = key(seed, j);
            if keep(&k) {
                b.put(k, value(seed, j));
                puts += 1;
            } else {
                skipped += 1;
            }
        }
        if puts > 0 {
            db.commit(b)?;
        }
        i = end;
    }
    Ok(skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_are_deterministic_and_distinct() {
        assert_eq!(key(7, 3), key(7, 3));
        assert_ne!(key(7, 3), key(7, 4));
        assert_ne!(key(7, 3), key(8, 3));
        assert_eq!(value(7, 3), value(7, 3));
        assert_ne!(value(7, 3), value(7, 4));
    }
}
