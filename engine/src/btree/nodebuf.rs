//! In-place editing of node pages owned by the current commit.
//!
//! The writer keeps the nodes it owns as page buffers in the on-disk layout (see [`super::node`])
//! and edits them directly: a cell is inserted by writing it below the lowest cell and shifting
//! the slot array; a removed cell leaves a hole that is reclaimed by compacting the page when
//! contiguous room runs out. Splits and merges rebuild pages from lists of raw cells.
//!
//! Every page handled here was either built by this module or fully validated
//! ([`validate`]) when it was copied from the store, so cell extents are known to lie inside
//! the page.

#![deny(clippy::indexing_slicing)]

use crate::error::{Error, Result};
use crate::storage::{Page, PageType};
use crate::types::{Lsn, PageId};

use crate::util::codec::{
    bytes_at, push_u16, push_u32, push_u64, put_bytes_at, put_u16_at, put_u64_at, read_u8_at,
    read_u16_at, read_u32_at, read_u64_at,
};

use super::node::{
    BRANCH_CELL_OVERHEAD, BRANCH_HEADER_LEN, FLAG_OVERFLOW, LEAF_CELL_OVERHEAD, LEAF_HEADER_LEN,
    NodeView, SLOT_LEN, key_prefix, layout,
};

/// Reads of pages this module built or [`validate`]d: their fields lie inside the page, so a
/// failed read is a bug in this module, not bad data.
const VALIDATED: &str = "node pages are validated before they are edited";

/// The `len` bytes at `at` of a validated page or cell.
fn span(b: &[u8], at: usize, len: usize) -> &[u8] {
    bytes_at(b, at, len, "cell bytes").expect(VALIDATED)
}

fn rd16(b: &[u8], at: usize) -> usize {
    usize::from(read_u16_at(b, at).expect(VALIDATED))
}
fn wr16(b: &mut [u8], at: usize, v: usize) {
    put_u16_at(b, at, v as u16);
}

fn write_slot(body: &mut [u8], at: usize, off: usize, key: &[u8]) {
    wr16(body, at + layout::SLOT_OFFSET.offset, off);
    put_bytes_at(body, at + layout::SLOT_PREFIX.offset, &key_prefix(key));
}

/// Whether the page is a leaf (otherwise a branch).
pub fn is_leaf(p: &Page) -> bool {
    p.page_type() == Some(PageType::Leaf)
}

fn header_len(leaf: bool) -> usize {
    if leaf {
        LEAF_HEADER_LEN
    } else {
        BRANCH_HEADER_LEN
    }
}

/// Number of cells.
pub fn count(p: &Page) -> usize {
    rd16(p.body(), layout::COUNT.offset)
}

/// Length of the raw cell starting at body offset `off`.
fn cell_len_at(body: &[u8], off: usize, leaf: bool) -> usize {
    if leaf {
        let klen = rd16(body, off + layout::LEAF_KEY_LEN.offset);
        let flags = read_u8_at(body, off + layout::LEAF_FLAGS.offset).expect(VALIDATED);
        let v = if flags & FLAG_OVERFLOW != 0 {
            layout::OVERFLOW_POINTER_LEN
        } else {
            read_u32_at(body, off + layout::LEAF_VALUE_LEN.offset).expect(VALIDATED) as usize
        };
        LEAF_CELL_OVERHEAD + klen + v
    } else {
        BRANCH_CELL_OVERHEAD + rd16(body, off + layout::BRANCH_KEY_LEN.offset)
    }
}

fn slot(p: &Page, i: usize) -> usize {
    rd16(
        p.body(),
        header_len(is_leaf(p)) + i * SLOT_LEN + layout::SLOT_OFFSET.offset,
    )
}

/// The raw bytes of cell `i`.
pub fn raw_cell(p: &Page, i: usize) -> &[u8] {
    let off = slot(p, i);
    let len = cell_len_at(p.body(), off, is_leaf(p));
    span(p.body(), off, len)
}

/// The key inside a raw cell.
pub fn cell_key(raw: &[u8], leaf: bool) -> &[u8] {
    if leaf {
        let klen = rd16(raw, layout::LEAF_KEY_LEN.offset);
        span(raw, LEAF_CELL_OVERHEAD, klen)
    } else {
        let klen = rd16(raw, layout::BRANCH_KEY_LEN.offset);
        span(raw, BRANCH_CELL_OVERHEAD, klen)
    }
}

/// The overflow chain `(first page, length)` a raw leaf cell points to, if any.
pub fn cell_overflow(raw: &[u8]) -> Option<(PageId, u64)> {
    let flags = read_u8_at(raw, layout::LEAF_FLAGS.offset).expect(VALIDATED);
    if flags & FLAG_OVERFLOW == 0 {
        return None;
    }
    let klen = rd16(raw, layout::LEAF_KEY_LEN.offset);
    let len = read_u32_at(raw, layout::LEAF_VALUE_LEN.offset).expect(VALIDATED);
    let first = read_u64_at(raw, LEAF_CELL_OVERHEAD + klen).expect(VALIDATED);
    Some((PageId(first), u64::from(len)))
}

/// The child id inside a raw branch cell.
pub fn cell_child(raw: &[u8]) -> PageId {
    PageId(read_u64_at(raw, layout::BRANCH_CHILD.offset).expect(VALIDATED))
}

