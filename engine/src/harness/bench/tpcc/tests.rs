//! The loader and one transaction of each kind leave a consistent Lightning database.

use super::client::{LightningEngine, SqlClient, SqlEngine};
use super::txn::{CustomerBy, Inputs, Outcome, new_order, payment};
use super::{Scale, TpccConfig, check_engine, load_engine, run_engine_window};
use crate::Options;
use crate::schema::sql::SqlDatabase;

fn tiny() -> Scale {
    Scale {
        warehouses: 2,
        districts: 3,
        customers: 30,
        items: 200,
    }
}

fn engine(dir: &std::path::Path) -> LightningEngine {
    LightningEngine {
        db: SqlDatabase::create(dir.join("tpcc.ldb"), Options::default()).expect("create"),
    }
}

#[test]
fn load_then_one_of_each_is_consistent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = engine(dir.path());
    let cfg = TpccConfig {
        scale: tiny(),
        threads: vec![1],
        each: std::time::Duration::from_millis(1),
        seed: 11,
    };
    load_engine(&e, &cfg).expect("load");
    assert_eq!(
        check_engine(&e, cfg.scale).expect("check"),
        Vec::<String>::new()
    );

    let migrator = crate::schema::migrate::Migrator::open(
        e.db.database(),
        crate::schema::migrate::SqlEngine::new(),
        super::load::migrations(),
    )
    .expect("migrator");
    let history = migrator.history().expect("history");
    assert_eq!(history.latest(), 1, "the schema is migration 1");
    assert!(history.findings.is_empty(), "{:?}", history.findings);
    assert_eq!(history.get(1).map(|e| e.name.as_str()), Some("tpcc"));
    let mut c = e.connect().expect("connect");
    let mut inputs = Inputs::new(11, 0, cfg.scale);
    let mut t = inputs.new_order();
    t.lines.retain(|l| l.0 <= 200);
    c.begin().expect("begin");
    assert_eq!(
        new_order(&mut c, &t).expect("new order"),
        Outcome::Committed
    );
    let mut p = inputs.payment();
    p.customer = CustomerBy::LastName(super::input::last_name(3));
    let before = c
        .query(
            "SELECT w_ytd FROM warehouse WHERE w_id = ?",
            &[crate::schema::Value::Int(p.w_id)],
        )
        .expect("w_ytd");
    c.begin().expect("begin");
    payment(&mut c, &p, inputs.history_id(), "x").expect("payment");
    let after = c
        .query(
            "SELECT w_ytd FROM warehouse WHERE w_id = ?",
            &[crate::schema::Value::Int(p.w_id)],
        )
        .expect("w_ytd");
    assert_ne!(before, after, "Payment must add to w_ytd");
    let rows = c
        .query(
            "SELECT ol_number FROM order_line WHERE ol_w_id = ? AND ol_d_id = ? AND ol_o_id = 31",
            &[
                crate::schema::Value::Int(t.w_id),
                crate::schema::Value::Int(t.d_id),
            ],
        )
        .expect("lines");
    assert_eq!(
        rows.len(),
        t.lines.len(),
        "New-Order writes one order_line per line"
    );
    drop(c);
    assert_eq!(
        check_engine(&e, cfg.scale).expect("check"),
        Vec::<String>::new()
    );
}

#[test]
fn the_check_finds_a_broken_ytd() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = engine(dir.path());
    let cfg = TpccConfig {
        scale: tiny(),
        threads: vec![1],
        each: std::time::Duration::from_millis(1),
        seed: 5,
    };
    load_engine(&e, &cfg).expect("load");
    e.db.execute(
        "UPDATE district SET d_ytd = d_ytd + 1 WHERE d_w_id = 2 AND d_id = 1",
        &[],
    )
    .expect("update");
    let found = check_engine(&e, cfg.scale).expect("check");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("warehouse 2: w_ytd"), "{found:?}");
}

#[test]
fn two_clients_run_and_stay_consistent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let e = engine(dir.path());
    let cfg = TpccConfig {
        scale: tiny(),
        threads: vec![2],
        each: std::time::Duration::from_millis(300),
        seed: 9,
    };
    load_engine(&e, &cfg).expect("load");
    let r = run_engine_window(&e, &cfg, 0, 2).expect("run");
    assert!(r.new_orders > 0 && r.payments > 0, "{r:?}");
    assert_eq!(r.failed, 0, "{r:?}");
    assert_eq!(
        check_engine(&e, cfg.scale).expect("check"),
        Vec::<String>::new()
    );
}
