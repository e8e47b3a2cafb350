//! Crash-loop testing: prove that every acknowledged commit survives a crash at any I/O operation.
//!
//! For a seeded workload of commits (puts, overwrites, deletes, large overflow values, explicit
//! checkpoints) on the simulated disk ([`crate::vfs::SimVfs`]):
//! 1. run it once without a crash to count its I/O operations;
//! 2. for each chosen crash point `k`, run it again with the disk crashing at operation `k`;
//! 3. take a crash image (unsynced writes dropped, torn or reordered, chosen by a seed derived
//!    from the workload seed and `k`), reopen the database on it — which runs recovery — and
//!    assert: the contents equal the model after the last acknowledged commit, or after the one
//!    commit that was in flight (never anything else), and the integrity check is clean;
//! 4. commit twice more, then damage a bit of the first of those records (a record in the
//!    middle of the log) or of its segment's header, and assert the next open refuses with
//!    [`Error::WalDamaged`] instead of cutting the log.
//!
//! The test suite runs this over at least 1,000 crash points; `ldb crashtest` runs longer loops.
//! Every violation names the seed and crash point so it can be replayed exactly.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use serde::Serialize;

use crate::db::{Database, Options, WriteBatch};
use crate::error::{Error, Result};
use crate::types::Lsn;
use crate::util::rng::SplitMix64 as Rng;
use crate::vfs::{SimVfs, Vfs};
use crate::wal::format::SEGMENT_HEADER_LEN;
use crate::wal::{Op, WalMode};

/// The workload and database shape of a crash loop.
#[derive(Clone, Debug)]
pub struct CrashConfig {
    /// Seed of the workload (and, mixed with the crash point, of the crash image).
    pub seed: u64,
    /// Number of commits in the workload.
    pub commits: usize,
    /// Maximum operations per commit (each commit has 1..=this many).
    pub max_ops_per_commit: usize,
    /// Keys are drawn from this many distinct values, so overwrites and deletes hit real keys.
    pub key_space: u64,
    /// An explicit checkpoint after every this-many commits (0 = never).
    pub checkpoint_every: usize,
    /// WAL mode of the database.
    pub wal_mode: WalMode,
    /// Page size of the database.
    pub page_size: usize,
}

impl Default for CrashConfig {
    fn default() -> Self {
        CrashConfig {
            seed: 1,
            commits: 40,
            max_ops_per_commit: 6,
            key_space: 64,
            checkpoint_every: 7,
            wal_mode: WalMode::Standard,
            page_size: 1024,
        }
    }
}

/// The result of a crash loop.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CrashReport {
    /// Workload seed.
    pub seed: u64,
    /// I/O operations of the workload without a crash.
    pub io_ops: u64,
    /// Crash points run.
    pub points: u64,
    /// Points after which the in-flight commit was found applied (it was durable but not yet
    /// acknowledged).
    pub inflight_applied: u64,
    /// Commits acknowledged before the crash, summed over all points (all were found).
    pub acknowledged_commits: u64,
    /// Violations found (empty when the engine is correct).
    pub violations: Vec<String>,
}

enum Step {
    Commit(WriteBatch),
    Checkpoint,
}

/// The deterministic workload for `cfg`.
fn workload(cfg: &CrashConfig) -> Vec<Step> {
    let mut rng = Rng::new(cfg.seed);
    let mut steps = Vec::new();
    for i in 0..cfg.commits {
        let mut batch = WriteBatch::new();
        let n = 1 + rng.below(cfg.max_ops_per_commit.max(1) as u64) as usize;
        for _ in 0..n {
            let key = format!("key-{:05}", rng.below(cfg.key_space.max(1))).into_bytes();
            match rng.below(10) {
                0..=1 => {
                    batch.delete(key);
                }
                2 => {
                    // A value several pages long: exercises overflow chains.
                    let len = cfg.page_size * 2 + rng.below(cfg.page_size as u64) as usize;
                    batch.put(key, value_bytes(&mut rng, len));
                }
                _ => {
                    let len = 1 + rng.below(120) as usize;
                    batch.put(key, value_bytes(&mut rng, len));
                }
            }
        }
        steps.push(Step::Commit(batch));
        if cfg.checkpoint_every > 0 && (i + 1) % cfg.checkpoint_every == 0 {
            steps.push(Step::Checkpoint);
        }
    }
    steps
}

fn value_bytes(rng: &mut Rng, len: usize) -> Vec<u8> {
    let seed = rng.next_u64();
    (0..len)
        .map(|i| (seed.rotate_left(i as u32 % 64) as u8) ^ (i as u8))
        .collect()
}

