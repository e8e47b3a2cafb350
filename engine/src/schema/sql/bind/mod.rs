//! Binding: a parsed statement checked against the catalog and turned into a [`Bound`] statement
//! whose names are resolved (tables to their [`TableDef`], columns to positions), whose literals
//! are coerced to their columns' types, whose parameters are counted, and whose row access is
//! planned ([`plan`](super::plan)). A bound statement is what a prepared statement caches for
//! one catalog version.

pub mod ddl;
pub mod expr;
pub mod partition;
pub mod stats;
pub mod view;

use sqlparser::ast::{self, SelectItem, SetExpr, Statement as Ast};

use super::super::def::TableDef;
use super::super::error::{Result, SchemaError};
use super::super::value::{ColumnType, Value};
use super::aggregate::{AggCall, Aggregate};
use super::explain;
use super::expr::{BinOp, Expr};
use super::parse::Parsed;
use super::plan::{self, Plan};
use crate::txn::IsolationLevel;

pub use ddl::{ColumnDecl, Ddl, IndexDecl, TableDecl};
pub use expr::Scope;
pub use view::ViewStmt;

/// Where the binder looks tables up (the catalog as the statement's transaction sees it).
pub trait Tables {
    /// The table named `name` (case-insensitive), or [`SchemaError::UnknownTable`].
    fn table(&self, name: &str) -> Result<&TableDef>;

    /// The table or materialized view (as its result table) named `name`, for reading.
    fn readable(&self, name: &str) -> Result<&TableDef> {
        self.table(name)
    }
}

/// One output column of a query.
#[derive(Clone, Debug, PartialEq)]
pub struct OutColumn {
    /// Its name (the alias, the column's name, or the expression's text).
    pub name: String,
    /// Its type when known statically (`None` for `NULL` or an untyped parameter).
    pub ty: Option<ColumnType>,
    /// What computes it from a table row.
    pub expr: Expr,
}

/// A bound `SELECT`.
#[derive(Clone, Debug, PartialEq)]
pub struct Select {
    /// The table read (`None`: `SELECT` without `FROM`, one row of constants).
    pub table: Option<TableDef>,
    /// The output columns.
    pub columns: Vec<OutColumn>,
    /// How rows are found and filtered, and whether they arrive in `ORDER BY` order.
    pub plan: Plan,
    /// `ORDER BY` keys over the table row: (expression, descending).
    pub order_by: Vec<(Expr, bool)>,
    /// `LIMIT` (a constant expression).
    pub limit: Option<Expr>,
    /// `OFFSET` (a constant expression).
    pub offset: Option<Expr>,
    /// `GROUP BY` and the aggregate calls, for a grouped query (one with `GROUP BY` or an
    /// aggregate). Its output columns, `HAVING` and `ORDER BY` keys then read the group row.
    pub aggregate: Option<Box<Aggregate>>,
}

/// A bound `INSERT`: each row's expressions in table column order, already coerced (defaults
/// filled in for omitted columns).
#[derive(Clone, Debug, PartialEq)]
pub struct Insert {
    /// The table written.
    pub table: TableDef,
    /// Rows, full width.
    pub rows: Vec<Vec<Expr>>,
}

/// A bound `UPDATE`.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    /// The table written.
    pub table: TableDef,
    /// (column position, new value over the old row).
    pub assignments: Vec<(usize, Expr)>,
    /// Which rows.
    pub plan: Plan,
}

/// A bound `DELETE`.
#[derive(Clone, Debug, PartialEq)]
pub struct Delete {
    /// The table written.
    pub table: TableDef,
    /// Which rows.
    pub plan: Plan,
}

/// A bound statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Bound {
    /// `SELECT`.
    Select(Select),
    /// `INSERT`.
    Insert(Insert),
    /// `UPDATE`.
    Update(Update),
    /// `DELETE`.
    Delete(Delete),
    /// A schema change.
    Ddl(Ddl),
    /// `BEGIN` / `START TRANSACTION` (with its isolation level, if given).
    Begin(Option<IsolationLevel>),
    /// `COMMIT`.
    Commit,
    /// `ROLLBACK`.
    Rollback,
    /// `EXPLAIN statement`: the plan, not the rows.
    Explain(Box<Bound>),
    /// `EXPLAIN ANALYZE query`: the query run, its plan and what each step read and took.
    ExplainAnalyze(Box<Bound>),
    /// `ANALYZE t` (a columnar table) or bare `ANALYZE` (`None`: every columnar table).
    Analyze(Option<TableDef>),
    /// `SHOW STATS t`: a columnar table's stored column statistics.
    ShowStats(TableDef),
    /// A materialized-view statement.
    View(ViewStmt),
    /// `SHOW PARTITIONS t`: a partitioned table's partitions.
    ShowPartitions(Box<TableDef>),
}

