//! Reading CSV: [`CsvReader`], a streaming RFC 4180 record reader, and [`RowReader`], which
//! maps a file's header onto a table's columns and parses every field by its column's type.
//!
//! The record grammar: fields separated by `,`, records ended by `\n`, `\r\n` or a lone `\r`;
//! a field that starts with `"` is quoted and may hold `,`, line breaks and `""` (one quote);
//! a quote anywhere else in an unquoted field, text after a closing quote, or a quoted field
//! left open at the end of the file is an error. A final line break is optional. Every field is
//! bounded ([`MAX_FIELD_BYTES`] by default), so a file without line breaks cannot exhaust
//! memory. Line numbers are 1-based physical lines (a quoted line break counts): a record's
//! line is the line it starts on.
//!
//! Field text by column type (the formats [`write`](super::write) produces): an empty unquoted
//! field is `NULL` (an empty quoted one, `""`, is the empty text); `BIGINT` a decimal integer;
//! `DOUBLE` anything Rust's `f64` parser takes (`1.5`, `-2e-9`, `inf`, `NaN`); `TEXT` as is;
//! `BYTES` `\x` and hex digits; `BOOLEAN` `true` or `false` (any case); `TIMESTAMP`
//! `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS[.ffffff]` or RFC 3339, read as UTC (the SQL front end's
//! [`parse_timestamp`]).

use std::io::{BufRead, ErrorKind};

use super::ImportError;
use crate::schema::def::TableDef;
use crate::schema::sql::expr::parse_timestamp;
use crate::schema::value::{ColumnType, Value};

/// The default bound on one field's length in bytes (1 MiB).
pub const MAX_FIELD_BYTES: usize = 1 << 20;

/// Where the reader is inside a record.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field.
    Start,
    /// Inside an unquoted field.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field: `"` (an escaped quote), `,`, a line break or
    /// the end of the file may follow.
    QuoteInQuoted,
}

/// A streaming RFC 4180 reader: one record at a time, its fields' buffers reused.
pub struct CsvReader<R> {
    input: R,
    file: String,
    max_field: usize,
    /// The physical line the next byte is on (1-based).
    line: u64,
    /// A `\r` ended the last record: a `\n` right after it belongs to that line break.
    skip_lf: bool,
    fields: Vec<Vec<u8>>,
    quoted: Vec<bool>,
    count: usize,
    record_line: u64,
}

impl<R: BufRead> CsvReader<R> {
    /// A reader of `input`; `file` names it in errors.
    pub fn new(input: R, file: impl Into<String>) -> CsvReader<R> {
        CsvReader {
            input,
            file: file.into(),
            max_field: MAX_FIELD_BYTES,
            line: 1,
            skip_lf: false,
            fields: Vec::new(),
            quoted: Vec::new(),
            count: 0,
            record_line: 0,
        }
    }

    /// The same reader with fields bounded to `max` bytes instead of [`MAX_FIELD_BYTES`].
    pub fn with_max_field(mut self, max: usize) -> CsvReader<R> {
        self.max_field = max;
        self
    }

    /// The name errors give the input.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line the last record read starts on.
    pub fn record_line(&self) -> u64 {
        self.record_line
    }

    /// The number of fields of the last record read.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the last record read has no fields (only before the first record).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Field `i` of the last record: its bytes and whether it was quoted.
    pub fn field(&self, i: usize) -> Option<(&[u8], bool)> {
        if i >= self.count {
            return None;
        }
        Some((self.fields.get(i)?.as_slice(), *self.quoted.get(i)?))
    }

    fn syntax(&self, line: u64, reason: impl Into<String>) -> ImportError {
        ImportError::Syntax {
            file: self.file.clone(),
            line,
            reason: reason.into(),
        }
    }

    fn begin_field(&mut self) {
        if self.fields.len() <= self.count {
            self.fields.push(Vec::new());
            self.quoted.push(false);
        }
        if let Some(f) = self.fields.get_mut(self.count) {
            f.clear();
        }
        if let Some(q) = self.quoted.get_mut(self.count) {
            *q = false;
        }
    }

