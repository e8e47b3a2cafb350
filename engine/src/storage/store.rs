//! [`Storage`]: the page store the B+tree runs on — pager, buffer pool and freelist together.
//!
//! * `read_page` → cache hit, or pager read (verified) → cache.
//! * `write_page` → installed in the cache as dirty; sealed and written by the pager on eviction
//!   or at the next checkpoint.
//! * `allocate` / `free` → the freelist and its reuse rule.
//! * [`Storage::checkpoint`], in order: free the previous freelist chain and allocate the new
//!   one; write the chain; write every dirty page; fsync; write the inactive meta slot; fsync;
//!   trim the file; release the pages that waited for this checkpoint.
//!
//! A failure in a checkpoint (or any write whose outcome is unknown) poisons the storage: every
//! later mutating call fails with [`Error::Poisoned`] and the database must be reopened.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::storage::cache::{Cache, CacheStats};
use crate::storage::freelist::{self, FreeList};
use crate::storage::header::{Meta, Slot};
use crate::storage::pager::Pager;
use crate::storage::{Page, PageStore};
use crate::types::{Lsn, PageId, TxnId};
use crate::vfs::{OpenMode, Vfs};

/// The fields of a checkpoint's meta that the layers above decide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckpointFields {
    /// Every WAL record below this LSN is reflected in the pages being checkpointed.
    pub checkpoint_lsn: Lsn,
    /// The root of the tree (`PageId(0)` = empty).
    pub root: PageId,
    /// Number of entries in the tree.
    pub entry_count: u64,
    /// The next transaction id to hand out.
    pub next_txn_id: TxnId,
}

/// A snapshot of the storage counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StorageStats {
    /// Buffer-pool counters.
    pub cache: CacheStats,
    /// Page size in bytes.
    pub page_size: usize,
    /// Pages in the file (page 0 included), as the allocator sees it.
    pub page_count: u64,
    /// Free pages (reusable now or waiting for a checkpoint or a reader).
    pub free_pages: u64,
    /// Free pages that may be handed out now.
    pub reusable_pages: u64,
    /// Current length of the data file in bytes.
    pub file_bytes: u64,
    /// Sequence number of the last durable checkpoint.
    pub checkpoint_seq: u64,
}

/// The storage layer of one data file.
#[derive(Debug)]
pub struct Storage {
    pub(crate) pager: Pager,
    pub(crate) cache: Cache,
    pub(crate) freelist: Mutex<FreeList>,
    meta: Mutex<(Meta, Slot)>,
    poisoned: AtomicBool,
    poison_reason: Mutex<String>,
    /// Buffers of discarded images no one else holds, reused by [`PageStore::copy_page`]
    /// (at most [`SPARE_PAGES`]): copy-on-write then rarely allocates or frees a page buffer.
    spare: Mutex<Vec<Page>>,
}

