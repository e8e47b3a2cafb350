//! The column statistics of each columnar table, verified against its segments
//! ([`crate::columnar::table_stats::verify`]): one finding per column whose stored statistics
//! disagree (or do not decode), keyed by the column's name.

use super::pass::finding;
use super::{FindingKind, SchemaReport};
use crate::Transaction;
use crate::columnar::table_stats::verify::verify;
use crate::schema::def::TableDef;
use crate::schema::error::{Result, SchemaError};

/// Verifies `def`'s column statistics (nothing for a row table). A segment that cannot be read
/// is a finding too, not an error.
pub(super) fn check_stats(
    txn: &mut Transaction<'_>,
    def: &TableDef,
    report: &mut SchemaReport,
) -> Result<()> {
    if !def.storage.is_columnar() {
        return Ok(());
    }
    let kind = FindingKind::ColumnStats;
    match verify(txn, def) {
        Ok(verdicts) => {
            for v in verdicts.into_iter().filter(|v| !v.passes()) {
                let key = format!("column {}", v.column);
                report.push(finding(def, kind, None, key, v.problems.join("; ")));
            }
        }
        Err(SchemaError::Engine(e)) => return Err(SchemaError::Engine(e)),
        Err(e) => {
            let detail = format!("statistics not verified: {e}");
            report.push(finding(def, kind, None, "(segments)".into(), detail));
        }
    }
    Ok(())
}
