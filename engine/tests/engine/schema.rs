//! The schema layer's tables over transactions: DDL that commits or vanishes with its
//! transaction, ids never reused, every index maintained by every row write (primary-key
//! changes included), constraints with typed errors, index builds and column changes on
//! populated tables, and corrupt stored bytes refused.

use std::ops::Bound;
use std::time::Duration;

use lightning_db::schema::ddl::{self, ColumnSpec, IndexSpec, TableSpec};
use lightning_db::schema::keys;
use lightning_db::schema::table::{self, entry};
use lightning_db::schema::{Catalog, ColumnType, SchemaError, TableDef, Value};
use lightning_db::util::rng::SplitMix64;
use lightning_db::{Database, IsolationLevel, Options};

pub const RR: IsolationLevel = IsolationLevel::RepeatableRead;
pub const SER: IsolationLevel = IsolationLevel::Serializable;

pub fn open(dir: &tempfile::TempDir) -> Database {
    Database::create(
        dir.path().join("db"),
        Options {
            lock_timeout: Duration::from_secs(10),
            ..Options::default()
        },
    )
    .expect("create")
}

pub fn col(name: &str, ty: ColumnType) -> ColumnSpec {
    ColumnSpec {
        name: name.into(),
        ty,
        not_null: false,
        default: None,
    }
}

/// `users(id BIGINT PRIMARY KEY, email TEXT, age BIGINT)` with `users_email` (unique) and
/// `users_age` (non-unique).
pub fn users(db: &Database) -> TableDef {
    let mut txn = db.begin(SER).expect("begin");
    ddl::create_table(
        &mut txn,
        &TableSpec {
            name: "users".into(),
            columns: vec![
                col("id", ColumnType::Int),
                col("email", ColumnType::Text),
                col("age", ColumnType::Int),
            ],
            primary_key: vec!["id".into()],
            storage: Default::default(),
        },
    )
    .expect("create table");
    for (name, column, unique) in [("users_email", "email", true), ("users_age", "age", false)] {
        ddl::create_index(
            &mut txn,
            &IndexSpec {
                name: name.into(),
                table: "users".into(),
                columns: vec![column.into()],
                unique,
            },
        )
        .expect("create index");
    }
    let def = Catalog::load(&mut txn)
        .expect("load")
        .table("users")
        .expect("users")
        .clone();
    txn.commit().expect("commit");
    def
}

pub fn user(id: i64, email: Option<&str>, age: i64) -> Vec<Value> {
    vec![
        Value::Int(id),
        email.map_or(Value::Null, |e| Value::Text(e.into())),
        Value::Int(age),
    ]
}

fn current(db: &Database, name: &str) -> TableDef {
    let mut txn = db.begin_read_only().expect("begin");
    Catalog::load(&mut txn)
        .expect("load")
        .table(name)
        .expect("table")
        .clone()
}

/// Asserts every index of `def` holds exactly one entry per row, pointing at it, and nothing
/// else (the invariant every row write must keep).
pub fn assert_indexes_match_rows(db: &Database, def: &TableDef) {
    let mut txn = db.begin_read_only().expect("begin");
    let rows: Vec<Vec<Value>> =
        table::scan(&mut txn, def, Bound::Unbounded, Bound::Unbounded, false)
            .expect("scan")
            .collect::<Result<_, _>>()
            .expect("rows");
    for index in &def.indexes {
        let mut want: Vec<Vec<u8>> = rows
            .iter()
            .map(|r| entry::index_entry(def, index, r).key)
            .collect();
        want.sort();
        let prefix = keys::index_prefix(def.id, index.id);
        let end = keys::prefix_end(&prefix).expect("end");
        let got: Vec<Vec<u8>> = txn
            .range(Bound::Included(&prefix), Bound::Excluded(&end), false)
            .expect("range")
            .map(|e| e.expect("entry").0)
            .collect();
        assert_eq!(got, want, "index `{}` disagrees with the rows", index.name);
        let pks: Vec<Vec<Value>> = table::index_scan(
            &mut txn,
            def,
            index,
            Bound::Unbounded,
            Bound::Unbounded,
            false,
        )
        .expect("index scan")
        .collect::<Result<_, _>>()
        .expect("pks");
        for pk in pks {
            assert!(
                table::get(&mut txn, def, &pk).expect("get").is_some(),
                "index `{}` points at missing row {pk:?}",
                index.name
            );
        }
    }
}

