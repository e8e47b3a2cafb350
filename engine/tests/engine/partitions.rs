//! Range-partitioned columnar tables end to end: rows land in the partition of their month,
//! day or integer range (created on first write); queries answer exactly like an
//! unpartitioned copy of the same seeded random rows while whole partitions are pruned;
//! `DROP PARTITION` is atomic under rollback; bad partition specs are typed errors; and
//! `ldb check`'s table check catches a segment stored in the wrong partition, or in none.
//! Merging and importing are in `partitions_write`.

use std::path::Path;
use std::time::Duration;

use lightning_db::columnar::partition::segment_id;
use lightning_db::columnar::{partitioned, store, write};
use lightning_db::schema::check::{FindingKind, check};
use lightning_db::schema::sql::SqlDatabase;
use lightning_db::schema::{Catalog, SchemaError, TableDef, Value};
use lightning_db::txn::IsolationLevel;
use lightning_db::util::rng::SplitMix64;
use lightning_db::{Database, Options};

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

pub(crate) fn def(db: &Database, name: &str) -> TableDef {
    let mut txn = db.begin_read_only().expect("read");
    Catalog::load(&mut txn)
        .expect("catalog")
        .table(name)
        .expect("table")
        .clone()
}

fn text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        other => other.to_string(),
    }
}

/// (label, segments, rows) per partition, from `SHOW PARTITIONS`.
pub(crate) fn partitions(db: &SqlDatabase, table: &str) -> Vec<(String, i64, i64)> {
    rows(db, &format!("SHOW PARTITIONS {table}"))
        .iter()
        .map(|r| {
            let int = |v: &Value| match v {
                Value::Int(i) => *i,
                other => panic!("{other:?}"),
            };
            (text(&r[0]), int(&r[3]), int(&r[4]))
        })
        .collect()
}

pub(crate) const MONTHLY: &str = "WITH (storage = 'columnar', row_group = 1024, partition_interval = 'month') PARTITION BY RANGE (t)";

#[test]
fn rows_land_in_the_partition_of_their_month_day_or_range() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    exec(
        &db,
        &format!("CREATE TABLE m (id BIGINT PRIMARY KEY, t TIMESTAMP, v BIGINT) {MONTHLY}"),
    );
    exec(
        &db,
        "INSERT INTO m VALUES (1, '2024-01-01', 1), (2, '2024-01-31 23:59:59', 2), \
         (3, '2024-02-01', 3), (4, '2023-12-31 23:59:59', 4), (5, '1969-12-31', 5)",
    );
    let want: Vec<(String, i64, i64)> = [
        ("1969-12", 1),
        ("2023-12", 1),
        ("2024-01", 2),
        ("2024-02", 1),
    ]
    .iter()
    .map(|(l, n)| (l.to_string(), 1, *n))
    .collect();
    assert_eq!(partitions(&db, "m"), want);
    // The spec survives a reopen (the catalog entry decodes) and a second insert reuses the
    // partition it falls in.
    let path = dir.path().join("db");
    drop(db);
    let db = SqlDatabase::open(&path, Options::default()).expect("reopen");
    exec(&db, "INSERT INTO m VALUES (6, '2024-01-15', 6)");
    let jan = partitions(&db, "m").into_iter().find(|p| p.0 == "2024-01");
    assert_eq!(jan, Some(("2024-01".to_string(), 2, 3)));
    // A NULL partition key has no partition: the column is NOT NULL.
    let err = db
        .execute("INSERT INTO m VALUES (7, NULL, 7)", &[])
        .expect_err("NULL");
    assert!(matches!(err, SchemaError::NotNull { .. }), "{err}");

    exec(
        &db,
        "CREATE TABLE d (id BIGINT PRIMARY KEY, t TIMESTAMP) WITH (storage = 'columnar', \
         partition_interval = 'day') PARTITION BY RANGE (t)",
    );
    exec(
        &db,
        "INSERT INTO d VALUES (1, '2024-02-28 23:00:00'), (2, '2024-02-29'), (3, '2024-02-29 12:00:00')",
    );
    let labels: Vec<String> = partitions(&db, "d").into_iter().map(|p| p.0).collect();
    assert_eq!(labels, ["2024-02-28", "2024-02-29"]);

    exec(
        &db,
        "CREATE TABLE w (id BIGINT PRIMARY KEY, k BIGINT) WITH (storage = 'columnar', \
         partition_interval = '100') PARTITION BY RANGE (k)",
    );
    exec(
        &db,
        "INSERT INTO w VALUES (1, -1), (2, 0), (3, 99), (4, 100), (5, -100), (6, -101)",
    );
    let got: Vec<(String, i64)> = partitions(&db, "w")
        .into_iter()
        .map(|p| (p.0, p.2))
        .collect();
    let want: Vec<(String, i64)> = [("-200", 1), ("-100", 2), ("0", 2), ("100", 1)]
        .iter()
        .map(|(l, n)| (l.to_string(), *n))
        .collect();
    assert_eq!(got, want);
    let report = check(&mut db.database().begin_read_only().expect("read")).expect("check");
    assert_eq!(report.total(), 0, "{:?}", report.findings);
}

