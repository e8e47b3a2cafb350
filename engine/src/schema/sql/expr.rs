//! Bound scalar expressions and their evaluation over one row.
//!
//! The binder turns `sqlparser` expressions into [`Expr`]: column references become positions in
//! the table's row, `?`/`$n` become parameter slots, and a literal or parameter compared with (or
//! assigned to) a column is wrapped in [`Expr::Coerce`] to that column's type. Evaluation follows
//! SQL's three-valued logic: a comparison with `NULL` is `NULL`, `AND`/`OR` treat `NULL` as
//! unknown, and a `WHERE` keeps a row only when its filter is `TRUE`. Integer arithmetic that
//! overflows, and division by zero, are errors rather than wrapped or infinite results.

use std::cmp::Ordering;

use super::super::error::{Result, SchemaError, SqlError};
use super::super::value::{ColumnType, Value};

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `||` (text concatenation)
    Concat,
    /// `=`
    Eq,
    /// `<>` / `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `AND`
    And,
    /// `OR`
    Or,
}

impl BinOp {
    /// The operator as SQL spells it.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Concat => "||",
            BinOp::Eq => "=",
            BinOp::NotEq => "<>",
            BinOp::Lt => "<",
            BinOp::LtEq => "<=",
            BinOp::Gt => ">",
            BinOp::GtEq => ">=",
            BinOp::And => "AND",
            BinOp::Or => "OR",
        }
    }

    /// Whether this is a comparison (`=`, `<>`, `<`, `<=`, `>`, `>=`).
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::NotEq | BinOp::Lt | BinOp::LtEq | BinOp::Gt | BinOp::GtEq
        )
    }

    /// The comparison with its operands swapped (`a < b` is `b > a`).
    pub fn flipped(self) -> BinOp {
        match self {
            BinOp::Lt => BinOp::Gt,
            BinOp::LtEq => BinOp::GtEq,
            BinOp::Gt => BinOp::Lt,
            BinOp::GtEq => BinOp::LtEq,
            other => other,
        }
    }
}

