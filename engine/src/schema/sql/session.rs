//! The SQL front end's public face: [`SqlDatabase`] (autocommit statements, queries, prepared
//! statements), [`Session`] (`BEGIN`/`COMMIT`/`ROLLBACK` around many statements), and
//! [`execute_script`] / [`execute_in`], which run SQL inside a caller's transaction (how a
//! migration runs its file).
//!
//! **Autocommit.** A statement outside a session transaction runs in its own transaction: a
//! query in a read-only one (one snapshot, no locks), a write at `REPEATABLE READ`. It commits
//! or, on any error, rolls back — all or nothing. A retryable failure (write conflict, deadlock)
//! is retried from the start, up to [`AUTOCOMMIT_ATTEMPTS`] times.
//!
//! **Sessions.** `BEGIN [ISOLATION LEVEL {REPEATABLE READ | SERIALIZABLE}]` opens a transaction
//! that the following statements share until `COMMIT` or `ROLLBACK`. A statement that fails
//! inside it rolls the whole transaction back at once (its locks are released), and the session
//! refuses further statements until the transaction is ended: `ROLLBACK` ends it quietly,
//! `COMMIT` ends it with an error saying nothing was committed. So a failed statement is never
//! half-applied and a later `COMMIT` can never commit part of the work by surprise.
//!
//! **Materialized views.** Just before an autocommit write or a session's `COMMIT` commits,
//! the refresh policies of the views whose base tables it changed fire inside it
//! ([`mv::hook`](super::mv::hook)); a failure there rolls it back.
//!
//! **Prepared statements** ([`SqlDatabase::prepare`]) are parsed once; the bound and planned
//! form is cached with the catalog it was bound against and reused while the database's
//! catalog cache ([`CatalogCache`]) hands out that same catalog — any committed DDL makes a new
//! one, and the statement is bound again.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use sqlparser::ast::Statement as Ast;

use super::super::catalog::{Catalog, CatalogCache};
use super::super::def::TableDef;
use super::super::error::{Result, SchemaError, SqlError};
use super::super::value::Value;
use super::bind::{Bound, BoundStatement, Tables, bind};
use super::exec::{ExecResult, Rows, check_params, execute};
use super::mv;
use super::parse::{Parsed, parse_one, parse_script};
use crate::{Database, IsolationLevel, Options, Transaction};

/// How many times an autocommit statement is tried when it fails with a retryable error.
pub const AUTOCOMMIT_ATTEMPTS: u32 = 8;

/// What one statement of a script did.
#[derive(Clone, Debug, PartialEq)]
pub struct StatementEffect {
    /// The statement's text.
    pub text: String,
    /// 1-based line where it starts in the script.
    pub line: u64,
    /// Its kind (`CREATE TABLE`, `INSERT`, …).
    pub kind: &'static str,
    /// Rows it inserted, updated or deleted (or returned, for a query).
    pub rows: u64,
}

/// Puts the statement's position on an error raised while it ran (runtime SQL errors carry
/// none of their own).
fn locate(parsed: &Parsed, err: SchemaError) -> SchemaError {
    match err {
        SchemaError::Sql(e) if e.line == 0 => SchemaError::Sql(SqlError {
            line: parsed.line,
            column: parsed.column,
            ..e
        }),
        other => other,
    }
}

/// `err` of the script statement `parsed`, located: SQL errors get its line and column,
/// typed errors are wrapped with its line ([`SchemaError::InStatement`]).
fn in_statement(parsed: &Parsed, err: SchemaError) -> SchemaError {
    match locate(parsed, err) {
        e @ (SchemaError::Sql(_) | SchemaError::InStatement { .. }) => e,
        other => SchemaError::InStatement {
            line: parsed.line,
            source: Box::new(other),
        },
    }
}

fn sql_error(parsed: &Parsed, message: impl Into<String>) -> SchemaError {
    parsed.error(message)
}

struct NoTables;

impl Tables for NoTables {
    fn table(&self, name: &str) -> Result<&TableDef> {
        Err(SchemaError::UnknownTable {
            table: name.to_string(),
        })
    }
}

fn is_control(ast: &Ast) -> bool {
    matches!(
        ast,
        Ast::StartTransaction { .. } | Ast::Commit { .. } | Ast::Rollback { .. }
    )
}

