//! Scenarios for the anomalies of dirty writes and dirty reads: G0 (write cycles), G1a
//! (aborted read), G1b (intermediate read), G1c (circular information flow) and OTV (observed
//! transaction vanishes).
//!
//! Each function runs one interleaving on a fresh table `{1: 10, 2: 20}` and reports whether
//! the anomaly was observed; the caller classifies how it was prevented from the errors and
//! waits the harness recorded. Steps are numbered as they are issued; a step that blocks
//! finishes when the transaction it waits for ends.

use super::harness::{
    Assign::Set,
    Cmd::{Commit, Rollback, Select, Update},
    Harness,
    Pred::All,
    Pred::Id,
    Row, Sid, Ticket, fmt_rows,
};
use super::{Finding, serial_check};
use crate::error::Result;
use crate::txn::IsolationLevel;

/// What a select returned, for notes (`(failed)` if it failed or never finished).
pub(crate) fn shown(h: &Harness<'_, '_>, t: Ticket) -> String {
    h.rows(t).map_or_else(|| "(failed)".to_string(), fmt_rows)
}

/// Which of `commits` succeeded, as `T1, T2` (or `none`).
pub(crate) fn committed(h: &Harness<'_, '_>, commits: &[(Sid, Ticket)]) -> String {
    let names: Vec<String> = commits
        .iter()
        .filter(|(_, t)| h.succeeded(*t))
        .map(|(s, _)| s.name())
        .collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// The finding from the final table alone: an anomaly if no serial order of the committed
/// transactions leaves it.
pub(crate) fn final_table(
    h: &Harness<'_, '_>,
    allowed: &[&[Row]],
    note: String,
) -> Result<Finding> {
    let table = h.table()?;
    Ok(match serial_check(&table, allowed) {
        Some(evidence) => Finding::Occurred(evidence),
        None => Finding::NotObserved(format!("{note}; final table {}", fmt_rows(&table))),
    })
}

/// G0: T1 and T2 each write rows 1 and 2, T2's first write after T1's. The final table must
/// be all of one transaction's writes, never a mix.
pub fn g0(h: &mut Harness<'_, '_>, level: IsolationLevel) -> Result<Finding> {
    let t1 = h.begin(level)?;
    let t2 = h.begin(level)?;
    h.exec(t1, Update(Id(1), Set(11)))?;
    h.exec(t2, Update(Id(1), Set(12)))?;
    h.exec(t1, Update(Id(2), Set(21)))?;
    let c1 = h.exec(t1, Commit)?;
    h.exec(t2, Update(Id(2), Set(22)))?;
    let c2 = h.exec(t2, Commit)?;
    let allowed: &[&[Row]] = match (h.succeeded(c1), h.succeeded(c2)) {
        (true, true) => &[&[(1, 12), (2, 22)], &[(1, 11), (2, 21)]],
        (true, false) => &[&[(1, 11), (2, 21)]],
        (false, true) => &[&[(1, 12), (2, 22)]],
        (false, false) => &[&[(1, 10), (2, 20)]],
    };
    let note = format!("committed: {}", committed(h, &[(t1, c1), (t2, c2)]));
    final_table(h, allowed, note)
}

/// G1a: T1 writes row 1 and rolls back; T2 scans the table before and after. T2 must never
/// see T1's value.
pub fn g1a(h: &mut Harness<'_, '_>, level: IsolationLevel) -> Result<Finding> {
    let t1 = h.begin(level)?;
    let t2 = h.begin(level)?;
    h.exec(t1, Update(Id(1), Set(101)))?;
    let r1 = h.exec(t2, Select(All))?;
    h.exec(t1, Rollback)?;
    let r2 = h.exec(t2, Select(All))?;
    h.exec(t2, Commit)?;
    Ok(two_reads_saw_101(
        h,
        r1,
        r2,
        "it saw 101, which T1 rolled back",
    ))
}

/// G1b: T1 writes 101 then 11 to row 1 and commits; T2 scans in between and after. T2 must
/// never see the intermediate 101.
pub fn g1b(h: &mut Harness<'_, '_>, level: IsolationLevel) -> Result<Finding> {
    let t1 = h.begin(level)?;
    let t2 = h.begin(level)?;
    h.exec(t1, Update(Id(1), Set(101)))?;
    let r1 = h.exec(t2, Select(All))?;
    h.exec(t1, Update(Id(1), Set(11)))?;
    h.exec(t1, Commit)?;
    let r2 = h.exec(t2, Select(All))?;
    h.exec(t2, Commit)?;
    Ok(two_reads_saw_101(h, r1, r2, "it saw T1's intermediate 101"))
}

/// The finding of G1a and G1b: whether either of T2's reads `r1`, `r2` holds row 1 = 101, a
/// value T2 must never see (`why` says why it must not).
fn two_reads_saw_101(h: &Harness<'_, '_>, r1: Ticket, r2: Ticket, why: &str) -> Finding {
    let saw = [r1, r2]
        .into_iter()
        .filter_map(|t| h.rows(t))
        .any(|rows| rows.contains(&(1, 101)));
    let reads = format!("T2 read {} then {}", shown(h, r1), shown(h, r2));
    if saw {
        Finding::Occurred(format!("{reads}: {why}"))
    } else {
        Finding::NotObserved(reads)
    }
}

/// G1c: T1 writes row 1, T2 writes row 2, then each reads the row the other wrote. They must
/// not both see the other's write (a cycle of write-read dependencies).
pub fn g1c(h: &mut Harness<'_, '_>, level: IsolationLevel) -> Result<Finding> {
    let t1 = h.begin(level)?;
    let t2 = h.begin(level)?;
    h.exec(t1, Update(Id(1), Set(11)))?;
    h.exec(t2, Update(Id(2), Set(22)))?;
    let r1 = h.exec(t1, Select(Id(2)))?;
    let r2 = h.exec(t2, Select(Id(1)))?;
    let c1 = h.exec(t1, Commit)?;
    let c2 = h.exec(t2, Commit)?;
    let t1_saw_t2 = h.rows(r1) == Some(&[(2, 22)][..]);
    let t2_saw_t1 = h.rows(r2) == Some(&[(1, 11)][..]);
    Ok(if t1_saw_t2 && t2_saw_t1 {
        Finding::Occurred(format!(
            "T1 read {} (T2's write) and T2 read {} (T1's write)",
            shown(h, r1),
            shown(h, r2)
        ))
    } else {
        Finding::NotObserved(format!(
            "T1 read {}, T2 read {}; committed: {}",
            shown(h, r1),
            shown(h, r2),
            committed(h, &[(t1, c1), (t2, c2)])
        ))
    })
}

/// OTV: T1 writes rows 1 and 2 and commits; T2 overwrites both (its first write issued before
/// T1's commit); T3 scans three times while T2 runs. T3 must see T1's rows or T2's, never T1's
/// rows partly replaced, and the same rows each time.
pub fn otv(h: &mut Harness<'_, '_>, level: IsolationLevel) -> Result<Finding> {
    let t1 = h.begin(level)?;
    let t2 = h.begin(level)?;
    h.exec(t1, Update(Id(1), Set(11)))?;
    h.exec(t1, Update(Id(2), Set(19)))?;
    h.exec(t2, Update(Id(1), Set(12)))?;
    let c1 = h.exec(t1, Commit)?;
    let t3 = h.begin(level)?;
    let a = h.exec(t3, Select(All))?;
    h.exec(t2, Update(Id(2), Set(18)))?;
    let b = h.exec(t3, Select(All))?;
    let c2 = h.exec(t2, Commit)?;
    let c = h.exec(t3, Select(All))?;
    h.exec(t3, Commit)?;
    let states: [&[Row]; 2] = [&[(1, 11), (2, 19)], &[(1, 12), (2, 18)]];
    let reads: Vec<Option<&[Row]>> = [a, b, c].into_iter().map(|t| h.rows(t)).collect();
    let mixed = reads.iter().flatten().any(|r| !states.contains(r));
    let changed = reads.windows(2).any(|w| w[0] != w[1]);
    let seen = format!("T3 read {}, {}, {}", shown(h, a), shown(h, b), shown(h, c));
    if mixed || changed {
        return Ok(Finding::Occurred(format!(
            "{seen}: T1's rows vanished under T3"
        )));
    }
    let allowed: &[&[Row]] = match (h.succeeded(c1), h.succeeded(c2)) {
        (true, true) => &[&[(1, 12), (2, 18)], &[(1, 11), (2, 19)]],
        (true, false) => &[&[(1, 11), (2, 19)]],
        (false, true) => &[&[(1, 12), (2, 18)]],
        (false, false) => &[&[(1, 10), (2, 20)]],
    };
    let note = format!("{seen}; committed: {}", committed(h, &[(t1, c1), (t2, c2)]));
    final_table(h, allowed, note)
}
