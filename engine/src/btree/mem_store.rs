//! [`MemStore`]: an in-memory [`PageStore`] that audits how the tree uses it.
//!
//! It is the test and benchmark backend of the B+tree, public so benches and other layers'
//! tests can use it. Beyond storing pages it checks the protocol: a page may be written only
//! after `allocate` and before `free`; a page may be freed once; reading a page that was never
//! written, or was freed and reclaimed, is an error. It counts allocations, frees and live
//! pages so tests can prove the tree neither leaks nor double-frees.
//!
//! Freed pages stay readable (as old snapshots may still read them) until [`MemStore::reclaim`]
//! makes their ids reusable, unless the store is [`MemStore::strict`], where reading a freed
//! page is an error at once — for tests in which nobody reads an old root.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::error::{Error, Result};
use crate::storage::{Page, PageStore};
use crate::types::PageId;

/// The state of one page id.
#[derive(Clone)]
enum Slot {
    /// Never handed out, or reclaimed and waiting to be handed out again.
    Free,
    /// Allocated, not freed; `None` until first written.
    Live(Option<Arc<Page>>),
    /// Freed, not yet reclaimed (old snapshots may still read it).
    Freed(Option<Arc<Page>>),
}

#[derive(Default)]
struct Inner {
    /// Indexed by page id; index 0 is never used.
    slots: Vec<Slot>,
    /// Ids freed since the last reclaim.
    freed: Vec<PageId>,
    /// Reclaimed ids, handed out again before new ones.
    reusable: Vec<PageId>,
    live: usize,
    allocations: u64,
    frees: u64,
}

impl Inner {
    fn slot(&self, id: PageId) -> &Slot {
        usize::try_from(id.0)
            .ok()
            .and_then(|i| self.slots.get(i))
            .unwrap_or(&Slot::Free)
    }
}

/// An in-memory page store that verifies ids and counts allocations and frees.
pub struct MemStore {
    page_size: usize,
    strict: bool,
    inner: RwLock<Inner>,
}

impl MemStore {
    /// A store whose freed pages stay readable until [`MemStore::reclaim`].
    pub fn new(page_size: usize) -> Self {
        Self::build(page_size, false)
    }

    /// A store in which reading a freed page is an error immediately.
    pub fn strict(page_size: usize) -> Self {
        Self::build(page_size, true)
    }

    fn build(page_size: usize, strict: bool) -> Self {
        MemStore {
            page_size,
            strict,
            inner: RwLock::new(Inner {
                slots: vec![Slot::Free],
                ..Inner::default()
            }),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes every freed id reusable and forgets the freed pages' contents (what a checkpoint
    /// does once no reader needs them).
    pub fn reclaim(&self) {
        let mut inner = self.write();
        let ids = std::mem::take(&mut inner.freed);
        for id in &ids {
            inner.slots[id.0 as usize] = Slot::Free;
        }
        inner.reusable.extend(ids);
    }

    /// Pages allocated and not freed.
    pub fn live_pages(&self) -> usize {
        self.read().live
    }

    /// Total `allocate` calls.
    pub fn allocations(&self) -> u64 {
        self.read().allocations
    }

    /// Total `free` calls.
    pub fn frees(&self) -> u64 {
        self.read().frees
    }

    /// The number of distinct page ids ever handed out (the size a page file would have).
    pub fn high_water(&self) -> u64 {
        self.read().slots.len() as u64 - 1
    }

    /// Ids of all live pages, sorted.
    pub fn live_ids(&self) -> Vec<PageId> {
        let inner = self.read();
        (0..inner.slots.len() as u64)
            .map(PageId)
            .filter(|&id| matches!(inner.slot(id), Slot::Live(_)))
            .collect()
    }

    /// Test support: replaces the stored image of live page `id` after `f` edits a copy of it,
    /// bypassing every check (to simulate on-disk corruption).
    pub fn tamper(&self, id: PageId, f: impl FnOnce(&mut Page)) -> Result<()> {
        let mut inner = self.write();
        let slot = match inner.slots.get_mut(id.0 as usize) {
            Some(Slot::Live(Some(page))) => page,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "{id} is not a written live page"
                )));
            }
        };
        let mut page = Page::clone(slot);
        f(&mut page);
        *slot = Arc::new(page);
        Ok(())
    }
}

impl PageStore for MemStore {
    fn page_size(&self) -> usize {
        self.page_size
    }

    fn read_page(&self, id: PageId) -> Result<Arc<Page>> {
        let inner = self.read();
        let state = match inner.slot(id) {
            Slot::Live(Some(page)) => return Ok(Arc::clone(page)),
            Slot::Freed(Some(page)) if !self.strict => return Ok(Arc::clone(page)),
            Slot::Live(None) => "allocated but never written",
            Slot::Freed(_) => "freed",
            Slot::Free => "not allocated (or freed and reclaimed)",
        };
        Err(Error::corruption(
            id,
            format!("read of a page that is {state}"),
        ))
    }

    fn allocate(&self) -> Result<PageId> {
        let mut inner = self.write();
        let id = match inner.reusable.pop() {
            Some(id) => id,
            None => {
                inner.slots.push(Slot::Free);
                PageId(inner.slots.len() as u64 - 1)
            }
        };
        inner.allocations += 1;
        inner.live += 1;
        inner.slots[id.0 as usize] = Slot::Live(None);
        Ok(id)
    }

    fn write_page(&self, page: Page) -> Result<()> {
        let id = page.id();
        if page.size() != self.page_size {
            return Err(Error::InvalidArgument(format!(
                "write of {id} with {} bytes; page size is {}",
                page.size(),
                self.page_size
            )));
        }
        let mut inner = self.write();
        match inner.slots.get_mut(id.0 as usize) {
            Some(slot @ Slot::Live(_)) => {
                *slot = Slot::Live(Some(Arc::new(page)));
                Ok(())
            }
            _ => Err(Error::InvalidArgument(format!(
                "write of {id}, which is not allocated (or already freed)"
            ))),
        }
    }

    fn free(&self, id: PageId) -> Result<()> {
        let mut inner = self.write();
        match inner.slots.get_mut(id.0 as usize) {
            Some(slot @ Slot::Live(_)) => {
                if let Slot::Live(page) = std::mem::replace(slot, Slot::Free) {
                    *slot = Slot::Freed(page);
                }
                inner.live -= 1;
                inner.frees += 1;
                inner.freed.push(id);
                Ok(())
            }
            _ => Err(Error::InvalidArgument(format!(
                "free of {id}, which is not allocated (double free?)"
            ))),
        }
    }
}
