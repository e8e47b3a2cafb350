//! Materialized views from the command line: `ldb sql` creates, reads, refreshes and lists the
//! refreshes of a view (aligned and `--json`), `ldb check` verifies it and counts
//! `view_mismatches`, and `ldb drill mv --json` reports `columnar.mv_refresh_failures` = 0.

use crate::common::{ldb, metric, ok, s};

#[test]
fn views_are_created_read_refreshed_listed_and_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = s(&dir.path().join("db"));
    ok(&["init", &db]);
    ok(&[
        "sql",
        &db,
        "CREATE TABLE t (id BIGINT PRIMARY KEY, g TEXT, x BIGINT) WITH (storage = 'columnar'); \
         INSERT INTO t VALUES (1, 'a', 10), (2, 'a', 20), (3, 'b', 5); \
         CREATE MATERIALIZED VIEW v AS SELECT g, COUNT(*) AS n, SUM(x) AS s FROM t GROUP BY g",
    ]);
    ok(&["sql", &db, "INSERT INTO t VALUES (4, 'b', 50)"]);
    let stale = ok(&["sql", &db, "SELECT n, s FROM v WHERE g = 'b'"]);
    assert!(
        stale.contains("1 | 5\n"),
        "manual: not yet refreshed\n{stale}"
    );
    ok(&["sql", &db, "REFRESH MATERIALIZED VIEW v INCREMENTAL"]);
    let fresh = ok(&["sql", &db, "SELECT n, s FROM v WHERE g = 'b'"]);
    assert!(fresh.contains("2 | 55"), "{fresh}");
    let table = ok(&["sql", &db, "SHOW REFRESHES v"]);
    assert!(
        table.contains("full") && table.contains("incremental"),
        "{table}"
    );
    let json = ok(&["sql", "--json", &db, "SHOW REFRESHES v"]);
    let doc: serde_json::Value = serde_json::from_str(json.trim()).expect("JSON");
    assert_eq!(doc["rows"].as_array().map(Vec::len), Some(2), "{json}");
    assert_eq!(doc["rows"][1][4], 1, "one logged row applied: {json}");
    let check = ok(&["check", &db, "--metrics", "c"]);
    assert_eq!(metric(&check, "c.view_mismatches"), 0.0);
    let refused = ldb(&["sql", &db, "INSERT INTO v VALUES ('c', 1, 1)"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("read-only"),
        "{refused:?}"
    );
}

#[test]
fn the_mv_drill_reports_no_refresh_failures() {
    let out = ok(&["drill", "mv", "--seed", "3", "--steps", "15", "--json"]);
    assert_eq!(metric(&out, "columnar.mv_refresh_failures"), 0.0);
    assert!(metric(&out, "columnar.mv_checks") >= 15.0 * 4.0);
}
