//! Binding materialized-view statements: `CREATE MATERIALIZED VIEW … [WITH (refresh = …)] AS
//! SELECT …`, `DROP MATERIALIZED VIEW`, `REFRESH MATERIALIZED VIEW v [INCREMENTAL]` and
//! `SHOW REFRESHES v`; and the [`Shape`] of a view's defining query — the one form a view may
//! take: `SELECT <group columns and aggregates> FROM <columnar table> [WHERE …] GROUP BY
//! <columns>`, where every aggregate is `COUNT(*)`, or `COUNT`, `SUM`, `AVG`, `MIN` or `MAX` of
//! one column (`SUM`/`AVG` of a `BIGINT` column only, so that applying changes and recomputing
//! give the same bits), and every `GROUP BY` column is selected.

use sqlparser::ast::{self, SelectItem, SetExpr};

use super::super::super::catalog::{Policy, ViewDef, view::result_table};
use super::super::super::def::TableDef;
use super::super::super::error::{Result, SchemaError};
use super::super::super::value::ColumnType;
use super::super::aggregate::AggFunc;
use super::super::expr::Expr;
use super::super::parse::Parsed;
use super::{Scope, Tables, object_name};

/// One aggregate of a view: its function and its argument's position in the base table
/// (`None` for `COUNT(*)`).
#[derive(Clone, Debug, PartialEq)]
pub struct ViewAgg {
    /// The function.
    pub func: AggFunc,
    /// The argument column's position in the base table.
    pub arg: Option<usize>,
}

/// What a result column is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewOutput {
    /// The `i`-th `GROUP BY` column.
    Group(usize),
    /// The `j`-th aggregate.
    Agg(usize),
}

/// A view's defining query, bound against its base table.
#[derive(Clone, Debug, PartialEq)]
pub struct Shape {
    /// The base table.
    pub base: TableDef,
    /// `WHERE`, over the base row.
    pub filter: Option<Expr>,
    /// The `GROUP BY` columns' positions in the base table, in order.
    pub group: Vec<usize>,
    /// The aggregates, in `SELECT` order.
    pub aggs: Vec<ViewAgg>,
    /// The result columns, in `SELECT` order.
    pub outputs: Vec<ViewOutput>,
    /// The result columns' names and types.
    pub columns: Vec<(String, ColumnType)>,
    /// Position in [`outputs`](Self::outputs) of each `GROUP BY` column, in `GROUP BY` order.
    pub key: Vec<u16>,
}

/// A bound materialized-view statement.
#[derive(Clone, Debug, PartialEq)]
pub enum ViewStmt {
    /// `CREATE MATERIALIZED VIEW` (the definition's id is assigned when it runs).
    Create {
        /// The definition.
        view: Box<ViewDef>,
        /// `IF NOT EXISTS`.
        if_not_exists: bool,
    },
    /// `DROP MATERIALIZED VIEW`.
    Drop {
        /// Views, in order.
        names: Vec<String>,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `REFRESH MATERIALIZED VIEW v [INCREMENTAL]`.
    Refresh {
        /// The view.
        name: String,
        /// Apply the change log (else recompute in full).
        incremental: bool,
    },
    /// `SHOW REFRESHES v`.
    ShowRefreshes {
        /// The view.
        name: String,
    },
}

impl ViewStmt {
    /// The statement's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            ViewStmt::Create { .. } => "CREATE MATERIALIZED VIEW",
            ViewStmt::Drop { .. } => "DROP MATERIALIZED VIEW",
            ViewStmt::Refresh { .. } => "REFRESH MATERIALIZED VIEW",
            ViewStmt::ShowRefreshes { .. } => "SHOW REFRESHES",
        }
    }
}

fn invalid(name: &str, reason: impl Into<String>) -> SchemaError {
    SchemaError::InvalidDefinition {
        name: name.to_string(),
        reason: reason.into(),
    }
}

