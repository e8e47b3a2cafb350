//! Criterion benchmarks of the SQL front end against the raw KV underneath.
//!
//! Table `users(id BIGINT PRIMARY KEY, email TEXT, age BIGINT)` with a unique index on `email`
//! and a non-unique one on `age`, `LDB_BENCH_KEYS` rows (default 100,000). Groups:
//! * `sql_point_select` — `raw_kv`: a read-only transaction and `Transaction::get` of the row's
//!   key; `prepared_select`: `SELECT id, email, age FROM users WHERE id = ?` through a prepared
//!   statement (autocommit: read-only transaction, catalog cache, bound plan reused, key
//!   encoding, row decoding, projection) — the "≤ 2× a raw get";
//! * `sql_insert` — `BEGIN`, 1,000 executions of a prepared `INSERT INTO users VALUES (?, ?, ?)`
//!   (each maintaining both indexes), `COMMIT` (rows/s).

#![allow(missing_docs)] // criterion_group! generates undocumented items

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lightning_db::Options;
use lightning_db::schema::Value;
use lightning_db::schema::sql::SqlDatabase;
use lightning_db::schema::table::entry;
use lightning_db::util::rng::SplitMix64 as Rng;

fn rows() -> i64 {
    std::env::var("LDB_BENCH_KEYS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

fn setup(dir: &tempfile::TempDir) -> SqlDatabase {
    let db = SqlDatabase::create(dir.path().join("db"), Options::default()).expect("create");
    let mut s = db.session();
    s.execute_script(
        "CREATE TABLE users (id BIGINT PRIMARY KEY, email TEXT, age BIGINT);
         CREATE UNIQUE INDEX users_email ON users (email);
         CREATE INDEX users_age ON users (age);",
    )
    .expect("schema");
    db
}

fn row(id: i64) -> [Value; 3] {
    [
        Value::Int(id),
        Value::Text(format!("user{id}@example.com")),
        Value::Int(id % 90),
    ]
}

fn insert_range(db: &SqlDatabase, from: i64, to: i64) {
    let stmt = db
        .prepare("INSERT INTO users VALUES (?, ?, ?)")
        .expect("prepare");
    let mut s = db.session();
    s.execute("BEGIN", &[]).expect("begin");
    for id in from..to {
        s.execute_prepared(&stmt, &row(id)).expect("insert");
    }
    s.execute("COMMIT", &[]).expect("commit");
}

fn sql_point_select(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = setup(&dir);
    let n = rows();
    let mut from = 0;
    while from < n {
        insert_range(&db, from, (from + 1000).min(n));
        from += 1000;
    }
    let def = db
        .catalog()
        .expect("catalog")
        .table("users")
        .expect("users")
        .clone();
    let kv = db.database();
    let stmt = db
        .prepare("SELECT id, email, age FROM users WHERE id = ?")
        .expect("prepare");
    let mut g = c.benchmark_group("sql_point_select");
    let mut rng = Rng::new(7);
    g.bench_function("raw_kv", |b| {
        b.iter(|| {
            let key = entry::row_key(&def, &[Value::Int(rng.below(n as u64) as i64)]);
            let mut txn = kv.begin_read_only().expect("begin");
            txn.get(&key).expect("get").expect("row")
        })
    });
    g.bench_function("prepared_select", |b| {
        b.iter(|| {
            let id = Value::Int(rng.below(n as u64) as i64);
            let rows = stmt.query(&db, &[id]).expect("select");
            assert_eq!(rows.rows.len(), 1);
            rows
        })
    });
    g.finish();
}

fn sql_insert(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = setup(&dir);
    let mut next = 0;
    let mut g = c.benchmark_group("sql_insert");
    g.throughput(Throughput::Elements(1000));
    g.sample_size(20);
    g.bench_function("rows_1000_per_txn_two_indexes", |b| {
        b.iter(|| {
            insert_range(&db, next, next + 1000);
            next += 1000;
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = sql_point_select, sql_insert
}
criterion_main!(benches);
