//! The freelist: which page ids are free, and when a freed id may be handed out again.
//!
//! The reuse rule (engine/FORMAT.md, "Data file"): a page freed while building commit `E`
//! (it is reachable from the root of epoch `E-1`, not from `E`) is *pending* until
//! 1. it is not part of the last durable checkpoint's tree — pages allocated since the last
//!    checkpoint qualify at once, older pages only after the next checkpoint completes; and
//! 2. commit `E` is published and no pinned reader snapshot of an epoch `< E` exists.
//!
//! Then it joins the reusable set; allocation takes the lowest reusable id, otherwise grows the
//! file. At a checkpoint the reusable and pending ids are persisted as a chain of
//! [`PageType::FreeList`] pages (after a crash no reader survives and the pending ids are not in
//! the checkpoint's tree, so all of them are free):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 24 | page header ([`crate::storage::page`]) |
//! | 24 | 4 | count of ids in this page (u32) |
//! | 28 | 4 | reserved, zero |
//! | 32 | 8 | next page of the chain (u64, 0 = end) |
//! | 40 | 8 × count | free page ids (u64) |

#![deny(clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::error::{Error, Result};
use crate::storage::page::{PAGE_HEADER_LEN, Page, PageType};
use crate::types::PageId;
use crate::util::codec::{put_u32_at, put_u64_at, read_u32_at, read_u64_at};

/// The fields of a freelist page's body (offsets from the end of the page header).
pub mod layout {
    use crate::util::codec::Field;

    /// Number of ids in this page.
    pub const COUNT: Field = Field::u32(0);
    /// Reserved, zero.
    pub const RESERVED: Field = Field::zeros(4, 4);
    /// Next page of the chain (0 = end).
    pub const NEXT: Field = Field::u64(8);
    /// Where the ids (u64 each) start.
    pub const IDS: usize = NEXT.end();
    /// Bytes of one id.
    pub const ID_LEN: usize = 8;
}

/// Bytes of a freelist page before its ids.
const FL_HEADER: usize = PAGE_HEADER_LEN + layout::IDS;

/// How many page ids one freelist page holds.
pub fn ids_per_page(page_size: usize) -> usize {
    // Saturating: a page shorter than the header holds no ids (verified pages never are; see
    // the fuzz fixture `freelist_page_shorter_than_its_header`).
    page_size.saturating_sub(FL_HEADER) / layout::ID_LEN
}

/// Encodes one freelist page.
pub fn encode_page(page_size: usize, id: PageId, ids: &[PageId], next: PageId) -> Page {
    let mut page = Page::new(page_size, id, PageType::FreeList);
    let body = page.body_mut();
    // `ids.len() <= ids_per_page(page_size) < u32::MAX` (callers chunk by `ids_per_page`).
    put_u32_at(body, layout::COUNT.offset, ids.len() as u32);
    put_u64_at(body, layout::NEXT.offset, next.0);
    for (i, pid) in ids.iter().enumerate() {
        put_u64_at(body, layout::IDS + layout::ID_LEN * i, pid.0);
    }
    page.seal();
    page
}

/// Decodes one verified freelist page into its ids and the next page of the chain.
pub fn decode_page(page: &Page) -> Result<(Vec<PageId>, PageId)> {
    let id = page.id();
    if page.page_type() != Some(PageType::FreeList) {
        return Err(Error::corruption(
            id,
            format!(
                "freelist chain reaches a page of type {} (expected FreeList)",
                page.raw_type()
            ),
        ));
    }
    let body = page.body();
    // A verified page is at least `MIN_PAGE_SIZE` bytes, so the header fields are there; a
    // missing one reads as 0, like the ids past the end that `count` is checked against.
    let word = |at: usize| read_u64_at(body, at).unwrap_or(0);
    let count = read_u32_at(body, layout::COUNT.offset).unwrap_or(0) as usize;
    if count > ids_per_page(page.size()) {
        return Err(Error::corruption(
            id,
            format!(
                "freelist page claims {count} ids; at most {} fit",
                ids_per_page(page.size())
            ),
        ));
    }
    let ids = (0..count)
        .map(|i| PageId(word(layout::IDS + layout::ID_LEN * i)))
        .collect();
    Ok((ids, PageId(word(layout::NEXT.offset))))
}

/// The in-memory free set and reuse bookkeeping. Not thread-safe by itself: the storage layer
/// keeps it behind a mutex (only the single writer and checkpoints touch it).
#[derive(Debug, Default)]
pub struct FreeList {
    /// Ids that may be handed out now.
    reusable: BTreeSet<PageId>,
    /// Freed ids that were part of the last checkpoint, keyed by id, with their free epoch.
    awaiting_checkpoint: BTreeMap<PageId, u64>,
    /// Freed ids waiting only for readers: free epoch → ids.
    awaiting_readers: BTreeMap<u64, Vec<PageId>>,
    /// Every id in `awaiting_readers` (for O(1) double-free checks).
    awaiting_readers_ids: HashSet<PageId>,
    /// Ids handed out since the last checkpoint.
    allocated_since_checkpoint: HashSet<PageId>,
    /// Pinned reader epochs (epoch → number of pins).
    pins: BTreeMap<u64, usize>,
    /// The last published epoch.
    epoch: u64,
    /// Number of pages in the file (page 0 included).
    page_count: u64,
    /// Pages of the persisted chain of the last checkpoint.
    chain: Vec<PageId>,
    /// Problems found while loading the persisted chain (duplicates, out-of-range ids).
    load_findings: Vec<String>,
}

