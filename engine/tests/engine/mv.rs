//! Materialized views end to end: seeded random workloads keep every view's incremental
//! state equal to a full recomputation; each refresh policy fires when documented; compaction
//! is not a change; a rolled-back transaction leaves views and change logs as they were; views
//! survive a reopen. (`DROP`, corruption and refused definitions: `mv_errors`.)

use std::ops::Bound;
use std::path::Path;
use std::time::Duration;

use lightning_db::columnar::mv::state;
use lightning_db::harness::drill::mv::{MvDrillConfig, run};
use lightning_db::schema::Value;
use lightning_db::schema::keys::{columnar_mvlog_prefix, prefix_end};
use lightning_db::schema::sql::SqlDatabase;
use lightning_db::{IsolationLevel, Options};

pub(crate) fn open(dir: &Path) -> SqlDatabase {
    SqlDatabase::create(
        dir.join("db"),
        Options {
            lock_timeout: Duration::from_secs(10),
            ..Options::default()
        },
    )
    .expect("create")
}

pub(crate) fn rows(db: &SqlDatabase, sql: &str) -> Vec<Vec<Value>> {
    db.query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .rows
}

pub(crate) fn exec(db: &SqlDatabase, sql: &str) {
    db.execute(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

pub(crate) fn setup(db: &SqlDatabase) {
    exec(
        db,
        "CREATE TABLE t (id BIGINT PRIMARY KEY, g TEXT, x BIGINT) WITH (storage = 'columnar', row_group = 1024)",
    );
    exec(
        db,
        "INSERT INTO t VALUES (1, 'a', 10), (2, 'a', 20), (3, 'b', 5), (4, NULL, 7), (5, 'b', NULL)",
    );
}

pub(crate) const QUERY: &str = "SELECT g, COUNT(*) AS n, SUM(x) AS s, AVG(x) AS a, MIN(x) AS lo, MAX(x) AS hi FROM t GROUP BY g";

pub(crate) fn create(db: &SqlDatabase, name: &str, policy: &str) {
    exec(
        db,
        &format!(
            "CREATE MATERIALIZED VIEW {name} WITH (refresh = '{policy}') AS {}",
            QUERY
        ),
    );
}

pub(crate) fn view_id(db: &SqlDatabase, name: &str) -> u32 {
    db.catalog().expect("catalog").view(name).expect("view").id
}

pub(crate) fn keys_under(db: &SqlDatabase, prefix: &[u8]) -> usize {
    let end = prefix_end(prefix).expect("end");
    let mut txn = db.database().begin_read_only().expect("begin");
    txn.range(Bound::Included(prefix), Bound::Excluded(&end), false)
        .expect("range")
        .count()
}

pub(crate) fn base_id(db: &SqlDatabase) -> u32 {
    db.catalog()
        .expect("catalog")
        .table("t")
        .expect("table t")
        .id
}

pub(crate) fn pending(db: &SqlDatabase, name: &str) -> u64 {
    let id = view_id(db, name);
    let mut txn = db.database().begin_read_only().expect("begin");
    let st = state::get(&mut txn, id, false).expect("state");
    st.next - st.applied
}

#[test]
fn seeded_random_workloads_keep_incremental_equal_to_full() {
    for seed in [1u64, 7, 42] {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = MvDrillConfig { seed, steps: 30 };
        let d = run(&cfg, Options::default(), dir.path()).expect("drill runs");
        assert_eq!(
            d.failures, 0,
            "seed {seed}: {} failure(s): {:#?}",
            d.failures, d.explained
        );
        assert!(d.checks > 30 * 4, "seed {seed}: only {} checks", d.checks);
        assert!(
            d.refreshes > 4,
            "seed {seed}: only {} refreshes",
            d.refreshes
        );
    }
}

#[test]
fn a_view_reads_like_its_query_and_manual_views_wait_for_refresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    setup(&db);
    create(&db, "v", "manual");
    assert_eq!(rows(&db, "SELECT * FROM v"), rows(&db, QUERY));
    let before = rows(&db, "SELECT * FROM v");
    exec(&db, "INSERT INTO t VALUES (6, 'a', 100)");
    exec(&db, "DELETE FROM t WHERE id = 2");
    assert_eq!(
        rows(&db, "SELECT * FROM v"),
        before,
        "manual: not refreshed"
    );
    assert_eq!(pending(&db, "v"), 2);
    exec(&db, "REFRESH MATERIALIZED VIEW v INCREMENTAL");
    assert_eq!(pending(&db, "v"), 0);
    assert_eq!(rows(&db, "SELECT * FROM v"), rows(&db, QUERY));
    assert_eq!(
        rows(&db, "SELECT n, hi FROM v WHERE g = 'a'"),
        vec![vec![Value::Int(2), Value::Int(100)]]
    );
    let recs = rows(&db, "SHOW REFRESHES v");
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0][1], Value::Text("full".into()));
    assert_eq!(recs[1][1], Value::Text("incremental".into()));
    assert_eq!(recs[1][4], Value::Int(2), "two logged rows applied");
    assert_eq!(recs[1][5], Value::Int(3), "three groups");
    exec(&db, "REFRESH MATERIALIZED VIEW v");
    let recs = rows(&db, "SHOW REFRESHES v");
    assert_eq!(recs[2][1], Value::Text("full".into()));
    assert_eq!(
        recs[2][6], recs[1][6],
        "full and incremental fingerprints agree"
    );
}

