//! Binding range partitioning: `CREATE TABLE … WITH (storage = 'columnar',
//! partition_interval = 'month') PARTITION BY RANGE (col)`, `ALTER TABLE t DROP PARTITION
//! ('2024-01', …)` and `SHOW PARTITIONS t`. What the text alone decides is checked here (the
//! clause's shape, the interval); the column and its type are checked when the table is
//! created (`schema::ddl`).

use sqlparser::ast;

use super::super::super::def::PartitionInterval;
use super::super::super::error::{Result, SchemaError};
use super::super::parse::Parsed;

fn invalid(table: &str, reason: impl Into<String>) -> SchemaError {
    SchemaError::InvalidDefinition {
        name: table.to_string(),
        reason: reason.into(),
    }
}

/// The interval `partition_interval = '…'` names: `month`, `day`, or a positive integer width.
pub fn interval(table: &str, text: &str) -> Result<PartitionInterval> {
    match text.trim().to_ascii_lowercase().as_str() {
        "month" => Ok(PartitionInterval::Month),
        "day" => Ok(PartitionInterval::Day),
        other => match other.parse::<u64>() {
            Ok(w) if w > 0 => Ok(PartitionInterval::Width(w)),
            _ => Err(invalid(
                table,
                format!(
                    "partition_interval = '{text}': expected 'month', 'day' or a positive integer width"
                ),
            )),
        },
    }
}

/// The column `PARTITION BY RANGE (col)` names.
fn range_column(parsed: &Parsed, table: &str, e: &ast::Expr) -> Result<String> {
    let shape = || {
        parsed.error(format!(
            "table `{table}`: PARTITION BY takes RANGE (column), got `{e}`"
        ))
    };
    let ast::Expr::Function(f) = e else {
        return Err(shape());
    };
    if !f.name.to_string().eq_ignore_ascii_case("range") {
        return Err(shape());
    }
    let ast::FunctionArguments::List(list) = &f.args else {
        return Err(shape());
    };
    match list.args.as_slice() {
        [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::Identifier(id)))] => {
            Ok(id.value.clone())
        }
        _ => Err(shape()),
    }
}

/// The partition clause of `CREATE TABLE`: `PARTITION BY RANGE (col)` with the interval of the
/// `partition_interval` option; neither without the other, and only on a columnar table.
pub fn clause(
    parsed: &Parsed,
    table: &str,
    by: Option<&ast::Expr>,
    interval_text: Option<&str>,
    columnar: bool,
) -> Result<Option<(String, PartitionInterval)>> {
    match (by, interval_text) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(invalid(
            table,
            "partition_interval needs PARTITION BY RANGE (column)",
        )),
        (Some(_), None) => Err(invalid(
            table,
            "PARTITION BY RANGE needs WITH (partition_interval = 'month' | 'day' | width)",
        )),
        (Some(_), Some(_)) if !columnar => Err(invalid(
            table,
            "only a columnar table can be partitioned (add storage = 'columnar')",
        )),
        (Some(e), Some(text)) => Ok(Some((
            range_column(parsed, table, e)?,
            interval(table, text)?,
        ))),
    }
}

/// The labels of `DROP PARTITION ('2024-01', …)`: string or number literals.
pub fn labels(parsed: &Parsed, table: &str, partitions: &[ast::Expr]) -> Result<Vec<String>> {
    partitions
        .iter()
        .map(|e| match e {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) | ast::Value::Number(s, _) => Ok(s.clone()),
                _ => Err(parsed.error(format!(
                    "table `{table}`: DROP PARTITION takes partition labels ('2024-01'), got `{e}`"
                ))),
            },
            ast::Expr::UnaryOp {
                op: ast::UnaryOperator::Minus,
                expr,
            } => match expr.as_ref() {
                ast::Expr::Value(v) => match &v.value {
                    ast::Value::Number(s, _) => Ok(format!("-{s}")),
                    _ => Err(parsed.error(format!("DROP PARTITION: unsupported label `{e}`"))),
                },
                _ => Err(parsed.error(format!("DROP PARTITION: unsupported label `{e}`"))),
            },
            _ => Err(parsed.error(format!(
                "table `{table}`: DROP PARTITION takes partition labels ('2024-01'), got `{e}`"
            ))),
        })
        .collect()
}

/// The table `SHOW PARTITIONS t` names (`None`: not a `SHOW PARTITIONS`).
pub fn show_target(parsed: &Parsed, variable: &[ast::Ident]) -> Option<Result<String>> {
    let (first, rest) = variable.split_first()?;
    if !first.value.eq_ignore_ascii_case("partitions") {
        return None;
    }
    Some(match rest {
        [table] => Ok(table.value.clone()),
        _ => Err(parsed.error("SHOW PARTITIONS takes one table name")),
    })
}
