//! Deadlock detection latency through transactions: how long after the wait that closes a
//! cycle begins does the victim learn, through [`Error::Deadlock`], that it must roll back.
//!
//! One measurement, on a fresh database (simulated disk), in order:
//! 1. the older transaction T1 writes key `a`, the younger T2 writes key `b`;
//! 2. one of them, on its own thread, asks for the other's key and is observed waiting in the
//!    lock manager;
//! 3. the clock starts and the other asks for the first one's key, closing the cycle;
//! 4. the clock stops when the victim (always T2, the younger) holds its `Deadlock` error.
//!
//! Cycles alternate which transaction closes the cycle, and each kind is summarised apart: when
//! T1 closes it, T2 is woken on its waiting thread (the case a detector that only ran
//! periodically would make slow, and the headline figure); when T2 closes it, the detector
//! answers T2's own request.

use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::harness::fresh_database;
use crate::db::Database;
use crate::error::Error;
use crate::txn::IsolationLevel;

/// Why a latency measurement could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LatencyError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] Error),
    /// The transactions did not behave as a two-way deadlock must.
    #[error("deadlock cycle {cycle}: {detail}")]
    Unexpected {
        /// Which cycle (0-based).
        cycle: usize,
        /// What happened instead.
        detail: String,
    },
}

/// Latency figures of one kind of cycle, in milliseconds.
#[derive(Clone, Debug, Serialize)]
pub struct LatencySummary {
    /// Median.
    pub median_ms: f64,
    /// 99th percentile (nearest rank).
    pub p99_ms: f64,
    /// Longest.
    pub max_ms: f64,
    /// Every sample, in measurement order.
    pub samples_ms: Vec<f64>,
}

impl LatencySummary {
    fn of(samples_ms: Vec<f64>) -> LatencySummary {
        let mut sorted = samples_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let rank = |q: f64| lightning_metrics::percentile(&sorted, q).unwrap_or(0.0);
        LatencySummary {
            median_ms: rank(0.5),
            p99_ms: rank(0.99),
            max_ms: sorted.last().copied().unwrap_or(0.0),
            samples_ms,
        }
    }
}

/// Detection latencies over two-way cycles of both kinds.
#[derive(Clone, Debug, Serialize)]
pub struct DeadlockLatency {
    /// Cycles measured of each kind.
    pub cycles: usize,
    /// The victim waits on its own thread and the older transaction closes the cycle: the
    /// detector must wake the victim (the slower, headline case).
    pub woken: LatencySummary,
    /// The victim closes the cycle itself: its own request returns the error.
    pub closer: LatencySummary,
}

/// How long a thread may take to be observed waiting before the measurement gives up.
const WAIT_LIMIT: Duration = Duration::from_secs(10);

/// Measures `cycles` two-way deadlocks of each kind (at least one) among `Serializable`
/// transactions, alternating the kinds.
pub fn measure_deadlock_detection(cycles: usize) -> Result<DeadlockLatency, LatencyError> {
    let db = fresh_database()?;
    let cycles = cycles.max(1);
    let (mut woken, mut closer) = (Vec::with_capacity(cycles), Vec::with_capacity(cycles));
    for i in 0..cycles {
        woken.push(one_cycle(&db, 2 * i, true)?.as_secs_f64() * 1e3);
        closer.push(one_cycle(&db, 2 * i + 1, false)?.as_secs_f64() * 1e3);
    }
    Ok(DeadlockLatency {
        cycles,
        woken: LatencySummary::of(woken),
        closer: LatencySummary::of(closer),
    })
}

/// Blocks until `n` lock requests are waiting.
fn await_waiters(db: &Database, n: u64, cycle: usize) -> Result<(), LatencyError> {
    let deadline = Instant::now() + WAIT_LIMIT;
    while db.stats()?.locks.waiting_now < n {
        if Instant::now() >= deadline {
            return Err(LatencyError::Unexpected {
                cycle,
                detail: format!("the first request was not waiting after {WAIT_LIMIT:?}"),
            });
        }
        thread::yield_now();
    }
    Ok(())
}

/// One cycle; `older_closes` picks which transaction's request closes it.
fn one_cycle(db: &Database, cycle: usize, older_closes: bool) -> Result<Duration, LatencyError> {
    let unexpected = |detail: String| LatencyError::Unexpected { cycle, detail };
    let mut t1 = db.begin(IsolationLevel::Serializable)?;
    let mut t2 = db.begin(IsolationLevel::Serializable)?;
    t1.put(b"a", b"1")?;
    t2.put(b"b", b"2")?;
    thread::scope(|s| {
        if older_closes {
            let waiter = s.spawn(move || {
                let r = t2.put(b"a", b"2");
                (Instant::now(), r)
            });
            await_waiters(db, 1, cycle)?;
            let start = Instant::now();
            let closer = t1.put(b"b", b"1");
            let (told, victim) = waiter
                .join()
                .map_err(|_| unexpected("the waiting thread panicked".into()))?;
            match (victim, closer) {
                (Err(Error::Deadlock { .. }), Ok(())) => {
                    t1.rollback();
                    Ok(told.saturating_duration_since(start))
                }
                (v, c) => Err(unexpected(format!(
                    "expected the waiting T2 to be the victim and T1 to proceed; T2 got {v:?}, \
                     T1 got {c:?}"
                ))),
            }
        } else {
            let waiter = s.spawn(move || {
                let r = t1.put(b"b", b"1");
                (t1, r)
            });
            await_waiters(db, 1, cycle)?;
            let start = Instant::now();
            let closer = t2.put(b"a", b"2");
            let told = start.elapsed();
            let (t1, older) = waiter
                .join()
                .map_err(|_| unexpected("the waiting thread panicked".into()))?;
            t1.rollback();
            match (closer, older) {
                (Err(Error::Deadlock { .. }), Ok(())) => Ok(told),
                (c, o) => Err(unexpected(format!(
                    "expected T2, closing the cycle, to be the victim and T1 to proceed; T2 got \
                     {c:?}, T1 got {o:?}"
                ))),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_use_nearest_rank_percentiles() {
        let s = LatencySummary::of((1..=100).rev().map(f64::from).collect());
        assert_eq!(s.median_ms, 50.0);
        assert_eq!(s.p99_ms, 99.0);
        assert_eq!(s.max_ms, 100.0);
        assert_eq!(
            s.samples_ms.first(),
            Some(&100.0),
            "samples keep their order"
        );
        let one = LatencySummary::of(vec![3.0]);
        assert_eq!((one.median_ms, one.p99_ms, one.max_ms), (3.0, 3.0, 3.0));
    }

    #[test]
    fn every_cycle_has_the_younger_as_its_only_victim() {
        // `one_cycle` fails unless T2 gets the deadlock and T1 proceeds, in both kinds.
        let lat = measure_deadlock_detection(3).expect("measure");
        assert_eq!(lat.cycles, 3);
        assert_eq!(lat.woken.samples_ms.len(), 3);
        assert_eq!(lat.closer.samples_ms.len(), 3);
        assert!(lat.woken.samples_ms.iter().all(|&ms| ms >= 0.0));
    }
}
