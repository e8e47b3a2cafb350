//! Step 4 of history checking — resolving and judging every read — and the orchestration of the
//! whole check ([`check`]), in order:
//! 1. sort the committed transactions by commit LSN (the node order of the graph);
//! 2. order the versions of every key ([`Versions::build`]);
//! 3. replay each transaction's operations: a read of a key it already wrote must return its own
//!    last write; the others are external reads, each resolved to the version it observed (a
//!    key read twice externally must give the same version both times);
//! 4. judge each external read: its value must be a committed version (else G1a, G1b, or a value
//!    nobody wrote), committed no later than the reader, and the version the reader's read point
//!    sees;
//! 5. compare the final state, when given, with the last version of every key;
//! 6. build the graph and search it for cycles (both criteria).

use std::collections::BTreeMap;
use std::fmt;

use super::cycles::{self, Cycle};
use super::graph::{Graph, ResolvedRead, Source, Versions};
use super::{HistOp, History, in_bounds, show};
use crate::types::{Lsn, TxnId};

/// A problem with a read or with the history's version order (everything but cycles).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Anomaly {
    /// G1a: a read of a value written only by an attempt that rolled back.
    AbortedRead {
        /// The reader.
        reader: TxnId,
        /// The key.
        key: String,
        /// The value read.
        value: String,
    },
    /// G1b: a read of a value its (committed) writer overwrote before committing.
    IntermediateRead {
        /// The reader.
        reader: TxnId,
        /// The writer of the intermediate value.
        writer: TxnId,
        /// The key.
        key: String,
    },
    /// A read of a value no transaction wrote for that key (or of "absent" for a key that
    /// always existed).
    UnknownValue {
        /// The reader.
        reader: TxnId,
        /// The key.
        key: String,
        /// What it read (`<absent>` for none).
        value: String,
    },
    /// The same key read twice (before writing it) with different results.
    NonRepeatableRead {
        /// The reader.
        reader: TxnId,
        /// The key.
        key: String,
    },
    /// A read of a key the transaction had written returned something else.
    OwnWriteNotSeen {
        /// The reader.
        reader: TxnId,
        /// The key.
        key: String,
    },
    /// A read of a version committed after the reader itself.
    FutureRead {
        /// The reader.
        reader: TxnId,
        /// Its commit LSN.
        reader_lsn: Lsn,
        /// The key.
        key: String,
        /// The commit LSN of the version read.
        version_lsn: Lsn,
    },
    /// A read that did not return the version its read point sees in the recorded order.
    WrongVersion {
        /// The reader.
        reader: TxnId,
        /// Its read point (snapshot, or commit under strict two-phase locking).
        reads_at: Lsn,
        /// The key.
        key: String,
        /// Commit LSN of the version read.
        got: Lsn,
        /// Commit LSN of the version the read point sees.
        expected: Lsn,
    },
    /// The version order itself is inconsistent (two writers of a key at one LSN, a duplicate
    /// value, or a final state that is not the last version of a key).
    BadOrder {
        /// What is wrong.
        detail: String,
    },
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anomaly::AbortedRead { reader, key, value } => write!(
                f,
                "G1a: {reader} read {key}={value}, written only by a rolled-back attempt"
            ),
            Anomaly::IntermediateRead {
                reader,
                writer,
                key,
            } => write!(
                f,
                "G1b: {reader} read an intermediate value of {key} written by {writer}"
            ),
            Anomaly::UnknownValue { reader, key, value } => {
                write!(f, "{reader} read {key}={value}, which nobody wrote")
            }
            Anomaly::NonRepeatableRead { reader, key } => {
                write!(f, "{reader} read {key} twice and got different versions")
            }
            Anomaly::OwnWriteNotSeen { reader, key } => {
                write!(
                    f,
                    "{reader} read {key} after writing it but saw another value"
                )
            }
            Anomaly::FutureRead {
                reader,
                reader_lsn,
                key,
                version_lsn,
            } => write!(
                f,
                "{reader} ({reader_lsn}) read {key} as committed at {version_lsn}, after itself"
            ),
            Anomaly::WrongVersion {
                reader,
                reads_at,
                key,
                got,
                expected,
            } => write!(
                f,
                "{reader} reading at {reads_at} saw {key} as of {got}, but the version there is \
                 from {expected}"
            ),
            Anomaly::BadOrder { detail } => write!(f, "version order: {detail}"),
        }
    }
}

