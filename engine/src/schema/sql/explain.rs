//! `EXPLAIN`: a bound statement's plan as lines of text.
//!
//! The first line names the statement, its table and the access path — `PRIMARY KEY point`,
//! `PRIMARY KEY range`, `INDEX <name> point`, `INDEX <name> range` or `FULL SCAN` — with the key
//! bounds; the following lines give the residual filter, the hash aggregate of a grouped query
//! (its group keys, aggregate calls and `HAVING`), whether a sort is needed, the limit, and (for
//! writes) what is written. Parameters print as `$1`, `$2`, … whatever style the
//! statement used.

use std::fmt::Write as _;

use super::bind::{Bound, Ddl};
use super::expr::Expr;
use super::plan::{Access, KeyRange, Plan};

/// Renders an expression as SQL-like text.
pub fn expr(e: &Expr) -> String {
    match e {
        Expr::Literal(v) => v.to_string(),
        Expr::Param(i) => format!("${}", i + 1),
        Expr::Column { name, .. } => name.clone(),
        Expr::Aggregate { text, .. } => text.clone(),
        Expr::Coerce { expr: inner, .. } => expr(inner),
        Expr::Not(inner) => format!("NOT {}", expr(inner)),
        Expr::Neg(inner) => format!("-{}", expr(inner)),
        Expr::Binary { op, left, right } => {
            format!("({} {} {})", expr(left), op.symbol(), expr(right))
        }
        Expr::IsNull {
            expr: inner,
            negated,
        } => {
            format!(
                "{} IS {}NULL",
                expr(inner),
                if *negated { "NOT " } else { "" }
            )
        }
        Expr::InList {
            expr: inner,
            list,
            negated,
        } => format!(
            "{} {}IN ({})",
            expr(inner),
            if *negated { "NOT " } else { "" },
            list.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        Expr::Between {
            expr: inner,
            low,
            high,
            negated,
        } => format!(
            "{} {}BETWEEN {} AND {}",
            expr(inner),
            if *negated { "NOT " } else { "" },
            expr(low),
            expr(high)
        ),
        Expr::Like {
            expr: inner,
            pattern,
            negated,
        } => format!(
            "{} {}LIKE {}",
            expr(inner),
            if *negated { "NOT " } else { "" },
            expr(pattern)
        ),
    }
}

fn key_names(table_cols: &[String], positions: &[usize]) -> Vec<String> {
    positions
        .iter()
        .map(|p| {
            table_cols
                .get(*p)
                .cloned()
                .unwrap_or_else(|| format!("#{p}"))
        })
        .collect()
}

fn range_text(names: &[String], range: &KeyRange) -> String {
    let mut parts: Vec<String> = range
        .eq
        .iter()
        .zip(names)
        .map(|(v, n)| format!("{n} = {}", expr(v)))
        .collect();
    if let Some(next) = names.get(range.eq.len()) {
        if let Some((v, incl)) = &range.lo {
            parts.push(format!(
                "{next} {} {}",
                if *incl { ">=" } else { ">" },
                expr(v)
            ));
        }
        if let Some((v, incl)) = &range.hi {
            parts.push(format!(
                "{next} {} {}",
                if *incl { "<=" } else { "<" },
                expr(v)
            ));
        }
    }
    parts.join(" AND ")
}

/// The access path's one-line description (`INDEX orders_by_customer range (customer = $1)`).
pub fn access(plan: &Plan, table: Option<&super::super::def::TableDef>) -> String {
    let cols: Vec<String> = table
        .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default();
    let pk = table.map(|t| t.primary_key_positions()).unwrap_or_default();
    let index_cols = |i: &super::super::def::IndexDef| -> Vec<usize> {
        let t = table.expect("an index access path has a table");
        i.columns.iter().filter_map(|id| t.position(*id)).collect()
    };
    let mut out = match &plan.access {
        Access::Constant => "CONSTANT ROW".to_string(),
        Access::FullScan => "FULL SCAN".to_string(),
        Access::ColumnarScan => "COLUMNAR SCAN".to_string(),
        Access::PkPoint(key) => {
            let r = KeyRange {
                eq: key.clone(),
                lo: None,
                hi: None,
            };
            format!(
                "PRIMARY KEY point ({})",
                range_text(&key_names(&cols, &pk), &r)
            )
        }
        Access::PkRange(r) => {
            format!(
                "PRIMARY KEY range ({})",
                range_text(&key_names(&cols, &pk), r)
            )
        }
        Access::IndexPoint { index, key } => {
            let r = KeyRange {
                eq: key.clone(),
                lo: None,
                hi: None,
            };
            let names = key_names(&cols, &index_cols(index));
            format!("INDEX {} point ({})", index.name, range_text(&names, &r))
        }
        Access::IndexRange { index, range } => {
            let names = key_names(&cols, &index_cols(index));
            format!("INDEX {} range ({})", index.name, range_text(&names, range))
        }
    };
    if plan.reverse {
        out.push_str(" reverse");
    }
    out
}

/// What a columnar scan evaluates on encoded chunks and what stays a row filter.
fn pushdown_lines(plan: &Plan, table: Option<&super::super::def::TableDef>) -> Vec<String> {
    let Ok(p) = super::columnar::pushdown(plan.residual.as_ref(), &[]) else {
        // Parameters are not known before execution: the split is made then.
        return vec!["  pushdown: decided when the parameters are known".into()];
    };
    let mut out = Vec::new();
    if !p.predicates.is_empty() {
        let list: Vec<String> = p
            .predicates
            .iter()
            .map(|(pos, pred)| predicate_text(table.and_then(|t| t.columns.get(*pos)), pred))
            .collect();
        out.push(format!(
            "  pushed down to chunks (zone maps, encoded data): {}",
            list.join("; ")
        ));
    }
    if let Some(r) = &p.residual {
        out.push(format!("  row filter: {}", expr(r)));
    }
    out
}

/// A chunk predicate as SQL-like text, its constants shown in the column's type.
pub(super) fn predicate_text(
    col: Option<&super::super::def::ColumnDef>,
    p: &crate::columnar::ChunkPredicate,
) -> String {
    use super::super::value::{ColumnType, Value};
    use crate::columnar::{ChunkPredicate as P, CmpOp, Scalar};
    let name = col.map_or("?", |c| c.name.as_str());
    let ty = col.map(|c| c.ty);
    let v = |s: &Scalar| -> String {
        match (s, ty) {
            (Scalar::Int(x), Some(ColumnType::Timestamp)) => Value::Timestamp(*x).to_string(),
            (Scalar::Int(x), _) => x.to_string(),
            (Scalar::Double(x), _) => Value::Double(*x).to_string(),
            (Scalar::Bool(b), _) => b.to_string(),
            (Scalar::Bytes(b), _) => format!("'{}'", String::from_utf8_lossy(b)),
        }
    };
    match p {
        P::Cmp { op, value } => {
            let sym = match op {
                CmpOp::Eq => "=",
                CmpOp::Ne => "<>",
                CmpOp::Lt => "<",
                CmpOp::Le => "<=",
                CmpOp::Gt => ">",
                CmpOp::Ge => ">=",
            };
            format!("{name} {sym} {}", v(value))
        }
        P::Between { lo, hi } => format!("{name} BETWEEN {} AND {}", v(lo), v(hi)),
        P::IsNull => format!("{name} IS NULL"),
        P::IsNotNull => format!("{name} IS NOT NULL"),
        P::InList(items) => format!(
            "{name} IN ({})",
            items.iter().map(v).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn plan_lines(out: &mut Vec<String>, plan: &Plan) {
    if let Some(f) = &plan.residual {
        out.push(format!("  filter: {}", expr(f)));
    }
}

/// Milliseconds, for `EXPLAIN ANALYZE`.
fn ms(d: std::time::Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// The lines `EXPLAIN ANALYZE` adds after the plan: what the scan read (for a columnar table:
/// segments, pruned segments, chunks, rows scanned and selected, delta rows, batches), the time
/// of reading and aggregating, of sorting and projecting, and the rows returned.
pub fn analyzed(t: &super::exec::QueryTimes, rows_out: usize) -> Vec<String> {
    let mut out = vec!["analyze:".to_string()];
    if let Some(s) = &t.scan {
        out.push(format!(
            "  columnar scan: {} segments, {} pruned by zone maps, {} chunks read, {} rows scanned, {} selected ({} from the delta), {} batches, {}",
            s.segments,
            s.segments_pruned,
            s.chunks_read,
            s.rows_scanned,
            s.rows_selected,
            s.delta_rows,
            s.batches,
            ms(s.time)
        ));
        if s.threads > 1 {
            out.push(format!("  scan threads: {}", s.threads));
        }
        if s.operator_cpu.is_zero() {
            out.push(format!(
                "  operators over the batches (filter, projection, aggregation): {}",
                ms(t.read.saturating_sub(s.time))
            ));
        } else {
            out.push(format!(
                "  aggregation per segment on the scan threads: {} CPU (inside the scan's time); merging the partial states: {}",
                ms(s.operator_cpu),
                ms(t.read.saturating_sub(s.time))
            ));
        }
    } else {
        out.push(format!("  read: {} rows in {}", t.rows_in, ms(t.read)));
    }
    out.push(format!(
        "  sort, limit and output: {rows_out} rows in {}",
        ms(t.finish)
    ));
    out.push(format!("  total: {}", ms(t.read + t.finish)));
    out
}

/// The lines `EXPLAIN` prints for `bound`.
pub fn explain(bound: &Bound) -> Vec<String> {
    let mut out = Vec::new();
    match bound {
        Bound::Select(s) => {
            let name = s.table.as_ref().map_or("(no table)", |t| t.name.as_str());
            out.push(format!(
                "SELECT {name}: {}",
                access(&s.plan, s.table.as_ref())
            ));
            plan_lines(&mut out, &s.plan);
            if s.table.as_ref().is_some_and(|t| t.storage.is_columnar()) {
                out.extend(pushdown_lines(&s.plan, s.table.as_ref()));
            }
            if let Some(agg) = &s.aggregate {
                let list = |v: Vec<String>| {
                    if v.is_empty() {
                        "()".to_string()
                    } else {
                        v.join(", ")
                    }
                };
                out.push(format!(
                    "  hash aggregate: group by {}; {}",
                    list(agg.group_by.iter().map(expr).collect()),
                    list(agg.calls.iter().map(|c| c.text.clone()).collect())
                ));
                if let Some(h) = &agg.having {
                    out.push(format!("  having: {}", expr(h)));
                }
            }
            if !s.order_by.is_empty() {
                let keys: Vec<String> = s
                    .order_by
                    .iter()
                    .map(|(e, desc)| format!("{}{}", expr(e), if *desc { " DESC" } else { "" }))
                    .collect();
                let how = if s.plan.needs_sort {
                    "sort"
                } else {
                    "key order, no sort"
                };
                out.push(format!("  order: {} ({how})", keys.join(", ")));
            }
            let mut limit = String::new();
            if let Some(l) = &s.limit {
                let _ = write!(limit, "LIMIT {}", expr(l));
            }
            if let Some(o) = &s.offset {
                let _ = write!(
                    limit,
                    "{}OFFSET {}",
                    if limit.is_empty() { "" } else { " " },
                    expr(o)
                );
            }
            if !limit.is_empty() {
                out.push(format!("  {limit}"));
            }
            let cols: Vec<String> = s.columns.iter().map(|c| c.name.clone()).collect();
            out.push(format!("  output: {}", cols.join(", ")));
        }
        Bound::Update(u) => {
            out.push(format!(
                "UPDATE {}: {}",
                u.table.name,
                access(&u.plan, Some(&u.table))
            ));
            plan_lines(&mut out, &u.plan);
            let sets: Vec<String> = u
                .assignments
                .iter()
                .map(|(p, e)| {
                    let name = u.table.columns.get(*p).map_or("?", |c| c.name.as_str());
                    format!("{name} = {}", expr(e))
                })
                .collect();
            out.push(format!("  set: {}", sets.join(", ")));
        }
        Bound::Delete(d) => {
            out.push(format!(
                "DELETE {}: {}",
                d.table.name,
                access(&d.plan, Some(&d.table))
            ));
            plan_lines(&mut out, &d.plan);
        }
        Bound::Insert(i) => {
            out.push(format!("INSERT {}: {} row(s)", i.table.name, i.rows.len()));
            let n = i.table.indexes.len();
            out.push(format!("  maintains: PRIMARY KEY and {n} index(es)"));
        }
        Bound::Ddl(d) => out.push(match d {
            Ddl::CreateTable { table, .. } => format!("CREATE TABLE {}", table.name),
            Ddl::CreateIndex { index, .. } => {
                format!(
                    "CREATE INDEX {} ON {}: builds from existing rows",
                    index.name, index.table
                )
            }
            other => other.kind().to_string(),
        }),
        Bound::Explain(inner) => out.extend(explain(inner)),
        other => out.push(other.kind().to_string()),
    }
    out
}
