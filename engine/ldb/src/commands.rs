//! The implementation of each `ldb` command: open the database, call the library, print.

use std::ops::Bound;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::crashtest::{self, CrashConfig};
use lightning_db::wal::WalMode;
use lightning_db::{Database, Lsn, Options, WriteBatch};

use crate::text::{decode, decode_key, encode};
use crate::{Command, DbArgs, Mode};

/// Arguments of `ldb crashtest`.
#[derive(Args, Debug)]
pub struct CrashtestArgs {
    /// Workload seed (the first of `--seeds` consecutive seeds; after 18446744073709551615 the
    /// seeds wrap around to 0).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many consecutive seeds to run (at least 1).
    #[arg(long, default_value_t = 1, value_parser = at_least_one)]
    seeds: u64,
    /// Commits per workload (at least 1).
    #[arg(long, default_value_t = 40, value_parser = at_least_one)]
    commits: u64,
    /// Crash points per seed at most (every I/O operation up to this many; at least 1).
    #[arg(long, default_value_t = 100_000, value_parser = at_least_one)]
    points: u64,
    /// WAL mode to test (both modes when omitted).
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// Print the project's metrics JSON (`recovery.<mode>.failures`, `.crash_points`,
    /// `.inflight_applied`); violations go to standard error.
    #[arg(long)]
    json: bool,
}

/// Parses a count that must be at least 1: a crash test over zero seeds, commits or crash points
/// would check nothing and still pass.
fn at_least_one(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(0) => Err("must be at least 1 (a crash test of nothing checks nothing)".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("expected a whole number: {e}")),
    }
}

/// The library's WAL mode for a command-line mode.
pub fn wal_mode(mode: Mode) -> WalMode {
    match mode {
        Mode::Standard => WalMode::Standard,
        Mode::Unified => WalMode::Unified,
    }
}

/// The library options the command-line flags ask for.
pub(crate) fn options(db: &DbArgs) -> Options {
    Options {
        wal_mode: wal_mode(db.wal_mode),
        cache_bytes: db.cache_mb.max(1) << 20,
        wal_archive: db.wal_archive.as_deref().map(absolute),
        ..Options::default()
    }
}

/// `path` made absolute (the archive path is recorded in the database and must not depend on
/// the working directory of a later opener); unchanged if that fails.
pub fn absolute(path: &std::path::Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

pub(crate) fn open(db: &DbArgs) -> Result<Database> {
    open_with(&db.db, options(db))
}

/// Opens the database at `path` with `opts`, naming it in the error.
pub(crate) fn open_with(path: &Path, opts: Options) -> Result<Database> {
    Database::open(path, opts).with_context(|| format!("while opening database {}", path.display()))
}

pub(crate) fn close(handle: Database) -> Result<()> {
    let path = handle.path().to_path_buf();
    handle
        .close()
        .with_context(|| format!("while closing database {}", path.display()))
}

/// What a writing command has already made durable when it closes the database.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Durable {
    /// Nothing (a read, a rolled-back or read-only transaction).
    Nothing,
    /// Commits up to and including this LSN.
    Commit(Lsn),
    /// A new, complete database (`init`).
    Created,
}

/// Closes `handle` after a command's work. A failure to close is an error only if nothing was
/// made durable; after a durable commit (or a completed `init`) it does not undo that work, so
/// it comes back as the warning to print — `committed (durable at lsn N); closing failed: …` —
/// and the command still succeeds: retrying a commit that is on disk would apply it twice.
pub(crate) fn close_after(handle: Database, durable: Durable) -> Result<Option<String>> {
    let Err(err) = close(handle) else {
        return Ok(None);
    };
    let (done, then) = match durable {
        Durable::Nothing => return Err(err),
        Durable::Commit(lsn) => (
            format!("committed (durable at {lsn})"),
            "the commit is in the write-ahead log and the next open recovers it; do not retry it",
        ),
        Durable::Created => (
            "created (the database is complete)".to_string(),
            "the next open checkpoints it",
        ),
    };
    Ok(Some(format!(
        "{done}; closing failed: {}; {then}",
        crate::out::chain(&err)
    )))
}

/// Prints the warning [`close_after`] returned, if any.
pub(crate) fn warn(warning: Option<String>) {
    if let Some(w) = warning {
        errln!("ldb: warning: {w}");
    }
}

/// `ldb init`: creates the database and closes it. A failed create leaves nothing behind
/// (`Database::create` removes what it made), so `init` can simply be run again.
pub(crate) fn init(path: &Path, opts: Options) -> Result<Option<String>> {
    let handle = Database::create(path, opts)
        .with_context(|| format!("while creating database {}", path.display()))?;
    close_after(handle, Durable::Created)
}