/// The result of checking a history.
#[derive(Clone, Debug, Default)]
pub struct CheckReport {
    /// Committed transactions checked.
    pub transactions: usize,
    /// External reads checked (point reads plus every key a scan covered).
    pub reads: usize,
    /// Edges of the dependency graph: `ww`, `wr`, `rw` (item and predicate).
    pub edges: (usize, usize, usize),
    /// Serializability violations: one cycle per strongly connected component.
    pub cycles: Vec<Cycle>,
    /// Snapshot-isolation violations: cycles without two consecutive `rw` edges.
    pub si_cycles: Vec<Cycle>,
    /// Every other problem.
    pub anomalies: Vec<Anomaly>,
}

impl CheckReport {
    /// Whether the history is serializable: no anomaly and no cycle.
    pub fn is_serializable(&self) -> bool {
        self.anomalies.is_empty() && self.cycles.is_empty()
    }

    /// Whether the history is allowed under snapshot isolation: no anomaly, and every cycle
    /// has two consecutive anti-dependencies.
    pub fn is_snapshot_isolated(&self) -> bool {
        self.anomalies.is_empty() && self.si_cycles.is_empty()
    }

    /// A multi-line explanation of every violation (at most `limit` of each kind).
    pub fn explain(&self, limit: usize) -> String {
        let mut out = format!(
            "{} transactions, {} reads, edges ww={} wr={} rw={}; {} cycles, {} forbidden under \
             snapshot isolation, {} other anomalies\n",
            self.transactions,
            self.reads,
            self.edges.0,
            self.edges.1,
            self.edges.2,
            self.cycles.len(),
            self.si_cycles.len(),
            self.anomalies.len()
        );
        for a in self.anomalies.iter().take(limit) {
            out.push_str(&format!("  anomaly: {a}\n"));
        }
        for c in self.si_cycles.iter().take(limit) {
            out.push_str(&format!("  SI-forbidden cycle: {c}\n"));
        }
        for c in self.cycles.iter().take(limit) {
            out.push_str(&format!("  cycle: {c}\n"));
        }
        out
    }
}

/// Checks `history`: see the module docs for the steps.
pub fn check(history: &History) -> CheckReport {
    let mut order: Vec<usize> = (0..history.txns.len()).collect();
    order.sort_by_key(|&i| (history.txns[i].commit_lsn, history.txns[i].txn));
    let names: Vec<(TxnId, Lsn)> = order
        .iter()
        .map(|&i| (history.txns[i].txn, history.txns[i].commit_lsn))
        .collect();
    let versions = Versions::build(history, &order);
    let mut anomalies: Vec<Anomaly> = versions
        .problems
        .iter()
        .map(|p| Anomaly::BadOrder { detail: p.clone() })
        .collect();
    let mut reads = Vec::new();
    for (node, &ti) in order.iter().enumerate() {
        let observed = external_reads(history, ti, &versions, &mut anomalies);
        for (key, value, predicate) in observed {
            let (read, anomaly) =
                judge(history, ti, node, &names, &versions, key, value, predicate);
            reads.extend(read);
            anomalies.extend(anomaly);
        }
    }
    if let Some(final_state) = &history.final_state {
        check_final(&versions, final_state, &mut anomalies);
    }
    let graph = Graph::build(order.len(), &versions, &reads);
    CheckReport {
        transactions: order.len(),
        reads: reads.len(),
        edges: graph.counts(),
        cycles: cycles::serializability_cycles(&graph, &names),
        si_cycles: cycles::snapshot_isolation_cycles(&graph, &names),
        anomalies,
    }
}

/// Step 3's bookkeeping for one transaction: its own writes so far and its first external read
/// of each key.
struct Observer {
    txn: TxnId,
    own: BTreeMap<Vec<u8>, Vec<u8>>,
    seen: BTreeMap<Vec<u8>, (Option<Vec<u8>>, bool)>,
    anomalies: Vec<Anomaly>,
}

impl Observer {
    fn observe(&mut self, key: &[u8], value: Option<&[u8]>, predicate: bool) {
        if let Some(mine) = self.own.get(key) {
            if value != Some(mine.as_slice()) {
                self.anomalies.push(Anomaly::OwnWriteNotSeen {
                    reader: self.txn,
                    key: show(key),
                });
            }
            return;
        }
        match self.seen.get(key) {
            Some((first, _)) if first.as_deref() != value => {
                self.anomalies.push(Anomaly::NonRepeatableRead {
                    reader: self.txn,
                    key: show(key),
                });
            }
            Some(_) => {}
            None => {
                self.seen
                    .insert(key.to_vec(), (value.map(<[u8]>::to_vec), predicate));
            }
        }
    }
}