/// The most discarded page buffers kept for reuse.
const SPARE_PAGES: usize = 256;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every guarded structure is updated by whole assignments between checks, so a panic in
    // another thread cannot leave it half-changed; recover the guard instead of panicking.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Storage {
    /// Creates a new data file at `path` (which must not exist) with an empty tree.
    pub fn create(
        vfs: Arc<dyn Vfs>,
        path: &Path,
        page_size: usize,
        cache_bytes: u64,
    ) -> Result<Storage> {
        let created_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let meta = Meta {
            seq: 1,
            checkpoint_lsn: Lsn(0),
            root: PageId(0),
            freelist_head: PageId(0),
            page_count: 1,
            entry_count: 0,
            next_txn_id: TxnId(1),
        };
        let pager = Pager::create(&vfs, path, page_size, created_at, &meta)?;
        Ok(Storage::assemble(
            pager,
            meta,
            Slot::A,
            FreeList::new(1),
            cache_bytes,
        ))
    }

    /// Opens an existing data file: checks the header and length, loads the persisted freelist,
    /// and drops any pages past the checkpoint's page count (unreachable after a crash).
    pub fn open(vfs: Arc<dyn Vfs>, path: &Path, cache_bytes: u64) -> Result<(Storage, Meta)> {
        Self::open_mode(vfs, path, cache_bytes, false)
    }

    /// Opens the data file for reading only: nothing is written (pages past the checkpoint's
    /// page count are left in place), and every mutation fails.
    pub fn open_read_only(
        vfs: Arc<dyn Vfs>,
        path: &Path,
        cache_bytes: u64,
    ) -> Result<(Storage, Meta)> {
        Self::open_mode(vfs, path, cache_bytes, true)
    }

    fn open_mode(
        vfs: Arc<dyn Vfs>,
        path: &Path,
        cache_bytes: u64,
        read_only: bool,
    ) -> Result<(Storage, Meta)> {
        let mode = if read_only {
            OpenMode::ReadOnly
        } else {
            OpenMode::Existing
        };
        let (pager, hdr) = Pager::open_mode(&vfs, path, mode)?;
        let meta = hdr.meta;
        if meta.root.0 >= meta.page_count || meta.freelist_head.0 >= meta.page_count {
            return Err(Error::corruption(
                PageId(0),
                format!(
                    "meta names root {} / freelist {} outside a file of {} pages",
                    meta.root.0, meta.freelist_head.0, meta.page_count
                ),
            ));
        }
        let (chain, ids) = load_chain(&pager, meta.freelist_head, meta.page_count)?;
        if !read_only && pager.file_len()? > meta.page_count * pager.page_size() as u64 {
            pager.set_page_count(meta.page_count)?;
        }
        let fl = FreeList::load(meta.page_count, chain, ids);
        let storage = Storage::assemble(pager, meta, hdr.active, fl, cache_bytes);
        Ok((storage, meta))
    }

    fn assemble(pager: Pager, meta: Meta, slot: Slot, fl: FreeList, cache_bytes: u64) -> Storage {
        let cache = Cache::new(cache_bytes, pager.page_size());
        Storage {
            pager,
            cache,
            freelist: Mutex::new(fl),
            meta: Mutex::new((meta, slot)),
            poisoned: AtomicBool::new(false),
            poison_reason: Mutex::new(String::new()),
            spare: Mutex::new(Vec::new()),
        }
    }

    /// The meta of the last durable checkpoint.
    pub fn meta(&self) -> Meta {
        lock(&self.meta).0
    }

    /// The data file's path.
    pub fn path(&self) -> &Path {
        self.pager.path()
    }

    fn check_poison(&self) -> Result<()> {
        if self.poisoned.load(Ordering::Acquire) {
            return Err(Error::Poisoned {
                reason: lock(&self.poison_reason).clone(),
            });
        }
        Ok(())
    }

    fn poison(&self, err: &Error) {
        let mut reason = lock(&self.poison_reason);
        if reason.is_empty() {
            *reason = err.to_string();
        }
        self.poisoned.store(true, Ordering::Release);
    }

    fn write_back(&self) -> impl Fn(&Page) -> Result<()> + '_ {
        |p: &Page| self.pager.write_page(p)
    }

    fn discard_all(&self, ids: &[PageId]) {
        let dropped: Vec<Page> = ids
            .iter()
            .filter_map(|&id| self.cache.discard(id))
            .collect();
        let mut unkept = Vec::new();
        let mut spare = lock(&self.spare);
        for mut page in dropped {
            if spare.len() < SPARE_PAGES && page.is_exclusive() {
                spare.push(page);
            } else {
                unkept.push(page);
            }
        }
        drop(spare);
        // Buffers not kept are freed here, outside the spare lock.
        drop(unkept);
    }

    /// Publishes the commit just built (its frees become reusable once no reader needs them).
    /// Returns the new epoch; readers pin epochs with [`Storage::pin`].
    pub fn publish(&self) -> u64 {
        let mut fl = lock(&self.freelist);
        let released = fl.advance_epoch();
        // Discard under the freelist lock: once it is released, a released id can be
        // allocated again, and its new image must not be thrown away.
        self.discard_all(&released);
        fl.epoch()
    }

    /// The last published epoch.
    pub fn epoch(&self) -> u64 {
        lock(&self.freelist).epoch()
    }

    /// Pins a reader snapshot of `epoch` (see [`Storage::publish`]).
    pub fn pin(&self, epoch: u64) {
        lock(&self.freelist).pin(epoch);
    }

    /// Releases one pin of `epoch`.
    pub fn unpin(&self, epoch: u64) {
        // Readers unpin from any thread, concurrently with the writer allocating: the stale
        // images of released ids are discarded before another thread can allocate them.
        let mut fl = lock(&self.freelist);
        let released = fl.unpin(epoch);
        self.discard_all(&released);
    }

    /// Makes the current state durable (see the module doc for the steps). The caller holds
    /// the commit lock, so no page is written concurrently. Any failure poisons the storage.
    pub fn checkpoint(&self, fields: CheckpointFields) -> Result<()> {
        self.check_poison()?;
        let r = self.checkpoint_steps(fields);
        if let Err(e) = &r {
            self.poison(e);
        }
        r
    }

    fn checkpoint_steps(&self, fields: CheckpointFields) -> Result<()> {
        let ps = self.pager.page_size();
        let mut fl = lock(&self.freelist);
        // 1. New freelist chain (the old chain is freed: it belongs to the last checkpoint).
        let (chain, ids) = fl.prepare_checkpoint(ps);
        let page_count = fl.page_count();
        let per = freelist::ids_per_page(ps);
        for (i, &pid) in chain.iter().enumerate() {
            self.cache.discard(pid);
            let from = (i * per).min(ids.len());
            let to = ((i + 1) * per).min(ids.len());
            let next = chain.get(i + 1).copied().unwrap_or(PageId(0));
            let page = freelist::encode_page(ps, pid, &ids[from..to], next);
            self.pager.write_page(&page)?;
        }
        // 2. Dirty pages, in file order. Pages beyond the (trimmed) end are free: drop them.
        for page in self.cache.dirty_pages() {
            if page.id().0 >= page_count {
                self.cache.discard(page.id());
                continue;
            }
            self.pager.write_page(&page)?;
            self.cache.mark_clean(&page);
        }
        // 3. fsync, 4. inactive meta slot, 5. fsync.
        self.pager.sync()?;
        let (old, slot) = *lock(&self.meta);
        let meta = Meta {
            seq: old.seq + 1,
            checkpoint_lsn: fields.checkpoint_lsn,
            root: fields.root,
            freelist_head: chain.first().copied().unwrap_or(PageId(0)),
            page_count,
            entry_count: fields.entry_count,
            next_txn_id: fields.next_txn_id,
        };
        self.pager.write_meta(slot.other(), &meta)?;
        self.pager.sync()?;
        *lock(&self.meta) = (meta, slot.other());
        // 6. Trim (a crash before this sync only leaves unreferenced pages past the end).
        if self.pager.file_len()? > page_count * ps as u64 {
            self.pager.set_page_count(page_count)?;
        }
        // 7. Pages freed from the previous checkpoint's tree may now be reused.
        let released = fl.checkpoint_done();
        self.discard_all(&released);
        drop(fl);
        Ok(())
    }

    /// Counters and sizes.
    pub fn stats(&self) -> StorageStats {
        let fl = lock(&self.freelist);
        let (page_count, free_pages, reusable_pages) = (
            fl.page_count(),
            fl.free_count() as u64,
            fl.reusable_count() as u64,
        );
        drop(fl);
        StorageStats {
            cache: self.cache.stats(),
            page_size: self.pager.page_size(),
            page_count,
            free_pages,
            reusable_pages,
            file_bytes: self.pager.file_len().unwrap_or(0),
            checkpoint_seq: self.meta().seq,
        }
    }
}

