//! A seeded model test of the storage layer: random copy-on-write commits (allocate, write,
//! free, publish) through a tiny cache that evicts dirty pages constantly, with checkpoints and
//! simulated crashes (the handle is dropped without a checkpoint, every write it issued left in
//! the file). After a crash the reopened store must hold exactly the last checkpoint's pages
//! with their checkpointed contents (no page of a checkpoint was ever overwritten) and the
//! integrity check must be clean. Failures print the seed and the step.

use std::collections::BTreeMap;

use super::{PS, db, leaf, vfs};
use crate::storage::{CheckpointFields, PageStore, Storage};
use crate::types::PageId;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn check_contents(s: &Storage, live: &BTreeMap<PageId, u8>, ctx: &str) {
    for (&id, &fill) in live {
        let p = s
            .read_page(id)
            .unwrap_or_else(|e| panic!("{ctx}: reading {id}: {e}"));
        assert!(p.body().iter().all(|&b| b == fill), "{ctx}: {id} content");
    }
    let ids: Vec<PageId> = live.keys().copied().collect();
    let report = s.check_integrity(&ids);
    assert!(report.is_clean(), "{ctx}: {report:#?}");
}

fn run(seed: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = 16 * PS as u64;
    let mut s = Storage::create(vfs(), &db(&dir), PS, cache).expect("create");
    let mut rng = Rng(seed);
    let mut live: BTreeMap<PageId, u8> = BTreeMap::new();
    let mut durable = live.clone();
    for step in 0..1_500 {
        let ctx = format!("seed {seed:#x} step {step}");
        match rng.below(20) {
            // A commit that adds a page.
            0..=5 => {
                let id = s.allocate().expect("allocate");
                assert!(!live.contains_key(&id), "{ctx}: live {id} handed out");
                let fill = rng.next() as u8;
                s.write_page(leaf(id, fill)).expect("write");
                live.insert(id, fill);
                s.publish();
            }
            // A commit that rewrites a page copy-on-write.
            6..=12 if !live.is_empty() => {
                let old = *live.keys().nth(rng.below(live.len())).expect("non-empty");
                let new = s.allocate().expect("allocate");
                assert!(!live.contains_key(&new), "{ctx}: live {new} handed out");
                let fill = rng.next() as u8;
                s.write_page(leaf(new, fill)).expect("write");
                s.free(old).expect("free");
                live.remove(&old);
                live.insert(new, fill);
                s.publish();
            }
            // A commit that drops a page.
            13..=15 if !live.is_empty() => {
                let old = *live.keys().nth(rng.below(live.len())).expect("non-empty");
                s.free(old).expect("free");
                live.remove(&old);
                s.publish();
            }
            16..=17 => {
                s.checkpoint(CheckpointFields::default())
                    .expect("checkpoint");
                durable = live.clone();
                check_contents(&s, &live, &ctx);
            }
            18 => {
                // Crash: drop the handle; writes already issued stay in the file.
                drop(s);
                let (reopened, _) =
                    Storage::open(vfs(), &db(&dir), cache).expect("reopen after crash");
                s = reopened;
                live = durable.clone();
                check_contents(&s, &live, &ctx);
            }
            _ => {}
        }
    }
}

#[test]
fn random_commits_checkpoints_and_crashes_keep_every_checkpoint_intact() {
    for seed in [0x1234_5678_u64, 0xDEAD_BEEF, 0x0BAD_CAFE, 42] {
        run(seed);
    }
}
