//! The SQLite side of `ldb bench tpcc`: [`SqliteEngine`], the harness's SQL client trait over
//! `rusqlite` (bundled SQLite), one connection per client in WAL mode with `synchronous=FULL`,
//! write transactions opened with `BEGIN IMMEDIATE` and statements cached per connection.

use std::path::PathBuf;
use std::time::Duration;

use lightning_db::harness::bench::tpcc::{ClientError, ClientResult, SqlClient, SqlEngine};
use lightning_db::schema::Value;
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, ErrorCode, params_from_iter};

/// A SQLite database file the clients open.
#[derive(Debug)]
pub struct SqliteEngine {
    /// The database file.
    pub path: PathBuf,
}

/// One SQLite connection.
pub struct SqliteClient {
    conn: Connection,
}

fn sqlite_error(sql: &str, e: rusqlite::Error) -> ClientError {
    let retryable = matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    );
    ClientError {
        message: format!("SQLite: {e} (in `{sql}`)"),
        retryable,
    }
}

fn to_sql(v: &Value) -> ToSqlOutput<'_> {
    ToSqlOutput::Owned(match v {
        Value::Null => SqlValue::Null,
        Value::Int(i) | Value::Timestamp(i) => SqlValue::Integer(*i),
        Value::Double(d) => SqlValue::Real(*d),
        Value::Text(s) => SqlValue::Text(s.clone()),
        Value::Bytes(b) => SqlValue::Blob(b.clone()),
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
    })
}

struct Param<'a>(&'a Value);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(to_sql(self.0))
    }
}

fn from_sql(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(d) => Value::Double(d),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
    }
}

impl SqlEngine for SqliteEngine {
    type Client<'a> = SqliteClient;

    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn connect(&self) -> ClientResult<SqliteClient> {
        let open = |what: &str, e: rusqlite::Error| sqlite_error(what, e);
        let conn = Connection::open(&self.path).map_err(|e| open("open", e))?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(|e| open("busy_timeout", e))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| open("PRAGMA journal_mode", e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| open("PRAGMA synchronous", e))?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(SqliteClient { conn })
    }
}

impl SqlClient for SqliteClient {
    fn begin(&mut self) -> ClientResult<()> {
        let sql = "BEGIN IMMEDIATE";
        self.conn
            .execute_batch(sql)
            .map_err(|e| sqlite_error(sql, e))
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> ClientResult<u64> {
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| sqlite_error(sql, e))?;
        let n = stmt
            .execute(params_from_iter(params.iter().map(Param)))
            .map_err(|e| sqlite_error(sql, e))?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> ClientResult<Vec<Vec<Value>>> {
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| sqlite_error(sql, e))?;
        let width = stmt.column_count();
        let mut rows = stmt
            .query(params_from_iter(params.iter().map(Param)))
            .map_err(|e| sqlite_error(sql, e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| sqlite_error(sql, e))? {
            let mut r = Vec::with_capacity(width);
            for i in 0..width {
                r.push(from_sql(row.get_ref(i).map_err(|e| sqlite_error(sql, e))?));
            }
            out.push(r);
        }
        Ok(out)
    }

    fn commit(&mut self) -> ClientResult<()> {
        self.conn
            .execute_batch("COMMIT")
            .map_err(|e| sqlite_error("COMMIT", e))
    }

    fn rollback(&mut self) {
        if !self.conn.is_autocommit() {
            // A failed ROLLBACK leaves nothing to undo: SQLite has already ended the transaction.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    fn execute_script(&mut self, sql: &str) -> ClientResult<()> {
        self.begin()?;
        match self.conn.execute_batch(sql) {
            Ok(()) => self.commit(),
            Err(e) => {
                self.rollback();
                Err(sqlite_error("migration script", e))
            }
        }
    }
}
