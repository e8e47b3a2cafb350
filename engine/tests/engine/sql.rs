//! SQL end to end over a real database: DDL, INSERT/UPDATE/DELETE/SELECT, the planner's paths
//! agreeing with a model, typed errors, all-or-nothing autocommit statements, sessions with
//! BEGIN/COMMIT/ROLLBACK (transactional DDL included), prepared statements across schema
//! changes, EXPLAIN, and scripts run inside a caller's transaction.

use std::time::Duration;

use lightning_db::schema::sql::{SqlDatabase, execute_script};
use lightning_db::schema::{SchemaError, Value};
use lightning_db::util::rng::SplitMix64;
use lightning_db::{IsolationLevel, Options};

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

fn ints(db: &SqlDatabase, sql: &str) -> Vec<Vec<i64>> {
    db.query(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .rows
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| match v {
                    Value::Int(i) => i,
                    Value::Null => i64::MIN,
                    other => panic!("{sql}: not an integer: {other}"),
                })
                .collect()
        })
        .collect()
}

fn setup(db: &SqlDatabase) {
    let mut s = db.session();
    s.execute_script(
        "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer BIGINT NOT NULL, amount DOUBLE, note TEXT DEFAULT 'none', placed TIMESTAMP);
         CREATE INDEX orders_by_customer ON orders (customer);
         CREATE UNIQUE INDEX orders_note ON orders (note);
         INSERT INTO orders (id, customer, amount, note, placed) VALUES
           (1, 10, 5.5, 'a', '2026-12-03T10:00:00Z'),
           (2, 20, 7.0, 'b', '2026-12-03T11:00:00+01:00'),
           (3, 10, 1.0, 'c', NULL);",
    )
    .expect("setup script");
}

#[test]
fn ddl_dml_and_queries_end_to_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    setup(&db);
    assert_eq!(
        ints(&db, "SELECT id FROM orders WHERE customer = 10 ORDER BY id"),
        vec![vec![1], vec![3]]
    );
    assert_eq!(
        ints(&db, "SELECT id FROM orders ORDER BY amount DESC LIMIT 2"),
        vec![vec![2], vec![1]]
    );
    assert_eq!(
        ints(&db, "SELECT id FROM orders ORDER BY id LIMIT 1 OFFSET 1"),
        vec![vec![2]]
    );
    assert_eq!(
        ints(&db, "SELECT id * 10 + customer FROM orders WHERE id = 2"),
        vec![vec![40]]
    );
    // Timestamps from RFC 3339 text, offsets honoured: both orders were placed at 10:00 UTC.
    assert_eq!(
        ints(
            &db,
            "SELECT id FROM orders WHERE placed = '2026-12-03T10:00:00Z' ORDER BY id"
        ),
        vec![vec![1], vec![2]]
    );
    assert_eq!(
        ints(&db, "SELECT id FROM orders WHERE placed IS NULL"),
        vec![vec![3]]
    );
    let r = db
        .query(
            "SELECT note, amount FROM orders WHERE id = ?",
            &[Value::Int(1)],
        )
        .expect("query");
    assert_eq!(r.columns, vec!["note".to_string(), "amount".to_string()]);
    assert_eq!(
        r.rows,
        vec![vec![Value::Text("a".into()), Value::Double(5.5)]]
    );
    // Defaults fill omitted columns.
    db.execute("INSERT INTO orders (id, customer) VALUES (4, 30)", &[])
        .expect("insert");
    let r = db
        .query("SELECT note FROM orders WHERE id = 4", &[])
        .expect("query");
    assert_eq!(r.rows, vec![vec![Value::Text("none".into())]]);
    // UPDATE through an index, including the primary key; DELETE by range.
    let n = db
        .execute(
            "UPDATE orders SET amount = amount * 2, id = id + 100 WHERE customer = 10",
            &[],
        )
        .expect("update");
    assert_eq!(n.rows_affected, 2);
    assert_eq!(
        ints(&db, "SELECT id FROM orders WHERE customer = 10 ORDER BY id"),
        vec![vec![101], vec![103]]
    );
    assert_eq!(
        ints(&db, "SELECT id FROM orders WHERE id = 1"),
        Vec::<Vec<i64>>::new()
    );
    let n = db
        .execute("DELETE FROM orders WHERE id >= 100", &[])
        .expect("delete");
    assert_eq!(n.rows_affected, 2);
    assert_eq!(
        ints(&db, "SELECT id FROM orders ORDER BY id"),
        vec![vec![2], vec![4]]
    );
    // The index no longer finds the deleted rows.
    assert_eq!(
        ints(&db, "SELECT id FROM orders WHERE customer = 10"),
        Vec::<Vec<i64>>::new()
    );
    // ALTER TABLE: existing rows read the new column's default; a dropped column is gone.
    db.execute("ALTER TABLE orders ADD COLUMN qty BIGINT DEFAULT 1", &[])
        .expect("add column");
    assert_eq!(
        ints(&db, "SELECT qty FROM orders ORDER BY id"),
        vec![vec![1], vec![1]]
    );
    db.execute("ALTER TABLE orders DROP COLUMN qty", &[])
        .expect("drop column");
    assert!(matches!(
        db.query("SELECT qty FROM orders", &[]),
        Err(SchemaError::UnknownColumn { .. })
    ));
    db.execute("DROP TABLE orders", &[]).expect("drop");
    assert!(matches!(
        db.query("SELECT * FROM orders", &[]),
        Err(SchemaError::UnknownTable { .. })
    ));
    db.execute("DROP TABLE IF EXISTS orders", &[])
        .expect("if exists");
}

