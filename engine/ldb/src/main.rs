//! `ldb` — the Lightning DB command-line tool: a thin layer over the `lightning_db` library.
//!
//! Exit codes: 0 success; 1 a check found problems (a database too damaged to open included),
//! or `get` found no such key; 2 an error (bad arguments, no database at the path, a locked or
//! unreadable database, an I/O failure, standard output not writable).
//!
//! A failure after a commit is durable (closing the database: its checkpoint) does not make a
//! writing command fail: it exits 0 and prints `ldb: warning: committed (durable at lsn N);
//! closing failed: …` on standard error, because retrying a commit that is on disk would apply
//! it twice. Output: see [`out`] (a closed standard output ends the output quietly; any other
//! failure to write it is an error, exit 2).
//!
//! Layout: this file parses and dispatches; [`cmd`] holds one module per command family; the
//! helpers below it ([`args`], [`open`], [`out`], [`report`], [`scratch`], [`text`], [`flat`])
//! import no command module.

#[macro_use]
mod out;

mod args;
mod cmd;
mod flat;
mod open;
mod report;
mod scratch;
mod text;

#[cfg(test)]
mod tests;

use std::process::ExitCode;

/// mimalloc instead of the system allocator: columnar queries allocate and free column vectors
/// of hundreds of kilobytes per segment, which glibc's allocator serves with fresh `mmap`s and
/// their page faults every time (see adr/0014-ldb-allocates-through-mimalloc.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

use crate::cmd::{
    backup, bench, catalog, check, crashtest, drill, export, fuzz, import, kv, migrate, recover,
    snapshot, sql, stats, tpch, txn,
};

/// Lightning DB — an embedded transactional key-value engine.
#[derive(Parser, Debug)]
#[command(
    name = "ldb",
    version,
    about = "Lightning DB: an embedded transactional key-value and analytics engine",
    propagate_version = true,
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The exit codes, as `ldb --help` prints them.
const EXIT_CODES: &str = "Exit codes: 0 success; 1 `check` found problems (a database too \
damaged to open included), `get` found no such key, or a test or drill found a violation; 2 an \
error (bad arguments, no database at the path, a locked or unreadable database, an I/O failure, \
standard output not writable).

A write whose commit is durable exits 0 even if closing the database afterwards fails: the \
failure is printed on standard error as \"ldb: warning: committed (durable at lsn N); closing \
failed: ...\" and the next open recovers the commit from the write-ahead log. Do not retry it.

A closed standard output (a pipe whose reader exited) ends the output quietly; the exit code is \
the command's own.";

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a new, empty database directory.
    Init(kv::InitArgs),
    /// Set a key to a value (one durable commit).
    Put(kv::PutArgs),
    /// Print the value of a key (exit code 1 if it is absent).
    Get(kv::GetArgs),
    /// Delete a key (one durable commit).
    Del(kv::DelArgs),
    /// Load the seeded benchmark workload (24-byte random keys, 150-byte values) into a database.
    Load(kv::LoadArgs),
    /// Print `key<TAB>value` lines for a key range (`--from` inclusive, `--to` exclusive).
    Scan(kv::ScanArgs),
    /// Print counters of every layer (page cache, WAL, freelist, tree).
    Stats(stats::StatsArgs),
    /// Check every page checksum, the B+tree structure and the freelist (exit code 1 on findings).
    Check(check::CheckArgs),
    /// Run crash recovery now and say what it did; with `--salvage`, keep the commits before a
    /// damaged part of the log (exit code 1 if the log is damaged and `--salvage` is not given).
    Recover(recover::RecoverArgs),
    /// Describe the engine's on-disk formats and limits (and a database's configuration).
    Catalog(catalog::CatalogArgs),
    /// Run operations (`get:K`, `getx:K`, `put:K=V`, `del:K`, `scan:FROM..TO`) as one
    /// transaction.
    Txn(txn::TxnArgs),
    /// Crash-loop test on the simulated disk: crash at every I/O operation of a seeded workload,
    /// recover, verify (exit code 1 on any violation).
    Crashtest(crashtest::CrashtestArgs),
    /// Fuzz the engine's decoders (pages, WAL, backup manifest, catalog, rows, keys, columnar
    /// chunks, SQL) with seeded mutations of real encodings; exit code 1 on any crash.
    Fuzz(fuzz::FuzzArgs),
    /// Run SQL: statements given (separated by `;`), or read from standard input until `;`
    /// (exit code 2 if a statement fails).
    Sql(sql::SqlArgs),
    /// Load a CSV file (header of column names) into a table: validated whole first, then
    /// inserted in batches of `--batch` rows.
    Import(import::ImportArgs),
    /// Write a table as CSV (header, rows in primary-key order) to standard output or `--out`.
    Export(export::ExportArgs),
    /// TPC-H data for the analytics comparison (docs/tpch.md).
    #[command(subcommand)]
    Tpch(TpchCommand),
    /// Write an online, consistent, compressed backup of a database into a new directory.
    Backup(backup::BackupArgs),
    /// Verify a backup and restore it into a new database directory, then check it.
    Restore(backup::RestoreArgs),
    /// Versioned SQL migrations with a hash-chained applied history (status, up, down,
    /// validate, repair, baseline, new, verify).
    #[command(subcommand)]
    Migrate(migrate::MigrateCommand),
    /// Seeded Phase 0 snapshots (dataset + compressed backup + manifest).
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
    /// Operational drills that emit metrics JSON (exit code 1 if a verification fails).
    #[command(subcommand)]
    Drill(DrillCommand),
    /// The writer process `ldb drill recovery` kills (internal).
    #[command(hide = true)]
    DrillWriter(drill::recovery::WriterArgs),
    /// Quick measurements of the storage core (the criterion benches are the careful ones).
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// `ldb snapshot` subcommands.
#[derive(Subcommand, Debug)]
enum SnapshotCommand {
    /// Create a seeded dataset, its compressed backup and `snapshot.json` in a new directory.
    Create(snapshot::SnapshotArgs),
}

