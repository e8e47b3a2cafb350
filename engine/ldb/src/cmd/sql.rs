//! `ldb sql DB ['STATEMENTS']`: run SQL against a database.
//!
//! With statements on the command line (several separated by `;`), the whole text is parsed
//! first (a syntax error anywhere runs nothing), then each runs in order in one session:
//! outside `BEGIN … COMMIT` each statement commits on its own. The first failing
//! statement stops the run (exit 2) with its line and column, or its typed error prefixed by
//! the line it starts on; statements before it that committed stay committed.
//! Without statements, SQL is read from standard input line by line; a statement runs once a
//! line ends with `;` (or at the end of the input). A failing statement prints its error and
//! the input continues; the exit code is then 2. On a terminal the input is line-edited
//! (arrows, Ctrl-R history search; `rustyline`) with a prompt, Ctrl-C drops the statement
//! being typed, Ctrl-D ends the input, and the lines entered are kept in the history file
//! `$LDB_HISTORY` (default `~/.ldb_history`; empty: no history file).
//! A transaction still open at the end is rolled back (with a note on standard error).
//!
//! Output: a query prints an aligned table and `(N rows)`; other statements print `KIND: N
//! row(s)` or `KIND: done`. With `--json`, one JSON object per statement per line:
//! `{"statement", "kind", "rows_affected"}` plus `"columns"`, `"types"` and `"rows"` for a query
//! (integers and doubles as numbers, text as strings, bytes as hex strings, timestamps as
//! RFC 3339 strings, `NULL` as null).

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::schema::sql::parse::{Parsed, parse_script};
use lightning_db::schema::sql::{ExecResult, Rows, Session, SqlDatabase};
use lightning_db::schema::{SchemaError, Value};
use serde_json::json;

use crate::args::DbArgs;
use crate::open::{close, open};

/// Arguments of `ldb sql`.
#[derive(Args, Debug)]
pub struct SqlArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The statements to run (separated by `;`); without them, read standard input.
    statements: Option<String>,
    /// One JSON object per statement per line instead of tables.
    #[arg(long)]
    json: bool,
    /// Threads of columnar scans (0: two when the machine has them).
    #[arg(long, default_value_t = 0)]
    scan_threads: usize,
    /// Rows per batch of columnar scans (at least 1,024; 0: the default, 2,048).
    #[arg(long, default_value_t = 0)]
    batch_rows: usize,
}

/// Runs `ldb sql`; exit code 2 if a statement failed.
pub fn sql_cmd(args: SqlArgs) -> Result<std::process::ExitCode> {
    if args.batch_rows != 0 && args.batch_rows < lightning_db::columnar::scan::MIN_BATCH {
        anyhow::bail!(
            "--batch-rows {}: a batch holds at least {} rows",
            args.batch_rows,
            lightning_db::columnar::scan::MIN_BATCH
        );
    }
    lightning_db::columnar::scan::set_scan_threads(args.scan_threads);
    if args.batch_rows != 0 {
        lightning_db::schema::sql::columnar::set_batch_rows(args.batch_rows);
    }
    let db = SqlDatabase::new(open(&args.db)?);
    let ok = {
        let mut session = db.session();
        let ok = match &args.statements {
            Some(text) => run_text(&mut session, text, 0, args.json)?,
            None => run_stdin(&mut session, args.json)?,
        };
        if session.in_transaction() {
            errln!("ldb: note: the transaction still open at the end was rolled back");
        }
        ok
    };
    close(db.into_inner())?;
    Ok(if ok {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(2)
    })
}

/// The error text: SQL errors carry their own line and column; others get the statement's.
/// `skip` is the number of input lines before the text the positions are relative to.
fn describe(parsed: Option<&Parsed>, err: &SchemaError, skip: u64) -> String {
    match (err, parsed) {
        (SchemaError::Sql(e), _) if e.line > 0 => format!(
            "SQL error at line {}, column {}: {}",
            e.line + skip,
            e.column,
            e.message
        ),
        (_, Some(p)) if !matches!(err, SchemaError::Sql(_)) => {
            format!("statement at line {}: {err}", p.line + skip)
        }
        _ => err.to_string(),
    }
}