impl FreeList {
    /// An empty freelist for a file of `page_count` pages.
    pub fn new(page_count: u64) -> FreeList {
        FreeList {
            page_count,
            ..FreeList::default()
        }
    }

    /// Loads the persisted ids and chain pages. Out-of-range and duplicate ids are dropped
    /// (keeping the file usable) and recorded for the integrity check.
    pub fn load(page_count: u64, chain: Vec<PageId>, ids: Vec<PageId>) -> FreeList {
        let mut fl = FreeList::new(page_count);
        let chain_set: HashSet<PageId> = chain.iter().copied().collect();
        for id in ids {
            if id.0 == 0 || id.0 >= page_count {
                fl.load_findings
                    .push(format!("freelist holds out-of-range {id}"));
            } else if chain_set.contains(&id) {
                fl.load_findings
                    .push(format!("freelist lists its own chain page {id}"));
            } else if !fl.reusable.insert(id) {
                fl.load_findings.push(format!("{id} is free twice"));
            }
        }
        fl.chain = chain;
        fl
    }

    /// Hands out the lowest reusable id, or grows the file by one page.
    pub fn allocate(&mut self) -> (PageId, bool) {
        let (id, reused) = match self.reusable.pop_first() {
            Some(id) => (id, true),
            None => {
                let id = PageId(self.page_count);
                self.page_count += 1;
                (id, false)
            }
        };
        self.allocated_since_checkpoint.insert(id);
        (id, reused)
    }

    /// Records that the commit being built (epoch `self.epoch + 1`) no longer references `id`.
    pub fn free(&mut self, id: PageId) -> Result<()> {
        if id.0 == 0 || id.0 >= self.page_count {
            return Err(Error::InvalidArgument(format!(
                "cannot free {id}: the file has {} pages",
                self.page_count
            )));
        }
        if self.is_free(id) {
            return Err(Error::InvalidArgument(format!("{id} is freed twice")));
        }
        let epoch = self.epoch + 1;
        if self.allocated_since_checkpoint.remove(&id) {
            self.awaiting_readers.entry(epoch).or_default().push(id);
            self.awaiting_readers_ids.insert(id);
        } else {
            self.awaiting_checkpoint.insert(id, epoch);
        }
        Ok(())
    }

    fn is_free(&self, id: PageId) -> bool {
        self.reusable.contains(&id)
            || self.awaiting_checkpoint.contains_key(&id)
            || self.awaiting_readers_ids.contains(&id)
    }

    /// Publishes the commit being built; returns ids that became reusable.
    pub fn advance_epoch(&mut self) -> Vec<PageId> {
        self.epoch += 1;
        self.release()
    }

    /// The last published epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Pins a reader snapshot of `epoch`: pages it can reach are not reused until unpinned.
    pub fn pin(&mut self, epoch: u64) {
        *self.pins.entry(epoch).or_default() += 1;
    }

    /// Releases one pin of `epoch`; returns ids that became reusable.
    pub fn unpin(&mut self, epoch: u64) -> Vec<PageId> {
        if let Some(n) = self.pins.get_mut(&epoch) {
            *n -= 1;
            if *n == 0 {
                self.pins.remove(&epoch);
            }
        }
        self.release()
    }

    /// Moves every pending id whose conditions hold into the reusable set; returns them.
    fn release(&mut self) -> Vec<PageId> {
        // Freed at epoch F: reusable once F is published and no pinned epoch < F exists.
        let oldest_pin = self.pins.keys().next().copied().unwrap_or(u64::MAX);
        let limit = self.epoch.min(oldest_pin);
        let mut out = Vec::new();
        while let Some(entry) = self.awaiting_readers.first_entry() {
            if *entry.key() > limit {
                break;
            }
            out.extend(entry.remove());
        }
        for id in &out {
            self.awaiting_readers_ids.remove(id);
        }
        self.reusable.extend(out.iter().copied());
        out
    }

    /// Every id that is free or pending, sorted (what a checkpoint persists).
    pub fn all_free(&self) -> Vec<PageId> {
        let mut v: Vec<PageId> = self
            .reusable
            .iter()
            .chain(self.awaiting_checkpoint.keys())
            .copied()
            .chain(self.awaiting_readers.values().flatten().copied())
            .collect();
        v.sort_unstable();
        v
    }