fn is_read_only(ast: &Ast) -> bool {
    matches!(
        ast,
        Ast::Query(_) | Ast::Explain { .. } | Ast::ShowVariable { .. }
    )
}

/// A statement parsed once, bound and planned once per catalog (see the module docs).
#[derive(Debug)]
pub struct Statement {
    parsed: Parsed,
    bound: Mutex<Option<(Arc<Catalog>, Arc<BoundStatement>)>>,
}

impl Statement {
    /// The statement's text.
    pub fn text(&self) -> &str {
        &self.parsed.text
    }

    fn bound_for(&self, catalog: &Arc<Catalog>) -> Result<Arc<BoundStatement>> {
        let mut slot = self.bound.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((cat, b)) = slot.as_ref()
            && Arc::ptr_eq(cat, catalog)
        {
            return Ok(Arc::clone(b));
        }
        let b = Arc::new(bind(&self.parsed, catalog.as_ref())?);
        *slot = Some((Arc::clone(catalog), Arc::clone(&b)));
        Ok(b)
    }

    /// Runs the statement (autocommit) with `params`.
    pub fn execute(&self, db: &SqlDatabase, params: &[Value]) -> Result<ExecResult> {
        db.autocommit(&self.parsed, Some(self), params)
    }

    /// Runs the query (autocommit) with `params` and returns its rows.
    pub fn query(&self, db: &SqlDatabase, params: &[Value]) -> Result<Rows> {
        rows_of(&self.parsed, self.execute(db, params)?)
    }
}

fn rows_of(parsed: &Parsed, r: ExecResult) -> Result<Rows> {
    r.rows
        .ok_or_else(|| sql_error(parsed, format!("{} returns no rows (use execute)", r.kind)))
}

/// A [`Database`] with SQL on top (see the module docs).
#[derive(Debug)]
pub struct SqlDatabase {
    db: Database,
    catalogs: CatalogCache,
}

impl SqlDatabase {
    /// Wraps an open database.
    pub fn new(db: Database) -> SqlDatabase {
        SqlDatabase {
            db,
            catalogs: CatalogCache::new(),
        }
    }

    /// Creates a database ([`Database::create`]).
    pub fn create(path: impl AsRef<Path>, opts: Options) -> Result<SqlDatabase> {
        Ok(SqlDatabase::new(Database::create(path, opts)?))
    }

    /// Opens a database ([`Database::open`]).
    pub fn open(path: impl AsRef<Path>, opts: Options) -> Result<SqlDatabase> {
        Ok(SqlDatabase::new(Database::open(path, opts)?))
    }

    /// The key-value database underneath.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The key-value database, ending the SQL handle.
    pub fn into_inner(self) -> Database {
        self.db
    }

    /// The current committed catalog, as a fresh read-only transaction sees it.
    pub fn catalog(&self) -> Result<Arc<Catalog>> {
        let mut txn = self.db.begin_read_only()?;
        self.catalogs.get(&mut txn)
    }

    /// The catalog `txn` sees, through this handle's cache.
    pub fn catalog_in(&self, txn: &mut Transaction<'_>) -> Result<Arc<Catalog>> {
        self.catalogs.get(txn)
    }

    /// Runs one statement in its own transaction.
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<ExecResult> {
        let parsed = parse_one(sql)?;
        self.autocommit(&parsed, None, params)
    }

