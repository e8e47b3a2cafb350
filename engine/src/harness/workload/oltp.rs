//! The OLTP workload driver: YCSB-like read/update mixes, and a hot-key contention variant, run
//! by client threads against a database preloaded with [`super::load`].
//!
//! A run, in order:
//! 1. validate the [`OltpConfig`] and build the key chooser (zipfian or uniform over the
//!    preloaded keys `0..keys`, optionally with a hot spot for updates);
//! 2. read the lock and transaction counters ([`Database::stats`]);
//! 3. start `threads` client threads; each draws operations from its own seeded PRNG and runs
//!    each one as a transaction, timing it from the call to the return of its commit (retries
//!    included — that is what a client waits for), into its own [`Histogram`];
//! 4. stop on the deadline or the operation budget, join, merge the histograms;
//! 5. read the counters again: the report carries the differences (lock waits and wait time,
//!    deadlocks, write conflicts) beside throughput and latency.
//!
//! **Operations.** An *update* is one [`Database::run`] transaction at the configured isolation
//! level: a blind `put` of a fresh 150-byte value ([`UpdateKind::Blind`], YCSB's update), or a
//! `get` then a `put` of the value with its first 8 bytes incremented as a little-endian counter
//! ([`UpdateKind::ReadModifyWrite`], the contention variant). A *read* is, by [`ReadMode`]:
//! a read-only snapshot transaction holding one `get` (the default: it is a transaction, it is
//! serializable, and it never blocks or is blocked — the cheapest way to give reads full
//! transactional semantics), a `get` inside a [`Database::run`] transaction at the configured
//! level (under `Serializable` it takes a shared lock), or a plain [`Database::get`].
//!
//! Retryable failures (deadlock, write conflict) are retried by [`Database::run`]; each extra
//! attempt is counted in [`OltpReport::retries`]. An operation that still fails after the last
//! attempt, or with a lock timeout, is counted in [`OltpReport::failed`] and the run goes on;
//! any other error stops the run and is returned.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::histogram::Histogram;
use super::zipf::{YCSB_THETA, Zipfian};
use super::{VALUE_LEN, key, value};
use crate::db::Database;
use crate::error::{Error, Result};
use crate::txn::IsolationLevel;
use crate::util::rng::SplitMix64;

/// How keys are chosen among the preloaded `0..keys`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KeyDist {
    /// Every key equally likely.
    Uniform,
    /// Zipf-distributed ranks with this skew (YCSB: 0.99); see [`Zipfian`].
    Zipfian(f64),
}

impl KeyDist {
    /// YCSB's default: zipfian with θ = 0.99.
    pub fn ycsb() -> KeyDist {
        KeyDist::Zipfian(YCSB_THETA)
    }
}

/// How a read operation runs; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadMode {
    /// A read-only snapshot transaction ([`Database::begin_read_only`]) holding one `get`.
    ReadOnlyTxn,
    /// A `get` in a [`Database::run`] transaction at the configured isolation level.
    Transaction,
    /// A plain [`Database::get`] (no transaction).
    Plain,
}

/// What an update writes; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateKind {
    /// A blind put of a fresh value (YCSB's update).
    Blind,
    /// Get, increment the counter in the value's first 8 bytes, put.
    ReadModifyWrite,
    /// As [`UpdateKind::ReadModifyWrite`] with a locking read
    /// ([`crate::Transaction::get_for_update`]): the exclusive lock is taken before the read,
    /// so concurrent updates of one key wait instead of deadlocking on a lock upgrade.
    LockingReadModifyWrite,
}

/// Where updates concentrate in the contention variant: `percent`% of updates go to the first
/// `keys` keys (ranks `0..keys`, uniformly); the rest follow the run's key distribution (which,
/// when zipfian, favours the same low ranks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HotSpot {
    /// How many hot keys.
    pub keys: u64,
    /// Percentage (0..=100) of updates aimed at them.
    pub percent: u32,
}

/// When a run stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// After this much wall time.
    After(Duration),
    /// After this many operations in total (split evenly over the threads).
    Ops(u64),
}

