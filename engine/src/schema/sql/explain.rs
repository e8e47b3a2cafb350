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

fn plan_lines(out: &mut Vec<String>, plan: &Plan) {
    if let Some(f) = &plan.residual {
        out.push(format!("  filter: {}", expr(f)));
    }
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
