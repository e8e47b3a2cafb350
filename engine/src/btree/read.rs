//! Readers over a pinned root: point [`get`] and the lazy [`Range`] iterator.
//!
//! Both descend from the root with a binary search over each node's slot array, reading keys in
//! place (no page copy, no allocation until a result is returned). A range keeps one
//! `(page, child index)` pair per branch level, so moving to the next (or previous) leaf climbs
//! only as far as needed: a copy-on-write tree needs no sibling pointers.
#![deny(clippy::indexing_slicing)]

use std::ops::Bound;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::storage::{Page, PageStore};
use crate::types::PageId;

use super::MAX_HEIGHT;
use super::node::{NodeView, ValueRef};
use super::overflow;

fn load_value<S: PageStore + ?Sized>(store: &S, value: ValueRef<'_>) -> Result<Vec<u8>> {
    match value {
        ValueRef::Inline(v) => Ok(v.to_vec()),
        ValueRef::Overflow { first, len } => overflow::read_chain(store, first, len),
    }
}

/// Where one step of a point lookup leads.
enum Step {
    /// Descend into this child.
    Child(PageId),
    /// The key is absent.
    Absent,
    /// The key's inline value, copied out of the leaf.
    Inline(Vec<u8>),
    /// The key's value lives in this overflow chain.
    Overflow(PageId, u64),
}

/// Reads `key` from the tree rooted at `root` (`PageId(0)` = empty).
///
/// Each node is examined in place ([`PageStore::with_page`]); only the value leaves the page.
pub fn get<S: PageStore + ?Sized>(store: &S, root: PageId, key: &[u8]) -> Result<Option<Vec<u8>>> {
    let mut id = root;
    for _ in 0..MAX_HEIGHT {
        if id.0 == 0 {
            return Ok(None);
        }
        let mut step = Step::Absent;
        store.with_page(id, &mut |page| {
            let view = NodeView::open(page, id)?;
            step = if !view.is_leaf() {
                Step::Child(view.child(view.child_index(key)?)?)
            } else {
                match view.search(key)? {
                    Ok(i) => match view.value(i)? {
                        ValueRef::Inline(v) => Step::Inline(v.to_vec()),
                        ValueRef::Overflow { first, len } => Step::Overflow(first, len),
                    },
                    Err(_) => Step::Absent,
                }
            };
            Ok(())
        })?;
        match step {
            Step::Child(child) => id = child,
            Step::Absent => return Ok(None),
            Step::Inline(v) => return Ok(Some(v)),
            Step::Overflow(first, len) => {
                return overflow::read_chain(store, first, len).map(Some);
            }
        }
    }
    Err(Error::corruption(
        root,
        format!("tree deeper than {MAX_HEIGHT} levels (cycle?)"),
    ))
}

/// A lazy iterator over the entries of a key range, ascending or descending, yielding
/// `(key, value)` pairs. It reads pages as it goes; an error ends the iteration after being
/// yielded once.
pub struct Range<'s, S: PageStore + ?Sized> {
    store: &'s S,
    /// One `(branch page, child index taken)` per level above the current leaf.
    stack: Vec<(Arc<Page>, usize)>,
    /// The current leaf and the cursor inside it. Forward: the next cell to yield. Reverse: one
    /// past the next cell to yield.
    leaf: Option<Arc<Page>>,
    /// Cell count of `leaf`, read when it was opened.
    leaf_count: usize,
    pos: usize,
    from: Bound<Vec<u8>>,
    to: Bound<Vec<u8>>,
    reverse: bool,
    done: bool,
}