#[test]
fn composite_primary_keys_and_select_without_from() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    db.execute(
        "CREATE TABLE lines (o BIGINT, n BIGINT, qty BIGINT NOT NULL, PRIMARY KEY (o, n))",
        &[],
    )
    .expect("create");
    db.execute(
        "INSERT INTO lines VALUES (1, 1, 5), (1, 2, 6), (2, 1, 7), (1, 3, 8)",
        &[],
    )
    .expect("insert");
    assert_eq!(
        ints(&db, "SELECT n FROM lines WHERE o = 1 ORDER BY n DESC"),
        vec![vec![3], vec![2], vec![1]]
    );
    assert_eq!(
        ints(
            &db,
            "SELECT qty FROM lines WHERE o = 1 AND n > 1 AND n <= 3"
        ),
        vec![vec![6], vec![8]]
    );
    assert_eq!(
        ints(&db, "SELECT qty FROM lines WHERE o = 2 AND n = 1"),
        vec![vec![7]]
    );
    assert_eq!(ints(&db, "SELECT 6 * 7"), vec![vec![42]]);
    match db.execute("INSERT INTO lines VALUES (1, 2, 9)", &[]) {
        Err(SchemaError::UniqueViolation { table, index, key }) => {
            assert_eq!((table.as_str(), index.as_str()), ("lines", "PRIMARY KEY"));
            assert!(key.contains('1') && key.contains('2'), "{key}");
        }
        other => panic!("expected a primary-key violation, got {other:?}"),
    }
}

#[test]
fn bad_input_is_typed_and_autocommit_is_all_or_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    setup(&db);
    // The third row duplicates a unique note: none of the three is inserted.
    let err = db
        .execute(
            "INSERT INTO orders (id, customer, note) VALUES (7, 1, 'x'), (8, 1, 'y'), (9, 1, 'a')",
            &[],
        )
        .expect_err("must fail");
    match &err {
        SchemaError::UniqueViolation { table, index, key } => {
            assert_eq!(
                (table.as_str(), index.as_str(), key.as_str()),
                ("orders", "orders_note", "('a')")
            );
        }
        other => panic!("expected a unique violation, got {other:?}"),
    }
    assert_eq!(
        ints(&db, "SELECT id FROM orders WHERE id >= 7"),
        Vec::<Vec<i64>>::new()
    );
    match db.execute("INSERT INTO orders (id, note) VALUES (7, 'z')", &[]) {
        Err(SchemaError::NotNull { table, column }) => {
            assert_eq!((table.as_str(), column.as_str()), ("orders", "customer"))
        }
        other => panic!("expected NOT NULL, got {other:?}"),
    }
    match db.execute("INSERT INTO orders (id, customer) VALUES (7, 'ten')", &[]) {
        Err(SchemaError::TypeMismatch {
            column,
            expected,
            found,
            ..
        }) => {
            assert_eq!(
                (column.as_str(), expected.as_str(), found.as_str()),
                ("customer", "BIGINT", "TEXT")
            );
        }
        other => panic!("expected a type mismatch, got {other:?}"),
    }
    match db.execute("SELECT * FROM orders\nWHERE id = = 1", &[]) {
        Err(SchemaError::Sql(e)) => assert_eq!((e.line, e.column), (2, 12), "{e}"),
        other => panic!("expected a syntax error, got {other:?}"),
    }
    let err = db
        .execute(
            "UPDATE orders SET customer = customer * 9223372036854775807 WHERE id = 1",
            &[],
        )
        .expect_err("must fail");
    assert!(err.to_string().contains("integer overflow"), "{err}");
    let err = db
        .query("SELECT * FROM orders WHERE id = ?", &[])
        .expect_err("must fail");
    assert!(err.to_string().contains("takes 1 parameter"), "{err}");
    assert_eq!(
        ints(&db, "SELECT customer FROM orders WHERE id = 1"),
        vec![vec![10]]
    );
}