/// One run's parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct OltpConfig {
    /// Seed of the preloaded dataset (as given to [`super::load`]).
    pub data_seed: u64,
    /// Keys preloaded: `key(data_seed, 0..keys)`.
    pub keys: u64,
    /// Seed of the operation stream (thread `t` uses a generator derived from it and `t`).
    pub op_seed: u64,
    /// Percentage (0..=100) of operations that are reads; the rest are updates.
    pub read_percent: u32,
    /// Key choice.
    pub dist: KeyDist,
    /// Isolation level of update transactions (and of reads in [`ReadMode::Transaction`]).
    pub isolation: IsolationLevel,
    /// How reads run.
    pub reads: ReadMode,
    /// What updates write.
    pub update: UpdateKind,
    /// Optional hot spot for updates.
    pub hot: Option<HotSpot>,
    /// Client threads.
    pub threads: usize,
    /// When to stop.
    pub stop: Stop,
}

impl OltpConfig {
    /// YCSB workload A (50% reads, 50% blind updates, zipfian 0.99) at snapshot isolation,
    /// reads as read-only transactions.
    pub fn ycsb_a(data_seed: u64, keys: u64, threads: usize, stop: Stop) -> OltpConfig {
        OltpConfig {
            data_seed,
            keys,
            op_seed: data_seed ^ 0x0A17_0A17,
            read_percent: 50,
            dist: KeyDist::ycsb(),
            isolation: IsolationLevel::RepeatableRead,
            reads: ReadMode::ReadOnlyTxn,
            update: UpdateKind::Blind,
            hot: None,
            threads,
            stop,
        }
    }

    /// YCSB workload B: as [`OltpConfig::ycsb_a`] with 95% reads.
    pub fn ycsb_b(data_seed: u64, keys: u64, threads: usize, stop: Stop) -> OltpConfig {
        OltpConfig {
            read_percent: 95,
            op_seed: data_seed ^ 0x0B17_0B17,
            ..OltpConfig::ycsb_a(data_seed, keys, threads, stop)
        }
    }

    /// The hot-key contention variant: 50% reads (read-only transactions) and 50%
    /// read-modify-write updates under `Serializable`, 90% of them on 8 hot keys.
    pub fn hot_key(data_seed: u64, keys: u64, threads: usize, stop: Stop) -> OltpConfig {
        OltpConfig {
            op_seed: data_seed ^ 0x0407_0407,
            isolation: IsolationLevel::Serializable,
            update: UpdateKind::ReadModifyWrite,
            hot: Some(HotSpot {
                keys: 8,
                percent: 90,
            }),
            ..OltpConfig::ycsb_a(data_seed, keys, threads, stop)
        }
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidArgument(m));
        if self.keys == 0 {
            return bad("an OLTP run needs at least one preloaded key".into());
        }
        if self.threads == 0 {
            return bad("an OLTP run needs at least one client thread".into());
        }
        if self.read_percent > 100 {
            return bad(format!("read percentage {} > 100", self.read_percent));
        }
        if let Some(h) = self.hot
            && (h.keys == 0 || h.keys > self.keys || h.percent > 100)
        {
            return bad(format!(
                "hot spot of {} keys at {}% needs 1..={} keys and at most 100%",
                h.keys, h.percent, self.keys
            ));
        }
        Ok(())
    }
}

/// Lock-manager counter differences over a run (see [`crate::txn::lock::LockStats`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockDelta {
    /// Lock requests granted.
    pub acquisitions: u64,
    /// Requests that had to wait.
    pub waits: u64,
    /// Time spent in finished waits, microseconds.
    pub total_wait_us: u64,
    /// The longest finished wait since the handle opened, microseconds (the lock manager keeps
    /// only a running maximum).
    pub max_wait_us_since_open: u64,
    /// Deadlocks detected (one victim each).
    pub deadlocks: u64,
    /// Lock waits that timed out.
    pub timeouts: u64,
}

/// What one run measured.
#[derive(Clone, Debug)]
pub struct OltpReport {
    /// Operations completed (committed, or read).
    pub ops: u64,
    /// Of which reads.
    pub reads: u64,
    /// Of which updates.
    pub updates: u64,
    /// Committed updates of hot-spot keys (ranks `0..hot.keys`; 0 without a hot spot).
    pub hot_updates: u64,
    /// Extra transaction attempts after retryable errors.
    pub retries: u64,
    /// Operations given up: retries exhausted, or a lock timeout. Not in `ops`.
    pub failed: u64,
    /// Wall time from the threads' start to the last one's end.
    pub elapsed: Duration,
    /// Latency of every completed operation, nanoseconds.
    pub latency: Histogram,
    /// Lock counters over the run.
    pub locks: LockDelta,
    /// `RepeatableRead` writes refused by first-updater-wins over the run.
    pub write_conflicts: u64,
}

