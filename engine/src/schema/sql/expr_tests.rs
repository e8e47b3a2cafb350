use super::*;

fn lit(v: Value) -> Box<Expr> {
    Box::new(Expr::Literal(v))
}

fn bin(op: BinOp, a: Value, b: Value) -> Result<Value> {
    Expr::Binary {
        op,
        left: lit(a),
        right: lit(b),
    }
    .eval(&[], &[])
}

#[test]
fn three_valued_logic() {
    use Value::{Bool, Null};
    assert_eq!(bin(BinOp::And, Null, Bool(false)).ok(), Some(Bool(false)));
    assert_eq!(bin(BinOp::And, Bool(true), Null).ok(), Some(Null));
    assert_eq!(bin(BinOp::Or, Null, Bool(true)).ok(), Some(Bool(true)));
    assert_eq!(bin(BinOp::Or, Bool(false), Null).ok(), Some(Null));
    assert_eq!(bin(BinOp::Eq, Null, Null).ok(), Some(Null));
    assert_eq!(Expr::Not(lit(Null)).eval(&[], &[]).ok(), Some(Null));
    assert!(!is_true(&Null));
    // NOT IN with a NULL candidate and no match is unknown, not true.
    let e = Expr::InList {
        expr: lit(Value::Int(1)),
        list: vec![Expr::Literal(Value::Int(2)), Expr::Literal(Null)],
        negated: true,
    };
    assert_eq!(e.eval(&[], &[]).ok(), Some(Null));
}

#[test]
fn arithmetic_overflow_and_division_by_zero_are_errors() {
    let err = bin(BinOp::Add, Value::Int(i64::MAX), Value::Int(1)).expect_err("must fail");
    assert!(err.to_string().contains("integer overflow"), "{err}");
    assert!(bin(BinOp::Mul, Value::Int(i64::MIN), Value::Int(-1)).is_err());
    assert!(bin(BinOp::Div, Value::Int(1), Value::Int(0)).is_err());
    assert!(bin(BinOp::Div, Value::Double(1.0), Value::Int(0)).is_err());
    assert!(Expr::Neg(lit(Value::Int(i64::MIN))).eval(&[], &[]).is_err());
    assert_eq!(
        bin(BinOp::Div, Value::Int(7), Value::Int(2)).ok(),
        Some(Value::Int(3))
    );
    assert_eq!(
        bin(BinOp::Add, Value::Int(1), Value::Double(0.5)).ok(),
        Some(Value::Double(1.5))
    );
    assert!(bin(BinOp::Add, Value::Int(1), Value::Text("a".into())).is_err());
}

#[test]
fn comparisons_mix_numbers_and_refuse_other_types() {
    assert_eq!(
        bin(BinOp::Lt, Value::Int(1), Value::Double(1.5)).ok(),
        Some(Value::Bool(true))
    );
    assert!(bin(BinOp::Eq, Value::Int(1), Value::Text("1".into())).is_err());
    let between = Expr::Between {
        expr: lit(Value::Int(5)),
        low: lit(Value::Int(1)),
        high: lit(Value::Int(5)),
        negated: false,
    };
    assert_eq!(between.eval(&[], &[]).ok(), Some(Value::Bool(true)));
}

#[test]
fn like_matches_wildcards() {
    assert!(like("hello", "h%o"));
    assert!(like("hello", "h_llo"));
    assert!(like("hello", "%"));
    assert!(like("", "%"));
    assert!(!like("hello", "h_o"));
    assert!(like("abcabc", "%bc"));
    assert!(!like("abcab", "%bc"));
    assert!(!like("Hello", "hello"));
}

#[test]
fn coercion_of_literals_to_column_types() {
    assert_eq!(
        coerce(Value::Int(2), ColumnType::Double, "t", "c").ok(),
        Some(Value::Double(2.0))
    );
    assert_eq!(
        coerce(
            Value::Text("1970-01-01T00:00:01.5Z".into()),
            ColumnType::Timestamp,
            "t",
            "c"
        )
        .ok(),
        Some(Value::Timestamp(1_500_000))
    );
    assert_eq!(
        coerce(
            Value::Text("1970-01-01T01:00:00+01:00".into()),
            ColumnType::Timestamp,
            "t",
            "c"
        )
        .ok(),
        Some(Value::Timestamp(0))
    );
    assert_eq!(
        coerce(
            Value::Text("1970-01-02".into()),
            ColumnType::Timestamp,
            "t",
            "c"
        )
        .ok(),
        Some(Value::Timestamp(86_400_000_000))
    );
    match coerce(Value::Text("x".into()), ColumnType::Int, "t", "c") {
        Err(SchemaError::TypeMismatch {
            table,
            column,
            expected,
            found,
            ..
        }) => {
            assert_eq!((table.as_str(), column.as_str()), ("t", "c"));
            assert_eq!((expected.as_str(), found.as_str()), ("BIGINT", "TEXT"));
        }
        other => panic!("expected a type mismatch, got {other:?}"),
    }
    assert!(coerce(Value::Double(1.5), ColumnType::Int, "t", "c").is_err());
    assert!(
        coerce(
            Value::Text("not a time".into()),
            ColumnType::Timestamp,
            "t",
            "c"
        )
        .is_err()
    );
    assert_eq!(
        coerce(Value::Null, ColumnType::Int, "t", "c").ok(),
        Some(Value::Null)
    );
}

#[test]
fn sort_order_puts_null_first() {
    let mut v = vec![Value::Int(3), Value::Null, Value::Int(1)];
    v.sort_by(sort_order);
    assert_eq!(v, vec![Value::Null, Value::Int(1), Value::Int(3)]);
}

#[test]
fn plain_dates_parse_on_the_fast_path_exactly_as_the_general_one() {
    use super::parse_timestamp;
    let general = |s: &str| {
        chrono::NaiveDateTime::parse_from_str(&format!("{s} 00:00:00"), "%Y-%m-%d %H:%M:%S")
            .ok()
            .map(|t| t.and_utc().timestamp_micros())
    };
    for s in [
        "1970-01-01",
        "1992-02-29",
        "1998-12-01",
        "2026-12-31",
        "0001-01-01",
    ] {
        assert_eq!(parse_timestamp(s), general(s), "{s}");
    }
    assert_eq!(
        parse_timestamp("1998-09-02 12:34:56"),
        parse_timestamp("1998-09-02T12:34:56Z")
    );
    // Impossible dates and times are refused, not wrapped.
    for s in [
        "1993-02-29",
        "1998-13-01",
        "1998-00-10",
        "1998-09-02 24:00:00",
        "19980902xx",
    ] {
        assert_eq!(parse_timestamp(s), None, "{s}");
    }
}
