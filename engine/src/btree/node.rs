//! Byte layout of B+tree nodes and validated zero-copy views over them (the writer edits its
//! own pages with [`super::nodebuf`]).
//!
//! Offsets below are relative to the page body (byte 24 of the page), little-endian.
//!
//! Leaf: `count u16 | reserved u16 | slots [6 bytes; count] | free space | cells`. Slot `i` holds
//! the body offset (u16) of the cell with the `i`-th smallest key and that key's first 4 bytes,
//! zero-padded. A cell is
//! `flags u8 | key_len u16 | value_len u32 | key | value` where, if flag bit 0 (overflow) is set,
//! `value` is the first overflow page id (u64) and `value_len` the total value length. Flag bits
//! 1..=7 are reserved (per-cell version bits) and must be zero in format version 1.
//!
//! Branch: `count u16 | reserved u16 | leftmost child u64 | slots [6 bytes; count] | free | cells`.
//! A cell is `key_len u16 | child u64 | key`. Child 0 (the leftmost) holds keys below separator
//! 0; the child of cell `i` holds keys `>= key i` and below key `i + 1`.
//!
//! Nothing read from a page is trusted: every accessor bounds-checks and returns
//! [`Error::Corruption`] naming the page instead of panicking.

#![deny(clippy::indexing_slicing)]

use std::cmp::Ordering;

use crate::error::{Error, Result};
use crate::storage::{Page, PageType};
use crate::types::PageId;
use crate::util::codec::{read_u8_at, read_u16_at, read_u32_at, read_u64_at};

/// The fields of node pages and cells, each named once (offsets from the start of the page
/// body, of a slot, or of a cell).
pub mod layout {
    use crate::util::codec::Field;

    /// Node header: number of cells.
    pub const COUNT: Field = Field::u16(0);
    /// Node header: reserved, zero.
    pub const RESERVED: Field = Field::zeros(2, 2);
    /// Branch header: the leftmost child.
    pub const LEFTMOST: Field = Field::u64(4);

    /// Slot: body offset of the cell.
    pub const SLOT_OFFSET: Field = Field::u16(0);
    /// Slot: the key's first bytes, zero-padded.
    pub const SLOT_PREFIX: Field = Field::bytes(2, 4);

    /// Leaf cell: flags.
    pub const LEAF_FLAGS: Field = Field::u8(0);
    /// Leaf cell: key length.
    pub const LEAF_KEY_LEN: Field = Field::u16(1);
    /// Leaf cell: value length (inline, or the whole overflow value).
    pub const LEAF_VALUE_LEN: Field = Field::u32(3);

    /// Branch cell: key length.
    pub const BRANCH_KEY_LEN: Field = Field::u16(0);
    /// Branch cell: the child holding keys from this cell's key on.
    pub const BRANCH_CHILD: Field = Field::u64(2);

    /// Bytes of an overflow pointer in a leaf cell (the first page id of the chain).
    pub const OVERFLOW_POINTER_LEN: usize = 8;
}

/// Bytes of one slot-array entry: the cell's body offset (u16) and the key's first
/// [`PREFIX_LEN`] bytes, zero-padded, so a binary search rarely has to visit the cell.
pub const SLOT_LEN: usize = layout::SLOT_PREFIX.end();
/// Key bytes copied into each slot.
pub const PREFIX_LEN: usize = layout::SLOT_PREFIX.width;

/// The slot prefix of `key`: its first [`PREFIX_LEN`] bytes, zero-padded. Ordering prefixes
/// orders keys, except that equal prefixes need a full comparison.
#[inline]
pub fn key_prefix(key: &[u8]) -> [u8; PREFIX_LEN] {
    let mut p = [0u8; PREFIX_LEN];
    for (dst, src) in p.iter_mut().zip(key) {
        *dst = *src;
    }
    p
}
/// Bytes of the leaf header (cell count + reserved).
pub const LEAF_HEADER_LEN: usize = layout::RESERVED.end();
/// Bytes of the branch header (cell count + reserved + leftmost child).
pub const BRANCH_HEADER_LEN: usize = layout::LEFTMOST.end();
/// Bytes of a leaf cell besides key and value: flags, key length, value length.
pub const LEAF_CELL_OVERHEAD: usize = layout::LEAF_VALUE_LEN.end();
/// Bytes of a branch cell besides the key: key length and child id.
pub const BRANCH_CELL_OVERHEAD: usize = layout::BRANCH_CHILD.end();

