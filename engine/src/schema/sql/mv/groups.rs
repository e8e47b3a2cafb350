//! One group of a materialized view: its aggregate state, how a base row inserted or deleted
//! changes it, the result row it stands for, and its stored encoding
//! (`FF 53 05 <view id> 01 <group key>` → `01 | rows i64 | per aggregate: 01 count i64 |
//! 02 sum i128 and non-NULL count i64 | 03 extreme cell`, little-endian; the cell in the row
//! value encoding).
//!
//! `COUNT`, `SUM` and `AVG` are exact under inserts and deletes (sums are kept in 128 bits).
//! `MIN`/`MAX` follow inserts; deleting a value equal to the current extreme marks the group
//! stale, and the refresh recomputes that group from the base table.

#![deny(clippy::indexing_slicing)]

use std::cmp::Ordering;

use super::super::super::error::{Result, SchemaError, SqlError};
use super::super::super::keys::compare;
use super::super::super::row::{decode_cell, encode_cell};
use super::super::super::value::Value;
use super::super::aggregate::AggFunc;
use super::super::bind::view::{Shape, ViewOutput};
use crate::util::codec::{Reader, push_u64};

/// One aggregate's state.
#[derive(Clone, Debug, PartialEq)]
pub enum AggState {
    /// `COUNT(*)` (rows) or `COUNT(x)` (non-`NULL` values).
    Count(i64),
    /// `SUM` or `AVG`: the sum and how many non-`NULL` values it has.
    Sum {
        /// The sum.
        sum: i128,
        /// Non-`NULL` values summed.
        n: i64,
    },
    /// `MIN` or `MAX`: the extreme (`NULL`: none), and whether a deleted row held it.
    Extreme {
        /// The current extreme.
        value: Value,
        /// Whether it must be recomputed from the base table.
        stale: bool,
    },
}

/// A group's state: its row count and one state per aggregate of the view.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupState {
    /// Base rows in the group.
    pub rows: i64,
    /// The aggregates' states, in the view's aggregate order.
    pub aggs: Vec<AggState>,
}

/// `v` with the one representation the key encoding gives its class of equal values: `-0.0`
/// as `0.0`, every NaN as one NaN. Group values and extremes are kept canonical, so which of
/// two equal values arrived first never shows in the result.
pub fn canonical(v: &Value) -> Value {
    match v {
        Value::Double(d) if *d == 0.0 => Value::Double(0.0),
        Value::Double(d) if d.is_nan() => Value::Double(f64::NAN),
        other => other.clone(),
    }
}

fn runtime(message: String) -> SchemaError {
    SchemaError::Sql(SqlError {
        message,
        line: 0,
        column: 0,
    })
}

impl GroupState {
    /// The state of an empty group.
    pub fn new(shape: &Shape) -> GroupState {
        let aggs = shape
            .aggs
            .iter()
            .map(|a| match a.func {
                AggFunc::CountStar | AggFunc::Count => AggState::Count(0),
                AggFunc::Sum | AggFunc::Avg => AggState::Sum { sum: 0, n: 0 },
                AggFunc::Min | AggFunc::Max => AggState::Extreme {
                    value: Value::Null,
                    stale: false,
                },
            })
            .collect();
        GroupState { rows: 0, aggs }
    }

    /// Whether a `MIN`/`MAX` must be recomputed.
    pub fn stale(&self) -> bool {
        self.aggs
            .iter()
            .any(|a| matches!(a, AggState::Extreme { stale: true, .. }))
    }