impl Bound {
    /// The statement's kind as a word (`SELECT`, `INSERT`, `CREATE TABLE`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Bound::Select(_) => "SELECT",
            Bound::Insert(_) => "INSERT",
            Bound::Update(_) => "UPDATE",
            Bound::Delete(_) => "DELETE",
            Bound::Ddl(d) => d.kind(),
            Bound::Begin(_) => "BEGIN",
            Bound::Commit => "COMMIT",
            Bound::Rollback => "ROLLBACK",
            Bound::Explain(_) => "EXPLAIN",
            Bound::ExplainAnalyze(_) => "EXPLAIN ANALYZE",
            Bound::Analyze(_) => "ANALYZE",
            Bound::ShowStats(_) => "SHOW STATS",
            Bound::View(v) => v.kind(),
            Bound::ShowPartitions(_) => "SHOW PARTITIONS",
        }
    }
}

/// A bound statement and its parameter count.
#[derive(Clone, Debug, PartialEq)]
pub struct BoundStatement {
    /// The statement.
    pub bound: Bound,
    /// How many parameters it takes.
    pub params: usize,
}

/// Binds `parsed` against `tables`.
pub fn bind(parsed: &Parsed, tables: &dyn Tables) -> Result<BoundStatement> {
    bind_ast(parsed, &parsed.ast, tables)
}

fn bind_ast(parsed: &Parsed, ast: &Ast, tables: &dyn Tables) -> Result<BoundStatement> {
    let plain = |bound| Ok(BoundStatement { bound, params: 0 });
    if let Some(bound) = stats::bind_stats(parsed, ast, tables) {
        return plain(bound?);
    }
    match ast {
        Ast::Query(q) => bind_query(parsed, q, tables),
        Ast::Insert(ins) => bind_insert(parsed, ins, tables),
        Ast::Update(up) => bind_update(parsed, up, tables),
        Ast::Delete(del) => bind_delete(parsed, del, tables),
        Ast::StartTransaction { modes, .. } => {
            let mut level = None;
            for m in modes {
                if let ast::TransactionMode::IsolationLevel(l) = m {
                    level = Some(match l {
                        ast::TransactionIsolationLevel::Serializable => {
                            IsolationLevel::Serializable
                        }
                        ast::TransactionIsolationLevel::RepeatableRead
                        | ast::TransactionIsolationLevel::Snapshot => {
                            IsolationLevel::RepeatableRead
                        }
                        other => {
                            return Err(parsed.error(format!(
                                "isolation level {other} is not offered (REPEATABLE READ or SERIALIZABLE)"
                            )));
                        }
                    });
                }
            }
            plain(Bound::Begin(level))
        }
        Ast::Commit { .. } => plain(Bound::Commit),
        Ast::Rollback {
            savepoint: None, ..
        } => plain(Bound::Rollback),
        Ast::Explain {
            statement, analyze, ..
        } => {
            let inner = bind_ast(parsed, statement, tables)?;
            let bound = if *analyze {
                if !matches!(inner.bound, Bound::Select(_)) {
                    return Err(parsed.error("EXPLAIN ANALYZE runs queries only (SELECT)"));
                }
                Bound::ExplainAnalyze(Box::new(inner.bound))
            } else {
                Bound::Explain(Box::new(inner.bound))
            };
            Ok(BoundStatement {
                bound,
                params: inner.params,
            })
        }
        Ast::CreateView(cv) if cv.materialized => {
            plain(Bound::View(view::bind_create(parsed, cv, tables)?))
        }
        Ast::Drop {
            object_type: ast::ObjectType::MaterializedView,
            if_exists,
            names,
            cascade: false,
            ..
        } => plain(Bound::View(view::bind_drop(parsed, names, *if_exists)?)),
        Ast::RefreshMaterializedView(r) => plain(Bound::View(view::bind_refresh(parsed, r)?)),
        Ast::ShowVariable { variable } if view::bind_show(parsed, variable).is_some() => {
            let stmt = view::bind_show(parsed, variable)
                .unwrap_or_else(|| Err(parsed.error("expected SHOW REFRESHES <view>")))?;
            plain(Bound::View(stmt))
        }
        Ast::ShowVariable { variable }
            if let Some(t) = partition::show_target(parsed, variable) =>
        {
            plain(Bound::ShowPartitions(Box::new(tables.table(&t?)?.clone())))
        }
        other => ddl::bind_ddl(parsed, other).map(|d| BoundStatement {
            bound: Bound::Ddl(d),
            params: 0,
        }),
    }
}