fn owned(b: Bound<&[u8]>) -> Bound<Vec<u8>> {
    match b {
        Bound::Included(k) => Bound::Included(k.to_vec()),
        Bound::Excluded(k) => Bound::Excluded(k.to_vec()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

impl<'s, S: PageStore + ?Sized> Range<'s, S> {
    /// Positions a range over keys within `(from, to)` of the tree at `root`, ascending, or
    /// descending if `reverse`.
    pub fn new(
        store: &'s S,
        root: PageId,
        from: Bound<&[u8]>,
        to: Bound<&[u8]>,
        reverse: bool,
    ) -> Result<Self> {
        let mut range = Range {
            store,
            stack: Vec::new(),
            leaf: None,
            leaf_count: 0,
            pos: 0,
            from: owned(from),
            to: owned(to),
            reverse,
            done: root.0 == 0,
        };
        if root.0 != 0 {
            range.seek(root)?;
        }
        Ok(range)
    }

    /// Descends from `root` to the leaf where iteration starts.
    fn seek(&mut self, root: PageId) -> Result<()> {
        let start = if self.reverse { &self.to } else { &self.from };
        let mut id = root;
        loop {
            if self.stack.len() >= MAX_HEIGHT {
                return Err(Error::corruption(
                    root,
                    "tree deeper than the maximum height",
                ));
            }
            let page = self.store.read_page(id)?;
            let view = NodeView::open(&page, id)?;
            // Forward: cells before the first key >= (or >) the bound are skipped. Reverse: the
            // cursor sits just past the last key <= (or <) the bound.
            let rank = match (start, self.reverse) {
                (Bound::Unbounded, false) => 0,
                (Bound::Unbounded, true) => view.count(),
                (Bound::Included(k), false) if view.is_leaf() => view.rank(k, false)?,
                (Bound::Excluded(k), false) if view.is_leaf() => view.rank(k, true)?,
                (Bound::Included(k), _) => view.rank(k, true)?,
                (Bound::Excluded(k), true) => view.rank(k, false)?,
                (Bound::Excluded(k), false) => view.rank(k, true)?,
            };
            if view.is_leaf() {
                self.pos = rank;
                self.leaf_count = view.count();
                self.leaf = Some(page);
                return Ok(());
            }
            id = view.child(rank)?;
            self.stack.push((page, rank));
        }
    }

    /// Moves to the next leaf in iteration order; `false` at the end of the tree.
    fn next_leaf(&mut self) -> Result<bool> {
        while let Some((page, idx)) = self.stack.pop() {
            let view = NodeView::open(&page, page.id())?;
            let next = if self.reverse {
                idx.checked_sub(1)
            } else {
                Some(idx + 1).filter(|&n| n <= view.count())
            };
            let Some(next) = next else { continue };
            let mut id = view.child(next)?;
            self.stack.push((page, next));
            loop {
                if self.stack.len() > MAX_HEIGHT {
                    return Err(Error::corruption(id, "tree deeper than the maximum height"));
                }
                let page = self.store.read_page(id)?;
                let view = NodeView::open(&page, id)?;
                let edge = if self.reverse { view.count() } else { 0 };
                if view.is_leaf() {
                    self.pos = edge;
                    self.leaf_count = view.count();
                    self.leaf = Some(page);
                    return Ok(true);
                }
                id = view.child(edge)?;
                self.stack.push((page, edge));
            }
        }
        Ok(false)
    }

    fn advance(&mut self) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        loop {
            let Some(leaf) = &self.leaf else {
                return Ok(None);
            };
            let view = NodeView::reopen(leaf, true, self.leaf_count);
            let cell = if self.reverse {
                self.pos.checked_sub(1)
            } else {
                Some(self.pos).filter(|&p| p < view.count())
            };
            let Some(i) = cell else {
                if !self.next_leaf()? {
                    return Ok(None);
                }
                continue;
            };
            let (_, key, value) = view.leaf_cell(i)?;
            let in_range = if self.reverse {
                match &self.from {
                    Bound::Included(k) => key >= k.as_slice(),
                    Bound::Excluded(k) => key > k.as_slice(),
                    Bound::Unbounded => true,
                }
            } else {
                match &self.to {
                    Bound::Included(k) => key <= k.as_slice(),
                    Bound::Excluded(k) => key < k.as_slice(),
                    Bound::Unbounded => true,
                }
            };
            if !in_range {
                return Ok(None);
            }
            self.pos = if self.reverse { i } else { i + 1 };
            return Ok(Some((key.to_vec(), load_value(self.store, value)?)));
        }
    }
}

impl<S: PageStore + ?Sized> Iterator for Range<'_, S> {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.advance() {
            Ok(Some(entry)) => Some(Ok(entry)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
