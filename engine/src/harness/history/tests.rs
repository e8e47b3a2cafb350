//! The checker on hand-made histories: each anomaly it must find, and clean histories it must
//! pass.

use std::collections::BTreeMap;
use std::ops::Bound;

use super::{CycleKind, EdgeKind, HistOp, History, TxnRecord, check};
use crate::txn::IsolationLevel;
use crate::types::{Lsn, TxnId};

fn b(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn r(k: &str, v: Option<&str>) -> HistOp {
    HistOp::Read {
        key: b(k),
        value: v.map(b),
    }
}

fn w(k: &str, v: &str) -> HistOp {
    HistOp::Write {
        key: b(k),
        value: b(v),
    }
}

fn scan(from: &str, to: &str, seen: &[(&str, &str)]) -> HistOp {
    HistOp::Scan {
        from: Bound::Included(b(from)),
        to: Bound::Excluded(b(to)),
        seen: seen.iter().map(|(k, v)| (b(k), b(v))).collect(),
    }
}

fn t(id: u64, lsn: u64, ops: Vec<HistOp>) -> TxnRecord {
    TxnRecord {
        txn: TxnId(id),
        level: IsolationLevel::Serializable,
        commit_lsn: Lsn(lsn),
        reads_at: None,
        ops,
    }
}

fn history(initial: &[(&str, &str)], txns: Vec<TxnRecord>) -> History {
    History {
        initial: initial.iter().map(|(k, v)| (b(k), b(v))).collect(),
        txns,
        ..History::default()
    }
}

#[test]
fn a_serial_history_is_clean_under_both_criteria() {
    let mut h = history(
        &[("x", "x0"), ("y", "y0")],
        vec![
            t(3, 30, vec![r("y", Some("y2")), r("x", Some("x1"))]),
            t(1, 10, vec![r("x", Some("x0")), w("x", "x1")]),
            t(
                2,
                20,
                vec![r("x", Some("x1")), w("y", "y2"), r("y", Some("y2"))],
            ),
        ],
    );
    for txn in &mut h.txns {
        txn.reads_at = Some(txn.commit_lsn);
    }
    h.final_state = Some(BTreeMap::from([(b("x"), b("x1")), (b("y"), b("y2"))]));
    let report = check(&h);
    assert!(report.is_serializable(), "{}", report.explain(5));
    assert!(report.is_snapshot_isolated(), "{}", report.explain(5));
    assert_eq!(report.transactions, 3);
    assert_eq!(report.edges, (0, 3, 0), "{}", report.explain(5));
}

#[test]
fn write_skew_is_a_g2_item_cycle_of_two_rw_edges_that_snapshot_isolation_allows() {
    let h = history(
        &[("x", "x0"), ("y", "y0")],
        vec![
            t(
                1,
                10,
                vec![r("x", Some("x0")), r("y", Some("y0")), w("x", "x1")],
            ),
            t(
                2,
                20,
                vec![r("x", Some("x0")), r("y", Some("y0")), w("y", "y2")],
            ),
        ],
    );
    let report = check(&h);
    assert_eq!(report.cycles.len(), 1, "{}", report.explain(5));
    let cycle = &report.cycles[0];
    assert_eq!(cycle.kind, CycleKind::G2Item);
    assert_eq!(cycle.edges.len(), 2);
    assert!(cycle.edges.iter().all(|e| e.kind == EdgeKind::Rw));
    assert!(cycle.has_adjacent_rw());
    assert!(!report.is_serializable());
    assert!(report.is_snapshot_isolated(), "{}", report.explain(5));
    let text = report.explain(5);
    assert!(
        text.contains("G2-item: txn 1 (lsn 10) -rw[y]-> txn 2 (lsn 20) -rw[x]-> txn 1"),
        "{text}"
    );
}

#[test]
fn a_lost_update_is_a_cycle_both_criteria_forbid() {
    let h = history(
        &[("x", "x0")],
        vec![
            t(1, 10, vec![r("x", Some("x0")), w("x", "x1")]),
            t(2, 20, vec![r("x", Some("x0")), w("x", "x2")]),
        ],
    );
    let report = check(&h);
    assert_eq!(report.cycles.len(), 1, "{}", report.explain(5));
    assert_eq!(report.cycles[0].kind, CycleKind::GSingle);
    let kinds: Vec<EdgeKind> = report.cycles[0].edges.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EdgeKind::Ww, EdgeKind::Rw]);
    assert_eq!(report.si_cycles.len(), 1);
    assert!(!report.is_snapshot_isolated());
    assert!(report.anomalies.is_empty(), "{}", report.explain(5));
}

#[test]
fn reading_an_aborted_value_is_g1a() {
    let mut h = history(
        &[("x", "x0")],
        vec![t(2, 20, vec![r("x", Some("x-aborted"))])],
    );
    h.aborted_values.insert(b("x-aborted"));
    let report = check(&h);
    assert!(
        matches!(
            &report.anomalies[..],
            [super::Anomaly::AbortedRead {
                reader: TxnId(2),
                ..
            }]
        ),
        "{}",
        report.explain(5)
    );
    assert!(!report.is_serializable());
    assert!(!report.is_snapshot_isolated());
    // A value that was never written at all is reported as such.
    let h = history(
        &[("x", "x0")],
        vec![t(2, 20, vec![r("x", Some("x-bogus"))])],
    );
    let report = check(&h);
    assert!(
        matches!(&report.anomalies[..], [super::Anomaly::UnknownValue { .. }]),
        "{}",
        report.explain(5)
    );
}