    /// Runs one query in its own (read-only) transaction and returns its rows.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<Rows> {
        let parsed = parse_one(sql)?;
        let r = self.autocommit(&parsed, None, params)?;
        rows_of(&parsed, r)
    }

    /// Parses `sql` (one statement) for repeated execution.
    pub fn prepare(&self, sql: &str) -> Result<Statement> {
        let parsed = parse_one(sql)?;
        if is_control(&parsed.ast) {
            return Err(sql_error(
                &parsed,
                "BEGIN/COMMIT/ROLLBACK cannot be prepared",
            ));
        }
        Ok(Statement {
            parsed,
            bound: Mutex::new(None),
        })
    }

    /// A session (autocommit until `BEGIN`).
    pub fn session(&self) -> Session<'_> {
        Session {
            db: self,
            txn: None,
            failed: None,
        }
    }

    fn bound(
        &self,
        txn: &mut Transaction<'_>,
        parsed: &Parsed,
        stmt: Option<&Statement>,
    ) -> Result<Arc<BoundStatement>> {
        let catalog = self.catalogs.get(txn)?;
        match stmt {
            Some(s) => s.bound_for(&catalog),
            None => Ok(Arc::new(bind(parsed, catalog.as_ref())?)),
        }
    }

    fn run_in(
        &self,
        txn: &mut Transaction<'_>,
        parsed: &Parsed,
        stmt: Option<&Statement>,
        params: &[Value],
    ) -> Result<ExecResult> {
        let b = self.bound(txn, parsed, stmt)?;
        check_params(b.params, params)?;
        execute(txn, &b.bound, params)
    }

    /// Fires the materialized views' refresh policies in a transaction about to commit
    /// ([`mv::before_commit`]).
    fn before_commit(&self, txn: &mut Transaction<'_>) -> Result<()> {
        let catalog = self.catalogs.get(txn)?;
        mv::before_commit(txn, &catalog)
    }

    fn autocommit(
        &self,
        parsed: &Parsed,
        stmt: Option<&Statement>,
        params: &[Value],
    ) -> Result<ExecResult> {
        if is_control(&parsed.ast) {
            return Err(sql_error(
                parsed,
                "BEGIN, COMMIT and ROLLBACK need a session (SqlDatabase::session)",
            ));
        }
        let read_only = is_read_only(&parsed.ast);
        let mut attempt = 1;
        loop {
            let mut txn = if read_only {
                self.db.begin_read_only()?
            } else {
                self.db.begin(IsolationLevel::RepeatableRead)?
            };
            let outcome = self.run_in(&mut txn, parsed, stmt, params).and_then(|r| {
                if !read_only {
                    self.before_commit(&mut txn)?;
                }
                txn.commit()?;
                Ok(r)
            });
            match outcome {
                Err(e) if e.is_retryable() && attempt < AUTOCOMMIT_ATTEMPTS => attempt += 1,
                other => return other.map_err(|e| locate(parsed, e)),
            }
        }
    }
}

/// Statements sharing one transaction between `BEGIN` and `COMMIT`/`ROLLBACK` (see the module
/// docs); outside one, each statement autocommits.
#[derive(Debug)]
pub struct Session<'a> {
    db: &'a SqlDatabase,
    txn: Option<Transaction<'a>>,
    /// Set when a statement failed inside the transaction (which was rolled back): the error.
    failed: Option<String>,
}

impl<'a> Session<'a> {
    /// Whether a transaction is open (or failed and not yet ended).
    pub fn in_transaction(&self) -> bool {
        self.txn.is_some() || self.failed.is_some()
    }