fn random_rows(rng: &mut SplitMix64, n: u64) -> Vec<String> {
    (0..n)
        .map(|id| {
            let v = if rng.chance(1, 10) {
                "NULL".to_string()
            } else {
                (rng.below(1000) as i64 - 500).to_string()
            };
            format!(
                "({id}, '202{}-{:02}-{:02} {:02}:00:00', {v}, {})",
                3 + rng.below(3),
                1 + rng.below(12),
                1 + rng.below(28),
                rng.below(24),
                rng.below(10_000) as i64 - 5_000
            )
        })
        .collect()
}

fn random_predicate(rng: &mut SplitMix64) -> String {
    let day = |rng: &mut SplitMix64| {
        format!(
            "'202{}-{:02}-{:02}'",
            3 + rng.below(3),
            1 + rng.below(12),
            1 + rng.below(28)
        )
    };
    match rng.below(7) {
        0 => format!("t >= {} AND t < {}", day(rng), day(rng)),
        1 => format!("t BETWEEN {} AND {}", day(rng), day(rng)),
        2 => format!("t < {}", day(rng)),
        3 => format!("t >= {} AND v > {}", day(rng), rng.below(500) as i64 - 250),
        4 => format!("t IN ({}, {}) OR v IS NULL", day(rng), day(rng)),
        5 => format!(
            "k >= {} AND t > {}",
            rng.below(10_000) as i64 - 5_000,
            day(rng)
        ),
        _ => format!("v IS NULL AND t <= {}", day(rng)),
    }
}