/// The one table a `FROM`/`UPDATE` names, with its alias.
fn single_table<'t>(
    parsed: &Parsed,
    from: &[ast::TableWithJoins],
    tables: &'t dyn Tables,
    read: bool,
) -> Result<(&'t TableDef, Option<String>)> {
    let [only] = from else {
        return Err(parsed.error("exactly one table is supported in FROM (no joins)"));
    };
    if !only.joins.is_empty() {
        return Err(parsed.error("joins are not supported"));
    }
    match &only.relation {
        ast::TableFactor::Table {
            name, alias, args, ..
        } if args.is_none() => {
            let name = object_name(parsed, name)?;
            let table = if read {
                tables.readable(&name)?
            } else {
                tables.table(&name)?
            };
            Ok((table, alias.as_ref().map(|a| a.name.value.clone())))
        }
        other => Err(parsed.error(format!("unsupported table reference `{other}`"))),
    }
}

/// The single identifier of an object name (`schema.table` is refused).
pub fn object_name(parsed: &Parsed, name: &ast::ObjectName) -> Result<String> {
    match name.0.as_slice() {
        [ast::ObjectNamePart::Identifier(id)] => Ok(id.value.clone()),
        _ => Err(parsed.error(format!("unsupported name `{name}` (no schemas)"))),
    }
}

