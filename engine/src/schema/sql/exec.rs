//! Execution: a bound statement run inside a transaction against the table layer
//! ([`schema::table`](crate::schema::table)) and the DDL functions
//! ([`schema::ddl`](crate::schema::ddl)).
//!
//! Reads follow the plan's access path; `UPDATE` and `DELETE` first collect the rows they match
//! (so an update that moves a row within the key range it scans never sees it twice), then write.
//! A statement that fails part-way leaves its earlier writes in the transaction's write set: the
//! caller (autocommit or a session) rolls the transaction back, so nothing is half-applied.

use std::ops::Bound as KeyBound;

use super::super::catalog::Catalog;
use super::super::ddl::{self, ColumnSpec, IndexSpec, TableSpec};
use super::super::def::TableDef;
use super::super::error::{Result, SchemaError};
use super::super::table;
use super::super::value::{ColumnType, Value};
use super::aggregate::Groups;
use super::bind::{Bound, ColumnDecl, Ddl, Insert, Select, Tables};
use super::columnar;
use super::explain::explain;
use super::expr::{Expr, is_true, sort_order};
use super::plan::{Access, KeyRange, Plan};
use crate::Transaction;

impl Tables for Catalog {
    fn table(&self, name: &str) -> Result<&TableDef> {
        if self.view(name).is_some() {
            return Err(SchemaError::InvalidDefinition {
                name: name.to_string(),
                reason:
                    "is a materialized view: it is read-only (REFRESH MATERIALIZED VIEW changes it)"
                        .into(),
            });
        }
        Catalog::table(self, name)
    }

    fn readable(&self, name: &str) -> Result<&TableDef> {
        match self.view(name) {
            Some(v) => Ok(&v.table),
            None => Catalog::table(self, name),
        }
    }
}

/// A query's result: column names and types, and the rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Rows {
    /// Output column names.
    pub columns: Vec<String>,
    /// Output column types where known (`None`: `NULL` literal or untyped parameter).
    pub types: Vec<Option<ColumnType>>,
    /// The rows, each one value per column.
    pub rows: Vec<Vec<Value>>,
}

/// What one statement did.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecResult {
    /// The statement's kind (`SELECT`, `INSERT`, `CREATE TABLE`, `BEGIN`, …).
    pub kind: &'static str,
    /// Rows inserted, updated or deleted (rows returned, for a query).
    pub rows_affected: u64,
    /// A query's (or `EXPLAIN`'s) rows.
    pub rows: Option<Rows>,
}

fn invalid_param(message: String) -> SchemaError {
    SchemaError::Sql(super::super::error::SqlError {
        message,
        line: 0,
        column: 0,
    })
}

/// Checks the parameter count.
pub fn check_params(expected: usize, params: &[Value]) -> Result<()> {
    if expected == params.len() {
        Ok(())
    } else {
        Err(invalid_param(format!(
            "the statement takes {expected} parameter(s), {} given",
            params.len()
        )))
    }
}