impl Storage {
    /// Reads page `id` from the file (verified) into the cache, after a cache miss.
    fn load(&self, id: PageId) -> Result<Arc<Page>> {
        let page = Arc::new(self.pager.read_page(id)?);
        self.cache.insert_clean(page, &self.write_back())
    }
}

/// The meta of the last durable checkpoint and the slot it is in, for the integrity check.
pub(crate) fn lock_meta(s: &Storage) -> MutexGuard<'_, (Meta, Slot)> {
    lock(&s.meta)
}

/// Locks the freelist of `s` (for the integrity check).
pub(crate) fn lock_freelist(s: &Storage) -> MutexGuard<'_, FreeList> {
    lock(&s.freelist)
}

/// Reads the persisted freelist chain starting at `head`: its pages and the ids they list.
fn load_chain(pager: &Pager, head: PageId, page_count: u64) -> Result<(Vec<PageId>, Vec<PageId>)> {
    let mut chain = Vec::new();
    let mut ids = Vec::new();
    let mut next = head;
    while next.0 != 0 {
        if next.0 >= page_count || chain.contains(&next) || chain.len() as u64 >= page_count {
            return Err(Error::corruption(
                chain.last().copied().unwrap_or(PageId(0)),
                format!("freelist chain link to {next} is out of range or loops"),
            ));
        }
        let page = pager.read_page(next)?;
        let (mut page_ids, after) = freelist::decode_page(&page)?;
        chain.push(next);
        ids.append(&mut page_ids);
        next = after;
    }
    Ok((chain, ids))
}

impl PageStore for Storage {
    fn page_size(&self) -> usize {
        self.pager.page_size()
    }

    fn read_page(&self, id: PageId) -> Result<Arc<Page>> {
        if let Some(page) = self.cache.get(id) {
            return Ok(page);
        }
        self.load(id)
    }

    fn with_page(&self, id: PageId, f: &mut dyn FnMut(&Page) -> Result<()>) -> Result<()> {
        match self.cache.with(id, &mut *f) {
            Some(r) => r,
            None => f(&*self.load(id)?),
        }
    }

    fn read_page_written(&self, id: PageId) -> Result<(Page, bool)> {
        if let Some(hit) = self.cache.get_written(id) {
            return Ok(hit);
        }
        Ok((Page::clone(&*self.load(id)?), false))
    }

    fn copy_page(&self, page: &Page) -> Page {
        let spare = lock(&self.spare).pop();
        Page::copy_of(page, spare)
    }

    fn allocate(&self) -> Result<PageId> {
        self.check_poison()?;
        let (id, reused) = lock(&self.freelist).allocate();
        if reused {
            // A stale image of the page's previous life must not be served.
            self.cache.discard(id);
        }
        Ok(id)
    }

    fn write_page(&self, page: Page) -> Result<()> {
        self.check_poison()?;
        let id = page.id();
        let page_count = lock(&self.freelist).page_count();
        if id.0 == 0 || id.0 >= page_count || page.size() != self.pager.page_size() {
            return Err(Error::InvalidArgument(format!(
                "write of {id} ({} bytes) to a store of {page_count} pages of {} bytes",
                page.size(),
                self.pager.page_size()
            )));
        }
        // Sealed by the pager on its way to the file (see `Pager::write_page`).
        self.cache.insert_dirty(Arc::new(page), &self.write_back())
    }

    fn free(&self, id: PageId) -> Result<()> {
        self.check_poison()?;
        lock(&self.freelist).free(id)
    }
}