fn bind_query(parsed: &Parsed, q: &ast::Query, tables: &dyn Tables) -> Result<BoundStatement> {
    if q.with.is_some() || q.fetch.is_some() || !q.locks.is_empty() {
        return Err(parsed.error("WITH, FETCH and locking clauses are not supported"));
    }
    let SetExpr::Select(sel) = q.body.as_ref() else {
        return Err(parsed.error("only a single SELECT is supported (no UNION, VALUES, …)"));
    };
    if sel.distinct.is_some() || sel.into.is_some() {
        return Err(parsed.error("DISTINCT and INTO are not supported"));
    }
    let group_exprs = match &sel.group_by {
        ast::GroupByExpr::Expressions(e, m) if m.is_empty() => e,
        _ => {
            return Err(
                parsed.error("GROUP BY ALL, ROLLUP, CUBE and GROUPING SETS are not supported")
            );
        }
    };
    let (table, alias) = if sel.from.is_empty() {
        (None, None)
    } else {
        let (t, a) = single_table(parsed, &sel.from, tables, true)?;
        (Some(t), a)
    };
    let mut scope = Scope::new(parsed, table);
    scope.alias = alias;
    scope.aggregates = Some(Vec::new());
    let mut columns = Vec::new();
    for item in &sel.projection {
        match item {
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(_, _) => {
                let Some(t) = table else {
                    return Err(parsed.error("SELECT * needs a FROM table"));
                };
                for (pos, c) in t.columns.iter().enumerate() {
                    columns.push(OutColumn {
                        name: c.name.clone(),
                        ty: Some(c.ty),
                        expr: Expr::Column {
                            pos,
                            name: c.name.clone(),
                        },
                    });
                }
            }
            SelectItem::UnnamedExpr(e) => {
                let expr = scope.bind(e)?;
                let name = match e {
                    ast::Expr::Identifier(id) => id.value.clone(),
                    ast::Expr::CompoundIdentifier(p) => {
                        p.last().map_or_else(|| e.to_string(), |i| i.value.clone())
                    }
                    _ => e.to_string(),
                };
                let ty = type_of(&expr, table);
                columns.push(OutColumn { name, ty, expr });
            }
            SelectItem::ExprWithAlias { expr, alias } => {
                let expr = scope.bind(expr)?;
                let ty = type_of(&expr, table);
                columns.push(OutColumn {
                    name: alias.value.clone(),
                    ty,
                    expr,
                });
            }
            SelectItem::ExprWithAliases { .. } => {
                return Err(parsed.error("multiple aliases are not supported"));
            }
        }
    }
    let calls = scope.aggregates.take().unwrap_or_default();
    let filter = sel.selection.as_ref().map(|w| scope.bind(w)).transpose()?;
    let group_by = group_exprs
        .iter()
        .map(|g| scope.bind(g))
        .collect::<Result<Vec<_>>>()?;
    scope.aggregates = Some(calls);
    let having = sel.having.as_ref().map(|h| scope.bind(h)).transpose()?;
    let mut order_by = Vec::new();
    if let Some(ob) = &q.order_by {
        let ast::OrderByKind::Expressions(exprs) = &ob.kind else {
            return Err(parsed.error("ORDER BY ALL is not supported"));
        };
        for o in exprs {
            let desc = matches!(o.options.sort, Some(ast::OrderBySort::Desc));
            if o.options.nulls_first.is_some() {
                return Err(parsed.error(
                    "NULLS FIRST/LAST is not supported (NULL sorts first ascending, last descending)",
                ));
            }
            order_by.push((order_key(&mut scope, &columns, &o.expr)?, desc));
        }
    }
    let calls = scope.aggregates.take().unwrap_or_default();
    let (limit, offset) = match &q.limit_clause {
        None => (None, None),
        Some(ast::LimitClause::LimitOffset {
            limit,
            offset,
            limit_by,
        }) if limit_by.is_empty() => (
            limit.as_ref().map(|l| scope.bind(l)).transpose()?,
            offset.as_ref().map(|o| scope.bind(&o.value)).transpose()?,
        ),
        Some(ast::LimitClause::OffsetCommaLimit { offset, limit }) => {
            (Some(scope.bind(limit)?), Some(scope.bind(offset)?))
        }
        Some(_) => return Err(parsed.error("LIMIT BY is not supported")),
    };
    for e in limit.iter().chain(offset.iter()) {
        if !e.is_constant() {
            return Err(parsed.error("LIMIT and OFFSET must be constants or parameters"));
        }
    }
    let aggregate = if group_by.is_empty() && calls.is_empty() && having.is_none() {
        None
    } else {
        let Some(t) = table else {
            return Err(parsed.error("GROUP BY and aggregates need a FROM table"));
        };
        let grouped = Grouped {
            parsed,
            table: t,
            group_by: &group_by,
            calls: &calls,
        };
        for c in &mut columns {
            c.expr = grouped.rewrite(&c.expr)?;
        }
        for (e, _) in &mut order_by {
            *e = grouped.rewrite(e)?;
        }
        let having = having.as_ref().map(|h| grouped.rewrite(h)).transpose()?;
        Some(Box::new(Aggregate {
            group_by,
            calls,
            having,
        }))
    };
    let plan = match (table, &aggregate) {
        (Some(t), Some(_)) => {
            let mut p = plan::plan(t, filter, &[]);
            p.needs_sort = !order_by.is_empty();
            p
        }
        (Some(t), None) => plan::plan(t, filter, &order_by),
        (None, _) => Plan::constant(filter),
    };
    Ok(BoundStatement {
        params: scope.params,
        bound: Bound::Select(Select {
            table: table.cloned(),
            columns,
            plan,
            order_by,
            limit,
            offset,
            aggregate,
        }),
    })
}

/// Rewrites a grouped query's expressions from the table row to the group row: a group-key
/// expression becomes its key's column, an aggregate its result's column; a column outside
/// both is an error.
struct Grouped<'a> {
    parsed: &'a Parsed,
    table: &'a TableDef,
    group_by: &'a [Expr],
    calls: &'a [AggCall],
}

