//! Byte layout of B+tree nodes, read through validated zero-copy views and rebuilt from owned,
//! decoded nodes.
//!
//! Offsets below are relative to the page body (byte 24 of the page), little-endian.
//!
//! Leaf: `count u16 | reserved u16 | slots [u16; count] | free space | cells`. Slot `i` holds the
//! body offset of the cell with the `i`-th smallest key. A cell is
//! `flags u8 | key_len u16 | value_len u32 | key | value` where, if flag bit 0 (overflow) is set,
//! `value` is the first overflow page id (u64) and `value_len` the total value length. Flag bits
//! 1..=7 are reserved (per-cell version bits) and must be zero in format version 1.
//!
//! Branch: `count u16 | reserved u16 | leftmost child u64 | slots [u16; count] | free | cells`.
//! A cell is `key_len u16 | child u64 | key`. Child 0 (the leftmost) holds keys below separator
//! 0; the child of cell `i` holds keys `>= key i` and below key `i + 1`.
//!
//! Nothing read from a page is trusted: every accessor bounds-checks and returns
//! [`Error::Corruption`] naming the page instead of panicking.

use std::cmp::Ordering;

use crate::error::{Error, Result};
use crate::storage::{Page, PageType};
use crate::types::{Lsn, PageId};

/// Bytes of one slot-array entry.
pub const SLOT_LEN: usize = 2;
/// Bytes of the leaf header (cell count + reserved).
pub const LEAF_HEADER_LEN: usize = 4;
/// Bytes of the branch header (cell count + reserved + leftmost child).
pub const BRANCH_HEADER_LEN: usize = 12;
/// Bytes of a leaf cell besides key and value: flags, key length, value length.
pub const LEAF_CELL_OVERHEAD: usize = 7;
/// Bytes of a branch cell besides the key: key length and child id.
pub const BRANCH_CELL_OVERHEAD: usize = 10;
/// Leaf cell flag: the value lives in an overflow chain.
pub const FLAG_OVERFLOW: u8 = 0x01;
/// Leaf cell flag bits that format version 1 does not define (reserved for versioning).
pub const FLAG_RESERVED: u8 = !FLAG_OVERFLOW;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
pub(crate) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
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
        let count = u16_at(body, 0).map(usize::from).unwrap_or(usize::MAX);
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
        let off = u16_at(self.body, self.header_len() + i * SLOT_LEN)
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
            (off + 1, off + LEAF_CELL_OVERHEAD)
        } else {
            (off, off + BRANCH_CELL_OVERHEAD)
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
        let flags = *b.get(off).ok_or_else(bad)?;
        let klen = usize::from(u16_at(b, off + 1).ok_or_else(bad)?);
        let vlen = u32_at(b, off + 3).ok_or_else(bad)?;
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
            u64_at(self.body, 4)
        } else {
            let off = self.cell_offset(i - 1)?;
            u64_at(self.body, off + 2)
        };
        match raw {
            Some(0) | None => Err(self.bad(format!("child {i} is missing or zero"))),
            Some(id) => Ok(PageId(id)),
        }
    }

    /// Leaf: binary search for `key`: `Ok(i)` if cell `i` holds it, `Err(i)` for the insertion
    /// point.
    pub fn search(&self, key: &[u8]) -> Result<std::result::Result<usize, usize>> {
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.key(mid)?.cmp(key) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Ok(Ok(mid)),
            }
        }
        Ok(Err(lo))
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

/// An owned leaf value: inline bytes or an overflow chain pointer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeafValue {
    /// The value bytes.
    Inline(Vec<u8>),
    /// A value in an overflow chain.
    Overflow {
        /// First page of the chain.
        first: PageId,
        /// Total length.
        len: u64,
    },
}

/// One owned leaf cell.
#[derive(Clone, Debug)]
pub struct LeafCell {
    /// Flag bits other than [`FLAG_OVERFLOW`], preserved as read.
    pub flags: u8,
    /// The key.
    pub key: Vec<u8>,
    /// The value.
    pub value: LeafValue,
}

impl LeafCell {
    /// Encoded size including its slot.
    pub fn size(&self) -> usize {
        let v = match &self.value {
            LeafValue::Inline(v) => v.len(),
            LeafValue::Overflow { .. } => 8,
        };
        SLOT_LEN + LEAF_CELL_OVERHEAD + self.key.len() + v
    }
}

/// A decoded, mutable node owned by the writer of the current commit.
#[derive(Clone, Debug)]
pub enum Node {
    /// Leaf cells sorted by key.
    Leaf(Vec<LeafCell>),
    /// Separator keys and children (`children.len() == keys.len() + 1`).
    Branch {
        /// Separator keys, sorted.
        keys: Vec<Vec<u8>>,
        /// Child page ids.
        children: Vec<PageId>,
    },
}

/// Encoded size of a branch cell including its slot.
pub fn branch_cell_size(key: &[u8]) -> usize {
    SLOT_LEN + BRANCH_CELL_OVERHEAD + key.len()
}