    /// Reads the next record; `false` at the end of the input.
    pub fn next_record(&mut self) -> Result<bool, ImportError> {
        self.count = 0;
        self.record_line = self.line;
        let mut state = State::Start;
        let mut any = false;
        self.begin_field();
        loop {
            let buf = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(ImportError::Io {
                        file: self.file.clone(),
                        source: e,
                    });
                }
            };
            if buf.is_empty() {
                return match state {
                    State::Quoted => Err(self.syntax(
                        self.record_line,
                        "a quoted field is not closed before the end of the file",
                    )),
                    _ if !any => Ok(false),
                    _ => {
                        self.count += 1;
                        Ok(true)
                    }
                };
            }
            let mut used = 0;
            let mut done = false;
            let mut error = None;
            let field = self.fields.get_mut(self.count);
            let Some(field) = field else {
                return Err(self.syntax(self.record_line, "internal: no field buffer"));
            };
            let mut quoted_now = false;
            let mut ended_field = false;
            for &b in buf {
                used += 1;
                if self.skip_lf {
                    self.skip_lf = false;
                    if b == b'\n' {
                        continue;
                    }
                }
                any = true;
                match (state, b) {
                    (State::Start, b'"') => {
                        quoted_now = true;
                        state = State::Quoted;
                    }
                    (State::Start | State::Unquoted | State::QuoteInQuoted, b',') => {
                        ended_field = true;
                        break;
                    }
                    (State::Start | State::Unquoted | State::QuoteInQuoted, b'\n' | b'\r') => {
                        self.line += 1;
                        self.skip_lf = b == b'\r';
                        done = true;
                        break;
                    }
                    (State::Start | State::Unquoted, _) if b == b'"' => {
                        error = Some("a quote inside an unquoted field (quote the whole field)");
                        break;
                    }
                    (State::Start | State::Unquoted, _) => {
                        field.push(b);
                        state = State::Unquoted;
                    }
                    (State::Quoted, b'"') => state = State::QuoteInQuoted,
                    (State::Quoted, _) => {
                        if b == b'\n' {
                            self.line += 1;
                        }
                        field.push(b);
                    }
                    (State::QuoteInQuoted, b'"') => {
                        field.push(b'"');
                        state = State::Quoted;
                    }
                    (State::QuoteInQuoted, _) => {
                        error = Some("text after a closing quote (write a quote as \"\")");
                        break;
                    }
                }
                if field.len() > self.max_field {
                    break;
                }
            }
            let too_long = field.len() > self.max_field;
            self.input.consume(used);
            if quoted_now && let Some(q) = self.quoted.get_mut(self.count) {
                *q = true;
            }
            if let Some(reason) = error {
                return Err(self.syntax(self.line, reason));
            }
            if too_long {
                return Err(ImportError::FieldTooLong {
                    file: self.file.clone(),
                    line: self.record_line,
                    field: self.count + 1,
                    max: self.max_field,
                });
            }
            if ended_field {
                self.count += 1;
                self.begin_field();
                state = State::Start;
            } else if done {
                self.count += 1;
                return Ok(true);
            }
        }
    }
}

/// Where a table column's value comes from in each record.
#[derive(Clone, Debug)]
enum Source {
    /// The field at this position.
    Field(usize),
    /// Not in the file: this value (the column's default, or `NULL`).
    Fixed(Value),
}

/// A CSV file read as rows of a table: the header maps fields to columns, every field is
/// parsed by its column's type.
pub struct RowReader<R> {
    csv: CsvReader<R>,
    def: TableDef,
    sources: Vec<Source>,
    fields: usize,
}