impl OltpReport {
    /// Completed operations per second.
    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency at quantile `q` in milliseconds.
    pub fn latency_ms(&self, q: f64) -> f64 {
        self.latency.quantile(q) as f64 / 1e6
    }

    /// Mean lock wait per completed operation in milliseconds: total time spent waiting for
    /// locks over the run, divided by the operations completed.
    pub fn lock_wait_per_op_ms(&self) -> f64 {
        self.locks.total_wait_us as f64 / 1e3 / self.ops.max(1) as f64
    }
}

/// Per-thread tallies.
#[derive(Default)]
struct Tally {
    latency: Histogram,
    reads: u64,
    updates: u64,
    hot_updates: u64,
    retries: u64,
    failed: u64,
}

/// Chooses keys for one thread.
struct Chooser {
    keys: u64,
    zipf: Option<Zipfian>,
    hot: Option<HotSpot>,
}

impl Chooser {
    fn any(&self, rng: &mut SplitMix64) -> u64 {
        match &self.zipf {
            Some(z) => z.next(rng),
            None => rng.below(self.keys),
        }
    }

    /// A key for an update, and whether it is a hot one (the run's key distribution may also
    /// land on a hot key: zipfian's most popular ranks are the hot spot's keys).
    fn for_update(&self, rng: &mut SplitMix64) -> (u64, bool) {
        let i = match self.hot {
            Some(h) if rng.chance(u64::from(h.percent), 100) => rng.below(h.keys),
            _ => self.any(rng),
        };
        (i, self.hot.is_some_and(|h| i < h.keys))
    }
}

