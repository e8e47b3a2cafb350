//! The table integrity check: against one transaction's snapshot, every row decodes with its
//! table's types and its key agrees with its value, NOT NULL and primary-key columns hold no
//! NULL, every index holds exactly the entries its rows imply (no orphaned entry, none
//! missing, unique values unique), per-index counts agree, and an order-independent
//! fingerprint of (index key, primary key) pairs recomputed from the rows matches the one
//! read from the index. A columnar table's stored column statistics are verified against its
//! segments ([`stats`]). Keys inside the reserved prefix that belong to no table, index,
//! catalog entry or migration history entry are reported as foreign. Each materialized view
//! is verified against its base table (`sql::mv::verify`): its stored result with its change
//! log applied must equal a full recomputation.
//!
//! Run it in a read-only transaction ([`Database::begin_read_only`](crate::Database)) to check
//! one snapshot while writers continue. Each finding names the table, the index and the primary
//! key it is about.
//!
//! Memory stays bounded whatever the table's size: the rows are streamed once, and each index
//! is summarised by a count and a fingerprint on both sides ([`pass`]); only an index whose
//! figures disagree is walked again, entry by entry and row by row with point reads, to name
//! the keys ([`drill`]). A partitioned columnar table's partitions are checked against their
//! bounds and segments ([`partitions`]). The list of findings is capped at [`MAX_LISTED`]; the counts are
//! always exact. Foreign keys are found by [`foreign`].

mod drill;
mod foreign;
mod partitions;
mod pass;
mod stats;

use std::collections::BTreeMap;
use std::ops::Bound;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::catalog::Catalog;
use super::error::Result;
use super::keys::prefix_end;
use crate::Transaction;

/// At most this many findings are listed in a report; further ones are only counted.
pub const MAX_LISTED: usize = 10_000;

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// An index entry no row implies (or one whose row has other values in the index).
    OrphanedEntry,
    /// A row without the entry an index must hold for it.
    MissingEntry,
    /// A NOT NULL, primary-key or unique constraint that does not hold.
    ConstraintViolation,
    /// A row whose key or value does not decode with its table's types, or whose key and
    /// value disagree on the primary key.
    UndecodableRow,
    /// A key inside the reserved prefix that no table, index, catalog entry or migration owns.
    ForeignKey,
    /// A columnar table's stored column statistics that disagree with its segments (or do not
    /// decode).
    ColumnStats,
    /// A materialized view that disagrees with a full recomputation, or whose state or change
    /// log does not decode.
    ViewMismatch,
}

impl FindingKind {
    /// Every kind, in report order.
    pub const ALL: [FindingKind; 7] = [
        FindingKind::OrphanedEntry,
        FindingKind::MissingEntry,
        FindingKind::ConstraintViolation,
        FindingKind::UndecodableRow,
        FindingKind::ForeignKey,
        FindingKind::ColumnStats,
        FindingKind::ViewMismatch,
    ];

    /// The kind's name in reports and metrics: `orphaned_index_entries`,
    /// `missing_index_entries`, `constraint_violations`, `undecodable_rows`, `foreign_keys`,
    /// `column_stats`, `view_mismatches`.
    pub fn metric_name(self) -> &'static str {
        match self {
            FindingKind::OrphanedEntry => "orphaned_index_entries",
            FindingKind::MissingEntry => "missing_index_entries",
            FindingKind::ConstraintViolation => "constraint_violations",
            FindingKind::UndecodableRow => "undecodable_rows",
            FindingKind::ForeignKey => "foreign_keys",
            FindingKind::ColumnStats => "column_stats",
            FindingKind::ViewMismatch => "view_mismatches",
        }
    }
}

/// One problem, with what it is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The kind.
    pub kind: FindingKind,
    /// The table (empty for a foreign key).
    pub table: String,
    /// The index, when the finding is about one.
    pub index: Option<String>,
    /// The primary key as SQL literals, or the raw key escaped when it does not decode.
    pub key: String,
    /// What exactly is wrong.
    pub detail: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: ", self.kind.metric_name())?;
        if !self.table.is_empty() {
            write!(f, "table `{}`: ", self.table)?;
        }
        if let Some(index) = &self.index {
            write!(f, "index `{index}`: ")?;
        }
        write!(f, "key {}: {}", self.key, self.detail)
    }
}

