//! `ldb sql`: statements from the command line and from standard input, aligned tables and
//! JSON lines, exit codes, and errors that name the line and column.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::{ldb, ok};

fn fails(args: &[&str]) -> String {
    let out = ldb(args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "ldb {args:?} must fail with code 2"
    );
    String::from_utf8(out.stderr).expect("utf-8 errors")
}

fn piped(db: &str, input: &str) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ldb"))
        .args(["sql", db])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ldb");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

fn fresh(dir: &tempfile::TempDir) -> String {
    let db = dir.path().join("db").display().to_string();
    ok(&["init", &db]);
    db
}

#[test]
fn statements_print_aligned_tables_and_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fresh(&dir);
    let out = ok(&[
        "sql",
        &db,
        "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT); INSERT INTO t VALUES (1, 'alpha'), (22, NULL);",
    ]);
    assert_eq!(out, "CREATE TABLE: done\nINSERT: 2 row(s)\n");
    let out = ok(&["sql", &db, "SELECT id, name FROM t ORDER BY id"]);
    assert_eq!(
        out,
        "id | name\n---+------\n 1 | alpha\n22 | NULL\n(2 rows)\n"
    );
    let out = ok(&["sql", &db, "EXPLAIN SELECT name FROM t WHERE id = 22"]);
    assert!(out.contains("PRIMARY KEY point (id = 22)"), "{out}");
    let out = ok(&["sql", "--json", &db, "SELECT id, name FROM t WHERE id = 1"]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(v["kind"], "SELECT");
    assert_eq!(v["columns"], serde_json::json!(["id", "name"]));
    assert_eq!(v["types"], serde_json::json!(["BIGINT", "TEXT"]));
    assert_eq!(v["rows"], serde_json::json!([[1, "alpha"]]));
}

#[test]
fn errors_exit_2_with_line_and_column_or_the_typed_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fresh(&dir);
    ok(&[
        "sql",
        &db,
        "CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)",
    ]);
    let err = fails(&["sql", &db, "SELECT 1;\nSELECT *\n  FORM t"]);
    assert!(err.contains("SQL error at line 3, column 3"), "{err}");
    let err = fails(&["sql", &db, "INSERT INTO t VALUES (1, NULL)"]);
    assert!(
        err.contains("statement at line 1: column `t.n` is NOT NULL"),
        "{err}"
    );
    let err = fails(&["sql", &db, "SELECT nope FROM t"]);
    assert!(err.contains("table `t` has no column `nope`"), "{err}");
    // The first failure stops the run; earlier autocommitted statements stay.
    let err = fails(&[
        "sql",
        &db,
        "INSERT INTO t VALUES (1, 1);\nINSERT INTO t VALUES (1, 2);\nINSERT INTO t VALUES (3, 3)",
    ]);
    assert!(
        err.contains("statement at line 2: duplicate key in `t` index `PRIMARY KEY`: (1)"),
        "{err}"
    );
    assert_eq!(
        ok(&["sql", &db, "SELECT id FROM t"]),
        "id\n--\n 1\n(1 row)\n"
    );
}

#[test]
fn standard_input_runs_each_statement_at_its_semicolon() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fresh(&dir);
    let (code, out, err) = piped(
        &db,
        "CREATE TABLE t (k BIGINT PRIMARY KEY, v TEXT);\nBEGIN;\nINSERT INTO t VALUES\n  (1, 'a;\nb');\nCOMMIT;\nSELECT k FROM t;\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        out,
        "CREATE TABLE: done\nBEGIN: done\nINSERT: 1 row(s)\nCOMMIT: done\nk\n-\n1\n(1 row)\n"
    );
    // A failure prints its error (with the input line) and the input continues; exit code 2.
    let (code, out, err) = piped(&db, "SELECT k FROM t;\n\nSELEC 1;\nSELECT 2 AS two;");
    assert_eq!(code, Some(2));
    assert!(err.contains("SQL error at line 3, column 1"), "{err}");
    assert!(out.ends_with("two\n---\n  2\n(1 row)\n"), "{out}");
    // An open transaction at the end is rolled back.
    let (code, _, err) = piped(&db, "BEGIN; INSERT INTO t VALUES (9, 'x');");
    assert_eq!(code, Some(0));
    assert!(err.contains("rolled back"), "{err}");
    assert_eq!(
        ok(&["sql", &db, "SELECT k FROM t WHERE k = 9"]),
        "k\n-\n(0 rows)\n"
    );
}