#[test]
fn reading_an_intermediate_value_is_g1b() {
    let h = history(
        &[("x", "x0")],
        vec![
            t(1, 10, vec![w("x", "x1a"), w("x", "x1b")]),
            t(2, 20, vec![r("x", Some("x1a"))]),
        ],
    );
    let report = check(&h);
    assert!(
        matches!(
            &report.anomalies[..],
            [super::Anomaly::IntermediateRead {
                reader: TxnId(2),
                writer: TxnId(1),
                ..
            }]
        ),
        "{}",
        report.explain(5)
    );
}

#[test]
fn circular_information_flow_is_g1c_and_a_future_read() {
    let h = history(
        &[("x", "x0"), ("y", "y0")],
        vec![
            t(1, 10, vec![r("y", Some("y2")), w("x", "x1")]),
            t(2, 20, vec![r("x", Some("x1")), w("y", "y2")]),
        ],
    );
    let report = check(&h);
    assert!(
        report.anomalies.iter().any(|a| matches!(
            a,
            super::Anomaly::FutureRead {
                reader: TxnId(1),
                ..
            }
        )),
        "{}",
        report.explain(5)
    );
    // The future read still adds its edge, so the cycle it closes is reported as well.
    assert_eq!(report.cycles.len(), 1, "{}", report.explain(5));
    assert_eq!(report.cycles[0].kind, CycleKind::G1c);
    let kinds: Vec<EdgeKind> = report.cycles[0].edges.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EdgeKind::Wr, EdgeKind::Wr]);
    assert_eq!(report.si_cycles.len(), 1);
}

#[test]
fn phantom_write_skew_through_range_scans_is_a_g2_cycle() {
    let h = history(
        &[],
        vec![
            t(1, 10, vec![scan("a", "z", &[]), w("k1", "v1")]),
            t(2, 20, vec![scan("a", "z", &[]), w("k2", "v2")]),
        ],
    );
    let report = check(&h);
    assert_eq!(report.cycles.len(), 1, "{}", report.explain(5));
    assert_eq!(report.cycles[0].kind, CycleKind::G2);
    assert!(
        report.cycles[0]
            .edges
            .iter()
            .all(|e| e.kind == EdgeKind::RwPredicate)
    );
    assert!(report.is_snapshot_isolated());
    // The same scans run one after the other are clean: the second sees the first's insert.
    let h = history(
        &[],
        vec![
            t(1, 10, vec![scan("a", "z", &[]), w("k1", "v1")]),
            t(2, 20, vec![scan("a", "z", &[("k1", "v1")]), w("k2", "v2")]),
        ],
    );
    let report = check(&h);
    assert!(report.is_serializable(), "{}", report.explain(5));
}

#[test]
fn a_cycle_with_non_adjacent_anti_dependencies_is_forbidden_under_snapshot_isolation() {
    // 1 -wr[a]-> 3 -rw[b]-> 2 -wr[c]-> 4 -rw[d]-> 1: two rw edges, never consecutive.
    let h = history(
        &[("b", "b0"), ("d", "d0")],
        vec![
            t(1, 10, vec![w("a", "a1"), w("d", "d1")]),
            t(2, 20, vec![w("b", "b2"), w("c", "c2")]),
            t(3, 30, vec![r("a", Some("a1")), r("b", Some("b0"))]),
            t(4, 40, vec![r("c", Some("c2")), r("d", Some("d0"))]),
        ],
    );
    let report = check(&h);
    assert_eq!(report.si_cycles.len(), 1, "{}", report.explain(5));
    let c = &report.si_cycles[0];
    assert_eq!(c.kind, CycleKind::G2Item);
    assert_eq!(c.edges.len(), 4);
    assert!(!c.has_adjacent_rw(), "{c}");
}

#[test]
fn reads_off_the_read_point_and_a_wrong_final_state_are_flagged() {
    let mut h = history(
        &[("x", "x0")],
        vec![
            t(1, 10, vec![r("x", Some("x0")), w("x", "x1")]),
            t(2, 15, vec![r("x", Some("x0"))]),
        ],
    );
    h.txns[1].reads_at = Some(Lsn(15));
    h.final_state = Some(BTreeMap::from([(b("x"), b("x0"))]));
    let report = check(&h);
    let text = report.explain(5);
    assert!(
        report.anomalies.iter().any(|a| matches!(
            a,
            super::Anomaly::WrongVersion {
                reader: TxnId(2),
                got: Lsn(0),
                expected: Lsn(10),
                ..
            }
        )),
        "{text}"
    );
    assert!(text.contains("final value of x is x0"), "{text}");
}

#[test]
fn non_repeatable_reads_and_unseen_own_writes_are_flagged() {
    let h = history(
        &[("x", "x0")],
        vec![
            t(1, 10, vec![w("x", "x1")]),
            t(
                2,
                20,
                vec![
                    r("x", Some("x0")),
                    r("x", Some("x1")),
                    w("y", "y2"),
                    r("y", None),
                ],
            ),
        ],
    );
    let report = check(&h);
    assert!(
        report
            .anomalies
            .iter()
            .any(|a| matches!(a, super::Anomaly::NonRepeatableRead { .. })),
        "{}",
        report.explain(5)
    );
    assert!(
        report
            .anomalies
            .iter()
            .any(|a| matches!(a, super::Anomaly::OwnWriteNotSeen { .. })),
        "{}",
        report.explain(5)
    );
}
