//! The integrity check of one snapshot of the database, the report it gives, and the findings
//! it lists. Steps, in order:
//! 1. walk the B+tree from the snapshot's root (`btree::check`): key order within and across
//!    nodes, separator bounds, equal leaf depth, cell bounds, overflow chains — collecting every
//!    page the tree reaches;
//! 2. hand those pages to the storage check (`Storage::check_integrity`): every reachable and
//!    freelist page's checksum, self id and type; pages outside the file; pages shared between
//!    the tree and the freelist; pages free twice; leaked pages (neither reachable nor free);
//! 3. compare the number of keys found with the count the database keeps.
//!
//! [`Database::check`](crate::Database::check) and the read-only view call [`check`];
//! `crate::integrity` (above this layer) adds the check of a database directory that may not
//! even open.

use std::fmt;

use serde::Serialize;

use crate::btree;
use crate::error::Result;
use crate::storage::Storage;
use crate::types::PageId;

/// One problem the checker found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The layer that found it: `tree`, `storage` or `database`.
    pub layer: &'static str,
    /// The page concerned (0 for findings about the file as a whole).
    pub page: u64,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: page {}: {}", self.layer, self.page, self.problem)
    }
}

/// Shape of the tree as the checker saw it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TreeShape {
    /// Levels from the root to the leaves (0 for an empty tree).
    pub height: usize,
    /// Leaf pages.
    pub leaf_pages: u64,
    /// Branch (interior) pages.
    pub branch_pages: u64,
    /// Overflow pages holding large values.
    pub overflow_pages: u64,
    /// Keys found in the leaves.
    pub entries: u64,
}

/// The result of [`check`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IntegrityReport {
    /// Whether nothing is wrong.
    pub clean: bool,
    /// Whether the database could be opened. When `false` nothing else was checked: the one
    /// finding says why it cannot be opened, and every count is 0.
    pub opened: bool,
    /// Pages in the data file (page 0 included).
    pub page_count: u64,
    /// Pages whose checksum was verified.
    pub pages_verified: u64,
    /// Pages the tree reaches (tree and overflow pages).
    pub reachable_pages: u64,
    /// Free pages (reusable or pending).
    pub free_pages: u64,
    /// Pages of the persisted freelist chain.
    pub freelist_chain_pages: u64,
    /// Pages neither reachable nor free.
    pub leaked_pages: Vec<u64>,
    /// The tree's shape.
    pub tree: TreeShape,
    /// Keys the database's counter says it holds.
    pub entries_expected: u64,
    /// Every problem found (leaked pages are also listed here).
    pub findings: Vec<Finding>,
}

impl IntegrityReport {
    /// Whether the check found nothing wrong.
    pub fn is_clean(&self) -> bool {
        self.clean
    }

    /// The report on a database that cannot be opened because it is damaged: one finding of
    /// layer `database` (page 0) saying why.
    pub fn unopenable(problem: impl Into<String>) -> Self {
        IntegrityReport {
            findings: vec![Finding {
                layer: "database",
                page: 0,
                problem: problem.into(),
            }],
            ..IntegrityReport::default()
        }
    }

    /// The findings as one line each, e.g. for an error message.
    pub fn findings_text(&self) -> String {
        let lines: Vec<String> = self.findings.iter().map(Finding::to_string).collect();
        lines.join("; ")
    }
}

impl fmt::Display for IntegrityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.opened {
            writeln!(
                f,
                "PROBLEMS FOUND: the database cannot be opened, so nothing else was checked"
            )?;
            for finding in &self.findings {
                writeln!(f, "{finding}")?;
            }
            return Ok(());
        }
        writeln!(
            f,
            "{}: {} pages ({} verified): {} in the tree (height {}, {} leaf, {} branch, {} overflow), {} free, {} freelist",
            if self.clean {
                "clean"
            } else {
                "PROBLEMS FOUND"
            },
            self.page_count,
            self.pages_verified,
            self.reachable_pages,
            self.tree.height,
            self.tree.leaf_pages,
            self.tree.branch_pages,
            self.tree.overflow_pages,
            self.free_pages,
            self.freelist_chain_pages,
        )?;
        writeln!(
            f,
            "keys: {} found, {} expected",
            self.tree.entries, self.entries_expected
        )?;
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
        }
        Ok(())
    }
}

/// Checks the tree rooted at `root` and the storage under it; `entries` is the key count the
/// database keeps for that root.
pub fn check(storage: &Storage, root: PageId, entries: u64) -> Result<IntegrityReport> {
    let tree = btree::check(storage, root);
    let store = storage.check_integrity(&tree.pages);
    let mut findings: Vec<Finding> = tree
        .findings
        .iter()
        .map(|f| Finding {
            layer: "tree",
            page: f.page,
            problem: f.detail.clone(),
        })
        .collect();
    findings.extend(store.findings.iter().map(|f| Finding {
        layer: "storage",
        page: f.page.0,
        problem: f.problem.clone(),
    }));
    findings.extend(store.leaked.iter().map(|p| Finding {
        layer: "storage",
        page: p.0,
        problem: "leaked: neither reachable from the tree nor free".to_string(),
    }));
    if tree.findings.is_empty() && tree.stats.entries != entries {
        findings.push(Finding {
            layer: "database",
            page: 0,
            problem: format!(
                "the tree holds {} keys but the database counts {entries}",
                tree.stats.entries
            ),
        });
    }
    Ok(IntegrityReport {
        clean: findings.is_empty(),
        opened: true,
        page_count: store.page_count,
        pages_verified: store.pages_verified,
        reachable_pages: store.reachable_pages,
        free_pages: store.free_pages,
        freelist_chain_pages: store.freelist_chain_pages,
        leaked_pages: store.leaked.iter().map(|p| p.0).collect(),
        tree: TreeShape {
            height: tree.stats.height,
            leaf_pages: tree.stats.leaf_pages,
            branch_pages: tree.stats.branch_pages,
            overflow_pages: tree.stats.overflow_pages,
            entries: tree.stats.entries,
        },
        entries_expected: entries,
        findings,
    })
}