impl<R: BufRead> RowReader<R> {
    /// Reads the header of `csv` and maps it onto `def`'s columns (case-insensitive names). An
    /// unknown or repeated column is an error, and so is a missing NOT NULL column without a
    /// default; other missing columns take their default, or `NULL`.
    pub fn new(mut csv: CsvReader<R>, def: &TableDef) -> Result<RowReader<R>, ImportError> {
        let header_error = |csv: &CsvReader<R>, reason: String| ImportError::Header {
            file: csv.file().to_string(),
            reason,
        };
        if !csv.next_record()? {
            return Err(header_error(
                &csv,
                format!(
                    "the file is empty; expected a header line naming columns of `{}`",
                    def.name
                ),
            ));
        }
        let mut at: Vec<Option<usize>> = vec![None; def.columns.len()];
        for i in 0..csv.len() {
            let (bytes, _) = csv.field(i).unwrap_or((&[], false));
            let bytes = if i == 0 {
                bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
            } else {
                bytes
            };
            let name = String::from_utf8_lossy(bytes);
            let name = name.trim();
            let Some((pos, _)) = def.column(name) else {
                let known: Vec<&str> = def.columns.iter().map(|c| c.name.as_str()).collect();
                return Err(header_error(
                    &csv,
                    format!(
                        "column `{name}` (field {}) is not a column of `{}` (its columns: {})",
                        i + 1,
                        def.name,
                        known.join(", ")
                    ),
                ));
            };
            match at.get_mut(pos) {
                Some(Some(_)) => {
                    return Err(header_error(
                        &csv,
                        format!("column `{name}` is named twice"),
                    ));
                }
                Some(slot) => *slot = Some(i),
                None => {}
            }
        }
        let mut sources = Vec::with_capacity(def.columns.len());
        for (col, field) in def.columns.iter().zip(&at) {
            sources.push(match (field, &col.default) {
                (Some(i), _) => Source::Field(*i),
                (None, Some(default)) => Source::Fixed(default.clone()),
                (None, None) if col.not_null || def.primary_key.contains(&col.id) => {
                    return Err(header_error(
                        &csv,
                        format!(
                            "no column `{}`, which is NOT NULL and has no default",
                            col.name
                        ),
                    ));
                }
                (None, None) => Source::Fixed(Value::Null),
            });
        }
        Ok(RowReader {
            fields: csv.len(),
            csv,
            def: def.clone(),
            sources,
        })
    }

    /// The line the last row read starts on.
    pub fn line(&self) -> u64 {
        self.csv.record_line()
    }

    /// Reads the next row into `row` (one value per column, in the table's order); `false` at
    /// the end of the file.
    pub fn next_row(&mut self, row: &mut Vec<Value>) -> Result<bool, ImportError> {
        if !self.csv.next_record()? {
            return Ok(false);
        }
        let line = self.csv.record_line();
        if self.csv.len() != self.fields {
            return Err(ImportError::FieldCount {
                file: self.csv.file().to_string(),
                line,
                expected: self.fields,
                found: self.csv.len(),
            });
        }
        row.clear();
        for (col, source) in self.def.columns.iter().zip(&self.sources) {
            let value = match source {
                Source::Fixed(v) => v.clone(),
                Source::Field(i) => {
                    let (bytes, quoted) = self.csv.field(*i).unwrap_or((&[], false));
                    let bad = |expected: &str| ImportError::Field {
                        file: self.csv.file().to_string(),
                        line,
                        column: col.name.clone(),
                        ty: col.ty,
                        expected: expected.to_string(),
                        found: preview(bytes),
                    };
                    let v = parse_field(col.ty, bytes, quoted).map_err(bad)?;
                    if v.is_null() && (col.not_null || self.def.primary_key.contains(&col.id)) {
                        return Err(bad("a value (the column is NOT NULL)"));
                    }
                    v
                }
            };
            row.push(value);
        }
        Ok(true)
    }
}

/// At most 40 characters of a field, for an error message.
fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut s: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        s.push('…');
    }
    s
}

/// Parses one field as a value of type `ty` (see the module docs for the formats). The error
/// says what was expected.
pub fn parse_field(ty: ColumnType, bytes: &[u8], quoted: bool) -> Result<Value, &'static str> {
    if bytes.is_empty() && !quoted {
        return Ok(Value::Null);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "UTF-8 text")?;
    match ty {
        ColumnType::Int => text
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| "a whole number between -2^63 and 2^63-1"),
        ColumnType::Double => text
            .parse::<f64>()
            .map(Value::Double)
            .map_err(|_| "a number (like 1.5 or -2e-9)"),
        ColumnType::Text => Ok(Value::Text(text.to_string())),
        ColumnType::Bytes => parse_hex(text)
            .map(Value::Bytes)
            .ok_or(r"bytes as \x and hex digits (like \x00ff)"),
        ColumnType::Bool => {
            if text.eq_ignore_ascii_case("true") {
                Ok(Value::Bool(true))
            } else if text.eq_ignore_ascii_case("false") {
                Ok(Value::Bool(false))
            } else {
                Err("true or false")
            }
        }
        ColumnType::Timestamp => parse_timestamp(text)
            .map(Value::Timestamp)
            .ok_or("a date YYYY-MM-DD or a time YYYY-MM-DD HH:MM:SS[.ffffff] (UTC)"),
    }
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let hex = text
        .strip_prefix("\\x")
        .or_else(|| text.strip_prefix("\\X"))?;
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}
