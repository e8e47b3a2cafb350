//! Step 5 of history checking: cycles in the dependency graph, and their explanation.
//!
//! - Serializability: the graph of `ww`, `wr` and `rw` edges must be acyclic. Each strongly
//!   connected component with more than one transaction (Tarjan's algorithm) is one violation,
//!   explained by its shortest cycle through its oldest member (breadth-first search).
//! - Snapshot isolation allows exactly the cycles with two consecutive `rw` edges. A cycle has
//!   none such iff it is a cycle of the composed relation `(ww ∪ wr) ; rw?` — a dependency edge,
//!   optionally followed by one anti-dependency — so the same search runs over that relation,
//!   and each cycle found is expanded back into the original edges.
//!
//! A cycle is classified as Adya names it: G0 (only `ww`), G1c (`ww`/`wr`, at least one `wr`),
//! G-single (exactly one `rw`), G2-item (two or more `rw`, all on keys) or G2 (some `rw` from a
//! range scan's predicate).

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use super::graph::Graph;
use super::show;
use crate::types::{Lsn, TxnId};

/// Why one transaction must precede another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeKind {
    /// Write–write: the source wrote the version of a key just before the target's.
    Ww,
    /// Write–read: the target read a version the source wrote.
    Wr,
    /// Read–write anti-dependency: the source read a version the target overwrote.
    Rw,
    /// Anti-dependency through a range scan: the source's scan saw a key as absent that the
    /// target then wrote.
    RwPredicate,
}

impl EdgeKind {
    /// Whether this is an anti-dependency (item or predicate).
    pub fn is_rw(self) -> bool {
        matches!(self, EdgeKind::Rw | EdgeKind::RwPredicate)
    }

    /// Short name: `ww`, `wr`, `rw`, `rw-pred`.
    pub fn name(self) -> &'static str {
        match self {
            EdgeKind::Ww => "ww",
            EdgeKind::Wr => "wr",
            EdgeKind::Rw => "rw",
            EdgeKind::RwPredicate => "rw-pred",
        }
    }
}

/// One edge of the dependency graph (nodes are transactions in commit-LSN order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Source node.
    pub from: usize,
    /// Target node.
    pub to: usize,
    /// Why.
    pub kind: EdgeKind,
    /// A key that gives rise to it.
    pub key: Vec<u8>,
}

/// Adya's name for a cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CycleKind {
    /// Only write–write edges.
    G0,
    /// Write–write and write–read edges, at least one write–read.
    G1c,
    /// Exactly one anti-dependency.
    GSingle,
    /// Two or more anti-dependencies, all on keys (write skew).
    G2Item,
    /// Two or more anti-dependencies, some through a range scan.
    G2,
}

impl CycleKind {
    /// The anomaly's usual name.
    pub fn name(self) -> &'static str {
        match self {
            CycleKind::G0 => "G0",
            CycleKind::G1c => "G1c",
            CycleKind::GSingle => "G-single",
            CycleKind::G2Item => "G2-item",
            CycleKind::G2 => "G2",
        }
    }
}

/// A cycle of transactions, for a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle {
    /// The edges in order; the last one leads back to the first's source.
    pub edges: Vec<Edge>,
    /// `(txn id, commit LSN)` of each edge's source.
    pub txns: Vec<(TxnId, Lsn)>,
    /// Its classification.
    pub kind: CycleKind,
}

impl Cycle {
    /// Builds a cycle from its edges, naming nodes through `names`.
    pub fn new(edges: Vec<Edge>, names: &[(TxnId, Lsn)]) -> Cycle {
        let txns = edges
            .iter()
            .map(|e| names.get(e.from).copied().unwrap_or_default())
            .collect();
        let rw = edges.iter().filter(|e| e.kind.is_rw()).count();
        let kind = match rw {
            0 if edges.iter().all(|e| e.kind == EdgeKind::Ww) => CycleKind::G0,
            0 => CycleKind::G1c,
            1 => CycleKind::GSingle,
            _ if edges.iter().any(|e| e.kind == EdgeKind::RwPredicate) => CycleKind::G2,
            _ => CycleKind::G2Item,
        };
        Cycle { edges, txns, kind }
    }

    /// Whether two anti-dependency edges follow each other somewhere on the cycle (counting the
    /// last edge as followed by the first) — the only cycles snapshot isolation allows.
    pub fn has_adjacent_rw(&self) -> bool {
        let n = self.edges.len();
        (0..n).any(|i| self.edges[i].kind.is_rw() && self.edges[(i + 1) % n].kind.is_rw())
    }
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.kind.name())?;
        for (edge, (txn, lsn)) in self.edges.iter().zip(&self.txns) {
            write!(
                f,
                " {txn} ({lsn}) -{}[{}]->",
                edge.kind.name(),
                show(&edge.key)
            )?;
        }
        match self.txns.first() {
            Some((txn, _)) => write!(f, " {txn}"),
            None => Ok(()),
        }
    }
}