    /// Checkpoint step 1: frees the previous chain (it belongs to the last checkpoint), trims
    /// trailing reusable pages, and allocates pages for the new chain. Returns the new chain and
    /// the ids to write into it. The caller writes them, syncs, writes the meta, syncs, and then
    /// calls [`FreeList::checkpoint_done`].
    pub fn prepare_checkpoint(&mut self, page_size: usize) -> (Vec<PageId>, Vec<PageId>) {
        for id in std::mem::take(&mut self.chain) {
            // Epoch 0 never waits for readers: no reader reads freelist pages.
            self.awaiting_checkpoint.insert(id, 0);
        }
        while self.page_count > 1 && self.reusable.remove(&PageId(self.page_count - 1)) {
            self.page_count -= 1;
        }
        let per = ids_per_page(page_size);
        let mut chain = Vec::new();
        loop {
            let n = self.reusable.len() + self.awaiting_checkpoint.len() + self.pending_readers();
            if chain.len() >= n.div_ceil(per) {
                break;
            }
            chain.push(self.allocate().0);
        }
        self.chain = chain.clone();
        (chain, self.all_free())
    }

    fn pending_readers(&self) -> usize {
        self.awaiting_readers_ids.len()
    }

    /// Checkpoint completed (meta durable): everything is now part of the checkpoint; pages that
    /// waited for it move on to wait only for readers. Returns ids that became reusable.
    pub fn checkpoint_done(&mut self) -> Vec<PageId> {
        self.allocated_since_checkpoint.clear();
        for (id, epoch) in std::mem::take(&mut self.awaiting_checkpoint) {
            self.awaiting_readers.entry(epoch).or_default().push(id);
            self.awaiting_readers_ids.insert(id);
        }
        self.release()
    }

    /// Number of pages in the file.
    pub fn page_count(&self) -> u64 {
        self.page_count
    }

    /// Number of free or pending ids.
    pub fn free_count(&self) -> usize {
        self.reusable.len() + self.awaiting_checkpoint.len() + self.pending_readers()
    }

    /// Number of ids reusable now.
    pub fn reusable_count(&self) -> usize {
        self.reusable.len()
    }

    /// The pages of the persisted chain.
    pub fn chain(&self) -> &[PageId] {
        &self.chain
    }

    /// Every free or pending id with duplicates kept (for the integrity check).
    pub fn free_ids_raw(&self) -> Vec<PageId> {
        self.reusable
            .iter()
            .chain(self.awaiting_checkpoint.keys())
            .copied()
            .chain(self.awaiting_readers.values().flatten().copied())
            .collect()
    }

    /// Problems found while loading the persisted chain.
    pub fn load_findings(&self) -> &[String] {
        &self.load_findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_codec_round_trips_and_bounds_count() {
        let ids: Vec<PageId> = (10..20).map(PageId).collect();
        let page = encode_page(1024, PageId(3), &ids, PageId(8));
        page.verify(PageId(3)).expect("sealed");
        assert_eq!(decode_page(&page).expect("decodes"), (ids, PageId(8)));
        let mut bad = Page::new(1024, PageId(3), PageType::FreeList);
        bad.body_mut()[0..4].copy_from_slice(&10_000u32.to_le_bytes());
        assert!(decode_page(&bad).is_err());
        let leaf = Page::new(1024, PageId(3), PageType::Leaf);
        assert!(decode_page(&leaf).is_err());
    }

    #[test]
    fn allocation_prefers_lowest_then_grows() {
        let mut fl = FreeList::load(10, vec![], vec![PageId(7), PageId(3)]);
        assert_eq!(fl.allocate(), (PageId(3), true));
        assert_eq!(fl.allocate(), (PageId(7), true));
        assert_eq!(fl.allocate(), (PageId(10), false));
        assert_eq!(fl.page_count(), 11);
    }

    #[test]
    fn checkpointed_pages_wait_for_a_checkpoint_new_pages_for_publication() {
        let mut fl = FreeList::new(5); // pages 1..5 belong to the checkpoint
        let (fresh, _) = fl.allocate();
        fl.free(PageId(2)).expect("free old");
        fl.free(fresh).expect("free new");
        assert!(fl.free(fresh).is_err(), "double free is refused");
        assert_eq!(
            fl.reusable_count(),
            0,
            "nothing reusable before publication"
        );
        assert_eq!(fl.advance_epoch(), vec![fresh]);
        assert_eq!(fl.allocate(), (fresh, true));
        assert!(!fl.allocate().1, "page 2 still waits for a checkpoint");
        fl.prepare_checkpoint(1024);
        assert_eq!(fl.checkpoint_done(), vec![PageId(2)]);
    }

    #[test]
    fn pinned_readers_hold_back_reuse() {
        let mut fl = FreeList::new(2);
        let (a, _) = fl.allocate();
        fl.advance_epoch(); // epoch 1 publishes a tree containing `a`
        fl.pin(1);
        fl.free(a).expect("free");
        assert!(
            fl.advance_epoch().is_empty(),
            "reader of epoch 1 can reach a"
        );
        assert_eq!(fl.unpin(1), vec![a]);
    }

    #[test]
    fn load_records_duplicates_and_out_of_range() {
        let fl = FreeList::load(
            5,
            vec![PageId(4)],
            (0..7).map(|i| PageId(i % 4 + 1)).collect(),
        );
        assert_eq!(fl.reusable_count(), 3);
        assert_eq!(fl.load_findings().len(), 4, "{:?}", fl.load_findings());
    }
}
