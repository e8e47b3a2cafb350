//! Vectorized arithmetic: numeric expressions evaluated over a whole [`Batch`] at a time, one
//! tight loop per operator instead of one interpreted step per row.
//!
//! The expressions are those aggregates take in analytics queries — column references, numeric
//! constants, `+ - *` and negation. Semantics are the row evaluator's (`schema::sql::expr`):
//! `NULL` in, `NULL` out; `BIGINT` with `BIGINT` stays `BIGINT` and overflow is an error; any
//! `DOUBLE` operand makes the result `DOUBLE`. Anything else (division, text, comparisons) is
//! left to the row evaluator by the SQL layer.

use std::borrow::Cow;

use super::scan::Batch;
use super::vector::{Bitmap, ColumnVector, Values};
use crate::schema::error::{Result, SchemaError, SqlError};

/// An arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
}

impl ArithOp {
    fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
        }
    }
}

/// A vectorized numeric expression.
#[derive(Clone, Debug, PartialEq)]
pub enum VExpr {
    /// The batch's column at this table position.
    Column(usize),
    /// A `BIGINT` constant.
    Int(i64),
    /// A `DOUBLE` constant.
    Double(f64),
    /// `left op right`.
    Arith(ArithOp, Box<VExpr>, Box<VExpr>),
    /// `-expr`.
    Neg(Box<VExpr>),
}

fn runtime(message: String) -> SchemaError {
    SchemaError::Sql(SqlError {
        message,
        line: 0,
        column: 0,
    })
}

fn validity(a: &Option<Bitmap>, b: &Option<Bitmap>) -> Option<Bitmap> {
    match (a, b) {
        (None, None) => None,
        (Some(x), None) | (None, Some(x)) => Some(x.clone()),
        (Some(x), Some(y)) => Some(x.and(y)),
    }
}

fn constant(values: Values, len: usize) -> ColumnVector {
    let values = match values {
        Values::Int(v) => Values::Int(vec![v.first().copied().unwrap_or(0); len]),
        Values::Double(v) => Values::Double(vec![v.first().copied().unwrap_or(0.0); len]),
        other => other,
    };
    ColumnVector {
        values,
        validity: None,
    }
}

impl VExpr {
    /// Evaluates the expression over every row of `batch`.
    pub fn eval<'b>(&self, batch: &'b Batch) -> Result<Cow<'b, ColumnVector>> {
        Ok(match self {
            VExpr::Column(pos) => {
                let col = batch
                    .columns
                    .get(*pos)
                    .and_then(Option::as_ref)
                    .ok_or_else(|| runtime(format!("column {pos} was not read by the scan")))?;
                Cow::Borrowed(col)
            }
            VExpr::Int(v) => Cow::Owned(constant(Values::Int(vec![*v]), batch.len)),
            VExpr::Double(v) => Cow::Owned(constant(Values::Double(vec![*v]), batch.len)),
            VExpr::Neg(inner) => {
                let v = inner.eval(batch)?;
                let values = match &v.values {
                    Values::Int(x) => Values::Int(
                        x.iter()
                            .map(|a| {
                                a.checked_neg()
                                    .ok_or_else(|| runtime(format!("integer overflow in -({a})")))
                            })
                            .collect::<Result<_>>()?,
                    ),
                    Values::Double(x) => Values::Double(x.iter().map(|a| -a).collect()),
                    _ => return Err(runtime("cannot negate a non-number".into())),
                };
                Cow::Owned(ColumnVector {
                    values,
                    validity: v.validity.clone(),
                })
            }
            // A constant operand of a `DOUBLE` vector is applied as a scalar, not spread into
            // a vector first.
            VExpr::Arith(op, l, r) => match (l.constant(), r.constant()) {
                (Some(c), None) => {
                    let v = r.eval(batch)?;
                    match scalar_arith(*op, c, &v, true) {
                        Some(out) => Cow::Owned(out),
                        None => {
                            let lv = l.eval(batch)?;
                            Cow::Owned(arith(*op, &lv, &v)?)
                        }
                    }
                }
                (None, Some(c)) => {
                    let v = l.eval(batch)?;
                    match scalar_arith(*op, c, &v, false) {
                        Some(out) => Cow::Owned(out),
                        None => {
                            let rv = r.eval(batch)?;
                            Cow::Owned(arith(*op, &v, &rv)?)
                        }
                    }
                }
                _ => {
                    let (a, b) = (l.eval(batch)?, r.eval(batch)?);
                    Cow::Owned(arith(*op, &a, &b)?)
                }
            },
        })
    }
}

impl VExpr {
    /// The expression's value as a double, if it is a constant.
    fn constant(&self) -> Option<f64> {
        match self {
            VExpr::Int(v) => Some(*v as f64),
            VExpr::Double(v) => Some(*v),
            _ => None,
        }
    }
}

/// `c op v` (`left`) or `v op c` for a `DOUBLE` vector `v` (`None` for any other vector: an
/// integer one stays with integer arithmetic).
fn scalar_arith(op: ArithOp, c: f64, v: &ColumnVector, left: bool) -> Option<ColumnVector> {
    let f = |x: f64| match (op, left) {
        (ArithOp::Add, _) => c + x,
        (ArithOp::Mul, _) => c * x,
        (ArithOp::Sub, true) => c - x,
        (ArithOp::Sub, false) => x - c,
    };
    let Values::Double(x) = &v.values else {
        return None;
    };
    Some(ColumnVector {
        values: Values::Double(x.iter().map(|&x| f(x)).collect()),
        validity: v.validity.clone(),
    })
}

fn arith(op: ArithOp, a: &ColumnVector, b: &ColumnVector) -> Result<ColumnVector> {
    let validity = validity(&a.validity, &b.validity);
    let f = |x: f64, y: f64| match op {
        ArithOp::Add => x + y,
        ArithOp::Sub => x - y,
        ArithOp::Mul => x * y,
    };
    let values = match (&a.values, &b.values) {
        (Values::Int(x), Values::Int(y)) => {
            let mut out = Vec::with_capacity(x.len());
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                let r = match op {
                    ArithOp::Add => p.checked_add(*q),
                    ArithOp::Sub => p.checked_sub(*q),
                    ArithOp::Mul => p.checked_mul(*q),
                };
                match r {
                    Some(r) => out.push(r),
                    // A NULL row holds a placeholder; its overflow is no error.
                    None if validity.as_ref().is_some_and(|v| !v.get(i)) => out.push(0),
                    None => {
                        return Err(runtime(format!(
                            "integer overflow in {p} {} {q}",
                            op.symbol()
                        )));
                    }
                }
            }
            Values::Int(out)
        }
        (Values::Double(x), Values::Double(y)) => {
            Values::Double(x.iter().zip(y).map(|(p, q)| f(*p, *q)).collect())
        }
        (Values::Int(x), Values::Double(y)) => {
            Values::Double(x.iter().zip(y).map(|(p, q)| f(*p as f64, *q)).collect())
        }
        (Values::Double(x), Values::Int(y)) => {
            Values::Double(x.iter().zip(y).map(|(p, q)| f(*p, *q as f64)).collect())
        }
        _ => return Err(runtime(format!("{} needs numbers", op.symbol()))),
    };
    Ok(ColumnVector { values, validity })
}