impl Node {
    /// Decodes a validated page into an owned node.
    pub fn decode(view: &NodeView<'_>) -> Result<Node> {
        if view.is_leaf() {
            let mut cells = Vec::with_capacity(view.count());
            for i in 0..view.count() {
                let (flags, key, value) = view.leaf_cell(i)?;
                let value = match value {
                    ValueRef::Inline(v) => LeafValue::Inline(v.to_vec()),
                    ValueRef::Overflow { first, len } => LeafValue::Overflow { first, len },
                };
                cells.push(LeafCell {
                    flags: flags & !FLAG_OVERFLOW,
                    key: key.to_vec(),
                    value,
                });
            }
            Ok(Node::Leaf(cells))
        } else {
            let mut keys = Vec::with_capacity(view.count());
            let mut children = Vec::with_capacity(view.count() + 1);
            children.push(view.child(0)?);
            for i in 0..view.count() {
                keys.push(view.key(i)?.to_vec());
                children.push(view.child(i + 1)?);
            }
            Ok(Node::Branch { keys, children })
        }
    }

    /// Encoded size in bytes of the page body this node needs.
    pub fn size(&self) -> usize {
        match self {
            Node::Leaf(cells) => LEAF_HEADER_LEN + cells.iter().map(LeafCell::size).sum::<usize>(),
            Node::Branch { keys, .. } => {
                BRANCH_HEADER_LEN + keys.iter().map(|k| branch_cell_size(k)).sum::<usize>()
            }
        }
    }

    /// Encodes the node into a fresh page `id` stamped with `lsn`. The caller guarantees that
    /// the node fits (`size() <= body_len`); the writer splits before it gets here.
    pub fn encode(&self, page_size: usize, id: PageId, lsn: Lsn) -> Result<Page> {
        let ty = match self {
            Node::Leaf(_) => PageType::Leaf,
            Node::Branch { .. } => PageType::Branch,
        };
        let mut page = Page::new(page_size, id, ty);
        page.set_lsn(lsn);
        let body = page.body_mut();
        if self.size() > body.len() {
            return Err(Error::InvalidArgument(format!(
                "node for {id} needs {} bytes, page body holds {}",
                self.size(),
                body.len()
            )));
        }
        let mut end = body.len();
        match self {
            Node::Leaf(cells) => {
                body[0..2].copy_from_slice(&(cells.len() as u16).to_le_bytes());
                for (i, c) in cells.iter().enumerate() {
                    let (flags, vbytes): (u8, std::borrow::Cow<'_, [u8]>) = match &c.value {
                        LeafValue::Inline(v) => (c.flags, v.as_slice().into()),
                        LeafValue::Overflow { first, .. } => (
                            c.flags | FLAG_OVERFLOW,
                            first.0.to_le_bytes().to_vec().into(),
                        ),
                    };
                    let vlen = match &c.value {
                        LeafValue::Inline(v) => v.len() as u32,
                        LeafValue::Overflow { len, .. } => *len as u32,
                    };
                    let len = LEAF_CELL_OVERHEAD + c.key.len() + vbytes.len();
                    end -= len;
                    let cell = &mut body[end..end + len];
                    cell[0] = flags;
                    cell[1..3].copy_from_slice(&(c.key.len() as u16).to_le_bytes());
                    cell[3..7].copy_from_slice(&vlen.to_le_bytes());
                    cell[7..7 + c.key.len()].copy_from_slice(&c.key);
                    cell[7 + c.key.len()..].copy_from_slice(&vbytes);
                    let slot = LEAF_HEADER_LEN + i * SLOT_LEN;
                    body[slot..slot + 2].copy_from_slice(&(end as u16).to_le_bytes());
                }
            }
            Node::Branch { keys, children } => {
                body[0..2].copy_from_slice(&(keys.len() as u16).to_le_bytes());
                body[4..12].copy_from_slice(&children[0].0.to_le_bytes());
                for (i, k) in keys.iter().enumerate() {
                    let len = BRANCH_CELL_OVERHEAD + k.len();
                    end -= len;
                    let cell = &mut body[end..end + len];
                    cell[0..2].copy_from_slice(&(k.len() as u16).to_le_bytes());
                    cell[2..10].copy_from_slice(&children[i + 1].0.to_le_bytes());
                    cell[10..].copy_from_slice(k);
                    let slot = BRANCH_HEADER_LEN + i * SLOT_LEN;
                    body[slot..slot + 2].copy_from_slice(&(end as u16).to_le_bytes());
                }
            }
        }
        Ok(page)
    }
}

/// The shortest key `s` with `left < s <= right` (a prefix of `right`), used as the separator
/// between two leaves so branches hold short keys. Requires `left < right`.
pub fn separator(left: &[u8], right: &[u8]) -> Vec<u8> {
    let common = left.iter().zip(right).take_while(|(a, b)| a == b).count();
    right[..(common + 1).min(right.len())].to_vec()
}