#[test]
fn rows_and_indexes_stay_in_step_through_insert_update_delete_and_pk_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let def = users(&db);
    let seed = 0x5C4E_0001;
    let mut rng = SplitMix64::new(seed);
    let mut model = std::collections::BTreeMap::new();
    for step in 0..600 {
        let mut txn = db
            .begin(if step % 2 == 0 { SER } else { RR })
            .expect("begin");
        let id = rng.below(40) as i64;
        let email = format!("u{}@x", rng.below(60));
        let age = rng.below(5) as i64;
        match rng.below(4) {
            0 | 1 => {
                let row = user(
                    id,
                    if rng.chance(1, 5) {
                        None
                    } else {
                        Some(email.as_str())
                    },
                    age,
                );
                let taken = model.contains_key(&id)
                    || (!row[1].is_null() && model.values().any(|r: &Vec<Value>| r[1] == row[1]));
                let r = table::insert(&mut txn, &def, &row);
                assert_eq!(
                    r.is_ok(),
                    !taken,
                    "seed {seed:#x} step {step}: insert {row:?}: {r:?}"
                );
                if let Err(e) = r {
                    assert!(matches!(e, SchemaError::UniqueViolation { .. }), "{e}");
                    continue; // the statement wrote nothing; drop the transaction
                }
                model.insert(id, row);
            }
            2 => {
                // Update, sometimes moving the row to a new primary key.
                let Some(old) = model
                    .keys()
                    .copied()
                    .nth(rng.below(model.len().max(1) as u64) as usize)
                else {
                    continue;
                };
                let new_id = if rng.chance(1, 2) { id } else { old };
                let row = user(new_id, Some(&email), age);
                let clash = (new_id != old && model.contains_key(&new_id))
                    || model.iter().any(|(k, r)| *k != old && r[1] == row[1]);
                let r = table::update(&mut txn, &def, &[Value::Int(old)], &row);
                assert_eq!(
                    r.is_ok(),
                    !clash,
                    "seed {seed:#x} step {step}: update {old} -> {row:?}: {r:?}"
                );
                if r.is_err() {
                    continue;
                }
                model.remove(&old);
                model.insert(new_id, row);
            }
            _ => {
                let existed = model.remove(&id).is_some();
                assert_eq!(
                    table::delete(&mut txn, &def, &[Value::Int(id)]).expect("delete"),
                    existed
                );
            }
        }
        txn.commit().expect("commit");
    }
    let mut txn = db.begin_read_only().expect("begin");
    let rows: Vec<Vec<Value>> =
        table::scan(&mut txn, &def, Bound::Unbounded, Bound::Unbounded, false)
            .expect("scan")
            .collect::<Result<_, _>>()
            .expect("rows");
    assert_eq!(
        rows,
        model.values().cloned().collect::<Vec<_>>(),
        "seed {seed:#x}"
    );
    drop(txn);
    assert_indexes_match_rows(&db, &def);
}

