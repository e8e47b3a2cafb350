//! Criterion benchmarks of the TPC-C-style transactions on Lightning (`docs/tpcc.md`): one
//! New-Order and one Payment per iteration, single client, on a database loaded at the quick
//! scale (1 warehouse, a tenth of TPC-C's items and customers; `LDB_BENCH_TPCC_WAREHOUSES`
//! raises the warehouses). Each transaction is the same SQL text `ldb bench tpcc` runs, begun,
//! executed and committed durably; inputs come from the workload's seeded generator, so every
//! run measures the same sequence. The side-by-side comparison with SQLite is `ldb bench tpcc`
//! (SQLite lives in the `ldb` crate, not in the engine's dependencies).

#![allow(missing_docs)] // criterion_group! generates undocumented items

use criterion::{Criterion, criterion_group, criterion_main};
use lightning_db::Options;
use lightning_db::harness::bench::tpcc::txn::{Inputs, Outcome, new_order, payment};
use lightning_db::harness::bench::tpcc::{
    LightningEngine, Scale, SqlClient, SqlEngine, TpccConfig, check_engine, load_engine,
};
use lightning_db::schema::sql::SqlDatabase;

fn warehouses() -> u64 {
    std::env::var("LDB_BENCH_TPCC_WAREHOUSES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

fn tpcc(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = LightningEngine {
        db: SqlDatabase::create(dir.path().join("tpcc.ldb"), Options::default()).expect("create"),
    };
    let cfg = TpccConfig {
        scale: Scale::quick(warehouses()),
        threads: vec![1],
        each: std::time::Duration::ZERO,
        seed: 42,
    };
    load_engine(&engine, &cfg).expect("load");
    let mut client = engine.connect().expect("connect");
    let mut inputs = Inputs::new(cfg.seed, 0, cfg.scale);
    let mut g = c.benchmark_group("tpcc");
    g.bench_function("new_order", |b| {
        b.iter(|| {
            let t = inputs.new_order();
            client.begin().expect("begin");
            let outcome = new_order(&mut client, &t).expect("new order");
            assert!(matches!(outcome, Outcome::Committed | Outcome::RolledBack));
        })
    });
    g.bench_function("payment", |b| {
        b.iter(|| {
            let t = inputs.payment();
            let h_id = inputs.history_id();
            let filler = inputs.filler();
            client.begin().expect("begin");
            payment(&mut client, &t, h_id, &filler).expect("payment");
        })
    });
    g.finish();
    drop(client);
    let violations = check_engine(&engine, cfg.scale).expect("check");
    assert!(violations.is_empty(), "consistency: {violations:?}");
}

criterion_group!(benches, tpcc);
criterion_main!(benches);