#[test]
fn sessions_commit_roll_back_and_refuse_after_a_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    setup(&db);
    let mut s = db.session();
    s.execute("BEGIN", &[]).expect("begin");
    s.execute("INSERT INTO orders (id, customer) VALUES (50, 1)", &[])
        .expect("insert");
    assert_eq!(
        s.query("SELECT id FROM orders WHERE id = 50", &[])
            .expect("own write")
            .rows
            .len(),
        1
    );
    assert!(
        db.query("SELECT id FROM orders WHERE id = 50", &[])
            .expect("other")
            .rows
            .is_empty()
    );
    s.execute("ROLLBACK", &[]).expect("rollback");
    assert!(
        db.query("SELECT id FROM orders WHERE id = 50", &[])
            .expect("gone")
            .rows
            .is_empty()
    );

    // DDL is transactional: a created table and its rows vanish with a rollback.
    s.execute("BEGIN ISOLATION LEVEL SERIALIZABLE", &[])
        .expect("begin");
    s.execute("CREATE TABLE tmp (k BIGINT PRIMARY KEY)", &[])
        .expect("create");
    s.execute("INSERT INTO tmp VALUES (1), (2)", &[])
        .expect("insert");
    assert_eq!(
        s.query("SELECT k FROM tmp ORDER BY k", &[])
            .expect("read")
            .rows
            .len(),
        2
    );
    s.execute("ROLLBACK", &[]).expect("rollback");
    assert!(matches!(
        db.query("SELECT * FROM tmp", &[]),
        Err(SchemaError::UnknownTable { .. })
    ));

    // A failing statement rolls the whole transaction back; COMMIT then says so.
    s.execute("BEGIN", &[]).expect("begin");
    s.execute("INSERT INTO orders (id, customer) VALUES (60, 1)", &[])
        .expect("insert");
    assert!(matches!(
        s.execute("INSERT INTO orders (id, customer) VALUES (1, 1)", &[]),
        Err(SchemaError::UniqueViolation { .. })
    ));
    let err = s.execute("SELECT 1", &[]).expect_err("must fail");
    assert!(err.to_string().contains("end it with ROLLBACK"), "{err}");
    let err = s.execute("COMMIT", &[]).expect_err("must fail");
    assert!(err.to_string().contains("nothing was committed"), "{err}");
    assert!(!s.in_transaction());
    assert!(
        db.query("SELECT id FROM orders WHERE id = 60", &[])
            .expect("q")
            .rows
            .is_empty()
    );

    s.execute("BEGIN", &[]).expect("begin");
    s.execute("INSERT INTO orders (id, customer) VALUES (61, 1)", &[])
        .expect("insert");
    s.execute("COMMIT", &[]).expect("commit");
    assert_eq!(
        ints(&db, "SELECT id FROM orders WHERE id = 61"),
        vec![vec![61]]
    );
    assert!(db.execute("BEGIN", &[]).is_err(), "autocommit has no BEGIN");
}

#[test]
fn prepared_statements_rebind_after_schema_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    setup(&db);
    let stmt = db
        .prepare("SELECT * FROM orders WHERE id = $1")
        .expect("prepare");
    assert_eq!(
        stmt.query(&db, &[Value::Int(2)]).expect("q").columns.len(),
        5
    );
    db.execute(
        "ALTER TABLE orders ADD COLUMN extra BOOLEAN DEFAULT TRUE",
        &[],
    )
    .expect("alter");
    let r = stmt.query(&db, &[Value::Int(2)]).expect("q after alter");
    assert_eq!(r.columns.len(), 6);
    assert_eq!(r.rows[0][5], Value::Bool(true));
    let ins = db
        .prepare("INSERT INTO orders (id, customer, note) VALUES (?, ?, ?)")
        .expect("prepare");
    for i in 100..110 {
        ins.execute(
            &db,
            &[
                Value::Int(i),
                Value::Int(i % 3),
                Value::Text(format!("n{i}")),
            ],
        )
        .expect("insert");
    }
    assert_eq!(
        ints(
            &db,
            "SELECT id FROM orders WHERE id >= 100 AND customer = 0 ORDER BY id"
        ),
        vec![vec![102], vec![105], vec![108]]
    );
    db.execute("DROP TABLE orders", &[]).expect("drop");
    assert!(matches!(
        stmt.query(&db, &[Value::Int(2)]),
        Err(SchemaError::UnknownTable { .. })
    ));
}