/// A bound expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A constant.
    Literal(Value),
    /// The statement's parameter at this 0-based slot.
    Param(usize),
    /// The row's column at this position.
    Column {
        /// Position in the table's columns.
        pos: usize,
        /// The column's name, for EXPLAIN and errors.
        name: String,
    },
    /// The value of `expr` converted to a column's type (see [`coerce`]).
    Coerce {
        /// What is converted.
        expr: Box<Expr>,
        /// The target type.
        ty: ColumnType,
        /// `table.column` the value is for, for the error message.
        target: (String, String),
    },
    /// `NOT expr`.
    Not(Box<Expr>),
    /// `-expr`.
    Neg(Box<Expr>),
    /// `left op right`.
    Binary {
        /// The operator.
        op: BinOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `expr IS [NOT] NULL`.
    IsNull {
        /// The operand.
        expr: Box<Expr>,
        /// `IS NOT NULL`.
        negated: bool,
    },
    /// `expr [NOT] IN (list)`.
    InList {
        /// The operand.
        expr: Box<Expr>,
        /// The candidates.
        list: Vec<Expr>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `expr [NOT] BETWEEN low AND high`.
    Between {
        /// The operand.
        expr: Box<Expr>,
        /// Lower bound (inclusive).
        low: Box<Expr>,
        /// Upper bound (inclusive).
        high: Box<Expr>,
        /// `NOT BETWEEN`.
        negated: bool,
    },
    /// The aggregate call at `index` of a grouped query. It exists only while a query is bound:
    /// the binder rewrites it to the group-row column holding the call's result
    /// ([`aggregate`](super::aggregate)), so evaluating one is an error.
    Aggregate {
        /// Index into the query's aggregate calls.
        index: usize,
        /// The result type, when known.
        ty: Option<ColumnType>,
        /// The call as written.
        text: String,
    },
    /// `expr [NOT] LIKE pattern` (`%` any run, `_` one character, case-sensitive).
    Like {
        /// The operand.
        expr: Box<Expr>,
        /// The pattern.
        pattern: Box<Expr>,
        /// `NOT LIKE`.
        negated: bool,
    },
}

fn runtime(message: String) -> SchemaError {
    SchemaError::Sql(SqlError {
        message,
        line: 0,
        column: 0,
    })
}

impl Expr {
    /// Evaluates the expression over `row` with `params`.
    pub fn eval(&self, row: &[Value], params: &[Value]) -> Result<Value> {
        match self {
            Expr::Literal(v) => Ok(v.clone()),
            Expr::Param(i) => params
                .get(*i)
                .cloned()
                .ok_or_else(|| runtime(format!("parameter {} was not supplied", i + 1))),
            Expr::Column { pos, name } => row
                .get(*pos)
                .cloned()
                .ok_or_else(|| runtime(format!("column `{name}` is not in this row"))),
            Expr::Coerce { expr, ty, target } => {
                coerce(expr.eval(row, params)?, *ty, &target.0, &target.1)
            }
            Expr::Not(e) => match e.eval(row, params)? {
                Value::Null => Ok(Value::Null),
                Value::Bool(b) => Ok(Value::Bool(!b)),
                other => Err(runtime(format!("NOT needs a BOOLEAN, got {other}"))),
            },
            Expr::Neg(e) => match e.eval(row, params)? {
                Value::Null => Ok(Value::Null),
                Value::Int(v) => v
                    .checked_neg()
                    .map(Value::Int)
                    .ok_or_else(|| runtime(format!("integer overflow in -({v})"))),
                Value::Double(v) => Ok(Value::Double(-v)),
                other => Err(runtime(format!("cannot negate {other}"))),
            },
            Expr::Binary { op, left, right } => match op {
                BinOp::And => and(left.eval(row, params)?, || right.eval(row, params)),
                BinOp::Or => or(left.eval(row, params)?, || right.eval(row, params)),
                _ => binary(*op, left.eval(row, params)?, right.eval(row, params)?),
            },
            Expr::IsNull { expr, negated } => {
                Ok(Value::Bool(expr.eval(row, params)?.is_null() != *negated))
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let v = expr.eval(row, params)?;
                if v.is_null() {
                    return Ok(Value::Null);
                }
                let mut saw_null = false;
                for item in list {
                    match compare(&v, &item.eval(row, params)?)? {
                        Some(Ordering::Equal) => return Ok(Value::Bool(!negated)),
                        None => saw_null = true,
                        Some(_) => {}
                    }
                }
                Ok(if saw_null {
                    Value::Null
                } else {
                    Value::Bool(*negated)
                })
            }
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => {
                let v = expr.eval(row, params)?;
                let ge = binary(BinOp::GtEq, v.clone(), low.eval(row, params)?)?;
                let le = binary(BinOp::LtEq, v, high.eval(row, params)?)?;
                let inside = and(ge, || Ok(le))?;
                if *negated {
                    Expr::Not(Box::new(Expr::Literal(inside))).eval(row, params)
                } else {
                    Ok(inside)
                }
            }
            Expr::Aggregate { text, .. } => Err(runtime(format!(
                "aggregate {text} is not allowed here (only in the SELECT list, HAVING and ORDER BY of a query)"
            ))),
            Expr::Like {
                expr,
                pattern,
                negated,
            } => match (expr.eval(row, params)?, pattern.eval(row, params)?) {
                (Value::Null, _) | (_, Value::Null) => Ok(Value::Null),
                (Value::Text(s), Value::Text(p)) => Ok(Value::Bool(like(&s, &p) != *negated)),
                (a, b) => Err(runtime(format!(
                    "LIKE needs TEXT operands, got {a} and {b}"
                ))),
            },
        }
    }

    /// Whether the expression reads no column (its value depends only on the parameters).
    pub fn is_constant(&self) -> bool {
        match self {
            Expr::Literal(_) | Expr::Param(_) => true,
            Expr::Column { .. } | Expr::Aggregate { .. } => false,
            Expr::Coerce { expr, .. } | Expr::Not(expr) | Expr::Neg(expr) => expr.is_constant(),
            Expr::IsNull { expr, .. } => expr.is_constant(),
            Expr::Binary { left, right, .. } => left.is_constant() && right.is_constant(),
            Expr::InList { expr, list, .. } => {
                expr.is_constant() && list.iter().all(Expr::is_constant)
            }
            Expr::Between {
                expr, low, high, ..
            } => expr.is_constant() && low.is_constant() && high.is_constant(),
            Expr::Like { expr, pattern, .. } => expr.is_constant() && pattern.is_constant(),
        }
    }

    /// The column this expression is, if it is a bare column reference.
    pub fn as_column(&self) -> Option<usize> {
        match self {
            Expr::Column { pos, .. } => Some(*pos),
            _ => None,
        }
    }

    /// The conjuncts of an `AND` chain (the expression itself if it is not an `AND`).
    pub fn conjuncts(&self) -> Vec<&Expr> {
        match self {
            Expr::Binary {
                op: BinOp::And,
                left,
                right,
            } => {
                let mut out = left.conjuncts();
                out.extend(right.conjuncts());
                out
            }
            other => vec![other],
        }
    }
}

/// Whether a filter's value keeps the row (only `TRUE` does).
pub fn is_true(v: &Value) -> bool {
    matches!(v, Value::Bool(true))
}

fn and(left: Value, right: impl FnOnce() -> Result<Value>) -> Result<Value> {
    match left {
        Value::Bool(false) => Ok(Value::Bool(false)),
        Value::Bool(true) | Value::Null => match (left, right()?) {
            (_, Value::Bool(false)) => Ok(Value::Bool(false)),
            (Value::Bool(true), Value::Bool(true)) => Ok(Value::Bool(true)),
            (_, Value::Null) | (Value::Null, Value::Bool(true)) => Ok(Value::Null),
            (_, other) => Err(runtime(format!("AND needs BOOLEAN operands, got {other}"))),
        },
        other => Err(runtime(format!("AND needs BOOLEAN operands, got {other}"))),
    }
}

fn or(left: Value, right: impl FnOnce() -> Result<Value>) -> Result<Value> {
    match left {
        Value::Bool(true) => Ok(Value::Bool(true)),
        Value::Bool(false) | Value::Null => match (left, right()?) {
            (_, Value::Bool(true)) => Ok(Value::Bool(true)),
            (Value::Bool(false), Value::Bool(false)) => Ok(Value::Bool(false)),
            (_, Value::Null) | (Value::Null, Value::Bool(false)) => Ok(Value::Null),
            (_, other) => Err(runtime(format!("OR needs BOOLEAN operands, got {other}"))),
        },
        other => Err(runtime(format!("OR needs BOOLEAN operands, got {other}"))),
    }
}

/// Compares two values: `None` when either is `NULL`; integers and doubles compare numerically;
/// other pairs of different types are an error.
pub fn compare(a: &Value, b: &Value) -> Result<Option<Ordering>> {
    Ok(Some(match (a, b) {
        (Value::Null, _) | (_, Value::Null) => return Ok(None),
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Double(x), Value::Double(y)) => x.total_cmp(y),
        (Value::Int(x), Value::Double(y)) => (*x as f64).total_cmp(y),
        (Value::Double(x), Value::Int(y)) => x.total_cmp(&(*y as f64)),
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        (Value::Bytes(x), Value::Bytes(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Timestamp(x), Value::Timestamp(y)) => x.cmp(y),
        _ => {
            return Err(runtime(format!(
                "cannot compare {} with {} ({a} and {b})",
                a.type_name(),
                b.type_name()
            )));
        }
    }))
}

/// The total order `ORDER BY` sorts by: `NULL` first, then [`compare`]'s order (values of
/// different types, which a column never holds, by type tag).
pub fn sort_order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => match compare(a, b) {
            Ok(Some(o)) => o,
            _ => a
                .column_type()
                .map(ColumnType::tag)
                .cmp(&b.column_type().map(ColumnType::tag)),
        },
    }
}

