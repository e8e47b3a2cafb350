//! The catalog: every table's definition, stored in the database itself under `FF 53 00` and
//! changed only by DDL inside transactions, so a rolled-back DDL leaves no trace.
//!
//! Keys: the meta entry `FF 53 00 00` (catalog version, next table id) and one entry per table
//! `FF 53 00 01 <table id u32 BE>`. Every DDL statement rewrites the meta entry (bumping the
//! version), so DDL takes the meta entry's exclusive lock; every reader and writer of tables
//! guards it with [`Transaction::lock_shared`] first. See [`cache`] for why that makes a cached
//! catalog safe to use without reading it again. Materialized views have one entry each under
//! `FF 53 00 02 <view id u32 BE>` ([`view`]).

pub mod cache;
pub mod codec;
pub mod view;

use std::collections::BTreeMap;
use std::ops::Bound;

use sha2::{Digest, Sha256};

use super::def::TableDef;
use super::error::{Result, SchemaError};
use super::keys::{catalog_meta_key, catalog_tables_prefix, catalog_views_prefix, prefix_end};
use crate::Transaction;
pub use cache::CatalogCache;
use codec::Meta;
pub use view::{Policy, ViewDef};

/// The tables (and materialized views) of a database as one transaction sees them, by
/// lowercase name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalog {
    tables: BTreeMap<String, TableDef>,
    views: BTreeMap<String, ViewDef>,
    meta: Meta,
}

/// Every materialized view's catalog entry as `txn` sees it, in id order.
pub fn load_views(txn: &mut Transaction<'_>) -> Result<Vec<ViewDef>> {
    let prefix = catalog_views_prefix();
    let end = prefix_end(&prefix).expect("the catalog prefix is not all 0xFF");
    let mut out = Vec::new();
    for entry in txn.range(Bound::Included(&prefix), Bound::Excluded(&end), false)? {
        let (key, value) = entry?;
        let id_bytes: [u8; 4] = key
            .get(prefix.len()..)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| SchemaError::Corrupt {
                what: "catalog".into(),
                reason: format!("key {} is not a view entry key", key.escape_ascii()),
            })?;
        out.push(view::decode_view(u32::from_be_bytes(id_bytes), &value)?);
    }
    Ok(out)
}

/// Reads the meta entry as `txn` sees it (the default when no DDL ever ran).
pub(crate) fn read_meta(txn: &mut Transaction<'_>) -> Result<Meta> {
    match txn.get(&catalog_meta_key())? {
        Some(bytes) => codec::decode_meta(&bytes),
        None => Ok(Meta::default()),
    }
}

impl Catalog {
    /// Reads the whole catalog as `txn` sees it (its own uncommitted DDL included), after
    /// guarding the meta entry so no DDL of another transaction can commit until `txn` ends.
    pub fn load(txn: &mut Transaction<'_>) -> Result<Catalog> {
        let meta_key = catalog_meta_key();
        txn.lock_shared(&meta_key)?;
        let meta = read_meta(txn)?;
        let prefix = catalog_tables_prefix();
        let end = prefix_end(&prefix).expect("the catalog prefix is not all 0xFF");
        let mut tables = BTreeMap::new();
        for entry in txn.range(Bound::Included(&prefix), Bound::Excluded(&end), false)? {
            let (key, value) = entry?;
            let id_bytes: [u8; 4] = key
                .get(prefix.len()..)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| SchemaError::Corrupt {
                    what: "catalog".into(),
                    reason: format!("key {} is not a table entry key", key.escape_ascii()),
                })?;
            let def = codec::decode_table(u32::from_be_bytes(id_bytes), &value)?;
            if def.id >= meta.next_table_id {
                return Err(SchemaError::Corrupt {
                    what: format!("catalog entry of table `{}`", def.name),
                    reason: format!(
                        "id {} is not below the next table id {}",
                        def.id, meta.next_table_id
                    ),
                });
            }
            let lower = def.name.to_lowercase();
            if tables.insert(lower, def).is_some() {
                return Err(SchemaError::Corrupt {
                    what: "catalog".into(),
                    reason: format!("two tables named `{}`", key.escape_ascii()),
                });
            }
        }
        let mut views = BTreeMap::new();
        for v in load_views(txn)? {
            let lower = v.name.to_lowercase();
            if v.id >= meta.next_table_id || tables.contains_key(&lower) {
                return Err(SchemaError::Corrupt {
                    what: format!("catalog entry of materialized view `{}`", v.name),
                    reason: format!(
                        "id {} is not below the next table id {}, or a table has its name",
                        v.id, meta.next_table_id
                    ),
                });
            }
            if views.insert(lower, v).is_some() {
                return Err(SchemaError::Corrupt {
                    what: "catalog".into(),
                    reason: "two materialized views share a name".into(),
                });
            }
        }
        Ok(Catalog {
            tables,
            views,
            meta,
        })
    }

    /// The materialized view named `name` (case-insensitive).
    pub fn view(&self, name: &str) -> Option<&ViewDef> {
        self.views.get(&name.to_lowercase())
    }

    /// Every materialized view, by name.
    pub fn views(&self) -> impl Iterator<Item = &ViewDef> {
        self.views.values()
    }

    /// The materialized views over table `base`, by name.
    pub fn views_of(&self, base: u32) -> impl Iterator<Item = &ViewDef> {
        self.views.values().filter(move |v| v.base == base)
    }

    /// The table named `name` (case-insensitive).
    pub fn table(&self, name: &str) -> Result<&TableDef> {
        self.tables
            .get(&name.to_lowercase())
            .ok_or_else(|| SchemaError::UnknownTable {
                table: name.to_string(),
            })
    }

    /// Every table, by name.
    pub fn tables(&self) -> impl Iterator<Item = &TableDef> {
        self.tables.values()
    }

    /// The table that owns the index named `index` (case-insensitive).
    pub fn index_owner(&self, index: &str) -> Option<&TableDef> {
        self.tables.values().find(|t| t.index(index).is_some())
    }

    /// The catalog version: bumped by every committed DDL statement (0 before the first).
    pub fn version(&self) -> u64 {
        self.meta.version
    }

    /// The id the next `CREATE TABLE` assigns.
    pub fn next_table_id(&self) -> u32 {
        self.meta.next_table_id
    }

    /// SHA-256 of the canonical encoding of every table (by lowercase name; see
    /// [`codec::canonical`]). Ids and versions are left out, so two databases that reached the
    /// same schema by different DDL — or one that applied a migration, reverted it and applied
    /// it again — have the same digest.
    pub fn digest(&self) -> [u8; 32] {
        let mut buf = Vec::new();
        for t in self.tables.values() {
            codec::canonical(t, &mut buf);
        }
        Sha256::digest(&buf).into()
    }
}