#[test]
fn scans_take_prefix_bounds_in_both_directions_and_index_scans_yield_primary_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let def = users(&db);
    let mut txn = db.begin(SER).expect("begin");
    for i in 0..10 {
        table::insert(&mut txn, &def, &user(i, Some(&format!("e{i}")), i % 3)).expect("insert");
    }
    let ids = |it: lightning_db::schema::RowIter<'_>| -> Vec<i64> {
        it.map(|r| match r.expect("row")[0] {
            Value::Int(i) => i,
            _ => unreachable!(),
        })
        .collect()
    };
    let (three, seven) = ([Value::Int(3)], [Value::Int(7)]);
    let fwd = table::scan(
        &mut txn,
        &def,
        Bound::Excluded(&three),
        Bound::Included(&seven),
        false,
    );
    assert_eq!(ids(fwd.expect("scan")), vec![4, 5, 6, 7]);
    let rev = table::scan(
        &mut txn,
        &def,
        Bound::Included(&three),
        Bound::Excluded(&seven),
        true,
    );
    assert_eq!(ids(rev.expect("scan")), vec![6, 5, 4, 3]);
    let age = def.index("users_age").expect("index").clone();
    let one = [Value::Int(1)];
    let pks: Vec<Vec<Value>> = table::index_scan(
        &mut txn,
        &def,
        &age,
        Bound::Included(&one),
        Bound::Included(&one),
        false,
    )
    .expect("index scan")
    .collect::<Result<_, _>>()
    .expect("pks");
    assert_eq!(
        pks,
        vec![
            vec![Value::Int(1)],
            vec![Value::Int(4)],
            vec![Value::Int(7)]
        ]
    );
    let email = def.index("users_email").expect("index").clone();
    let e5 = [Value::Text("e5".into())];
    let pks: Vec<Vec<Value>> = table::index_scan(
        &mut txn,
        &def,
        &email,
        Bound::Included(&e5),
        Bound::Unbounded,
        true,
    )
    .expect("index scan")
    .collect::<Result<_, _>>()
    .expect("pks");
    assert_eq!(pks.len(), 5, "e9 e8 e7 e6 e5");
    assert_eq!(pks[0], vec![Value::Int(9)]);
}

#[test]
fn constraint_errors_are_typed_and_name_table_column_index_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let def = users(&db);
    let mut txn = db.begin(SER).expect("begin");
    table::insert(&mut txn, &def, &user(1, Some("a@x"), 30)).expect("insert");
    match table::insert(&mut txn, &def, &user(1, Some("b@x"), 30)) {
        Err(SchemaError::UniqueViolation { table, index, key }) => {
            assert_eq!(
                (table.as_str(), index.as_str(), key.as_str()),
                ("users", "PRIMARY KEY", "(1)")
            );
        }
        other => panic!("expected a primary-key violation, got {other:?}"),
    }
    match table::insert(&mut txn, &def, &user(2, Some("a@x"), 30)) {
        Err(SchemaError::UniqueViolation { index, key, .. }) => {
            assert_eq!((index.as_str(), key.as_str()), ("users_email", "('a@x')"));
        }
        other => panic!("expected a unique violation, got {other:?}"),
    }
    // NULLs in a unique index never conflict.
    table::insert(&mut txn, &def, &user(3, None, 1)).expect("null email");
    table::insert(&mut txn, &def, &user(4, None, 1)).expect("second null email");
    match table::insert(&mut txn, &def, &[Value::Null, Value::Null, Value::Int(1)]) {
        Err(SchemaError::NotNull { table, column }) => {
            assert_eq!((table, column), ("users".into(), "id".into()))
        }
        other => panic!("expected NotNull, got {other:?}"),
    }
    match table::insert(
        &mut txn,
        &def,
        &[Value::Int(9), Value::Int(5), Value::Int(1)],
    ) {
        Err(SchemaError::TypeMismatch {
            column,
            expected,
            found,
            ..
        }) => {
            assert_eq!(
                (column.as_str(), expected.as_str(), found.as_str()),
                ("email", "TEXT", "BIGINT")
            );
        }
        other => panic!("expected TypeMismatch, got {other:?}"),
    }
    // A refused update writes nothing: the row and its entries are unchanged.
    let r = table::update(&mut txn, &def, &[Value::Int(3)], &user(1, Some("z@x"), 2));
    assert!(
        matches!(r, Err(SchemaError::UniqueViolation { .. })),
        "{r:?}"
    );
    assert_eq!(
        table::get(&mut txn, &def, &[Value::Int(3)]).expect("get"),
        Some(user(3, None, 1))
    );
    txn.commit().expect("commit");
    assert_indexes_match_rows(&db, &def);
}