#[test]
fn explain_names_the_access_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    setup(&db);
    let plan = |sql: &str| -> String {
        let r = db.query(&format!("EXPLAIN {sql}"), &[]).expect("explain");
        r.rows
            .iter()
            .map(|r| r[0].to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(plan("SELECT * FROM orders WHERE id = 1").contains("PRIMARY KEY point"));
    assert!(
        plan("SELECT * FROM orders WHERE customer = 1").contains("INDEX orders_by_customer range")
    );
    assert!(plan("SELECT * FROM orders WHERE note = 'a'").contains("INDEX orders_note point"));
    assert!(plan("SELECT * FROM orders WHERE amount > 1").contains("FULL SCAN"));
    assert!(plan("DELETE FROM orders WHERE id < 3").contains("PRIMARY KEY range"));
}

#[test]
fn scripts_run_inside_the_callers_transaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let kv = db.database();
    let mut txn = kv.begin(IsolationLevel::RepeatableRead).expect("begin");
    let effects = execute_script(
        &mut txn,
        "CREATE TABLE t (k BIGINT PRIMARY KEY, v TEXT);\nINSERT INTO t VALUES (1, 'a'), (2, 'b');\nUPDATE t SET v = 'c' WHERE k = 2;\nDELETE FROM t WHERE k = 1;",
    )
    .expect("script");
    let summary: Vec<(&str, u64, u64)> = effects.iter().map(|e| (e.kind, e.rows, e.line)).collect();
    assert_eq!(
        summary,
        vec![
            ("CREATE TABLE", 0, 1),
            ("INSERT", 2, 2),
            ("UPDATE", 1, 3),
            ("DELETE", 1, 4)
        ]
    );
    assert_eq!(effects[1].text, "INSERT INTO t VALUES (1, 'a'), (2, 'b')");
    txn.rollback();
    assert!(matches!(
        db.query("SELECT * FROM t", &[]),
        Err(SchemaError::UnknownTable { .. })
    ));
    let mut txn = kv.begin(IsolationLevel::RepeatableRead).expect("begin");
    assert!(execute_script(&mut txn, "CREATE TABLE t (k BIGINT PRIMARY KEY); COMMIT").is_err());
}

#[test]
fn a_failing_script_statement_is_named_by_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    let kv = db.database();
    let mut txn = kv.begin(IsolationLevel::Serializable).expect("begin");
    let err = execute_script(
        &mut txn,
        "CREATE TABLE t (k BIGINT PRIMARY KEY);\nINSERT INTO t VALUES (1);\n\nINSERT INTO t\n  VALUES (1);",
    )
    .expect_err("duplicate key");
    match &err {
        SchemaError::InStatement { line, source } => {
            assert_eq!(*line, 4, "{err}");
            assert!(
                matches!(**source, SchemaError::UniqueViolation { .. }),
                "{err}"
            );
        }
        other => panic!("expected the statement's line, got {other:?}"),
    }
    assert!(
        err.to_string().starts_with("statement at line 4: "),
        "{err}"
    );
    assert!(!err.is_retryable());
    txn.rollback();
    // SQL errors carry their own line and column and are not wrapped.
    let mut txn = kv.begin(IsolationLevel::Serializable).expect("begin");
    let err = execute_script(
        &mut txn,
        "CREATE TABLE u (k BIGINT PRIMARY KEY);\nSELEC k FROM u;",
    )
    .expect_err("syntax error");
    assert!(
        matches!(&err, SchemaError::Sql(e) if e.line == 2),
        "{err:?}"
    );
    let err = execute_script(&mut txn, "SELECT * FROM missing").expect_err("unknown table");
    assert!(
        matches!(&err, SchemaError::InStatement { line: 1, source } if matches!(**source, SchemaError::UnknownTable { .. })),
        "{err:?}"
    );
}

/// A model row: `(a, b, c)`.
type ModelRow = (i64, i64, Option<i64>);
/// A predicate over a model row.
type Pred = Box<dyn Fn(&ModelRow) -> bool>;

