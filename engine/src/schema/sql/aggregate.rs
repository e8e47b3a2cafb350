//! Aggregation: `GROUP BY` and the aggregate functions `COUNT(*)`, `COUNT(x)`, `SUM`, `AVG`,
//! `MIN` and `MAX`.
//!
//! A grouped query is evaluated in two stages. The first runs over table rows: each row's
//! group-key expressions are evaluated, the key's memcomparable encoding finds its group, and
//! each aggregate's argument is fed to that group's accumulator. The second runs over *group
//! rows* — the group-key values followed by the aggregates' results, in that order — which is
//! what the binder rewrote the output columns, `HAVING` and `ORDER BY` to read
//! ([`Expr::Column`] positions into the group row). A query with aggregates and no `GROUP BY`
//! has exactly one group, even over no rows (`COUNT` is then 0 and the others `NULL`).
//!
//! Semantics follow SQL: aggregates skip `NULL`s; `SUM` of `BIGINT` is `BIGINT` (an overflow is
//! an error, not a wrap), of `DOUBLE` is `DOUBLE`; `AVG` is always `DOUBLE`; `MIN`/`MAX` keep
//! their argument's type and order values as comparisons do. Groups come out in the order of
//! their encoded keys (which is the values' order), so results are deterministic.

use std::collections::HashMap;

use super::super::error::{Result, SchemaError, SqlError};
use super::super::keys::encode_tuple;
use super::super::value::{ColumnType, Value};
use super::expr::{Expr, compare};

/// An aggregate function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggFunc {
    /// `COUNT(*)`: rows.
    CountStar,
    /// `COUNT(x)`: non-`NULL` values.
    Count,
    /// `SUM(x)`.
    Sum,
    /// `AVG(x)`.
    Avg,
    /// `MIN(x)`.
    Min,
    /// `MAX(x)`.
    Max,
}

impl AggFunc {
    /// The function named `name` (case-insensitive), if it is an aggregate.
    pub fn from_name(name: &str) -> Option<AggFunc> {
        Some(match name.to_ascii_lowercase().as_str() {
            "count" => AggFunc::Count,
            "sum" => AggFunc::Sum,
            "avg" => AggFunc::Avg,
            "min" => AggFunc::Min,
            "max" => AggFunc::Max,
            _ => return None,
        })
    }

    /// The function's SQL name.
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::CountStar | AggFunc::Count => "COUNT",
            AggFunc::Sum => "SUM",
            AggFunc::Avg => "AVG",
            AggFunc::Min => "MIN",
            AggFunc::Max => "MAX",
        }
    }

    /// The result type for an argument of type `arg`.
    pub fn result_type(self, arg: Option<ColumnType>) -> Option<ColumnType> {
        match self {
            AggFunc::CountStar | AggFunc::Count => Some(ColumnType::Int),
            AggFunc::Avg => Some(ColumnType::Double),
            AggFunc::Sum | AggFunc::Min | AggFunc::Max => arg,
        }
    }
}

/// One aggregate call: the function and its argument over the table row.
#[derive(Clone, Debug, PartialEq)]
pub struct AggCall {
    /// The function.
    pub func: AggFunc,
    /// The argument (`None` for `COUNT(*)`).
    pub arg: Option<Expr>,
    /// The call as written, for output names and `EXPLAIN`.
    pub text: String,
}

/// A bound aggregation: what the first stage computes.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    /// Group-key expressions over the table row (empty: one group).
    pub group_by: Vec<Expr>,
    /// The aggregate calls; their results follow the group keys in the group row.
    pub calls: Vec<AggCall>,
    /// `HAVING`, over the group row.
    pub having: Option<Expr>,
}

fn runtime(message: String) -> SchemaError {
    SchemaError::Sql(SqlError {
        message,
        line: 0,
        column: 0,
    })
}

/// One aggregate's running state.
#[derive(Clone, Debug)]
pub enum Accumulator {
    /// Rows or non-`NULL` values counted.
    Count(i64),
    /// A `BIGINT` sum (`None`: no value yet).
    SumInt(Option<i64>),
    /// A `DOUBLE` sum (`None`: no value yet).
    SumDouble(Option<f64>),
    /// `AVG`: sum and count.
    Avg(f64, i64),
    /// `MIN` or `MAX` so far (`Null`: none yet), and whether it is `MAX`.
    Extreme(Value, bool),
}