/// Runs every statement of `text`; stops at the first failure (printed), returning `false`.
fn run_text(session: &mut Session<'_>, text: &str, skip: u64, json: bool) -> Result<bool> {
    let statements = match parse_script(text) {
        Ok(s) => s,
        Err(e) => {
            errln!("ldb: error: {}", describe(None, &e, skip));
            return Ok(false);
        }
    };
    for parsed in &statements {
        match session.execute_parsed(parsed, &[]) {
            Ok(r) => print_result(parsed, &r, json)?,
            Err(e) => {
                errln!("ldb: error: {}", describe(Some(parsed), &e, skip));
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Where the lines of `ldb sql` without statements come from.
enum Lines {
    /// A pipe or a file: plain lines, no prompt.
    Plain(std::io::Lines<std::io::StdinLock<'static>>),
    /// A terminal: a line editor with history.
    Editor(Box<rustyline::DefaultEditor>, Option<std::path::PathBuf>),
}

/// What reading one line gave.
enum Line {
    Text(String),
    /// Ctrl-C on a terminal: drop what has been typed of the statement.
    Cancelled,
    End,
}

impl Lines {
    fn open() -> Result<Lines> {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return Ok(Lines::Plain(stdin.lock().lines()));
        }
        let mut editor = rustyline::DefaultEditor::new().context("while opening the terminal")?;
        let history = history_file();
        if let Some(path) = &history {
            // A missing or unreadable history file only means no earlier lines.
            let _ = editor.load_history(path);
        }
        Ok(Lines::Editor(Box::new(editor), history))
    }

    fn next(&mut self, continued: bool) -> Result<Line> {
        match self {
            Lines::Plain(lines) => Ok(match lines.next() {
                Some(line) => Line::Text(line.context("while reading standard input")?),
                None => Line::End,
            }),
            Lines::Editor(editor, _) => {
                use rustyline::error::ReadlineError;
                match editor.readline(if continued { "  ...> " } else { "ldb> " }) {
                    Ok(line) => {
                        if !line.trim().is_empty() {
                            let _ = editor.add_history_entry(line.as_str());
                        }
                        Ok(Line::Text(line))
                    }
                    Err(ReadlineError::Interrupted) => Ok(Line::Cancelled),
                    Err(ReadlineError::Eof) => Ok(Line::End),
                    Err(e) => Err(e).context("while reading the terminal"),
                }
            }
        }
    }

    /// Saves the terminal's history (a failure is a note, not an error: the statements ran).
    fn close(self) {
        if let Lines::Editor(mut editor, Some(path)) = self
            && let Err(e) = editor.save_history(&path)
        {
            errln!(
                "ldb: note: the history was not saved to {}: {e}",
                path.display()
            );
        }
    }
}

/// The history file of the interactive `ldb sql`: `$LDB_HISTORY`, else `~/.ldb_history`;
/// `None` when `LDB_HISTORY` is empty or there is no home folder.
fn history_file() -> Option<std::path::PathBuf> {
    match std::env::var_os("LDB_HISTORY") {
        Some(p) if p.is_empty() => None,
        Some(p) => Some(p.into()),
        None => std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".ldb_history")),
    }
}

fn run_stdin(session: &mut Session<'_>, json: bool) -> Result<bool> {
    let mut lines = Lines::open()?;
    let result = read_statements(session, json, &mut lines);
    lines.close();
    result
}

fn read_statements(session: &mut Session<'_>, json: bool, lines: &mut Lines) -> Result<bool> {
    let mut ok = true;
    let mut buffer = String::new();
    // Input lines before the buffer's first line, and lines read so far.
    let (mut skip, mut read) = (0u64, 0u64);
    loop {
        let line = match lines.next(!buffer.trim().is_empty())? {
            Line::Text(line) => line,
            Line::Cancelled => {
                buffer.clear();
                read += 1;
                skip = read;
                continue;
            }
            Line::End => break,
        };
        read += 1;
        buffer.push_str(&line);
        buffer.push('\n');
        if line.trim_end().ends_with(';') && complete(&buffer) {
            ok &= run_text(session, &buffer, skip, json)?;
            buffer.clear();
            skip = read;
            if crate::out::is_closed() {
                return Ok(ok);
            }
        }
    }
    if !buffer.trim().is_empty() {
        ok &= run_text(session, &buffer, skip, json)?;
    }
    Ok(ok)
}

/// Whether `buffer` ends outside a string or comment (a `;` inside an unterminated string does
/// not end the statement): the text tokenizes.
fn complete(buffer: &str) -> bool {
    !matches!(parse_script(buffer), Err(SchemaError::Sql(e)) if e.message.contains("Unterminated"))
}

/// A value as a table cell: text unquoted, timestamps in RFC 3339.
fn cell(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Timestamp(_) => v.to_string().trim_matches('\'').to_string(),
        other => other.to_string(),
    }
}

fn json_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Int(i) => json!(i),
        Value::Double(d) if d.is_finite() => json!(d),
        Value::Double(d) => json!(d.to_string()),
        Value::Text(s) => json!(s),
        Value::Bytes(b) => json!(b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
        Value::Bool(b) => json!(b),
        Value::Timestamp(_) => json!(cell(v)),
    }
}

