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
//! `crate::integrity` (above this layer) adds the check of the tables (`schema::check`, whose
//! figures it records in [`TablesCheck`], a plain-data summary defined here so the report stays
//! one type) and the check of a database directory that may not even open.

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
    /// The tables' check, when it ran (`None`: not checked — the database did not open, or
    /// only the storage core was checked).
    pub tables: Option<TablesCheck>,
}

/// The table layer's part of a report (see the module docs): what was read and every finding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TablesCheck {
    /// Tables checked.
    pub tables: u64,
    /// Rows read.
    pub rows: u64,
    /// Index entries read.
    pub index_entries: u64,
    /// Index entries no row implies.
    pub orphaned_index_entries: u64,
    /// Index entries a row implies that the index lacks.
    pub missing_index_entries: u64,
    /// NOT NULL, primary-key and unique constraints that do not hold.
    pub constraint_violations: u64,
    /// Rows that do not decode with their table's types.
    pub undecodable_rows: u64,
    /// Keys in the reserved schema prefix that no table, index, catalog or migration owns.
    pub foreign_keys: u64,
    /// Columns of columnar tables whose stored statistics disagree with their segments.
    pub column_stats: u64,
    /// Materialized views whose stored result (with their change log applied) differs from a
    /// full recomputation, or whose state or log does not decode.
    pub view_mismatches: u64,
    /// Why the tables could not be checked at all (e.g. a catalog entry that does not decode).
    pub unreadable: Option<String>,
    /// The findings, at most a bounded number of them.
    pub findings: Vec<TableFinding>,
    /// Findings counted but not listed.
    pub unlisted: u64,
}

impl TablesCheck {
    /// Findings of every kind (an unreadable catalog counts as one).
    pub fn total(&self) -> u64 {
        self.orphaned_index_entries
            + self.missing_index_entries
            + self.constraint_violations
            + self.undecodable_rows
            + self.foreign_keys
            + self.column_stats
            + self.view_mismatches
            + u64::from(self.unreadable.is_some())
    }
}

/// One problem in a table or index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableFinding {
    /// `orphaned_index_entries`, `missing_index_entries`, `constraint_violations`,
    /// `undecodable_rows`, `foreign_keys`, `column_stats` or `view_mismatches`.
    pub kind: &'static str,
    /// The table (empty for a foreign key).
    pub table: String,
    /// The index, when the finding is about one.
    pub index: Option<String>,
    /// The primary key as SQL literals (or the raw key, escaped, when it does not decode).
    pub key: String,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for TableFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "table: {}: ", self.kind)?;
        if !self.table.is_empty() {
            write!(f, "table `{}`: ", self.table)?;
        }
        if let Some(index) = &self.index {
            write!(f, "index `{index}`: ")?;
        }
        write!(f, "key {}: {}", self.key, self.problem)
    }
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

    /// Findings of the storage core and of the tables.
    pub fn error_count(&self) -> u64 {
        self.findings.len() as u64 + self.tables.as_ref().map_or(0, TablesCheck::total)
    }

    /// Attaches the tables' check; the report is clean only if both parts are.
    pub fn with_tables(mut self, tables: TablesCheck) -> Self {
        self.clean = self.clean && tables.total() == 0;
        self.tables = Some(tables);
        self
    }

    /// The findings as one line each, e.g. for an error message.
    pub fn findings_text(&self) -> String {
        let mut lines: Vec<String> = self.findings.iter().map(Finding::to_string).collect();
        if let Some(t) = &self.tables {
            lines.extend(t.unreadable.iter().map(|u| format!("table: {u}")));
            lines.extend(t.findings.iter().map(TableFinding::to_string));
        }
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
        match &self.tables {
            Some(t) => writeln!(
                f,
                "tables: {} ({} rows, {} index entries): {} orphaned, {} missing index entries, {} constraint violations, {} undecodable rows, {} foreign keys, {} column statistics, {} view mismatches",
                t.tables,
                t.rows,
                t.index_entries,
                t.orphaned_index_entries,
                t.missing_index_entries,
                t.constraint_violations,
                t.undecodable_rows,
                t.foreign_keys,
                t.column_stats,
                t.view_mismatches,
            )?,
            None => writeln!(f, "tables: not checked")?,
        }
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
        }
        if let Some(t) = &self.tables {
            if let Some(why) = &t.unreadable {
                writeln!(f, "table: the tables cannot be checked: {why}")?;
            }
            for finding in &t.findings {
                writeln!(f, "{finding}")?;
            }
            if t.unlisted > 0 {
                writeln!(f, "table: … and {} more findings not listed", t.unlisted)?;
            }
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
        tables: None,
    })
}