#[test]
fn compaction_logs_nothing_and_unaliased_columns_are_named_as_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    setup(&db);
    exec(
        &db,
        "CREATE MATERIALIZED VIEW v AS SELECT g, COUNT(*), max(x) FROM t WHERE x IS NOT NULL GROUP BY g",
    );
    let cols = db.query("SELECT * FROM v", &[]).expect("select").columns;
    assert_eq!(cols, vec!["g", "COUNT(*)", "max(x)"]);
    exec(&db, "INSERT INTO t VALUES (6, 'c', 1)");
    assert_eq!(pending(&db, "v"), 1);
    let mut txn = db
        .database()
        .begin(IsolationLevel::Serializable)
        .expect("begin");
    let cat = lightning_db::schema::Catalog::load(&mut txn).expect("catalog");
    let t = cat.table("t").expect("t").clone();
    let moved = lightning_db::columnar::write::compact(&mut txn, &t, true).expect("compact");
    txn.commit().expect("commit");
    assert!(moved >= 6, "the delta moved to a segment ({moved} rows)");
    assert_eq!(pending(&db, "v"), 1, "compaction is not a change");
    exec(&db, "DELETE FROM t WHERE id = 6");
    exec(&db, "REFRESH MATERIALIZED VIEW v INCREMENTAL");
    assert_eq!(
        rows(&db, "SELECT * FROM v"),
        rows(
            &db,
            "SELECT g, COUNT(*), max(x) FROM t WHERE x IS NOT NULL GROUP BY g"
        )
    );
}

#[test]
fn equal_doubles_of_two_representations_give_one_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    exec(
        &db,
        "CREATE TABLE d (id BIGINT PRIMARY KEY, k DOUBLE, y DOUBLE) WITH (storage = 'columnar')",
    );
    exec(&db, "INSERT INTO d VALUES (1, 0.0, -0.0)");
    exec(
        &db,
        "CREATE MATERIALIZED VIEW v AS SELECT k, COUNT(*) AS n, MIN(y) AS lo, MAX(y) AS hi FROM d GROUP BY k",
    );
    exec(&db, "INSERT INTO d VALUES (2, -0.0, 0.0), (3, -0.0, -0.0)");
    exec(&db, "REFRESH MATERIALIZED VIEW v INCREMENTAL");
    exec(&db, "REFRESH MATERIALIZED VIEW v");
    let recs = rows(&db, "SHOW REFRESHES v");
    assert_eq!(
        recs[1][6], recs[2][6],
        "incremental and full fingerprints agree"
    );
    assert_eq!(rows(&db, "SELECT n FROM v"), vec![vec![Value::Int(3)]]);
}

#[test]
fn on_commit_refreshes_in_every_committing_transaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    setup(&db);
    create(&db, "v", "on_commit");
    exec(&db, "INSERT INTO t VALUES (6, 'c', 1)");
    assert_eq!(pending(&db, "v"), 0);
    assert_eq!(rows(&db, "SELECT * FROM v"), rows(&db, QUERY));
    let mut s = db.session();
    s.execute("BEGIN", &[]).expect("begin");
    s.execute("UPDATE t SET x = 99 WHERE g = 'a'", &[])
        .expect("update");
    s.execute("DELETE FROM t WHERE id = 3", &[])
        .expect("delete");
    s.execute("COMMIT", &[]).expect("commit");
    drop(s);
    assert_eq!(pending(&db, "v"), 0);
    assert_eq!(rows(&db, "SELECT * FROM v"), rows(&db, QUERY));
}

