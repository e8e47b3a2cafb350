//! [`TreeWriter`]: applies one commit's puts and deletes copy-on-write.
//!
//! Steps of a commit:
//! 1. `TreeWriter::new(store, root, lsn)` pins the previous root; nothing is read yet.
//! 2. Each `put`/`delete` descends from the current root. The first time a page reachable from
//!    the previous root must change, it is decoded into an owned [`Node`], given a freshly
//!    allocated id, and its old id is queued to be freed. Pages this writer allocated are
//!    changed in place (in memory) for the rest of the commit.
//! 3. An oversized node is split (leaves at the byte midpoint, with a shortened separator);
//!    an underfull node is merged with a sibling, or the two are redistributed; an empty root
//!    leaf or a branch root with a single child is collapsed.
//! 4. `finish` encodes every owned node into a page stamped with the commit's LSN, installs them
//!    with [`PageStore::write_page`], then frees the old ids and returns the new root. Readers
//!    never see a half-built tree: nothing they can reach changed.
//!
//! Large values are written to overflow chains as they are put; chains that a commit replaces
//! or deletes are freed. After an error the writer must be dropped (or [`TreeWriter::abort`]ed):
//! its in-memory tree may be partly updated.

use std::collections::{HashMap, HashSet};

use crate::error::{Error, Result};
use crate::storage::PageStore;
use crate::types::{Lsn, PageId};

use super::node::{LeafCell, LeafValue, Node, NodeView, ValueRef, branch_cell_size, separator};
use super::{MAX_HEIGHT, MAX_VALUE_LEN, body_len, is_inline, max_key_len, overflow};

/// The writer of one commit. See the module documentation for the protocol.
pub struct TreeWriter<'s, S: PageStore + ?Sized> {
    store: &'s S,
    root: PageId,
    lsn: Lsn,
    page_size: usize,
    /// Decoded nodes allocated by this writer, keyed by their new id.
    owned: HashMap<PageId, Node>,
    /// Every page id this writer allocated and has not freed (tree nodes and overflow pages).
    allocated: HashSet<PageId>,
    /// Pages of the previous tree this commit replaced; freed at `finish`.
    retired: Vec<PageId>,
}

/// What a recursive insert reports to its parent.
struct Inserted {
    id: PageId,
    split: Option<(Vec<u8>, PageId)>,
    old: Option<LeafValue>,
}

impl<'s, S: PageStore + ?Sized> TreeWriter<'s, S> {
    /// Starts a commit on the tree rooted at `root` (`PageId(0)` = empty tree); pages written
    /// by this commit carry `lsn`.
    pub fn new(store: &'s S, root: PageId, lsn: Lsn) -> Self {
        TreeWriter {
            store,
            root,
            lsn,
            page_size: store.page_size(),
            owned: HashMap::new(),
            allocated: HashSet::new(),
            retired: Vec::new(),
        }
    }

    /// The current root (changes as the commit proceeds; `PageId(0)` when empty).
    pub fn root(&self) -> PageId {
        self.root
    }

    fn check_key(&self, key: &[u8]) -> Result<()> {
        let max = max_key_len(self.page_size);
        if key.is_empty() {
            return Err(Error::InvalidArgument("keys must not be empty".into()));
        }
        if key.len() > max {
            return Err(Error::TooLarge {
                what: "key",
                len: key.len(),
                max,
            });
        }
        Ok(())
    }

    fn alloc(&mut self) -> Result<PageId> {
        let id = self.store.allocate()?;
        self.allocated.insert(id);
        Ok(id)
    }

    /// Drops a page from the tree: a page of this commit is freed at once (nobody else ever saw
    /// it), a page of the previous tree is retired until `finish`.
    fn release(&mut self, id: PageId) -> Result<()> {
        self.owned.remove(&id);
        if self.allocated.remove(&id) {
            self.store.free(id)
        } else {
            self.retired.push(id);
            Ok(())
        }
    }

