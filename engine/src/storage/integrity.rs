//! Storage-level integrity check: page checksums and page ownership.
//!
//! Given the pages the tree reaches (from the B+tree's walker), the check, in order:
//! 1. classifies every page id as reachable, free, freelist-chain or unowned, recording ids out
//!    of range, ids the tree reaches twice, ids both free and reachable, and ids free twice;
//! 2. verifies the checksum, self id and type of every reachable and chain page (the cached image
//!    when it is dirty — it has not reached the file yet — otherwise the bytes on disk);
//! 3. reports pages that are neither reachable nor free as leaked;
//! 4. verifies every byte of page 0 ([`crate::storage::page0`]).
//!
//! Free pages are not read: their bytes mean nothing (see "Data file" in `engine/FORMAT.md`).
//!
//! It never stops at the first problem: everything goes into an [`IntegrityReport`].
#![deny(clippy::indexing_slicing)]

use std::sync::Arc;

use crate::storage::store::Storage;
use crate::storage::{Page, PageType};
use crate::types::PageId;

/// One problem found by the check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The page concerned.
    pub page: PageId,
    /// What is wrong with it.
    pub problem: String,
}

/// The result of [`Storage::check_integrity`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IntegrityReport {
    /// Pages in the file, page 0 included.
    pub page_count: u64,
    /// Distinct pages the tree reaches.
    pub reachable_pages: u64,
    /// Distinct free pages (reusable or pending).
    pub free_pages: u64,
    /// Pages of the persisted freelist chain.
    pub freelist_chain_pages: u64,
    /// Pages whose checksum was verified.
    pub pages_verified: u64,
    /// Pages neither reachable, free, nor part of the freelist chain.
    pub leaked: Vec<PageId>,
    /// Every problem found, leaks excluded.
    pub findings: Vec<Finding>,
}

impl IntegrityReport {
    /// Whether the check found nothing wrong (no findings, no leaked pages).
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty() && self.leaked.is_empty()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    None,
    Tree,
    Free,
    Chain,
}

impl Storage {
    /// Checks the storage against the set of pages the tree reaches (see the module doc).
    /// Call it at a quiet point (no commit in progress).
    pub fn check_integrity(&self, reachable: &[PageId]) -> IntegrityReport {
        let fl = crate::storage::store::lock_freelist(self);
        let page_count = fl.page_count();
        let chain = fl.chain().to_vec();
        let free = fl.free_ids_raw();
        let mut report = IntegrityReport {
            page_count,
            freelist_chain_pages: chain.len() as u64,
            ..IntegrityReport::default()
        };
        for problem in fl.load_findings() {
            report.findings.push(Finding {
                page: PageId(0),
                problem: problem.clone(),
            });
        }
        drop(fl);
        let n = usize::try_from(page_count).unwrap_or(usize::MAX);
        let mut owner = vec![Owner::None; n];
        let mut findings = std::mem::take(&mut report.findings);
        let mut to_verify = Vec::new();
        for &id in reachable {
            if claim(&mut owner, &mut findings, id, Owner::Tree) {
                to_verify.push((id, Owner::Tree));
            }
        }
        for &id in &chain {
            if claim(&mut owner, &mut findings, id, Owner::Chain) {
                to_verify.push((id, Owner::Chain));
            }
        }
        for &id in &free {
            claim(&mut owner, &mut findings, id, Owner::Free);
        }
        to_verify.sort_by_key(|&(id, _)| id);
        for (id, who) in to_verify {
            // A dirty page has not reached the file yet: check the cached image. (If it is
            // evicted between the two calls it was written back, so the file is checked.)
            let cached = if self.cache.is_dirty(id) {
                self.cache.get(id)
            } else {
                None
            };
            let cached_dirty = cached.is_some();
            let page = match cached {
                Some(p) => p,
                None => match self.pager.read_page(id) {
                    Ok(p) => Arc::new(p),
                    Err(e) => {
                        report.pages_verified += 1;
                        findings.push(Finding {
                            page: id,
                            problem: e.to_string(),
                        });
                        continue;
                    }
                },
            };
            report.pages_verified += 1;
            // Cached dirty images are sealed only on their way to the file: seal a copy.
            let verified = if cached_dirty {
                let mut sealed = Page::from_bytes(page.as_bytes().into());
                sealed.seal();
                sealed.verify(id)
            } else {
                page.verify(id)
            };
            if let Err(e) = verified {
                findings.push(Finding {
                    page: id,
                    problem: e.to_string(),
                });
                continue;
            }
            let is_fl = page.page_type() == Some(PageType::FreeList);
            if is_fl != (who == Owner::Chain) {
                let problem = if is_fl {
                    "the tree reaches a freelist page"
                } else {
                    "the freelist chain holds a non-freelist page"
                };
                findings.push(Finding {
                    page: id,
                    problem: problem.to_string(),
                });
            }
        }
        report.findings = findings;
        report.findings.extend(self.check_page0());
        for (i, o) in owner.iter().enumerate().skip(1) {
            match o {
                Owner::None => report.leaked.push(PageId(i as u64)),
                Owner::Tree => report.reachable_pages += 1,
                Owner::Free => report.free_pages += 1,
                Owner::Chain => {}
            }
        }
        report
    }
}

impl Storage {
    /// Page 0, every byte of it (see [`crate::storage::page0`]).
    fn check_page0(&self) -> Vec<Finding> {
        let (meta, active) = *crate::storage::store::lock_meta(self);
        let problems = match self.pager.read_header_page() {
            Ok(bytes) => crate::storage::page0::verify(
                self.pager.path(),
                &bytes,
                self.pager.page_size(),
                active,
                &meta,
            ),
            Err(e) => vec![e.to_string()],
        };
        problems
            .into_iter()
            .map(|problem| Finding {
                page: PageId(0),
                problem,
            })
            .collect()
    }
}

/// Records that `who` owns `id`; returns false (and a finding) if the id is out of range or
/// already owned.
fn claim(owner: &mut [Owner], findings: &mut Vec<Finding>, id: PageId, who: Owner) -> bool {
    let page_count = owner.len();
    let Some(slot) = usize::try_from(id.0)
        .ok()
        .filter(|&i| i > 0)
        .and_then(|i| owner.get_mut(i))
    else {
        findings.push(Finding {
            page: id,
            problem: format!("referenced page is outside 1..{page_count}"),
        });
        return false;
    };
    let problem = match (*slot, who) {
        (Owner::None, _) => {
            *slot = who;
            return true;
        }
        (Owner::Tree, Owner::Tree) => "the tree reaches the page twice",
        (Owner::Tree, _) | (_, Owner::Tree) => "the page is both free and in the tree",
        _ => "the page is free twice",
    };
    findings.push(Finding {
        page: id,
        problem: problem.to_string(),
    });
    false
}
