//! The test table and the statements a scenario's sessions run on it.
//!
//! The table maps an integer id to an integer value, stored as key `t/<id>` and the value's
//! decimal text. A statement is a [`Cmd`]: selects by id are point reads (a key lock under
//! `Serializable`); every other predicate scans the whole table (a range lock under
//! `Serializable`) and filters; updates and deletes by predicate read the matching rows inside
//! the transaction, then write each. `run_cmd` runs one statement in a session's transaction.

use std::fmt::Write as _;
use std::ops::Bound;

use crate::db::Transaction;
use crate::error::{Error, Result};

/// First and last key of the table, for predicate scans (`t/` .. `t0`, exclusive).
pub(crate) const TABLE_FROM: &[u8] = b"t/";
pub(crate) const TABLE_TO: &[u8] = b"t0";

/// A row of the test table: `(id, value)`.
pub type Row = (u32, i64);

/// Which rows a statement touches.
#[derive(Clone, Copy, Debug)]
pub enum Pred {
    /// One row by id: a point read (`get`) or a blind write.
    Id(u32),
    /// Every row (a scan of the whole table).
    All,
    /// Rows whose value equals this (a scan, filtered).
    ValueEq(i64),
    /// Rows whose value is a multiple of this (a scan, filtered).
    ValueDivisibleBy(i64),
}

impl Pred {
    fn matches(self, row: Row) -> bool {
        match self {
            Pred::Id(id) => row.0 == id,
            Pred::All => true,
            Pred::ValueEq(v) => row.1 == v,
            Pred::ValueDivisibleBy(d) => d != 0 && row.1 % d == 0,
        }
    }
}

impl std::fmt::Display for Pred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pred::Id(id) => write!(f, "id = {id}"),
            Pred::All => f.write_str("true"),
            Pred::ValueEq(v) => write!(f, "value = {v}"),
            Pred::ValueDivisibleBy(d) => write!(f, "value % {d} = 0"),
        }
    }
}

/// The new value an update assigns.
#[derive(Clone, Copy, Debug)]
pub enum Assign {
    /// `value = v`
    Set(i64),
    /// `value = value + d`
    Add(i64),
}

/// A statement a session runs inside its transaction.
#[derive(Clone, Copy, Debug)]
pub enum Cmd {
    /// Reads the matching rows.
    Select(Pred),
    /// Writes a new row.
    Insert(u32, i64),
    /// Rewrites the matching rows (`Id` with `Set` is a blind write; everything else reads the
    /// rows first, inside the transaction).
    Update(Pred, Assign),
    /// Deletes the matching rows.
    Delete(Pred),
    /// Commits.
    Commit,
    /// Rolls back.
    Rollback,
}

impl std::fmt::Display for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cmd::Select(p) => write!(f, "select where {p}"),
            Cmd::Insert(id, v) => write!(f, "insert ({id}, {v})"),
            Cmd::Update(p, Assign::Set(v)) => write!(f, "update set value = {v} where {p}"),
            Cmd::Update(p, Assign::Add(d)) => write!(f, "update set value = value + {d} where {p}"),
            Cmd::Delete(p) => write!(f, "delete where {p}"),
            Cmd::Commit => f.write_str("commit"),
            Cmd::Rollback => f.write_str("rollback"),
        }
    }
}

/// A session's answer to one command.
#[derive(Debug)]
pub enum Reply {
    /// The rows a select returned, in key order.
    Rows(Vec<Row>),
    /// How many rows an insert, update or delete wrote.
    Count(usize),
    /// Commit or rollback done.
    Done,
    /// The command failed.
    Failed(Error),
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reply::Rows(rows) => f.write_str(&fmt_rows(rows)),
            Reply::Count(n) => write!(f, "{n} row(s)"),
            Reply::Done => f.write_str("ok"),
            Reply::Failed(e) => write!(f, "error: {e}"),
        }
    }
}

/// Formats rows as `{1: 10, 2: 20}`.
pub fn fmt_rows(rows: &[Row]) -> String {
    let mut s = String::from("{");
    for (i, (id, v)) in rows.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(s, "{sep}{id}: {v}");
    }
    s.push('}');
    s
}

pub(crate) fn key(id: u32) -> Vec<u8> {
    format!("t/{id}").into_bytes()
}

pub(crate) fn decode(k: &[u8], v: &[u8]) -> Result<Row> {
    let parse = || -> Option<Row> {
        let id = std::str::from_utf8(k.strip_prefix(TABLE_FROM)?)
            .ok()?
            .parse()
            .ok()?;
        let value = std::str::from_utf8(v).ok()?.parse().ok()?;
        Some((id, value))
    };
    parse().ok_or_else(|| {
        Error::InvalidArgument(format!(
            "row {:?} = {:?} is not a test-table row (expected key t/<id>, decimal value)",
            k.escape_ascii().to_string(),
            v.escape_ascii().to_string()
        ))
    })
}

/// Reads the rows matching `pred` inside `txn`: a point read for `Id`, a table scan otherwise.
fn select(txn: &mut Transaction<'_>, pred: Pred) -> Result<Vec<Row>> {
    if let Pred::Id(id) = pred {
        let k = key(id);
        return match txn.get(&k)? {
            Some(v) => Ok(vec![decode(&k, &v)?]),
            None => Ok(Vec::new()),
        };
    }
    let mut rows = Vec::new();
    let scan = txn.range(
        Bound::Included(TABLE_FROM),
        Bound::Excluded(TABLE_TO),
        false,
    )?;
    for kv in scan {
        let (k, v) = kv?;
        let row = decode(&k, &v)?;
        if pred.matches(row) {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Runs one command in `txn` (taken out of the option by commit and rollback).
pub(crate) fn run_cmd(txn: &mut Option<Transaction<'_>>, cmd: Cmd) -> Result<Reply> {
    let Some(t) = txn.as_mut() else {
        return Err(Error::InvalidArgument(format!(
            "{cmd}: the session's transaction already ended"
        )));
    };
    match cmd {
        Cmd::Select(pred) => Ok(Reply::Rows(select(t, pred)?)),
        Cmd::Insert(id, v) => {
            t.put(&key(id), v.to_string().as_bytes())?;
            Ok(Reply::Count(1))
        }
        Cmd::Update(Pred::Id(id), Assign::Set(v)) => {
            t.put(&key(id), v.to_string().as_bytes())?;
            Ok(Reply::Count(1))
        }
        Cmd::Update(pred, assign) => {
            let rows = select(t, pred)?;
            for &(id, old) in &rows {
                let new = match assign {
                    Assign::Set(v) => v,
                    Assign::Add(d) => old + d,
                };
                t.put(&key(id), new.to_string().as_bytes())?;
            }
            Ok(Reply::Count(rows.len()))
        }
        Cmd::Delete(pred) => {
            let rows = select(t, pred)?;
            for &(id, _) in &rows {
                t.delete(&key(id))?;
            }
            Ok(Reply::Count(rows.len()))
        }
        Cmd::Commit => match txn.take() {
            Some(t) => t.commit().map(|_| Reply::Done),
            None => Ok(Reply::Done),
        },
        Cmd::Rollback => {
            if let Some(t) = txn.take() {
                t.rollback();
            }
            Ok(Reply::Done)
        }
    }
}