/// Runs `bound` in `txn`. `BEGIN`/`COMMIT`/`ROLLBACK` are the caller's (a session's) business
/// and are refused here.
pub fn execute(txn: &mut Transaction<'_>, bound: &Bound, params: &[Value]) -> Result<ExecResult> {
    let kind = bound.kind();
    let done = |rows_affected| ExecResult {
        kind,
        rows_affected,
        rows: None,
    };
    match bound {
        Bound::Select(s) => {
            let rows = select(txn, s, params)?;
            Ok(ExecResult {
                kind,
                rows_affected: rows.rows.len() as u64,
                rows: Some(rows),
            })
        }
        Bound::Insert(ins) => insert(txn, ins, params).map(done),
        Bound::Update(up) if up.table.storage.is_columnar() => columnar::update(
            txn,
            &up.table,
            up.plan.residual.as_ref(),
            &up.assignments,
            params,
        )
        .map(done),
        Bound::Delete(del) if del.table.storage.is_columnar() => {
            columnar::delete(txn, &del.table, del.plan.residual.as_ref(), params).map(done)
        }
        Bound::Update(up) => {
            let matched = matching(txn, &up.table, &up.plan, params, None)?;
            let mut n = 0;
            for row in matched {
                let mut new_row = row.clone();
                for (pos, e) in &up.assignments {
                    let v = e.eval(&row, params)?;
                    if let Some(slot) = new_row.get_mut(*pos) {
                        *slot = v;
                    }
                }
                let pk = table::pk_values(&up.table, &row);
                if table::update(txn, &up.table, &pk, &new_row)? {
                    n += 1;
                }
            }
            Ok(done(n))
        }
        Bound::Delete(del) => {
            let matched = matching(txn, &del.table, &del.plan, params, None)?;
            let mut n = 0;
            for row in matched {
                let pk = table::pk_values(&del.table, &row);
                if table::delete(txn, &del.table, &pk)? {
                    n += 1;
                }
            }
            Ok(done(n))
        }
        Bound::Ddl(Ddl::DropPartition {
            table,
            labels,
            if_exists,
        }) => super::partitions::drop(txn, table, labels, *if_exists).map(done),
        Bound::Ddl(d) => run_ddl(txn, d).map(|_| done(0)),
        Bound::View(v) => super::mv::execute(txn, v),
        Bound::ShowPartitions(def) => {
            let rows = super::partitions::show(txn, def)?;
            Ok(ExecResult {
                kind,
                rows_affected: rows.rows.len() as u64,
                rows: Some(rows),
            })
        }
        Bound::Explain(inner) => {
            let mut lines = explain(inner);
            if let Some(line) = super::partitions::explain_line(txn, inner)? {
                lines.push(line);
            }
            if let Bound::Select(q) = inner.as_ref() {
                super::stats::add_estimate(txn, q, params, &mut lines, None)?;
            }
            Ok(ExecResult {
                kind,
                rows_affected: lines.len() as u64,
                rows: Some(Rows {
                    columns: vec!["plan".into()],
                    types: vec![Some(ColumnType::Text)],
                    rows: lines.into_iter().map(|l| vec![Value::Text(l)]).collect(),
                }),
            })
        }
        Bound::ExplainAnalyze(inner) => {
            let Bound::Select(q) = inner.as_ref() else {
                return Err(invalid_param("EXPLAIN ANALYZE runs queries only".into()));
            };
            let (rows, times) = select_analyzed(txn, q, params)?;
            let mut lines = explain(inner);
            if let Some(c) = times.scan.as_ref().and_then(|s| s.partitions) {
                lines.push(super::partitions::line(c));
            }
            lines.extend(super::explain::analyzed(&times, rows.rows.len()));
            super::stats::add_estimate(txn, q, params, &mut lines, times.scan.as_ref())?;
            Ok(ExecResult {
                kind,
                rows_affected: lines.len() as u64,
                rows: Some(Rows {
                    columns: vec!["plan".into()],
                    types: vec![Some(ColumnType::Text)],
                    rows: lines.into_iter().map(|l| vec![Value::Text(l)]).collect(),
                }),
            })
        }
        Bound::Analyze(target) => super::stats::analyze(txn, target.as_ref()).map(done),
        Bound::ShowStats(def) => {
            let rows = super::stats::show_stats(txn, def)?;
            Ok(ExecResult {
                kind,
                rows_affected: rows.rows.len() as u64,
                rows: Some(rows),
            })
        }
        Bound::Begin(_) | Bound::Commit | Bound::Rollback => Err(invalid_param(format!(
            "{kind} controls a session's transaction and cannot run inside another statement's"
        ))),
    }
}

fn insert(txn: &mut Transaction<'_>, ins: &Insert, params: &[Value]) -> Result<u64> {
    if ins.table.storage.is_columnar() {
        let rows = ins
            .rows
            .iter()
            .map(|exprs| exprs.iter().map(|e| e.eval(&[], params)).collect())
            .collect::<Result<Vec<Vec<Value>>>>()?;
        return crate::columnar::write::insert(txn, &ins.table, rows);
    }
    let mut row = Vec::with_capacity(ins.table.columns.len());
    for exprs in &ins.rows {
        row.clear();
        for e in exprs {
            row.push(e.eval(&[], params)?);
        }
        table::insert(txn, &ins.table, &row)?;
    }
    Ok(ins.rows.len() as u64)
}