    /// Applies base row `row` inserted (`insert`) or deleted.
    pub fn apply(&mut self, shape: &Shape, row: &[Value], insert: bool) {
        let sign: i64 = if insert { 1 } else { -1 };
        self.rows += sign;
        for (agg, st) in shape.aggs.iter().zip(&mut self.aggs) {
            let v = agg.arg.and_then(|p| row.get(p)).unwrap_or(&Value::Null);
            match st {
                AggState::Count(n) => {
                    if agg.func == AggFunc::CountStar || !v.is_null() {
                        *n += sign;
                    }
                }
                AggState::Sum { sum, n } => {
                    if let Value::Int(x) = v {
                        *sum += i128::from(sign) * i128::from(*x);
                        *n += sign;
                    }
                }
                AggState::Extreme { value, stale } => {
                    if v.is_null() {
                        continue;
                    }
                    let want = if agg.func == AggFunc::Max {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    };
                    if insert {
                        if value.is_null() || compare(v, value) == want {
                            *value = canonical(v);
                        }
                    } else if compare(v, value) == Ordering::Equal {
                        *stale = true;
                    }
                }
            }
        }
    }

    /// The result row of this group with group values `group` (in `GROUP BY` order).
    pub fn output(&self, shape: &Shape, group: &[Value], view: &str) -> Result<Vec<Value>> {
        let mut out = Vec::with_capacity(shape.outputs.len());
        for o in &shape.outputs {
            out.push(match *o {
                ViewOutput::Group(i) => group.get(i).cloned().unwrap_or(Value::Null),
                ViewOutput::Agg(j) => {
                    let func = shape.aggs.get(j).map_or(AggFunc::CountStar, |a| a.func);
                    match self.aggs.get(j) {
                        Some(AggState::Count(n)) => Value::Int(*n),
                        Some(AggState::Sum { n: 0, .. }) | None => Value::Null,
                        Some(AggState::Sum { sum, n }) if func == AggFunc::Avg => {
                            Value::Double(*sum as f64 / *n as f64)
                        }
                        Some(AggState::Sum { sum, .. }) => {
                            Value::Int(i64::try_from(*sum).map_err(|_| {
                                runtime(format!(
                                    "materialized view `{view}`: SUM overflows BIGINT ({sum})"
                                ))
                            })?)
                        }
                        Some(AggState::Extreme { value, .. }) => value.clone(),
                    }
                }
            });
        }
        Ok(out)
    }
}

/// Encodes a group's stored state.
pub fn encode_group(g: &GroupState) -> Vec<u8> {
    let mut out = vec![1u8];
    push_u64(&mut out, g.rows as u64);
    for a in &g.aggs {
        match a {
            AggState::Count(n) => {
                out.push(1);
                push_u64(&mut out, *n as u64);
            }
            AggState::Sum { sum, n } => {
                out.push(2);
                out.extend_from_slice(&sum.to_le_bytes());
                push_u64(&mut out, *n as u64);
            }
            AggState::Extreme { value, .. } => {
                out.push(3);
                encode_cell(&mut out, value);
            }
        }
    }
    out
}