#[test]
fn pruned_scans_answer_like_the_unpartitioned_table() {
    let seed = std::env::var("LDB_PARTITION_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_0006);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    let cols = "(id BIGINT PRIMARY KEY, t TIMESTAMP NOT NULL, v BIGINT, k BIGINT)";
    exec(&db, &format!("CREATE TABLE p {cols} {MONTHLY}"));
    exec(
        &db,
        &format!("CREATE TABLE u {cols} WITH (storage = 'columnar', row_group = 1024)"),
    );
    let mut rng = SplitMix64::new(seed);
    let all = random_rows(&mut rng, 3000);
    for batch in all.chunks(700) {
        let values = batch.join(", ");
        exec(&db, &format!("INSERT INTO p VALUES {values}"));
        exec(&db, &format!("INSERT INTO u VALUES {values}"));
    }
    exec(&db, "DELETE FROM p WHERE id % 17 = 3");
    exec(&db, "DELETE FROM u WHERE id % 17 = 3");
    exec(&db, "UPDATE p SET t = '2026-06-15' WHERE id % 29 = 1");
    exec(&db, "UPDATE u SET t = '2026-06-15' WHERE id % 29 = 1");
    let mut pruned_somewhere = false;
    for i in 0..60 {
        let pred = random_predicate(&mut rng);
        for q in [
            format!("SELECT id, t, v, k FROM {{}} WHERE {pred} ORDER BY id"),
            format!("SELECT COUNT(*), SUM(v), MIN(t), MAX(k) FROM {{}} WHERE {pred}"),
        ] {
            let on = |t: &str| rows(&db, &q.replace("{}", t));
            assert_eq!(
                on("p"),
                on("u"),
                "seed {seed:#x}, query {i}: {}",
                q.replace("{}", "p")
            );
        }
        let plan = rows(
            &db,
            &format!("EXPLAIN ANALYZE SELECT COUNT(*) FROM p WHERE {pred}"),
        );
        let line = plan
            .iter()
            .map(|r| text(&r[0]))
            .find(|l| l.contains("partitions: scanned"))
            .unwrap_or_else(|| panic!("seed {seed:#x}: no partitions line in {plan:?}"));
        pruned_somewhere |= !line.contains("(pruned 0)");
    }
    assert!(
        pruned_somewhere,
        "seed {seed:#x}: no query pruned a partition"
    );
    let report = check(&mut db.database().begin_read_only().expect("read")).expect("check");
    assert_eq!(report.total(), 0, "seed {seed:#x}: {:?}", report.findings);
}

#[test]
fn explain_counts_partitions_scanned_and_pruned() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    exec(
        &db,
        &format!("CREATE TABLE m (id BIGINT PRIMARY KEY, t TIMESTAMP, v BIGINT) {MONTHLY}"),
    );
    let values: Vec<String> = (0..12)
        .map(|m| format!("({m}, '2024-{:02}-10', {m})", m + 1))
        .collect();
    exec(&db, &format!("INSERT INTO m VALUES {}", values.join(", ")));
    let lines = |sql: &str| -> Vec<String> { rows(&db, sql).iter().map(|r| text(&r[0])).collect() };
    let plan = lines("EXPLAIN SELECT SUM(v) FROM m WHERE t >= '2024-03-01' AND t < '2024-05-01'");
    assert!(
        plan.iter()
            .any(|l| l == "  partitions: scanned 2 of 12 (pruned 10)"),
        "{plan:?}"
    );
    let analyzed = lines("EXPLAIN ANALYZE SELECT SUM(v) FROM m WHERE t = '2024-07-10'");
    assert!(
        analyzed
            .iter()
            .any(|l| l == "  partitions: scanned 1 of 12 (pruned 11)"),
        "{analyzed:?}"
    );
    assert!(
        analyzed
            .iter()
            .any(|l| l.contains("columnar scan: 1 segments")),
        "{analyzed:?}"
    );
    assert_eq!(
        rows(
            &db,
            "SELECT SUM(v) FROM m WHERE t >= '2024-03-01' AND t < '2024-05-01'"
        ),
        vec![vec![Value::Int(2 + 3)]]
    );
}

/// Table `m`, monthly on `t`: 3,000 rows spread over January to March 2024.
fn three_months(db: &SqlDatabase) {
    exec(
        db,
        &format!("CREATE TABLE m (id BIGINT PRIMARY KEY, t TIMESTAMP, v BIGINT) {MONTHLY}"),
    );
    let values: Vec<String> = (0..3000)
        .map(|i| format!("({i}, '2024-{:02}-{:02}', {i})", 1 + i % 3, 1 + i % 28))
        .collect();
    exec(db, &format!("INSERT INTO m VALUES {}", values.join(", ")));
}

#[test]
fn drop_partition_is_atomic_under_rollback() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    three_months(&db);
    let before = partitions(&db, "m");
    assert_eq!(before.len(), 3);
    let count = |db: &SqlDatabase| rows(db, "SELECT COUNT(*), SUM(v) FROM m");
    let full = count(&db);

    let mut s = db.session();
    s.execute("BEGIN", &[]).expect("begin");
    s.execute("ALTER TABLE m DROP PARTITION ('2024-02')", &[])
        .expect("drop");
    let inside = s.query("SELECT COUNT(*) FROM m", &[]).expect("count").rows;
    assert_eq!(inside, vec![vec![Value::Int(2000)]]);
    // Rolled back: the partition, its segments and rows are all back.
    s.execute("ROLLBACK", &[]).expect("rollback");
    drop(s);
    assert_eq!(count(&db), full);
    assert_eq!(partitions(&db, "m"), before);

    // Two labels in one statement, the second unknown: nothing is dropped.
    let err = db
        .execute("ALTER TABLE m DROP PARTITION ('2024-01', '2025-01')", &[])
        .expect_err("unknown partition");
    assert!(
        err.to_string().contains("has no partition '2025-01'"),
        "{err}"
    );
    assert_eq!(count(&db), full);
    exec(
        &db,
        "ALTER TABLE m DROP IF EXISTS PARTITION ('2024-01', '2025-01')",
    );
    let left: Vec<String> = partitions(&db, "m").into_iter().map(|p| p.0).collect();
    assert_eq!(left, ["2024-02", "2024-03"]);
    assert_eq!(
        rows(&db, "SELECT COUNT(*) FROM m"),
        vec![vec![Value::Int(2000)]]
    );
    assert_eq!(
        rows(&db, "SELECT COUNT(*) FROM m WHERE t < '2024-02-01'"),
        vec![vec![Value::Int(0)]]
    );
    // The dropped partition's keys are gone: the check finds no stray segment or key.
    let report = check(&mut db.database().begin_read_only().expect("read")).expect("check");
    assert_eq!(report.total(), 0, "{:?}", report.findings);
    // Rows of the dropped month can come back: the partition is created again.
    exec(&db, "INSERT INTO m VALUES (5000, '2024-01-20', 1)");
    assert_eq!(partitions(&db, "m").len(), 3);
}

