//! Schema changes on populated tables — index builds (and a unique one that cannot hold),
//! columns added and dropped without rewriting rows — the catalog cache that is never stale,
//! and corrupt catalog, row and index bytes refused with `SchemaError::Corrupt`.

use std::ops::Bound;

use lightning_db::schema::ddl::{self, ColumnSpec, IndexSpec};
use lightning_db::schema::keys;
use lightning_db::schema::table::{self, entry};
use lightning_db::schema::{Catalog, CatalogCache, ColumnType, SchemaError, Value};

use crate::schema::{SER, assert_indexes_match_rows, col, open, user, users};

#[test]
fn an_index_built_on_a_populated_table_covers_every_row_and_a_unique_one_that_cannot_hold_is_refused()
 {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let def = users(&db);
    let mut txn = db.begin(SER).expect("begin");
    for i in 0..500 {
        table::insert(&mut txn, &def, &user(i, Some(&format!("e{i}")), i % 7)).expect("insert");
    }
    txn.commit().expect("commit");
    let mut txn = db.begin(SER).expect("begin");
    let idx = ddl::create_index(
        &mut txn,
        &IndexSpec {
            name: "by_age_email".into(),
            table: "USERS".into(),
            columns: vec!["age".into(), "email".into()],
            unique: true,
        },
    )
    .expect("build");
    txn.commit().expect("commit");
    let mut txn = db.begin_read_only().expect("begin");
    let def = Catalog::load(&mut txn)
        .expect("load")
        .table("users")
        .expect("t")
        .clone();
    let three = [Value::Int(3)];
    let n = table::index_scan(
        &mut txn,
        &def,
        &idx,
        Bound::Included(&three),
        Bound::Included(&three),
        false,
    )
    .expect("scan")
    .count();
    assert_eq!(n, (0..500).filter(|i| i % 7 == 3).count());
    drop(txn);
    assert_indexes_match_rows(&db, &def);

    let mut txn = db.begin(SER).expect("begin");
    let r = ddl::create_index(
        &mut txn,
        &IndexSpec {
            name: "age_u".into(),
            table: "users".into(),
            columns: vec!["age".into()],
            unique: true,
        },
    );
    match r {
        Err(SchemaError::UniqueViolation { table, index, key }) => {
            assert_eq!((table.as_str(), index.as_str()), ("users", "age_u"));
            assert!(key.starts_with('('), "{key}");
        }
        other => panic!("expected UniqueViolation, got {other:?}"),
    }
}

#[test]
fn columns_added_and_dropped_on_a_populated_table_read_defaults_and_keep_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let def = users(&db);
    let mut txn = db.begin(SER).expect("begin");
    for i in 0..20 {
        table::insert(&mut txn, &def, &user(i, None, i)).expect("insert");
    }
    let refused = ddl::add_column(
        &mut txn,
        "users",
        &ColumnSpec {
            name: "score".into(),
            ty: ColumnType::Double,
            not_null: true,
            default: None,
        },
    );
    assert!(
        matches!(refused, Err(SchemaError::InvalidDefinition { .. })),
        "{refused:?}"
    );
    let with = ddl::add_column(
        &mut txn,
        "users",
        &ColumnSpec {
            name: "active".into(),
            ty: ColumnType::Bool,
            not_null: true,
            default: Some(Value::Bool(true)),
        },
    )
    .expect("add with default");
    let row = table::get(&mut txn, &with, &[Value::Int(5)])
        .expect("get")
        .expect("row");
    assert_eq!(
        row,
        vec![Value::Int(5), Value::Null, Value::Int(5), Value::Bool(true)]
    );
    match ddl::drop_column(&mut txn, "users", "id") {
        Err(SchemaError::InvalidDefinition { reason, .. }) => {
            assert!(reason.contains("primary key"))
        }
        other => panic!("{other:?}"),
    }
    match ddl::drop_column(&mut txn, "users", "email") {
        Err(SchemaError::InvalidDefinition { reason, .. }) => {
            assert!(reason.contains("users_email"))
        }
        other => panic!("{other:?}"),
    }
    ddl::drop_index(&mut txn, "users_email").expect("drop index");
    let without = ddl::drop_column(&mut txn, "users", "email").expect("drop column");
    let rows: Vec<Vec<Value>> = table::scan(
        &mut txn,
        &without,
        Bound::Unbounded,
        Bound::Unbounded,
        false,
    )
    .expect("scan")
    .collect::<Result<_, _>>()
    .expect("rows");
    assert_eq!(rows.len(), 20);
    assert_eq!(
        rows[7],
        vec![Value::Int(7), Value::Int(7), Value::Bool(true)]
    );
    txn.commit().expect("commit");
    // A column added after the drop never sees the dropped column's bytes.
    let mut txn = db.begin(SER).expect("begin");
    let again = ddl::add_column(&mut txn, "users", &col("email", ColumnType::Text)).expect("add");
    let row = table::get(&mut txn, &again, &[Value::Int(7)])
        .expect("get")
        .expect("row");
    assert_eq!(row.last(), Some(&Value::Null));
}

