//! Scenarios for the anomalies of stale reads and skew: PMP (predicate-many-preceders, with a
//! read predicate and with a write predicate), P4 (lost update), G-single (read skew, on items
//! and on predicates), G2-item (write skew) and G2 (anti-dependency cycles over predicates).
//!
//! Each function runs one interleaving on a fresh table `{1: 10, 2: 20}` and reports whether
//! the anomaly was observed; see [`super::dirty`] for the conventions.

use super::Finding;
use super::dirty::{committed, final_table, shown};
use super::harness::{
    Assign::{Add, Set},
    Cmd::{Commit, Delete, Insert, Select, Update},
    Harness,
    Pred::{All, Id, ValueDivisibleBy, ValueEq},
    Row,
};
use crate::error::Result;
use crate::txn::IsolationLevel;

/// PMP: T1 reads the predicate `value = 30` (nothing), T2 inserts `(3, 30)` and commits, T1
/// reads `value % 3 = 0`. T1's second predicate read must not see the insert its first missed.
pub fn pmp(h: &mut Harness<'_, '_>, level: IsolationLevel) -> Result<Finding> {
    let t1 = h.begin(level)?;
    let t2 = h.begin(level)?;
    let r1 = h.exec(t1, Select(ValueEq(30)))?;
    h.exec(t2, Insert(3, 30))?;
    let c2 = h.exec(t2, Commit)?;
    let r2 = h.exec(t1, Select(ValueDivisibleBy(3)))?;
    let c1 = h.exec(t1, Commit)?;
    let first_missed = h.rows(r1).is_some_and(<[Row]>::is_empty);
    let then_saw = h.rows(r2).is_some_and(|r| r.contains(&(3, 30)));
    if first_missed && then_saw {
        return Ok(Finding::Occurred(format!(
            "T1's predicate reads disagree: {} then {}",
            shown(h, r1),
            shown(h, r2)
        )));
    }
    let allowed: &[&[Row]] = if h.succeeded(c2) {
        &[&[(1, 10), (2, 20), (3, 30)]]
    } else {
        &[&[(1, 10), (2, 20)]]
    };
    let note = format!(
        "T1 read {} then {}; committed: {}",
        shown(h, r1),
        shown(h, r2),
        committed(h, &[(t1, c1), (t2, c2)])
    );
    final_table(h, allowed, note)
}

/// PMP with a write predicate: T1 adds 10 to every row; T2 deletes the rows with
/// `value = 20` before T1 commits. The result must be that of T1 then T2 (row 1, now 20, is
/// deleted) or T2 then T1 (row 2 is deleted) — never neither row deleted with both committed.
pub fn pmp_write(h: &mut Harness<'_, '_>, level: IsolationLevel) -> Result<Finding> {
    let t1 = h.begin(level)?;
    let t2 = h.begin(level)?;
    h.exec(t1, Update(All, Add(10)))?;
    h.exec(t2, Delete(ValueEq(20)))?;
    let c1 = h.exec(t1, Commit)?;
    let r = h.exec(t2, Select(ValueEq(20)))?;
    let c2 = h.exec(t2, Commit)?;
    let allowed: &[&[Row]] = match (h.succeeded(c1), h.succeeded(c2)) {
        (true, true) => &[&[(2, 30)], &[(1, 20)]],
        (true, false) => &[&[(1, 20), (2, 30)]],
        (false, true) => &[&[(1, 10)]],
        (false, false) => &[&[(1, 10), (2, 20)]],
    };
    let note = format!(
        "T2 then read {}; committed: {}",
        shown(h, r),
        committed(h, &[(t1, c1), (t2, c2)])
    );
    final_table(h, allowed, note)
}

