//! Column statistics from the command line: `ldb sql DB "SHOW STATS t"` (aligned and `--json`),
//! `ANALYZE`, `EXPLAIN`'s estimate, and `ldb check` counting a damaged statistics entry as a
//! `column_stats` finding (text, `--metrics`).

use crate::common::{ldb, metric, ok, s};

#[test]
fn statistics_are_shown_used_analyzed_and_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = s(&dir.path().join("db"));
    ok(&["init", &db]);
    ok(&[
        "sql",
        &db,
        "CREATE TABLE t (a BIGINT PRIMARY KEY, b TEXT) WITH (storage = 'columnar', row_group = 1024)",
    ]);
    let values: Vec<String> = (0..2048)
        .map(|i| {
            format!(
                "({i}, {})",
                if i % 4 == 0 {
                    "NULL".into()
                } else {
                    format!("'k{}'", i % 8)
                }
            )
        })
        .collect();
    ok(&[
        "sql",
        &db,
        &format!("INSERT INTO t VALUES {}", values.join(", ")),
    ]);

    let shown = ok(&["sql", &db, "SHOW STATS t"]);
    assert!(
        shown.contains(
            "column | rows | nulls | min  | max  | distinct | buckets | modified_since_analyze"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("a      | 2048 |     0 | 0    | 2047 |"),
        "{shown}"
    );
    assert!(
        shown.contains("b      | 2048 |   512 | 'k1' | 'k7' |        6 |"),
        "{shown}"
    );
    let json = ok(&["sql", "--json", &db, "SHOW STATS t"]);
    let doc: serde_json::Value = serde_json::from_str(json.trim()).expect("JSON");
    assert_eq!(doc["rows"][1][2], 512, "{json}");
    assert_eq!(doc["rows"][1][7], 2048, "{json}");

    let plan = ok(&["sql", &db, "EXPLAIN SELECT COUNT(*) FROM t WHERE b = 'k3'"]);
    assert!(
        plan.contains("estimated rows: 256 of 2048 (b = 'k3': 12.50%)"),
        "{plan}"
    );

    ok(&["sql", &db, "DELETE FROM t WHERE a >= 1024"]);
    assert!(ok(&["sql", &db, "ANALYZE t"]).contains("ANALYZE: done"));
    let shown = ok(&["sql", &db, "SHOW STATS t"]);
    assert!(shown.contains("| 1024 |     0 | 0    | 1023 |"), "{shown}");

    let clean = ok(&["check", &db, "--metrics", "c"]);
    assert_eq!(metric(&clean, "c.column_stats"), 0.0);

    // Table 1's statistics entry of column 1 (`a`), replaced by one byte.
    ok(&["put", &db, "--hex", "ff5304000000010400000001", "00"]);
    let out = ldb(&["check", &db]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a damaged entry fails the check"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("column_stats: table `t`: key column a: ")
            && text.contains("statistics of column `a`"),
        "{text}"
    );
    let out = ldb(&["check", &db, "--metrics", "c"]);
    let m = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(metric(&m, "c.column_stats"), 1.0);
    let out = ldb(&["sql", &db, "SHOW STATS t"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("columnar table `t`"));
}