/// Builds a raw leaf cell.
pub fn leaf_cell(key: &[u8], value: &[u8], overflow: Option<(PageId, u64)>) -> Vec<u8> {
    let (flags, vlen, vbytes): (u8, u32, &[u8]) = match &overflow {
        None => (0, value.len() as u32, value),
        Some((_, len)) => (FLAG_OVERFLOW, *len as u32, &[]),
    };
    let mut c = Vec::with_capacity(LEAF_CELL_OVERHEAD + key.len() + vbytes.len().max(8));
    c.push(flags);
    push_u16(&mut c, key.len() as u16);
    push_u32(&mut c, vlen);
    c.extend_from_slice(key);
    match overflow {
        None => c.extend_from_slice(vbytes),
        Some((first, _)) => push_u64(&mut c, first.0),
    }
    c
}

/// Builds a raw branch cell.
pub fn branch_cell(key: &[u8], child: PageId) -> Vec<u8> {
    let mut c = Vec::with_capacity(BRANCH_CELL_OVERHEAD + key.len());
    push_u16(&mut c, key.len() as u16);
    push_u64(&mut c, child.0);
    c.extend_from_slice(key);
    c
}

/// Child `i` (0 = leftmost) of a branch.
pub fn child(p: &Page, i: usize) -> PageId {
    if i == 0 {
        PageId(read_u64_at(p.body(), layout::LEFTMOST.offset).expect(VALIDATED))
    } else {
        cell_child(raw_cell(p, i - 1))
    }
}

/// Points child `i` of a branch at `id`.
pub fn set_child(p: &mut Page, i: usize, id: PageId) {
    let at = if i == 0 {
        layout::LEFTMOST.offset
    } else {
        slot(p, i - 1) + layout::BRANCH_CHILD.offset
    };
    put_u64_at(p.body_mut(), at, id.0);
}

/// Bytes the node uses: header, slots and live cells.
pub fn used(p: &Page) -> usize {
    let leaf = is_leaf(p);
    (0..count(p))
        .map(|i| SLOT_LEN + raw_cell(p, i).len())
        .sum::<usize>()
        + header_len(leaf)
}

/// Builds a node page from raw cells (and, for a branch, its leftmost child).
pub fn build(
    page_size: usize,
    id: PageId,
    lsn: Lsn,
    leftmost: Option<PageId>,
    cells: &[&[u8]],
) -> Page {
    let leaf = leftmost.is_none();
    let ty = if leaf {
        PageType::Leaf
    } else {
        PageType::Branch
    };
    let mut page = Page::new(page_size, id, ty);
    page.set_lsn(lsn);
    let h = header_len(leaf);
    let body = page.body_mut();
    wr16(body, layout::COUNT.offset, cells.len());
    if let Some(l) = leftmost {
        put_u64_at(body, layout::LEFTMOST.offset, l.0);
    }
    // Cells are packed against the end of the page in key order, so a scan reads ascending
    // addresses.
    let mut at = body.len() - cells.iter().map(|c| c.len()).sum::<usize>();
    for (i, c) in cells.iter().enumerate() {
        put_bytes_at(body, at, c);
        write_slot(body, h + i * SLOT_LEN, at, cell_key(c, leaf));
        at += c.len();
    }
    page
}

/// Inserts `raw` as cell `i`, compacting the page if needed. `false` if it does not fit.
pub fn insert(p: &mut Page, i: usize, raw: &[u8]) -> bool {
    let leaf = is_leaf(p);
    let h = header_len(leaf);
    let n = count(p);
    let slots_end = h + n * SLOT_LEN;
    let lowest = (0..n).map(|j| slot(p, j)).min().unwrap_or(p.body().len());
    if lowest < slots_end + SLOT_LEN + raw.len() {
        if used(p) + SLOT_LEN + raw.len() > p.body().len() {
            return false;
        }
        compact(p);
        return insert(p, i, raw);
    }
    let off = lowest - raw.len();
    let body = p.body_mut();
    put_bytes_at(body, off, raw);
    let at = h + i * SLOT_LEN;
    body.copy_within(at..slots_end, at + SLOT_LEN);
    write_slot(body, at, off, cell_key(raw, leaf));
    wr16(body, layout::COUNT.offset, n + 1);
    true
}

/// Removes cell `i` (its bytes become a hole until the next compaction).
pub fn remove(p: &mut Page, i: usize) {
    let h = header_len(is_leaf(p));
    let n = count(p);
    let at = h + i * SLOT_LEN;
    let body = p.body_mut();
    body.copy_within(at + SLOT_LEN..h + n * SLOT_LEN, at);
    wr16(body, layout::COUNT.offset, n - 1);
}

/// Rewrites the page with its cells packed at the end.
pub fn compact(p: &mut Page) {
    let cells: Vec<Vec<u8>> = (0..count(p)).map(|i| raw_cell(p, i).to_vec()).collect();
    let refs: Vec<&[u8]> = cells.iter().map(Vec::as_slice).collect();
    let leftmost = (!is_leaf(p)).then(|| child(p, 0));
    *p = build(p.size(), p.id(), p.lsn(), leftmost, &refs);
}

/// All raw cells, copied.
pub fn cells(p: &Page) -> Vec<Vec<u8>> {
    (0..count(p)).map(|i| raw_cell(p, i).to_vec()).collect()
}

/// Checks every cell of a page read from the store lies inside the page, so that the
/// functions above can edit it. Returns the page's view-level error otherwise.
pub fn validate(p: &Page, id: PageId) -> Result<()> {
    let view = NodeView::open(p, id)?;
    for i in 0..view.count() {
        if view.is_leaf() {
            view.leaf_cell(i)?;
        } else {
            view.key(i)?;
            view.child(i + 1)?;
            let off = view.cell_offset(i)?;
            if off + BRANCH_CELL_OVERHEAD > p.body().len() {
                return Err(Error::corruption(
                    id,
                    format!("branch cell {i} runs past the page"),
                ));
            }
        }
    }
    if !view.is_leaf() {
        view.child(0)?;
    }
    Ok(())
}