/// `ldb tpch` subcommands.
#[derive(Subcommand, Debug)]
enum TpchCommand {
    /// Write TPC-H tables as CSV files (`DIR/<table>.csv`), generated on the fly with tpchgen.
    Generate(tpch::generate::GenerateArgs),
}

/// `ldb drill` subcommands.
#[derive(Subcommand, Debug)]
enum DrillCommand {
    /// Back up a live database under write load, restore it, verify it; report RTO/RPO.
    BackupRestore(drill::backup_restore::DrillArgs),
    /// Fill a small tmpfs under a writer in both WAL modes, free space, reopen: every commit
    /// that returned must be there and the database usable (skipped where no tmpfs mounts).
    Enospc(drill::enospc::EnospcArgs),
    /// Run the seeded history workload at both isolation levels and check its histories for
    /// dependency cycles (exit code 1 on any).
    History(drill::history::HistoryArgs),
    /// Run the Hermitage-style anomaly suite at both isolation levels and measure deadlock
    /// detection latency (exit code 1 if a level fails to give its guarantees).
    Isolation(drill::isolation::IsolationArgs),
    /// Seeded inserts, deletes and updates on a columnar table with materialized views of
    /// every refresh policy; after each step every view's incremental state is compared with a
    /// full recomputation (exit code 1 on any mismatch).
    Mv(drill::mv::MvArgs),
    /// Crash loop over real files: SIGKILL a writer process at seeded points, reopen, verify
    /// every acknowledged commit; report crashes, recovery time p50/p95, commits lost.
    Recovery(drill::recovery::RecoveryArgs),
    /// Differential testing against SQLite: the same seeded statements on both engines, every
    /// outcome compared (exit code 1 on the first disagreement of any seed).
    SqlDiff(drill::sql_diff::SqlDiffArgs),
}

