//! Criterion benchmarks of the schema layer's table operations against the raw KV they sit on.
//!
//! Table `users(id BIGINT PRIMARY KEY, email TEXT, age BIGINT)` with a unique index on `email`
//! and a non-unique one on `age`, `LDB_BENCH_KEYS` rows (default 100,000). Groups:
//! * `schema_get` — one point lookup per read-only transaction: `raw_kv` gets the row's key
//!   with `Transaction::get`; `table_get` takes the catalog from a warm `CatalogCache` and
//!   calls `table::get` (key encoding, guard, row decoding) — the "≤ 2× a raw get";
//! * `schema_insert` — 1,000 rows per transaction into the two-index table (rows/s).

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use lightning_db::schema::ddl::{self, ColumnSpec, IndexSpec, TableSpec};
use lightning_db::schema::table::{self, entry};
use lightning_db::schema::{CatalogCache, ColumnType, TableDef, Value};
use lightning_db::util::rng::SplitMix64 as Rng;
use lightning_db::{Database, IsolationLevel, Options};

fn rows() -> i64 {
    std::env::var("LDB_BENCH_KEYS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

fn col(name: &str, ty: ColumnType) -> ColumnSpec {
    ColumnSpec {
        name: name.into(),
        ty,
        not_null: false,
        default: None,
    }
}

fn setup(dir: &tempfile::TempDir) -> (Database, TableDef) {
    let db = Database::create(dir.path().join("db"), Options::default()).expect("create");
    let mut txn = db.begin(IsolationLevel::Serializable).expect("begin");
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
    .expect("table");
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
        .expect("index");
    }
    txn.commit().expect("commit");
    let cache = CatalogCache::new();
    let def = {
        let mut txn = db.begin_read_only().expect("begin");
        cache
            .get(&mut txn)
            .expect("catalog")
            .table("users")
            .expect("users")
            .clone()
    };
    (db, def)
}

fn row(id: i64) -> Vec<Value> {
    vec![
        Value::Int(id),
        Value::Text(format!("user{id}@example.com")),
        Value::Int(id % 90),
    ]
}

fn schema_get(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, def) = setup(&dir);
    let n = rows();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut txn = db.begin(IsolationLevel::RepeatableRead).expect("begin");
        for id in chunk {
            table::insert(&mut txn, &def, &row(*id)).expect("insert");
        }
        txn.commit().expect("commit");
    }
    let cache = CatalogCache::new();
    let mut g = c.benchmark_group("schema_get");
    let mut rng = Rng::new(7);
    g.bench_function("raw_kv", |b| {
        b.iter(|| {
            let key = entry::row_key(&def, &[Value::Int(rng.below(n as u64) as i64)]);
            let mut txn = db.begin_read_only().expect("begin");
            txn.get(&key).expect("get").expect("row")
        })
    });
    g.bench_function("table_get", |b| {
        b.iter(|| {
            let pk = [Value::Int(rng.below(n as u64) as i64)];
            let mut txn = db.begin_read_only().expect("begin");
            let cat = cache.get(&mut txn).expect("catalog");
            let def = cat.table("users").expect("users");
            table::get(&mut txn, def, &pk).expect("get").expect("row")
        })
    });
    g.finish();
}

fn schema_insert(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, def) = setup(&dir);
    let mut next = 0i64;
    let mut g = c.benchmark_group("schema_insert");
    g.throughput(Throughput::Elements(1000));
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("1000_rows_2_indexes", |b| {
        b.iter_batched(
            || {
                next += 1000;
                (next - 1000..next).map(row).collect::<Vec<_>>()
            },
            |batch| {
                let mut txn = db.begin(IsolationLevel::RepeatableRead).expect("begin");
                for r in &batch {
                    table::insert(&mut txn, &def, r).expect("insert");
                }
                txn.commit().expect("commit")
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, schema_get, schema_insert);
criterion_main!(benches);
