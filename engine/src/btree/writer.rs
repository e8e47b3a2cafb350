//! [`TreeWriter`]: applies one commit's puts and deletes copy-on-write.
//!
//! Steps of a commit:
//! 1. `TreeWriter::new(store, root, lsn)` pins the previous root; nothing is read yet.
//! 2. Each `put`/`delete` descends from the current root. The first time a page reachable from
//!    the previous root must change, it is validated, copied to a freshly allocated id, and its
//!    old id is queued to be freed. Pages this writer allocated are edited in place (in memory,
//!    see [`super::nodebuf`]) for the rest of the commit.
//! 3. An oversized node is split (leaves at the byte midpoint, with a shortened separator);
//!    an underfull node is merged with a sibling, or the two are redistributed; an empty root
//!    leaf or a branch root with a single child is collapsed.
//! 4. `finish` stamps every owned page with the commit's LSN, installs them with
//!    [`PageStore::write_page`], then frees the old ids and returns the new root. Readers never
//!    see a half-built tree: nothing they can reach changed.
//!
//! A sorted batch mostly lands in the leaf the previous put used: the writer remembers that leaf
//! and the key interval its path assigns it ([`LeafHint`]), and a put inside the interval whose
//! cell fits goes straight to it, so a batch descends about once per leaf rather than once per
//! key. A split of that leaf, or any delete, forgets it.
//!
//! Large values are written to overflow chains as they are put; chains that a commit replaces
//! or deletes are freed. After an error the writer must be dropped (or [`TreeWriter::abort`]ed):
//! its in-memory tree may be partly updated.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use crate::error::{Error, Result};
use crate::storage::{Page, PageStore, PageType};
use crate::types::{Lsn, PageId};

use super::node::{NodeView, SLOT_LEN, ValueRef, separator};
use super::nodebuf as nb;
use super::{MAX_HEIGHT, MAX_VALUE_LEN, body_len, is_inline, max_key_len, overflow};

/// A hasher for page ids: one multiply, enough to spread sequential ids over a table.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type IdMap<V> = HashMap<PageId, V, BuildHasherDefault<IdHasher>>;
type IdSet = HashSet<PageId, BuildHasherDefault<IdHasher>>;

/// An overflow chain a replaced or deleted value used: `(first page, length)`.
type Chain = Option<(PageId, u64)>;

/// The writer of one commit. See the module documentation for the protocol.
pub struct TreeWriter<'s, S: PageStore + ?Sized> {
    store: &'s S,
    root: PageId,
    lsn: Lsn,
    page_size: usize,
    /// Node pages allocated by this writer, keyed by their id.
    owned: IdMap<Page>,
    /// Every page id this writer allocated and has not freed (tree nodes and overflow pages).
    allocated: IdSet,
    /// Pages of the previous tree this commit replaced; freed at `finish`.
    retired: Vec<PageId>,
    /// The leaf the previous put went to, if it is still where the hint says.
    hint: LeafHint,
}

/// The leaf the last descending put inserted into without splitting, with the key interval
/// `[low, high)` its path assigns it (an absent bound is unbounded). Bounds come from the
/// separators beside the leaf's pointer in its parent (or an ancestor's, at an edge): they move
/// only when that leaf itself splits or merges, which clears the hint. The buffers are reused
/// from one descent to the next.
#[derive(Default)]
struct LeafHint {
    /// `PageId(0)`: no hint.
    id: PageId,
    low: Option<Vec<u8>>,
    high: Option<Vec<u8>>,
}

impl LeafHint {
    fn clear(&mut self) {
        self.id = PageId(0);
    }

    fn set(&mut self, id: PageId, Interval { low, high }: Interval<'_>) {
        fn keep(buf: &mut Option<Vec<u8>>, bound: Option<&[u8]>) {
            match (bound, buf.as_mut()) {
                (Some(b), Some(v)) => {
                    v.clear();
                    v.extend_from_slice(b);
                }
                (Some(b), None) => *buf = Some(b.to_vec()),
                (None, _) => *buf = None,
            }
        }
        self.id = id;
        keep(&mut self.low, low);
        keep(&mut self.high, high);
    }

