//! Lock statistics: how often transactions waited, for how long, how waits ended, and which
//! targets were waited on most.
//!
//! Counters are updated under the lock manager's mutex when a wait *ends* (granted, timed out,
//! chosen as deadlock victim, or cancelled by `release_all`), so at every snapshot
//! `waits == granted_after_wait + timeouts + deadlocks + cancelled + waiting_now`.
//!
//! The most contended targets are tracked with the space-saving heavy-hitters scheme in a table
//! of bounded size: when the table is full, a new target replaces the least-waited one and
//! inherits its count (so a target's count may be overestimated by at most the count it
//! inherited, reported as `overestimate`, and every target waited on more than
//! `waits / capacity` times is guaranteed to be present).

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;

use super::target::LockTarget;

/// A snapshot of the lock manager's counters (serialised for `ldb stats --json`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LockStats {
    /// Lock requests granted, immediately or after a wait (re-entrant no-ops included).
    pub acquisitions: u64,
    /// Requests that had to wait.
    pub waits: u64,
    /// Waits that ended with the lock granted.
    pub granted_after_wait: u64,
    /// Waits that ended with [`super::LockError::Timeout`].
    pub timeouts: u64,
    /// Deadlocks detected; each chose exactly one victim, whose wait ended with
    /// [`super::LockError::Deadlock`].
    pub deadlocks: u64,
    /// Waits cancelled because the waiting transaction's locks were released.
    pub cancelled: u64,
    /// Requests waiting at the time of the snapshot.
    pub waiting_now: u64,
    /// Granted lock entries at the time of the snapshot.
    pub locks_held: u64,
    /// Time spent in finished waits, in microseconds.
    pub total_wait_us: u64,
    /// The longest finished wait, in microseconds.
    pub max_wait_us: u64,
    /// The most waited-on targets, most waits first.
    pub most_contended: Vec<ContendedTarget>,
}

/// One entry of [`LockStats::most_contended`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContendedTarget {
    /// The key or range, displayed with non-printable bytes escaped (`key "a\x00"`).
    pub target: String,
    /// Waits on this target (an upper bound; see `overestimate`).
    pub waits: u64,
    /// How much of `waits` may belong to targets this one replaced in the bounded table.
    pub overestimate: u64,
    /// Time spent in finished waits on this target, in microseconds.
    pub total_wait_us: u64,
}

/// How a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WaitEnd {
    Granted,
    Timeout,
    Deadlock,
    Cancelled,
}

#[derive(Debug, Default)]
struct TargetCounter {
    waits: u64,
    overestimate: u64,
    total_wait: Duration,
}

/// The mutable counters behind [`LockStats`].
#[derive(Debug)]
pub(super) struct StatsCollector {
    acquisitions: u64,
    waits: u64,
    granted_after_wait: u64,
    timeouts: u64,
    deadlocks: u64,
    cancelled: u64,
    total_wait: Duration,
    max_wait: Duration,
    targets: HashMap<LockTarget, TargetCounter>,
    capacity: usize,
}

impl StatsCollector {
    /// Counters tracking at most `capacity` distinct contended targets.
    pub(super) fn new(capacity: usize) -> Self {
        StatsCollector {
            acquisitions: 0,
            waits: 0,
            granted_after_wait: 0,
            timeouts: 0,
            deadlocks: 0,
            cancelled: 0,
            total_wait: Duration::ZERO,
            max_wait: Duration::ZERO,
            targets: HashMap::new(),
            capacity,
        }
    }

    /// A request was granted without waiting.
    pub(super) fn granted_immediately(&mut self) {
        self.acquisitions += 1;
    }

    /// A request on `target` starts to wait.
    pub(super) fn wait_started(&mut self, target: &LockTarget) {
        self.waits += 1;
        if self.capacity == 0 {
            return;
        }
        if let Some(counter) = self.targets.get_mut(target) {
            counter.waits += 1;
            return;
        }
        let mut counter = TargetCounter {
            waits: 1,
            ..TargetCounter::default()
        };
        if self.targets.len() >= self.capacity {
            let evict = self
                .targets
                .iter()
                .min_by_key(|(_, c)| c.waits)
                .map(|(t, c)| (t.clone(), c.waits));
            if let Some((victim, waits)) = evict {
                self.targets.remove(&victim);
                counter.waits += waits;
                counter.overestimate = waits;
            }
        }
        self.targets.insert(target.clone(), counter);
    }

