use super::super::parse::parse_one;
use super::super::plan::tests_fixture as fixture;
use super::*;

fn bound(sql: &str) -> Result<BoundStatement> {
    bind(&parse_one(sql)?, &fixture())
}

#[test]
fn unknown_names_are_typed_errors() {
    match bound("SELECT * FROM nope") {
        Err(SchemaError::UnknownTable { table }) => assert_eq!(table, "nope"),
        other => panic!("{other:?}"),
    }
    match bound("SELECT bogus FROM orders") {
        Err(SchemaError::UnknownColumn { table, column }) => {
            assert_eq!((table.as_str(), column.as_str()), ("orders", "bogus"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        bound("UPDATE orders SET nope = 1"),
        Err(SchemaError::UnknownColumn { .. })
    ));
    assert!(matches!(
        bound("INSERT INTO orders (id, nope) VALUES (1, 2)"),
        Err(SchemaError::UnknownColumn { .. })
    ));
}

#[test]
fn parameters_are_counted_in_both_styles_and_not_mixed() {
    assert_eq!(
        bound("SELECT * FROM orders WHERE id = ? AND customer = ?")
            .map(|b| b.params)
            .ok(),
        Some(2)
    );
    assert_eq!(
        bound("SELECT * FROM orders WHERE id = $2 OR id = $1")
            .map(|b| b.params)
            .ok(),
        Some(2)
    );
    assert_eq!(
        bound("INSERT INTO lines VALUES (?, ?, ?), (?, ?, ?)")
            .map(|b| b.params)
            .ok(),
        Some(6)
    );
    let err = bound("SELECT * FROM orders WHERE id = ? AND customer = $1").expect_err("must fail");
    assert!(err.to_string().contains("mix"), "{err}");
}

#[test]
fn literals_compared_with_columns_are_coerced_and_mismatches_refused() {
    let b = bound("SELECT * FROM orders WHERE placed = '2026-12-03T14:00:00Z'").expect("binds");
    let Bound::Select(s) = b.bound else { panic!() };
    let Some(plan::Plan {
        residual: Some(Expr::Binary { right, .. }),
        ..
    }) = Some(s.plan)
    else {
        panic!("expected a residual comparison")
    };
    assert!(matches!(*right, Expr::Literal(Value::Timestamp(_))));
    // A text literal against an integer key is refused when bound, naming the column.
    match bound("SELECT * FROM orders WHERE id = 'x'") {
        Err(SchemaError::TypeMismatch { table, column, .. }) => {
            assert_eq!((table.as_str(), column.as_str()), ("orders", "id"));
        }
        other => panic!("{other:?}"),
    }
    // A parameter is converted when the statement runs.
    let b = bound("SELECT * FROM orders WHERE id = ?").expect("binds");
    let Bound::Select(s) = b.bound else { panic!() };
    let plan::Access::PkPoint(key) = s.plan.access else {
        panic!()
    };
    assert!(matches!(
        key[0].eval(&[], &[Value::Text("x".into())]),
        Err(SchemaError::TypeMismatch { .. })
    ));
    assert_eq!(key[0].eval(&[], &[Value::Int(4)]).ok(), Some(Value::Int(4)));
}

#[test]
fn insert_fills_defaults_and_checks_widths() {
    let mut fx = fixture();
    fx.0[1].columns[2].default = Some(Value::Int(1));
    let parsed = parse_one("INSERT INTO lines (line_no, order_id) VALUES (2, 1)").expect("parses");
    let b = bind(&parsed, &fx).expect("binds");
    let Bound::Insert(ins) = b.bound else {
        panic!()
    };
    let row: Vec<Value> = ins.rows[0]
        .iter()
        .map(|e| e.eval(&[], &[]).expect("evaluates"))
        .collect();
    assert_eq!(row, vec![Value::Int(1), Value::Int(2), Value::Int(1)]);
    let err = bound("INSERT INTO lines VALUES (1, 2)").expect_err("must fail");
    assert!(err.to_string().contains("2 values for 3 columns"), "{err}");
    let err = bound("INSERT INTO lines (qty) VALUES (id)").expect_err("must fail");
    assert!(err.to_string().contains("no table to take column"), "{err}");
}

#[test]
fn ddl_binds_types_keys_defaults_and_unique_constraints() {
    let b = bound(
        "CREATE TABLE t (a INT, b VARCHAR(10) NOT NULL DEFAULT 'x', c TIMESTAMP DEFAULT '1970-01-01T00:00:00Z', d TEXT UNIQUE, PRIMARY KEY (a, b))",
    )
    .expect("binds");
    let Bound::Ddl(Ddl::CreateTable { table, unique, .. }) = b.bound else {
        panic!()
    };
    assert_eq!(table.primary_key, vec!["a".to_string(), "b".to_string()]);
    assert!(
        table.columns[0].not_null,
        "primary-key columns are NOT NULL"
    );
    assert_eq!(table.columns[1].default, Some(Value::Text("x".into())));
    assert_eq!(table.columns[2].default, Some(Value::Timestamp(0)));
    assert_eq!(table.columns[2].ty, ColumnType::Timestamp);
    assert_eq!(unique.len(), 1);
    assert_eq!(unique[0].columns, vec!["d".to_string()]);
    assert!(matches!(
        bound("CREATE TABLE t (a INT)"),
        Err(SchemaError::InvalidDefinition { .. })
    ));
    assert!(matches!(
        bound("CREATE TABLE t (a INT PRIMARY KEY, b BIGINT DEFAULT 'x')"),
        Err(SchemaError::TypeMismatch { .. })
    ));
    let err = bound("CREATE TABLE t (a JSON PRIMARY KEY)").expect_err("must fail");
    assert!(err.to_string().contains("unsupported type"), "{err}");
    assert!(matches!(
        bound("CREATE UNIQUE INDEX i ON t (a, b)").map(|b| b.bound),
        Ok(Bound::Ddl(Ddl::CreateIndex {
            index: IndexDecl { unique: true, .. },
            ..
        }))
    ));
    assert!(matches!(
        bound("ALTER TABLE t ADD COLUMN z BOOLEAN DEFAULT TRUE").map(|b| b.bound),
        Ok(Bound::Ddl(Ddl::AddColumn { .. }))
    ));
    assert!(matches!(
        bound("ALTER TABLE t DROP COLUMN z").map(|b| b.bound),
        Ok(Bound::Ddl(Ddl::DropColumn { .. }))
    ));
    assert!(matches!(
        bound("DROP INDEX IF EXISTS i").map(|b| b.bound),
        Ok(Bound::Ddl(Ddl::DropIndex {
            if_exists: true,
            ..
        }))
    ));
}

#[test]
fn unsupported_features_say_so_with_a_position() {
    for sql in [
        "SELECT * FROM orders o JOIN lines l ON o.id = l.order_id",
        "SELECT DISTINCT id FROM orders",
        "SELECT customer FROM orders GROUP BY ROLLUP (customer)",
        "SELECT COUNT(*) OVER () FROM orders",
        "SELECT 1 UNION SELECT 2",
    ] {
        match bound(sql) {
            Err(SchemaError::Sql(e)) => assert!(e.line >= 1, "{sql}: {e}"),
            other => panic!("{sql}: {other:?}"),
        }
    }
}

#[test]
fn select_without_from_and_output_types() {
    let b = bound("SELECT 1 + 2 AS three, 'a' || 'b', id FROM orders").expect("binds");
    let Bound::Select(s) = b.bound else { panic!() };
    assert_eq!(s.columns[0].name, "three");
    assert_eq!(s.columns[0].ty, Some(ColumnType::Int));
    assert_eq!(s.columns[1].ty, Some(ColumnType::Text));
    assert_eq!(s.columns[2].ty, Some(ColumnType::Int));
    let b = bound("SELECT 1.5 * 2").expect("binds");
    let Bound::Select(s) = b.bound else { panic!() };
    assert_eq!(s.plan.access, plan::Access::Constant);
    assert_eq!(s.columns[0].ty, Some(ColumnType::Double));
}
