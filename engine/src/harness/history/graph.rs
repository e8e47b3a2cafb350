//! Steps 2 and 3 of history checking: the version order of every key, and the dependency graph
//! over committed transactions.
//!
//! Versions of a key are ordered by the commit LSN of their writers, after the initial state.
//! Only a transaction's last write of a key is a version; its earlier writes of the same key are
//! intermediate values (reading one is G1b). Edges, for each read of version `i` of key `k` by
//! transaction `R`: `wr` from the writer of version `i` to `R`, and `rw` from `R` to the writer
//! of version `i + 1`; and for every key, `ww` from the writer of version `i` to that of `i + 1`.

use std::collections::{BTreeMap, HashMap};

use super::cycles::{Edge, EdgeKind};
use super::{HistOp, History, show};
use crate::types::Lsn;

/// One version of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// Index of the writing transaction in the checked order, `None` for the initial state.
    pub writer: Option<usize>,
    /// The value (`None`: the key was initially absent).
    pub value: Option<Vec<u8>>,
    /// Commit LSN of the writer (`Lsn(0)` for the initial state).
    pub lsn: Lsn,
}

/// The version order of every key the history touched, and where each written value came from.
#[derive(Debug, Default)]
pub struct Versions {
    /// Versions per key, in order; index 0 is the initial state.
    pub by_key: BTreeMap<Vec<u8>, Vec<Version>>,
    /// Installed value → (key, index into `by_key[key]`).
    installed: HashMap<Vec<u8>, (Vec<u8>, usize)>,
    /// Intermediate value (overwritten by the same transaction) → (key, writer).
    intermediate: HashMap<Vec<u8>, (Vec<u8>, usize)>,
    /// Problems with the order itself (two writers of a key at one LSN, a value written twice).
    pub problems: Vec<String>,
}

/// Where a value read for a key came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Version `index` of the key.
    Version(usize),
    /// An intermediate value of a committed transaction (G1b).
    Intermediate(usize),
    /// A value written by an attempt that rolled back (G1a).
    Aborted,
    /// A value nobody wrote for this key.
    Unknown,
}

impl Versions {
    /// Orders the versions of `history`, whose transactions are indexed by `order` (sorted by
    /// commit LSN).
    pub fn build(history: &History, order: &[usize]) -> Versions {
        let mut v = Versions::default();
        let mut keys: Vec<&Vec<u8>> = history.initial.keys().collect();
        for t in &history.txns {
            for op in &t.ops {
                if let HistOp::Write { key, .. } = op {
                    keys.push(key);
                }
            }
        }
        for key in keys {
            v.by_key.entry(key.clone()).or_insert_with(|| {
                vec![Version {
                    writer: None,
                    value: history.initial.get(key).cloned(),
                    lsn: Lsn(0),
                }]
            });
        }
        for (node, &ti) in order.iter().enumerate() {
            let t = &history.txns[ti];
            let mut last: BTreeMap<&[u8], &[u8]> = BTreeMap::new();
            for op in &t.ops {
                if let HistOp::Write { key, value } = op
                    && let Some(prev) = last.insert(key, value)
                {
                    v.intermediate.insert(prev.to_vec(), (key.clone(), node));
                }
            }
            for (key, value) in last {
                let versions = v.by_key.entry(key.to_vec()).or_default();
                if let Some(prev) = versions.last()
                    && prev.writer.is_some()
                    && prev.lsn == t.commit_lsn
                {
                    v.problems.push(format!(
                        "key {}: two transactions committed writes at {}",
                        show(key),
                        t.commit_lsn
                    ));
                }
                versions.push(Version {
                    writer: Some(node),
                    value: Some(value.to_vec()),
                    lsn: t.commit_lsn,
                });
                let at = (key.to_vec(), versions.len() - 1);
                if v.installed.insert(value.to_vec(), at).is_some() {
                    v.problems.push(format!(
                        "value {} was written more than once; values must be unique",
                        show(value)
                    ));
                }
            }
        }
        v
    }

