//! Columnar tables in SQL: statements on a table created `WITH (storage = 'columnar')` run
//! through the columnar layer ([`crate::columnar`]) instead of the row layer.
//!
//! - **Pushdown**: the filter's conjuncts of the form `column op constant`, `column BETWEEN a
//!   AND b`, `column IS [NOT] NULL` and `column IN (constants)` become chunk predicates, which
//!   the scan checks against zone maps and evaluates on encoded chunks; every other conjunct
//!   stays a residual filter evaluated per row.
//! - **Projection**: the scan decodes only the columns the statement mentions.
//! - **Aggregation**: a grouped query whose keys are columns, whose aggregate arguments are
//!   numeric expressions (`+ - *` over columns and constants) and whose whole filter was pushed
//!   down runs vectorized ([`crate::columnar::aggregate`]); any other runs through the row
//!   aggregator over the scanned rows, with the same results.
//! - **Writes**: `INSERT` rows go through [`crate::columnar::write::insert`]; `DELETE` marks the
//!   rows it finds; `UPDATE` deletes them and inserts their new versions.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::super::def::TableDef;
use super::super::error::Result;
use super::super::value::{ColumnType, Value};
use super::aggregate::{AggFunc, Aggregate, Groups};
use super::bind::{Select, type_of};
use super::expr::{BinOp, Expr, is_true};
use crate::Transaction;
use crate::columnar::aggregate::{AggKind, AggSpec, HashAggregate};
use crate::columnar::scan::{self, Batch, DEFAULT_BATCH, MIN_BATCH, ScanSpec, ScanStats};
use crate::columnar::vexpr::{ArithOp, VExpr};
use crate::columnar::write::{self, Location};
use crate::columnar::{ChunkPredicate, CmpOp, Scalar};

static BATCH_ROWS: AtomicUsize = AtomicUsize::new(DEFAULT_BATCH);

/// Sets the rows per batch of columnar scans in this process (at least 1024).
pub fn set_batch_rows(n: usize) {
    BATCH_ROWS.store(n.max(MIN_BATCH), Ordering::Relaxed);
}

/// The rows per batch of columnar scans.
pub fn batch_rows() -> usize {
    BATCH_ROWS.load(Ordering::Relaxed)
}

/// A filter split into what the scan evaluates and what is left.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pushdown {
    /// Chunk predicates, (column position, predicate).
    pub predicates: Vec<(usize, ChunkPredicate)>,
    /// The conjuncts left for the row evaluator, `AND`ed.
    pub residual: Option<Expr>,
    /// Whether a conjunct can never be true (a comparison with `NULL`): nothing matches.
    pub empty: bool,
}

fn cmp_op(op: BinOp) -> Option<CmpOp> {
    Some(match op {
        BinOp::Eq => CmpOp::Eq,
        BinOp::NotEq => CmpOp::Ne,
        BinOp::Lt => CmpOp::Lt,
        BinOp::LtEq => CmpOp::Le,
        BinOp::Gt => CmpOp::Gt,
        BinOp::GtEq => CmpOp::Ge,
        _ => return None,
    })
}

/// A constant's value as a chunk constant: `Ok(None)` for NULL, `Err` if it is not constant.
fn constant(e: &Expr, params: &[Value]) -> Result<Option<Option<Scalar>>> {
    if !e.is_constant() {
        return Ok(None);
    }
    Ok(Some(scan::scalar(&e.eval(&[], params)?)))
}

enum Pushed {
    No,
    Never,
    Yes(usize, ChunkPredicate),
}

fn push_one(c: &Expr, params: &[Value]) -> Result<Pushed> {
    Ok(match c {
        Expr::Binary { op, left, right } if op.is_comparison() => {
            let (pos, op, value) = match (left.as_column(), right.as_column()) {
                (Some(p), None) => (p, *op, right.as_ref()),
                (None, Some(p)) => (p, op.flipped(), left.as_ref()),
                _ => return Ok(Pushed::No),
            };
            let (Some(op), Some(v)) = (cmp_op(op), constant(value, params)?) else {
                return Ok(Pushed::No);
            };
            match v {
                Some(value) => Pushed::Yes(pos, ChunkPredicate::Cmp { op, value }),
                None => Pushed::Never,
            }
        }
        Expr::Between {
            expr,
            low,
            high,
            negated: false,
        } => {
            let Some(pos) = expr.as_column() else {
                return Ok(Pushed::No);
            };
            match (constant(low, params)?, constant(high, params)?) {
                (Some(Some(lo)), Some(Some(hi))) => {
                    Pushed::Yes(pos, ChunkPredicate::Between { lo, hi })
                }
                (Some(None), Some(_)) | (Some(_), Some(None)) => Pushed::Never,
                _ => Pushed::No,
            }
        }
        Expr::IsNull { expr, negated } => match expr.as_column() {
            Some(pos) if *negated => Pushed::Yes(pos, ChunkPredicate::IsNotNull),
            Some(pos) => Pushed::Yes(pos, ChunkPredicate::IsNull),
            None => Pushed::No,
        },
        Expr::InList {
            expr,
            list,
            negated: false,
        } => {
            let Some(pos) = expr.as_column() else {
                return Ok(Pushed::No);
            };
            let mut values = Vec::with_capacity(list.len());
            for item in list {
                match constant(item, params)? {
                    Some(Some(v)) => values.push(v),
                    // `x IN (…, NULL)` is NULL, not FALSE, where nothing else matches: the row
                    // evaluator keeps that distinction.
                    _ => return Ok(Pushed::No),
                }
            }
            Pushed::Yes(pos, ChunkPredicate::InList(values))
        }
        _ => Pushed::No,
    })
}