/// Random rows and random predicates: every plan the planner picks returns exactly the rows
/// (and order) a filter over all rows computes.
#[test]
fn planned_access_paths_agree_with_a_model() {
    let seed = std::env::var("LDB_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_0001_u64);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    db.execute(
        "CREATE TABLE m (a BIGINT, b BIGINT, c BIGINT, PRIMARY KEY (a, b))",
        &[],
    )
    .expect("create");
    db.execute("CREATE INDEX m_c ON m (c, a)", &[])
        .expect("index");
    let mut rng = SplitMix64::new(seed);
    let mut model: Vec<ModelRow> = Vec::new();
    let ins = db
        .prepare("INSERT INTO m VALUES (?, ?, ?)")
        .expect("prepare");
    for a in 0..12 {
        for b in 0..8 {
            if rng.chance(2, 3) {
                let c = if rng.chance(1, 6) {
                    None
                } else {
                    Some(rng.below(5) as i64)
                };
                ins.execute(
                    &db,
                    &[
                        Value::Int(a),
                        Value::Int(b),
                        c.map_or(Value::Null, Value::Int),
                    ],
                )
                .expect("insert");
                model.push((a, b, c));
            }
        }
    }
    let ops = ["=", "<", "<=", ">", ">="];
    for round in 0..300 {
        let mut conds = Vec::new();
        let mut preds: Vec<Pred> = Vec::new();
        for (col, idx) in [("a", 0), ("b", 1), ("c", 2)] {
            if rng.chance(1, 2) {
                let op = ops[rng.below(5) as usize];
                let v = rng.below(12) as i64;
                conds.push(format!("{col} {op} {v}"));
                preds.push(Box::new(move |r: &ModelRow| {
                    let x = match idx {
                        0 => Some(r.0),
                        1 => Some(r.1),
                        _ => r.2,
                    };
                    x.is_some_and(|x| match op {
                        "=" => x == v,
                        "<" => x < v,
                        "<=" => x <= v,
                        ">" => x > v,
                        _ => x >= v,
                    })
                }));
            }
        }
        let desc = rng.chance(1, 2);
        let order = if desc { "a DESC, b DESC" } else { "a, b" };
        let where_ = if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        };
        let sql = format!("SELECT a, b FROM m{where_} ORDER BY {order}");
        let got = ints(&db, &sql);
        let mut want: Vec<Vec<i64>> = model
            .iter()
            .filter(|r| preds.iter().all(|p| p(r)))
            .map(|r| vec![r.0, r.1])
            .collect();
        want.sort();
        if desc {
            want.reverse();
        }
        assert_eq!(got, want, "seed {seed:#x} round {round}: {sql}");
    }
}

/// Pathological nesting is a typed error with a position, never a stack overflow: long
/// operator chains (parsed in a loop by `sqlparser`, bounded by the binder) and deep
/// parentheses (bounded by `sqlparser`'s own recursion limit), on a thread with the 2 MiB stack
/// Rust gives spawned threads, in a debug build (whose frames are the largest).
#[test]
fn deeply_nested_expressions_are_refused_not_a_stack_overflow() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = open(&dir);
    setup(&db);
    let db = std::sync::Arc::new(db);
    let run = move || {
        let chain = format!(
            "SELECT id FROM orders\nWHERE id = 0{}",
            " + 1".repeat(100_000)
        );
        match db.execute(&chain, &[]) {
            Err(SchemaError::Sql(e)) => {
                assert!(
                    e.message.contains("more than 1000 operators in a row"),
                    "{e}"
                );
                // The 1,001st operator (`=` is the first): the 1,000th `+`, after
                // `WHERE id = 0` (12 characters) and 999 ` + 1`s.
                assert_eq!((e.line, e.column), (2, 13 + 4 * 999 + 1), "{e}");
            }
            other => panic!("expected an operator-chain error, got {other:?}"),
        }
        // Under the parser's bound but past the binder's depth.
        let deep = format!("SELECT id FROM orders\nWHERE id = 0{}", " + 1".repeat(500));
        match db.execute(&deep, &[]) {
            Err(SchemaError::Sql(e)) => {
                assert!(e.message.contains("nested deeper than 64 levels"), "{e}");
                assert_eq!(e.line, 2, "{e}");
            }
            other => panic!("expected a nesting error, got {other:?}"),
        }
        let parens = format!(
            "SELECT {}1{} FROM orders",
            "(".repeat(20_000),
            ")".repeat(20_000)
        );
        assert!(matches!(db.execute(&parens, &[]), Err(SchemaError::Sql(_))));
        let nots = format!("SELECT id FROM orders WHERE {}TRUE", "NOT ".repeat(20_000));
        assert!(matches!(db.execute(&nots, &[]), Err(SchemaError::Sql(_))));
        // A chain within the bound still runs.
        let fine = format!(
            "SELECT id FROM orders WHERE id = 0{} ORDER BY id",
            " + 1".repeat(50)
        );
        assert!(db.execute(&fine, &[]).is_ok());
    };
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(run)
        .expect("spawn")
        .join()
        .expect("no stack overflow");
}