    /// Where `value`, read for `key`, came from (`aborted` lists the values of rolled-back
    /// attempts).
    pub fn source(
        &self,
        key: &[u8],
        value: Option<&[u8]>,
        aborted: &std::collections::BTreeSet<Vec<u8>>,
    ) -> Source {
        let Some(value) = value else {
            // Nothing deletes in a recorded history, so "absent" is only the initial state.
            return match self.by_key.get(key).and_then(|vs| vs.first()) {
                Some(first) if first.value.is_none() => Source::Version(0),
                None => Source::Version(0),
                Some(_) => Source::Unknown,
            };
        };
        if let Some((k, i)) = self.installed.get(value)
            && k.as_slice() == key
        {
            return Source::Version(*i);
        }
        if let Some(first) = self.by_key.get(key).and_then(|vs| vs.first())
            && first.value.as_deref() == Some(value)
        {
            return Source::Version(0);
        }
        if let Some((k, node)) = self.intermediate.get(value)
            && k.as_slice() == key
        {
            return Source::Intermediate(*node);
        }
        if aborted.contains(value) {
            return Source::Aborted;
        }
        Source::Unknown
    }

    /// The versions of `key` (an absent key has only its initial, absent version).
    pub fn of(&self, key: &[u8]) -> &[Version] {
        self.by_key.get(key).map_or(&[], Vec::as_slice)
    }
}

/// A read resolved to the version it observed.
#[derive(Clone, Debug)]
pub struct ResolvedRead {
    /// The reader's node.
    pub reader: usize,
    /// The key.
    pub key: Vec<u8>,
    /// Index of the version observed.
    pub version: usize,
    /// Whether it was an absent key inside a range scan (a predicate read).
    pub predicate: bool,
}

/// The dependency graph: nodes are committed transactions in commit-LSN order; every edge
/// carries each reason it exists.
#[derive(Debug, Default)]
pub struct Graph {
    /// Number of nodes.
    pub nodes: usize,
    /// `(from, to)` → the edges between them (one per kind and key, first key kept).
    pub edges: BTreeMap<(usize, usize), Vec<Edge>>,
}

impl Graph {
    /// Builds the graph from the version order and the resolved reads.
    pub fn build(nodes: usize, versions: &Versions, reads: &[ResolvedRead]) -> Graph {
        let mut g = Graph {
            nodes,
            edges: BTreeMap::new(),
        };
        for (key, vs) in &versions.by_key {
            for pair in vs.windows(2) {
                if let (Some(a), Some(b)) = (pair[0].writer, pair[1].writer) {
                    g.add(a, b, EdgeKind::Ww, key);
                }
            }
        }
        for r in reads {
            let vs = versions.of(&r.key);
            if let Some(w) = vs.get(r.version).and_then(|v| v.writer) {
                g.add(w, r.reader, EdgeKind::Wr, &r.key);
            }
            if let Some(next) = vs.get(r.version + 1).and_then(|v| v.writer) {
                let kind = if r.predicate {
                    EdgeKind::RwPredicate
                } else {
                    EdgeKind::Rw
                };
                g.add(r.reader, next, kind, &r.key);
            }
        }
        g
    }

    fn add(&mut self, from: usize, to: usize, kind: EdgeKind, key: &[u8]) {
        if from == to {
            return;
        }
        let list = self.edges.entry((from, to)).or_default();
        if !list.iter().any(|e| e.kind == kind) {
            list.push(Edge {
                from,
                to,
                kind,
                key: key.to_vec(),
            });
        }
    }

    /// Number of edges of each kind: `(ww, wr, rw)` (predicate `rw` counted as `rw`).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for e in self.edges.values().flatten() {
            match e.kind {
                EdgeKind::Ww => c.0 += 1,
                EdgeKind::Wr => c.1 += 1,
                EdgeKind::Rw | EdgeKind::RwPredicate => c.2 += 1,
            }
        }
        c
    }
}