/// One index's figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IndexReport {
    /// The index.
    pub name: String,
    /// Entries read from the index.
    pub entries: u64,
    /// Entries the rows imply.
    pub expected: u64,
    /// Fingerprint of the entries read: the wrapping sum, over every (key, value), of the
    /// first 16 bytes (big-endian) of SHA-256 over the key's length (u32 BE), key and value.
    #[serde(serialize_with = "hex_u128")]
    pub fingerprint: u128,
    /// The same fingerprint recomputed from the rows.
    #[serde(serialize_with = "hex_u128")]
    pub expected_fingerprint: u128,
    /// Whether the figures disagreed, so the index was walked entry by entry to name the keys.
    pub drilled: bool,
}

impl IndexReport {
    /// Whether the index's count and fingerprint agree with the rows'.
    pub fn agrees(&self) -> bool {
        self.entries == self.expected && self.fingerprint == self.expected_fingerprint
    }
}

fn hex_u128<S: serde::Serializer>(v: &u128, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:032x}"))
}

/// One table's figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableReport {
    /// The table.
    pub table: String,
    /// Rows read.
    pub rows: u64,
    /// Its indexes.
    pub indexes: Vec<IndexReport>,
}

/// The result of [`check`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SchemaReport {
    /// Per table, by name.
    pub tables: Vec<TableReport>,
    /// The findings, at most [`MAX_LISTED`] of them, in the order found.
    pub findings: Vec<Finding>,
    /// How many findings of each kind there are (exact, also beyond the listed ones).
    pub counts: BTreeMap<FindingKind, u64>,
    /// Findings counted but not listed (beyond [`MAX_LISTED`]).
    pub unlisted: u64,
}

impl SchemaReport {
    /// How many findings of `kind` there are.
    pub fn count(&self, kind: FindingKind) -> u64 {
        self.counts.get(&kind).copied().unwrap_or(0)
    }

    /// Findings of every kind.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Whether nothing was found.
    pub fn is_clean(&self) -> bool {
        self.total() == 0
    }

    /// Rows read over all tables.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }

    /// Index entries read over all indexes.
    pub fn index_entries(&self) -> u64 {
        self.tables
            .iter()
            .flat_map(|t| &t.indexes)
            .map(|i| i.entries)
            .sum()
    }

    fn push(&mut self, finding: Finding) {
        *self.counts.entry(finding.kind).or_insert(0) += 1;
        if self.findings.len() < MAX_LISTED {
            self.findings.push(finding);
        } else {
            self.unlisted += 1;
        }
    }
}

/// Checks every table as `txn` sees it (see the module docs).
pub fn check(txn: &mut Transaction<'_>) -> Result<SchemaReport> {
    let catalog = Catalog::load(txn)?;
    let mut report = SchemaReport::default();
    for def in catalog.tables() {
        let mut table = pass::check_table(txn, def, &mut report)?;
        partitions::check_partitions(txn, def, &mut report)?;
        for (index, figures) in def.indexes.iter().zip(table.indexes.iter_mut()) {
            if !figures.agrees() {
                figures.drilled = true;
                drill::drill(txn, def, index, &mut report)?;
            }
        }
        report.tables.push(table);
        stats::check_stats(txn, def, &mut report)?;
    }
    for view in catalog.views() {
        let found = super::sql::mv::verify(txn, &catalog, view)?;
        for problem in found.problems {
            report.push(Finding {
                kind: FindingKind::ViewMismatch,
                table: view.name.clone(),
                index: None,
                key: String::new(),
                detail: problem,
            });
        }
    }
    foreign::foreign_keys(txn, &catalog, &mut report)?;
    Ok(report)
}

/// One entry's share of an index fingerprint (see [`IndexReport::fingerprint`]).
pub fn entry_fingerprint(key: &[u8], value: &[u8]) -> u128 {
    let len = u32::try_from(key.len()).unwrap_or(u32::MAX);
    let mut h = Sha256::new();
    h.update(len.to_be_bytes());
    h.update(key);
    h.update(value);
    let digest = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(first)
}

/// The entries of `txn` under `prefix`, ascending.
fn range<'db>(txn: &mut Transaction<'db>, prefix: &[u8]) -> Result<crate::db::TxnRange<'db>> {
    let end = prefix_end(prefix).expect("schema keys start with FF 53, never all 0xFF");
    Ok(txn.range(Bound::Included(prefix), Bound::Excluded(&end), false)?)
}