    /// A wait on `target` that lasted `waited` ended as `end`.
    pub(super) fn wait_ended(&mut self, target: &LockTarget, waited: Duration, end: WaitEnd) {
        match end {
            WaitEnd::Granted => {
                self.granted_after_wait += 1;
                self.acquisitions += 1;
            }
            WaitEnd::Timeout => self.timeouts += 1,
            WaitEnd::Deadlock => self.deadlocks += 1,
            WaitEnd::Cancelled => self.cancelled += 1,
        }
        self.total_wait += waited;
        self.max_wait = self.max_wait.max(waited);
        if let Some(counter) = self.targets.get_mut(target) {
            counter.total_wait += waited;
        }
    }

    /// A snapshot with the `top` most contended targets.
    pub(super) fn snapshot(&self, top: usize, waiting_now: usize, locks_held: usize) -> LockStats {
        // Most waits first; ties by longer total wait, then by target for a stable order.
        let mut contended: Vec<(String, &TargetCounter)> = self
            .targets
            .iter()
            .map(|(target, c)| (target.to_string(), c))
            .collect();
        contended.sort_by(|a, b| {
            (b.1.waits, b.1.total_wait)
                .cmp(&(a.1.waits, a.1.total_wait))
                .then_with(|| a.0.cmp(&b.0))
        });
        LockStats {
            acquisitions: self.acquisitions,
            waits: self.waits,
            granted_after_wait: self.granted_after_wait,
            timeouts: self.timeouts,
            deadlocks: self.deadlocks,
            cancelled: self.cancelled,
            waiting_now: waiting_now as u64,
            locks_held: locks_held as u64,
            total_wait_us: micros(self.total_wait),
            max_wait_us: micros(self.max_wait),
            most_contended: contended
                .into_iter()
                .take(top)
                .map(|(target, c)| ContendedTarget {
                    target,
                    waits: c.waits,
                    overestimate: c.overestimate,
                    total_wait_us: micros(c.total_wait),
                })
                .collect(),
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_table_keeps_heavy_hitters_and_reports_overestimate() {
        let mut stats = StatsCollector::new(2);
        let hot = LockTarget::key("hot");
        for _ in 0..10 {
            stats.wait_started(&hot);
        }
        stats.wait_started(&LockTarget::key("a"));
        stats.wait_started(&LockTarget::key("b")); // replaces "a" (1 wait), inheriting its count
        let snap = stats.snapshot(5, 0, 0);
        assert_eq!(snap.waits, 12);
        assert_eq!(snap.most_contended.len(), 2);
        assert_eq!(snap.most_contended[0].target, "key \"hot\"");
        assert_eq!(snap.most_contended[0].waits, 10);
        assert_eq!(snap.most_contended[1].target, "key \"b\"");
        assert_eq!(
            (
                snap.most_contended[1].waits,
                snap.most_contended[1].overestimate
            ),
            (2, 1)
        );
    }

    #[test]
    fn wait_outcomes_add_up_and_track_max() {
        let mut stats = StatsCollector::new(8);
        let k = LockTarget::key("k");
        for end in [
            WaitEnd::Granted,
            WaitEnd::Timeout,
            WaitEnd::Deadlock,
            WaitEnd::Cancelled,
        ] {
            stats.wait_started(&k);
            stats.wait_ended(&k, Duration::from_millis(3), end);
        }
        stats.wait_started(&k);
        stats.wait_ended(&k, Duration::from_millis(7), WaitEnd::Granted);
        let s = stats.snapshot(1, 0, 0);
        assert_eq!(
            (
                s.waits,
                s.granted_after_wait,
                s.timeouts,
                s.deadlocks,
                s.cancelled
            ),
            (5, 2, 1, 1, 1)
        );
        assert_eq!(s.acquisitions, 2);
        assert_eq!((s.total_wait_us, s.max_wait_us), (19_000, 7_000));
        assert_eq!(s.most_contended[0].total_wait_us, 19_000);
        let json = serde_json::to_value(&s).expect("serialise");
        assert_eq!(json["deadlocks"], 1);
        assert_eq!(json["most_contended"][0]["target"], "key \"k\"");
    }
}
