//! `ldb export DB TABLE [--out FILE]`: write a table as CSV, header first, rows in primary-key
//! order from one snapshot, in the formats `ldb import` reads back to the same values.
//!
//! Without `--out` the CSV goes to standard output (a closed pipe ends it quietly) and the
//! summary line to standard error; with `--out` the summary goes to standard output. The
//! summary is `exported N rows of TABLE in S s`, or with `--json` one object.

use std::fs::File;
use std::io::{BufWriter, ErrorKind, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::schema::import::{ExportError, ExportReport, export_csv};
use serde_json::json;

use crate::args::DbArgs;
use crate::open::{close, open};

/// Arguments of `ldb export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The table to write.
    table: String,
    /// The CSV file to write (created or truncated) instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The summary as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs `ldb export`.
pub fn export_cmd(args: ExportArgs) -> Result<()> {
    let db = open(&args.db)?;
    let result = match &args.out {
        Some(path) => {
            let file =
                File::create(path).with_context(|| format!("while creating {}", path.display()))?;
            let mut w = BufWriter::with_capacity(1 << 16, file);
            export_csv(&db, &args.table, &mut w)
                .and_then(|r| w.flush().map(|()| r).map_err(ExportError::Write))
                .map(Some)
                .with_context(|| format!("while exporting `{}` to {}", args.table, path.display()))
        }
        None => {
            let mut w = crate::out::stdout_writer();
            match export_csv(&db, &args.table, &mut w) {
                Ok(r) => Ok(Some(r)),
                // The reader of the pipe went away: stop quietly.
                Err(ExportError::Write(e)) if e.kind() == ErrorKind::BrokenPipe => Ok(None),
                Err(e) => Err(anyhow::Error::new(e))
                    .with_context(|| format!("while exporting `{}`", args.table)),
            }
        }
    };
    close(db)?;
    let Some(report) = result? else {
        return Ok(());
    };
    let line = summary(&report, args.out.as_ref(), args.json);
    if args.out.is_some() {
        outln!("{line}")?;
    } else {
        errln!("{line}");
    }
    Ok(())
}

fn summary(report: &ExportReport, out: Option<&PathBuf>, json: bool) -> String {
    if json {
        json!({
            "table": report.table,
            "rows": report.rows,
            "seconds": report.seconds,
            "out": out.map(|p| p.display().to_string()),
        })
        .to_string()
    } else {
        format!(
            "exported {} rows of {} in {:.3} s",
            report.rows, report.table, report.seconds
        )
    }
}