    /// Runs one statement.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<ExecResult> {
        let parsed = parse_one(sql)?;
        self.execute_parsed(&parsed, params)
    }

    /// Runs one query and returns its rows.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<Rows> {
        let parsed = parse_one(sql)?;
        let r = self.execute_parsed(&parsed, params)?;
        rows_of(&parsed, r)
    }

    /// Runs a prepared statement in this session.
    pub fn execute_prepared(&mut self, stmt: &Statement, params: &[Value]) -> Result<ExecResult> {
        self.run(&stmt.parsed, Some(stmt), params)
    }

    /// Runs every statement of `sql` in order (no parameters), stopping at the first error.
    pub fn execute_script(&mut self, sql: &str) -> Result<Vec<StatementEffect>> {
        let mut out = Vec::new();
        for parsed in parse_script(sql)? {
            let r = self.execute_parsed(&parsed, &[])?;
            out.push(StatementEffect {
                text: parsed.text.clone(),
                line: parsed.line,
                kind: r.kind,
                rows: r.rows_affected,
            });
        }
        Ok(out)
    }

    /// Runs one already-parsed statement ([`parse_script`] splits a script).
    pub fn execute_parsed(&mut self, parsed: &Parsed, params: &[Value]) -> Result<ExecResult> {
        self.run(parsed, None, params)
    }

    fn run(
        &mut self,
        parsed: &Parsed,
        stmt: Option<&Statement>,
        params: &[Value],
    ) -> Result<ExecResult> {
        let done = |kind| ExecResult {
            kind,
            rows_affected: 0,
            rows: None,
        };
        match &parsed.ast {
            Ast::StartTransaction { .. } => {
                if self.in_transaction() {
                    return Err(sql_error(parsed, "a transaction is already open"));
                }
                let level = match bind(parsed, &NoTables)?.bound {
                    Bound::Begin(level) => level.unwrap_or(IsolationLevel::RepeatableRead),
                    _ => IsolationLevel::RepeatableRead,
                };
                self.txn = Some(self.db.db.begin(level)?);
                Ok(done("BEGIN"))
            }
            Ast::Commit { .. } => {
                if let Some(reason) = self.failed.take() {
                    return Err(sql_error(
                        parsed,
                        format!(
                            "nothing was committed: the transaction was rolled back after an error ({reason})"
                        ),
                    ));
                }
                if let Some(mut txn) = self.txn.take() {
                    if let Err(e) = self.db.before_commit(&mut txn) {
                        txn.rollback();
                        return Err(e);
                    }
                    txn.commit()?;
                }
                Ok(done("COMMIT"))
            }
            Ast::Rollback { .. } => {
                self.failed = None;
                if let Some(txn) = self.txn.take() {
                    txn.rollback();
                }
                Ok(done("ROLLBACK"))
            }
            _ => {
                if let Some(reason) = &self.failed {
                    return Err(sql_error(
                        parsed,
                        format!(
                            "the transaction was rolled back after an error ({reason}); end it with ROLLBACK"
                        ),
                    ));
                }
                let Some(txn) = self.txn.as_mut() else {
                    return self.db.autocommit(parsed, stmt, params);
                };
                match self.db.run_in(txn, parsed, stmt, params) {
                    Ok(r) => Ok(r),
                    Err(e) => {
                        let e = locate(parsed, e);
                        self.failed = Some(e.to_string());
                        if let Some(txn) = self.txn.take() {
                            txn.rollback();
                        }
                        Err(e)
                    }
                }
            }
        }
    }
}

/// Runs one statement inside `txn` (the caller commits or rolls back).
pub fn execute_in(txn: &mut Transaction<'_>, sql: &str, params: &[Value]) -> Result<ExecResult> {
    let parsed = parse_one(sql)?;
    if is_control(&parsed.ast) {
        return Err(sql_error(
            &parsed,
            "the caller owns this transaction: no BEGIN/COMMIT/ROLLBACK",
        ));
    }
    let catalog = Catalog::load(txn)?;
    let b = bind(&parsed, &catalog)?;
    check_params(b.params, params).map_err(|e| locate(&parsed, e))?;
    execute(txn, &b.bound, params).map_err(|e| locate(&parsed, e))
}

/// Runs every statement of a script inside `txn`, in order, stopping at the first error (the
/// caller then rolls `txn` back). `BEGIN`/`COMMIT`/`ROLLBACK` are refused: the caller owns the
/// transaction. Returns each statement's text, kind and rows touched.
pub fn execute_script(txn: &mut Transaction<'_>, sql: &str) -> Result<Vec<StatementEffect>> {
    let statements = parse_script(sql)?;
    if let Some(p) = statements.iter().find(|p| is_control(&p.ast)) {
        return Err(sql_error(
            p,
            "a script runs in its caller's transaction: no BEGIN/COMMIT/ROLLBACK",
        ));
    }
    let mut out = Vec::with_capacity(statements.len());
    // Only this transaction's own DDL can change the catalog it sees (the catalog is guarded
    // for the rest of the transaction once read), so it is read again only after DDL.
    let mut catalog: Option<Catalog> = None;
    for parsed in &statements {
        let cat = match catalog.take() {
            Some(c) => c,
            None => Catalog::load(txn).map_err(|e| in_statement(parsed, e))?,
        };
        let b = bind(parsed, &cat).map_err(|e| in_statement(parsed, e))?;
        check_params(b.params, &[]).map_err(|e| in_statement(parsed, e))?;
        let r = execute(txn, &b.bound, &[]).map_err(|e| in_statement(parsed, e))?;
        if !matches!(b.bound, Bound::Ddl(_) | Bound::View(_)) {
            catalog = Some(cat);
        }
        out.push(StatementEffect {
            text: parsed.text.clone(),
            line: parsed.line,
            kind: r.kind,
            rows: r.rows_affected,
        });
    }
    Ok(out)
}