    /// The hinted leaf, if `key` falls inside its interval.
    fn leaf_for(&self, key: &[u8]) -> Option<PageId> {
        let inside = self.id.0 != 0
            && self.low.as_deref().is_none_or(|low| key >= low)
            && self.high.as_deref().is_none_or(|high| key < high);
        inside.then_some(self.id)
    }
}

/// The keys a node of the path is responsible for, `[low, high)`; an absent bound is
/// unbounded.
#[derive(Clone, Copy, Default)]
struct Interval<'k> {
    low: Option<&'k [u8]>,
    high: Option<&'k [u8]>,
}

/// What a recursive insert reports to its parent.
struct Inserted {
    id: PageId,
    split: Option<(Vec<u8>, PageId)>,
    /// `Some` if a value was replaced; its overflow chain, if it had one.
    old: Option<Chain>,
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
            owned: IdMap::default(),
            allocated: IdSet::default(),
            retired: Vec::new(),
            hint: LeafHint::default(),
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

    fn release_chain(&mut self, chain: Chain) -> Result<()> {
        if let Some((first, len)) = chain {
            for id in overflow::chain_pages(self.store, first, len)? {
                self.release(id)?;
            }
        }
        Ok(())
    }

    /// Removes node `id` from the tree for modification, copying it first if it belongs to the
    /// previous tree. Returns its (possibly new) id; the caller puts it back with `install`.
    fn take(&mut self, id: PageId) -> Result<(PageId, Page)> {
        if let Some(page) = self.owned.remove(&id) {
            return Ok((id, page));
        }
        // A node image a writer built in this process is valid by construction; anything read
        // from disk (or of another type) is checked in full before it is edited.
        let (shared, written) = self.store.read_page_written(id)?;
        let mut page = self.store.copy_page(&shared);
        drop(shared);
        let built_node = matches!(page.page_type(), Some(PageType::Leaf | PageType::Branch));
        if !(written && built_node && page.id() == id) {
            nb::validate(&page, id)?;
        }
        let new = self.alloc()?;
        page.set_id(new);
        self.retired.push(id);
        Ok((new, page))
    }

    fn install(&mut self, id: PageId, page: Page) {
        self.owned.insert(id, page);
    }

