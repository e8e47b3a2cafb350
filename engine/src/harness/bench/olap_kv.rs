//! The KV range-scan baseline behind `ldb bench olap-kv`: load a seeded dataset into a fresh
//! database, run one warm-up scan (which must return every key), then `scans` full forward
//! scans; the median scan is reported.

use std::ops::Bound;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::db::{Database, Options};
use crate::harness::error::{HarnessResult, ensure};
use crate::harness::workload;

/// The median full scan.
#[derive(Clone, Copy, Debug)]
pub struct OlapKv {
    /// Rows the scan returned.
    pub rows: u64,
    /// Bytes of keys and values it returned.
    pub bytes: u64,
    /// How long it took, in seconds (at least 1 ns).
    pub secs: f64,
}

/// Runs the baseline over `keys` keys of `seed` in `dir`.
pub fn run(keys: u64, seed: u64, scans: usize, dir: &Path) -> HarnessResult<OlapKv> {
    let db = Database::create(dir.join("db"), Options::default())?;
    workload::load(&db, seed, 0, keys, 1000)?;
    let scan = || -> HarnessResult<(u64, u64, Duration)> {
        let t = Instant::now();
        let (mut rows, mut bytes) = (0u64, 0u64);
        for kv in db.range(Bound::Unbounded, Bound::Unbounded, false)? {
            let (k, v) = kv?;
            rows += 1;
            bytes += (k.len() + v.len()) as u64;
        }
        Ok((rows, bytes, t.elapsed()))
    };
    let (rows, _, _) = scan()?;
    let entries = db.stats()?.entries;
    ensure(rows == entries, || {
        format!("scan returned {rows} rows of {entries}")
    })?;
    let mut runs = Vec::new();
    for _ in 0..scans.max(1) {
        runs.push(scan()?);
    }
    runs.sort_by_key(|r| r.2);
    let (rows, bytes, t) = runs.get(runs.len() / 2).copied().unwrap_or_default();
    db.close()?;
    Ok(OlapKv {
        rows,
        bytes,
        secs: t.as_secs_f64().max(1e-9),
    })
}
