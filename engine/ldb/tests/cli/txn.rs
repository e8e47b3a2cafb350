//! `ldb txn`: operations run as one transaction, atomically; bad input writes nothing.

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

#[test]
fn operations_see_their_own_writes_and_commit_together() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("db").display().to_string();
    ok(&["init", &db]);
    ok(&["put", &db, "c", "old"]);
    let out = ok(&["txn", &db, "put:a=1", "del:c", "get:a", "get:c", "scan:.."]);
    assert_eq!(out, "a\t1\nc\t(absent)\na\t1\n");
    assert_eq!(ok(&["scan", &db]), "a\t1\n");
    let out = ok(&[
        "txn",
        &db,
        "--isolation",
        "repeatable-read",
        "put:b=2",
        "scan:b..",
        "--rollback",
    ]);
    assert_eq!(out, "b\t2\n");
    assert_eq!(ok(&["scan", &db]), "a\t1\n", "rolled back");
    // A read for update, then the write it prepares.
    let out = ok(&["txn", &db, "getx:a", "put:a=2", "getx:a"]);
    assert_eq!(out, "a\t1\na\t2\n");
    assert_eq!(ok(&["scan", &db]), "a\t2\n");
}

#[test]
fn a_bad_operation_or_a_refused_write_leaves_the_database_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("db").display().to_string();
    ok(&["init", &db]);
    let err = fails(&["txn", &db, "put:a=1", "frob:x"]);
    assert!(err.contains("operation 2 (\"frob:x\")"), "{err}");
    assert!(err.contains("unknown verb"), "{err}");
    let err = fails(&["txn", &db, "put:a"]);
    assert!(err.contains("expected put:KEY=VALUE"), "{err}");
    let err = fails(&["txn", &db, "--read-only", "get:a", "put:a=1"]);
    assert!(err.contains("read-only"), "{err}");
    let err = fails(&["txn", &db, "--read-only", "getx:a"]);
    assert!(err.contains("read-only"), "{err}");
    let err = fails(&["txn", &db, "put:a=1", "put:=2"]);
    assert!(err.contains("keys must not be empty"), "{err}");
    let err = fails(&["txn", &db, "--isolation", "chaos", "get:a"]);
    assert!(err.contains("unknown isolation level"), "{err}");
    assert_eq!(ok(&["scan", &db]), "", "nothing was written");
}
