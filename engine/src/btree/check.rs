//! Whole-tree verification ([`check`]) and shape statistics ([`stats`]).
//!
//! `check` walks every page reachable from a root and verifies, without stopping at the first
//! problem: each page is readable, is a node of the expected kind and is reached exactly once;
//! cell offsets lie inside the cell area and cells do not overlap; keys are sorted within each
//! node and lie within the bounds set by the separators above; all leaves sit at the same
//! depth; reserved flag bits are zero; overflow chains are complete, of the recorded length and
//! not shared. It returns every page id it reached (tree and overflow) so a caller can compare
//! them with the freelist.
#![deny(clippy::indexing_slicing)]

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::storage::PageStore;
use crate::types::PageId;

use super::node::{FLAG_RESERVED, NodeView, ValueRef, key_prefix};
use super::{MAX_HEIGHT, overflow};

/// One problem found by [`check`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The page where the problem is (the node, or the page of an overflow chain).
    pub page: u64,
    /// What is wrong.
    pub detail: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "page {}: {}", self.page, self.detail)
    }
}

/// The shape of a tree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TreeStats {
    /// Levels from root to leaves (0 for the empty tree, 1 for a single leaf).
    pub height: usize,
    /// Leaf pages.
    pub leaf_pages: u64,
    /// Branch pages.
    pub branch_pages: u64,
    /// Overflow pages.
    pub overflow_pages: u64,
    /// Key/value entries.
    pub entries: u64,
    /// Entries whose value lives in an overflow chain.
    pub overflow_values: u64,
}

/// The result of [`check`].
#[derive(Clone, Debug, Default)]
pub struct TreeReport {
    /// Every page id reached (tree nodes and overflow pages), in walk order.
    pub pages: Vec<PageId>,
    /// Every problem found; empty for a sound tree.
    pub findings: Vec<Finding>,
    /// Counts gathered during the walk (over the parts that could be read).
    pub stats: TreeStats,
}

impl TreeReport {
    /// Whether no problem was found.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

struct Walker<'s, S: PageStore + ?Sized> {
    store: &'s S,
    seen: HashSet<PageId>,
    report: TreeReport,
    leaf_depth: Option<usize>,
}

