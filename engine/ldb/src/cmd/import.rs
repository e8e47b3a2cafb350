//! `ldb import DB TABLE FILE.csv [--batch N]`: load a CSV file into a table.
//!
//! The library's [`import_csv`] does the work: the header names columns of the table, the
//! whole file is validated first (bad input writes nothing; the error names `file:line`, the
//! column and what was expected), then rows are inserted in transactions of `--batch` rows.
//! Prints `imported N rows into TABLE in S s (validate S s, insert S s, B batches)`, or with
//! `--json` one object with those fields.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::schema::import::import_csv;
use serde_json::json;

use crate::args::DbArgs;
use crate::open::{Durable, close, close_after, open, warn};

/// Arguments of `ldb import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The table to load into.
    table: String,
    /// The CSV file: a header line of column names, then one row per record (RFC 4180).
    file: PathBuf,
    /// Rows per transaction.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    batch: u64,
    /// One JSON object instead of a line of text.
    #[arg(long)]
    json: bool,
}

/// Runs `ldb import`.
pub fn import_cmd(args: ImportArgs) -> Result<()> {
    let db = open(&args.db)?;
    let batch = usize::try_from(args.batch).unwrap_or(usize::MAX);
    let report = match import_csv(&db, &args.table, &args.file, batch) {
        Ok(r) => r,
        Err(e) => {
            // Batches committed before a failure stay; close cleanly so they are checkpointed.
            let _ = close(db);
            return Err(e).with_context(|| {
                format!(
                    "while importing {} into `{}`",
                    args.file.display(),
                    args.table
                )
            });
        }
    };
    let durable = report.last_commit.map_or(Durable::Nothing, Durable::Commit);
    let warning = close_after(db, durable)?;
    if args.json {
        outln!(
            "{}",
            json!({
                "table": report.table,
                "file": args.file.display().to_string(),
                "rows": report.rows,
                "batches": report.batches,
                "seconds": report.seconds,
                "validate_seconds": report.validate_seconds,
                "insert_seconds": report.insert_seconds,
            })
        )?;
    } else {
        outln!(
            "imported {} rows into {} in {:.3} s (validate {:.3} s, insert {:.3} s, {} batches)",
            report.rows,
            report.table,
            report.seconds,
            report.validate_seconds,
            report.insert_seconds,
            report.batches
        )?;
    }
    warn(warning);
    Ok(())
}
