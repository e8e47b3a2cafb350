//! Overflow chains: values too large to live inline in a leaf.
//!
//! An overflow page's body is `next u64 (0 = last page) | len u32 | data[len]`. A chain is
//! written front to back into freshly allocated pages and read back fully verified: every page
//! must be an overflow page naming itself, the lengths must add up to exactly the length the
//! leaf cell records, and the chain must end exactly there (no cycles, no trailing pages).

#![deny(clippy::indexing_slicing)]

use crate::error::{Error, Result};
use crate::storage::{Page, PageStore, PageType};
use crate::types::{Lsn, PageId};
use crate::util::codec::{
    bytes_at, put_bytes_at, put_u32_at, put_u64_at, read_u32_at, read_u64_at,
};

use super::body_len;

/// The fields of an overflow page's body (offsets from the end of the page header).
pub mod layout {
    use crate::util::codec::Field;

    /// Next page of the chain (0 = last).
    pub const NEXT: Field = Field::u64(0);
    /// Data bytes on this page.
    pub const LEN: Field = Field::u32(8);
}

/// Bytes of the overflow page header inside the body (next id + length).
pub const OVERFLOW_HEADER_LEN: usize = layout::LEN.end();

/// Data bytes one overflow page holds.
pub fn capacity(page_size: usize) -> usize {
    body_len(page_size) - OVERFLOW_HEADER_LEN
}

/// Number of pages a chain for `len` bytes uses.
pub fn pages_for(page_size: usize, len: u64) -> u64 {
    len.div_ceil(capacity(page_size) as u64).max(1)
}

/// Writes `value` into a new chain; `alloc` hands out page ids. Returns the first page id.
/// The pages are installed with [`PageStore::write_page`] at once: nothing reachable from a
/// published root points at them yet.
pub fn write_chain<S: PageStore + ?Sized>(
    store: &S,
    value: &[u8],
    lsn: Lsn,
    mut alloc: impl FnMut() -> Result<PageId>,
) -> Result<PageId> {
    let ps = store.page_size();
    let cap = capacity(ps);
    let n = pages_for(ps, value.len() as u64) as usize;
    let ids = (0..n).map(|_| alloc()).collect::<Result<Vec<_>>>()?;
    // `pages_for` is at least 1 and covers every chunk, so each chunk has its page.
    for (i, (chunk, &id)) in value.chunks(cap).zip(&ids).enumerate() {
        let mut page = Page::new(ps, id, PageType::Overflow);
        page.set_lsn(lsn);
        let body = page.body_mut();
        let next = ids.get(i + 1).map_or(0, |p| p.0);
        put_u64_at(body, layout::NEXT.offset, next);
        put_u32_at(body, layout::LEN.offset, chunk.len() as u32);
        put_bytes_at(body, OVERFLOW_HEADER_LEN, chunk);
        store.write_page(page)?;
    }
    ids.first()
        .copied()
        .ok_or_else(|| Error::InvalidArgument("an overflow chain needs a page".into()))
}

/// Walks the chain starting at `first` that must hold exactly `len` bytes, calling `visit` with
/// each page id and its data. Every page is verified; any inconsistency is an error naming the
/// offending page.
pub fn walk_chain<S: PageStore + ?Sized>(
    store: &S,
    first: PageId,
    len: u64,
    mut visit: impl FnMut(PageId, &[u8]),
) -> Result<()> {
    let ps = store.page_size();
    let max_pages = pages_for(ps, len);
    let mut id = first;
    let mut seen = 0u64;
    for _ in 0..max_pages {
        if id.0 == 0 {
            return Err(Error::corruption(
                first,
                format!("overflow chain ends after {seen} of {len} bytes"),
            ));
        }
        let page = store.read_page(id)?;
        if page.id() != id || page.page_type() != Some(PageType::Overflow) {
            return Err(Error::corruption(
                id,
                format!("expected overflow page of chain at {first}"),
            ));
        }
        let body = page.body();
        let next = read_u64_at(body, layout::NEXT.offset).unwrap_or(0);
        let data = read_u32_at(body, layout::LEN.offset)
            .and_then(|n| bytes_at(body, OVERFLOW_HEADER_LEN, n as usize, "overflow data"))
            .map_err(|_| Error::corruption(id, "overflow data length exceeds the page"))?;
        if data.is_empty() && len != 0 {
            return Err(Error::corruption(id, "empty overflow page inside a chain"));
        }
        seen += data.len() as u64;
        if seen > len {
            return Err(Error::corruption(
                id,
                format!("overflow chain holds more than the recorded {len} bytes"),
            ));
        }
        visit(id, data);
        if seen == len {
            if next != 0 {
                return Err(Error::corruption(
                    id,
                    "overflow chain continues past its recorded length",
                ));
            }
            return Ok(());
        }
        id = PageId(next);
    }
    Err(Error::corruption(
        first,
        format!("overflow chain too long or short for {len} bytes (read {seen})"),
    ))
}

/// Reads a whole value from its chain.
pub fn read_chain<S: PageStore + ?Sized>(store: &S, first: PageId, len: u64) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(len.min(super::MAX_VALUE_LEN as u64) as usize);
    walk_chain(store, first, len, |_, data| out.extend_from_slice(data))?;
    Ok(out)
}

/// The page ids of a chain, in order (used to free it).
pub fn chain_pages<S: PageStore + ?Sized>(
    store: &S,
    first: PageId,
    len: u64,
) -> Result<Vec<PageId>> {
    let mut ids = Vec::new();
    walk_chain(store, first, len, |id, _| ids.push(id))?;
    Ok(ids)
}
