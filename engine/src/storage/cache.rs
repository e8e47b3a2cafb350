//! The buffer pool: a byte-budgeted page cache with clock (second-chance) eviction.
//!
//! Structure: page ids are spread over a power-of-two number of shards by their low bits (ids
//! are dense, so shards fill evenly). Each shard is an `RwLock` over a map `PageId → frame`
//! (the frame inline: the [`Page`] handle, an atomic reference bit, a dirty flag, its clock
//! position) and a clock ring of ids. A hit takes only the shard's read lock and one hash
//! probe, sets the reference bit (an atomic store, skipped when already set) and either runs
//! the caller's closure on the page in place ([`Cache::with`], the point-read path) or hands
//! out a shared handle ([`Cache::get`]), so concurrent readers never serialise on a global
//! lock.
//!
//! Eviction (on insert into a full shard): the shard's clock hand sweeps the ring; a frame whose
//! reference bit is set gets a second chance (bit cleared), the first frame without it is the
//! victim. A dirty victim is written back through the caller's write-back function *before* it
//! leaves the cache (still under the shard lock, so no reader can miss it and read a stale image);
//! this is safe at any time because pages reachable from the last checkpoint are never modified
//! in place. Readers holding an `Arc<Page>` keep their copy alive after eviction.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::error::Result;
use crate::storage::page::Page;
use crate::types::PageId;

/// Cache counters, as reported by [`Cache::stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CacheStats {
    /// Lookups that found the page in the cache.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// Pages removed to make room.
    pub evictions: u64,
    /// Dirty pages written to the data file (on eviction or at a checkpoint).
    pub dirty_writebacks: u64,
    /// Bytes of page images resident (pages × page size).
    pub current_bytes: u64,
    /// Pages resident.
    pub current_pages: u64,
    /// Dirty pages resident.
    pub dirty_pages: u64,
    /// The budget in bytes: the configured one rounded down to whole pages (at least 8 pages).
    pub budget_bytes: u64,
}

/// A hasher for `u64` keys: one multiply by a 64-bit odd constant (Fibonacci hashing).
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        // The product's high bits feed the probe tags; folding them down feeds the index.
        let h = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 32);
    }
}

type FrameMap = HashMap<PageId, Frame, BuildHasherDefault<IdHasher>>;

#[derive(Debug)]
struct Frame {
    /// The image (a cheap handle: page bytes and reference counts share one allocation).
    page: Page,
    referenced: AtomicBool,
    dirty: bool,
    /// The image came through [`Cache::insert_dirty`] (a writer built it), not from disk.
    written: bool,
    /// Position in the shard's clock ring.
    slot: u32,
}

/// Marks an empty position of the clock ring (page 0 is never cached).
const EMPTY: PageId = PageId(0);

#[derive(Debug, Default)]
struct ShardState {
    map: FrameMap,
    /// The clock: the id held at each position, or [`EMPTY`].
    ring: Vec<PageId>,
    /// Free positions of the ring.
    empty: Vec<u32>,
    hand: usize,
    dirty: u64,
}

/// One shard. Aligned to two cache lines so that readers of different shards never contend on
/// a shared line; the hit counter sits next to the lock word, which a reader has just written.
#[derive(Debug, Default)]
#[repr(C, align(128))]
struct Shard {
    hits: AtomicU64,
    state: RwLock<ShardState>,
    misses: AtomicU64,
    evictions: AtomicU64,
    writebacks: AtomicU64,
}

/// Writes a dirty page to the data file (supplied by the storage layer).
pub type WriteBack<'a> = &'a dyn Fn(&Page) -> Result<()>;

/// The page cache.
#[derive(Debug)]
pub struct Cache {
    shards: Box<[Shard]>,
    shard_bits: u32,
    per_shard: usize,
    page_size: usize,
    budget_bytes: u64,
}

