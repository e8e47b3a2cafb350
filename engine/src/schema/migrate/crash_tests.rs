//! Crash safety of migrations on the simulated disk: for a seeded series of migrations, crash
//! at every I/O operation of the run, take the crash image, reopen, and require the database to
//! be at the last acknowledged version or the one in flight — never between — with exactly
//! that version's data, an intact history chain and a clean integrity check.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use super::test_engine::{KvEngine, write};
use super::*;
use crate::db::{Database, Options};
use crate::util::rng::SplitMix64 as Rng;
use crate::vfs::SimVfs;

const DB_DIR: &str = "/db";

fn options(vfs: &SimVfs) -> Options {
    Options {
        page_size: 1024,
        cache_bytes: 16 * 1024,
        wal_segment_size: 16 << 10,
        checkpoint_wal_bytes: 8 << 10,
        vfs: Arc::new(vfs.clone()),
        ..Options::default()
    }
}

/// Seeded migrations (as test-engine scripts) and the model state after each version.
fn workload(seed: u64, dir: &Path, count: u64) -> Vec<BTreeMap<Vec<u8>, Vec<u8>>> {
    let mut rng = Rng::new(seed);
    let mut model = BTreeMap::new();
    let mut states = vec![model.clone()];
    for v in 1..=count {
        let mut script = format!("table t{v}\n");
        model.insert(
            [&[0xFF, 0x53, 0x00][..], format!("t{v}").as_bytes()].concat(),
            Vec::new(),
        );
        for _ in 0..1 + rng.below(8) {
            let k = format!("k{:03}", rng.below(40));
            let key = [&[0xFF, 0x53, 0x01][..], k.as_bytes()].concat();
            if rng.chance(1, 4) {
                script.push_str(&format!("del {k}\n"));
                model.remove(&key);
            } else {
                // Values up to ~2 pages: some rows spill into overflow pages.
                let len = 1 + rng.below(2000) as usize;
                let val: String = (0..len)
                    .map(|i| (b'a' + ((i as u64 + v) % 26) as u8) as char)
                    .collect();
                script.push_str(&format!("put {k} {val}\n"));
                model.insert(key, val.into_bytes());
            }
        }
        write(dir, &format!("{v:04}_m{v}.up.sql"), &script);
        states.push(model.clone());
    }
    states
}

/// Runs every migration one `up` at a time; returns the last acknowledged version.
fn run(vfs: &SimVfs, dir: &Path, count: u64) -> u64 {
    let Ok(db) = Database::create(DB_DIR, options(vfs)) else {
        return 0;
    };
    let Ok(files) = read_dir(dir) else { return 0 };
    let Ok(m) = Migrator::open(&db, KvEngine, files) else {
        return 0;
    };
    let mut acked = 0;
    for v in 1..=count {
        if m.up(Some(v)).is_err() {
            return acked;
        }
        acked = v;
    }
    drop(m);
    let _ = db.close();
    acked
}

fn schema_keys(db: &Database) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let lo = [0xFF, 0x53, 0x00];
    let hi = [0xFF, 0x53, 0x02];
    db.range(Bound::Included(&lo[..]), Bound::Excluded(&hi[..]), false)
        .expect("range")
        .collect::<crate::error::Result<_>>()
        .expect("read")
}

/// Ok: (acknowledged version, version found).
fn check_point(
    seed: u64,
    dir: &Path,
    count: u64,
    states: &[BTreeMap<Vec<u8>, Vec<u8>>],
    point: u64,
) -> Result<(u64, u64), String> {
    let vfs = SimVfs::new();
    vfs.crash_at(point);
    let acked = run(&vfs, dir, count);
    let image = vfs.crash_image(seed ^ point.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let db = match Database::open(DB_DIR, options(&image)) {
        Ok(db) => db,
        Err(crate::Error::NotFound { .. }) if acked == 0 => return Ok((0, 0)),
        Err(e) => return Err(format!("reopen failed: {e}")),
    };
    let m = Migrator::open(&db, KvEngine, read_dir(dir).map_err(|e| e.to_string())?)
        .map_err(|e| format!("migrator refused the recovered history: {e}"))?;
    let version = m.history().map_err(|e| e.to_string())?.latest();
    if version != acked && version != acked + 1 {
        return Err(format!("at version {version}; acknowledged {acked}"));
    }
    let found = schema_keys(&db);
    if found != states[version as usize] {
        return Err(format!(
            "at version {version} but the data is not version {version}'s"
        ));
    }
    let report = db.check().map_err(|e| e.to_string())?;
    if !report.is_clean() {
        return Err(format!("integrity check: {}", report.findings_text()));
    }
    // The recovered database goes on migrating.
    m.up(None).map_err(|e| format!("up after recovery: {e}"))?;
    if schema_keys(&db) != states[count as usize] {
        return Err("after finishing the migrations the data is wrong".into());
    }
    Ok((acked, version))
}

#[test]
fn a_crash_at_every_io_operation_leaves_version_n_or_n_plus_one() {
    let seed = std::env::var("LDB_MIGRATE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x005E_ED15);
    let tmp = tempfile::tempdir().expect("tempdir");
    let count = 6;
    let states = workload(seed, tmp.path(), count);
    let clean = SimVfs::new();
    assert_eq!(
        run(&clean, tmp.path(), count),
        count,
        "seed {seed}: the run without a crash"
    );
    let ops = clean.stats().ops;
    assert!(ops > 50, "seed {seed}: only {ops} I/O operations");
    let mut violations = Vec::new();
    let (mut mid_run, mut inflight_applied) = (0, 0);
    for point in 1..=ops + 1 {
        match check_point(seed, tmp.path(), count, &states, point) {
            Ok((acked, found)) => {
                mid_run += u64::from(acked > 0 && acked < count);
                inflight_applied += u64::from(found > acked);
            }
            Err(v) => violations.push(format!("seed {seed} crash point {point}/{ops}: {v}")),
        }
    }
    assert!(
        mid_run > 20 && inflight_applied > 0,
        "seed {seed}: the crash points must cut the run between migrations ({mid_run}) and \
         sometimes find the in-flight one durable ({inflight_applied})"
    );
    assert!(
        violations.is_empty(),
        "{} violations (replay with LDB_MIGRATE_CRASH_SEED={seed}):\n{}",
        violations.len(),
        violations.join("\n")
    );
}