/// The counter an update of [`UpdateKind::ReadModifyWrite`] increments: the value's first 8
/// bytes, little-endian (0 for a value shorter than 8 bytes).
pub fn counter(value: &[u8]) -> u64 {
    value
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

/// The value a read-modify-write stores given the current one (absent: the key's preloaded
/// value): the same bytes with the counter incremented.
fn incremented(current: Option<Vec<u8>>, seed: u64, i: u64) -> Vec<u8> {
    let mut v = current.unwrap_or_else(|| value(seed, i).to_vec());
    if v.len() < 8 {
        v.resize(8, 0);
    }
    let next = counter(&v).wrapping_add(1).to_le_bytes();
    v[..8].copy_from_slice(&next);
    v
}

/// Runs one operation; `Ok(true)` when it completed, `Ok(false)` when it was given up.
fn one_op(
    db: &Database,
    cfg: &OltpConfig,
    chooser: &Chooser,
    rng: &mut SplitMix64,
    tally: &mut Tally,
) -> Result<bool> {
    let is_read = rng.chance(u64::from(cfg.read_percent), 100);
    let start = Instant::now();
    let outcome = if is_read {
        let k = key(cfg.data_seed, chooser.any(rng));
        match cfg.reads {
            ReadMode::ReadOnlyTxn => db.begin_read_only().and_then(|mut t| t.get(&k)),
            ReadMode::Plain => db.get(&k),
            ReadMode::Transaction => {
                let mut attempts = 0u64;
                let r = db.run(cfg.isolation, |t| {
                    attempts += 1;
                    t.get(&k)
                });
                tally.retries += attempts.saturating_sub(1);
                r.map(|(v, _)| v)
            }
        }
        .map(|_| ())
    } else {
        let (i, hot) = chooser.for_update(rng);
        let k = key(cfg.data_seed, i);
        let mut fresh = [0u8; VALUE_LEN];
        if cfg.update == UpdateKind::Blind {
            rng.fill(&mut fresh);
        }
        let mut attempts = 0u64;
        let r = db.run(cfg.isolation, |t| {
            attempts += 1;
            match cfg.update {
                UpdateKind::Blind => t.put(&k, &fresh),
                UpdateKind::ReadModifyWrite => {
                    let current = t.get(&k)?;
                    t.put(&k, &incremented(current, cfg.data_seed, i))
                }
                UpdateKind::LockingReadModifyWrite => {
                    let current = t.get_for_update(&k)?;
                    t.put(&k, &incremented(current, cfg.data_seed, i))
                }
            }
        });
        tally.retries += attempts.saturating_sub(1);
        if r.is_ok() && hot {
            tally.hot_updates += 1;
        }
        r.map(|_| ())
    };
    match outcome {
        Ok(()) => {
            tally.latency.record_duration(start.elapsed());
            if is_read {
                tally.reads += 1;
            } else {
                tally.updates += 1;
            }
            Ok(true)
        }
        Err(e) if e.is_retryable() || matches!(e, Error::LockTimeout { .. }) => {
            tally.failed += 1;
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Runs `cfg` against `db`, which must hold the preloaded keys; see the module docs.
pub fn run(db: &Database, cfg: &OltpConfig) -> Result<OltpReport> {
    cfg.validate()?;
    let zipf = match cfg.dist {
        KeyDist::Uniform => None,
        KeyDist::Zipfian(theta) => Some(Zipfian::new(cfg.keys, theta)?),
    };
    let chooser = Chooser {
        keys: cfg.keys,
        zipf,
        hot: cfg.hot,
    };
    let before = db.stats()?;
    let stop_flag = AtomicBool::new(false);
    let start = Instant::now();
    let results: Vec<Result<Tally>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..cfg.threads)
            .map(|t| {
                let (chooser, stop_flag) = (&chooser, &stop_flag);
                s.spawn(move || client(db, cfg, chooser, t, start, stop_flag))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::InvalidArgument(
                        "an OLTP client thread panicked".into(),
                    ))
                })
            })
            .collect()
    });
    let elapsed = start.elapsed();
    let after = db.stats()?;
    let mut total = Tally::default();
    for r in results {
        let t = r?;
        total.latency.merge(&t.latency);
        total.reads += t.reads;
        total.updates += t.updates;
        total.hot_updates += t.hot_updates;
        total.retries += t.retries;
        total.failed += t.failed;
    }
    let (b, a) = (&before.locks, &after.locks);
    Ok(OltpReport {
        ops: total.reads + total.updates,
        reads: total.reads,
        updates: total.updates,
        hot_updates: total.hot_updates,
        retries: total.retries,
        failed: total.failed,
        elapsed,
        latency: total.latency,
        locks: LockDelta {
            acquisitions: a.acquisitions.saturating_sub(b.acquisitions),
            waits: a.waits.saturating_sub(b.waits),
            total_wait_us: a.total_wait_us.saturating_sub(b.total_wait_us),
            max_wait_us_since_open: a.max_wait_us,
            deadlocks: a.deadlocks.saturating_sub(b.deadlocks),
            timeouts: a.timeouts.saturating_sub(b.timeouts),
        },
        write_conflicts: after
            .txn
            .write_conflicts
            .saturating_sub(before.txn.write_conflicts),
    })
}

/// One client thread: operations until the deadline (at least one) or its share of the budget;
/// an error stops every thread.
fn client(
    db: &Database,
    cfg: &OltpConfig,
    chooser: &Chooser,
    t: usize,
    start: Instant,
    stop_flag: &AtomicBool,
) -> Result<Tally> {
    let mut rng = SplitMix64::new(cfg.op_seed ^ (t as u64 + 1).wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let mut tally = Tally::default();
    let threads = cfg.threads as u64;
    let (deadline, budget) = match cfg.stop {
        Stop::After(d) => (Some(start + d), u64::MAX),
        Stop::Ops(n) => (None, n / threads + u64::from((t as u64) < n % threads)),
    };
    let mut attempted = 0u64;
    while attempted < budget && !stop_flag.load(Ordering::Relaxed) {
        // Every client completes at least one operation, so a short run on a busy machine
        // (a thread scheduled only after the deadline) still measures something.
        if attempted > 0 && deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        attempted += 1;
        if let Err(e) = one_op(db, cfg, chooser, &mut rng, &mut tally) {
            stop_flag.store(true, Ordering::Relaxed);
            return Err(e);
        }
    }
    Ok(tally)
}

#[cfg(test)]
#[path = "oltp_tests.rs"]
mod tests;
