//! `ldb drill sql-diff`: differential testing of the SQL layer against SQLite.
//!
//! For each seed, the same table is created in a fresh Lightning database and in an in-memory
//! SQLite database, and the same seeded stream of statements ([`statements`]) runs on both, one by
//! one, autocommitted; each statement's outcome is compared ([`compare`]): queries row by row
//! (in order where the query fixes it), writes by success and rows affected. The first
//! disagreement ends that seed (later statements would run on diverged tables): it is printed
//! with the statement, both outcomes and the command that replays the seed up to it.
//!
//! Metrics: `sqldiff.statements_compared`, `sqldiff.queries_compared`,
//! `sqldiff.nonempty_results` (queries with rows on both sides), `sqldiff.both_refused`
//! (statements both engines refused: key collisions and NOT NULL violations the generator
//! makes on purpose), `sqldiff.mismatches`
//! (seeds that ended in a disagreement: 0 is the pass), `sqldiff.seeds`; exit code 1 on any
//! mismatch.

pub mod compare;
pub mod statements;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::Options;
use lightning_db::schema::sql::SqlDatabase;
use lightning_metrics::Metric;

use self::compare::{Norm, Outcome, agree};
use self::statements::{Generator, SCHEMA, Shape};
use crate::report::{report_metrics, verdict};
use crate::scratch::in_scratch;

/// Arguments of `ldb drill sql-diff`.
#[derive(Args, Debug)]
pub struct SqlDiffArgs {
    /// First seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of seeds (each a fresh pair of databases).
    #[arg(long, default_value_t = 4)]
    seeds: u64,
    /// Statements per seed.
    #[arg(long, default_value_t = 2000)]
    statements: u64,
    /// Scratch directory for the Lightning databases (a fresh one under the system temp
    /// directory when omitted); removed afterwards.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print the project's metrics JSON.
    #[arg(long)]
    json: bool,
}

/// The first disagreement of a seed.
struct Mismatch {
    seed: u64,
    index: u64,
    sql: String,
    ours: Outcome,
    theirs: Outcome,
}

#[derive(Default)]
struct Tally {
    statements: u64,
    queries: u64,
    /// Statements both engines refused (constraint violations, by design of the generator).
    both_failed: u64,
    /// Queries that returned at least one row on both.
    nonempty: u64,
    mismatches: Vec<Mismatch>,
}