fn binary(op: BinOp, a: Value, b: Value) -> Result<Value> {
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    if op.is_comparison() {
        let ord = compare(&a, &b)?.expect("NULL operands were handled above");
        let holds = match op {
            BinOp::Eq => ord == Ordering::Equal,
            BinOp::NotEq => ord != Ordering::Equal,
            BinOp::Lt => ord == Ordering::Less,
            BinOp::LtEq => ord != Ordering::Greater,
            BinOp::Gt => ord == Ordering::Greater,
            _ => ord != Ordering::Less,
        };
        return Ok(Value::Bool(holds));
    }
    let overflow = || runtime(format!("integer overflow in {a} {} {b}", op.symbol()));
    match (op, &a, &b) {
        (BinOp::Concat, Value::Text(x), Value::Text(y)) => Ok(Value::Text(format!("{x}{y}"))),
        (BinOp::Div | BinOp::Mod, Value::Int(_), Value::Int(0)) => Err(runtime(format!(
            "division by zero in {a} {} {b}",
            op.symbol()
        ))),
        (_, Value::Int(x), Value::Int(y)) => {
            let r = match op {
                BinOp::Add => x.checked_add(*y),
                BinOp::Sub => x.checked_sub(*y),
                BinOp::Mul => x.checked_mul(*y),
                BinOp::Div => x.checked_div(*y),
                BinOp::Mod => x.checked_rem(*y),
                _ => return Err(type_error(op, &a, &b)),
            };
            r.map(Value::Int).ok_or_else(overflow)
        }
        (_, Value::Int(_) | Value::Double(_), Value::Int(_) | Value::Double(_)) => {
            let (x, y) = (as_f64(&a), as_f64(&b));
            let r = match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div if y == 0.0 => {
                    return Err(runtime(format!("division by zero in {a} / {b}")));
                }
                BinOp::Div => x / y,
                BinOp::Mod if y == 0.0 => {
                    return Err(runtime(format!("division by zero in {a} % {b}")));
                }
                BinOp::Mod => x % y,
                _ => return Err(type_error(op, &a, &b)),
            };
            Ok(Value::Double(r))
        }
        _ => Err(type_error(op, &a, &b)),
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(x) => *x as f64,
        Value::Double(x) => *x,
        _ => f64::NAN,
    }
}