/// `ldb put`: one durable commit; returns its LSN and the close warning.
pub(crate) fn put(
    path: &Path,
    opts: Options,
    key: &[u8],
    value: &[u8],
) -> Result<(Lsn, Option<String>)> {
    let handle = open_with(path, opts)?;
    let info = handle.put(key, value).context("while committing the put")?;
    Ok((info.lsn, close_after(handle, Durable::Commit(info.lsn))?))
}

/// `ldb del`: one durable commit; returns whether the key existed and the close warning.
pub(crate) fn del(path: &Path, opts: Options, key: &[u8]) -> Result<(bool, Option<String>)> {
    let handle = open_with(path, opts)?;
    let existed = handle.get(key).context("while reading")?.is_some();
    let mut batch = WriteBatch::new();
    batch.delete(key);
    let info = handle
        .commit(batch)
        .context("while committing the delete")?;
    Ok((existed, close_after(handle, Durable::Commit(info.lsn))?))
}

/// `ldb load`: the seeded workload in commits of `batch` keys; returns the close warning.
pub(crate) fn load(
    path: &Path,
    opts: Options,
    keys: u64,
    seed: u64,
    batch: u64,
) -> Result<Option<String>> {
    let handle = open_with(path, opts)?;
    let before = handle.snapshot().lsn;
    lightning_db::workload::load(&handle, seed, 0, keys, batch)
        .context("while loading the workload")?;
    let last = handle.snapshot().lsn;
    let durable = if last == before {
        Durable::Nothing
    } else {
        Durable::Commit(last)
    };
    close_after(handle, durable)
}