#[test]
fn the_catalog_cache_follows_every_committed_ddl_and_ignores_rolled_back_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let cache = CatalogCache::new();
    let mut txn = db.begin(SER).expect("begin");
    assert!(cache.get(&mut txn).expect("get").tables().next().is_none());
    txn.commit().expect("commit");
    users(&db);
    for level in [SER, crate::schema::RR] {
        let mut txn = db.begin(level).expect("begin");
        let cat = cache.get(&mut txn).expect("get");
        assert!(cat.table("users").is_ok());
        assert_eq!(*cat, Catalog::load(&mut txn).expect("load"));
    }
    // Own uncommitted DDL is seen by its transaction only.
    let mut txn = db.begin(SER).expect("begin");
    ddl::add_column(&mut txn, "users", &col("nick", ColumnType::Text)).expect("add");
    assert!(
        cache
            .get(&mut txn)
            .expect("get")
            .table("users")
            .expect("t")
            .column("nick")
            .is_some()
    );
    txn.rollback();
    let mut txn = db.begin(SER).expect("begin");
    assert!(
        cache
            .get(&mut txn)
            .expect("get")
            .table("users")
            .expect("t")
            .column("nick")
            .is_none()
    );
    txn.commit().expect("commit");
    // A committed DDL from elsewhere is seen at once.
    let mut txn = db.begin(SER).expect("begin");
    ddl::drop_index(&mut txn, "users_age").expect("drop");
    txn.commit().expect("commit");
    let mut txn = db.begin_read_only().expect("begin");
    assert!(
        cache
            .get(&mut txn)
            .expect("get")
            .index_owner("users_age")
            .is_none()
    );
}

#[test]
fn digests_ignore_ids_so_an_undone_and_redone_change_matches() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    users(&db);
    let digest = |db: &lightning_db::Database| {
        let mut txn = db.begin_read_only().expect("begin");
        Catalog::load(&mut txn).expect("load").digest()
    };
    let before = digest(&db);
    let mut txn = db.begin(SER).expect("begin");
    ddl::drop_index(&mut txn, "users_age").expect("drop");
    txn.commit().expect("commit");
    assert_ne!(digest(&db), before);
    let mut txn = db.begin(SER).expect("begin");
    ddl::create_index(
        &mut txn,
        &IndexSpec {
            name: "users_age".into(),
            table: "users".into(),
            columns: vec!["age".into()],
            unique: false,
        },
    )
    .expect("create");
    txn.commit().expect("commit");
    assert_eq!(digest(&db), before);
}

#[test]
fn corrupt_catalog_row_and_index_bytes_are_refused_as_corrupt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let def = users(&db);
    let mut txn = db.begin(SER).expect("begin");
    table::insert(&mut txn, &def, &user(1, Some("a"), 2)).expect("insert");
    txn.commit().expect("commit");

    let row_key = entry::row_key(&def, &[Value::Int(1)]);
    let good_row = db.get(&row_key).expect("get").expect("row");
    db.put(&row_key, &good_row[..good_row.len() - 2])
        .expect("damage row");
    let mut txn = db.begin(SER).expect("begin");
    let r = table::get(&mut txn, &def, &[Value::Int(1)]);
    assert!(
        matches!(&r, Err(SchemaError::Corrupt { what, .. }) if what.contains("users")),
        "{r:?}"
    );
    drop(txn);
    db.put(&row_key, &good_row).expect("repair row");

    let email = def.index("users_email").expect("index").clone();
    let entry_key = entry::index_entry(&def, &email, &user(1, Some("a"), 2)).key;
    db.put(&entry_key, &[0x01, 0x02]).expect("damage entry");
    let mut txn = db.begin(SER).expect("begin");
    let r: Result<Vec<_>, _> = table::index_scan(
        &mut txn,
        &def,
        &email,
        Bound::Unbounded,
        Bound::Unbounded,
        false,
    )
    .expect("scan")
    .collect();
    assert!(
        matches!(&r, Err(SchemaError::Corrupt { what, .. }) if what.contains("users_email")),
        "{r:?}"
    );
    drop(txn);

    let cat_key = keys::catalog_table_key(def.id);
    let good = db.get(&cat_key).expect("get").expect("entry");
    for cut in [1, 5, good.len() / 2, good.len() - 1] {
        db.put(&cat_key, &good[..cut]).expect("damage catalog");
        let mut txn = db.begin(SER).expect("begin");
        let r = Catalog::load(&mut txn);
        assert!(
            matches!(r, Err(SchemaError::Corrupt { .. })),
            "cut {cut}: {r:?}"
        );
    }
    db.put(&keys::catalog_meta_key(), &[1, 2, 3])
        .expect("damage meta");
    let mut txn = db.begin(SER).expect("begin");
    assert!(matches!(
        Catalog::load(&mut txn),
        Err(SchemaError::Corrupt { .. })
    ));
}