const _: () = assert!(
    SLOT_LEN == 6
        && LEAF_HEADER_LEN == 4
        && BRANCH_HEADER_LEN == 12
        && LEAF_CELL_OVERHEAD == 7
        && BRANCH_CELL_OVERHEAD == 10
);
/// Leaf cell flag: the value lives in an overflow chain.
pub const FLAG_OVERFLOW: u8 = 0x01;
/// Leaf cell flag bits that format version 1 does not define (reserved for versioning).
pub const FLAG_RESERVED: u8 = !FLAG_OVERFLOW;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    read_u16_at(b, at).ok()
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    read_u32_at(b, at).ok()
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    read_u64_at(b, at).ok()
}

/// A leaf cell's value as stored: inline bytes or a pointer to an overflow chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueRef<'a> {
    /// The value itself.
    Inline(&'a [u8]),
    /// The value lives in the overflow chain starting at `first`, `len` bytes in total.
    Overflow {
        /// First page of the chain.
        first: PageId,
        /// Total value length.
        len: u64,
    },
}

/// A validated, zero-copy view of a leaf or branch page.
#[derive(Clone, Copy, Debug)]
pub struct NodeView<'a> {
    body: &'a [u8],
    id: PageId,
    leaf: bool,
    count: usize,
}

impl<'a> NodeView<'a> {
    /// Checks the page's id, type and slot array bounds and wraps it.
    pub fn open(page: &'a Page, expected: PageId) -> Result<Self> {
        if page.id() != expected {
            return Err(Error::corruption(
                expected,
                format!("page header names {} (misdirected)", page.id()),
            ));
        }
        let leaf = match page.page_type() {
            Some(PageType::Leaf) => true,
            Some(PageType::Branch) => false,
            other => {
                return Err(Error::corruption(
                    expected,
                    format!("expected a B+tree node, found page type {other:?}"),
                ));
            }
        };
        let body = page.body();
        let count = u16_at(body, layout::COUNT.offset)
            .map(usize::from)
            .unwrap_or(usize::MAX);
        let view = NodeView {
            body,
            id: expected,
            leaf,
            count,
        };
        if view.slots_end() > body.len() {
            return Err(Error::corruption(
                expected,
                format!("cell count {count} overflows the page"),
            ));
        }
        Ok(view)
    }

    /// Rebuilds the view of a page that [`NodeView::open`] already accepted (its header was
    /// checked then; pages are immutable once shared), skipping the header checks.
    pub(crate) fn reopen(page: &'a Page, leaf: bool, count: usize) -> Self {
        NodeView {
            body: page.body(),
            id: page.id(),
            leaf,
            count,
        }
    }

    /// Whether this is a leaf.
    pub fn is_leaf(&self) -> bool {
        self.leaf
    }

    /// Number of cells (entries in a leaf, separators in a branch).
    pub fn count(&self) -> usize {
        self.count
    }

    /// The page this view reads.
    pub fn id(&self) -> PageId {
        self.id
    }

    fn header_len(&self) -> usize {
        if self.leaf {
            LEAF_HEADER_LEN
        } else {
            BRANCH_HEADER_LEN
        }
    }

    /// Body offset just past the slot array (where cells may begin).
    pub fn slots_end(&self) -> usize {
        self.header_len()
            .saturating_add(self.count.saturating_mul(SLOT_LEN))
    }

    fn bad(&self, detail: String) -> Error {
        Error::corruption(self.id, detail)
    }

    /// Body offset of cell `i`, checked to lie after the slot array and inside the page.
    pub fn cell_offset(&self, i: usize) -> Result<usize> {
        let off = u16_at(
            self.body,
            self.header_len() + i * SLOT_LEN + layout::SLOT_OFFSET.offset,
        )
        .map(usize::from)
        .ok_or_else(|| self.bad(format!("slot {i} out of range")))?;
        if off < self.slots_end() || off >= self.body.len() {
            return Err(self.bad(format!("cell {i} offset {off} outside the cell area")));
        }
        Ok(off)
    }

