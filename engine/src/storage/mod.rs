//! Storage: fixed-size checksummed pages, the pager, the buffer pool (page cache) and the freelist.
//!
//! The layer above (the B+tree) sees storage only through [`PageStore`]: read a verified page,
//! allocate a page id, install a written page, free a page. Pages reachable from the last
//! checkpoint are never overwritten in place (copy-on-write), so a dirty page can be written back
//! at any time — on eviction or at a checkpoint — without endangering the durable state.
//!
//! Modules: [`header`] (page 0: static header, two meta slots), [`pager`] (verified whole-page
//! file I/O), [`cache`] (the buffer pool), [`freelist`] (free set, reuse rule, persisted chain),
//! [`integrity`] (storage-level checker), [`store`] ([`Storage`], which ties them together).

pub mod cache;
pub mod freelist;
pub mod header;
pub mod integrity;
pub mod page;
pub mod page0;
pub mod pager;
pub mod store;

use std::sync::Arc;

use crate::error::Result;
use crate::types::PageId;

pub use cache::CacheStats;
pub use header::Meta;
pub use integrity::{Finding, IntegrityReport};
pub use page::{Page, PageType};
pub use store::{CheckpointFields, Storage, StorageStats};

/// What the B+tree needs from the page layer. All methods take `&self`: readers run
/// concurrently with the single writer.
pub trait PageStore: Send + Sync {
    /// The page size in bytes.
    fn page_size(&self) -> usize;
    /// Returns the current image of page `id`: from the cache, or read from disk and verified.
    fn read_page(&self, id: PageId) -> Result<Arc<Page>>;
    /// Runs `f` on the current image of page `id` without handing out a reference to it: a
    /// store may run `f` in place (for the cache, under its shard's read lock, skipping the
    /// reference count traffic of [`PageStore::read_page`]). `f` must not call back into the
    /// store.
    fn with_page(&self, id: PageId, f: &mut dyn FnMut(&Page) -> Result<()>) -> Result<()> {
        f(&*self.read_page(id)?)
    }
    /// Like [`PageStore::read_page`], and also says whether this image is one that
    /// [`PageStore::write_page`] installed in this process (built by a writer, never read from
    /// disk). Callers may skip re-checking the structure of such images; anything read from
    /// disk must be checked. The default never claims an image was written here.
    /// The image comes back as a [`Page`] handle (cheap to clone, shared until edited).
    fn read_page_written(&self, id: PageId) -> Result<(Page, bool)> {
        Ok((Page::clone(&*self.read_page(id)?), false))
    }
    /// An exclusive copy of `page` for a writer to edit. A store may build it in a recycled
    /// buffer instead of allocating one.
    fn copy_page(&self, page: &Page) -> Page {
        Page::copy_of(page, None)
    }
    /// Hands out a page id that no live page uses. The page has no contents until
    /// [`PageStore::write_page`] installs some.
    fn allocate(&self) -> Result<PageId>;
    /// Installs a new image for `page.id()` (a page obtained from [`PageStore::allocate`]).
    /// The store seals the checksum before the page reaches disk.
    fn write_page(&self, page: Page) -> Result<()>;
    /// Declares that the current tree no longer references `id`. The store decides when the id
    /// may be handed out again (never while a checkpoint or a reader's snapshot still needs it).
    fn free(&self, id: PageId) -> Result<()>;
}

#[cfg(test)]
mod tests;