/// Splits `filter` into chunk predicates and a residual.
pub fn pushdown(filter: Option<&Expr>, params: &[Value]) -> Result<Pushdown> {
    let mut out = Pushdown::default();
    let Some(f) = filter else {
        return Ok(out);
    };
    let mut rest = Vec::new();
    for c in f.conjuncts() {
        match push_one(c, params)? {
            Pushed::Yes(pos, p) => out.predicates.push((pos, p)),
            Pushed::Never => out.empty = true,
            Pushed::No => rest.push(c.clone()),
        }
    }
    out.predicates = merge_ranges(std::mem::take(&mut out.predicates));
    out.residual = rest.into_iter().reduce(|a, b| Expr::Binary {
        op: BinOp::And,
        left: Box::new(a),
        right: Box::new(b),
    });
    Ok(out)
}

/// An inclusive bound equivalent to `op value` on the lower (`Ge`) or upper (`Le`) side, for
/// integers and doubles (an exclusive bound moves to the next representable value).
fn inclusive(op: CmpOp, value: &Scalar) -> Option<(bool, Scalar)> {
    use Scalar as S;
    Some(match (op, value) {
        (CmpOp::Ge, v) => (true, v.clone()),
        (CmpOp::Le, v) => (false, v.clone()),
        (CmpOp::Gt, S::Int(x)) => (true, S::Int(x.checked_add(1)?)),
        (CmpOp::Lt, S::Int(x)) => (false, S::Int(x.checked_sub(1)?)),
        (CmpOp::Gt, S::Double(x)) if x.is_finite() => (true, S::Double(x.next_up())),
        (CmpOp::Lt, S::Double(x)) if x.is_finite() => (false, S::Double(x.next_down())),
        _ => return None,
    })
}

/// Merges a lower and an upper bound on one column (`a >= x AND a < y`) into one `BETWEEN`,
/// so the scan filters that column's chunk once.
fn merge_ranges(preds: Vec<(usize, ChunkPredicate)>) -> Vec<(usize, ChunkPredicate)> {
    let mut out: Vec<(usize, ChunkPredicate)> = Vec::with_capacity(preds.len());
    for (pos, p) in preds {
        let bound = match &p {
            ChunkPredicate::Cmp { op, value } if !matches!(value, Scalar::Bytes(_)) => {
                inclusive(*op, value)
            }
            _ => None,
        };
        let partner = bound.as_ref().and_then(|(lower, _)| {
            out.iter().position(|(q, other)| {
                *q == pos
                    && matches!(other, ChunkPredicate::Cmp { op, value }
                        if !matches!(value, Scalar::Bytes(_))
                        && inclusive(*op, value).is_some_and(|(l, _)| l != *lower))
            })
        });
        match (bound, partner) {
            (Some((lower, v)), Some(i)) => {
                let ChunkPredicate::Cmp { op, value } = &out[i].1 else {
                    continue;
                };
                let Some((_, w)) = inclusive(*op, value) else {
                    continue;
                };
                let (lo, hi) = if lower { (v, w) } else { (w, v) };
                out[i].1 = ChunkPredicate::Between { lo, hi };
            }
            _ => out.push((pos, p)),
        }
    }
    out
}