/// Binds `CREATE MATERIALIZED VIEW`.
pub fn bind_create(parsed: &Parsed, cv: &ast::CreateView, tables: &dyn Tables) -> Result<ViewStmt> {
    let name = object_name(parsed, &cv.name)?;
    if cv.or_replace || cv.or_alter || !cv.columns.is_empty() || cv.to.is_some() {
        return Err(
            parsed.error("CREATE MATERIALIZED VIEW takes no OR REPLACE, column list or TO clause")
        );
    }
    let mut policy = Policy::Manual;
    let opts = match &cv.options {
        ast::CreateTableOptions::None => &[][..],
        ast::CreateTableOptions::With(o) => o.as_slice(),
        _ => return Err(parsed.error("materialized view options are WITH (refresh = '…')")),
    };
    for o in opts {
        let ast::SqlOption::KeyValue { key, value } = o else {
            return Err(parsed.error(format!("unsupported option `{o}`")));
        };
        let key = key.to_string();
        if !key.eq_ignore_ascii_case("refresh") {
            return Err(invalid(
                &name,
                format!("unknown option `{key}` (the one option is refresh)"),
            ));
        }
        let text = match value {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) => s.clone(),
                other => other.to_string(),
            },
            ast::Expr::Identifier(id) => id.value.clone(),
            other => other.to_string(),
        };
        policy = Policy::parse(&text).map_err(|e| invalid(&name, e))?;
    }
    let query = cv.query.to_string();
    let shape = shape_of(parsed, &cv.query, tables, &name)?;
    let table = result_table(0, &name, &shape.columns, &shape.key);
    Ok(ViewStmt::Create {
        view: Box::new(ViewDef {
            id: 0,
            name,
            base: shape.base.id,
            policy,
            query,
            table,
        }),
        if_not_exists: cv.if_not_exists,
    })
}

fn column_pos(e: &Expr) -> Option<usize> {
    match e {
        Expr::Column { pos, .. } => Some(*pos),
        _ => None,
    }
}

/// Binds view `view`'s defining query `q` and checks it has the one form views take (see the
/// module docs).
pub fn shape_of(parsed: &Parsed, q: &ast::Query, tables: &dyn Tables, view: &str) -> Result<Shape> {
    let bad = |reason: String| invalid(view, reason);
    if q.with.is_some() || q.order_by.is_some() || q.limit_clause.is_some() || q.fetch.is_some() {
        return Err(bad(
            "the query may not have WITH, ORDER BY, LIMIT or FETCH".into()
        ));
    }
    let SetExpr::Select(sel) = q.body.as_ref() else {
        return Err(bad("the query must be a single SELECT".into()));
    };
    if sel.distinct.is_some() || sel.having.is_some() || sel.into.is_some() {
        return Err(bad("the query may not have DISTINCT, HAVING or INTO".into()));
    }
    let [only] = sel.from.as_slice() else {
        return Err(bad("the query must read exactly one table".into()));
    };
    let ast::TableFactor::Table { name: tname, .. } = &only.relation else {
        return Err(bad("the query must read a table".into()));
    };
    if !only.joins.is_empty() {
        return Err(bad("the query may not join".into()));
    }
    let base = tables.table(&object_name(parsed, tname)?)?;
    if !base.storage.is_columnar() {
        return Err(bad(format!(
            "its base table `{}` is a row table; materialized views read columnar tables",
            base.name
        )));
    }
    let group_exprs = match &sel.group_by {
        ast::GroupByExpr::Expressions(e, m) if m.is_empty() && !e.is_empty() => e,
        _ => return Err(bad("the query must have GROUP BY <columns>".into())),
    };
    let mut scope = Scope::new(parsed, Some(base));
    let mut group = Vec::new();
    for g in group_exprs {
        let pos = column_pos(&scope.bind(g)?)
            .ok_or_else(|| bad(format!("GROUP BY `{g}` is not a column of `{}`", base.name)))?;
        if group.contains(&pos) {
            return Err(bad(format!("GROUP BY lists `{g}` twice")));
        }
        group.push(pos);
    }
    let filter = sel.selection.as_ref().map(|w| scope.bind(w)).transpose()?;
    scope.aggregates = Some(Vec::new());
    let mut outputs = Vec::new();
    let mut columns: Vec<(String, ColumnType)> = Vec::new();
    let mut aggs = Vec::new();
    for item in &sel.projection {
        let (e, alias) = match item {
            SelectItem::UnnamedExpr(e) => (e, None),
            SelectItem::ExprWithAlias { expr, alias } => (expr, Some(alias.value.clone())),
            other => {
                return Err(bad(format!(
                    "`{other}`: list the group columns and aggregates (no *)"
                )));
            }
        };
        let bound = scope.bind(e)?;
        let (out, name, ty) = match &bound {
            Expr::Column { pos, name } => {
                let i = group
                    .iter()
                    .position(|g| g == pos)
                    .ok_or_else(|| bad(format!("`{name}` is selected but not in GROUP BY")))?;
                let ty = base.columns.get(*pos).map_or(ColumnType::Int, |c| c.ty);
                (ViewOutput::Group(i), name.clone(), ty)
            }
            Expr::Aggregate { index, text, .. } => {
                let call = scope
                    .aggregates
                    .as_ref()
                    .and_then(|c| c.get(*index))
                    .cloned()
                    .ok_or_else(|| bad(format!("`{text}`: unknown aggregate")))?;
                let arg = match &call.arg {
                    None => None,
                    Some(a) => Some(column_pos(a).ok_or_else(|| {
                        bad(format!(
                            "`{text}`: an aggregate's argument must be a column"
                        ))
                    })?),
                };
                let arg_ty = arg.and_then(|p| base.columns.get(p)).map(|c| c.ty);
                if matches!(call.func, AggFunc::Sum | AggFunc::Avg)
                    && arg_ty != Some(ColumnType::Int)
                {
                    return Err(bad(format!(
                        "`{text}`: SUM and AVG are offered over BIGINT columns only (floating-point sums depend on their order, so applying changes would not reproduce a recomputation)"
                    )));
                }
                let ty = call.func.result_type(arg_ty).unwrap_or(ColumnType::Int);
                aggs.push(ViewAgg {
                    func: call.func,
                    arg,
                });
                (ViewOutput::Agg(aggs.len() - 1), text.clone(), ty)
            }
            _ => {
                return Err(bad(format!(
                    "`{e}`: select group columns and aggregates of columns only"
                )));
            }
        };
        let name = alias.unwrap_or(name);
        if columns.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            return Err(bad(format!(
                "two result columns are named `{name}` (give one an alias)"
            )));
        }
        columns.push((name, ty));
        outputs.push(out);
    }
    if scope.params > 0 {
        return Err(bad("the query may not take parameters".into()));
    }
    let mut key = Vec::with_capacity(group.len());
    for i in 0..group.len() {
        let at = outputs
            .iter()
            .position(|o| *o == ViewOutput::Group(i))
            .ok_or_else(|| {
                let col = group
                    .get(i)
                    .and_then(|p| base.columns.get(*p))
                    .map_or("?", |c| c.name.as_str());
                bad(format!("GROUP BY column `{col}` must be selected"))
            })?;
        key.push(at as u16);
    }
    Ok(Shape {
        base: base.clone(),
        filter,
        group,
        aggs,
        outputs,
        columns,
        key,
    })
}

