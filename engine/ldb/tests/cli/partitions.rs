//! Range partitions from the command line: a CSV imported into a monthly partitioned table
//! (one segment per partition after the import's compaction), `SHOW PARTITIONS` aligned and as
//! JSON, the `EXPLAIN` partitions line, `DROP PARTITION`, and `ldb check` clean afterwards.

use crate::common::{ok, s};

#[test]
fn a_partitioned_table_imports_lists_prunes_drops_and_checks_clean() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = s(&dir.path().join("db"));
    ok(&["init", &db]);
    ok(&[
        "sql",
        &db,
        "CREATE TABLE ev (id BIGINT PRIMARY KEY, at TIMESTAMP, n BIGINT) \
         WITH (storage = 'columnar', row_group = 1024, partition_interval = 'month') \
         PARTITION BY RANGE (at)",
    ]);
    let mut csv = String::from("id,at,n\n");
    for i in 0..3000 {
        csv.push_str(&format!(
            "{i},2024-{:02}-{:02},{i}\n",
            1 + i % 3,
            1 + i % 28
        ));
    }
    let file = dir.path().join("ev.csv");
    std::fs::write(&file, csv).expect("write csv");
    ok(&["import", &db, "ev", &s(&file)]);

    let table = ok(&["sql", &db, "SHOW PARTITIONS ev"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("partition | from ")
            && lines[0].ends_with("| segments | rows | bytes"),
        "{table}"
    );
    assert!(lines[2].starts_with("2024-01   | 2024-01-01"), "{table}");
    assert!(table.contains("(3 rows)"), "{table}");
    let json = ok(&["sql", &db, "SHOW PARTITIONS ev", "--json"]);
    let v: serde_json::Value = serde_json::from_str(json.trim()).expect("json");
    assert_eq!(v["columns"][0], "partition");
    let rows = v["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 3);
    for r in rows {
        // 1000 rows a month, merged into one segment by the import's compaction.
        assert_eq!((r[3].as_i64(), r[4].as_i64()), (Some(1), Some(1000)), "{r}");
        assert!(r[5].as_i64().is_some_and(|b| b > 0), "{r}");
    }

    let plan = ok(&[
        "sql",
        &db,
        "EXPLAIN SELECT SUM(n) FROM ev WHERE at >= '2024-02-01' AND at < '2024-03-01'",
    ]);
    assert!(
        plan.contains("partitions: scanned 1 of 3 (pruned 2)"),
        "{plan}"
    );
    let dropped = ok(&["sql", &db, "ALTER TABLE ev DROP PARTITION ('2024-02')"]);
    assert_eq!(dropped.trim(), "ALTER TABLE DROP PARTITION: 1000 row(s)");
    let count = ok(&["sql", &db, "SELECT COUNT(*) FROM ev"]);
    assert!(count.contains("2000"), "{count}");
    let check = ok(&["check", &db]);
    assert!(
        check.contains("0 constraint violations") && check.contains("0 foreign keys"),
        "{check}"
    );
}