/// Adds the table positions `e` reads to `out`.
pub fn columns_of(e: &Expr, out: &mut Vec<usize>) {
    let mut add = |p: usize| {
        if !out.contains(&p) {
            out.push(p);
        }
    };
    match e {
        Expr::Column { pos, .. } => add(*pos),
        Expr::Literal(_) | Expr::Param(_) | Expr::Aggregate { .. } => {}
        Expr::Coerce { expr, .. }
        | Expr::Not(expr)
        | Expr::Neg(expr)
        | Expr::IsNull { expr, .. } => {
            columns_of(expr, out);
        }
        Expr::Binary { left, right, .. } => {
            columns_of(left, out);
            columns_of(right, out);
        }
        Expr::InList { expr, list, .. } => {
            columns_of(expr, out);
            for i in list {
                columns_of(i, out);
            }
        }
        Expr::Between {
            expr, low, high, ..
        } => {
            columns_of(expr, out);
            columns_of(low, out);
            columns_of(high, out);
        }
        Expr::Like { expr, pattern, .. } => {
            columns_of(expr, out);
            columns_of(pattern, out);
        }
    }
}

/// `e` as a vectorized expression, if it is one.
fn vexpr(e: &Expr, params: &[Value]) -> Result<Option<VExpr>> {
    Ok(match e {
        Expr::Column { pos, .. } => Some(VExpr::Column(*pos)),
        e if e.is_constant() => match e.eval(&[], params)? {
            Value::Int(v) => Some(VExpr::Int(v)),
            Value::Double(v) => Some(VExpr::Double(v)),
            _ => None,
        },
        Expr::Neg(inner) => vexpr(inner, params)?.map(|v| VExpr::Neg(Box::new(v))),
        Expr::Binary { op, left, right } => {
            let op = match op {
                BinOp::Add => ArithOp::Add,
                BinOp::Sub => ArithOp::Sub,
                BinOp::Mul => ArithOp::Mul,
                _ => return Ok(None),
            };
            match (vexpr(left, params)?, vexpr(right, params)?) {
                (Some(l), Some(r)) => Some(VExpr::Arith(op, Box::new(l), Box::new(r))),
                _ => None,
            }
        }
        _ => None,
    })
}

/// The batch's row `i`, full width (columns the scan did not read are `NULL`).
fn row_of(def: &TableDef, batch: &Batch, i: usize) -> Vec<Value> {
    def.columns
        .iter()
        .zip(&batch.columns)
        .map(|(c, v)| v.as_ref().map_or(Value::Null, |v| v.value(i, c.ty)))
        .collect()
}

fn spec_for(columns: Vec<usize>, push: &Pushdown, locations: bool) -> ScanSpec {
    ScanSpec {
        columns,
        predicates: push.predicates.clone(),
        batch_size: batch_rows(),
        locations,
    }
}

/// The vectorized plan of a grouped query, if it has one.
fn vectorized(def: &TableDef, agg: &Aggregate, params: &[Value]) -> Result<Option<HashAggregate>> {
    let mut keys = Vec::with_capacity(agg.group_by.len());
    for g in &agg.group_by {
        let Some(pos) = g.as_column() else {
            return Ok(None);
        };
        let Some(col) = def.columns.get(pos) else {
            return Ok(None);
        };
        keys.push((pos, col.ty));
    }
    let mut specs = Vec::with_capacity(agg.calls.len());
    for call in &agg.calls {
        let arg = match &call.arg {
            None => None,
            Some(a) => match vexpr(a, params)? {
                Some(v) => Some(v),
                None => return Ok(None),
            },
        };
        let ty = call.arg.as_ref().and_then(|a| type_of(a, Some(def)));
        if matches!(call.func, AggFunc::Sum | AggFunc::Avg)
            && !matches!(ty, Some(ColumnType::Int | ColumnType::Double))
        {
            return Ok(None);
        }
        let kind = match call.func {
            AggFunc::CountStar => AggKind::CountStar,
            AggFunc::Count => AggKind::Count,
            AggFunc::Sum => AggKind::Sum,
            AggFunc::Avg => AggKind::Avg,
            AggFunc::Min => AggKind::Min,
            AggFunc::Max => AggKind::Max,
        };
        specs.push(AggSpec { kind, arg, ty });
    }
    Ok(Some(HashAggregate::new(keys, specs)))
}

