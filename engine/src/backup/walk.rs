//! The set of pages one tree reaches: every branch and leaf from the root down, and every page
//! of every overflow chain a leaf points to. Visited depth-first, each page once, each read
//! through storage (so verified) and checked to be a node before its pointers are followed.

use std::sync::Arc;

use crate::btree::node::{NodeView, ValueRef};
use crate::btree::{MAX_HEIGHT, overflow};
use crate::error::{Error, Result};
use crate::storage::{Page, PageStore, Storage};
use crate::types::PageId;

/// Calls `visit` with every page the tree at `root` reaches. `page_limit` bounds the walk (the
/// file's page count): a longer walk means pointers loop, which is reported as corruption.
/// Returns the number of pages visited.
pub fn for_each_page<S: PageStore + ?Sized>(
    store: &S,
    root: PageId,
    page_limit: u64,
    mut visit: impl FnMut(&Page) -> Result<()>,
) -> Result<u64> {
    if root.0 == 0 {
        return Ok(0);
    }
    let mut stack: Vec<(PageId, usize)> = vec![(root, 1)];
    let mut visited = 0u64;
    let mut count = |id: PageId| -> Result<()> {
        visited += 1;
        if visited > page_limit {
            return Err(Error::corruption(
                id,
                format!("tree reaches more than {page_limit} pages: its pointers loop"),
            ));
        }
        Ok(())
    };
    while let Some((id, depth)) = stack.pop() {
        if depth > MAX_HEIGHT {
            return Err(Error::corruption(
                id,
                format!("tree deeper than {MAX_HEIGHT} levels"),
            ));
        }
        let page: Arc<Page> = store.read_page(id)?;
        let node = NodeView::open(&page, id)?;
        if node.is_leaf() {
            for i in 0..node.count() {
                if let ValueRef::Overflow { first, len } = node.value(i)? {
                    for oid in overflow::chain_pages(store, first, len)? {
                        count(oid)?;
                        visit(&*store.read_page(oid)?)?;
                    }
                }
            }
        } else {
            // Push right to left so that children are visited left to right.
            for i in (0..=node.count()).rev() {
                stack.push((node.child(i)?, depth + 1));
            }
        }
        count(id)?;
        visit(&page)?;
    }
    Ok(visited)
}

/// A read-only view of [`Storage`] for whole-tree copies: a cached page is served from the
/// cache (it may be newer than the file), any other page is read from the file and verified
/// without entering the cache, so a backup does not evict the working set of live readers and
/// writers. Pages of a pinned snapshot are immutable, so both sources agree.
pub struct Uncached<'a>(pub &'a Storage);

impl PageStore for Uncached<'_> {
    fn page_size(&self) -> usize {
        self.0.page_size()
    }

    fn read_page(&self, id: PageId) -> Result<Arc<Page>> {
        if let Some(page) = self.0.cache.get(id) {
            return Ok(page);
        }
        Ok(Arc::new(self.0.pager.read_page(id)?))
    }

    fn allocate(&self) -> Result<PageId> {
        Err(Error::InvalidArgument(
            "a backup view cannot allocate pages".into(),
        ))
    }

    fn write_page(&self, page: Page) -> Result<()> {
        Err(Error::InvalidArgument(format!(
            "a backup view cannot write {}",
            page.id()
        )))
    }

    fn free(&self, id: PageId) -> Result<()> {
        Err(Error::InvalidArgument(format!(
            "a backup view cannot free {id}"
        )))
    }
}
