//! Vectorized hash aggregation: `GROUP BY` columns and `COUNT/SUM/AVG/MIN/MAX` over batches.
//!
//! Per batch: each row's group id is found from its key columns' bytes (one hash probe per row,
//! a reused key buffer, no per-row values built), then each aggregate runs one typed loop over
//! its argument vector, adding into its per-group state. Results are the SQL layer's
//! ([`schema::sql::aggregate`](crate::schema::sql::aggregate)) value for value: `NULL`s are
//! skipped, `SUM` of `BIGINT` is a checked `BIGINT`, `AVG` is a `DOUBLE`, `MIN`/`MAX` keep the
//! argument's type, and a query without `GROUP BY` has one group even over no rows.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::scan::Batch;
use super::vector::{ColumnVector, Values};
use super::vexpr::VExpr;
use crate::schema::error::{Result, SchemaError, SqlError};
use crate::schema::keys::encode_tuple;
use crate::schema::value::{ColumnType, Value};

/// An aggregate function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggKind {
    /// `COUNT(*)`.
    CountStar,
    /// `COUNT(x)`.
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

/// One aggregate: its function, argument and the argument's type.
#[derive(Clone, Debug, PartialEq)]
pub struct AggSpec {
    /// The function.
    pub kind: AggKind,
    /// The argument (`None` for `COUNT(*)`).
    pub arg: Option<VExpr>,
    /// The argument's column type (for `MIN`/`MAX` of a timestamp, say).
    pub ty: Option<ColumnType>,
}

/// One aggregate's state for one group.
#[derive(Clone, Debug)]
enum State {
    Count(i64),
    SumInt(Option<i64>),
    SumDouble(Option<f64>),
    Avg(f64, i64),
    Extreme(Option<Value>),
}

fn runtime(message: String) -> SchemaError {
    SchemaError::Sql(SqlError {
        message,
        line: 0,
        column: 0,
    })
}

/// A hash aggregation in progress.
pub struct HashAggregate {
    keys: Vec<(usize, ColumnType)>,
    aggs: Vec<AggSpec>,
    groups: HashMap<Vec<u8>, u32>,
    key_values: Vec<Vec<Value>>,
    states: Vec<Vec<State>>,
    ids: Vec<u32>,
    buf: Vec<u8>,
}

fn push_key(buf: &mut Vec<u8>, col: &ColumnVector, i: usize) {
    if col.is_null(i) {
        buf.push(0);
        return;
    }
    buf.push(1);
    match &col.values {
        Values::Int(v) => buf.extend_from_slice(&v.get(i).copied().unwrap_or(0).to_le_bytes()),
        Values::Double(v) => {
            let x = v.get(i).copied().unwrap_or(0.0);
            // -0.0 and 0.0 are one group, as they compare equal.
            let x = if x == 0.0 { 0.0 } else { x };
            buf.extend_from_slice(&x.to_bits().to_le_bytes());
        }
        Values::Bool(v) => buf.push(u8::from(v.get(i).copied().unwrap_or(false))),
        Values::Bytes(c) => {
            let b = c.get(i);
            buf.extend_from_slice(&(b.len() as u32).to_le_bytes());
            buf.extend_from_slice(b);
        }
    }
}

impl HashAggregate {
    /// An aggregation grouping by the columns `keys` (table position and type).
    pub fn new(keys: Vec<(usize, ColumnType)>, aggs: Vec<AggSpec>) -> HashAggregate {
        HashAggregate {
            keys,
            aggs,
            groups: HashMap::new(),
            key_values: Vec::new(),
            states: Vec::new(),
            ids: Vec::new(),
            buf: Vec::new(),
        }
    }

    fn fresh(&self) -> Vec<State> {
        self.aggs
            .iter()
            .map(|a| match a.kind {
                AggKind::CountStar | AggKind::Count => State::Count(0),
                AggKind::Sum => match a.ty {
                    Some(ColumnType::Double) => State::SumDouble(None),
                    _ => State::SumInt(None),
                },
                AggKind::Avg => State::Avg(0.0, 0),
                AggKind::Min | AggKind::Max => State::Extreme(None),
            })
            .collect()
    }

    /// The group ids of the batch's rows (new groups created as met).
    fn group_ids(&mut self, batch: &Batch) -> Result<()> {
        self.ids.clear();
        if self.keys.is_empty() {
            if self.states.is_empty() {
                let s = self.fresh();
                self.states.push(s);
                self.key_values.push(Vec::new());
            }
            self.ids.resize(batch.len, 0);
            return Ok(());
        }
        let cols = self
            .keys
            .iter()
            .map(|(pos, _)| {
                batch
                    .columns
                    .get(*pos)
                    .and_then(Option::as_ref)
                    .ok_or_else(|| runtime(format!("group column {pos} was not read by the scan")))
            })
            .collect::<Result<Vec<_>>>()?;
        for i in 0..batch.len {
            self.buf.clear();
            for c in &cols {
                push_key(&mut self.buf, c, i);
            }
            let id = match self.groups.get(self.buf.as_slice()) {
                Some(id) => *id,
                None => {
                    let id = self.states.len() as u32;
                    self.groups.insert(self.buf.clone(), id);
                    let fresh = self.fresh();
                    self.states.push(fresh);
                    self.key_values.push(
                        cols.iter()
                            .zip(&self.keys)
                            .map(|(c, (_, ty))| c.value(i, *ty))
                            .collect(),
                    );
                    id
                }
            };
            self.ids.push(id);
        }
        Ok(())
    }

