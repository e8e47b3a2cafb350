//! The bank-transfer invariant under crashes. Accounts start with a known total; client threads
//! move random amounts between random accounts under `Serializable` — each transfer reads both
//! balances, writes both, and writes a log key naming itself (`xfer/<thread>/<n>` = `from,to,
//! amount`) in the same transaction — on the simulated disk, which crashes at a seeded I/O
//! operation. The crash image (unsynced writes dropped, torn or reordered) is reopened, which
//! runs recovery, and then:
//! - the total is unchanged;
//! - every acknowledged transfer's log key is present, and every present one was at least
//!   attempted (an unacknowledged one was in flight when the disk died);
//! - each balance equals its initial value plus the transfers logged — so every transfer is
//!   all or nothing;
//! - the integrity check is clean, and the recovered database takes a new transfer.
//!
//! Both WAL modes; automatic checkpoints run during the workload. Seed: `LDB_SEED` (default
//! fixed); a failure prints the seed and the crash point.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::Arc;

use lightning_db::util::SplitMix64;
use lightning_db::vfs::SimVfs;
use lightning_db::wal::WalMode;
use lightning_db::{Database, IsolationLevel, Options, Result, Transaction, WriteBatch};

const DIR: &str = "/bank";
const ACCOUNTS: u64 = 6;
const INITIAL: i64 = 1_000;
const THREADS: u64 = 3;
const TRANSFERS: u64 = 40;
const CRASH_POINTS: u64 = 200;

fn seed() -> u64 {
    std::env::var("LDB_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xBA4C_0001)
}

fn opts(vfs: &SimVfs, mode: WalMode) -> Options {
    Options {
        page_size: 1024,
        cache_bytes: 64 << 10,
        wal_mode: mode,
        wal_segment_size: 16 << 10,
        // Small, so automatic checkpoints (and WAL recycling) happen during the transfers.
        checkpoint_wal_bytes: 4 << 10,
        lock_timeout: std::time::Duration::from_secs(20),
        vfs: Arc::new(vfs.clone()),
        wal_archive: None,
        ..Options::default()
    }
}

fn account(i: u64) -> Vec<u8> {
    format!("acct/{i:02}").into_bytes()
}

fn balance(txn: &mut Transaction<'_>, i: u64) -> Result<i64> {
    let raw = txn.get(&account(i))?.expect("every account exists");
    Ok(String::from_utf8(raw)
        .expect("balance is text")
        .parse()
        .expect("balance is a number"))
}

/// One transfer of up to `want` from `from` to `to`, logged under `log`.
fn transfer(txn: &mut Transaction<'_>, from: u64, to: u64, want: i64, log: &[u8]) -> Result<()> {
    let a = balance(txn, from)?;
    let b = balance(txn, to)?;
    let amount = want.min(a);
    txn.put(&account(from), (a - amount).to_string().as_bytes())?;
    txn.put(&account(to), (b + amount).to_string().as_bytes())?;
    txn.put(log, format!("{from},{to},{amount}").as_bytes())
}

/// What the clients did: transfers acknowledged, and transfers attempted (a superset).
#[derive(Default)]
struct Outcome {
    acknowledged: BTreeSet<Vec<u8>>,
    attempted: BTreeSet<Vec<u8>>,
}

/// Creates the bank, then (optionally crashing `crash_after` I/O operations later) runs the
/// clients. Returns what they saw and the I/O operations the clients' part took.
fn run_bank(vfs: &SimVfs, mode: WalMode, seed: u64, crash_after: Option<u64>) -> (Outcome, u64) {
    let db = Database::create(DIR, opts(vfs, mode)).expect("create");
    let mut batch = WriteBatch::new();
    for i in 0..ACCOUNTS {
        batch.put(account(i), INITIAL.to_string().into_bytes());
    }
    db.commit(batch).expect("initial balances");
    let base = vfs.stats().ops;
    if let Some(n) = crash_after {
        vfs.crash_at(base + n);
    }
    let mut outcome = Outcome::default();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let db = &db;
                s.spawn(move || {
                    let mut rng = SplitMix64::new(seed ^ (t + 1).wrapping_mul(0x9E37_79B9));
                    let mut out = Outcome::default();
                    for n in 0..TRANSFERS {
                        let from = rng.below(ACCOUNTS);
                        let to = (from + 1 + rng.below(ACCOUNTS - 1)) % ACCOUNTS;
                        let want = 1 + rng.below(200) as i64;
                        let log = format!("xfer/{t:02}/{n:04}").into_bytes();
                        out.attempted.insert(log.clone());
                        let body = |txn: &mut Transaction<'_>| transfer(txn, from, to, want, &log);
                        if db.run(IsolationLevel::Serializable, body).is_err() {
                            break;
                        }
                        out.acknowledged.insert(log);
                    }
                    out
                })
            })
            .collect();
        for h in handles {
            let out = h.join().expect("client thread");
            outcome.acknowledged.extend(out.acknowledged);
            outcome.attempted.extend(out.attempted);
        }
    });
    let ops = vfs.stats().ops - base;
    if crash_after.is_none() {
        let checkpoints = db.stats().expect("stats").checkpoints;
        assert!(
            checkpoints > 0,
            "seed {seed}: the workload never checkpointed"
        );
        db.close().expect("clean close");
    }
    (outcome, ops)
}