/// Binds `DROP MATERIALIZED VIEW`.
pub fn bind_drop(parsed: &Parsed, names: &[ast::ObjectName], if_exists: bool) -> Result<ViewStmt> {
    let names = names
        .iter()
        .map(|n| object_name(parsed, n))
        .collect::<Result<Vec<_>>>()?;
    Ok(ViewStmt::Drop { names, if_exists })
}

/// Binds `REFRESH MATERIALIZED VIEW v [INCREMENTAL]` (the parser strips `INCREMENTAL`, which
/// stays in the statement's text).
pub fn bind_refresh(parsed: &Parsed, r: &ast::RefreshMaterializedView) -> Result<ViewStmt> {
    if r.concurrently || r.with_data.is_some() {
        return Err(parsed.error(
            "REFRESH MATERIALIZED VIEW takes no CONCURRENTLY or WITH [NO] DATA (INCREMENTAL applies the change log)",
        ));
    }
    Ok(ViewStmt::Refresh {
        name: object_name(parsed, &r.name)?,
        incremental: super::super::parse::is_incremental_refresh(&parsed.text),
    })
}

/// Binds `SHOW REFRESHES v` (parsed as `SHOW <identifiers>`); `None` for any other `SHOW`.
pub fn bind_show(parsed: &Parsed, idents: &[ast::Ident]) -> Option<Result<ViewStmt>> {
    let first = idents.first()?;
    if !first.value.eq_ignore_ascii_case("refreshes") {
        return None;
    }
    Some(match idents {
        [_, name] => Ok(ViewStmt::ShowRefreshes {
            name: name.value.clone(),
        }),
        _ => Err(parsed.error("expected SHOW REFRESHES <view>")),
    })
}