#[test]
fn every_n_commits_fires_at_the_nth_commit_that_changed_the_base() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    setup(&db);
    create(&db, "v", "every 3 commits");
    exec(&db, "INSERT INTO t VALUES (6, 'c', 1)");
    exec(&db, "INSERT INTO t VALUES (7, 'c', 2)");
    assert_eq!(pending(&db, "v"), 2, "two commits: not yet");
    assert_ne!(rows(&db, "SELECT * FROM v"), rows(&db, QUERY));
    exec(&db, "INSERT INTO t VALUES (8, 'c', 3)");
    assert_eq!(pending(&db, "v"), 0, "the third commit refreshed");
    assert_eq!(rows(&db, "SELECT * FROM v"), rows(&db, QUERY));
    exec(&db, "INSERT INTO t VALUES (9, 'c', 4)");
    assert_eq!(pending(&db, "v"), 1, "the count restarts after a refresh");
}

#[test]
fn every_n_seconds_fires_at_the_first_commit_after_the_interval() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    setup(&db);
    create(&db, "v", "every 3600 seconds");
    exec(&db, "INSERT INTO t VALUES (6, 'c', 1)");
    assert_eq!(pending(&db, "v"), 1, "an hour has not passed");
    // Move the last refresh back two hours (instead of waiting).
    let id = view_id(&db, "v");
    let mut txn = db
        .database()
        .begin(IsolationLevel::RepeatableRead)
        .expect("begin");
    let mut st = state::get(&mut txn, id, true).expect("state");
    st.refreshed_us -= 7_200_000_000;
    state::put(&mut txn, id, &st).expect("put");
    txn.commit().expect("commit");
    exec(&db, "INSERT INTO t VALUES (7, 'c', 2)");
    assert_eq!(pending(&db, "v"), 0, "the interval passed: refreshed");
    assert_eq!(rows(&db, "SELECT * FROM v"), rows(&db, QUERY));
}

#[test]
fn a_rolled_back_transaction_leaves_views_and_logs_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    setup(&db);
    create(&db, "m", "manual");
    create(&db, "c", "on_commit");
    let (m0, c0) = (rows(&db, "SELECT * FROM m"), rows(&db, "SELECT * FROM c"));
    let log_m = columnar_mvlog_prefix(base_id(&db), view_id(&db, "m"));
    let mut s = db.session();
    s.execute("BEGIN", &[]).expect("begin");
    s.execute("INSERT INTO t VALUES (6, 'z', 1)", &[])
        .expect("insert");
    s.execute("DELETE FROM t WHERE g = 'a'", &[])
        .expect("delete");
    s.execute("ROLLBACK", &[]).expect("rollback");
    // A statement that fails part-way rolls its transaction back too.
    s.execute("BEGIN", &[]).expect("begin");
    s.execute("INSERT INTO t VALUES (7, 'z', 1)", &[])
        .expect("insert");
    assert!(
        s.execute("INSERT INTO t VALUES (1, 'dup', 1)", &[])
            .is_err()
    );
    s.execute("ROLLBACK", &[]).expect("rollback");
    drop(s);
    assert!(
        db.execute("INSERT INTO t VALUES (8, 'y', 1), (1, 'dup', 1)", &[])
            .is_err()
    );
    assert_eq!(pending(&db, "m"), 0);
    assert_eq!(keys_under(&db, &log_m), 0, "no log entry survived");
    assert_eq!(rows(&db, "SELECT * FROM m"), m0);
    assert_eq!(rows(&db, "SELECT * FROM c"), c0);
    assert_eq!(rows(&db, "SHOW REFRESHES c").len(), 1);
}

#[test]
fn views_and_logs_survive_closing_and_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    setup(&db);
    create(&db, "v", "every 2 commits");
    exec(&db, "INSERT INTO t VALUES (6, 'c', 1)");
    let before = rows(&db, "SELECT * FROM v");
    drop(db);
    let db = SqlDatabase::open(dir.path().join("db"), Options::default()).expect("reopen");
    assert_eq!(pending(&db, "v"), 1, "the unapplied entry is durable");
    assert_eq!(rows(&db, "SELECT * FROM v"), before);
    exec(&db, "DELETE FROM t WHERE id = 1");
    assert_eq!(
        pending(&db, "v"),
        0,
        "the second commit after reopening fired"
    );
    assert_eq!(rows(&db, "SELECT * FROM v"), rows(&db, QUERY));
    let report = lightning_db::integrity::check_all(db.database()).expect("check");
    assert_eq!(
        report.tables.as_ref().map(|t| t.total()),
        Some(0),
        "{report:?}"
    );
}
