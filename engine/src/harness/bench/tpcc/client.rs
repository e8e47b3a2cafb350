//! The "SQL client" the workload talks to — [`SqlClient`] (begin, execute, query, commit,
//! rollback with [`Value`] parameters) and [`SqlEngine`] (one client per thread) — and their
//! implementation for Lightning ([`LightningEngine`]): a session per client and each
//! statement text prepared once per client. The SQLite implementation lives in `ldb`, which is
//! the only crate that links SQLite.

use std::collections::HashMap;

use crate::schema::Value;
use crate::schema::migrate::{self, MigrationSet, Migrator};
use crate::schema::sql::{Session, SqlDatabase, Statement};

/// A failed client call: its message, and whether running the transaction again may succeed
/// (a write conflict, a deadlock, a busy database).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientError {
    /// What failed, with the statement when known.
    pub message: String,
    /// Whether the whole transaction may be retried.
    pub retryable: bool,
}

impl ClientError {
    /// A failure that retrying will not fix.
    pub fn fatal(message: impl Into<String>) -> ClientError {
        ClientError {
            message: message.into(),
            retryable: false,
        }
    }
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ClientError {}

/// The result of a client call.
pub type ClientResult<T> = std::result::Result<T, ClientError>;

/// One connection to a SQL database: the operations the TPC-C transactions need.
pub trait SqlClient {
    /// Opens a read-write transaction.
    fn begin(&mut self) -> ClientResult<()>;
    /// Runs one statement with `params` and returns the rows it touched.
    fn execute(&mut self, sql: &str, params: &[Value]) -> ClientResult<u64>;
    /// Runs one query with `params` and returns its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> ClientResult<Vec<Vec<Value>>>;
    /// Commits the open transaction.
    fn commit(&mut self) -> ClientResult<()>;
    /// Rolls the open transaction back (a no-op without one).
    fn rollback(&mut self);
    /// Runs every statement of a script (no parameters) in one transaction.
    fn execute_script(&mut self, sql: &str) -> ClientResult<()>;
    /// Applies the schema's migrations; by default each up file as one script, in version
    /// order (Lightning applies them through `schema::migrate`, recording its history).
    fn apply_migrations(&mut self, migrations: &MigrationSet) -> ClientResult<()> {
        for m in migrations.migrations.values() {
            self.execute_script(&m.up.text)?;
        }
        Ok(())
    }
}

/// A database that hands out clients; shared by the benchmark's threads.
pub trait SqlEngine: Sync {
    /// A client of this engine.
    type Client<'a>: SqlClient
    where
        Self: 'a;
    /// The engine's name in metrics (`lightning`, `sqlite`).
    fn name(&self) -> &'static str;
    /// A new client (each thread opens its own).
    fn connect(&self) -> ClientResult<Self::Client<'_>>;
}

/// Lightning as a [`SqlEngine`]: an open [`SqlDatabase`].
#[derive(Debug)]
pub struct LightningEngine {
    /// The database the clients share.
    pub db: SqlDatabase,
}

/// A Lightning client: one session and the statements it has prepared.
#[derive(Debug)]
pub struct LightningClient<'a> {
    db: &'a SqlDatabase,
    session: Session<'a>,
    prepared: HashMap<String, Statement>,
}

fn lightning_error(sql: &str, e: crate::schema::SchemaError) -> ClientError {
    ClientError {
        retryable: e.is_retryable(),
        message: format!("{e} (in `{sql}`)"),
    }
}

impl SqlEngine for LightningEngine {
    type Client<'a> = LightningClient<'a>;

    fn name(&self) -> &'static str {
        "lightning"
    }

    fn connect(&self) -> ClientResult<LightningClient<'_>> {
        Ok(LightningClient {
            db: &self.db,
            session: self.db.session(),
            prepared: HashMap::new(),
        })
    }
}

impl LightningClient<'_> {
    fn run(&mut self, sql: &str, params: &[Value]) -> ClientResult<crate::schema::sql::ExecResult> {
        if !self.prepared.contains_key(sql) {
            let stmt = self.db.prepare(sql).map_err(|e| lightning_error(sql, e))?;
            self.prepared.insert(sql.to_string(), stmt);
        }
        let stmt = self
            .prepared
            .get(sql)
            .expect("the statement was prepared just above");
        self.session
            .execute_prepared(stmt, params)
            .map_err(|e| lightning_error(sql, e))
    }
}

impl SqlClient for LightningClient<'_> {
    fn begin(&mut self) -> ClientResult<()> {
        let sql = "BEGIN";
        self.session
            .execute(sql, &[])
            .map(|_| ())
            .map_err(|e| lightning_error(sql, e))
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> ClientResult<u64> {
        Ok(self.run(sql, params)?.rows_affected)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> ClientResult<Vec<Vec<Value>>> {
        match self.run(sql, params)?.rows {
            Some(rows) => Ok(rows.rows),
            None => Err(ClientError::fatal(format!("`{sql}` returned no rows"))),
        }
    }

    fn commit(&mut self) -> ClientResult<()> {
        let sql = "COMMIT";
        self.session
            .execute(sql, &[])
            .map(|_| ())
            .map_err(|e| lightning_error(sql, e))
    }

    fn rollback(&mut self) {
        if self.session.in_transaction() {
            // ROLLBACK of an open or failed transaction cannot fail.
            let _ = self.session.execute("ROLLBACK", &[]);
        }
    }

    fn apply_migrations(&mut self, migrations: &MigrationSet) -> ClientResult<()> {
        let failed = |e: migrate::MigrateError| ClientError::fatal(format!("migrations: {e}"));
        Migrator::open(
            self.db.database(),
            migrate::SqlEngine::new(),
            migrations.clone(),
        )
        .map_err(failed)?
        .up(None)
        .map_err(failed)?;
        Ok(())
    }

    fn execute_script(&mut self, sql: &str) -> ClientResult<()> {
        self.begin()?;
        match self.session.execute_script(sql) {
            Ok(_) => self.commit(),
            Err(e) => {
                self.rollback();
                Err(lightning_error("migration script", e))
            }
        }
    }
}

/// The integer in column `col` of `row`, or a typed error naming `what`.
pub fn int_at(row: &[Value], col: usize, what: &str) -> ClientResult<i64> {
    match row.get(col) {
        Some(Value::Int(v)) => Ok(*v),
        other => Err(ClientError::fatal(format!(
            "{what}: expected an integer in column {col}, got {other:?}"
        ))),
    }
}

/// The number in column `col` of `row` (an integer is widened), or a typed error naming `what`.
pub fn double_at(row: &[Value], col: usize, what: &str) -> ClientResult<f64> {
    match row.get(col) {
        Some(Value::Double(v)) => Ok(*v),
        Some(Value::Int(v)) => Ok(*v as f64),
        other => Err(ClientError::fatal(format!(
            "{what}: expected a number in column {col}, got {other:?}"
        ))),
    }
}

/// The text in column `col` of `row`, or a typed error naming `what`.
pub fn text_at<'r>(row: &'r [Value], col: usize, what: &str) -> ClientResult<&'r str> {
    match row.get(col) {
        Some(Value::Text(v)) => Ok(v),
        other => Err(ClientError::fatal(format!(
            "{what}: expected text in column {col}, got {other:?}"
        ))),
    }
}