fn bound(arg: &Option<String>, hex: bool, what: &str, included: bool) -> Result<Bound<Vec<u8>>> {
    Ok(match arg {
        None => Bound::Unbounded,
        Some(s) if included => Bound::Included(decode(s, hex, what)?),
        Some(s) => Bound::Excluded(decode(s, hex, what)?),
    })
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Runs one command; the returned code is the process exit code.
pub fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Init { db, page_size } => {
            let opts = Options {
                page_size,
                ..options(&db)
            };
            warn(init(&db.db, opts)?);
            outln!("created {} (page size {page_size})", db.db.display())?;
        }
        Command::Put {
            db,
            key,
            value,
            hex,
        } => {
            let (key, value) = (decode_key(&key, hex, "key")?, decode(&value, hex, "value")?);
            let (_, warning) = put(&db.db, options(&db), &key, &value)?;
            warn(warning);
        }
        Command::Get {
            db,
            key,
            hex,
            read_only,
        } => {
            let key = decode_key(&key, hex, "key")?;
            let value = if read_only {
                let view = crate::recover::open_read_only(&db)?;
                if let Some(note) = crate::recover::pending_note(&view, false) {
                    errln!("{note}");
                }
                view.get(&key).context("while reading")?
            } else {
                open(&db)?.get(&key).context("while reading")?
            };
            match value {
                Some(value) => outln!("{}", encode(&value, hex))?,
                None => {
                    errln!("ldb: key not found: {}", encode(&key, hex));
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Command::Del { db, key, hex } => {
            let key = decode_key(&key, hex, "key")?;
            let (existed, warning) = del(&db.db, options(&db), &key)?;
            warn(warning);
            if !existed {
                errln!("ldb: key was not present: {}", encode(&key, hex));
            }
        }
        Command::Load {
            db,
            keys,
            seed,
            batch,
        } => {
            let start = std::time::Instant::now();
            let warning = load(&db.db, options(&db), keys, seed, batch)?;
            warn(warning);
            let secs = start.elapsed().as_secs_f64();
            outln!(
                "loaded {keys} keys (seed {seed}) in {secs:.2} s ({:.0} inserts/s)",
                keys as f64 / secs.max(1e-9)
            )?;
        }
        Command::Scan {
            db,
            from,
            to,
            reverse,
            limit,
            hex,
            read_only,
        } => {
            let from = bound(&from, hex, "--from", true)?;
            let to = bound(&to, hex, "--to", false)?;
            let mut out = crate::out::Buffered::new();
            let mut print = |iter: &mut dyn Iterator<
                Item = lightning_db::Result<(Vec<u8>, Vec<u8>)>,
            >|
             -> Result<()> {
                for entry in iter.take(limit.unwrap_or(usize::MAX)) {
                    if crate::out::is_closed() {
                        break;
                    }
                    let (k, v) = entry.context("while scanning")?;
                    writeln!(out, "{}\t{}", encode(&k, hex), encode(&v, hex))?;
                }
                Ok(())
            };
            if read_only {
                let view = crate::recover::open_read_only(&db)?;
                if let Some(note) = crate::recover::pending_note(&view, false) {
                    errln!("{note}");
                }
                let mut iter = view
                    .range(as_ref(&from), as_ref(&to), reverse)
                    .context("while starting the scan")?;
                print(&mut iter)?;
            } else {
                let handle = open(&db)?;
                let mut iter = handle
                    .range(as_ref(&from), as_ref(&to), reverse)
                    .context("while starting the scan")?;
                print(&mut iter)?;
            }
            out.finish()?;
        }
        Command::Stats {
            db,
            json,
            read_only: true,
        } => {
            let view = crate::recover::open_read_only(&db)?;
            let stats = serde_json::json!({
                "path": view.path().display().to_string(),
                "read_only": true,
                "entries": view.entries().context("while counting keys")?,
                "last_commit_lsn": view.last_commit_lsn().0,
                "pending_recovery": view.pending_recovery(),
            });
            if json {
                outln!("{}", serde_json::to_string_pretty(&stats)?)?;
            } else {
                let mut out = String::new();
                flatten("", &stats, &mut out);
                out!("{out}")?;
            }
        }
        Command::Stats { db, json, .. } => {
            let handle = open(&db)?;
            let stats = handle.stats()?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&stats)?)?;
            } else {
                out!("{}", crate_stats_text(&stats)?)?;
            }
        }
        Command::Check {
            db,
            json,
            metrics,
            read_only,
        } => {
            // A database too damaged to open is a finding (exit 1), not an error.
            let report = if read_only {
                match crate::recover::open_read_only(&db) {
                    Ok(view) => {
                        if let Some(note) = crate::recover::pending_note(&view, true) {
                            errln!("{note}");
                        }
                        view.check().context("while checking")?
                    }
                    Err(e) => match e.downcast_ref::<lightning_db::Error>() {
                        Some(inner) if inner.is_damage() => {
                            lightning_db::IntegrityReport::unopenable(format!(
                                "cannot open the database: {inner}"
                            ))
                        }
                        _ => return Err(e),
                    },
                }
            } else {
                lightning_db::integrity::check_database(&db.db, options(&db))
                    .with_context(|| format!("while checking database {}", db.db.display()))?
            };
            if let Some(prefix) = metrics {
                print_metrics(&[
                    metric(
                        &format!("{prefix}.errors"),
                        report.findings.len() as f64,
                        "count",
                        false,
                    ),
                    metric(
                        &format!("{prefix}.pages_verified"),
                        report.pages_verified as f64,
                        "count",
                        true,
                    ),
                    metric(
                        &format!("{prefix}.leaked_pages"),
                        report.leaked_pages.len() as f64,
                        "count",
                        false,
                    ),
                    metric(
                        &format!("{prefix}.keys"),
                        report.tree.entries as f64,
                        "count",
                        true,
                    ),
                ])?;
            } else if json {
                outln!("{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                out!("{report}")?;
            }
            if !report.is_clean() {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Catalog { db, json, markdown } => {
            let handle = match &db {
                Some(path) => Some(
                    Database::open(path, Options::default())
                        .with_context(|| format!("while opening database {}", path.display()))?,
                ),
                None => None,
            };
            let catalog = lightning_db::catalog::describe(handle.as_ref())?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&catalog)?)?;
            } else if markdown {
                out!("{}", catalog.to_markdown())?;
            } else {
                let mut text = String::new();
                flatten("", &serde_json::to_value(&catalog)?, &mut text);
                out!("{text}")?;
            }
        }
        Command::Crashtest(args) => return crashtest_cmd(args),
        Command::Recover(args) => return crate::recover::recover_cmd(args),
        Command::Backup(args) => crate::backup::backup_cmd(args)?,
        Command::Restore(args) => crate::backup::restore_cmd(args)?,
        Command::Snapshot(cmd) => crate::drill::snapshot_cmd(cmd)?,
        Command::Drill(cmd) => return crate::drill::drill_cmd(cmd),
        Command::DrillWriter(args) => crate::recovery_drill::writer_cmd(args)?,
        Command::Bench(crate::BenchCommand::OlapKv(args)) => crate::drill::olap_kv_cmd(args)?,
        Command::Bench(crate::BenchCommand::Oltp(args)) => crate::oltp::oltp_cmd(args)?,
        Command::Bench(crate::BenchCommand::Compare(args)) => {
            return crate::compare::compare_cmd(args);
        }
        Command::Bench(crate::BenchCommand::Storage(args)) => crate::bench::run(args)?,
        Command::Txn(args) => crate::txn::txn_cmd(args)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn crate_stats_text(stats: &lightning_db::Stats) -> Result<String> {
    // The JSON tree, flattened to `a.b.c  value` lines: every counter, one per line.
    let value = serde_json::to_value(stats)?;
    let mut out = String::new();
    flatten("", &value, &mut out);
    Ok(out)
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        other => out.push_str(&format!("{prefix:<40} {other}\n")),
    }
}