fn print_result(parsed: &Parsed, r: &ExecResult, json: bool) -> Result<()> {
    if json {
        let mut obj = json!({
            "statement": parsed.text,
            "kind": r.kind,
            "rows_affected": r.rows_affected,
        });
        if let Some(rows) = &r.rows {
            obj["columns"] = json!(rows.columns);
            obj["types"] = json!(
                rows.types
                    .iter()
                    .map(|t| t.map(|t| t.sql_name()))
                    .collect::<Vec<_>>()
            );
            obj["rows"] = json!(
                rows.rows
                    .iter()
                    .map(|row| row.iter().map(json_value).collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            );
        }
        outln!("{obj}")?;
        return Ok(());
    }
    match &r.rows {
        Some(rows) => print_table(rows),
        None => {
            match r.kind {
                "INSERT" | "UPDATE" | "DELETE" | "ALTER TABLE DROP PARTITION" => {
                    outln!("{}: {} row(s)", r.kind, r.rows_affected)?
                }
                kind => outln!("{kind}: done")?,
            }
            Ok(())
        }
    }
}

fn print_table(rows: &Rows) -> Result<()> {
    let cells: Vec<Vec<String>> = rows
        .rows
        .iter()
        .map(|r| r.iter().map(cell).collect())
        .collect();
    let mut widths: Vec<usize> = rows.columns.iter().map(|c| c.chars().count()).collect();
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let numeric: Vec<bool> = rows
        .types
        .iter()
        .map(|t| {
            matches!(
                t,
                Some(
                    lightning_db::schema::ColumnType::Int
                        | lightning_db::schema::ColumnType::Double
                )
            )
        })
        .collect();
    let line = |values: &[String], align_numbers: bool| -> String {
        values
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (v, w))| {
                if align_numbers && numeric.get(i).copied().unwrap_or(false) {
                    format!("{v:>w$}")
                } else {
                    format!("{v:<w$}")
                }
            })
            .collect::<Vec<_>>()
            .join(" | ")
            .trim_end()
            .to_string()
    };
    let mut out = crate::out::Buffered::new();
    writeln!(out, "{}", line(&rows.columns, false))?;
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    writeln!(out, "{}", rule.join("-+-"))?;
    for row in &cells {
        writeln!(out, "{}", line(row, true))?;
    }
    let n = rows.rows.len();
    writeln!(out, "({n} row{})", if n == 1 { "" } else { "s" })?;
    out.finish()?;
    Ok(())
}
