//! The KV range-scan baseline behind `ldb bench olap-kv`: load a seeded dataset into a fresh
//! database, run one warm-up scan (which must return every key), then `scans` full forward
//! scans, each timed (one sample per scan; `ldb bench olap-kv` reports their median). With
//! [`ExtraWork`] (the gate drill's slowdown knob) each measured scan is padded inside its timed
//! region.

use std::ops::Bound;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::db::{Database, Options};
use crate::harness::bench::extra_work::ExtraWork;
use crate::harness::error::{HarnessResult, ensure};
use crate::harness::workload;

/// The measured full scans.
#[derive(Clone, Debug)]
pub struct OlapKv {
    /// Rows every scan returned.
    pub rows: u64,
    /// Bytes of keys and values every scan returned.
    pub bytes: u64,
    /// How long each measured scan took, in seconds (each at least 1 ns), in order.
    pub secs: Vec<f64>,
}

/// Runs the baseline over `keys` keys of `seed` in `dir`; `extra` pads each measured scan.
pub fn run(
    keys: u64,
    seed: u64,
    scans: usize,
    extra: Option<ExtraWork>,
    dir: &Path,
) -> HarnessResult<OlapKv> {
    let db = Database::create(dir.join("db"), Options::default())?;
    workload::load(&db, seed, 0, keys, 1000)?;
    let scan = |extra: Option<ExtraWork>| -> HarnessResult<(u64, u64, Duration)> {
        let t = Instant::now();
        let (mut rows, mut bytes) = (0u64, 0u64);
        for kv in db.range(Bound::Unbounded, Bound::Unbounded, false)? {
            let (k, v) = kv?;
            rows += 1;
            bytes += (k.len() + v.len()) as u64;
        }
        let took = match extra {
            Some(w) => w.pad(t),
            None => t.elapsed(),
        };
        Ok((rows, bytes, took))
    };
    let (rows, _, _) = scan(None)?;
    let entries = db.stats()?.entries;
    ensure(rows == entries, || {
        format!("scan returned {rows} rows of {entries}")
    })?;
    let mut secs = Vec::new();
    let mut bytes = 0;
    for _ in 0..scans.max(1) {
        let (n, b, t) = scan(extra)?;
        ensure(n == rows, || {
            format!("a scan returned {n} rows, the first {rows}")
        })?;
        bytes = b;
        secs.push(t.as_secs_f64().max(1e-9));
    }
    db.close()?;
    Ok(OlapKv { rows, bytes, secs })
}