fn type_error(op: BinOp, a: &Value, b: &Value) -> SchemaError {
    runtime(format!(
        "operator {} does not apply to {} and {} ({a} {} {b})",
        op.symbol(),
        a.type_name(),
        b.type_name(),
        op.symbol()
    ))
}

/// Converts `v` for a column of type `ty` (`table.column`, named in the error): `NULL` and values
/// of that type pass; an integer becomes a double; RFC 3339 text (`2026-12-03T14:00:00Z`, or
/// with an offset, or a bare `2026-12-03 14:00:00` read as UTC) becomes a timestamp; anything
/// else is [`SchemaError::TypeMismatch`].
pub fn coerce(v: Value, ty: ColumnType, table: &str, column: &str) -> Result<Value> {
    if v.fits(ty) {
        return Ok(v);
    }
    let converted = match (&v, ty) {
        (Value::Int(x), ColumnType::Double) => Some(Value::Double(*x as f64)),
        (Value::Double(x), ColumnType::Int)
            if x.fract() == 0.0 && *x >= -(2f64.powi(63)) && *x < 2f64.powi(63) =>
        {
            Some(Value::Int(*x as i64))
        }
        (Value::Text(s), ColumnType::Timestamp) => parse_timestamp(s).map(Value::Timestamp),
        _ => None,
    };
    converted.ok_or_else(|| SchemaError::TypeMismatch {
        table: table.to_string(),
        column: column.to_string(),
        expected: ty.sql_name().to_string(),
        found: v.type_name().to_string(),
        value: v.to_string(),
    })
}

/// Microseconds since the epoch of an RFC 3339 timestamp (or `YYYY-MM-DD[ HH:MM:SS[.f]]`, UTC).
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(t) = parse_plain_datetime(s) {
        return Some(t);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_micros());
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_micros())
}

/// The fast path of [`parse_timestamp`] for the two forms bulk data uses, `YYYY-MM-DD` and
/// `YYYY-MM-DD HH:MM:SS`: fixed-position digits checked by chrono's calendar (no format
/// interpretation). Anything else is left to the general parsers.
fn parse_plain_datetime(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let digits = b.get(r)?;
        digits.iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let (hms, len_ok) = match b.len() {
        10 => ((0, 0, 0), true),
        19 if b.get(10) == Some(&b' ') && b.get(13) == Some(&b':') && b.get(16) == Some(&b':') => {
            ((num(11..13)?, num(14..16)?, num(17..19)?), true)
        }
        _ => ((0, 0, 0), false),
    };
    if !len_ok || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let t = date.and_hms_opt(hms.0, hms.1, hms.2)?;
    Some(t.and_utc().timestamp_micros())
}

/// SQL `LIKE`: `%` matches any run of characters, `_` exactly one; case-sensitive, no escape.
pub fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    // Iterative wildcard matching with backtracking to the last `%`.
    let (mut ti, mut pi) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('%') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '_' || *c == t[ti] => {
                ti += 1;
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '%')
}

#[cfg(test)]
#[path = "expr_tests.rs"]
mod tests;