/// Step 3: the external reads of transaction `ti` as `(key, value, predicate)`, one per key
/// (later reads of the same key must agree with the first).
fn external_reads(
    history: &History,
    ti: usize,
    versions: &Versions,
    anomalies: &mut Vec<Anomaly>,
) -> Vec<(Vec<u8>, Option<Vec<u8>>, bool)> {
    let t = &history.txns[ti];
    let mut obs = Observer {
        txn: t.txn,
        own: BTreeMap::new(),
        seen: BTreeMap::new(),
        anomalies: Vec::new(),
    };
    for op in &t.ops {
        match op {
            HistOp::Read { key, value } => obs.observe(key, value.as_deref(), false),
            HistOp::Scan {
                from,
                to,
                seen: rows,
            } => {
                let returned: BTreeMap<&[u8], &[u8]> = rows
                    .iter()
                    .map(|(k, v)| (k.as_slice(), v.as_slice()))
                    .collect();
                for (k, v) in &returned {
                    if in_bounds(k, from, to) {
                        obs.observe(k, Some(v), false);
                    } else {
                        obs.anomalies.push(Anomaly::UnknownValue {
                            reader: t.txn,
                            key: show(k),
                            value: "<returned by a scan outside its bounds>".into(),
                        });
                    }
                }
                // Every other key the history knows inside the bounds was read as absent.
                for key in versions.by_key.keys() {
                    if in_bounds(key, from, to) && !returned.contains_key(key.as_slice()) {
                        obs.observe(key, None, true);
                    }
                }
            }
            HistOp::Write { key, value } => {
                obs.own.insert(key.clone(), value.clone());
            }
        }
    }
    anomalies.append(&mut obs.anomalies);
    obs.seen.into_iter().map(|(k, (v, p))| (k, v, p)).collect()
}

/// Step 4: resolves one external read to the version it observed, and judges it. A read that
/// names a committed version yields that version even when it is judged wrong (committed after
/// the reader, or not what its read point sees), so its edges still enter the graph and the
/// cycle it closes is reported too; a read of anything else yields only its anomaly.
#[allow(clippy::too_many_arguments)]
fn judge(
    history: &History,
    ti: usize,
    node: usize,
    names: &[(TxnId, Lsn)],
    versions: &Versions,
    key: Vec<u8>,
    value: Option<Vec<u8>>,
    predicate: bool,
) -> (Option<ResolvedRead>, Option<Anomaly>) {
    let t = &history.txns[ti];
    let shown = || value.as_deref().map_or_else(|| "<absent>".into(), show);
    let bad = |a: Anomaly| (None, Some(a));
    let version = match versions.source(&key, value.as_deref(), &history.aborted_values) {
        Source::Version(i) => i,
        Source::Intermediate(w) => {
            return bad(Anomaly::IntermediateRead {
                reader: t.txn,
                writer: names.get(w).map_or(TxnId(0), |n| n.0),
                key: show(&key),
            });
        }
        Source::Aborted => {
            return bad(Anomaly::AbortedRead {
                reader: t.txn,
                key: show(&key),
                value: shown(),
            });
        }
        Source::Unknown => {
            return bad(Anomaly::UnknownValue {
                reader: t.txn,
                key: show(&key),
                value: shown(),
            });
        }
    };
    let vs = versions.of(&key);
    let got = vs.get(version).map_or(Lsn(0), |v| v.lsn);
    let mut anomaly = None;
    if got > t.commit_lsn {
        anomaly = Some(Anomaly::FutureRead {
            reader: t.txn,
            reader_lsn: t.commit_lsn,
            key: show(&key),
            version_lsn: got,
        });
    } else if let Some(at) = t.reads_at {
        // The latest version at or before the read point, other than the reader's own.
        let expected = vs
            .iter()
            .enumerate()
            .rev()
            .find(|(_, v)| v.lsn <= at && v.writer != Some(node))
            .map_or(0, |(i, _)| i);
        if expected != version {
            anomaly = Some(Anomaly::WrongVersion {
                reader: t.txn,
                reads_at: at,
                key: show(&key),
                got,
                expected: vs.get(expected).map_or(Lsn(0), |v| v.lsn),
            });
        }
    }
    let read = ResolvedRead {
        reader: node,
        key,
        version,
        predicate,
    };
    (Some(read), anomaly)
}

/// Step 5: the final state must hold the last version of every key.
fn check_final(
    versions: &Versions,
    final_state: &BTreeMap<Vec<u8>, Vec<u8>>,
    anomalies: &mut Vec<Anomaly>,
) {
    for (key, vs) in &versions.by_key {
        let expected = vs.last().and_then(|v| v.value.as_deref());
        let found = final_state.get(key).map(Vec::as_slice);
        if expected != found {
            anomalies.push(Anomaly::BadOrder {
                detail: format!(
                    "final value of {} is {}, but the last version in commit-LSN order is {}",
                    show(key),
                    found.map_or_else(|| "<absent>".into(), show),
                    expected.map_or_else(|| "<absent>".into(), show)
                ),
            });
        }
    }
}