impl Shard {
    fn read(&self) -> RwLockReadGuard<'_, ShardState> {
        // A panic while holding the lock cannot leave the map and ring inconsistent (every
        // mutation is a single assignment), so a poisoned lock is still usable.
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }
    fn write(&self) -> RwLockWriteGuard<'_, ShardState> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl Cache {
    /// A cache holding at most `budget_bytes / page_size` pages (at least 8; rounded down to a
    /// multiple of the shard count).
    pub fn new(budget_bytes: u64, page_size: usize) -> Cache {
        let pages = usize::try_from(budget_bytes / page_size as u64)
            .unwrap_or(usize::MAX)
            .max(8);
        // About 256 frames per shard, between 1 and 64 shards.
        let shards = (pages / 256).clamp(1, 64).next_power_of_two().min(64);
        let shard_bits = shards.trailing_zeros();
        Cache {
            shards: (0..shards).map(|_| Shard::default()).collect(),
            shard_bits,
            per_shard: pages / shards,
            page_size,
            budget_bytes: ((pages / shards) * shards * page_size) as u64,
        }
    }

    /// The number of pages the cache holds at most.
    pub fn capacity_pages(&self) -> usize {
        self.per_shard * self.shards.len()
    }

    fn shard(&self, id: PageId) -> &Shard {
        let mask = (1u64 << self.shard_bits) - 1;
        // `id & mask < 2^shard_bits == shards.len()` by construction.
        &self.shards[(id.0 & mask) as usize]
    }

    /// Looks a page up; counts a hit or a miss.
    pub fn get(&self, id: PageId) -> Option<Arc<Page>> {
        self.get_written(id).map(|(page, _)| Arc::new(page))
    }

    /// Looks a page up, also saying whether the image was installed by
    /// [`Cache::insert_dirty`] (built by a writer) rather than read from disk.
    pub fn get_written(&self, id: PageId) -> Option<(Page, bool)> {
        let shard = self.shard(id);
        let st = shard.read();
        match st.map.get(&id) {
            Some(f) => {
                if !f.referenced.load(Ordering::Relaxed) {
                    f.referenced.store(true, Ordering::Relaxed);
                }
                let page = (f.page.clone(), f.written);
                drop(st);
                shard.hits.fetch_add(1, Ordering::Relaxed);
                Some(page)
            }
            None => {
                drop(st);
                shard.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Runs `f` on page `id` in place, under the shard's read lock, if it is cached (counting a
    /// hit); `None` (and a miss) otherwise. Unlike [`Cache::get`] it does not touch the page's
    /// reference count, a cold cache line on a random read. `f` must not use the cache.
    pub fn with<R>(&self, id: PageId, f: impl FnOnce(&Page) -> R) -> Option<R> {
        let shard = self.shard(id);
        let st = shard.read();
        let Some(frame) = st.map.get(&id) else {
            drop(st);
            shard.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        if !frame.referenced.load(Ordering::Relaxed) {
            frame.referenced.store(true, Ordering::Relaxed);
        }
        let r = f(&frame.page);
        drop(st);
        shard.hits.fetch_add(1, Ordering::Relaxed);
        Some(r)
    }

    /// Inserts a clean page just read from disk, unless the id is already cached; returns the
    /// cached image (the existing one if another thread won the race).
    pub fn insert_clean(&self, page: Arc<Page>, wb: WriteBack<'_>) -> Result<Arc<Page>> {
        let id = page.id();
        let shard = self.shard(id);
        let mut st = shard.write();
        if let Some(f) = st.map.get(&id) {
            return Ok(Arc::new(f.page.clone()));
        }
        self.place(shard, &mut st, Page::clone(&page), false, wb)?;
        Ok(page)
    }

    /// Installs a new (dirty) image for `page.id()`, replacing any cached one.
    pub fn insert_dirty(&self, page: Arc<Page>, wb: WriteBack<'_>) -> Result<()> {
        let id = page.id();
        let shard = self.shard(id);
        let mut st = shard.write();
        let page = Arc::unwrap_or_clone(page);
        if let Some(f) = st.map.get_mut(&id) {
            let was_dirty = f.dirty;
            f.page = page;
            f.dirty = true;
            f.written = true;
            f.referenced.store(true, Ordering::Relaxed);
            if !was_dirty {
                st.dirty += 1;
            }
            return Ok(());
        }
        self.place(shard, &mut st, page, true, wb)
    }

    /// Drops `id` from the cache without writing it back (the page is free and unreachable);
    /// returns the dropped image, if there was one, so its buffer can be reused.
    pub fn discard(&self, id: PageId) -> Option<Page> {
        let shard = self.shard(id);
        let mut st = shard.write();
        let f = st.map.remove(&id)?;
        if f.dirty {
            st.dirty -= 1;
        }
        st.ring[f.slot as usize] = EMPTY;
        st.empty.push(f.slot);
        Some(f.page)
    }

    fn place(
        &self,
        shard: &Shard,
        st: &mut ShardState,
        page: Page,
        dirty: bool,
        wb: WriteBack<'_>,
    ) -> Result<()> {
        let slot = match st.empty.pop() {
            Some(i) => i,
            None if st.ring.len() < self.per_shard => {
                st.ring.push(EMPTY);
                // `per_shard` is far below u32::MAX (it is a count of resident pages).
                (st.ring.len() - 1) as u32
            }
            None => Self::evict_one(shard, st, wb)?,
        };
        let id = page.id();
        st.ring[slot as usize] = id;
        let frame = Frame {
            page,
            referenced: AtomicBool::new(false),
            dirty,
            written: dirty,
            slot,
        };
        st.map.insert(id, frame);
        if dirty {
            st.dirty += 1;
        }
        Ok(())
    }

    /// Runs the clock until a victim is found; writes it back if dirty; returns its free slot.
    fn evict_one(shard: &Shard, st: &mut ShardState, wb: WriteBack<'_>) -> Result<u32> {
        let n = st.ring.len();
        // Two sweeps always suffice: the first clears every reference bit it passes.
        for _ in 0..2 * n + 1 {
            let i = st.hand % n;
            st.hand = (i + 1) % n;
            let id = st.ring[i];
            let Some(f) = st.map.get(&id) else {
                // An empty position (the ring and the map always agree otherwise).
                st.ring[i] = EMPTY;
                return Ok(i as u32);
            };
            if f.referenced.swap(false, Ordering::Relaxed) {
                continue;
            }
            if f.dirty {
                wb(&f.page)?;
                shard.writebacks.fetch_add(1, Ordering::Relaxed);
                st.dirty -= 1;
            }
            st.ring[i] = EMPTY;
            st.map.remove(&id);
            shard.evictions.fetch_add(1, Ordering::Relaxed);
            return Ok(i as u32);
        }
        unreachable!("the clock sweeps every frame twice and clears every reference bit")
    }

    /// Every dirty page, sorted by id (for a checkpoint to write them in file order).
    pub fn dirty_pages(&self) -> Vec<Arc<Page>> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let st = shard.read();
            let dirty = st.map.values().filter(|f| f.dirty);
            out.extend(dirty.map(|f| Arc::new(f.page.clone())));
        }
        out.sort_by_key(|p| p.id());
        out
    }

    /// Marks `page` clean after it was written, if the cache still holds that very image.
    pub fn mark_clean(&self, page: &Arc<Page>) {
        let shard = self.shard(page.id());
        let mut st = shard.write();
        if let Some(f) = st.map.get_mut(&page.id())
            && f.dirty
            && f.page.same_image(page)
        {
            f.dirty = false;
            st.dirty -= 1;
            shard.writebacks.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether `id` is resident and dirty.
    pub fn is_dirty(&self, id: PageId) -> bool {
        let st = self.shard(id).read();
        st.map.get(&id).is_some_and(|f| f.dirty)
    }

    /// The counters.
    pub fn stats(&self) -> CacheStats {
        let mut s = CacheStats {
            budget_bytes: self.budget_bytes,
            ..CacheStats::default()
        };
        for shard in self.shards.iter() {
            s.hits += shard.hits.load(Ordering::Relaxed);
            s.misses += shard.misses.load(Ordering::Relaxed);
            s.evictions += shard.evictions.load(Ordering::Relaxed);
            s.dirty_writebacks += shard.writebacks.load(Ordering::Relaxed);
            let st = shard.read();
            s.current_pages += st.map.len() as u64;
            s.dirty_pages += st.dirty;
        }
        s.current_bytes = s.current_pages * self.page_size as u64;
        s
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::error::Error;
    use crate::storage::page::PageType;

    const PS: usize = 1024;

    fn page(id: u64, fill: u8) -> Arc<Page> {
        let mut p = Page::new(PS, PageId(id), PageType::Leaf);
        p.body_mut().fill(fill);
        p.seal();
        Arc::new(p)
    }

    fn no_wb(_: &Page) -> Result<()> {
        panic!("a clean page must never be written back")
    }

    #[test]
    fn budget_holds_and_counters_add_up() {
        let cache = Cache::new(16 * PS as u64, PS);
        assert_eq!(cache.capacity_pages(), 16);
        for id in 1..=100 {
            assert!(cache.get(PageId(id)).is_none());
            cache.insert_clean(page(id, 0), &no_wb).expect("insert");
            let s = cache.stats();
            assert!(
                s.current_pages <= 16 && s.current_bytes <= 16 * PS as u64,
                "{s:?}"
            );
        }
        for id in 85..=100 {
            assert!(cache.get(PageId(id)).is_some(), "recent page {id} resident");
        }
        let s = cache.stats();
        assert_eq!((s.misses, s.hits, s.evictions), (100, 16, 84), "{s:?}");
        assert_eq!(s.current_pages, 16);
        assert_eq!(s.dirty_writebacks, 0);
    }

    #[test]
    fn clock_evicts_cold_pages_before_hot_ones() {
        let cache = Cache::new(16 * PS as u64, PS);
        for id in 1..=16 {
            cache.insert_clean(page(id, 0), &no_wb).expect("insert");
        }
        // Pages 1..=8 are hot: touched before each new insertion.
        for new in 17..=24 {
            for hot in 1..=8 {
                assert!(cache.get(PageId(hot)).is_some(), "hot page {hot} evicted");
            }
            cache.insert_clean(page(new, 0), &no_wb).expect("insert");
        }
        for cold in 9..=16 {
            assert!(cache.get(PageId(cold)).is_none(), "cold page {cold} kept");
        }
        for id in (1..=8).chain(17..=24) {
            assert!(cache.get(PageId(id)).is_some(), "page {id} evicted");
        }
    }

    #[test]
    fn dirty_victims_are_written_back_before_leaving() {
        let cache = Cache::new(16 * PS as u64, PS);
        let written = Mutex::new(Vec::new());
        let wb = |p: &Page| -> Result<()> {
            written.lock().expect("lock").push(p.clone());
            Ok(())
        };
        for id in 1..=20 {
            cache.insert_dirty(page(id, id as u8), &wb).expect("insert");
        }
        let written = written.into_inner().expect("lock");
        assert_eq!(written.len(), 4);
        for p in &written {
            assert!(cache.get(p.id()).is_none(), "{} still cached", p.id());
            assert_eq!(
                p.body()[0],
                p.id().0 as u8,
                "written image is the page's own"
            );
        }
        let s = cache.stats();
        assert_eq!((s.dirty_writebacks, s.dirty_pages, s.evictions), (4, 16, 4));
        // A checkpoint-style flush marks the rest clean.
        let dirty = cache.dirty_pages();
        assert_eq!(dirty.len(), 16);
        assert!(dirty.windows(2).all(|w| w[0].id() < w[1].id()), "sorted");
        dirty.iter().for_each(|p| cache.mark_clean(p));
        assert_eq!(cache.stats().dirty_pages, 0);
    }

    #[test]
    fn a_failed_write_back_keeps_the_dirty_page() {
        let cache = Cache::new(8 * PS as u64, PS);
        for id in 1..=8 {
            cache.insert_dirty(page(id, 1), &no_wb).expect("insert");
        }
        let fail = |_: &Page| -> Result<()> { Err(Error::InvalidArgument("disk full".into())) };
        assert!(cache.insert_dirty(page(9, 1), &fail).is_err());
        let s = cache.stats();
        assert_eq!((s.current_pages, s.dirty_pages, s.evictions), (8, 8, 0));
        assert!(cache.get(PageId(9)).is_none());
    }

    #[test]
    fn rewrites_replace_the_image_and_discard_drops_it() {
        let cache = Cache::new(16 * PS as u64, PS);
        cache.insert_clean(page(3, 1), &no_wb).expect("insert");
        let old = cache.insert_clean(page(3, 9), &no_wb).expect("insert");
        assert_eq!(
            old.body()[0],
            1,
            "a racing clean load keeps the cached image"
        );
        cache.insert_dirty(page(3, 2), &no_wb).expect("insert");
        assert_eq!(cache.get(PageId(3)).expect("cached").body()[0], 2);
        assert!(cache.is_dirty(PageId(3)));
        cache.discard(PageId(3));
        assert!(cache.get(PageId(3)).is_none());
        assert_eq!(cache.stats().dirty_pages, 0);
    }

    #[test]
    fn only_images_installed_by_a_writer_count_as_written() {
        let cache = Cache::new(16 * PS as u64, PS);
        cache.insert_clean(page(1, 0), &no_wb).expect("insert");
        cache.insert_dirty(page(2, 0), &no_wb).expect("insert");
        assert!(
            !cache.get_written(PageId(1)).expect("cached").1,
            "read from disk"
        );
        assert!(
            cache.get_written(PageId(2)).expect("cached").1,
            "built by a writer"
        );
        cache.insert_dirty(page(1, 3), &no_wb).expect("rewrite");
        assert!(cache.get_written(PageId(1)).expect("cached").1);
        cache.discard(PageId(2));
        cache.insert_clean(page(2, 0), &no_wb).expect("reload");
        assert!(
            !cache.get_written(PageId(2)).expect("cached").1,
            "reloaded from disk"
        );
    }

    #[test]
    fn large_budgets_are_sharded_and_still_bounded() {
        let cache = Cache::new(4096 * PS as u64, PS);
        assert!(cache.shards.len() > 1);
        for id in 1..=20_000 {
            cache.insert_clean(page(id, 0), &no_wb).expect("insert");
        }
        let s = cache.stats();
        assert!(s.current_pages <= 4096, "{s:?}");
        assert!(s.current_pages >= 4000, "shards fill evenly: {s:?}");
    }
}