impl Accumulator {
    /// A fresh accumulator for `func`.
    pub fn new(func: AggFunc) -> Accumulator {
        match func {
            AggFunc::CountStar | AggFunc::Count => Accumulator::Count(0),
            AggFunc::Sum => Accumulator::SumInt(None),
            AggFunc::Avg => Accumulator::Avg(0.0, 0),
            AggFunc::Min => Accumulator::Extreme(Value::Null, false),
            AggFunc::Max => Accumulator::Extreme(Value::Null, true),
        }
    }

    /// Feeds one value (`COUNT(*)` is fed `Bool(true)` per row).
    pub fn update(&mut self, v: Value) -> Result<()> {
        if v.is_null() {
            return Ok(());
        }
        match self {
            Accumulator::Count(n) => *n += 1,
            Accumulator::SumInt(s) => match v {
                Value::Int(x) => {
                    let sum = s.unwrap_or(0);
                    *s = Some(sum.checked_add(x).ok_or_else(|| {
                        runtime(format!("integer overflow in SUM ({sum} + {x})"))
                    })?);
                }
                Value::Double(x) => {
                    *self = Accumulator::SumDouble(Some(s.unwrap_or(0) as f64 + x));
                }
                other => return Err(runtime(format!("SUM needs numbers, got {other}"))),
            },
            Accumulator::SumDouble(s) => match v {
                Value::Int(x) => *s = Some(s.unwrap_or(0.0) + x as f64),
                Value::Double(x) => *s = Some(s.unwrap_or(0.0) + x),
                other => return Err(runtime(format!("SUM needs numbers, got {other}"))),
            },
            Accumulator::Avg(sum, n) => {
                match v {
                    Value::Int(x) => *sum += x as f64,
                    Value::Double(x) => *sum += x,
                    other => return Err(runtime(format!("AVG needs numbers, got {other}"))),
                }
                *n += 1;
            }
            Accumulator::Extreme(best, is_max) => {
                let replace = best.is_null()
                    || match compare(&v, best)? {
                        Some(o) => {
                            if *is_max {
                                o.is_gt()
                            } else {
                                o.is_lt()
                            }
                        }
                        None => false,
                    };
                if replace {
                    *best = v;
                }
            }
        }
        Ok(())
    }

    /// The aggregate's result.
    pub fn finish(&self) -> Value {
        match self {
            Accumulator::Count(n) => Value::Int(*n),
            Accumulator::SumInt(s) => s.map_or(Value::Null, Value::Int),
            Accumulator::SumDouble(s) => s.map_or(Value::Null, Value::Double),
            Accumulator::Avg(_, 0) => Value::Null,
            Accumulator::Avg(sum, n) => Value::Double(sum / *n as f64),
            Accumulator::Extreme(v, _) => v.clone(),
        }
    }
}

/// The groups of a grouped query being accumulated, keyed by the group key's encoding.
pub struct Groups<'a> {
    agg: &'a Aggregate,
    groups: HashMap<Vec<u8>, (Vec<Value>, Vec<Accumulator>)>,
}

