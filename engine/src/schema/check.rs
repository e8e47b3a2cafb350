//! The table integrity check: against one transaction's snapshot, every row decodes with its
//! table's types and its key agrees with its value, NOT NULL and primary-key columns hold no
//! NULL, every index holds exactly the entries its rows imply (no orphaned entry, none
//! missing, unique values unique), per-index counts agree, and an order-independent
//! fingerprint of (index key, primary key) pairs recomputed from the rows matches the one
//! read from the index. Keys inside the reserved prefix that belong to no table, index,
//! catalog entry or migration history entry are reported as foreign.
//!
//! Run it in a read-only transaction ([`Database::begin_read_only`](crate::Database)) to check
//! one snapshot while writers continue. Each finding names the table, the index and the primary
//! key it is about.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::ops::Bound;

use super::catalog::Catalog;
use super::def::TableDef;
use super::error::{Result, SchemaError};
use super::keys::{
    MIGRATION_SPACE, RESERVED_PREFIX, catalog_meta_key, catalog_table_key, decode_tuple,
    index_prefix, prefix_end, row_prefix,
};
use super::row::decode_row;
use super::table::entry::{format_key, index_entry, pk_types, pk_values};
use super::table::scan::IndexDecoder;
use crate::Transaction;

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FindingKind {
    /// An index entry no row implies (or one whose value names another primary key).
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
}

/// One problem, with what it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// One index's figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexReport {
    /// The index.
    pub name: String,
    /// Entries read from the index.
    pub entries: u64,
    /// Entries the rows imply.
    pub expected: u64,
    /// Fingerprint of the entries read (wrapping sum of a hash of each (key, value)).
    pub fingerprint: u64,
    /// Fingerprint recomputed from the rows.
    pub expected_fingerprint: u64,
}

/// One table's figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableReport {
    /// The table.
    pub table: String,
    /// Rows read.
    pub rows: u64,
    /// Its indexes.
    pub indexes: Vec<IndexReport>,
}

/// The result of [`check`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchemaReport {
    /// Per table, by name.
    pub tables: Vec<TableReport>,
    /// Every finding.
    pub findings: Vec<Finding>,
}

impl SchemaReport {
    /// Findings of `kind`.
    pub fn count(&self, kind: FindingKind) -> usize {
        self.findings.iter().filter(|f| f.kind == kind).count()
    }

    /// Whether nothing was found.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// An entry a row implies: key, value, and the row's primary key as shown in findings.
type Wanted = (Vec<u8>, Vec<u8>, String);

fn entry_hash(key: &[u8], value: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    value.hash(&mut h);
    h.finish()
}

/// Checks every table as `txn` sees it (see the module docs).
pub fn check(txn: &mut Transaction<'_>) -> Result<SchemaReport> {
    let catalog = Catalog::load(txn)?;
    let mut report = SchemaReport::default();
    for def in catalog.tables() {
        let t = check_table(txn, def, &mut report.findings)?;
        report.tables.push(t);
    }
    foreign_keys(txn, &catalog, &mut report.findings)?;
    Ok(report)
}

fn range<'db>(txn: &mut Transaction<'db>, prefix: &[u8]) -> Result<crate::db::TxnRange<'db>> {
    let end = prefix_end(prefix).expect("schema keys start with FF 53");
    Ok(txn.range(Bound::Included(prefix), Bound::Excluded(&end), false)?)
}