impl Grouped<'_> {
    fn rewrite(&self, e: &Expr) -> Result<Expr> {
        if let Some(i) = self.group_by.iter().position(|g| g == e) {
            return Ok(Expr::Column {
                pos: i,
                name: explain::expr(e),
            });
        }
        let r = |x: &Expr| self.rewrite(x).map(Box::new);
        Ok(match e {
            Expr::Aggregate { index, text, .. } => {
                debug_assert!(*index < self.calls.len());
                Expr::Column {
                    pos: self.group_by.len() + index,
                    name: text.clone(),
                }
            }
            Expr::Column { name, .. } => {
                return Err(self.parsed.error(format!(
                    "column `{name}` of `{}` must appear in GROUP BY or be used in an aggregate",
                    self.table.name
                )));
            }
            Expr::Literal(_) | Expr::Param(_) => e.clone(),
            Expr::Coerce { expr, ty, target } => Expr::Coerce {
                expr: r(expr)?,
                ty: *ty,
                target: target.clone(),
            },
            Expr::Not(x) => Expr::Not(r(x)?),
            Expr::Neg(x) => Expr::Neg(r(x)?),
            Expr::Binary { op, left, right } => Expr::Binary {
                op: *op,
                left: r(left)?,
                right: r(right)?,
            },
            Expr::IsNull { expr, negated } => Expr::IsNull {
                expr: r(expr)?,
                negated: *negated,
            },
            Expr::InList {
                expr,
                list,
                negated,
            } => Expr::InList {
                expr: r(expr)?,
                list: list
                    .iter()
                    .map(|x| self.rewrite(x))
                    .collect::<Result<_>>()?,
                negated: *negated,
            },
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => Expr::Between {
                expr: r(expr)?,
                low: r(low)?,
                high: r(high)?,
                negated: *negated,
            },
            Expr::Like {
                expr,
                pattern,
                negated,
            } => Expr::Like {
                expr: r(expr)?,
                pattern: r(pattern)?,
                negated: *negated,
            },
        })
    }
}

/// An `ORDER BY` key: an output alias, a 1-based output position, or an expression.
fn order_key(scope: &mut Scope<'_>, columns: &[OutColumn], e: &ast::Expr) -> Result<Expr> {
    if let ast::Expr::Identifier(id) = e
        && let Some(c) = columns.iter().find(|c| {
            c.name.eq_ignore_ascii_case(&id.value) && !matches!(c.expr, Expr::Column { .. })
        })
    {
        return Ok(c.expr.clone());
    }
    if let ast::Expr::Value(v) = e
        && let ast::Value::Number(n, _) = &v.value
    {
        let idx: usize = n.parse().unwrap_or(0);
        return match idx.checked_sub(1).and_then(|i| columns.get(i)) {
            Some(c) => Ok(c.expr.clone()),
            None => Err(scope.parsed.error(format!(
                "ORDER BY {n}: there are {} output columns",
                columns.len()
            ))),
        };
    }
    scope.bind(e)
}

/// The static type of a bound expression over `table`'s rows.
pub fn type_of(e: &Expr, table: Option<&TableDef>) -> Option<ColumnType> {
    match e {
        Expr::Literal(v) => v.column_type(),
        Expr::Param(_) => None,
        Expr::Column { pos, .. } => table.and_then(|t| t.columns.get(*pos)).map(|c| c.ty),
        Expr::Coerce { ty, .. } => Some(*ty),
        Expr::Aggregate { ty, .. } => *ty,
        Expr::Neg(inner) => type_of(inner, table),
        Expr::Binary { op, left, right } => match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                match (type_of(left, table), type_of(right, table)) {
                    (Some(ColumnType::Int), Some(ColumnType::Int)) => Some(ColumnType::Int),
                    (Some(ColumnType::Double), _) | (_, Some(ColumnType::Double)) => {
                        Some(ColumnType::Double)
                    }
                    _ => None,
                }
            }
            BinOp::Concat => Some(ColumnType::Text),
            _ => Some(ColumnType::Bool),
        },
        Expr::Not(_)
        | Expr::IsNull { .. }
        | Expr::InList { .. }
        | Expr::Between { .. }
        | Expr::Like { .. } => Some(ColumnType::Bool),
    }
}