impl<'a> Groups<'a> {
    /// No groups yet.
    pub fn new(agg: &'a Aggregate) -> Groups<'a> {
        Groups {
            agg,
            groups: HashMap::new(),
        }
    }

    /// Feeds one table row.
    pub fn add_row(&mut self, row: &[Value], params: &[Value]) -> Result<()> {
        let key = self
            .agg
            .group_by
            .iter()
            .map(|e| e.eval(row, params))
            .collect::<Result<Vec<_>>>()?;
        let mut encoded = Vec::new();
        encode_tuple(&mut encoded, &key);
        let calls = &self.agg.calls;
        let (_, accs) = self.groups.entry(encoded).or_insert_with(|| {
            (
                key,
                calls.iter().map(|c| Accumulator::new(c.func)).collect(),
            )
        });
        for (call, acc) in calls.iter().zip(accs.iter_mut()) {
            let v = match &call.arg {
                None => Value::Bool(true),
                Some(e) => e.eval(row, params)?,
            };
            acc.update(v)?;
        }
        Ok(())
    }

    /// The group rows (keys, then results), in key order, that pass `HAVING`.
    pub fn finish(self, params: &[Value]) -> Result<Vec<Vec<Value>>> {
        let agg = self.agg;
        let mut groups: Vec<_> = self.groups.into_iter().collect();
        if groups.is_empty() && agg.group_by.is_empty() {
            let accs = agg.calls.iter().map(|c| Accumulator::new(c.func)).collect();
            groups.push((Vec::new(), (Vec::new(), accs)));
        }
        groups.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Vec::with_capacity(groups.len());
        for (_, (mut key, accs)) in groups {
            key.extend(accs.iter().map(Accumulator::finish));
            if let Some(h) = &agg.having
                && !super::expr::is_true(&h.eval(&key, params)?)
            {
                continue;
            }
            out.push(key);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(pos: usize) -> Expr {
        Expr::Column {
            pos,
            name: format!("c{pos}"),
        }
    }

    fn call(func: AggFunc, arg: Option<Expr>) -> AggCall {
        AggCall {
            func,
            arg,
            text: func.name().into(),
        }
    }

    #[test]
    fn groups_accumulate_every_function_and_skip_nulls() {
        let agg = Aggregate {
            group_by: vec![col(0)],
            calls: vec![
                call(AggFunc::CountStar, None),
                call(AggFunc::Count, Some(col(1))),
                call(AggFunc::Sum, Some(col(1))),
                call(AggFunc::Avg, Some(col(1))),
                call(AggFunc::Min, Some(col(1))),
                call(AggFunc::Max, Some(col(1))),
            ],
            having: None,
        };
        let rows = [
            vec![Value::Text("b".into()), Value::Int(4)],
            vec![Value::Text("a".into()), Value::Int(1)],
            vec![Value::Text("b".into()), Value::Null],
            vec![Value::Text("b".into()), Value::Int(-2)],
            vec![Value::Text("a".into()), Value::Int(3)],
        ];
        let mut g = Groups::new(&agg);
        for r in &rows {
            g.add_row(r, &[]).expect("row");
        }
        let out = g.finish(&[]).expect("finish");
        assert_eq!(
            out,
            vec![
                vec![
                    Value::Text("a".into()),
                    Value::Int(2),
                    Value::Int(2),
                    Value::Int(4),
                    Value::Double(2.0),
                    Value::Int(1),
                    Value::Int(3),
                ],
                vec![
                    Value::Text("b".into()),
                    Value::Int(3),
                    Value::Int(2),
                    Value::Int(2),
                    Value::Double(1.0),
                    Value::Int(-2),
                    Value::Int(4),
                ],
            ]
        );
    }

    #[test]
    fn no_group_by_over_no_rows_is_one_group() {
        let agg = Aggregate {
            group_by: vec![],
            calls: vec![
                call(AggFunc::CountStar, None),
                call(AggFunc::Sum, Some(col(0))),
            ],
            having: None,
        };
        let out = Groups::new(&agg).finish(&[]).expect("finish");
        assert_eq!(out, vec![vec![Value::Int(0), Value::Null]]);
        let grouped = Aggregate {
            group_by: vec![col(0)],
            ..agg
        };
        assert!(
            Groups::new(&grouped)
                .finish(&[])
                .expect("finish")
                .is_empty()
        );
    }

    #[test]
    fn integer_sum_overflow_is_an_error_and_doubles_widen() {
        let mut acc = Accumulator::new(AggFunc::Sum);
        acc.update(Value::Int(i64::MAX)).expect("first");
        assert!(acc.update(Value::Int(1)).is_err());
        let mut mixed = Accumulator::new(AggFunc::Sum);
        mixed.update(Value::Int(2)).expect("int");
        mixed.update(Value::Double(0.5)).expect("double");
        assert_eq!(mixed.finish(), Value::Double(2.5));
    }
}