    /// Key of cell `i`.
    pub fn key(&self, i: usize) -> Result<&'a [u8]> {
        let off = self.cell_offset(i)?;
        let (len_at, key_at) = if self.leaf {
            (off + layout::LEAF_KEY_LEN.offset, off + LEAF_CELL_OVERHEAD)
        } else {
            (
                off + layout::BRANCH_KEY_LEN.offset,
                off + BRANCH_CELL_OVERHEAD,
            )
        };
        let len = u16_at(self.body, len_at).map(usize::from);
        len.and_then(|len| self.body.get(key_at..key_at + len))
            .ok_or_else(|| self.bad(format!("cell {i} key runs past the page")))
    }

    /// Full leaf cell `i`: flags, key and value reference. Only valid on leaves.
    pub fn leaf_cell(&self, i: usize) -> Result<(u8, &'a [u8], ValueRef<'a>)> {
        let off = self.cell_offset(i)?;
        let b = self.body;
        let bad = || self.bad(format!("leaf cell {i} runs past the page"));
        let flags = read_u8_at(b, off + layout::LEAF_FLAGS.offset).map_err(|_| bad())?;
        let klen = usize::from(u16_at(b, off + layout::LEAF_KEY_LEN.offset).ok_or_else(bad)?);
        let vlen = u32_at(b, off + layout::LEAF_VALUE_LEN.offset).ok_or_else(bad)?;
        let key_at = off + LEAF_CELL_OVERHEAD;
        let key = b.get(key_at..key_at + klen).ok_or_else(bad)?;
        let val_at = key_at + klen;
        let value = if flags & FLAG_OVERFLOW != 0 {
            let first = u64_at(b, val_at).ok_or_else(bad)?;
            ValueRef::Overflow {
                first: PageId(first),
                len: u64::from(vlen),
            }
        } else {
            ValueRef::Inline(b.get(val_at..val_at + vlen as usize).ok_or_else(bad)?)
        };
        Ok((flags, key, value))
    }

    /// Value of leaf cell `i`.
    pub fn value(&self, i: usize) -> Result<ValueRef<'a>> {
        Ok(self.leaf_cell(i)?.2)
    }

    /// Child `i` of a branch, `0..=count`; child 0 is the leftmost.
    pub fn child(&self, i: usize) -> Result<PageId> {
        let raw = if i == 0 {
            u64_at(self.body, layout::LEFTMOST.offset)
        } else {
            let off = self.cell_offset(i - 1)?;
            u64_at(self.body, off + layout::BRANCH_CHILD.offset)
        };
        match raw {
            Some(0) | None => Err(self.bad(format!("child {i} is missing or zero"))),
            Some(id) => Ok(PageId(id)),
        }
    }

    /// Leaf: binary search for `key`: `Ok(i)` if cell `i` holds it, `Err(i)` for the insertion
    /// point.
    pub fn search(&self, key: &[u8]) -> Result<std::result::Result<usize, usize>> {
        // Prefixes compare as big-endian integers: one integer comparison per probe.
        let want = u32::from_be_bytes(key_prefix(key));
        let h = self.header_len();
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let at = h + mid * SLOT_LEN + layout::SLOT_PREFIX.offset;
            let prefix = self
                .body
                .get(at..at + PREFIX_LEN)
                .and_then(|b| <[u8; PREFIX_LEN]>::try_from(b).ok())
                .ok_or_else(|| self.bad(format!("slot {mid} out of range")))?;
            let ord = match u32::from_be_bytes(prefix).cmp(&want) {
                Ordering::Equal => self.key(mid)?.cmp(key),
                other => other,
            };
            match ord {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Ok(Ok(mid)),
            }
        }
        Ok(Err(lo))
    }

    /// The key prefix stored in slot `i`.
    pub fn slot_prefix(&self, i: usize) -> Result<&'a [u8]> {
        let at = self.header_len() + i * SLOT_LEN + layout::SLOT_PREFIX.offset;
        self.body
            .get(at..at + PREFIX_LEN)
            .ok_or_else(|| self.bad(format!("slot {i} out of range")))
    }

    /// Number of cells whose key is `<= key` (`inclusive`) or `< key` (not inclusive).
    pub fn rank(&self, key: &[u8], inclusive: bool) -> Result<usize> {
        Ok(match self.search(key)? {
            Ok(i) if inclusive => i + 1,
            Ok(i) => i,
            Err(i) => i,
        })
    }

    /// Branch: index of the child whose key range contains `key`.
    pub fn child_index(&self, key: &[u8]) -> Result<usize> {
        self.rank(key, true)
    }
}

/// The shortest key `s` with `left < s <= right` (a prefix of `right`), used as the separator
/// between two leaves so branches hold short keys. Requires `left < right`.
pub fn separator(left: &[u8], right: &[u8]) -> Vec<u8> {
    let common = left.iter().zip(right).take_while(|(a, b)| a == b).count();
    right.iter().take(common + 1).copied().collect()
}
