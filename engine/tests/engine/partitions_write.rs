//! Writing partitioned columnar tables: a partition's small segments merge once they fill a
//! row group (and all of them by compaction), and a CSV import writes whole segments per
//! partition and is all or nothing.

use lightning_db::columnar::write;
use lightning_db::schema::Value;
use lightning_db::schema::check::check;
use lightning_db::txn::IsolationLevel;

use crate::partitions::{MONTHLY, def, exec, open, partitions, rows};

#[test]
fn small_segments_of_a_partition_are_merged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    exec(
        &db,
        &format!("CREATE TABLE m (id BIGINT PRIMARY KEY, t TIMESTAMP, v BIGINT) {MONTHLY}"),
    );
    // 1100 single-row inserts into one month: once the small segments hold a row group
    // (1024 rows), they become one full segment.
    for i in 0..1100 {
        exec(
            &db,
            &format!(
                "INSERT INTO m VALUES ({i}, '2024-05-{:02}', {i})",
                1 + i % 28
            ),
        );
    }
    let p = partitions(&db, "m");
    assert_eq!(p.len(), 1);
    assert!(p[0].1 <= 1 + 1100 - 1024, "{p:?}");
    assert_eq!(p[0].2, 1100);
    exec(&db, "DELETE FROM m WHERE v % 2 = 0");
    // Compaction of everything (what `ldb import` ends with) leaves one segment per partition.
    let raw = db.database();
    let t = def(raw, "m");
    let mut txn = raw.begin(IsolationLevel::Serializable).expect("begin");
    write::compact(&mut txn, &t, true).expect("compact");
    txn.commit().expect("commit");
    assert_eq!(partitions(&db, "m"), vec![("2024-05".to_string(), 2, 550)]);
    assert_eq!(
        rows(&db, "SELECT COUNT(*), SUM(v) FROM m"),
        vec![vec![
            Value::Int(550),
            Value::Int((0..1100).filter(|v| v % 2 == 1).sum())
        ]]
    );
}

#[test]
fn a_partitioned_import_writes_whole_segments_and_is_all_or_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    exec(
        &db,
        &format!("CREATE TABLE m (id BIGINT PRIMARY KEY, t TIMESTAMP, v BIGINT) {MONTHLY}"),
    );
    // About 2,500 rows in each of January and February and 600 in each of ten later months,
    // mixed: the two big months reach whole row groups (1,024) while the small ones wait, and
    // the rows waiting pass four row groups, so all of them are written out early (and the
    // smaller segments merged by the compaction before the commit).
    let mut csv = String::from("id,t,v\n");
    let id: u64 = 11_000;
    for i in 0..id {
        let month = if i % 11 < 5 { 1 + i % 2 } else { 3 + i % 10 };
        csv.push_str(&format!("{i},2024-{month:02}-{:02},{i}\n", 1 + i % 28));
    }
    let file = dir.path().join("m.csv");
    std::fs::write(&file, &csv).expect("csv");
    let report =
        lightning_db::schema::import::import_csv(db.database(), "m", &file, 1000).expect("import");
    assert_eq!(report.rows, id);
    let parts = partitions(&db, "m");
    let total: i64 = parts.iter().map(|p| p.2).sum();
    assert_eq!(total as u64, id);
    for (label, segments, rows) in &parts {
        // Whole row groups, then at most one smaller segment per partition.
        let most = (*rows as usize).div_ceil(1024) as i64;
        assert_eq!(
            *segments, most,
            "{label}: {segments} segments for {rows} rows"
        );
    }
    assert_eq!(
        rows(&db, "SELECT COUNT(*) FROM m"),
        vec![vec![Value::Int(id as i64)]]
    );
    // A duplicate key anywhere in a second file: nothing of it is written.
    let dup = dir.path().join("dup.csv");
    std::fs::write(&dup, "id,t,v\n100000,2024-05-01,1\n5,2024-06-01,1\n").expect("csv");
    let err = lightning_db::schema::import::import_csv(db.database(), "m", &dup, 1000)
        .expect_err("duplicate");
    assert!(err.to_string().contains("duplicate key"), "{err}");
    assert_eq!(partitions(&db, "m"), parts);
    let report = check(&mut db.database().begin_read_only().expect("read")).expect("check");
    assert_eq!(report.total(), 0, "{:?}", report.findings);
}
