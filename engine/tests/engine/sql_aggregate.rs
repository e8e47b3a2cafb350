//! `GROUP BY` and aggregates end to end: seeded random tables (with `NULL`s) grouped and
//! aggregated through every access path, checked against a model computed in the test; the
//! one-group rule over no rows; `HAVING`, `ORDER BY` over aggregates and `LIMIT`; and the
//! binder's refusals (a bare column outside `GROUP BY`, aggregates in `WHERE`, nested ones).

use std::collections::BTreeMap;
use std::time::Duration;

use lightning_db::Options;
use lightning_db::schema::Value;
use lightning_db::schema::sql::SqlDatabase;
use lightning_db::util::rng::SplitMix64;

fn open(dir: &tempfile::TempDir) -> SqlDatabase {
    SqlDatabase::create(
        dir.path().join("db"),
        Options {
            lock_timeout: Duration::from_secs(10),
            ..Options::default()
        },
    )
    .expect("create")
}

fn rows(db: &SqlDatabase, sql: &str) -> Vec<Vec<Value>> {
    db.query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .rows
}

/// (id, g, x): `g` in 0..4 or NULL, `x` in -50..50 or NULL.
type Row = (i64, Option<i64>, Option<i64>);
/// Which model rows a `WHERE` keeps.
type Keep = Box<dyn Fn(&Row) -> bool>;

fn opt(v: Option<i64>) -> Value {
    v.map_or(Value::Null, Value::Int)
}

#[test]
fn grouped_aggregates_agree_with_a_model() {
    let seed = std::env::var("LDB_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_0a66_u64);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    db.execute(
        "CREATE TABLE m (id BIGINT PRIMARY KEY, g BIGINT, x BIGINT)",
        &[],
    )
    .expect("create");
    db.execute("CREATE INDEX m_g ON m (g)", &[]).expect("index");
    let mut rng = SplitMix64::new(seed);
    let ins = db
        .prepare("INSERT INTO m VALUES (?, ?, ?)")
        .expect("prepare");
    let mut model: Vec<Row> = Vec::new();
    for id in 0..400 {
        let g = (!rng.chance(1, 8)).then(|| rng.below(4) as i64);
        let x = (!rng.chance(1, 5)).then(|| rng.below(100) as i64 - 50);
        ins.execute(&db, &[Value::Int(id), opt(g), opt(x)])
            .expect("insert");
        model.push((id, g, x));
    }
    for round in 0..60 {
        // WHERE shapes that reach each access path: none, a primary-key range, an index point.
        let lo = rng.below(400) as i64;
        let gv = rng.below(4) as i64;
        let (where_, keep): (String, Keep) = match round % 3 {
            0 => (String::new(), Box::new(|_| true)),
            1 => (format!(" WHERE id >= {lo}"), Box::new(move |r| r.0 >= lo)),
            _ => (
                format!(" WHERE g = {gv}"),
                Box::new(move |r| r.1 == Some(gv)),
            ),
        };
        let sql = format!(
            "SELECT g, COUNT(*), COUNT(x), SUM(x), MIN(x), MAX(x), AVG(x) FROM m{where_} GROUP BY g ORDER BY g"
        );
        let got = rows(&db, &sql);
        let mut groups: BTreeMap<Option<i64>, Vec<Option<i64>>> = BTreeMap::new();
        for r in model.iter().filter(|r| keep(r)) {
            groups.entry(r.1).or_default().push(r.2);
        }
        let want: Vec<Vec<Value>> = groups
            .into_iter()
            .map(|(g, xs)| {
                let vals: Vec<i64> = xs.iter().flatten().copied().collect();
                let sum = (!vals.is_empty()).then(|| vals.iter().sum::<i64>());
                vec![
                    opt(g),
                    Value::Int(xs.len() as i64),
                    Value::Int(vals.len() as i64),
                    opt(sum),
                    opt(vals.iter().min().copied()),
                    opt(vals.iter().max().copied()),
                    sum.map_or(Value::Null, |s| Value::Double(s as f64 / vals.len() as f64)),
                ]
            })
            .collect();
        assert_eq!(got, want, "seed {seed:#x} round {round}: {sql}");
    }
}

#[test]
fn having_order_by_aggregates_and_the_one_group_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let mut s = db.session();
    s.execute_script(
        "CREATE TABLE t (id BIGINT PRIMARY KEY, g TEXT, x BIGINT, d DOUBLE);
         INSERT INTO t VALUES (1,'a',1,1.5),(2,'b',2,2.5),(3,'a',NULL,3.0),(4,'c',10,NULL),(5,'b',5,0.5);",
    )
    .expect("setup");
    let text = |s: &str| Value::Text(s.into());
    assert_eq!(
        rows(
            &db,
            "SELECT g, SUM(x) AS s FROM t GROUP BY g HAVING SUM(x) > 2 ORDER BY s DESC"
        ),
        vec![
            vec![text("c"), Value::Int(10)],
            vec![text("b"), Value::Int(7)]
        ]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT g, COUNT(*) FROM t GROUP BY g ORDER BY 2 DESC, 1 LIMIT 2"
        ),
        vec![
            vec![text("a"), Value::Int(2)],
            vec![text("b"), Value::Int(2)]
        ]
    );
    assert_eq!(
        rows(
            &db,
            "SELECT COUNT(*), SUM(x * 2) + 1, MIN(g) FROM t WHERE id > 1"
        ),
        vec![vec![Value::Int(4), Value::Int(35), text("a")]]
    );
    assert_eq!(
        rows(&db, "SELECT COUNT(*), SUM(x), AVG(d) FROM t WHERE id > 100"),
        vec![vec![Value::Int(0), Value::Null, Value::Null]]
    );
    assert!(rows(&db, "SELECT g, COUNT(*) FROM t WHERE id > 100 GROUP BY g").is_empty());
    assert_eq!(
        rows(&db, "SELECT SUM(d) FROM t"),
        vec![vec![Value::Double(7.5)]]
    );
    let plan: Vec<String> = rows(
        &db,
        "EXPLAIN SELECT g, COUNT(*) FROM t WHERE x > 1 GROUP BY g HAVING COUNT(*) > 1",
    )
    .into_iter()
    .map(|r| r[0].to_string())
    .collect();
    assert!(
        plan.iter()
            .any(|l| l.contains("hash aggregate: group by g; COUNT(*)")),
        "{plan:?}"
    );
    assert!(plan.iter().any(|l| l.contains("having:")), "{plan:?}");
}

#[test]
fn misplaced_aggregates_and_ungrouped_columns_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    db.execute(
        "CREATE TABLE t (id BIGINT PRIMARY KEY, g TEXT, x BIGINT)",
        &[],
    )
    .expect("create");
    for (sql, needle) in [
        ("SELECT g, x FROM t GROUP BY g", "must appear in GROUP BY"),
        ("SELECT x, COUNT(*) FROM t", "must appear in GROUP BY"),
        ("SELECT SUM(x) FROM t WHERE SUM(x) > 1", "not allowed here"),
        ("SELECT SUM(SUM(x)) FROM t", "not allowed here"),
        (
            "SELECT COUNT(*) FROM t GROUP BY COUNT(*)",
            "not allowed here",
        ),
        ("SELECT SUM(g) FROM t", "needs a number"),
        ("SELECT COUNT(DISTINCT g) FROM t", "DISTINCT"),
        ("SELECT lower(g) FROM t", "unknown function"),
        ("SELECT SUM(x, x) FROM t", "exactly one argument"),
    ] {
        let err = db.query(sql, &[]).expect_err(sql).to_string();
        assert!(err.contains(needle), "{sql}: {err}");
    }
}