fn count(e: &Option<Expr>, what: &str, params: &[Value]) -> Result<Option<usize>> {
    let Some(e) = e else { return Ok(None) };
    match e.eval(&[], params)? {
        Value::Int(n) if n >= 0 => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
        Value::Null => Ok(None),
        other => Err(invalid_param(format!(
            "{what} must be a non-negative integer, got {other}"
        ))),
    }
}

fn select(txn: &mut Transaction<'_>, s: &Select, params: &[Value]) -> Result<Rows> {
    select_analyzed(txn, s, params).map(|(rows, _)| rows)
}

/// What running a query took: the columnar scan's statistics (for a columnar table), the time
/// to produce the rows before sorting (scan and aggregation), and the time of sort, limit and
/// projection.
#[derive(Clone, Debug, Default)]
pub struct QueryTimes {
    /// The columnar scan's statistics.
    pub scan: Option<crate::columnar::scan::ScanStats>,
    /// Rows before sorting (table rows, or a grouped query's groups).
    pub rows_in: u64,
    /// Time to read (and aggregate) them.
    pub read: std::time::Duration,
    /// Time to sort, limit and project.
    pub finish: std::time::Duration,
}

/// Runs a query and says what it took ([`QueryTimes`]).
pub fn select_analyzed(
    txn: &mut Transaction<'_>,
    s: &Select,
    params: &[Value],
) -> Result<(Rows, QueryTimes)> {
    let mut times = QueryTimes::default();
    let started = std::time::Instant::now();
    let limit = count(&s.limit, "LIMIT", params)?;
    let offset = count(&s.offset, "OFFSET", params)?.unwrap_or(0);
    let mut rows = match &s.table {
        None => {
            let keep = match &s.plan.residual {
                Some(f) => is_true(&f.eval(&[], params)?),
                None => true,
            };
            if keep { vec![Vec::new()] } else { Vec::new() }
        }
        Some(t) if t.storage.is_columnar() => {
            let stop = match (s.plan.needs_sort || s.aggregate.is_some(), limit) {
                (false, Some(l)) => Some(offset.saturating_add(l)),
                _ => None,
            };
            let (rows, stats) = columnar::select(txn, s, t, params, stop)?;
            times.scan = Some(stats);
            rows
        }
        Some(t) if let Some(agg) = &s.aggregate => {
            let mut groups = Groups::new(agg);
            for_each_matching(txn, t, &s.plan, params, &mut |row| {
                groups.add_row(&row, params)?;
                Ok(true)
            })?;
            groups.finish(params)?
        }
        Some(t) => {
            let stop = match (s.plan.needs_sort, limit) {
                (false, Some(l)) => Some(offset.saturating_add(l)),
                _ => None,
            };
            matching(txn, t, &s.plan, params, stop)?
        }
    };
    times.read = started.elapsed();
    times.rows_in = rows.len() as u64;
    let finishing = std::time::Instant::now();
    if s.plan.needs_sort && !s.order_by.is_empty() {
        let mut keyed = Vec::with_capacity(rows.len());
        for row in rows {
            let keys = s
                .order_by
                .iter()
                .map(|(e, _)| e.eval(&row, params))
                .collect::<Result<Vec<_>>>()?;
            keyed.push((keys, row));
        }
        keyed.sort_by(|(a, _), (b, _)| {
            for ((x, y), (_, desc)) in a.iter().zip(b).zip(&s.order_by) {
                let o = sort_order(x, y);
                let o = if *desc { o.reverse() } else { o };
                if o.is_ne() {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
        rows = keyed.into_iter().map(|(_, r)| r).collect();
    }
    let end = limit.map_or(rows.len(), |l| offset.saturating_add(l).min(rows.len()));
    let start = offset.min(end);
    let mut out = Vec::with_capacity(end - start);
    for row in rows.get(start..end).unwrap_or_default() {
        let projected = s
            .columns
            .iter()
            .map(|c| c.expr.eval(row, params))
            .collect::<Result<Vec<_>>>()?;
        out.push(projected);
    }
    times.finish = finishing.elapsed();
    Ok((
        Rows {
            columns: s.columns.iter().map(|c| c.name.clone()).collect(),
            types: s.columns.iter().map(|c| c.ty).collect(),
            rows: out,
        },
        times,
    ))
}

/// Evaluated key values, or `None` if one is `NULL` (no key equals `NULL`, so no row matches).
fn key_values(exprs: &[Expr], params: &[Value]) -> Result<Option<Vec<Value>>> {
    let mut out = Vec::with_capacity(exprs.len());
    for e in exprs {
        let v = e.eval(&[], params)?;
        if v.is_null() {
            return Ok(None);
        }
        out.push(v);
    }
    Ok(Some(out))
}

type Bounds = (KeyBound<Vec<Value>>, KeyBound<Vec<Value>>);

/// The prefix bounds of a key range, or `None` when a bound is `NULL` (nothing matches).
fn range_bounds(r: &KeyRange, params: &[Value]) -> Result<Option<Bounds>> {
    let Some(eq) = key_values(&r.eq, params)? else {
        return Ok(None);
    };
    let side = |b: &Option<(Expr, bool)>| -> Result<Option<KeyBound<Vec<Value>>>> {
        Ok(Some(match b {
            Some((e, incl)) => {
                let v = e.eval(&[], params)?;
                if v.is_null() {
                    return Ok(None);
                }
                let mut key = eq.clone();
                key.push(v);
                if *incl {
                    KeyBound::Included(key)
                } else {
                    KeyBound::Excluded(key)
                }
            }
            None if eq.is_empty() => KeyBound::Unbounded,
            None => KeyBound::Included(eq.clone()),
        }))
    };
    match (side(&r.lo)?, side(&r.hi)?) {
        (Some(lo), Some(hi)) => Ok(Some((lo, hi))),
        _ => Ok(None),
    }
}

fn as_ref(b: &KeyBound<Vec<Value>>) -> KeyBound<&[Value]> {
    match b {
        KeyBound::Included(v) => KeyBound::Included(v.as_slice()),
        KeyBound::Excluded(v) => KeyBound::Excluded(v.as_slice()),
        KeyBound::Unbounded => KeyBound::Unbounded,
    }
}

/// The full rows of `def` that `plan` finds and its residual filter keeps, in access order;
/// at most `stop` of them.
pub fn matching(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    plan: &Plan,
    params: &[Value],
    stop: Option<usize>,
) -> Result<Vec<Vec<Value>>> {
    let mut out = Vec::new();
    let stop = stop.unwrap_or(usize::MAX);
    if stop == 0 {
        return Ok(out);
    }
    for_each_matching(txn, def, plan, params, &mut |row| {
        out.push(row);
        Ok(out.len() < stop)
    })?;
    Ok(out)
}

/// Calls `visit` with each row of `def` that `plan` finds and its residual filter keeps, in
/// access order, until it returns `false`.
pub fn for_each_matching(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    plan: &Plan,
    params: &[Value],
    visit: &mut dyn FnMut(Vec<Value>) -> Result<bool>,
) -> Result<()> {
    let keep = |row: &[Value]| -> Result<bool> {
        match &plan.residual {
            Some(f) => Ok(is_true(&f.eval(row, params)?)),
            None => Ok(true),
        }
    };
    let (index, lo, hi, reverse) = match &plan.access {
        Access::Constant => return Ok(()),
        Access::ColumnarScan => {
            for (_, row) in columnar::matching(txn, def, plan.residual.as_ref(), params)? {
                if !visit(row)? {
                    break;
                }
            }
            return Ok(());
        }
        Access::PkPoint(key) => {
            if let Some(pk) = key_values(key, params)?
                && let Some(row) = table::get(txn, def, &pk)?
                && keep(&row)?
            {
                visit(row)?;
            }
            return Ok(());
        }
        Access::FullScan | Access::PkRange(_) => {
            let bounds = match &plan.access {
                Access::PkRange(r) => range_bounds(r, params)?,
                _ => Some((KeyBound::Unbounded, KeyBound::Unbounded)),
            };
            let Some((lo, hi)) = bounds else {
                return Ok(());
            };
            for row in table::scan(txn, def, as_ref(&lo), as_ref(&hi), plan.reverse)? {
                let row = row?;
                if keep(&row)? && !visit(row)? {
                    break;
                }
            }
            return Ok(());
        }
        Access::IndexPoint { index, key } => match key_values(key, params)? {
            Some(k) => (
                index,
                KeyBound::Included(k.clone()),
                KeyBound::Included(k),
                false,
            ),
            None => return Ok(()),
        },
        Access::IndexRange { index, range } => match range_bounds(range, params)? {
            Some((lo, hi)) => (index, lo, hi, plan.reverse),
            None => return Ok(()),
        },
    };
    // Index paths: each entry's primary key, then the row.
    for pk in table::index_scan(txn, def, index, as_ref(&lo), as_ref(&hi), reverse)? {
        let pk = pk?;
        let row = table::get(txn, def, &pk)?.ok_or_else(|| SchemaError::Corrupt {
            what: format!("table `{}`", def.name),
            reason: format!(
                "an index entry points to primary key {} which has no row",
                table::format_key(&pk)
            ),
        })?;
        if keep(&row)? && !visit(row)? {
            break;
        }
    }
    Ok(())
}

fn column_spec(c: &ColumnDecl) -> ColumnSpec {
    ColumnSpec {
        name: c.name.clone(),
        ty: c.ty,
        not_null: c.not_null,
        default: c.default.clone(),
    }
}

fn index_spec(i: &super::bind::IndexDecl) -> IndexSpec {
    IndexSpec {
        name: i.name.clone(),
        table: i.table.clone(),
        columns: i.columns.clone(),
        unique: i.unique,
    }
}

/// Runs a schema change (`IF [NOT] EXISTS` checked against the catalog `txn` sees).
fn run_ddl(txn: &mut Transaction<'_>, d: &Ddl) -> Result<()> {
    match d {
        Ddl::CreateTable {
            table,
            unique,
            if_not_exists,
        } => {
            if *if_not_exists && Catalog::load(txn)?.table(&table.name).is_ok() {
                return Ok(());
            }
            let spec = TableSpec {
                name: table.name.clone(),
                columns: table.columns.iter().map(column_spec).collect(),
                primary_key: table.primary_key.clone(),
                storage: table.storage,
            };
            let partition = table.partition.as_ref().map(|(c, i)| (c.as_str(), *i));
            ddl::create_partitioned_table(txn, &spec, partition)?;
            for u in unique {
                ddl::create_index(txn, &index_spec(u))?;
            }
        }
        Ddl::DropTable { names, if_exists } => {
            for name in names {
                if *if_exists && Catalog::load(txn)?.table(name).is_err() {
                    continue;
                }
                ddl::drop_table(txn, name)?;
            }
        }
        Ddl::CreateIndex {
            index,
            if_not_exists,
        } => {
            if *if_not_exists && Catalog::load(txn)?.index_owner(&index.name).is_some() {
                return Ok(());
            }
            ddl::create_index(txn, &index_spec(index))?;
        }
        Ddl::DropIndex { names, if_exists } => {
            for name in names {
                if *if_exists && Catalog::load(txn)?.index_owner(name).is_none() {
                    continue;
                }
                ddl::drop_index(txn, name)?;
            }
        }
        Ddl::AddColumn {
            table,
            column,
            if_not_exists,
        } => {
            if *if_not_exists
                && Catalog::load(txn)?
                    .table(table)?
                    .column(&column.name)
                    .is_some()
            {
                return Ok(());
            }
            ddl::add_column(txn, table, &column_spec(column))?;
        }
        Ddl::DropColumn {
            table,
            columns,
            if_exists,
        } => {
            for c in columns {
                if *if_exists && Catalog::load(txn)?.table(table)?.column(c).is_none() {
                    continue;
                }
                ddl::drop_column(txn, table, c)?;
            }
        }
        Ddl::DropPartition {
            table,
            labels,
            if_exists,
        } => {
            super::partitions::drop(txn, table, labels, *if_exists)?;
        }
    }
    Ok(())
}