impl<S: PageStore + ?Sized> Walker<'_, S> {
    fn finding(&mut self, page: PageId, detail: impl Into<String>) {
        self.report.findings.push(Finding {
            page: page.0,
            detail: detail.into(),
        });
    }

    /// Marks `id` reached; `false` (with a finding) if it was reached before.
    fn reach(&mut self, id: PageId, from: PageId) -> bool {
        if !self.seen.insert(id) {
            self.finding(id, format!("reached more than once (again from {from})"));
            return false;
        }
        self.report.pages.push(id);
        true
    }

    /// Checks the node `id` whose keys must lie in `[lo, hi)`.
    fn node(&mut self, id: PageId, lo: Option<&[u8]>, hi: Option<&[u8]>, depth: usize) {
        if depth > MAX_HEIGHT {
            self.finding(id, "tree deeper than the maximum height");
            return;
        }
        let page = match self.store.read_page(id) {
            Ok(p) => p,
            Err(e) => return self.finding(id, format!("unreadable: {e}")),
        };
        let view = match NodeView::open(&page, id) {
            Ok(v) => v,
            Err(e) => return self.finding(id, e.to_string()),
        };
        let mut keys: Vec<&[u8]> = Vec::with_capacity(view.count());
        let mut spans = Vec::with_capacity(view.count());
        for i in 0..view.count() {
            match view
                .key(i)
                .and_then(|k| view.cell_offset(i).map(|o| (k, o)))
            {
                Ok((k, off)) => {
                    if view.slot_prefix(i).ok() != Some(key_prefix(k).as_slice()) {
                        self.finding(id, format!("slot {i} key prefix does not match its cell"));
                    }
                    keys.push(k);
                    spans.push((off, i));
                }
                Err(e) => self.finding(id, detail(e)),
            }
        }
        for w in keys.windows(2) {
            if let [a, b] = w
                && a >= b
            {
                self.finding(id, "keys not in strictly increasing order");
                break;
            }
        }
        if let (Some(lo), Some(first)) = (lo, keys.first())
            && *first < lo
        {
            self.finding(id, "key below the separator bounding this node");
        }
        if let (Some(hi), Some(last)) = (hi, keys.last())
            && *last >= hi
        {
            self.finding(id, "key at or above the separator bounding this node");
        }
        self.overlaps(id, &view, &mut spans);
        if view.is_leaf() {
            self.leaf(id, &view, depth);
        } else {
            self.branch(id, &view, &keys, lo, hi, depth);
        }
    }

    /// Cells must not overlap one another.
    fn overlaps(&mut self, id: PageId, view: &NodeView<'_>, spans: &mut [(usize, usize)]) {
        spans.sort_unstable();
        let mut end = view.slots_end();
        for &(off, i) in spans.iter() {
            if off < end {
                self.finding(
                    id,
                    format!("cell {i} overlaps another cell or the slot array"),
                );
            }
            let len = if view.is_leaf() {
                view.leaf_cell(i).map(|(_, k, v)| {
                    7 + k.len()
                        + match v {
                            ValueRef::Inline(v) => v.len(),
                            ValueRef::Overflow { .. } => 8,
                        }
                })
            } else {
                view.key(i).map(|k| 10 + k.len())
            };
            end = off + len.unwrap_or(0);
        }
    }

    fn leaf(&mut self, id: PageId, view: &NodeView<'_>, depth: usize) {
        self.report.stats.leaf_pages += 1;
        match self.leaf_depth {
            None => self.leaf_depth = Some(depth),
            Some(d) if d != depth => {
                self.finding(id, format!("leaf at depth {depth}, other leaves at {d}"));
            }
            Some(_) => {}
        }
        if view.count() == 0 && depth > 1 {
            self.finding(id, "empty non-root leaf");
        }
        for i in 0..view.count() {
            let Ok((flags, _, value)) = view.leaf_cell(i) else {
                continue; // already reported
            };
            self.report.stats.entries += 1;
            if flags & FLAG_RESERVED != 0 {
                self.finding(id, format!("cell {i} sets reserved flag bits {flags:#04x}"));
            }
            if let ValueRef::Overflow { first, len } = value {
                self.report.stats.overflow_values += 1;
                self.chain(id, first, len);
            }
        }
    }

    fn chain(&mut self, leaf: PageId, first: PageId, len: u64) {
        let mut ids = Vec::new();
        if let Err(e) = overflow::walk_chain(self.store, first, len, |p, _| ids.push(p)) {
            self.finding(leaf, format!("overflow chain at {first}: {}", detail(e)));
        }
        for p in ids {
            if self.reach(p, leaf) {
                self.report.stats.overflow_pages += 1;
            }
        }
    }

    fn branch(
        &mut self,
        id: PageId,
        view: &NodeView<'_>,
        keys: &[&[u8]],
        lo: Option<&[u8]>,
        hi: Option<&[u8]>,
        depth: usize,
    ) {
        self.report.stats.branch_pages += 1;
        if view.count() == 0 {
            self.finding(id, "branch without separators");
        }
        if keys.len() != view.count() {
            return; // a broken cell was reported; its children's bounds are unknown
        }
        for c in 0..=view.count() {
            let child = match view.child(c) {
                Ok(child) => child,
                Err(e) => {
                    self.finding(id, detail(e));
                    continue;
                }
            };
            if !self.reach(child, id) {
                continue;
            }
            // `keys` holds every separator (checked above): child `c` lies between separators
            // `c - 1` and `c`, the outer bounds at the ends.
            let clo = if c == 0 { lo } else { keys.get(c - 1).copied() };
            let chi = if c == view.count() {
                hi
            } else {
                keys.get(c).copied()
            };
            self.node(child, clo, chi, depth + 1);
        }
    }
}

/// The detail of a corruption error (the page is reported separately).
fn detail(e: Error) -> String {
    match e {
        Error::Corruption { detail, .. } => detail,
        other => other.to_string(),
    }
}

/// Walks the whole tree at `root` and reports everything wrong with it.
pub fn check<S: PageStore + ?Sized>(store: &S, root: PageId) -> TreeReport {
    let mut w = Walker {
        store,
        seen: HashSet::new(),
        report: TreeReport::default(),
        leaf_depth: None,
    };
    if root.0 != 0 && w.reach(root, root) {
        w.node(root, None, None, 1);
    }
    w.report.stats.height = w.leaf_depth.unwrap_or(0);
    w.report
}

/// The shape of the tree at `root`; an error if the walk finds any problem.
pub fn stats<S: PageStore + ?Sized>(store: &S, root: PageId) -> Result<TreeStats> {
    let report = check(store, root);
    match report.findings.first() {
        None => Ok(report.stats),
        Some(f) => Err(Error::corruption(
            PageId(f.page),
            format!(
                "{} ({} problems found by the tree check)",
                f.detail,
                report.findings.len()
            ),
        )),
    }
}