fn crashtest_cmd(args: CrashtestArgs) -> Result<ExitCode> {
    let modes = match args.mode {
        Some(m) => vec![m],
        None => vec![Mode::Standard, Mode::Unified],
    };
    let mut metrics = Vec::new();
    let mut failed = false;
    for mode in modes {
        let name = match mode {
            Mode::Standard => "standard",
            Mode::Unified => "unified",
        };
        let (mut points, mut violations, mut inflight) = (0u64, 0u64, 0u64);
        // Consecutive seeds, wrapping around after u64::MAX (a range ending at u64::MAX would
        // hold no seed at all).
        for seed in (0..args.seeds).map(|i| args.seed.wrapping_add(i)) {
            let cfg = CrashConfig {
                seed,
                commits: usize::try_from(args.commits).unwrap_or(usize::MAX),
                wal_mode: wal_mode(mode),
                ..CrashConfig::default()
            };
            let report = crashtest::run_loop(&cfg, 1, args.points)
                .with_context(|| format!("while running the crash loop for seed {seed}"))?;
            let line = format!(
                "{name} seed {seed}: {} crash points over {} I/O operations, {} violations ({} in-flight commits found applied)",
                report.points,
                report.io_ops,
                report.violations.len(),
                report.inflight_applied
            );
            if args.json {
                errln!("{line}");
            } else {
                outln!("{line}")?;
            }
            for v in &report.violations {
                errln!("  VIOLATION ({name}) {v}");
            }
            if report.points == 0 {
                // Nothing was exercised for this seed: that is not a pass.
                errln!(
                    "ldb: crashtest FAILED: {name} seed {seed} exercised no crash point, so nothing was checked"
                );
                failed = true;
            }
            points += report.points;
            violations += report.violations.len() as u64;
            inflight += report.inflight_applied;
        }
        failed |= violations > 0;
        metrics.push(metric(
            &format!("recovery.{name}.failures"),
            violations as f64,
            "count",
            false,
        ));
        metrics.push(metric(
            &format!("recovery.{name}.crash_points"),
            points as f64,
            "count",
            true,
        ));
        metrics.push(metric(
            &format!("recovery.{name}.inflight_applied"),
            inflight as f64,
            "count",
            true,
        ));
    }
    if args.json {
        print_metrics(&metrics)?;
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One figure in the project's metrics JSON format (`docs/formats/metrics.md`).
pub fn metric(name: &str, value: f64, unit: &str, higher_is_better: bool) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "value": value,
        "unit": unit,
        "direction": if higher_is_better { "higher_is_better" } else { "lower_is_better" },
    })
}

/// Prints a metrics JSON document.
pub fn print_metrics(metrics: &[serde_json::Value]) -> Result<()> {
    let doc = serde_json::json!({ "format_version": 1, "metrics": metrics });
    outln!("{}", serde_json::to_string_pretty(&doc)?)?;
    Ok(())
}

/// Prints metrics as the metrics JSON document (`json`) or as aligned text lines.
pub fn report_metrics(metrics: &[serde_json::Value], json: bool) -> Result<()> {
    if json {
        print_metrics(metrics)
    } else {
        print_metrics_text(metrics)
    }
}

/// Prints metrics as aligned `name value unit` lines.
pub fn print_metrics_text(metrics: &[serde_json::Value]) -> Result<()> {
    for m in metrics {
        outln!(
            "{:<40} {:>14.3} {}",
            m["name"].as_str().unwrap_or(""),
            m["value"].as_f64().unwrap_or(f64::NAN),
            m["unit"].as_str().unwrap_or("")
        )?;
    }
    Ok(())
}

/// Creates a fresh scratch directory `ldb-<what>-<pid>-<nanos>` under `base` (default: the
/// system temp dir) for a benchmark or drill; the caller removes it.
pub fn scratch_dir(base: Option<&std::path::Path>, what: &str) -> Result<std::path::PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = base
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("ldb-{what}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("while creating {}", dir.display()))?;
    Ok(dir)
}
