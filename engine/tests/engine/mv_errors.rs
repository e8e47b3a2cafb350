//! Materialized views' edges: `DROP` removes every key a view owned (and a viewed table cannot
//! be dropped); a corrupt view entry is a clear error; a result changed behind a view's back is
//! found by `ldb check`'s verification; bad definitions and writes to a view are refused by name.

use std::ops::Bound;

use lightning_db::IsolationLevel;
use lightning_db::schema::keys::{
    MvKey, catalog_view_key, columnar_mvlog_prefix, mv_key, mv_prefix, prefix_end, row_prefix,
};
use lightning_db::schema::sql::SqlDatabase;

use super::mv::{base_id, create, exec, keys_under, open, setup, view_id};

#[test]
fn drop_removes_every_key_the_view_owned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    setup(&db);
    create(&db, "v", "manual");
    exec(&db, "INSERT INTO t VALUES (6, 'c', 1)");
    let id = view_id(&db, "v");
    let base = base_id(&db);
    assert!(keys_under(&db, &row_prefix(id)) > 0);
    assert!(keys_under(&db, &mv_prefix(id)) > 0);
    assert_eq!(keys_under(&db, &columnar_mvlog_prefix(base, id)), 1);
    let err = db
        .execute("DROP TABLE t", &[])
        .expect_err("the view reads t");
    assert!(err.to_string().contains("materialized view `v`"), "{err}");
    exec(&db, "DROP MATERIALIZED VIEW v");
    for prefix in [
        row_prefix(id),
        mv_prefix(id),
        columnar_mvlog_prefix(base, id),
        catalog_view_key(id),
    ] {
        assert_eq!(keys_under(&db, &prefix), 0, "{prefix:02x?}");
    }
    assert!(db.query("SELECT * FROM v", &[]).is_err());
    exec(&db, "INSERT INTO t VALUES (7, 'c', 1)");
    exec(&db, "DROP MATERIALIZED VIEW IF EXISTS v");
    assert!(db.execute("DROP MATERIALIZED VIEW v", &[]).is_err());
    let report = lightning_db::integrity::check_all(db.database()).expect("check");
    assert_eq!(
        report.tables.as_ref().map(|t| t.total()),
        Some(0),
        "{report:?}"
    );
}

#[test]
fn a_corrupt_view_entry_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    setup(&db);
    create(&db, "v", "manual");
    let id = view_id(&db, "v");
    let mut txn = db
        .database()
        .begin(IsolationLevel::RepeatableRead)
        .expect("begin");
    let key = catalog_view_key(id);
    let mut bytes = txn.get(&key).expect("get").expect("entry");
    bytes.truncate(bytes.len() - 3);
    txn.put(&key, &bytes).expect("put");
    txn.commit().expect("commit");
    let fresh = SqlDatabase::new(db.into_inner());
    let err = fresh.query("SELECT * FROM v", &[]).expect_err("corrupt");
    let text = err.to_string();
    assert!(text.contains("materialized view"), "{text}");
    assert!(text.contains("corrupt"), "{text}");
}

#[test]
fn a_corrupt_group_state_is_found_by_the_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    setup(&db);
    create(&db, "v", "manual");
    exec(&db, "INSERT INTO t VALUES (6, 'c', 1)");
    let id = view_id(&db, "v");
    // Change the result row of group 'a' behind the view's back.
    let mut txn = db
        .database()
        .begin(IsolationLevel::RepeatableRead)
        .expect("begin");
    let prefix = row_prefix(id);
    let end = prefix_end(&prefix).expect("end");
    let (k, _) = txn
        .range(Bound::Included(&prefix), Bound::Excluded(&end), false)
        .expect("range")
        .next()
        .expect("a result row")
        .expect("readable");
    txn.delete(&k).expect("delete");
    txn.delete(&mv_key(id, MvKey::Group(&k[prefix.len()..])))
        .expect("delete");
    txn.commit().expect("commit");
    let report = lightning_db::integrity::check_all(db.database()).expect("check");
    let tables = report.tables.expect("tables checked");
    assert!(tables.view_mismatches > 0, "{tables:?}");
    assert!(
        tables.findings.iter().any(|f| f.table == "v"),
        "{:?}",
        tables.findings
    );
}

#[test]
fn bad_definitions_are_refused_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    setup(&db);
    exec(
        &db,
        "CREATE TABLE r (id BIGINT PRIMARY KEY, d DOUBLE, g TEXT)",
    );
    exec(
        &db,
        "CREATE TABLE c (id BIGINT PRIMARY KEY, d DOUBLE, g TEXT) WITH (storage = 'columnar')",
    );
    let cases = [
        (
            "CREATE MATERIALIZED VIEW v AS SELECT g, COUNT(*) FROM r GROUP BY g",
            "row table",
        ),
        (
            "CREATE MATERIALIZED VIEW v AS SELECT g, SUM(d) FROM c GROUP BY g",
            "BIGINT columns only",
        ),
        (
            "CREATE MATERIALIZED VIEW v AS SELECT g, x FROM t GROUP BY g",
            "not in GROUP BY",
        ),
        (
            "CREATE MATERIALIZED VIEW v AS SELECT COUNT(*) FROM t GROUP BY g",
            "must be selected",
        ),
        (
            "CREATE MATERIALIZED VIEW v AS SELECT g, COUNT(*) FROM t",
            "GROUP BY",
        ),
        (
            "CREATE MATERIALIZED VIEW v WITH (refresh = 'hourly') AS SELECT g, COUNT(*) FROM t GROUP BY g",
            "refresh = 'hourly'",
        ),
        (
            "CREATE MATERIALIZED VIEW v AS SELECT g, SUM(x + 1) FROM t GROUP BY g",
            "must be a column",
        ),
        (
            "CREATE MATERIALIZED VIEW t AS SELECT g, COUNT(*) FROM t GROUP BY g",
            "already exists",
        ),
    ];
    for (sql, expected) in cases {
        let err = db.execute(sql, &[]).expect_err(sql);
        assert!(err.to_string().contains(expected), "{sql}: {err}");
    }
    create(&db, "v", "manual");
    let err = db
        .execute("INSERT INTO v VALUES ('q', 1, 1, 1.0, 1, 1)", &[])
        .expect_err("read-only");
    assert!(err.to_string().contains("read-only"), "{err}");
    let err = db
        .execute("ALTER TABLE t DROP COLUMN x", &[])
        .expect_err("viewed");
    assert!(err.to_string().contains("materialized view `v`"), "{err}");
    assert!(db.execute("SHOW REFRESHES nope", &[]).is_err());
}

#[test]
fn create_refuses_a_snapshot_that_misses_committed_base_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    setup(&db);
    let mut s = db.session();
    s.execute("BEGIN", &[]).expect("begin");
    s.execute("SELECT COUNT(*) FROM t", &[])
        .expect("snapshot taken");
    exec(&db, "INSERT INTO t VALUES (6, 'late', 1)");
    let err = s
        .execute(
            "CREATE MATERIALIZED VIEW v AS SELECT g, COUNT(*) AS n FROM t GROUP BY g",
            &[],
        )
        .expect_err("the snapshot misses a committed row");
    assert!(err.is_retryable(), "{err}");
    s.execute("ROLLBACK", &[]).expect("rollback");
    drop(s);
    create(&db, "v", "manual");
    let n = db
        .query("SELECT n FROM v WHERE g = 'late'", &[])
        .expect("select")
        .rows;
    assert_eq!(n.len(), 1, "the retried CREATE saw the row");
}