fn apply_to_model(model: &mut BTreeMap<Vec<u8>, Vec<u8>>, batch: &WriteBatch) {
    for op in &batch.ops {
        match op {
            Op::Put { key, value } => {
                model.insert(key.clone(), value.clone());
            }
            Op::Delete { key } => {
                model.remove(key);
            }
        }
    }
}

fn options(cfg: &CrashConfig, vfs: &SimVfs) -> Options {
    Options {
        page_size: cfg.page_size,
        cache_bytes: 16 * cfg.page_size,
        wal_mode: cfg.wal_mode,
        wal_segment_size: 16 << 10,
        checkpoint_wal_bytes: 0,
        wal_archive: None,
        vfs: Arc::new(vfs.clone()),
        lock_timeout: std::time::Duration::from_secs(10),
        ..Options::default()
    }
}

const DB_DIR: &str = "/db";

/// What a (possibly crashed) run acknowledged.
struct RunOutcome {
    created: bool,
    acknowledged: BTreeMap<Vec<u8>, Vec<u8>>,
    acknowledged_commits: u64,
    inflight: Option<BTreeMap<Vec<u8>, Vec<u8>>>,
}

fn run_workload(cfg: &CrashConfig, vfs: &SimVfs, steps: &[Step]) -> RunOutcome {
    let mut out = RunOutcome {
        created: false,
        acknowledged: BTreeMap::new(),
        acknowledged_commits: 0,
        inflight: None,
    };
    let Ok(db) = Database::create(DB_DIR, options(cfg, vfs)) else {
        return out;
    };
    out.created = true;
    for step in steps {
        match step {
            Step::Commit(batch) => {
                let mut next = out.acknowledged.clone();
                apply_to_model(&mut next, batch);
                if db.commit(batch.clone()).is_err() {
                    out.inflight = Some(next);
                    return out;
                }
                out.acknowledged = next;
                out.acknowledged_commits += 1;
            }
            Step::Checkpoint => {
                if db.checkpoint().is_err() {
                    return out;
                }
            }
        }
    }
    // A clean close is part of the workload too: it checkpoints.
    let _ = db.close();
    out
}

/// Counts the I/O operations of the workload when nothing crashes.
pub fn count_io_ops(cfg: &CrashConfig) -> Result<u64> {
    let vfs = SimVfs::new();
    let steps = workload(cfg);
    let out = run_workload(cfg, &vfs, &steps);
    if !out.created || out.acknowledged_commits != cfg.commits as u64 {
        return Err(Error::InvalidArgument(format!(
            "crash workload (seed {}) failed without a crash",
            cfg.seed
        )));
    }
    Ok(vfs.stats().ops)
}

