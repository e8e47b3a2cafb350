//! `ldb check` over tables: a database seeded with the demo tables checks clean and reports its
//! table figures as metrics; a deleted index entry and a foreign key in the reserved prefix,
//! planted with raw-KV commands, fail the check (exit 1), are named in the text report and
//! counted in `--json` and `--metrics`.

use crate::common::{ldb, metric, ok, s};

#[test]
fn check_reports_table_findings_by_table_index_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = s(&dir.path().join("db"));
    ok(&["init", &db]);
    let loaded = ok(&["load", &db, "--keys", "50", "--table-rows", "300"]);
    assert!(
        loaded.contains("customers and orders with 300 rows"),
        "{loaded}"
    );

    let clean = ok(&["check", &db, "--metrics", "t"]);
    assert_eq!(metric(&clean, "t.errors"), 0.0);
    assert_eq!(metric(&clean, "t.tables"), 2.0);
    assert_eq!(metric(&clean, "t.rows"), 600.0);
    assert_eq!(metric(&clean, "t.index_entries"), 900.0);
    assert_eq!(metric(&clean, "t.orphaned_index_entries"), 0.0);
    assert!(ok(&["check", &db]).contains("tables: 2 (600 rows, 900 index entries)"));

    // The first entry of the first index (customers_email): customer 0's, whose email
    // c0@example.com sorts first.
    let first = ok(&["scan", &db, "--hex", "--from", "ff5302", "--limit", "1"]);
    let key = first.split('\t').next().expect("a key").trim().to_string();
    ok(&["del", &db, "--hex", &key]);
    ok(&["put", &db, "--hex", "ff530701", "00"]);

    let out = ldb(&["check", &db]);
    assert_eq!(out.status.code(), Some(1), "findings fail the check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("missing_index_entries: table `customers`: index `customers_email`: key (0)"),
        "{text}"
    );
    assert!(
        text.contains("foreign_keys: key \\xffS\\x07\\x01"),
        "{text}"
    );

    let out = ldb(&["check", &db, "--metrics", "t"]);
    assert_eq!(out.status.code(), Some(1));
    let m = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(metric(&m, "t.missing_index_entries"), 1.0);
    assert_eq!(metric(&m, "t.foreign_keys"), 1.0);
    assert_eq!(metric(&m, "t.orphaned_index_entries"), 0.0);
    assert_eq!(metric(&m, "t.errors"), 2.0);

    let out = ldb(&["check", &db, "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["clean"], false);
    assert_eq!(report["tables"]["missing_index_entries"], 1);
    let finding = &report["tables"]["findings"][0];
    assert_eq!(finding["table"], "customers");
    assert_eq!(finding["index"], "customers_email");
    assert_eq!(finding["key"], "(0)");
}
