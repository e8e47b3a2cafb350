//! The copy-on-write B+tree: an ordered map from byte keys to byte values, stored in pages.
//!
//! * [`node`] — the byte layout of leaf and branch pages: zero-copy validated views for readers
//!   and owned, decoded nodes for the writer.
//! * [`overflow`] — chains of overflow pages holding values too large to live inline in a leaf.
//! * [`writer`] — [`TreeWriter`], the single writer of one commit: copy-on-write of every page
//!   reachable from the previous root, splits, merges and redistribution, root collapse.
//! * [`read`] — [`get`] and the lazy [`Range`] iterator (forward and reverse) over a pinned root.
//! * [`mod@check`] — [`fn@check`] walks a whole tree and reports every structural problem it finds;
//!   [`stats`] summarises a tree's shape.
//! * [`mem_store`] — [`MemStore`], an in-memory [`crate::storage::PageStore`] that audits ids,
//!   allocations and frees; used by tests and benchmarks.
//!
//! The tree only talks to storage through [`crate::storage::PageStore`]. A commit never modifies
//! a page reachable from the root it started from: readers that pinned that root keep seeing a
//! consistent snapshot. The byte layouts are documented in `engine/FORMAT.md` ("B+tree").

pub mod check;
pub mod mem_store;
pub mod node;
pub mod nodebuf;
pub mod overflow;
pub mod read;
pub mod writer;

#[cfg(test)]
mod tests;

pub use check::{Finding, TreeReport, TreeStats, check, stats};
pub use mem_store::MemStore;
pub use read::{Range, get};
pub use writer::TreeWriter;

use crate::storage::page::PAGE_HEADER_LEN;

/// The largest key the engine accepts, in bytes, on any page size. Small page sizes lower the
/// effective limit (see [`max_key_len`]) so that at least four cells always fit in a node.
pub const MAX_KEY_LEN: usize = 1024;

/// The largest value the engine accepts, in bytes.
pub const MAX_VALUE_LEN: usize = 64 << 20;

/// The largest number of levels a tree may have; a deeper walk means a corrupt (cyclic) tree.
pub const MAX_HEIGHT: usize = 32;

/// Bytes of a page available to a node (the page minus the common page header).
pub fn body_len(page_size: usize) -> usize {
    page_size - PAGE_HEADER_LEN
}

/// The largest encoded cell, slot included, a node accepts: a quarter of the room after the
/// largest node header, so that every node can hold at least four cells and a split always
/// leaves two halves that fit.
pub fn max_cell_len(page_size: usize) -> usize {
    (body_len(page_size) - node::BRANCH_HEADER_LEN) / 4 - node::SLOT_LEN
}

/// The longest key accepted by a tree with pages of `page_size` bytes: [`MAX_KEY_LEN`], or less
/// on small pages (994 bytes on 4 KiB pages).
pub fn max_key_len(page_size: usize) -> usize {
    let overhead = (node::LEAF_CELL_OVERHEAD + 8).max(node::BRANCH_CELL_OVERHEAD);
    MAX_KEY_LEN.min(max_cell_len(page_size) - overhead)
}

/// Whether a value of `value_len` bytes under a key of `key_len` bytes is stored inline in the
/// leaf (otherwise it goes to an overflow chain). Roughly values up to a quarter page are inline.
pub fn is_inline(page_size: usize, key_len: usize, value_len: usize) -> bool {
    node::LEAF_CELL_OVERHEAD + key_len + value_len <= max_cell_len(page_size)
}