fn bind_insert(parsed: &Parsed, ins: &ast::Insert, tables: &dyn Tables) -> Result<BoundStatement> {
    let ast::TableObject::TableName(name) = &ins.table else {
        return Err(parsed.error("INSERT INTO a table function is not supported"));
    };
    if ins.on.is_some() || ins.returning.is_some() || ins.or.is_some() {
        return Err(parsed.error("ON CONFLICT, OR … and RETURNING are not supported"));
    }
    let table = tables.table(&object_name(parsed, name)?)?;
    let mut targets = Vec::new();
    for c in &ins.columns {
        let col = object_name(parsed, c)?;
        let (pos, _) = table
            .column(&col)
            .ok_or_else(|| SchemaError::UnknownColumn {
                table: table.name.clone(),
                column: col.clone(),
            })?;
        if targets.contains(&pos) {
            return Err(parsed.error(format!("column `{col}` is listed twice")));
        }
        targets.push(pos);
    }
    if targets.is_empty() {
        targets = (0..table.columns.len()).collect();
    }
    let Some(SetExpr::Values(values)) = ins.source.as_ref().map(|q| q.body.as_ref()) else {
        return Err(parsed.error("INSERT needs VALUES (INSERT … SELECT is not supported)"));
    };
    let mut scope = Scope::new(parsed, None);
    let mut rows = Vec::with_capacity(values.rows.len());
    for (n, row) in values.rows.iter().enumerate() {
        let row = &row.content;
        if row.len() != targets.len() {
            return Err(parsed.error(format!(
                "row {} has {} values for {} columns",
                n + 1,
                row.len(),
                targets.len()
            )));
        }
        let mut full: Vec<Expr> = table
            .columns
            .iter()
            .map(|c| Expr::Literal(c.default.clone().unwrap_or(Value::Null)))
            .collect();
        for (e, &pos) in row.iter().zip(&targets) {
            let bound = scope.bind(e)?;
            let col = &table.columns[pos];
            let coerced = Expr::Coerce {
                expr: Box::new(bound),
                ty: col.ty,
                target: (table.name.clone(), col.name.clone()),
            };
            full[pos] = coerced;
        }
        rows.push(full);
    }
    Ok(BoundStatement {
        params: scope.params,
        bound: Bound::Insert(Insert {
            table: table.clone(),
            rows,
        }),
    })
}

fn bind_update(parsed: &Parsed, up: &ast::Update, tables: &dyn Tables) -> Result<BoundStatement> {
    if up.from.is_some() || up.returning.is_some() || up.limit.is_some() {
        return Err(parsed.error("UPDATE … FROM, RETURNING and LIMIT are not supported"));
    }
    let (table, alias) = single_table(parsed, std::slice::from_ref(&up.table), tables, false)?;
    let mut scope = Scope::new(parsed, Some(table));
    scope.alias = alias;
    let mut assignments = Vec::new();
    for a in &up.assignments {
        let ast::AssignmentTarget::ColumnName(name) = &a.target else {
            return Err(parsed.error("tuple assignments are not supported"));
        };
        let col = match name.0.last() {
            Some(ast::ObjectNamePart::Identifier(id)) => id.value.clone(),
            _ => return Err(parsed.error(format!("unsupported column name `{name}`"))),
        };
        let (pos, def) = table
            .column(&col)
            .ok_or_else(|| SchemaError::UnknownColumn {
                table: table.name.clone(),
                column: col.clone(),
            })?;
        if assignments.iter().any(|(p, _)| *p == pos) {
            return Err(parsed.error(format!("column `{col}` is assigned twice")));
        }
        let value = scope.bind(&a.value)?;
        let value = Expr::Coerce {
            expr: Box::new(value),
            ty: def.ty,
            target: (table.name.clone(), def.name.clone()),
        };
        assignments.push((pos, value));
    }
    let filter = up.selection.as_ref().map(|w| scope.bind(w)).transpose()?;
    Ok(BoundStatement {
        params: scope.params,
        bound: Bound::Update(Update {
            table: table.clone(),
            assignments,
            plan: plan::plan(table, filter, &[]),
        }),
    })
}

fn bind_delete(parsed: &Parsed, del: &ast::Delete, tables: &dyn Tables) -> Result<BoundStatement> {
    if !del.tables.is_empty() || del.using.is_some() || del.returning.is_some() {
        return Err(parsed.error("multi-table DELETE, USING and RETURNING are not supported"));
    }
    if del.limit.is_some() || !del.order_by.is_empty() {
        return Err(parsed.error("DELETE … ORDER BY/LIMIT is not supported"));
    }
    let from = match &del.from {
        ast::FromTable::WithFromKeyword(f) | ast::FromTable::WithoutKeyword(f) => f,
    };
    let (table, alias) = single_table(parsed, from, tables, false)?;
    let mut scope = Scope::new(parsed, Some(table));
    scope.alias = alias;
    let filter = del.selection.as_ref().map(|w| scope.bind(w)).transpose()?;
    Ok(BoundStatement {
        params: scope.params,
        bound: Bound::Delete(Delete {
            table: table.clone(),
            plan: plan::plan(table, filter, &[]),
        }),
    })
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
