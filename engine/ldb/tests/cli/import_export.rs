//! `ldb import` and `ldb export`: a CSV round trip through the command line, the error of a bad
//! row (its `file:line`, exit 2, nothing written), and `ldb tpch generate` feeding `ldb import`.

use crate::common::{ldb, ok, s};

const CREATE: &str = "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT NOT NULL, price DOUBLE, \
    at TIMESTAMP)";

#[test]
fn import_then_export_round_trips_and_bad_rows_write_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    let db = s(&db);
    ok(&["init", &db]);
    ok(&["sql", &db, CREATE]);
    let csv = "id,name,price,at\n1,\"a, b\",0.5,1998-09-02\n2,plain,,1998-09-02 10:00:00\n";
    let file = dir.path().join("t.csv");
    std::fs::write(&file, csv).expect("write csv");
    let out = ok(&["import", &db, "t", &s(&file), "--batch", "1", "--json"]);
    let report: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(report["rows"], 2);
    assert_eq!(report["batches"], 2);
    let exported = ldb(&["export", &db, "t"]);
    assert!(exported.status.success());
    assert_eq!(String::from_utf8_lossy(&exported.stdout), csv);
    assert!(String::from_utf8_lossy(&exported.stderr).contains("exported 2 rows of t"));
    let copy = dir.path().join("copy.csv");
    let out = ok(&["export", &db, "t", "--out", &s(&copy)]);
    assert!(out.starts_with("exported 2 rows of t in "), "{out}");
    assert_eq!(std::fs::read_to_string(&copy).expect("copy"), csv);

    // A bad row at line 4 of a file: exit 2, the error names file:4, nothing is written.
    ok(&[
        "sql",
        &db,
        "CREATE TABLE u (id BIGINT PRIMARY KEY, n BIGINT)",
    ]);
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "id,n\n1,1\n2,2\n3,three\n4,4\n").expect("write bad");
    let out = ldb(&["import", &db, "u", &s(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:4: column `n` (BIGINT): expected a whole number",
            s(&bad)
        )),
        "{err}"
    );
    let rows = ok(&["sql", &db, "SELECT id FROM u"]);
    assert!(rows.contains("(0 rows)"), "{rows}");
    let out = ldb(&["import", &db, "nope", &s(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no table named `nope`"));
}

#[test]
fn generated_tpch_data_imports_into_the_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let out = ok(&[
        "tpch",
        "generate",
        "--scale",
        "0.001",
        "--out",
        &s(&data),
        "--table",
        "orders",
    ]);
    assert!(out.starts_with("orders: 1500 rows in "), "{out}");
    assert!(!data.join("lineitem.csv").exists());
    let db = s(&dir.path().join("db"));
    ok(&["init", &db]);
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/tpch/schema.sql");
    let text = std::fs::read_to_string(schema).expect("schema.sql");
    ok(&["sql", &db, "--", &text]);
    let out = ok(&["import", &db, "orders", &s(&data.join("orders.csv"))]);
    assert!(out.starts_with("imported 1500 rows into orders"), "{out}");
    let out = ldb(&["tpch", "generate", "--scale", "0", "--out", &s(&data)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--scale must be a number above 0"));
}
