//! `ldb check`: every page checksum, the B+tree structure and the freelist, then every table and
//! index (orphaned and missing index entries, constraints, rows that do not decode, counts and
//! fingerprints, columnar tables' column statistics against their segments, foreign keys in the
//! reserved schema prefix); exit code 1 on findings. A
//! database too damaged to open is a finding, not an error. `--read-only` checks the storage
//! core only.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::IntegrityReport;
use lightning_metrics::Metric;

use crate::args::DbArgs;
use crate::open::{note_pending, open_read_only, options};
use crate::report::{print_metrics, verdict};

/// Arguments of `ldb check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Machine-readable output (the full report).
    #[arg(long)]
    json: bool,
    /// Print the project's metrics JSON instead, with metric names under this prefix
    /// (`<prefix>.errors`, `.pages_verified`, `.leaked_pages`, `.keys`; when tables were
    /// checked also `.tables`, `.rows`, `.index_entries`, `.orphaned_index_entries`,
    /// `.missing_index_entries`, `.constraint_violations`, `.undecodable_rows`,
    /// `.foreign_keys`, `.column_stats`, `.view_mismatches`).
    #[arg(long, value_name = "PREFIX")]
    metrics: Option<String>,
    /// Open without writing anything (no recovery writes, no lock file created), e.g. a
    /// copy on read-only media; commits in the log are shown as recovery would redo them.
    /// Checks the storage core only (not the tables).
    #[arg(long)]
    read_only: bool,
}

/// Runs `ldb check`; exit code 1 when the report is not clean.
pub fn check_cmd(args: CheckArgs) -> Result<ExitCode> {
    let db = &args.db;
    let report = if args.read_only {
        match open_read_only(db) {
            Ok(view) => {
                note_pending(&view, true);
                view.check().context("while checking")?
            }
            Err(e) => match e.downcast_ref::<lightning_db::Error>() {
                Some(inner) if inner.is_damage() => {
                    IntegrityReport::unopenable(format!("cannot open the database: {inner}"))
                }
                _ => return Err(e),
            },
        }
    } else {
        lightning_db::integrity::check_database(&db.db, options(db))
            .with_context(|| format!("while checking database {}", db.db.display()))?
    };
    if let Some(prefix) = &args.metrics {
        print_metrics(metrics(prefix, &report))?;
    } else if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        out!("{report}")?;
    }
    Ok(verdict(report.is_clean()))
}

/// The figures of a report under `prefix`.
fn metrics(prefix: &str, report: &IntegrityReport) -> Vec<Metric> {
    let mut metrics = vec![
        Metric::lower(
            format!("{prefix}.errors"),
            report.error_count() as f64,
            "count",
        ),
        Metric::higher(
            format!("{prefix}.pages_verified"),
            report.pages_verified as f64,
            "count",
        ),
        Metric::lower(
            format!("{prefix}.leaked_pages"),
            report.leaked_pages.len() as f64,
            "count",
        ),
        Metric::higher(
            format!("{prefix}.keys"),
            report.tree.entries as f64,
            "count",
        ),
    ];
    if let Some(t) = &report.tables {
        for (name, value) in [
            ("tables", t.tables),
            ("rows", t.rows),
            ("index_entries", t.index_entries),
        ] {
            metrics.push(Metric::higher(
                format!("{prefix}.{name}"),
                value as f64,
                "count",
            ));
        }
        for (name, value) in [
            ("orphaned_index_entries", t.orphaned_index_entries),
            ("missing_index_entries", t.missing_index_entries),
            ("constraint_violations", t.constraint_violations),
            ("undecodable_rows", t.undecodable_rows),
            ("foreign_keys", t.foreign_keys),
            ("column_stats", t.column_stats),
            ("view_mismatches", t.view_mismatches),
        ] {
            metrics.push(Metric::lower(
                format!("{prefix}.{name}"),
                value as f64,
                "count",
            ));
        }
    }
    metrics
}