fn create_err(db: &SqlDatabase, tail: &str) -> String {
    let sql = format!("CREATE TABLE bad (id BIGINT PRIMARY KEY, t TIMESTAMP, n BIGINT) {tail}");
    db.execute(&sql, &[])
        .map(|_| ())
        .expect_err(&sql)
        .to_string()
}

#[test]
fn bad_partition_specs_are_typed_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    let cases = [
        (
            "WITH (storage = 'columnar', partition_interval = 'month') PARTITION BY RANGE (nope)",
            "table `bad` has no column `nope`",
        ),
        (
            "WITH (storage = 'columnar', partition_interval = 'month') PARTITION BY RANGE (n)",
            "partition column `n` is BIGINT",
        ),
        (
            "WITH (storage = 'columnar', partition_interval = '10') PARTITION BY RANGE (t)",
            "partition column `t` is TIMESTAMP",
        ),
        (
            "WITH (storage = 'columnar', partition_interval = 'week') PARTITION BY RANGE (t)",
            "partition_interval = 'week'",
        ),
        (
            "WITH (storage = 'columnar', partition_interval = '0') PARTITION BY RANGE (n)",
            "partition_interval = '0'",
        ),
        (
            "WITH (storage = 'columnar', partition_interval = '-5') PARTITION BY RANGE (n)",
            "partition_interval = '-5'",
        ),
        (
            "WITH (storage = 'columnar') PARTITION BY RANGE (t)",
            "needs WITH (partition_interval",
        ),
        (
            "WITH (storage = 'columnar', partition_interval = 'day')",
            "needs PARTITION BY RANGE",
        ),
        (
            "WITH (partition_interval = 'day') PARTITION BY RANGE (t)",
            "only a columnar table",
        ),
        (
            "WITH (storage = 'columnar', partition_interval = 'day') PARTITION BY t",
            "PARTITION BY takes RANGE (column)",
        ),
    ];
    for (tail, want) in cases {
        let got = create_err(&db, tail);
        assert!(got.contains(want), "{tail}: {got}");
    }
    assert!(rows(&db, "SELECT 1").len() == 1);
    exec(
        &db,
        &format!("CREATE TABLE m (id BIGINT PRIMARY KEY, t TIMESTAMP, v BIGINT) {MONTHLY}"),
    );
    exec(
        &db,
        "CREATE TABLE plain (id BIGINT PRIMARY KEY) WITH (storage = 'columnar')",
    );
    let err = |sql: &str| db.execute(sql, &[]).map(|_| ()).expect_err(sql).to_string();
    assert!(
        err("ALTER TABLE m DROP PARTITION ('2024-1')")
            .contains("'2024-1' is not a partition label")
    );
    assert!(err("ALTER TABLE m DROP PARTITION ('2024-01')").contains("has no partition '2024-01'"));
    assert!(err("ALTER TABLE plain DROP PARTITION ('2024-01')").contains("is not partitioned"));
    assert!(err("SHOW PARTITIONS plain").contains("is not partitioned"));
    assert!(err("SHOW PARTITIONS nope").contains("no table named `nope`"));
    assert!(err("ALTER TABLE m DROP COLUMN t").contains("partitioned by the column"));
}

