//! The process crash drill's workload and its verification (`ldb drill recovery`).
//!
//! A writer process commits numbered transactions `0, 1, 2, …` ([`txn_batch`]): transaction
//! `i` puts [`KEYS_PER_TXN`] keys `t<i>-<j>` with values derived from `i` and `j` (lengths vary
//! up to a few KiB, so some live in overflow pages), and sets [`LAST_KEY`] to `i`. A whole
//! transaction is therefore either entirely visible or not at all, and the highest committed
//! transaction names itself.
//!
//! After the writer is killed, [`verify`], in order:
//! 1. runs the integrity check;
//! 2. reads [`LAST_KEY`]: the highest transaction `m` that survived;
//! 3. requires every acknowledged transaction to be `≤ m` (else it was lost);
//! 4. requires every transaction `0..=m` to be complete with exact values, transaction `m + 1`
//!    to be wholly absent, and the key count to be exactly `(m + 1) · KEYS_PER_TXN + 1` — so no
//!    part of any other transaction is visible.

use crate::db::{Database, WriteBatch};
use crate::error::Result;
use crate::util::SplitMix64;

/// Keys each numbered transaction writes (besides [`LAST_KEY`]).
pub const KEYS_PER_TXN: u64 = 6;
/// The key holding the number of the last committed transaction (8 bytes, little-endian).
pub const LAST_KEY: &[u8] = b"~last";

fn key(i: u64, j: u64) -> Vec<u8> {
    format!("t{i:010}-{j:02}").into_bytes()
}

/// The value transaction `i` writes under its `j`th key (deterministic).
pub fn value(i: u64, j: u64) -> Vec<u8> {
    let mut rng = SplitMix64::new(i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ j);
    let len = if rng.chance(1, 8) {
        rng.range_inclusive(1500, 5000)
    } else {
        rng.range_inclusive(8, 300)
    } as usize;
    rng.bytes(len)
}

/// The batch of numbered transaction `i`.
pub fn txn_batch(i: u64) -> WriteBatch {
    let mut batch = WriteBatch::new();
    for j in 0..KEYS_PER_TXN {
        batch.put(key(i, j), value(i, j));
    }
    batch.put(LAST_KEY.to_vec(), i.to_le_bytes().to_vec());
    batch
}

/// What [`verify`] found after one crash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The highest transaction that survived (`None`: none did).
    pub last: Option<u64>,
    /// Acknowledged transactions that are missing.
    pub lost: Vec<u64>,
    /// Transactions partly visible, or visible with wrong values.
    pub partial: Vec<u64>,
    /// Other findings: integrity-check findings, a wrong key count, a bad [`LAST_KEY`].
    pub problems: Vec<String>,
}

impl Verdict {
    /// Whether nothing was wrong.
    pub fn is_ok(&self) -> bool {
        self.lost.is_empty() && self.partial.is_empty() && self.problems.is_empty()
    }
}

/// Checks a database reopened after a crash against the transactions the writer acknowledged
/// (see the module doc).
pub fn verify(db: &Database, acknowledged: &[u64]) -> Result<Verdict> {
    let mut v = Verdict::default();
    let report = db.check()?;
    if !report.is_clean() {
        v.problems
            .push(format!("integrity check: {:?}", report.findings));
    }
    v.last = match db.get(LAST_KEY)? {
        None => None,
        Some(b) => match <[u8; 8]>::try_from(b.as_slice()) {
            Ok(a) => Some(u64::from_le_bytes(a)),
            Err(_) => {
                v.problems
                    .push(format!("{LAST_KEY:?} holds {} bytes, not 8", b.len()));
                return Ok(v);
            }
        },
    };
    let survivors = v.last.map_or(0, |m| m + 1);
    v.lost = acknowledged
        .iter()
        .copied()
        .filter(|&i| i >= survivors)
        .collect();
    for i in 0..=survivors {
        let mut present = 0;
        let mut wrong = false;
        for j in 0..KEYS_PER_TXN {
            if let Some(got) = db.get(&key(i, j))? {
                present += 1;
                wrong |= got != value(i, j);
            }
        }
        let complete = i < survivors;
        let want = if complete { KEYS_PER_TXN } else { 0 };
        if present != want || wrong {
            v.partial.push(i);
        }
    }
    let entries = db.stats()?.entries;
    let want = survivors * KEYS_PER_TXN + u64::from(v.last.is_some());
    if entries != want {
        v.problems.push(format!(
            "{entries} keys, expected {want} for transactions 0..{survivors}"
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Options;
    use crate::vfs::SimVfs;
    use std::sync::Arc;

    fn db(vfs: &SimVfs) -> Database {
        let opts = Options {
            page_size: 4096,
            wal_segment_size: 64 << 10,
            vfs: Arc::new(vfs.clone()),
            ..Options::default()
        };
        Database::create("/db", opts).expect("create")
    }

    #[test]
    fn complete_transactions_pass_and_every_kind_of_damage_is_named() {
        let vfs = SimVfs::new();
        let d = db(&vfs);
        assert_eq!(verify(&d, &[]).expect("verify").last, None);
        for i in 0..5 {
            d.commit(txn_batch(i)).expect("commit");
        }
        let ok = verify(&d, &[0, 1, 2, 3, 4]).expect("verify");
        assert!(ok.is_ok(), "{ok:?}");
        assert_eq!(ok.last, Some(4));
        // An acknowledged transaction beyond the last one survived is lost.
        let lost = verify(&d, &[4, 5]).expect("verify");
        assert_eq!(lost.lost, vec![5]);
        // Part of transaction 5 visible, or a wrong value in transaction 2.
        d.put(&key(5, 0), &value(5, 0)).expect("put");
        d.put(&key(2, 1), b"wrong").expect("put");
        let bad = verify(&d, &[]).expect("verify");
        assert_eq!(bad.partial, vec![2, 5]);
        assert_eq!(bad.problems.len(), 1, "{bad:?}");
    }
}