    fn release_value(&mut self, value: &LeafValue) -> Result<()> {
        if let LeafValue::Overflow { first, len } = value {
            for id in overflow::chain_pages(self.store, *first, *len)? {
                self.release(id)?;
            }
        }
        Ok(())
    }

    /// Removes node `id` from the tree for modification, copying it first if it belongs to the
    /// previous tree. Returns its (possibly new) id; the caller puts it back with `install`.
    fn take(&mut self, id: PageId) -> Result<(PageId, Node)> {
        if let Some(node) = self.owned.remove(&id) {
            return Ok((id, node));
        }
        let page = self.store.read_page(id)?;
        let node = Node::decode(&NodeView::open(&page, id)?)?;
        let new = self.alloc()?;
        self.retired.push(id);
        Ok((new, node))
    }

    fn install(&mut self, id: PageId, node: Node) {
        self.owned.insert(id, node);
    }

    /// Sets `key` to `value`; returns whether an existing value was replaced.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<bool> {
        self.check_key(key)?;
        if value.len() > MAX_VALUE_LEN {
            return Err(Error::TooLarge {
                what: "value",
                len: value.len(),
                max: MAX_VALUE_LEN,
            });
        }
        let value = if is_inline(self.page_size, key.len(), value.len()) {
            LeafValue::Inline(value.to_vec())
        } else {
            let first = overflow::write_chain(self.store, value, self.lsn, || {
                let id = self.store.allocate()?;
                self.allocated.insert(id);
                Ok(id)
            })?;
            LeafValue::Overflow {
                first,
                len: value.len() as u64,
            }
        };
        let cell = LeafCell {
            flags: 0,
            key: key.to_vec(),
            value,
        };
        if self.root.0 == 0 {
            let id = self.alloc()?;
            self.install(id, Node::Leaf(vec![cell]));
            self.root = id;
            return Ok(false);
        }
        let done = self.insert(self.root, cell, 0)?;
        self.root = done.id;
        if let Some((sep, right)) = done.split {
            let id = self.alloc()?;
            self.install(
                id,
                Node::Branch {
                    keys: vec![sep],
                    children: vec![done.id, right],
                },
            );
            self.root = id;
        }
        match done.old {
            Some(old) => {
                self.release_value(&old)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn insert(&mut self, id: PageId, cell: LeafCell, depth: usize) -> Result<Inserted> {
        if depth > MAX_HEIGHT {
            return Err(Error::corruption(id, "tree deeper than the maximum height"));
        }
        let (id, mut node) = self.take(id)?;
        let mut old = None;
        match &mut node {
            Node::Leaf(cells) => match cells.binary_search_by(|c| c.key.as_slice().cmp(&cell.key)) {
                Ok(i) => old = Some(std::mem::replace(&mut cells[i], cell).value),
                Err(i) => cells.insert(i, cell),
            },
            Node::Branch { keys, children } => {
                let idx = keys.partition_point(|k| k.as_slice() <= cell.key.as_slice());
                let child = children[idx];
                let done = self.insert(child, cell, depth + 1)?;
                old = done.old;
                children[idx] = done.id;
                if let Some((sep, right)) = done.split {
                    keys.insert(idx, sep);
                    children.insert(idx + 1, right);
                }
            }
        }
        let split = if node.size() > body_len(self.page_size) {
            let (sep, right) = split(&mut node);
            let rid = self.alloc()?;
            self.install(rid, right);
            Some((sep, rid))
        } else {
            None
        };
        self.install(id, node);
        Ok(Inserted { id, split, old })
    }

    /// Removes `key`; returns whether it was present. A missing key changes nothing.
    pub fn delete(&mut self, key: &[u8]) -> Result<bool> {
        self.check_key(key)?;
        if self.root.0 == 0 {
            return Ok(false);
        }
        let Some((id, old, _)) = self.remove(self.root, key, 0)? else {
            return Ok(false);
        };
        self.root = id;
        self.release_value(&old)?;
        self.collapse_root()?;
        Ok(true)
    }

    /// Shrinks the tree while the root is an empty leaf or a branch with one child.
    fn collapse_root(&mut self) -> Result<()> {
        loop {
            let root = self.root;
            let next = match self.owned.get(&root) {
                Some(Node::Leaf(cells)) if cells.is_empty() => PageId(0),
                Some(Node::Branch { keys, children }) if keys.is_empty() => children[0],
                _ => return Ok(()),
            };
            self.release(root)?;
            self.root = next;
            if next.0 == 0 {
                return Ok(());
            }
        }
    }

    /// Deletes `key` below `id`. `None` if absent (nothing was copied); otherwise the node's new
    /// id, the removed value and whether the node is now underfull.
    fn remove(
        &mut self,
        id: PageId,
        key: &[u8],
        depth: usize,
    ) -> Result<Option<(PageId, LeafValue, bool)>> {
        if depth > MAX_HEIGHT {
            return Err(Error::corruption(id, "tree deeper than the maximum height"));
        }
        // Find the child (or the cell) without copying anything.
        let step = match self.owned.get(&id) {
            Some(Node::Leaf(cells)) => cells
                .binary_search_by(|c| c.key.as_slice().cmp(key))
                .ok()
                .map(Step::Cell),
            Some(Node::Branch { keys, children }) => {
                let idx = keys.partition_point(|k| k.as_slice() <= key);
                Some(Step::Child(idx, children[idx]))
            }
            None => {
                let page = self.store.read_page(id)?;
                let view = NodeView::open(&page, id)?;
                if view.is_leaf() {
                    view.search(key)?.ok().map(Step::Cell)
                } else {
                    let idx = view.child_index(key)?;
                    Some(Step::Child(idx, view.child(idx)?))
                }
            }
        };
        let min_fill = body_len(self.page_size) / 4;
        match step {
            None => Ok(None),
            Some(Step::Cell(i)) => {
                let (id, mut node) = self.take(id)?;
                let Node::Leaf(cells) = &mut node else {
                    return Err(Error::corruption(id, "leaf turned into a branch"));
                };
                let old = cells.remove(i).value;
                let under = node.size() < min_fill;
                self.install(id, node);
                Ok(Some((id, old, under)))
            }
            Some(Step::Child(idx, child)) => {
                let Some((cid, old, child_under)) = self.remove(child, key, depth + 1)? else {
                    return Ok(None);
                };
                let (id, mut node) = self.take(id)?;
                if let Node::Branch { children, .. } = &mut node {
                    children[idx] = cid;
                }
                if child_under {
                    self.fix_underflow(&mut node, idx)?;
                }
                let under = node.size() < min_fill;
                self.install(id, node);
                Ok(Some((id, old, under)))
            }
        }
    }

    /// Child `idx` of `parent` is underfull: merge it with a neighbour if both fit in one page,
    /// otherwise redistribute their cells evenly.
    fn fix_underflow(&mut self, parent: &mut Node, idx: usize) -> Result<()> {
        let Node::Branch { keys, children } = parent else {
            return Ok(());
        };
        if children.len() < 2 {
            return Ok(());
        }
        let left_i = if idx + 1 < children.len() { idx } else { idx - 1 };
        let (lid, left) = self.take(children[left_i])?;
        let (rid, right) = self.take(children[left_i + 1])?;
        children[left_i] = lid;
        children[left_i + 1] = rid;
        let sep = keys[left_i].clone();
        let merged = join(left, sep, right, lid)?;
        if merged.size() <= body_len(self.page_size) {
            self.install(lid, merged);
            keys.remove(left_i);
            children.remove(left_i + 1);
            self.release(rid)?;
        } else {
            let mut left = merged;
            let (sep, right) = split(&mut left);
            self.install(lid, left);
            self.install(rid, right);
            keys[left_i] = sep;
        }
        Ok(())
    }

    /// Reads `key` as this commit currently sees it.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let mut id = self.root;
        for _ in 0..=MAX_HEIGHT {
            if id.0 == 0 {
                return Ok(None);
            }
            match self.owned.get(&id) {
                Some(Node::Leaf(cells)) => {
                    return match cells.binary_search_by(|c| c.key.as_slice().cmp(key)) {
                        Ok(i) => match &cells[i].value {
                            LeafValue::Inline(v) => Ok(Some(v.clone())),
                            LeafValue::Overflow { first, len } => {
                                overflow::read_chain(self.store, *first, *len).map(Some)
                            }
                        },
                        Err(_) => Ok(None),
                    };
                }
                Some(Node::Branch { keys, children }) => {
                    id = children[keys.partition_point(|k| k.as_slice() <= key)];
                }
                None => {
                    let page = self.store.read_page(id)?;
                    let view = NodeView::open(&page, id)?;
                    if view.is_leaf() {
                        return match view.search(key)? {
                            Ok(i) => match view.value(i)? {
                                ValueRef::Inline(v) => Ok(Some(v.to_vec())),
                                ValueRef::Overflow { first, len } => {
                                    overflow::read_chain(self.store, first, len).map(Some)
                                }
                            },
                            Err(_) => Ok(None),
                        };
                    }
                    id = view.child(view.child_index(key)?)?;
                }
            }
        }
        Err(Error::corruption(id, "tree deeper than the maximum height"))
    }

    /// Ends the commit: installs every page it built, frees the pages of the previous tree it
    /// replaced, and returns the new root (`PageId(0)` if the tree is now empty).
    pub fn finish(self) -> Result<PageId> {
        for (id, node) in &self.owned {
            self.store
                .write_page(node.encode(self.page_size, *id, self.lsn)?)?;
        }
        for id in &self.retired {
            self.store.free(*id)?;
        }
        Ok(self.root)
    }

    /// Abandons the commit: frees every page it allocated; the previous root stays valid and
    /// nothing of it is freed.
    pub fn abort(self) -> Result<()> {
        for id in self.allocated {
            self.store.free(id)?;
        }
        Ok(())
    }
}

enum Step {
    Cell(usize),
    Child(usize, PageId),
}

/// Concatenates two sibling nodes; for branches the parent's separator comes down between them.
fn join(left: Node, sep: Vec<u8>, right: Node, id: PageId) -> Result<Node> {
    match (left, right) {
        (Node::Leaf(mut a), Node::Leaf(b)) => {
            a.extend(b);
            Ok(Node::Leaf(a))
        }
        (
            Node::Branch {
                mut keys,
                mut children,
            },
            Node::Branch {
                keys: k2,
                children: c2,
            },
        ) => {
            keys.push(sep);
            keys.extend(k2);
            children.extend(c2);
            Ok(Node::Branch { keys, children })
        }
        _ => Err(Error::corruption(
            id,
            "sibling nodes at different depths (a leaf next to a branch)",
        )),
    }
}

/// Splits an oversized node in two at its byte midpoint. `node` keeps the left half; returns
/// the separator for the parent and the right half.
fn split(node: &mut Node) -> (Vec<u8>, Node) {
    let total = node.size();
    match node {
        Node::Leaf(cells) => {
            let mut acc = 0;
            let mut at = cells.len() - 1;
            for (i, c) in cells.iter().enumerate() {
                acc += c.size();
                if acc * 2 >= total {
                    at = i + 1;
                    break;
                }
            }
            let at = at.clamp(1, cells.len() - 1);
            let right = cells.split_off(at);
            let sep = separator(&cells[at - 1].key, &right[0].key);
            (sep, Node::Leaf(right))
        }
        Node::Branch { keys, children } => {
            let mut acc = 0;
            let mut mid = keys.len() / 2;
            for (i, k) in keys.iter().enumerate() {
                acc += branch_cell_size(k);
                if acc * 2 >= total {
                    mid = i;
                    break;
                }
            }
            let mid = mid.clamp(1, keys.len().saturating_sub(2).max(1));
            let right_keys = keys.split_off(mid + 1);
            let sep = keys.pop().unwrap_or_default();
            let right_children = children.split_off(mid + 1);
            (
                sep,
                Node::Branch {
                    keys: right_keys,
                    children: right_children,
                },
            )
        }
    }
}