/// P4: T1 and T2 both read row 1, then both increment it. If both commit, the row must have
/// grown by two.
pub fn p4(h: &mut Harness<'_, '_>, level: IsolationLevel) -> Result<Finding> {
    let t1 = h.begin(level)?;
    let t2 = h.begin(level)?;
    h.exec(t1, Select(Id(1)))?;
    h.exec(t2, Select(Id(1)))?;
    h.exec(t1, Update(Id(1), Add(1)))?;
    h.exec(t2, Update(Id(1), Add(1)))?;
    let c1 = h.exec(t1, Commit)?;
    let c2 = h.exec(t2, Commit)?;
    let allowed: &[&[Row]] = match (h.succeeded(c1), h.succeeded(c2)) {
        (true, true) => &[&[(1, 12), (2, 20)]],
        (true, false) | (false, true) => &[&[(1, 11), (2, 20)]],
        (false, false) => &[&[(1, 10), (2, 20)]],
    };
    let note = format!("committed: {}", committed(h, &[(t1, c1), (t2, c2)]));
    final_table(h, allowed, note)
}

/// G-single: T1 reads row 1; T2 moves 2 from row 2 to row 1 (row 1 to 12, row 2 to 18, the
/// sum staying 30) and commits; T1 reads row 2. T1's two reads must add up to 30.
pub fn g_single(h: &mut Harness<'_, '_>, level: IsolationLevel) -> Result<Finding> {
    let t1 = h.begin(level)?;
    let t2 = h.begin(level)?;
    let a = h.exec(t1, Select(Id(1)))?;
    h.exec(t2, Select(Id(1)))?;
    h.exec(t2, Select(Id(2)))?;
    h.exec(t2, Update(Id(1), Set(12)))?;
    h.exec(t2, Update(Id(2), Set(18)))?;
    let c2 = h.exec(t2, Commit)?;
    let b = h.exec(t1, Select(Id(2)))?;
    let c1 = h.exec(t1, Commit)?;
    let sum: Option<i64> = match (h.rows(a), h.rows(b)) {
        (Some(&[(_, x)]), Some(&[(_, y)])) => Some(x + y),
        _ => None,
    };
    if sum.is_some_and(|s| s != 30) {
        return Ok(Finding::Occurred(format!(
            "T1 read {} and {}: the sum is not 30",
            shown(h, a),
            shown(h, b)
        )));
    }
    let allowed: &[&[Row]] = if h.succeeded(c2) {
        &[&[(1, 12), (2, 18)]]
    } else {
        &[&[(1, 10), (2, 20)]]
    };
    let note = format!(
        "T1 read {} and {}; committed: {}",
        shown(h, a),
        shown(h, b),
        committed(h, &[(t1, c1), (t2, c2)])
    );
    final_table(h, allowed, note)
}

/// G-single over predicates: T1 reads `value % 5 = 0` (both rows); T2 sets the row with
/// `value = 10` to 12 and commits; T1 reads `value % 3 = 0`. T1 must not see the 12 its first
/// read had as 10.
pub fn g_single_predicate(h: &mut Harness<'_, '_>, level: IsolationLevel) -> Result<Finding> {
    let t1 = h.begin(level)?;
    let t2 = h.begin(level)?;
    let a = h.exec(t1, Select(ValueDivisibleBy(5)))?;
    h.exec(t2, Update(ValueEq(10), Set(12)))?;
    let c2 = h.exec(t2, Commit)?;
    let b = h.exec(t1, Select(ValueDivisibleBy(3)))?;
    let c1 = h.exec(t1, Commit)?;
    let saw_old = h.rows(a).is_some_and(|r| r.contains(&(1, 10)));
    let saw_new = h.rows(b).is_some_and(|r| r.contains(&(1, 12)));
    if saw_old && saw_new {
        return Ok(Finding::Occurred(format!(
            "T1 read {} then {}: row 1 before and after T2",
            shown(h, a),
            shown(h, b)
        )));
    }
    let allowed: &[&[Row]] = if h.succeeded(c2) {
        &[&[(1, 12), (2, 20)]]
    } else {
        &[&[(1, 10), (2, 20)]]
    };
    let note = format!(
        "T1 read {} then {}; committed: {}",
        shown(h, a),
        shown(h, b),
        committed(h, &[(t1, c1), (t2, c2)])
    );
    final_table(h, allowed, note)
}