/// What `ldb bench` measures.
#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// fsync baseline, commit latency (Standard), commits/s (Standard and Unified, 8 threads),
    /// batch load, cached point gets and range scans, with cache hit ratio and peak RSS.
    Storage(bench::storage::BenchArgs),
    /// KV range-scan throughput over a seeded dataset (rows/s and MiB/s of keys and values).
    OlapKv(bench::olap_kv::OlapKvArgs),
    /// OLTP: YCSB A (throughput, p50/p95/p99 latency) and a hot-key read-modify-write mix
    /// (mean lock wait per operation, deadlocks, write conflicts) on a seeded dataset.
    Oltp(bench::oltp::OltpArgs),
    /// Tables: CREATE INDEX on a populated table and the table integrity check of a table with
    /// two secondary indexes (seconds, medians of --repeat).
    Tables(bench::tables::TablesArgs),
    /// TPC-C-style New-Order/Payment mix in SQL on Lightning and on SQLite side by side:
    /// transactions/s, p50/p95/p99 latency, retries, and a consistency check of both.
    Tpcc(bench::tpcc::TpccArgs),
    /// TPC-H queries (engine/ldb/tpch/queries) on the DuckDB peer over data from `ldb tpch
    /// generate`: load seconds, database size, per-query milliseconds (needs
    /// scripts/olap/setup-duckdb).
    Tpch(bench::tpch::TpchArgs),
    /// Compare a metrics JSON file with a baseline; exit code 1 on a regression beyond the
    /// threshold.
    Compare(bench::compare::CompareArgs),
}

/// Runs one command; the returned code is the process exit code.
fn run(command: Command) -> anyhow::Result<ExitCode> {
    let done = |r: anyhow::Result<()>| r.map(|()| ExitCode::SUCCESS);
    match command {
        Command::Init(args) => done(kv::init_cmd(args)),
        Command::Put(args) => done(kv::put_cmd(args)),
        Command::Get(args) => kv::get_cmd(args),
        Command::Del(args) => done(kv::del_cmd(args)),
        Command::Load(args) => done(kv::load_cmd(args)),
        Command::Scan(args) => done(kv::scan_cmd(args)),
        Command::Stats(args) => done(stats::stats_cmd(args)),
        Command::Check(args) => check::check_cmd(args),
        Command::Recover(args) => recover::recover_cmd(args),
        Command::Catalog(args) => done(catalog::catalog_cmd(args)),
        Command::Txn(args) => done(txn::txn_cmd(args)),
        Command::Crashtest(args) => crashtest::crashtest_cmd(args),
        Command::Fuzz(args) => fuzz::fuzz_cmd(args),
        Command::Sql(args) => sql::sql_cmd(args),
        Command::Migrate(command) => migrate::migrate_cmd(command),
        Command::Import(args) => done(import::import_cmd(args)),
        Command::Export(args) => done(export::export_cmd(args)),
        Command::Tpch(TpchCommand::Generate(args)) => done(tpch::generate::generate_cmd(args)),
        Command::Backup(args) => done(backup::backup_cmd(args)),
        Command::Restore(args) => done(backup::restore_cmd(args)),
        Command::Snapshot(SnapshotCommand::Create(args)) => {
            done(snapshot::snapshot_create_cmd(args))
        }
        Command::Drill(DrillCommand::BackupRestore(args)) => {
            drill::backup_restore::backup_restore_cmd(args)
        }
        Command::Drill(DrillCommand::Enospc(args)) => drill::enospc::enospc_cmd(args),
        Command::Drill(DrillCommand::History(args)) => drill::history::history_cmd(args),
        Command::Drill(DrillCommand::Isolation(args)) => drill::isolation::isolation_cmd(&args),
        Command::Drill(DrillCommand::Recovery(args)) => drill::recovery::recovery_cmd(args),
        Command::Drill(DrillCommand::SqlDiff(args)) => drill::sql_diff::sql_diff_cmd(args),
        Command::Drill(DrillCommand::Mv(args)) => drill::mv::mv_cmd(args),
        Command::DrillWriter(args) => done(drill::recovery::writer_cmd(args)),
        Command::Bench(BenchCommand::Storage(args)) => done(bench::storage::run(args)),
        Command::Bench(BenchCommand::OlapKv(args)) => done(bench::olap_kv::olap_kv_cmd(args)),
        Command::Bench(BenchCommand::Oltp(args)) => done(bench::oltp::oltp_cmd(args)),
        Command::Bench(BenchCommand::Tables(args)) => done(bench::tables::tables_cmd(args)),
        Command::Bench(BenchCommand::Tpcc(args)) => done(bench::tpcc::tpcc_cmd(args)),
        Command::Bench(BenchCommand::Tpch(args)) => done(bench::tpch::tpch_cmd(args)),
        Command::Bench(BenchCommand::Compare(args)) => bench::compare::compare_cmd(args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            errln!("ldb: error: {}", out::chain(&err));
            ExitCode::from(2)
        }
    }
}
