//! Binding the statistics statements of columnar tables: `ANALYZE [TABLE] t`, bare `ANALYZE`
//! (every columnar table) and `SHOW STATS t`.

use sqlparser::ast::{self, Statement as Ast};

use super::super::parse::Parsed;
use super::{Bound, Tables, object_name};
use crate::columnar::table_stats::require_columnar;
use crate::schema::error::Result;

/// The bound form of `ast` if it is a statistics statement (`None`: it is not one).
pub fn bind_stats(parsed: &Parsed, ast: &Ast, tables: &dyn Tables) -> Option<Result<Bound>> {
    match ast {
        Ast::Analyze(a) => Some(analyze(parsed, a, tables)),
        Ast::ShowVariable { variable } => match variable.as_slice() {
            [kw, _, ..] if kw.value.eq_ignore_ascii_case("STATS") => {
                Some(show_stats(parsed, variable, tables))
            }
            _ => None,
        },
        _ => None,
    }
}

fn analyze(parsed: &Parsed, a: &ast::Analyze, tables: &dyn Tables) -> Result<Bound> {
    if !a.columns.is_empty()
        || a.for_columns
        || a.partitions.is_some()
        || a.cache_metadata
        || a.noscan
        || a.compute_statistics
    {
        return Err(parsed.error(
            "ANALYZE takes a table name only (every column is analyzed; no column list, PARTITION, NOSCAN or COMPUTE STATISTICS)",
        ));
    }
    let Some(name) = &a.table_name else {
        return Ok(Bound::Analyze(None));
    };
    let def = tables.table(&object_name(parsed, name)?)?;
    require_columnar(def)?;
    Ok(Bound::Analyze(Some(def.clone())))
}

fn show_stats(parsed: &Parsed, variable: &[ast::Ident], tables: &dyn Tables) -> Result<Bound> {
    let [_, table] = variable else {
        return Err(parsed.error("SHOW STATS takes one table name: SHOW STATS t"));
    };
    let def = tables.table(&table.value)?;
    require_columnar(def)?;
    Ok(Bound::ShowStats(def.clone()))
}