/// Strongly connected components of a graph given as adjacency lists (iterative Tarjan).
fn components(adj: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = adj.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut out = Vec::new();
    let mut next = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        // (node, position in its adjacency list)
        let mut work = vec![(root, 0usize)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut pos)) = work.last_mut() {
            if let Some(&w) = adj[v].get(*pos) {
                *pos += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    comp.sort_unstable();
                    out.push(comp);
                }
            }
        }
    }
    out
}

/// The shortest path of nodes from `start` back to `start` inside `members` (breadth-first).
fn shortest_cycle(adj: &[Vec<usize>], members: &[usize], start: usize) -> Vec<usize> {
    let inside = |v: usize| members.binary_search(&v).is_ok();
    let mut parent: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &w in &adj[v] {
            if !inside(w) {
                continue;
            }
            if w == start {
                let mut path = vec![v];
                let mut at = v;
                while at != start {
                    at = parent[&at];
                    path.push(at);
                }
                path.reverse();
                return path;
            }
            if let std::collections::btree_map::Entry::Vacant(e) = parent.entry(w) {
                e.insert(v);
                queue.push_back(w);
            }
        }
    }
    Vec::new()
}

/// Picks the edge from `a` to `b` to show: a dependency over an anti-dependency (the
/// strongest claim the cycle supports), or the kind `want` demands.
fn pick(graph: &Graph, a: usize, b: usize, want: impl Fn(EdgeKind) -> bool) -> Option<Edge> {
    let list = graph.edges.get(&(a, b))?;
    list.iter()
        .filter(|e| want(e.kind))
        .min_by_key(|e| e.kind)
        .cloned()
}

/// One cycle per strongly connected component of the whole graph (serializability violations).
pub fn serializability_cycles(graph: &Graph, names: &[(TxnId, Lsn)]) -> Vec<Cycle> {
    let mut adj = vec![Vec::new(); graph.nodes];
    for &(a, b) in graph.edges.keys() {
        adj[a].push(b);
    }
    let mut cycles = Vec::new();
    for comp in components(&adj) {
        if comp.len() < 2 {
            continue;
        }
        let nodes = shortest_cycle(&adj, &comp, comp[0]);
        let n = nodes.len();
        let edges: Option<Vec<Edge>> = (0..n)
            .map(|i| pick(graph, nodes[i], nodes[(i + 1) % n], |_| true))
            .collect();
        if let Some(edges) = edges {
            cycles.push(Cycle::new(edges, names));
        }
    }
    cycles
}

/// One cycle per strongly connected component of `(ww ∪ wr) ; rw?` (snapshot isolation
/// violations: cycles without two consecutive anti-dependencies).
pub fn snapshot_isolation_cycles(graph: &Graph, names: &[(TxnId, Lsn)]) -> Vec<Cycle> {
    let n = graph.nodes;
    let mut dep = vec![Vec::new(); n];
    let mut rw = vec![Vec::new(); n];
    for (&(a, b), list) in &graph.edges {
        if list.iter().any(|e| !e.kind.is_rw()) {
            dep[a].push(b);
        }
        if list.iter().any(|e| e.kind.is_rw()) {
            rw[a].push(b);
        }
    }
    // Composed edges a → c, remembering the middle node (if any) of each.
    let mut adj = vec![Vec::new(); n];
    let mut via: BTreeMap<(usize, usize), Option<usize>> = BTreeMap::new();
    for a in 0..n {
        for &b in &dep[a] {
            if via.insert((a, b), None).is_none() {
                adj[a].push(b);
            }
            for &c in &rw[b] {
                if let std::collections::btree_map::Entry::Vacant(e) = via.entry((a, c)) {
                    e.insert(Some(b));
                    adj[a].push(c);
                }
            }
        }
    }
    let mut cycles = Vec::new();
    for comp in components(&adj) {
        let start = comp[0];
        let nodes = if comp.len() == 1 {
            if !via.contains_key(&(start, start)) {
                continue;
            }
            vec![start]
        } else {
            shortest_cycle(&adj, &comp, start)
        };
        let mut edges = Vec::new();
        let m = nodes.len();
        for i in 0..m {
            let (a, c) = (nodes[i], nodes[(i + 1) % m]);
            let step = match via.get(&(a, c)).copied().flatten() {
                None => pick(graph, a, c, |k| !k.is_rw()).map(|e| vec![e]),
                Some(b) => pick(graph, a, b, |k| !k.is_rw())
                    .zip(pick(graph, b, c, EdgeKind::is_rw))
                    .map(|(x, y)| vec![x, y]),
            };
            edges.extend(step.unwrap_or_default());
        }
        if !edges.is_empty() {
            cycles.push(Cycle::new(edges, names));
        }
    }
    cycles
}
