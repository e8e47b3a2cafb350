//! A seeded model test of the granted-lock table: random acquire (without waiting) and
//! release_all operations on random keys and ranges, checked after every step against a
//! brute-force model that compares every pair of locks directly. It exercises the key/range
//! indexes, re-entry, upgrades in place and release bookkeeping.

use std::time::Duration;

use super::tests::{S, X};
use super::*;

/// The obviously-correct model: a flat list of `(txn, target, mode)` in acquisition order.
#[derive(Default)]
struct Model {
    locks: Vec<(TxnId, LockTarget, LockMode)>,
}

impl Model {
    /// Whether the request is granted at once, and the model updated if so.
    fn acquire(&mut self, txn: TxnId, target: &LockTarget, mode: LockMode) -> bool {
        if target.is_empty()
            || self
                .locks
                .iter()
                .any(|(t, held, m)| *t == txn && m.includes(mode) && held.covers(target))
        {
            return true;
        }
        let conflict = self
            .locks
            .iter()
            .any(|(t, held, m)| *t != txn && held.overlaps(target) && !m.compatible_with(mode));
        if conflict {
            return false;
        }
        match self
            .locks
            .iter_mut()
            .find(|(t, held, _)| *t == txn && held == target)
        {
            Some(entry) => entry.2 = entry.2.max(mode),
            None => self.locks.push((txn, target.clone(), mode)),
        }
        true
    }

    fn held_by(&self, txn: TxnId) -> Vec<(LockTarget, LockMode)> {
        let mine = self.locks.iter().filter(|(t, _, _)| *t == txn);
        let keys = mine
            .clone()
            .filter(|(_, l, _)| matches!(l, LockTarget::Key(_)));
        let ranges = mine.filter(|(_, l, _)| matches!(l, LockTarget::Range(_)));
        keys.chain(ranges)
            .map(|(_, l, m)| (l.clone(), *m))
            .collect()
    }
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn key(&mut self) -> Vec<u8> {
        // Short keys over a tiny alphabet: plenty of equal keys, prefixes and touching bounds.
        (0..1 + self.below(2))
            .map(|_| b'a' + self.below(4) as u8)
            .collect()
    }

    fn target(&mut self) -> LockTarget {
        if self.below(3) > 0 {
            return LockTarget::Key(self.key());
        }
        let (a, b) = (self.key(), self.key());
        let (start, end) = if a <= b { (a, b) } else { (b, a) };
        let end = (self.below(5) > 0).then_some(end);
        LockTarget::range(start, end).expect("ordered bounds")
    }
}

#[test]
fn lock_table_matches_brute_force_model() {
    for seed in 1..=20u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mgr = LockManager::new(LockConfig::default());
        let mut model = Model::default();
        for step in 0..600 {
            let txn = TxnId(1 + rng.below(4));
            if rng.below(10) == 0 {
                let released = mgr.release_all(txn);
                let before = model.locks.len();
                model.locks.retain(|(t, _, _)| *t != txn);
                assert_eq!(
                    released,
                    before - model.locks.len(),
                    "seed {seed} step {step}"
                );
            } else {
                let target = rng.target();
                let mode = if rng.below(2) == 0 { S } else { X };
                let got = mgr.acquire_with_timeout(txn, target.clone(), mode, Duration::ZERO);
                let want = model.acquire(txn, &target, mode);
                assert_eq!(
                    got.is_ok(),
                    want,
                    "seed {seed} step {step}: {txn} {mode} {target}: got {got:?}"
                );
                if let Err(e) = got {
                    assert!(matches!(e, LockError::Timeout { .. }), "seed {seed}: {e}");
                }
            }
            for t in 1..=4 {
                assert_eq!(
                    mgr.held_by(TxnId(t)),
                    model.held_by(TxnId(t)),
                    "seed {seed} step {step}"
                );
            }
        }
        assert_eq!(
            mgr.stats().locks_held,
            model.locks.len() as u64,
            "seed {seed}"
        );
    }
}