    /// A node page: owned by this commit, or read from the store.
    fn node(&self, id: PageId) -> Result<NodeRef<'_>> {
        match self.owned.get(&id) {
            Some(p) => Ok(NodeRef::Owned(p)),
            None => Ok(NodeRef::Shared(self.store.read_page(id)?)),
        }
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
        let cell = if is_inline(self.page_size, key.len(), value.len()) {
            nb::leaf_cell(key, value, None)
        } else {
            let first = overflow::write_chain(self.store, value, self.lsn, || {
                let id = self.store.allocate()?;
                self.allocated.insert(id);
                Ok(id)
            })?;
            nb::leaf_cell(key, &[], Some((first, value.len() as u64)))
        };
        if self.root.0 == 0 {
            let id = self.alloc()?;
            let page = nb::build(self.page_size, id, self.lsn, None, &[&cell]);
            self.install(id, page);
            self.root = id;
            return Ok(false);
        }
        if self.insert_hinted(key, &cell)? {
            return Ok(false);
        }
        let done = self.insert(self.root, key, &cell, 0, true, Interval::default())?;
        self.root = done.id;
        if let Some((sep, right)) = done.split {
            let id = self.alloc()?;
            let c = nb::branch_cell(&sep, right);
            let page = nb::build(self.page_size, id, self.lsn, Some(done.id), &[&c]);
            self.install(id, page);
            self.root = id;
        }
        match done.old {
            Some(chain) => {
                self.release_chain(chain)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Inserts `cell` for a new `key` straight into the hinted leaf, if `key` falls in its
    /// interval and the cell fits there without a split. `false`: nothing changed; the caller
    /// descends from the root (a replaced key always does, so its old overflow chain is freed
    /// by the one path that handles it).
    fn insert_hinted(&mut self, key: &[u8], cell: &[u8]) -> Result<bool> {
        let Some(id) = self.hint.leaf_for(key) else {
            return Ok(false);
        };
        let Some(page) = self.owned.get_mut(&id) else {
            self.hint.clear();
            return Ok(false);
        };
        let Err(pos) = NodeView::open(page, id)?.search(key)? else {
            return Ok(false);
        };
        Ok(nb::insert(page, pos, cell))
    }

    /// Inserts `cell` (for `key`) below node `id`, whose keys lie in `interval`. `rightmost`:
    /// the node is on the tree's right edge (every ancestor descended into its last child),
    /// where an append splits off only the new cell so that an ascending load leaves full pages
    /// behind. The leaf it ends in becomes the hint unless it split.
    fn insert(
        &mut self,
        id: PageId,
        key: &[u8],
        cell: &[u8],
        depth: usize,
        rightmost: bool,
        interval: Interval<'_>,
    ) -> Result<Inserted> {
        if depth > MAX_HEIGHT {
            return Err(Error::corruption(id, "tree deeper than the maximum height"));
        }
        let (id, mut page) = self.take(id)?;
        let mut old = None;
        let view = NodeView::open(&page, id)?;
        let (pos, new_cell): (usize, Option<Cow<'_, [u8]>>) = if view.is_leaf() {
            match view.search(key)? {
                Ok(i) => {
                    old = Some(nb::cell_overflow(nb::raw_cell(&page, i)));
                    nb::remove(&mut page, i);
                    (i, Some(Cow::Borrowed(cell)))
                }
                Err(i) => (i, Some(Cow::Borrowed(cell))),
            }
        } else {
            let idx = view.child_index(key)?;
            let child = view.child(idx)?;
            let last = rightmost && idx == view.count();
            let below = Interval {
                low: if idx > 0 {
                    Some(view.key(idx - 1)?)
                } else {
                    interval.low
                },
                high: if idx < view.count() {
                    Some(view.key(idx)?)
                } else {
                    interval.high
                },
            };
            let done = self.insert(child, key, cell, depth + 1, last, below)?;
            old = done.old;
            nb::set_child(&mut page, idx, done.id);
            (
                idx,
                done.split
                    .map(|(sep, right)| Cow::Owned(nb::branch_cell(&sep, right))),
            )
        };
        let mut split = None;
        let leaf = nb::is_leaf(&page);
        if let Some(new_cell) = new_cell
            && !nb::insert(&mut page, pos, &new_cell)
        {
            let mut cells = nb::cells(&page);
            let append = rightmost && pos == cells.len();
            cells.insert(pos, new_cell.into_owned());
            let (sep, right) = self.split_into(&mut page, cells, append)?;
            split = Some((sep, right));
        }
        if leaf {
            match split {
                None => self.hint.set(id, interval),
                Some(_) => self.hint.clear(),
            }
        }
        self.install(id, page);
        Ok(Inserted { id, split, old })
    }

    /// Rebuilds `page` from the first half of `cells` (all but the last if `append`) and a new
    /// right sibling from the rest; returns the separator and the sibling's id.
    fn split_into(
        &mut self,
        page: &mut Page,
        cells: Vec<Vec<u8>>,
        append: bool,
    ) -> Result<(Vec<u8>, PageId)> {
        let rid = self.alloc()?;
        let (sep, right) = split_cells(page, cells, rid, self.lsn, append);
        self.install(rid, right);
        Ok((sep, rid))
    }

    /// Removes `key`; returns whether it was present. A missing key changes nothing.
    pub fn delete(&mut self, key: &[u8]) -> Result<bool> {
        self.check_key(key)?;
        // A delete can merge or redistribute leaves, moving their intervals.
        self.hint.clear();
        if self.root.0 == 0 {
            return Ok(false);
        }
        let Some((id, old, _)) = self.remove(self.root, key, 0)? else {
            return Ok(false);
        };
        self.root = id;
        self.release_chain(old)?;
        self.collapse_root()?;
        Ok(true)
    }

    /// Shrinks the tree while the root is an empty leaf or a branch with one child.
    fn collapse_root(&mut self) -> Result<()> {
        loop {
            let root = self.root;
            let next = match self.owned.get(&root) {
                Some(p) if nb::count(p) == 0 && nb::is_leaf(p) => PageId(0),
                Some(p) if nb::count(p) == 0 => nb::child(p, 0),
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
    /// id, the removed value's overflow chain and whether the node is now underfull.
    fn remove(
        &mut self,
        id: PageId,
        key: &[u8],
        depth: usize,
    ) -> Result<Option<(PageId, Chain, bool)>> {
        if depth > MAX_HEIGHT {
            return Err(Error::corruption(id, "tree deeper than the maximum height"));
        }
        // Find the cell, or the child to descend into, without copying anything.
        let (leaf, pos, child) = {
            let node = self.node(id)?;
            let view = NodeView::open(node.page(), id)?;
            if view.is_leaf() {
                match view.search(key)? {
                    Ok(i) => (true, i, PageId(0)),
                    Err(_) => return Ok(None),
                }
            } else {
                let idx = view.child_index(key)?;
                (false, idx, view.child(idx)?)
            }
        };
        let min_fill = body_len(self.page_size) / 4;
        if leaf {
            let (id, mut page) = self.take(id)?;
            let old = nb::cell_overflow(nb::raw_cell(&page, pos));
            nb::remove(&mut page, pos);
            let under = nb::used(&page) < min_fill;
            self.install(id, page);
            return Ok(Some((id, old, under)));
        }
        let Some((cid, old, child_under)) = self.remove(child, key, depth + 1)? else {
            return Ok(None);
        };
        let (id, mut page) = self.take(id)?;
        nb::set_child(&mut page, pos, cid);
        if child_under {
            self.fix_underflow(&mut page, pos)?;
        }
        let under = nb::used(&page) < min_fill;
        self.install(id, page);
        Ok(Some((id, old, under)))
    }

    /// Child `idx` of `parent` is underfull: merge it with a neighbour if both fit in one page,
    /// otherwise redistribute their cells evenly.
    fn fix_underflow(&mut self, parent: &mut Page, idx: usize) -> Result<()> {
        let n = nb::count(parent);
        if n == 0 {
            return Ok(());
        }
        let left_i = if idx < n { idx } else { idx - 1 };
        let (lid, left) = self.take(nb::child(parent, left_i))?;
        let (rid, right) = self.take(nb::child(parent, left_i + 1))?;
        if nb::is_leaf(&left) != nb::is_leaf(&right) {
            return Err(Error::corruption(
                lid,
                "sibling nodes at different depths (a leaf next to a branch)",
            ));
        }
        let leaf = nb::is_leaf(&left);
        let mut cells = nb::cells(&left);
        if !leaf {
            let sep = nb::cell_key(nb::raw_cell(parent, left_i), false);
            cells.push(nb::branch_cell(sep, nb::child(&right, 0)));
        }
        cells.extend(nb::cells(&right));
        let leftmost = (!leaf).then(|| nb::child(&left, 0));
        let total: usize =
            cells.iter().map(|c| c.len() + SLOT_LEN).sum::<usize>() + if leaf { 4 } else { 12 };
        let old_sep = nb::cell_key(nb::raw_cell(parent, left_i), false).to_vec();
        nb::remove(parent, left_i);
        nb::set_child(parent, left_i, lid);
        if total <= body_len(self.page_size) {
            let refs: Vec<&[u8]> = cells.iter().map(Vec::as_slice).collect();
            let merged = nb::build(self.page_size, lid, self.lsn, leftmost, &refs);
            self.install(lid, merged);
            self.install(rid, right);
            return self.release(rid);
        }
        let mut new_left = nb::build(self.page_size, lid, self.lsn, leftmost, &[]);
        let (sep, new_right) = split_cells(&mut new_left, cells, rid, self.lsn, false);
        if nb::insert(parent, left_i, &nb::branch_cell(&sep, rid)) {
            self.install(lid, new_left);
            self.install(rid, new_right);
        } else {
            // The new separator is longer than the old one and the parent is full: keep the
            // two children as they were (the left one stays underfull, which is allowed).
            // The old separator fits again: its cell was just removed.
            if !nb::insert(parent, left_i, &nb::branch_cell(&old_sep, rid)) {
                return Err(Error::corruption(
                    lid,
                    "parent lost room for its own separator",
                ));
            }
            self.install(lid, left);
            self.install(rid, right);
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
            let node = self.node(id)?;
            let view = NodeView::open(node.page(), id)?;
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
        Err(Error::corruption(id, "tree deeper than the maximum height"))
    }

    /// Ends the commit: installs every page it built, frees the pages of the previous tree it
    /// replaced, and returns the new root (`PageId(0)` if the tree is now empty).
    pub fn finish(self) -> Result<PageId> {
        for (_, mut page) in self.owned {
            page.set_lsn(self.lsn);
            self.store.write_page(page)?;
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

/// A node page borrowed from the writer or shared from the store.
enum NodeRef<'a> {
    Owned(&'a Page),
    Shared(std::sync::Arc<Page>),
}

impl NodeRef<'_> {
    fn page(&self) -> &Page {
        match self {
            NodeRef::Owned(p) => p,
            NodeRef::Shared(p) => p,
        }
    }
}

/// Splits `cells` (the full contents of `page`, in order) at the byte midpoint, or, if
/// `append` (the last cell is new and sits at the tree's right edge), just before the last
/// cell: the old cells stay together and fit, as they did before. `page` is rebuilt with the
/// left part, the right part becomes a new page `rid`. Returns the separator for the parent and
/// the right page. For a branch, the middle cell's key moves up and its child becomes the right
/// page's leftmost child.
fn split_cells(
    page: &mut Page,
    mut cells: Vec<Vec<u8>>,
    rid: PageId,
    lsn: Lsn,
    append: bool,
) -> (Vec<u8>, Page) {
    let leaf = nb::is_leaf(page);
    let total: usize = cells.iter().map(|c| c.len() + SLOT_LEN).sum();
    let mut acc = 0;
    let mut at = cells.len() / 2;
    for (i, c) in cells.iter().enumerate() {
        acc += c.len() + SLOT_LEN;
        if acc * 2 >= total {
            at = if leaf { i + 1 } else { i };
            break;
        }
    }
    if append {
        // Leaf: everything but the new cell stays. Branch: the last old cell moves up.
        at = if leaf {
            cells.len() - 1
        } else {
            cells.len().saturating_sub(2)
        };
    }
    let ps = page.size();
    let (id, leftmost) = (page.id(), (!leaf).then(|| nb::child(page, 0)));
    if leaf {
        let at = at.clamp(1, cells.len() - 1);
        let right = cells.split_off(at);
        let sep = separator(
            nb::cell_key(&cells[at - 1], true),
            nb::cell_key(&right[0], true),
        );
        let l: Vec<&[u8]> = cells.iter().map(Vec::as_slice).collect();
        let r: Vec<&[u8]> = right.iter().map(Vec::as_slice).collect();
        *page = nb::build(ps, id, lsn, None, &l);
        (sep, nb::build(ps, rid, lsn, None, &r))
    } else {
        let mid = at.clamp(1, cells.len().saturating_sub(2).max(1));
        let right = cells.split_off(mid + 1);
        let up = cells.pop().unwrap_or_default();
        let sep = nb::cell_key(&up, false).to_vec();
        let r_leftmost = nb::cell_child(&up);
        let l: Vec<&[u8]> = cells.iter().map(Vec::as_slice).collect();
        let r: Vec<&[u8]> = right.iter().map(Vec::as_slice).collect();
        *page = nb::build(ps, id, lsn, leftmost, &l);
        (sep, nb::build(ps, rid, lsn, Some(r_leftmost), &r))
    }
}
