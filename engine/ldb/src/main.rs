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

#[macro_use]
mod out;

mod backup;
mod bench;
mod commands;
mod compare;
mod drill;
mod history;
mod isolation;
mod oltp;
mod recover;
mod recovery_drill;
mod text;
mod txn;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Lightning DB — an embedded transactional key-value engine.
#[derive(Parser, Debug)]
#[command(
    name = "ldb",
    version,
    about,
    propagate_version = true,
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Options shared by the commands that open a database.
#[derive(Args, Debug, Clone)]
pub struct DbArgs {
    /// The database directory.
    db: PathBuf,
    /// WAL durability mode: `standard` fsyncs every commit; `unified` shares fsyncs between
    /// concurrent committers (group commit).
    #[arg(long, value_enum, default_value_t = Mode::Standard, global = true)]
    wal_mode: Mode,
    /// Page cache budget in MiB.
    #[arg(long, default_value_t = 64, global = true)]
    cache_mb: usize,
    /// WAL archive directory: closed WAL segments are copied there before they are recycled
    /// (for `ldb restore --wal-archive`, point-in-time restore).
    #[arg(long, value_name = "DIR", global = true)]
    wal_archive: Option<PathBuf>,
}

/// WAL mode as a command-line value.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Mode {
    /// One fsync per commit.
    Standard,
    /// Group commit.
    Unified,
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
    Init {
        #[command(flatten)]
        db: DbArgs,
        /// Page size in bytes (a power of two, 1024..=65536).
        #[arg(long, default_value_t = 4096)]
        page_size: usize,
    },
    /// Set a key to a value (one durable commit).
    Put {
        #[command(flatten)]
        db: DbArgs,
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Take the key and value as hexadecimal.
        #[arg(long)]
        hex: bool,
    },
    /// Print the value of a key (exit code 1 if it is absent).
    Get {
        #[command(flatten)]
        db: DbArgs,
        /// The key.
        key: String,
        /// Take the key and print the value as hexadecimal.
        #[arg(long)]
        hex: bool,
        /// Open without writing anything (no recovery writes, no lock file created), e.g. a
        /// copy on read-only media; commits in the log are shown as recovery would redo them.
        #[arg(long)]
        read_only: bool,
    },
    /// Delete a key (one durable commit).
    Del {
        #[command(flatten)]
        db: DbArgs,
        /// The key.
        key: String,
        /// Take the key as hexadecimal.
        #[arg(long)]
        hex: bool,
    },
    /// Load the seeded benchmark workload (24-byte random keys, 150-byte values) into a database.
    Load {
        #[command(flatten)]
        db: DbArgs,
        /// Number of keys.
        #[arg(long)]
        keys: u64,
        /// Workload seed (the same seed always gives the same keys and values).
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Keys per commit.
        #[arg(long, default_value_t = 1000)]
        batch: u64,
    },
    /// Print `key<TAB>value` lines for a key range (`--from` inclusive, `--to` exclusive).
    Scan {
        #[command(flatten)]
        db: DbArgs,
        /// First key (inclusive).
        #[arg(long)]
        from: Option<String>,
        /// End key (exclusive).
        #[arg(long)]
        to: Option<String>,
        /// Descending order.
        #[arg(long)]
        reverse: bool,
        /// Stop after this many entries.
        #[arg(long)]
        limit: Option<usize>,
        /// Keys and values (and --from/--to) as hexadecimal.
        #[arg(long)]
        hex: bool,
        /// Open without writing anything (no recovery writes, no lock file created), e.g. a
        /// copy on read-only media; commits in the log are shown as recovery would redo them.
        #[arg(long)]
        read_only: bool,
    },
    /// Print counters of every layer (page cache, WAL, freelist, tree).
    Stats {
        #[command(flatten)]
        db: DbArgs,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Open without writing anything (no recovery writes, no lock file created), e.g. a
        /// copy on read-only media; commits in the log are shown as recovery would redo them.
        #[arg(long)]
        read_only: bool,
    },
    /// Check every page checksum, the B+tree structure and the freelist (exit code 1 on findings).
    Check {
        #[command(flatten)]
        db: DbArgs,
        /// Machine-readable output (the full report).
        #[arg(long)]
        json: bool,
        /// Print the project's metrics JSON instead, with metric names under this prefix
        /// (`<prefix>.errors`, `.pages_verified`, `.leaked_pages`, `.keys`).
        #[arg(long, value_name = "PREFIX")]
        metrics: Option<String>,
        /// Open without writing anything (no recovery writes, no lock file created), e.g. a
        /// copy on read-only media; commits in the log are shown as recovery would redo them.
        #[arg(long)]
        read_only: bool,
    },
    /// Run crash recovery now and say what it did; with `--salvage`, keep the commits before a
    /// damaged part of the log (exit code 1 if the log is damaged and `--salvage` is not given).
    Recover(recover::RecoverArgs),
    /// Describe the engine's on-disk formats and limits (and a database's configuration).
    Catalog {
        /// A database whose configuration to include (defaults when omitted).
        db: Option<PathBuf>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// The markdown document (`docs/SCHEMA_CATALOG.md`).
        #[arg(long, conflicts_with = "json")]
        markdown: bool,
    },
    /// Run operations (`get:K`, `getx:K`, `put:K=V`, `del:K`, `scan:FROM..TO`) as one
    /// transaction.
    Txn(txn::TxnArgs),
    /// Crash-loop test on the simulated disk: crash at every I/O operation of a seeded workload,
    /// recover, verify (exit code 1 on any violation).
    Crashtest(commands::CrashtestArgs),
    /// Write an online, consistent, compressed backup of a database into a new directory.
    Backup(backup::BackupArgs),
    /// Verify a backup and restore it into a new database directory, then check it.
    Restore(backup::RestoreArgs),
    /// Seeded Phase 0 snapshots (dataset + compressed backup + manifest).
    #[command(subcommand)]
    Snapshot(drill::SnapshotCommand),
    /// Operational drills that emit metrics JSON (exit code 1 if a verification fails).
    #[command(subcommand)]
    Drill(drill::DrillCommand),
    /// The writer process `ldb drill recovery` kills (internal).
    #[command(hide = true)]
    DrillWriter(recovery_drill::WriterArgs),
    /// Quick measurements of the storage core (the criterion benches are the careful ones).
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// What `ldb bench` measures.
#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// fsync baseline, commit latency (Standard), commits/s (Standard and Unified, 8 threads),
    /// batch load, cached point gets and range scans, with cache hit ratio and peak RSS.
    Storage(bench::BenchArgs),
    /// KV range-scan throughput over a seeded dataset (rows/s and MiB/s of keys and values).
    OlapKv(drill::OlapKvArgs),
    /// OLTP: YCSB A (throughput, p50/p95/p99 latency) and a hot-key read-modify-write mix
    /// (mean lock wait per operation, deadlocks, write conflicts) on a seeded dataset.
    Oltp(oltp::OltpArgs),
    /// Compare a metrics JSON file with a baseline; exit code 1 on a regression beyond the
    /// threshold.
    Compare(compare::CompareArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli.command) {
        Ok(code) => code,
        Err(err) => {
            errln!("ldb: error: {}", out::chain(&err));
            ExitCode::from(2)
        }
    }
}