/// Decodes a group's stored state for a view of `shape` (`what` names it in errors).
pub fn decode_group(shape: &Shape, bytes: &[u8], what: &str) -> Result<GroupState> {
    let corrupt = |reason: String| SchemaError::Corrupt {
        what: what.to_string(),
        reason,
    };
    let mut r = Reader::new(bytes);
    let e = |e: crate::util::codec::DecodeError| corrupt(e.to_string());
    let format = r.u8().map_err(e)?;
    if format != 1 {
        return Err(corrupt(format!("format {format}, expected 1")));
    }
    let rows = r.u64().map_err(e)? as i64;
    if rows <= 0 {
        return Err(corrupt(format!("a stored group of {rows} rows")));
    }
    let mut aggs = Vec::with_capacity(shape.aggs.len());
    for (j, agg) in shape.aggs.iter().enumerate() {
        let tag = r.u8().map_err(e)?;
        let expected = match agg.func {
            AggFunc::CountStar | AggFunc::Count => 1,
            AggFunc::Sum | AggFunc::Avg => 2,
            AggFunc::Min | AggFunc::Max => 3,
        };
        if tag != expected {
            return Err(corrupt(format!(
                "aggregate {j} has state tag {tag}, expected {expected}"
            )));
        }
        aggs.push(match tag {
            1 => AggState::Count(r.u64().map_err(e)? as i64),
            2 => {
                let b = r.bytes(16).map_err(e)?;
                let mut a = [0u8; 16];
                a.copy_from_slice(b);
                AggState::Sum {
                    sum: i128::from_le_bytes(a),
                    n: r.u64().map_err(e)? as i64,
                }
            }
            _ => AggState::Extreme {
                value: decode_cell(&mut r, &|| what.to_string())?,
                stale: false,
            },
        });
    }
    if !r.is_empty() {
        return Err(corrupt(format!("{} trailing bytes", r.remaining())));
    }
    Ok(GroupState { rows, aggs })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::schema::def::{ColumnDef, Storage, TableDef};
    use crate::schema::sql::bind::view::ViewAgg;
    use crate::schema::value::ColumnType;

    fn shape() -> Shape {
        let col = |id, name: &str, ty| ColumnDef {
            id,
            name: name.into(),
            ty,
            not_null: false,
            default: None,
        };
        let base = TableDef {
            id: 1,
            name: "t".into(),
            columns: vec![
                col(1, "id", ColumnType::Int),
                col(2, "g", ColumnType::Text),
                col(3, "x", ColumnType::Int),
            ],
            primary_key: vec![1],
            indexes: Vec::new(),
            version: 1,
            next_column_id: 4,
            next_index_id: 1,
            storage: Storage::Columnar { row_group: 1024 },
            partition: None,
        };
        let agg = |func, arg| ViewAgg { func, arg };
        Shape {
            base,
            filter: None,
            group: vec![1],
            aggs: vec![
                agg(AggFunc::CountStar, None),
                agg(AggFunc::Avg, Some(2)),
                agg(AggFunc::Max, Some(2)),
            ],
            outputs: vec![
                ViewOutput::Group(0),
                ViewOutput::Agg(0),
                ViewOutput::Agg(1),
                ViewOutput::Agg(2),
            ],
            columns: Vec::new(),
            key: vec![0],
        }
    }

    fn row(x: i64) -> Vec<Value> {
        vec![Value::Int(x), Value::Text("a".into()), Value::Int(x)]
    }

    #[test]
    fn inserts_and_deletes_are_exact_and_losing_the_maximum_marks_the_group() {
        let s = shape();
        let mut g = GroupState::new(&s);
        for x in [4, 9, 2] {
            g.apply(&s, &row(x), true);
        }
        g.apply(&s, &row(2), false);
        assert!(!g.stale(), "2 was not the maximum");
        let out = g
            .output(&s, &[Value::Text("a".into())], "v")
            .expect("output");
        assert_eq!(
            out,
            vec![
                Value::Text("a".into()),
                Value::Int(2),
                Value::Double(6.5),
                Value::Int(9)
            ]
        );
        g.apply(&s, &row(9), false);
        assert!(g.stale(), "the maximum was deleted");
    }

    #[test]
    fn stored_states_round_trip_and_bad_bytes_are_refused() {
        let s = shape();
        let mut g = GroupState::new(&s);
        g.apply(&s, &row(5), true);
        let b = encode_group(&g);
        assert_eq!(decode_group(&s, &b, "g").expect("decodes"), g);
        for cut in 0..b.len() {
            assert!(decode_group(&s, &b[..cut], "g").is_err(), "cut at {cut}");
        }
        let mut bad = b.clone();
        bad[9] = 3; // the first aggregate's tag: a count, not an extreme
        let err = decode_group(&s, &bad, "g").expect_err("tag");
        assert!(err.to_string().contains("state tag 3, expected 1"), "{err}");
        let empty = GroupState {
            rows: 0,
            ..g.clone()
        };
        assert!(decode_group(&s, &encode_group(&empty), "g").is_err());
    }
}
