//! Keys inside the reserved prefix `FF 53` that no table, index, catalog entry or migration
//! history entry owns: the gaps between the owned key spaces must be empty. Only in a database
//! whose schema layer is in use — its catalog's meta entry exists: before the first DDL the
//! prefix holds no schema data, and keys there are raw keys written before the reservation
//! (the seeded workload of databases made before tables existed has some), not findings.

use std::ops::Bound;

use super::{Finding, FindingKind, SchemaReport};
use crate::Transaction;
use crate::schema::catalog::Catalog;
use crate::schema::error::Result;
use crate::schema::keys::{
    MIGRATION_SPACE, RESERVED_PREFIX, catalog_meta_key, catalog_table_key, catalog_view_key,
    columnar_mvlog_prefix, columnar_prefix, index_prefix, mv_prefix, prefix_end, row_prefix,
};

/// Reports every key in the reserved prefix outside the spaces the catalog accounts for (when
/// the catalog exists, see the module docs).
pub(super) fn foreign_keys(
    txn: &mut Transaction<'_>,
    catalog: &Catalog,
    report: &mut SchemaReport,
) -> Result<()> {
    if txn.get(&catalog_meta_key())?.is_none() {
        return Ok(());
    }
    // The owned intervals [start, end), sorted; the gaps between them must be empty.
    let mut owned: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut own = |start: Vec<u8>| {
        let end = prefix_end(&start).expect("schema keys start with FF 53, never all 0xFF");
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
        if t.storage.is_columnar() {
            own(columnar_prefix(t.id));
        }
        for i in &t.indexes {
            own(index_prefix(t.id, i.id));
        }
        if t.storage.is_columnar() {
            own(columnar_prefix(t.id));
        }
    }
    for v in catalog.views() {
        own(catalog_view_key(v.id));
        own(row_prefix(v.id));
        own(mv_prefix(v.id));
        own(columnar_mvlog_prefix(v.base, v.id));
    }
    owned.sort();
    let mut cursor = RESERVED_PREFIX.to_vec();
    let stop = prefix_end(&RESERVED_PREFIX).expect("FF 53 is not all 0xFF");
    owned.push((stop.clone(), stop));
    for (start, end) in owned {
        if cursor < start {
            for entry in txn.range(Bound::Included(&cursor), Bound::Excluded(&start), false)? {
                let (key, _) = entry?;
                report.push(Finding {
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