/// Runs the workload crashing at I/O operation `point`, recovers, and verifies. `Ok(true)`
/// means the in-flight commit was found applied. `Err` describes the violation.
pub fn run_point(cfg: &CrashConfig, point: u64) -> std::result::Result<(bool, u64), String> {
    let ctx = |what: String| format!("seed {} crash point {point}: {what}", cfg.seed);
    let vfs = SimVfs::new();
    vfs.crash_at(point);
    let steps = workload(cfg);
    let out = run_workload(cfg, &vfs, &steps);
    let image = vfs.crash_image(cfg.seed ^ point.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let db = match Database::open(DB_DIR, options(cfg, &image)) {
        Ok(db) => db,
        Err(Error::NotFound { .. }) if out.acknowledged_commits == 0 => {
            return Ok((false, 0));
        }
        Err(e) => return Err(ctx(format!("reopen after crash failed: {e}"))),
    };
    let found = read_all(&db).map_err(|e| ctx(format!("reading after recovery: {e}")))?;
    let inflight_applied = if found == out.acknowledged {
        false
    } else if out.inflight.as_ref() == Some(&found) {
        true
    } else {
        return Err(ctx(describe_difference(&out.acknowledged, &found)));
    };
    let report = db
        .check()
        .map_err(|e| ctx(format!("integrity check failed to run: {e}")))?;
    if !report.is_clean() {
        return Err(ctx(format!("integrity check found: {:?}", report.findings)));
    }
    // The recovered database must accept new commits and survive a clean reopen.
    db.put(b"after-crash", b"ok")
        .map_err(|e| ctx(format!("commit after recovery failed: {e}")))?;
    db.close()
        .map_err(|e| ctx(format!("close after recovery failed: {e}")))?;
    let db = Database::open(DB_DIR, options(cfg, &image))
        .map_err(|e| ctx(format!("second reopen failed: {e}")))?;
    match db.get(b"after-crash") {
        Ok(Some(v)) if v == b"ok" => {}
        other => return Err(ctx(format!("commit after recovery lost: {other:?}"))),
    }
    damage_is_refused(cfg, db, &image, point).map_err(ctx)?;
    Ok((inflight_applied, out.acknowledged_commits))
}

/// Media damage after recovery: two more commits go to the log only; then a bit flipped in the
/// first one's record (a record in the middle of the log), or in the header of the segment
/// holding it, must make the next open refuse with [`Error::WalDamaged`] — never cut the log
/// silently. The bit and byte are chosen by the crash point.
fn damage_is_refused(
    cfg: &CrashConfig,
    db: Database,
    image: &SimVfs,
    point: u64,
) -> std::result::Result<(), String> {
    let start = Lsn(db.stats().map_err(|e| e.to_string())?.last_commit_lsn);
    let first = db
        .put(b"damage-1", b"a")
        .map_err(|e| format!("commit before the damage check failed: {e}"))?;
    db.put(b"damage-2", b"b")
        .map_err(|e| format!("commit before the damage check failed: {e}"))?;
    drop(db);
    let wal = std::path::Path::new(DB_DIR).join(crate::db::WAL_DIR);
    // The segment holding the first commit's records: the newest one starting before its
    // end. If the log rolled over for it, its records begin at that segment's first LSN (the
    // old segment ends with its closing record), not at `start`.
    let segment = image
        .read_dir(&wal)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter_map(|p| crate::wal::parse_segment_name(&p).map(|l| (l, p)))
        .filter(|(l, _)| *l < first.lsn)
        .max()
        .ok_or_else(|| format!("no WAL segment holds the records before {}", first.lsn))?;
    let record_start = start.0.max(segment.0.0);
    let record_len = first.lsn.0 - record_start;
    let in_record = SEGMENT_HEADER_LEN + (record_start - segment.0.0) + point % record_len;
    for (what, offset) in [
        ("a record in the middle of the log", in_record),
        ("a segment header", point % SEGMENT_HEADER_LEN),
    ] {
        let damaged = image.crash_image(0);
        damaged
            .flip_bit(&segment.1, offset, (point % 8) as u8)
            .map_err(|e| e.to_string())?;
        match Database::open(DB_DIR, options(cfg, &damaged)) {
            Err(Error::WalDamaged(_)) => {}
            Err(e) => return Err(format!("damage in {what} (byte {offset}): {e}")),
            Ok(_) => {
                return Err(format!(
                    "damage in {what} (byte {offset} of {}) was not detected",
                    segment.1.display()
                ));
            }
        }
    }
    Ok(())
}

fn read_all(db: &Database) -> Result<BTreeMap<Vec<u8>, Vec<u8>>> {
    db.range(Bound::Unbounded, Bound::Unbounded, false)?
        .collect::<Result<BTreeMap<_, _>>>()
}

fn describe_difference(
    expected: &BTreeMap<Vec<u8>, Vec<u8>>,
    found: &BTreeMap<Vec<u8>, Vec<u8>>,
) -> String {
    let missing: Vec<_> = expected
        .keys()
        .filter(|k| !found.contains_key(*k))
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .take(5)
        .collect();
    let extra: Vec<_> = found
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .take(5)
        .collect();
    let changed: Vec<_> = expected
        .iter()
        .filter(|(k, v)| found.get(*k).is_some_and(|f| f != *v))
        .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
        .take(5)
        .collect();
    format!(
        "recovered state matches neither the acknowledged nor the in-flight commit: \
         {} expected keys, {} found; missing {missing:?}, unexpected {extra:?}, changed {changed:?}",
        expected.len(),
        found.len()
    )
}

/// Runs crash points `0..io_ops` (every `stride`-th one, at most `max_points`) and collects
/// violations instead of stopping at the first.
pub fn run_loop(cfg: &CrashConfig, stride: u64, max_points: u64) -> Result<CrashReport> {
    let io_ops = count_io_ops(cfg)?;
    let mut report = CrashReport {
        seed: cfg.seed,
        io_ops,
        ..CrashReport::default()
    };
    let stride = stride.max(1);
    let mut point = 0;
    while point <= io_ops && report.points < max_points {
        match run_point(cfg, point) {
            Ok((inflight, acked)) => {
                report.inflight_applied += u64::from(inflight);
                report.acknowledged_commits += acked;
            }
            Err(v) => report.violations.push(v),
        }
        report.points += 1;
        point += stride;
    }
    Ok(report)
}