#[test]
fn the_check_catches_a_segment_outside_its_partition() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    exec(
        &db,
        &format!("CREATE TABLE m (id BIGINT PRIMARY KEY, t TIMESTAMP, v BIGINT) {MONTHLY}"),
    );
    exec(
        &db,
        "INSERT INTO m VALUES (1, '2024-01-05', 1), (2, '2024-02-05', 2)",
    );
    let raw = db.database();
    let t = def(raw, "m");
    let jan = {
        let mut txn = raw.begin_read_only().expect("read");
        let list = partitioned::list(&mut txn, &t).expect("list");
        list[0]
    };
    // A February row written as a segment of January's partition, and a segment of a
    // partition that has no entry.
    let feb = lightning_db::schema::sql::expr::parse_timestamp("2024-02-20").expect("ts");
    let row = vec![Value::Int(3), Value::Timestamp(feb), Value::Int(3)];
    let mut txn = raw.begin(IsolationLevel::Serializable).expect("begin");
    let cols = write::to_columns(&t, std::slice::from_ref(&row)).expect("columns");
    store::write_segment(&mut txn, &t, segment_id(jan.number, 0) + 7, &cols).expect("misplaced");
    store::write_segment(&mut txn, &t, segment_id(99, 0), &cols).expect("orphan");
    txn.commit().expect("commit");
    let report = check(&mut raw.begin_read_only().expect("read")).expect("check");
    let found = |key: String, needle: &str| {
        report.findings.iter().any(|f| {
            f.kind == FindingKind::ConstraintViolation
                && f.table == "m"
                && f.key == key
                && f.detail.contains(needle)
        })
    };
    let misplaced = format!("segment {}", segment_id(jan.number, 7));
    assert!(
        found(
            misplaced.clone(),
            "values 2024-02-20 to 2024-02-20, outside its partition in partition '2024-01'"
        ),
        "{:?}",
        report.findings
    );
    assert!(
        found(misplaced, "never handed out"),
        "{:?}",
        report.findings
    );
    let orphan = format!("segment {}", segment_id(99, 0));
    assert!(
        found(orphan, "partition number 99, which has no entry"),
        "{:?}",
        report.findings
    );
    assert_eq!(
        report.count(FindingKind::ConstraintViolation),
        3,
        "{:?}",
        report.findings
    );
}

/// Partitions meet the other columnar features: a dropped partition and merged segments keep
/// the column statistics verifiable (conservative until `ANALYZE`, exact after), and a table a
/// materialized view reads refuses `DROP PARTITION` (the view's change log could not learn
/// which rows left).
#[test]
fn dropped_partitions_keep_statistics_verifiable_and_views_refuse_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    three_months(&db);
    let clean = |db: &SqlDatabase, when: &str| {
        let report = check(&mut db.database().begin_read_only().expect("read")).expect("check");
        assert_eq!(report.total(), 0, "{when}: {:?}", report.findings);
    };
    clean(&db, "after the insert");
    exec(&db, "ALTER TABLE m DROP PARTITION ('2024-02')");
    clean(&db, "after dropping a partition");
    let stats = rows(&db, "SHOW STATS m");
    assert!(!stats.is_empty());
    exec(&db, "ANALYZE m");
    clean(&db, "after ANALYZE");
    let after = rows(&db, "SHOW STATS m");
    let rows_of = |r: &[Vec<Value>]| r.iter().find(|c| text(&c[0]) == "v").map(|c| c[1].clone());
    assert_eq!(rows_of(&after), Some(Value::Int(2000)), "{after:?}");

    exec(
        &db,
        "CREATE MATERIALIZED VIEW per_month AS SELECT v, COUNT(*) AS n FROM m GROUP BY v",
    );
    let err = db
        .execute("ALTER TABLE m DROP PARTITION ('2024-01')", &[])
        .expect_err("a viewed table keeps its partitions");
    assert!(
        err.to_string()
            .contains("materialized view `per_month` reads this table"),
        "{err}"
    );
    assert_eq!(partitions(&db, "m").len(), 2);
    exec(&db, "DROP MATERIALIZED VIEW per_month");
    exec(&db, "ALTER TABLE m DROP PARTITION ('2024-01')");
    clean(&db, "after the view was dropped and a partition with it");
}