#[test]
fn ddl_rolled_back_is_gone_and_ids_are_never_reused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let def = users(&db);
    let v0 = current_version(&db);
    {
        let mut txn = db.begin(SER).expect("begin");
        ddl::drop_table(&mut txn, "users").expect("drop");
        let spec = TableSpec {
            name: "t2".into(),
            columns: vec![col("k", ColumnType::Text)],
            primary_key: vec!["k".into()],
            storage: Default::default(),
        };
        let t2 = ddl::create_table(&mut txn, &spec).expect("create");
        assert!(
            Catalog::load(&mut txn)
                .expect("load")
                .table("users")
                .is_err()
        );
        assert_eq!(t2.id, def.id + 1);
        txn.rollback();
    }
    assert_eq!(
        current(&db, "users"),
        def,
        "the rolled-back DROP left the table"
    );
    assert_eq!(current_version(&db), v0);
    let mut txn = db.begin(SER).expect("begin");
    assert!(matches!(
        Catalog::load(&mut txn).expect("load").table("t2"),
        Err(SchemaError::UnknownTable { .. })
    ));
    ddl::drop_table(&mut txn, "users").expect("drop");
    txn.commit().expect("commit");
    let recreated = users(&db);
    assert!(recreated.id > def.id, "table id {} reused", recreated.id);
    let mut txn = db.begin(SER).expect("begin");
    ddl::drop_index(&mut txn, "users_age").expect("drop index");
    let idx = ddl::create_index(
        &mut txn,
        &IndexSpec {
            name: "users_age".into(),
            table: "users".into(),
            columns: vec!["age".into()],
            unique: false,
        },
    )
    .expect("create index");
    assert!(
        idx.id > recreated.index("users_age").expect("old").id,
        "index id reused"
    );
    ddl::drop_column(&mut txn, "users", "age").expect_err("age is indexed");
    ddl::drop_index(&mut txn, "users_age").expect("drop index");
    ddl::drop_column(&mut txn, "users", "age").expect("drop column");
    let t = ddl::add_column(&mut txn, "users", &col("age", ColumnType::Int)).expect("add column");
    assert!(t.column("age").expect("age").1.id > 3, "column id reused");
    txn.commit().expect("commit");
    assert!(current_version(&db) > v0 + 4);
}

fn current_version(db: &Database) -> u64 {
    let mut txn = db.begin_read_only().expect("begin");
    Catalog::load(&mut txn).expect("load").version()
}

#[test]
fn drop_table_removes_every_row_and_index_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    db.put(b"raw", b"kv").expect("raw put");
    let def = users(&db);
    let mut txn = db.begin(SER).expect("begin");
    for i in 0..50 {
        table::insert(&mut txn, &def, &user(i, Some(&i.to_string()), i)).expect("insert");
    }
    txn.commit().expect("commit");
    let mut txn = db.begin(SER).expect("begin");
    ddl::drop_table(&mut txn, "users").expect("drop");
    txn.commit().expect("commit");
    let left: Vec<Vec<u8>> = db
        .range(Bound::Unbounded, Bound::Unbounded, false)
        .expect("range")
        .map(|e| e.expect("entry").0)
        .filter(|k| k.starts_with(&[0xFF, 0x53, 1]) || k.starts_with(&[0xFF, 0x53, 2]))
        .collect();
    assert!(left.is_empty(), "{} schema keys left", left.len());
    assert_eq!(db.get(b"raw").expect("get"), Some(b"kv".to_vec()));
}
