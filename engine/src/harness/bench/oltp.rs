//! The OLTP benchmark behind `ldb bench oltp`: a short run of the OLTP workload
//! ([`crate::harness::workload::oltp`]) on a database in a directory the caller provides.
//!
//! Steps, in order:
//! 1. create the database in the chosen WAL mode, preload `keys` seeded keys (24-byte keys,
//!    150-byte values) in 10,000-key commits, checkpoint, and warm the cache with one scan;
//! 2. **YCSB A**: `threads` clients, 50% reads (read-only snapshot transactions) and 50% blind
//!    updates (`RepeatableRead` transactions), zipfian 0.99 keys — `warmup` warm-up windows of
//!    `each` (dropped), then `repeat` measured windows of `each`, one report per window;
//! 3. reopen the database (so the lock manager's counters, including its running maximum, start
//!    from zero) and run the **hot-key mix** the same way (a warm-up window, then `repeat`
//!    measured windows): 50% reads, 50% read-modify-write updates under `Serializable`, 90% of
//!    them on 8 hot keys;
//! 4. an integrity check of the database, and a check that the key count is unchanged and that
//!    both runs completed operations.

use std::ops::Bound;
use std::path::Path;
use std::time::Duration;

use crate::db::{Database, Options};
use crate::harness::error::{Context, HarnessResult, ensure};
use crate::harness::workload::oltp::{OltpConfig, OltpReport, Stop};
use crate::harness::workload::{self, oltp};

/// What to run.
#[derive(Clone, Debug)]
pub struct OltpBenchConfig {
    /// Keys to preload.
    pub keys: u64,
    /// Client threads.
    pub threads: usize,
    /// How long each window of the two workloads runs (the warm-up and every measured one).
    pub each: Duration,
    /// Measured windows of each workload after its warm-up windows (at least 1).
    pub repeat: usize,
    /// Warm-up windows of each workload before the measured ones (reports dropped).
    pub warmup: usize,
    /// Options of the scratch database (WAL mode, cache).
    pub options: Options,
    /// Dataset and operation seed.
    pub seed: u64,
    /// The hot-key mix's read-modify-writes read with `get_for_update`.
    pub locking_reads: bool,
}

/// The measured windows' reports (warm-ups excluded), in order.
#[derive(Debug)]
pub struct OltpBench {
    /// YCSB A.
    pub ycsb: Vec<OltpReport>,
    /// The hot-key read-modify-write mix.
    pub hot: Vec<OltpReport>,
}

/// `warmup` warm-up windows of `cfg` (reports dropped), then `repeat` measured windows.
fn windows(
    db: &Database,
    cfg: &OltpConfig,
    warmup: usize,
    repeat: usize,
) -> crate::Result<Vec<OltpReport>> {
    for _ in 0..warmup {
        oltp::run(db, cfg)?;
    }
    (0..repeat.max(1)).map(|_| oltp::run(db, cfg)).collect()
}

fn open(path: &Path, opts: &Options, create: bool) -> HarnessResult<Database> {
    let db = if create {
        Database::create(path, opts.clone())
    } else {
        Database::open(path, opts.clone())
    };
    db.context_with(|| format!("while opening the scratch database {}", path.display()))
}

/// Runs both workloads in `dir`.
pub fn run(cfg: &OltpBenchConfig, dir: &Path) -> HarnessResult<OltpBench> {
    let path = dir.join("db");
    let db = open(&path, &cfg.options, true)?;
    workload::load(&db, cfg.seed, 0, cfg.keys, 10_000).context("while preloading")?;
    db.checkpoint()?;
    for entry in db.range(Bound::Unbounded, Bound::Unbounded, false)? {
        entry?;
    }
    let ycsb = windows(
        &db,
        &OltpConfig::ycsb_a(cfg.seed, cfg.keys, cfg.threads, Stop::After(cfg.each)),
        cfg.warmup,
        cfg.repeat,
    )
    .context("while running YCSB A")?;
    db.close()?;

    let db = open(&path, &cfg.options, false)?;
    let mut hot_key = OltpConfig::hot_key(cfg.seed, cfg.keys, cfg.threads, Stop::After(cfg.each));
    if cfg.locking_reads {
        hot_key.update = oltp::UpdateKind::LockingReadModifyWrite;
    }
    let hot =
        windows(&db, &hot_key, cfg.warmup, cfg.repeat).context("while running the hot-key mix")?;
    let report = db.check()?;
    ensure(report.is_clean(), || {
        format!("integrity check after the benchmark: {report}")
    })?;
    ensure(db.stats()?.entries == cfg.keys, || {
        "the workload changed the key count".to_string()
    })?;
    db.close()?;
    let idle = |r: &[OltpReport]| r.iter().filter(|w| w.ops == 0).count();
    ensure(idle(&ycsb) == 0 && idle(&hot) == 0, || {
        format!(
            "windows without a completed operation: YCSB A {}, hot-key {}",
            idle(&ycsb),
            idle(&hot)
        )
    })?;
    Ok(OltpBench { ycsb, hot })
}