/// Verifies the recovered database against what the clients saw.
fn verify(db: &Database, outcome: &Outcome) -> std::result::Result<usize, String> {
    let all: BTreeMap<Vec<u8>, Vec<u8>> = db
        .range(Bound::Unbounded, Bound::Unbounded, false)
        .map_err(|e| format!("scan: {e}"))?
        .collect::<Result<_>>()
        .map_err(|e| format!("scan: {e}"))?;
    let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
    let mut expected: Vec<i64> = vec![INITIAL; ACCOUNTS as usize];
    let mut logged = BTreeSet::new();
    for (k, v) in all.range(b"xfer/".to_vec()..b"xfer0".to_vec()) {
        let parts: Vec<i64> = text(v)
            .split(',')
            .map(|p| {
                p.parse()
                    .map_err(|_| format!("bad log {}={}", text(k), text(v)))
            })
            .collect::<std::result::Result<_, _>>()?;
        let [from, to, amount] = parts[..] else {
            return Err(format!("bad log {}={}", text(k), text(v)));
        };
        expected[from as usize] -= amount;
        expected[to as usize] += amount;
        logged.insert(k.clone());
    }
    let balances: Vec<i64> = (0..ACCOUNTS)
        .map(|i| {
            let v = all.get(&account(i)).ok_or(format!("account {i} missing"))?;
            text(v)
                .parse()
                .map_err(|_| format!("account {i}: bad balance {}", text(v)))
        })
        .collect::<std::result::Result<_, _>>()?;
    let total: i64 = balances.iter().sum();
    if total != INITIAL * ACCOUNTS as i64 {
        return Err(format!(
            "total is {total}, not {}: {balances:?}",
            INITIAL * ACCOUNTS as i64
        ));
    }
    if let Some(lost) = outcome.acknowledged.difference(&logged).next() {
        return Err(format!("acknowledged transfer {} lost", text(lost)));
    }
    if let Some(extra) = logged.difference(&outcome.attempted).next() {
        return Err(format!(
            "transfer {} present but never attempted",
            text(extra)
        ));
    }
    if balances != expected {
        return Err(format!(
            "balances {balances:?} are not the initial ones plus the logged transfers {expected:?}"
        ));
    }
    let report = db.check().map_err(|e| format!("integrity check: {e}"))?;
    if !report.is_clean() {
        return Err(format!("integrity check found: {:?}", report.findings));
    }
    Ok(logged.len())
}

fn crash_loop(mode: WalMode, seed: u64) {
    // Size the crash range with a run that does not crash (interleavings differ from run to
    // run, so this is a guide, not an exact count).
    let vfs = SimVfs::new();
    let (clean, ops) = run_bank(&vfs, mode, seed, None);
    assert_eq!(
        clean.acknowledged.len() as u64,
        THREADS * TRANSFERS,
        "seed {seed}"
    );
    let db = Database::open(DIR, opts(&vfs, mode)).expect("reopen after clean close");
    verify(&db, &clean).unwrap_or_else(|e| panic!("seed {seed}, no crash ({mode:?}): {e}"));
    drop(db);

    let mut rng = SplitMix64::new(seed);
    let stride = (ops / CRASH_POINTS).max(1);
    let (mut acknowledged, mut inflight_found) = (0, 0);
    for i in 0..CRASH_POINTS {
        let point = 1 + i * stride + rng.below(stride);
        let ctx = |what: String| format!("seed {seed} crash point {point} ({mode:?}): {what}");
        let vfs = SimVfs::new();
        let (outcome, _) = run_bank(&vfs, mode, seed ^ point, Some(point));
        let image = vfs.crash_image(seed ^ point.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let db = Database::open(DIR, opts(&image, mode))
            .unwrap_or_else(|e| panic!("{}", ctx(format!("reopen failed: {e}"))));
        let logged = verify(&db, &outcome).unwrap_or_else(|e| panic!("{}", ctx(e)));
        acknowledged += outcome.acknowledged.len();
        inflight_found += logged - outcome.acknowledged.len();
        // The recovered bank keeps working and keeps its invariant.
        let mut after = outcome;
        let log = b"xfer/99/0000".to_vec();
        after.attempted.insert(log.clone());
        db.run(IsolationLevel::Serializable, |txn| {
            transfer(txn, 0, 1, 7, &log)
        })
        .unwrap_or_else(|e| panic!("{}", ctx(format!("transfer after recovery: {e}"))));
        after.acknowledged.insert(log);
        verify(&db, &after).unwrap_or_else(|e| panic!("{}", ctx(format!("after recovery: {e}"))));
    }
    assert!(
        acknowledged > 0,
        "seed {seed}: the crash points never let a transfer commit"
    );
    println!(
        "seed {seed} {mode:?}: {CRASH_POINTS} crash points over ~{ops} I/O operations, \
         {acknowledged} acknowledged transfers verified, {inflight_found} in-flight found applied"
    );
}

#[test]
fn bank_total_and_acknowledged_transfers_survive_crashes_standard_mode() {
    crash_loop(WalMode::Standard, seed());
}

#[test]
fn bank_total_and_acknowledged_transfers_survive_crashes_unified_mode() {
    crash_loop(WalMode::Unified, seed() + 1);
}
