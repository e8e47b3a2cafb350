//! Column statistics of columnar tables end to end: statistics maintained across a seeded
//! history of inserts and compactions equal those a full `ANALYZE` computes (exact fields and
//! sketches); `ANALYZE` after deletes tightens the bounds; `ldb check`'s verification reports a
//! damaged or wrong entry as a finding naming the column; `EXPLAIN` prints the estimate, and
//! on a known distribution the estimate is within its bounds.

use std::path::Path;
use std::time::Duration;

use lightning_db::columnar::table_stats::{self, StoredStats};
use lightning_db::integrity;
use lightning_db::schema::keys::{ColumnarKey, columnar_key};
use lightning_db::schema::sql::SqlDatabase;
use lightning_db::schema::{Catalog, TableDef, Value};
use lightning_db::util::rng::SplitMix64;
use lightning_db::{IsolationLevel, Options};

fn open(dir: &Path) -> SqlDatabase {
    SqlDatabase::create(
        dir.join("db"),
        Options {
            lock_timeout: Duration::from_secs(10),
            ..Options::default()
        },
    )
    .expect("create")
}

fn exec(db: &SqlDatabase, sql: &str) {
    db.execute(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn rows(db: &SqlDatabase, sql: &str) -> Vec<Vec<Value>> {
    db.query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .rows
}

fn def(db: &SqlDatabase, name: &str) -> TableDef {
    let mut txn = db.database().begin_read_only().expect("read");
    Catalog::load(&mut txn)
        .expect("catalog")
        .table(name)
        .expect("table")
        .clone()
}

fn stored(db: &SqlDatabase, def: &TableDef) -> Vec<Option<StoredStats>> {
    let mut txn = db.database().begin_read_only().expect("read");
    table_stats::all(&mut txn, def)
        .expect("stats")
        .into_iter()
        .map(|(_, s)| s)
        .collect()
}

fn create(db: &SqlDatabase) {
    exec(
        db,
        "CREATE TABLE c (id BIGINT PRIMARY KEY, g TEXT, x BIGINT, d DOUBLE) \
         WITH (storage = 'columnar', row_group = 1024)",
    );
}

fn row(rng: &mut SplitMix64, id: u64) -> String {
    let g = ["'north'", "'south'", "'east'", "NULL"][rng.below(4) as usize];
    let x = if rng.chance(1, 8) {
        "NULL".to_string()
    } else {
        (rng.below(5000) as i64 - 2500).to_string()
    };
    let d = format!("{}.{:02}", rng.below(900), rng.below(100));
    format!("({id}, {g}, {x}, {d})")
}

fn insert(db: &SqlDatabase, rng: &mut SplitMix64, from: u64, n: u64) {
    let values: Vec<String> = (from..from + n).map(|i| row(rng, i)).collect();
    exec(db, &format!("INSERT INTO c VALUES {}", values.join(", ")));
}

#[test]
fn maintained_statistics_equal_a_full_analyze() {
    let base = std::env::var("LDB_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x57A7_u64);
    for seed in base..base + 2 {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = open(dir.path());
        create(&db);
        let def = def(&db, "c");
        let mut rng = SplitMix64::new(seed);
        let mut next = 0;
        for round in 0..8 {
            // Small inserts go to the delta (compacted once it fills a row group); large ones
            // become segments at once; now and then the delta is compacted whole.
            let n = if rng.chance(1, 3) {
                1024 + rng.below(1500)
            } else {
                1 + rng.below(600)
            };
            insert(&db, &mut rng, next, n);
            next += n;
            if rng.chance(1, 4) {
                let mut txn = db
                    .database()
                    .begin(IsolationLevel::RepeatableRead)
                    .expect("begin");
                lightning_db::columnar::write::compact(&mut txn, &def, true).expect("compact");
                txn.commit().expect("commit");
            }
            let kept = stored(&db, &def);
            let mut txn = db.database().begin_read_only().expect("read");
            let fresh = table_stats::compute(&mut txn, &def, None, &[]).expect("compute");
            drop(txn);
            for ((col, k), f) in def.columns.iter().zip(&kept).zip(&fresh) {
                let what = format!("seed {seed:#x} round {round} column {}", col.name);
                let Some(k) = k else {
                    assert_eq!(f.rows, 0, "{what}: segments but no statistics");
                    continue;
                };
                let s = &k.stats;
                assert_eq!(
                    (s.rows, s.null_count, &s.min, &s.max),
                    (f.rows, f.null_count, &f.min, &f.max),
                    "{what}"
                );
                assert_eq!(s.distinct, f.distinct, "{what}: sketches merge exactly");
                assert_eq!(k.deleted, 0, "{what}");
                assert_eq!(k.inserted, s.rows, "{what}: never analyzed");
            }
        }
        exec(&db, "ANALYZE c");
        let before = stored(&db, &def);
        let mut txn = db.database().begin_read_only().expect("read");
        let fresh = table_stats::compute(&mut txn, &def, None, &[]).expect("compute");
        drop(txn);
        for (k, f) in before.iter().zip(&fresh) {
            let k = k.as_ref().expect("analyzed");
            assert_eq!(
                k.stats, *f,
                "seed {seed:#x}: ANALYZE stores the recomputed statistics"
            );
            assert_eq!(k.modified(), 0, "seed {seed:#x}");
        }
        let report = integrity::check_all(db.database()).expect("check");
        assert!(
            report.is_clean(),
            "seed {seed:#x}: {}",
            report.findings_text()
        );
    }
}

fn show(db: &SqlDatabase, column: &str) -> Vec<Value> {
    rows(db, "SHOW STATS c")
        .into_iter()
        .find(|r| r.first() == Some(&Value::Text(column.into())))
        .unwrap_or_else(|| panic!("no row for {column}"))
}

#[test]
fn analyze_after_deletes_tightens_the_bounds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    create(&db);
    let mut rng = SplitMix64::new(7);
    insert(&db, &mut rng, 0, 3072);
    exec(&db, "DELETE FROM c WHERE id < 100 OR id >= 3000");
    let id = show(&db, "id");
    assert_eq!(
        id[1..5],
        [
            Value::Int(3072),
            Value::Int(0),
            Value::Text("0".into()),
            Value::Text("3071".into())
        ],
        "deletes leave the statistics stale but conservative: {id:?}"
    );
    assert_eq!(id[7], Value::Int(3072 + 172), "inserted and deleted rows");
    let report = integrity::check_all(db.database()).expect("check");
    assert!(report.is_clean(), "{}", report.findings_text());
    exec(&db, "ANALYZE");
    let id = show(&db, "id");
    assert_eq!(
        id[1..5],
        [
            Value::Int(2900),
            Value::Int(0),
            Value::Text("100".into()),
            Value::Text("2999".into())
        ],
        "{id:?}"
    );
    assert_eq!(id[7], Value::Int(0));
    let distinct = match id[5] {
        Value::Int(n) => n as f64,
        ref other => panic!("{other:?}"),
    };
    assert!((distinct - 2900.0).abs() < 0.05 * 2900.0, "{distinct}");
    let report = integrity::check_all(db.database()).expect("check");
    assert!(report.is_clean(), "{}", report.findings_text());
}

fn damage(db: &SqlDatabase, key: &[u8], f: impl FnOnce(&mut Vec<u8>)) {
    let raw = db.database();
    let mut bytes = raw.get(key).expect("get").expect("the entry");
    f(&mut bytes);
    raw.put(key, &bytes).expect("damage it");
}

#[test]
fn a_damaged_or_wrong_statistics_entry_is_a_check_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    create(&db);
    let mut rng = SplitMix64::new(11);
    insert(&db, &mut rng, 0, 2048);
    let def = def(&db, "c");
    // A flipped byte: the checksum fails; the finding names the table and column.
    let x = columnar_key(def.id, ColumnarKey::Stats(def.columns[2].id));
    damage(&db, &x, |b| {
        let mid = b.len() / 2;
        b[mid] ^= 0x10;
    });
    let report = integrity::check_all(db.database()).expect("check");
    let tables = report.tables.as_ref().expect("tables checked");
    assert_eq!(tables.column_stats, 1, "{}", report.findings_text());
    let text = report.findings_text();
    assert!(
        text.contains("column_stats")
            && text.contains("column x")
            && text.contains("statistics of column `x`")
            && text.contains("checksum"),
        "{text}"
    );
    let err = db.query("SHOW STATS c", &[]).expect_err("refused");
    assert!(err.to_string().contains("columnar table `c`"), "{err}");
    // A cut entry is refused the same way.
    damage(&db, &x, |b| b.truncate(10));
    let report = integrity::check_all(db.database()).expect("check");
    assert_eq!(report.tables.as_ref().map(|t| t.column_stats), Some(1));
    // A well-formed entry whose figures are wrong: each wrong field is named.
    exec(&db, "ANALYZE c");
    let d = columnar_key(def.id, ColumnarKey::Stats(def.columns[3].id));
    let mut wrong = stored(&db, &def)[3].clone().expect("stats of d");
    wrong.stats.rows += 5;
    wrong.stats.max = Some(lightning_db::columnar::Scalar::Double(1e9));
    damage(&db, &d, |b| *b = wrong.encode());
    let report = integrity::check_all(db.database()).expect("check");
    let text = report.findings_text();
    assert_eq!(
        report.tables.as_ref().map(|t| t.column_stats),
        Some(1),
        "{text}"
    );
    assert!(
        text.contains("column d")
            && text.contains("rows 2053 stored, 2048")
            && text.contains("max 1000000000 stored"),
        "{text}"
    );
    // ANALYZE repairs it.
    exec(&db, "ANALYZE c");
    let report = integrity::check_all(db.database()).expect("check");
    assert!(report.is_clean(), "{}", report.findings_text());
}

fn estimate(db: &SqlDatabase, sql: &str) -> f64 {
    let lines: Vec<String> = rows(db, &format!("EXPLAIN {sql}"))
        .into_iter()
        .map(|r| match &r[0] {
            Value::Text(t) => t.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    let line = lines
        .iter()
        .find(|l| l.starts_with("  estimated rows: "))
        .unwrap_or_else(|| panic!("no estimate in {lines:?}"));
    line["  estimated rows: ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"))
}

#[test]
fn explain_estimates_within_bounds_on_a_known_distribution() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    exec(
        &db,
        "CREATE TABLE k (id BIGINT PRIMARY KEY, m BIGINT, u DOUBLE, s TEXT) \
         WITH (storage = 'columnar', row_group = 1024)",
    );
    // 10 240 rows: m = id % 100 (100 values, 102.4 rows each), u uniform on 0..10240, s one
    // of 4 words or NULL every fifth row.
    let mut rng = SplitMix64::new(3);
    for part in 0..5u64 {
        let values: Vec<String> = (part * 2048..(part + 1) * 2048)
            .map(|i| {
                let s = if i % 5 == 0 {
                    "NULL".to_string()
                } else {
                    format!("'w{}'", rng.below(4))
                };
                format!("({i}, {}, {}.5, {s})", i % 100, (i * 7919) % 10240)
            })
            .collect();
        exec(&db, &format!("INSERT INTO k VALUES {}", values.join(", ")));
    }
    let within = |sql: &str, want: f64, tol: f64| {
        let est = estimate(&db, sql);
        assert!(
            (est - want).abs() <= tol,
            "{sql}: estimated {est}, actually {want} (± {tol})"
        );
    };
    within("SELECT * FROM k WHERE m = 42", 102.4, 5.0);
    within("SELECT * FROM k WHERE m = 100", 0.0, 0.0);
    // Ranges: within two of the 64 buckets (160 rows each) of the truth.
    within("SELECT * FROM k WHERE u < 2560", 2560.0, 320.0);
    within(
        "SELECT * FROM k WHERE u BETWEEN 1000 AND 6000",
        5000.0,
        320.0,
    );
    within("SELECT * FROM k WHERE id >= 9000", 1240.0, 320.0);
    within("SELECT * FROM k WHERE s IS NULL", 2048.0, 0.5);
    within("SELECT * FROM k WHERE s = 'w1'", 2048.0, 150.0);
    within(
        "SELECT * FROM k WHERE m = 42 AND s IS NULL",
        102.4 * 0.2,
        2.0,
    );
    within("SELECT * FROM k", 10240.0, 0.0);
    // EXPLAIN ANALYZE puts the estimate next to what the scan selected.
    let lines: Vec<Vec<Value>> = rows(&db, "EXPLAIN ANALYZE SELECT COUNT(*) FROM k WHERE m = 42");
    let text: Vec<String> = lines.iter().map(|r| r[0].to_string()).collect();
    assert!(
        text.iter().any(|l| l.contains("estimate against actual: ")
            && l.contains(" rows estimated, 102 selected by the scan")),
        "{text:?}"
    );
}

#[test]
fn statistics_statements_refuse_what_they_cannot_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    create(&db);
    exec(&db, "CREATE TABLE r (id BIGINT PRIMARY KEY)");
    let msg = |sql: &str| db.execute(sql, &[]).expect_err(sql).to_string();
    assert!(
        msg("ANALYZE r").contains("`r`: is a row table"),
        "{}",
        msg("ANALYZE r")
    );
    assert!(msg("SHOW STATS r").contains("columnar tables only"));
    assert!(msg("ANALYZE nope").contains("nope"));
    assert!(msg("SHOW STATS nope").contains("nope"));
    assert!(msg("ANALYZE c (x)").contains("table name only"));
    // Before any segment: every column is listed without statistics, EXPLAIN says so.
    let shown = rows(&db, "SHOW STATS c");
    assert_eq!(shown.len(), 4);
    assert!(shown.iter().all(|r| r[1] == Value::Null));
    let plan = rows(&db, "EXPLAIN SELECT * FROM c WHERE x = 1");
    assert!(
        plan.iter().any(|r| r[0]
            == Value::Text("  estimated rows: no statistics (ANALYZE c builds them)".into())),
        "{plan:?}"
    );
}

#[test]
fn an_added_column_gets_statistics_from_every_segment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(dir.path());
    create(&db);
    let mut rng = SplitMix64::new(5);
    insert(&db, &mut rng, 0, 1024);
    exec(&db, "ALTER TABLE c ADD COLUMN e BIGINT DEFAULT 7");
    let values: Vec<String> = (1024..2048)
        .map(|i| format!("({i}, 'x', 1, 2.5, {i})"))
        .collect();
    exec(&db, &format!("INSERT INTO c VALUES {}", values.join(", ")));
    let e = show(&db, "e");
    assert_eq!(
        e[1..5],
        [
            Value::Int(2048),
            Value::Int(0),
            Value::Text("7".into()),
            Value::Text("2047".into())
        ],
        "{e:?}"
    );
    let report = integrity::check_all(db.database()).expect("check");
    assert!(report.is_clean(), "{}", report.findings_text());
}