fn check_table(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    findings: &mut Vec<Finding>,
) -> Result<TableReport> {
    let finding = |kind, index: Option<&str>, key: String, detail: String| Finding {
        kind,
        table: def.name.clone(),
        index: index.map(str::to_string),
        key,
        detail,
    };
    let prefix = row_prefix(def.id);
    let types = pk_types(def);
    let what = format!("row key of table `{}`", def.name);
    let mut expected: Vec<Vec<Wanted>> = vec![Vec::new(); def.indexes.len()];
    let mut rows = 0u64;
    for entry in range(txn, &prefix)? {
        let (key, value) = entry?;
        rows += 1;
        let raw = || key.escape_ascii().to_string();
        let key_pk = match decode_tuple(key.get(prefix.len()..).unwrap_or_default(), &types, &what)
        {
            Ok(pk) => pk,
            Err(e) => {
                findings.push(finding(
                    FindingKind::UndecodableRow,
                    None,
                    raw(),
                    e.to_string(),
                ));
                continue;
            }
        };
        let shown = format_key(&key_pk);
        let row = match decode_row(def, &value) {
            Ok(row) => row,
            Err(e) => {
                findings.push(finding(
                    FindingKind::UndecodableRow,
                    None,
                    shown,
                    e.to_string(),
                ));
                continue;
            }
        };
        let value_pk = pk_values(def, &row);
        if super::table::entry::row_key(def, &value_pk) != key {
            let detail = format!("the value's primary key is {}", format_key(&value_pk));
            findings.push(finding(
                FindingKind::UndecodableRow,
                None,
                shown.clone(),
                detail,
            ));
        }
        for (c, v) in def.columns.iter().zip(&row) {
            if v.is_null() && c.not_null {
                let detail = format!("NOT NULL column `{}` is NULL", c.name);
                findings.push(finding(
                    FindingKind::ConstraintViolation,
                    None,
                    shown.clone(),
                    detail,
                ));
            }
        }
        for (i, index) in def.indexes.iter().enumerate() {
            let e = index_entry(def, index, &row);
            if let Some(list) = expected.get_mut(i) {
                list.push((e.key, e.value, shown.clone()));
            }
        }
    }
    let mut indexes = Vec::with_capacity(def.indexes.len());
    for (index, mut want) in def.indexes.iter().zip(expected) {
        want.sort_by(|a, b| a.0.cmp(&b.0));
        let name = Some(index.name.as_str());
        for pair in want.windows(2) {
            if let [a, b] = pair
                && a.0 == b.0
            {
                let detail = format!("rows {} and {} share a unique value", a.2, b.2);
                findings.push(finding(
                    FindingKind::ConstraintViolation,
                    name,
                    b.2.clone(),
                    detail,
                ));
            }
        }
        let expected_fingerprint = want
            .iter()
            .fold(0u64, |acc, (k, v, _)| acc.wrapping_add(entry_hash(k, v)));
        let decoder = IndexDecoder::new(def, index);
        let mut got = range(txn, &index_prefix(def.id, index.id))?.peekable();
        let (mut entries, mut fingerprint) = (0u64, 0u64);
        let mut want_iter = want.iter().peekable();
        loop {
            let next_got = match got.peek() {
                Some(Ok(e)) => Some(e.clone()),
                Some(Err(_)) => {
                    if let Some(Err(e)) = got.next() {
                        return Err(SchemaError::from(e));
                    }
                    None
                }
                None => None,
            };
            let order = match (&next_got, want_iter.peek()) {
                (None, None) => break,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some((k, _)), Some((wk, _, _))) => k.cmp(wk),
            };
            match order {
                std::cmp::Ordering::Less => {
                    let (k, v) = next_got.expect("Less means an entry was read");
                    got.next();
                    entries += 1;
                    fingerprint = fingerprint.wrapping_add(entry_hash(&k, &v));
                    let key = decoder
                        .decode(&k, &v)
                        .map_or_else(|_| k.escape_ascii().to_string(), |pk| format_key(&pk));
                    let detail = "no row has this entry's values and primary key".to_string();
                    findings.push(finding(FindingKind::OrphanedEntry, name, key, detail));
                }
                std::cmp::Ordering::Greater => {
                    let (_, _, shown) = want_iter.next().expect("Greater means a wanted entry");
                    let detail = "the row has no entry in this index".to_string();
                    findings.push(finding(
                        FindingKind::MissingEntry,
                        name,
                        shown.clone(),
                        detail,
                    ));
                }
                std::cmp::Ordering::Equal => {
                    let (k, v) = next_got.expect("Equal means an entry was read");
                    got.next();
                    entries += 1;
                    fingerprint = fingerprint.wrapping_add(entry_hash(&k, &v));
                    let (_, wv, shown) = want_iter.next().expect("Equal means a wanted entry");
                    if &v != wv {
                        let detail = "the entry names another primary key".to_string();
                        findings.push(finding(
                            FindingKind::OrphanedEntry,
                            name,
                            shown.clone(),
                            detail,
                        ));
                    }
                }
            }
        }
        indexes.push(IndexReport {
            name: index.name.clone(),
            entries,
            expected: want.len() as u64,
            fingerprint,
            expected_fingerprint,
        });
    }
    Ok(TableReport {
        table: def.name.clone(),
        rows,
        indexes,
    })
}

/// Reports every key in the reserved prefix outside the spaces the catalog accounts for.
fn foreign_keys(
    txn: &mut Transaction<'_>,
    catalog: &Catalog,
    findings: &mut Vec<Finding>,
) -> Result<()> {
    // The owned intervals [start, end), sorted; the gaps between them must be empty.
    let mut owned: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut own = |start: Vec<u8>| {
        let end = prefix_end(&start).expect("schema keys start with FF 53");
        owned.push((start, end));
    };
    own(catalog_meta_key());
    own(vec![
        RESERVED_PREFIX[0],
        RESERVED_PREFIX[1],
        MIGRATION_SPACE,
    ]);
    for t in catalog.tables() {
        own(catalog_table_key(t.id));
        own(row_prefix(t.id));
        for i in &t.indexes {
            own(index_prefix(t.id, i.id));
        }
    }
    owned.sort();
    let mut cursor = RESERVED_PREFIX.to_vec();
    let stop = prefix_end(&RESERVED_PREFIX).expect("FF 53 is not all 0xFF");
    owned.push((stop.clone(), stop));
    for (start, end) in owned {
        if cursor < start {
            for entry in txn.range(Bound::Included(&cursor), Bound::Excluded(&start), false)? {
                let (key, _) = entry?;
                findings.push(Finding {
                    kind: FindingKind::ForeignKey,
                    table: String::new(),
                    index: None,
                    key: key.escape_ascii().to_string(),
                    detail: "a key in the schema's reserved prefix FF 53 that no table, index, \
                             catalog entry or migration owns"
                        .into(),
                });
            }
        }
        if end > cursor {
            cursor = end;
        }
    }
    Ok(())
}