/// G2-item: T1 and T2 both read rows 1 and 2; T2 writes row 1, T1 writes row 2; both try to
/// commit. Both committing is write skew: each read a row the other overwrote.
pub fn g2_item(h: &mut Harness<'_, '_>, level: IsolationLevel) -> Result<Finding> {
    let t1 = h.begin(level)?;
    let t2 = h.begin(level)?;
    h.exec(t1, Select(Id(1)))?;
    h.exec(t1, Select(Id(2)))?;
    h.exec(t2, Select(Id(1)))?;
    h.exec(t2, Select(Id(2)))?;
    h.exec(t2, Update(Id(1), Set(11)))?;
    h.exec(t1, Update(Id(2), Set(21)))?;
    let c1 = h.exec(t1, Commit)?;
    let c2 = h.exec(t2, Commit)?;
    both_committed(h, [(t1, c1), (t2, c2)], "each read {1: 10, 2: 20}")
}

/// G2: T1 and T2 both read the predicate `value % 3 = 0` (nothing), then T1 inserts `(3, 30)`
/// and T2 inserts `(4, 42)`, both matching it. Both committing is an anti-dependency cycle:
/// each predicate read missed the other's insert.
pub fn g2(h: &mut Harness<'_, '_>, level: IsolationLevel) -> Result<Finding> {
    let t1 = h.begin(level)?;
    let t2 = h.begin(level)?;
    h.exec(t1, Select(ValueDivisibleBy(3)))?;
    h.exec(t2, Select(ValueDivisibleBy(3)))?;
    h.exec(t1, Insert(3, 30))?;
    h.exec(t2, Insert(4, 42))?;
    let c1 = h.exec(t1, Commit)?;
    let c2 = h.exec(t2, Commit)?;
    both_committed(
        h,
        [(t1, c1), (t2, c2)],
        "each read no row with value % 3 = 0",
    )
}

/// G2 with two anti-dependency edges: T1 scans the table; T2 sets row 2 to 21 and commits; T3
/// scans (it sees T2's write) and commits; T1 sets row 1 to 0 and commits. All three committing
/// is a cycle — T1 read row 2 before T2 wrote it, T3 read T2's write, T3 read row 1 before T1
/// wrote it — though every pair alone is serializable (T3 is the only reader that sees it).
pub fn g2_two_edges(h: &mut Harness<'_, '_>, level: IsolationLevel) -> Result<Finding> {
    let t1 = h.begin(level)?;
    let t2 = h.begin(level)?;
    let a = h.exec(t1, Select(All))?;
    h.exec(t2, Update(Id(2), Set(21)))?;
    let c2 = h.exec(t2, Commit)?;
    let t3 = h.begin(level)?;
    let b = h.exec(t3, Select(All))?;
    let c3 = h.exec(t3, Commit)?;
    h.exec(t1, Update(Id(1), Set(0)))?;
    let c1 = h.exec(t1, Commit)?;
    let all = [(t1, c1), (t2, c2), (t3, c3)];
    let t1_before_t2 = h.rows(a) == Some(&[(1, 10), (2, 20)][..]);
    let t3_between = h.rows(b) == Some(&[(1, 10), (2, 21)][..]);
    let note = format!(
        "T1 read {}, T3 read {}; committed: {}",
        shown(h, a),
        shown(h, b),
        committed(h, &all)
    );
    if t1_before_t2 && t3_between && all.iter().all(|(_, c)| h.succeeded(*c)) {
        return Ok(Finding::Occurred(format!(
            "{note}: T3 saw T2's write but not T1's, yet T1 read before T2 wrote"
        )));
    }
    Ok(Finding::NotObserved(note))
}

/// The write-skew finding: the anomaly occurred if both transactions committed.
fn both_committed(
    h: &Harness<'_, '_>,
    commits: [(super::harness::Sid, super::harness::Ticket); 2],
    what_they_read: &str,
) -> Result<Finding> {
    let table = h.table()?;
    let who = committed(h, &commits);
    Ok(if commits.iter().all(|(_, c)| h.succeeded(*c)) {
        Finding::Occurred(format!(
            "{what_they_read} and both committed, leaving {}",
            super::harness::fmt_rows(&table)
        ))
    } else {
        Finding::NotObserved(format!(
            "committed: {who}; final table {}",
            super::harness::fmt_rows(&table)
        ))
    })
}