/// The rows a `SELECT` on the columnar table `def` produces before sorting, `LIMIT` and
/// projection: table rows passing the filter (at most `stop`), or a grouped query's group rows
/// (`HAVING` applied). Also what the scan read.
pub fn select(
    txn: &mut Transaction<'_>,
    s: &Select,
    def: &TableDef,
    params: &[Value],
    stop: Option<usize>,
) -> Result<(Vec<Vec<Value>>, ScanStats)> {
    let push = pushdown(s.plan.residual.as_ref(), params)?;
    let mut needed = Vec::new();
    for c in &s.columns {
        columns_of(&c.expr, &mut needed);
    }
    if let Some(r) = &push.residual {
        columns_of(r, &mut needed);
    }
    match &s.aggregate {
        Some(agg) => {
            let mut needed = Vec::new();
            for g in &agg.group_by {
                columns_of(g, &mut needed);
            }
            for a in agg.calls.iter().filter_map(|c| c.arg.as_ref()) {
                columns_of(a, &mut needed);
            }
            if let Some(r) = &push.residual {
                columns_of(r, &mut needed);
            }
            let spec = spec_for(needed, &push, false);
            if let (None, Some(mut hash)) = (&push.residual, vectorized(def, agg, params)?) {
                // Each segment is aggregated on the scan thread that decoded it; the partial
                // states merge here in segment order.
                let stats = if push.empty {
                    ScanStats::default()
                } else {
                    let proto = hash.empty_like();
                    let init = || proto.empty_like();
                    let step = |h: &mut HashAggregate, b: Batch| h.add(&b);
                    scan::fold(txn, def, &spec, &init, &step, &mut |part| hash.merge(part))?
                };
                let mut rows = hash.finish();
                if let Some(h) = &agg.having {
                    let mut kept = Vec::with_capacity(rows.len());
                    for r in rows {
                        if is_true(&h.eval(&r, params)?) {
                            kept.push(r);
                        }
                    }
                    rows = kept;
                }
                return Ok((rows, stats));
            }
            let mut groups = Groups::new(agg);
            let stats = if push.empty {
                ScanStats::default()
            } else {
                scan::scan(txn, def, &spec, &mut |b| {
                    for i in 0..b.len {
                        let row = row_of(def, &b, i);
                        if let Some(r) = &push.residual
                            && !is_true(&r.eval(&row, params)?)
                        {
                            continue;
                        }
                        groups.add_row(&row, params)?;
                    }
                    Ok(true)
                })?
            };
            Ok((groups.finish(params)?, stats))
        }
        None => {
            for (e, _) in &s.order_by {
                columns_of(e, &mut needed);
            }
            let mut rows = Vec::new();
            let stop = stop.unwrap_or(usize::MAX);
            if push.empty || stop == 0 {
                return Ok((rows, ScanStats::default()));
            }
            let spec = spec_for(needed, &push, false);
            let stats = scan::scan(txn, def, &spec, &mut |b| {
                for i in 0..b.len {
                    let row = row_of(def, &b, i);
                    if let Some(r) = &push.residual
                        && !is_true(&r.eval(&row, params)?)
                    {
                        continue;
                    }
                    rows.push(row);
                    if rows.len() >= stop {
                        return Ok(false);
                    }
                }
                Ok(true)
            })?;
            Ok((rows, stats))
        }
    }
}

/// The full rows of the columnar table `def` that pass `filter`, with their locations (for
/// `UPDATE` and `DELETE`).
pub fn matching(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    filter: Option<&Expr>,
    params: &[Value],
) -> Result<Vec<(Location, Vec<Value>)>> {
    let push = pushdown(filter, params)?;
    let mut out = Vec::new();
    if push.empty {
        return Ok(out);
    }
    let spec = spec_for((0..def.columns.len()).collect(), &push, true);
    scan::scan(txn, def, &spec, &mut |b| {
        for (i, loc) in b.locations.iter().enumerate() {
            let row = row_of(def, &b, i);
            if let Some(r) = &push.residual
                && !is_true(&r.eval(&row, params)?)
            {
                continue;
            }
            out.push((loc.clone(), row));
        }
        Ok(true)
    })?;
    Ok(out)
}

/// Deletes the rows of the columnar table `def` passing `filter`; returns how many.
pub fn delete(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    filter: Option<&Expr>,
    params: &[Value],
) -> Result<u64> {
    let found = matching(txn, def, filter, params)?;
    let locations: Vec<Location> = found.into_iter().map(|(l, _)| l).collect();
    write::delete(txn, def, &locations)
}

/// Updates the rows of the columnar table `def` passing `filter` with `assignments`
/// ((position, new value over the old row)); returns how many.
pub fn update(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    filter: Option<&Expr>,
    assignments: &[(usize, Expr)],
    params: &[Value],
) -> Result<u64> {
    let found = matching(txn, def, filter, params)?;
    let mut new_rows = Vec::with_capacity(found.len());
    for (_, row) in &found {
        let mut new_row = row.clone();
        for (pos, e) in assignments {
            let v = e.eval(row, params)?;
            if let Some(slot) = new_row.get_mut(*pos) {
                *slot = v;
            }
        }
        new_rows.push(new_row);
    }
    let locations: Vec<Location> = found.into_iter().map(|(l, _)| l).collect();
    let n = write::delete(txn, def, &locations)?;
    write::insert(txn, def, new_rows)?;
    Ok(n)
}