fn lightning(db: &SqlDatabase, sql: &str, shape: Shape) -> Outcome {
    if shape == Shape::Write {
        return match db.execute(sql, &[]) {
            Ok(r) => Outcome::Wrote(r.rows_affected),
            Err(e) => Outcome::Failed(e.to_string()),
        };
    }
    match db.query(sql, &[]) {
        Ok(rows) => Outcome::Rows(
            rows.rows
                .iter()
                .map(|r| r.iter().map(Norm::of_lightning).collect())
                .collect(),
        ),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

fn sqlite(db: &rusqlite::Connection, sql: &str, shape: Shape) -> Outcome {
    if shape == Shape::Write {
        return match db.execute(sql, []) {
            Ok(n) => Outcome::Wrote(n as u64),
            Err(e) => Outcome::Failed(e.to_string()),
        };
    }
    let run = || -> rusqlite::Result<Vec<Vec<Norm>>> {
        let mut stmt = db.prepare(sql)?;
        let n = stmt.column_count();
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(
                (0..n)
                    .map(|i| row.get_ref(i).map(Norm::of_sqlite))
                    .collect::<rusqlite::Result<_>>()?,
            );
        }
        Ok(out)
    };
    match run() {
        Ok(rows) => Outcome::Rows(rows),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

fn run_seed(dir: &std::path::Path, seed: u64, statements: u64, tally: &mut Tally) -> Result<()> {
    let path = dir.join(format!("seed-{seed}"));
    let ours = SqlDatabase::create(&path, Options::default())
        .with_context(|| format!("while creating {}", path.display()))?;
    let theirs = rusqlite::Connection::open_in_memory().context("while opening SQLite")?;
    for ddl in SCHEMA {
        ours.execute(ddl, &[])
            .with_context(|| format!("Lightning: {ddl}"))?;
        theirs
            .execute(ddl, [])
            .with_context(|| format!("SQLite: {ddl}"))?;
    }
    let mut g = Generator::new(seed);
    for index in 0..statements {
        let (sql, shape) = g.statement();
        let a = lightning(&ours, &sql, shape);
        let b = sqlite(&theirs, &sql, shape);
        tally.statements += 1;
        if shape != Shape::Write {
            tally.queries += 1;
        }
        match (&a, &b) {
            (Outcome::Failed(_), Outcome::Failed(_)) => tally.both_failed += 1,
            (Outcome::Rows(x), Outcome::Rows(y)) if !x.is_empty() && !y.is_empty() => {
                tally.nonempty += 1
            }
            _ => {}
        }
        if !agree(&a, &b, shape != Shape::Unordered) {
            tally.mismatches.push(Mismatch {
                seed,
                index,
                sql,
                ours: a,
                theirs: b,
            });
            break;
        }
    }
    drop(ours);
    std::fs::remove_dir_all(&path).with_context(|| format!("while removing {}", path.display()))?;
    Ok(())
}

/// Runs `ldb drill sql-diff`.
pub fn sql_diff_cmd(args: SqlDiffArgs) -> Result<ExitCode> {
    let tally = in_scratch(args.dir.as_deref(), "sql-diff", |dir| {
        let mut tally = Tally::default();
        for seed in args.seed..args.seed + args.seeds {
            run_seed(dir, seed, args.statements, &mut tally)
                .with_context(|| format!("seed {seed}"))?;
        }
        Ok(tally)
    })?;
    for m in &tally.mismatches {
        errln!(
            "ldb: drill sql-diff MISMATCH, seed {} statement {}: {}\n  lightning: {}\n  sqlite:    {}\n  replay: ldb drill sql-diff --seed {} --seeds 1 --statements {}",
            m.seed,
            m.index,
            m.sql,
            m.ours,
            m.theirs,
            m.seed,
            m.index + 1
        );
    }
    let metrics = vec![
        Metric::higher(
            "sqldiff.statements_compared",
            tally.statements as f64,
            "count",
        ),
        Metric::higher("sqldiff.queries_compared", tally.queries as f64, "count"),
        Metric::higher("sqldiff.nonempty_results", tally.nonempty as f64, "count"),
        Metric::higher("sqldiff.both_refused", tally.both_failed as f64, "count"),
        Metric::lower("sqldiff.mismatches", tally.mismatches.len() as f64, "count"),
        Metric::higher("sqldiff.seeds", args.seeds as f64, "count"),
    ];
    report_metrics(metrics, args.json)?;
    Ok(verdict(tally.mismatches.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The comparison sees a real difference between the engines: SQLite divides by zero into
    /// NULL, Lightning refuses it.
    #[test]
    fn a_known_difference_between_the_engines_is_a_mismatch() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ours = SqlDatabase::create(dir.path().join("db"), Options::default()).expect("db");
        let theirs = rusqlite::Connection::open_in_memory().expect("sqlite");
        let sql = "SELECT 7 / 0";
        let (a, b) = (
            lightning(&ours, sql, Shape::Ordered),
            sqlite(&theirs, sql, Shape::Ordered),
        );
        assert!(matches!(a, Outcome::Failed(_)), "{a}");
        assert!(
            matches!(&b, Outcome::Rows(r) if matches!(r[..], [ref row] if matches!(row[..], [Norm::Null]))),
            "{b}"
        );
        assert!(!agree(&a, &b, true));
        let same = "SELECT 7 * 6";
        let (a, b) = (
            lightning(&ours, same, Shape::Ordered),
            sqlite(&theirs, same, Shape::Ordered),
        );
        assert!(agree(&a, &b, true), "{a} / {b}");
    }
}