    /// Adds a batch.
    pub fn add(&mut self, batch: &Batch) -> Result<()> {
        self.group_ids(batch)?;
        for a in 0..self.aggs.len() {
            let spec = self.aggs[a].clone();
            let Some(arg) = &spec.arg else {
                for &g in &self.ids {
                    if let State::Count(n) = &mut self.states[g as usize][a] {
                        *n += 1;
                    }
                }
                continue;
            };
            let v = arg.eval(batch)?;
            self.feed(a, &spec, &v)?;
        }
        Ok(())
    }

    fn feed(&mut self, a: usize, spec: &AggSpec, v: &ColumnVector) -> Result<()> {
        let ids = &self.ids;
        let states = &mut self.states;
        let valid = |i: usize| !v.is_null(i);
        match (&v.values, spec.kind) {
            (_, AggKind::Count) => {
                for (i, &g) in ids.iter().enumerate() {
                    if valid(i)
                        && let State::Count(n) = &mut states[g as usize][a]
                    {
                        *n += 1;
                    }
                }
            }
            (Values::Double(x), AggKind::Sum | AggKind::Avg) => {
                for (i, (&g, &val)) in ids.iter().zip(x).enumerate() {
                    if !valid(i) {
                        continue;
                    }
                    match &mut states[g as usize][a] {
                        State::SumDouble(s) => *s = Some(s.unwrap_or(0.0) + val),
                        State::SumInt(s) => {
                            let base = s.map_or(0.0, |s| s as f64);
                            states[g as usize][a] = State::SumDouble(Some(base + val));
                        }
                        State::Avg(s, n) => {
                            *s += val;
                            *n += 1;
                        }
                        _ => {}
                    }
                }
            }
            (Values::Int(x), AggKind::Sum | AggKind::Avg) => {
                for (i, (&g, &val)) in ids.iter().zip(x).enumerate() {
                    if !valid(i) {
                        continue;
                    }
                    match &mut states[g as usize][a] {
                        State::SumInt(s) => {
                            let sum = s.unwrap_or(0);
                            *s = Some(sum.checked_add(val).ok_or_else(|| {
                                runtime(format!("integer overflow in SUM ({sum} + {val})"))
                            })?);
                        }
                        State::SumDouble(s) => *s = Some(s.unwrap_or(0.0) + val as f64),
                        State::Avg(s, n) => {
                            *s += val as f64;
                            *n += 1;
                        }
                        _ => {}
                    }
                }
            }
            (_, AggKind::Min | AggKind::Max) => {
                let ty = spec.ty.unwrap_or(ColumnType::Int);
                let want = if spec.kind == AggKind::Max {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
                for (i, &g) in ids.iter().enumerate() {
                    if !valid(i) {
                        continue;
                    }
                    if let State::Extreme(best) = &mut states[g as usize][a] {
                        let better = match best {
                            None => true,
                            Some(b) => compare_at(v, i, b) == Some(want),
                        };
                        if better {
                            *best = Some(v.value(i, ty));
                        }
                    }
                }
            }
            _ => return Err(runtime("SUM and AVG need numbers".into())),
        }
        Ok(())
    }

    /// The group rows — key values, then each aggregate's result — sorted by key.
    pub fn finish(mut self) -> Vec<Vec<Value>> {
        if self.keys.is_empty() && self.states.is_empty() {
            let s = self.fresh();
            self.states.push(s);
            self.key_values.push(Vec::new());
        }
        let mut rows: Vec<(Vec<u8>, Vec<Value>)> = self
            .key_values
            .into_iter()
            .zip(self.states)
            .map(|(mut key, states)| {
                let mut sort_key = Vec::new();
                encode_tuple(&mut sort_key, &key);
                key.extend(states.into_iter().map(|s| match s {
                    State::Count(n) => Value::Int(n),
                    State::SumInt(s) => s.map_or(Value::Null, Value::Int),
                    State::SumDouble(s) => s.map_or(Value::Null, Value::Double),
                    State::Avg(_, 0) => Value::Null,
                    State::Avg(s, n) => Value::Double(s / n as f64),
                    State::Extreme(v) => v.unwrap_or(Value::Null),
                }));
                (sort_key, key)
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows.into_iter().map(|(_, r)| r).collect()
    }
}

/// Row `i` of `v` compared with `b` (of the same type).
fn compare_at(v: &ColumnVector, i: usize, b: &Value) -> Option<Ordering> {
    match (&v.values, b) {
        (Values::Int(x), Value::Int(y) | Value::Timestamp(y)) => x.get(i).map(|a| a.cmp(y)),
        (Values::Double(x), Value::Double(y)) => x.get(i).and_then(|a| a.partial_cmp(y)),
        (Values::Bool(x), Value::Bool(y)) => x.get(i).map(|a| a.cmp(y)),
        (Values::Bytes(c), Value::Text(s)) => Some(c.get(i).cmp(s.as_bytes())),
        (Values::Bytes(c), Value::Bytes(s)) => Some(c.get(i).cmp(s.as_slice())),
        _ => None,
    }
}
