//! The seeded history workload: client threads running short random transactions over a small
//! hot key set, recorded for the checker.
//!
//! In order: write the initial state (every other key present) in one plain commit; start
//! `threads` threads, each with its own generator seeded from the workload seed and its number;
//! each runs `txns_per_thread` transactions of 1..=`max_ops` operations — point reads, writes
//! (often of a key just read: the read-modify-write that a lost update would break) and small
//! range scans in either direction — through [`Recorder::run`]; read the final state back; hand
//! the history to [`super::check`].

use std::collections::BTreeMap;
use std::ops::Bound;

use super::History;
use super::check::{CheckReport, check};
use super::record::{Recorder, RecordingTxn};
use crate::db::Database;
use crate::error::{Error, Result};
use crate::txn::IsolationLevel;
use crate::util::rng::SplitMix64;

/// Shape of a history workload.
#[derive(Clone, Debug)]
pub struct HistoryConfig {
    /// Seed; the same seed gives every thread the same sequence of operations (the interleaving
    /// still depends on the scheduler).
    pub seed: u64,
    /// Client threads.
    pub threads: usize,
    /// Transactions each thread runs.
    pub txns_per_thread: usize,
    /// Size of the hot key set.
    pub keys: usize,
    /// Maximum operations per transaction.
    pub max_ops: usize,
    /// Prefix of every key the workload touches (so it can share a database).
    pub prefix: String,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            seed: 1,
            threads: 4,
            txns_per_thread: 100,
            keys: 8,
            max_ops: 4,
            prefix: "h/".into(),
        }
    }
}

/// What one run of the workload produced.
#[derive(Clone, Debug)]
pub struct HistoryRun {
    /// The level it ran at.
    pub level: IsolationLevel,
    /// The recorded history.
    pub history: History,
    /// The checker's verdict.
    pub report: CheckReport,
    /// Transactions that gave up (a lock timeout, or retries exhausted); not recorded.
    pub abandoned: u64,
    /// Why they gave up (the error of each, at most [`MAX_REASONS`] per thread).
    pub abandoned_reasons: Vec<String>,
}

impl HistoryRun {
    /// Whether the run satisfies its level: serializable histories for `Serializable`, and for
    /// `RepeatableRead` every cycle has two consecutive anti-dependencies.
    pub fn satisfies_level(&self) -> bool {
        match self.level {
            IsolationLevel::Serializable => self.report.is_serializable(),
            IsolationLevel::RepeatableRead => self.report.is_snapshot_isolated(),
        }
    }
}

/// How many reasons for giving up each client thread keeps.
pub const MAX_REASONS: usize = 4;

fn key(cfg: &HistoryConfig, i: usize) -> Vec<u8> {
    format!("{}{i:03}", cfg.prefix).into_bytes()
}

/// Runs the workload on `db` (whose keys under `cfg.prefix` it owns) at `level` and checks the
/// history. Fails only if the database itself fails (an I/O error, a poisoned handle).
pub fn run_workload(
    db: &Database,
    level: IsolationLevel,
    cfg: &HistoryConfig,
) -> Result<HistoryRun> {
    let keys = cfg.keys.max(1);
    let mut initial = BTreeMap::new();
    let mut batch = crate::db::WriteBatch::new();
    for i in (0..keys).step_by(2) {
        let (k, v) = (key(cfg, i), format!("init-{i}").into_bytes());
        batch.put(k.clone(), v.clone());
        initial.insert(k, v);
    }
    // Start from exactly `initial`: clear what an earlier run left under the prefix.
    for (k, _) in read_prefix(db, cfg)? {
        if !initial.contains_key(&k) {
            batch.delete(k);
        }
    }
    db.commit(batch)?;
    let recorder = Recorder::new(initial);
    let (abandoned, abandoned_reasons) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..cfg.threads.max(1))
            .map(|t| {
                let recorder = &recorder;
                scope.spawn(move || client(db, recorder, level, cfg, t as u64))
            })
            .collect();
        let (mut abandoned, mut reasons) = (0, Vec::new());
        for h in handles {
            let (n, why) = h
                .join()
                .map_err(|_| Error::InvalidArgument("a history client thread panicked".into()))??;
            abandoned += n;
            reasons.extend(why);
        }
        Ok::<_, Error>((abandoned, reasons))
    })?;
    let final_state = read_prefix(db, cfg)?;
    let history = recorder.history(Some(final_state));
    let report = check(&history);
    Ok(HistoryRun {
        level,
        history,
        report,
        abandoned,
        abandoned_reasons,
    })
}

fn read_prefix(db: &Database, cfg: &HistoryConfig) -> Result<BTreeMap<Vec<u8>, Vec<u8>>> {
    let from = cfg.prefix.as_bytes().to_vec();
    let mut to = from.clone();
    to.push(0xff);
    db.range(Bound::Included(&from), Bound::Excluded(&to), false)?
        .collect()
}

/// One client thread; returns how many of its transactions gave up, and why (the first few).
fn client(
    db: &Database,
    recorder: &Recorder,
    level: IsolationLevel,
    cfg: &HistoryConfig,
    thread: u64,
) -> Result<(u64, Vec<String>)> {
    let mut rng = SplitMix64::new(cfg.seed ^ thread.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let (mut abandoned, mut reasons) = (0, Vec::new());
    for _ in 0..cfg.txns_per_thread {
        // The operations are drawn once per transaction, so every retry replays the same plan.
        let plan = plan(&mut rng, cfg);
        match recorder.run(db, level, |txn| execute(txn, cfg, &plan)) {
            Ok(_) => {}
            Err(e) if e.is_retryable() || matches!(e, Error::LockTimeout { .. }) => {
                abandoned += 1;
                if reasons.len() < MAX_REASONS {
                    reasons.push(format!("thread {thread}: {e}"));
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok((abandoned, reasons))
}

#[derive(Clone, Copy, Debug)]
enum Step {
    Read(usize),
    Write(usize),
    ReadWrite(usize),
    Scan {
        from: usize,
        len: usize,
        reverse: bool,
    },
}

fn plan(rng: &mut SplitMix64, cfg: &HistoryConfig) -> Vec<Step> {
    let keys = cfg.keys.max(1) as u64;
    let n = rng.range_inclusive(1, cfg.max_ops.max(1) as u64);
    (0..n)
        .map(|_| {
            let k = rng.below(keys) as usize;
            match rng.below(10) {
                0..=2 => Step::Read(k),
                3..=4 => Step::Write(k),
                5..=7 => Step::ReadWrite(k),
                _ => Step::Scan {
                    from: k,
                    len: 1 + rng.below(3) as usize,
                    reverse: rng.chance(1, 2),
                },
            }
        })
        .collect()
}

fn execute(txn: &mut RecordingTxn<'_, '_>, cfg: &HistoryConfig, plan: &[Step]) -> Result<()> {
    for step in plan {
        match *step {
            Step::Read(k) => {
                txn.get(&key(cfg, k))?;
            }
            Step::Write(k) => {
                txn.put_unique(&key(cfg, k))?;
            }
            Step::ReadWrite(k) => {
                txn.get(&key(cfg, k))?;
                txn.put_unique(&key(cfg, k))?;
            }
            Step::Scan { from, len, reverse } => {
                let (a, b) = (key(cfg, from), key(cfg, from + len));
                txn.scan(Bound::Included(&a), Bound::Excluded(&b), reverse)?;
            }
        }
    }
    Ok(())
}
