//! The OLTP benchmark behind `ldb bench oltp`: a short run of the OLTP workload
//! ([`crate::harness::workload::oltp`]) on a database in a directory the caller provides.
//!
//! Steps, in order:
//! 1. create the database in the chosen WAL mode, preload `keys` seeded keys (24-byte keys,
//!    150-byte values) in 10,000-key commits, checkpoint, and warm the cache with one scan;
//! 2. **YCSB A** for `each`: `threads` clients, 50% reads (read-only snapshot transactions) and
//!    50% blind updates (`RepeatableRead` transactions), zipfian 0.99 keys;
//! 3. reopen the database (so the lock manager's counters, including its running maximum, start
//!    from zero) and run the **hot-key mix** for `each`: 50% reads, 50% read-modify-write
//!    updates under `Serializable`, 90% of them on 8 hot keys;
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
    /// How long each of the two workloads runs.
    pub each: Duration,
    /// Options of the scratch database (WAL mode, cache).
    pub options: Options,
    /// Dataset and operation seed.
    pub seed: u64,
    /// The hot-key mix's read-modify-writes read with `get_for_update`.
    pub locking_reads: bool,
}

/// The two runs' reports.
#[derive(Debug)]
pub struct OltpBench {
    /// YCSB A.
    pub ycsb: OltpReport,
    /// The hot-key read-modify-write mix.
    pub hot: OltpReport,
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
    let ycsb = oltp::run(
        &db,
        &OltpConfig::ycsb_a(cfg.seed, cfg.keys, cfg.threads, Stop::After(cfg.each)),
    )
    .context("while running YCSB A")?;
    db.close()?;

    let db = open(&path, &cfg.options, false)?;
    let mut hot_key = OltpConfig::hot_key(cfg.seed, cfg.keys, cfg.threads, Stop::After(cfg.each));
    if cfg.locking_reads {
        hot_key.update = oltp::UpdateKind::LockingReadModifyWrite;
    }
    let hot = oltp::run(&db, &hot_key).context("while running the hot-key mix")?;
    let report = db.check()?;
    ensure(report.is_clean(), || {
        format!("integrity check after the benchmark: {report}")
    })?;
    ensure(db.stats()?.entries == cfg.keys, || {
        "the workload changed the key count".to_string()
    })?;
    db.close()?;
    ensure(ycsb.ops > 0 && hot.ops > 0, || {
        format!(
            "no operation completed (YCSB A {}, hot-key {})",
            ycsb.ops, hot.ops
        )
    })?;
    Ok(OltpBench { ycsb, hot })
}
