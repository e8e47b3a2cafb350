//! The implementation of each `ldb` command: open the database, call the library, print.

use std::io::{BufWriter, Write};
use std::ops::Bound;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::crashtest::{self, CrashConfig};
use lightning_db::wal::WalMode;
use lightning_db::{Database, Options};

use crate::text::{decode, encode};
use crate::{Command, DbArgs, Mode};

/// Arguments of `ldb crashtest`.
#[derive(Args, Debug)]
pub struct CrashtestArgs {
    /// Workload seed (the first of `--seeds` consecutive seeds).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many consecutive seeds to run.
    #[arg(long, default_value_t = 1)]
    seeds: u64,
    /// Commits per workload.
    #[arg(long, default_value_t = 40)]
    commits: usize,
    /// Crash points per seed at most (every I/O operation up to this many).
    #[arg(long, default_value_t = 100_000)]
    points: u64,
    /// WAL mode to test (both modes when omitted).
    #[arg(long, value_enum)]
    mode: Option<Mode>,
    /// Print the project's metrics JSON (`recovery.<mode>.failures`, `.crash_points`,
    /// `.inflight_applied`); violations go to standard error.
    #[arg(long)]
    json: bool,
}

/// The library's WAL mode for a command-line mode.
pub fn wal_mode(mode: Mode) -> WalMode {
    match mode {
        Mode::Standard => WalMode::Standard,
        Mode::Unified => WalMode::Unified,
    }
}

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
    if db.read_only {
        anyhow::bail!(
            "--read-only: this command writes to {}; only get, scan, check and stats read              without writing",
            db.db.display()
        );
    }
    Database::open(&db.db, options(db))
        .with_context(|| format!("while opening database {}", db.db.display()))
}

pub(crate) fn close(handle: Database) -> Result<()> {
    let path = handle.path().to_path_buf();
    handle
        .close()
        .with_context(|| format!("while closing database {}", path.display()))
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
            let handle = Database::create(&db.db, opts)
                .with_context(|| format!("while creating database {}", db.db.display()))?;
            close(handle)?;
            println!("created {} (page size {page_size})", db.db.display());
        }
        Command::Put {
            db,
            key,
            value,
            hex,
        } => {
            let (key, value) = (decode(&key, hex, "key")?, decode(&value, hex, "value")?);
            let handle = open(&db)?;
            handle
                .put(&key, &value)
                .context("while committing the put")?;
            close(handle)?;
        }
        Command::Get { db, key, hex } => {
            let key = decode(&key, hex, "key")?;
            let value = if db.read_only {
                let view = crate::recover::open_read_only(&db)?;
                if let Some(note) = crate::recover::pending_note(&view) {
                    eprintln!("{note}");
                }
                view.get(&key).context("while reading")?
            } else {
                open(&db)?.get(&key).context("while reading")?
            };
            match value {
                Some(value) => println!("{}", encode(&value, hex)),
                None => {
                    eprintln!("ldb: key not found: {}", encode(&key, hex));
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Command::Del { db, key, hex } => {
            let key = decode(&key, hex, "key")?;
            let handle = open(&db)?;
            let existed = handle.delete(&key).context("while committing the delete")?;
            close(handle)?;
            if !existed {
                eprintln!("ldb: key was not present: {}", encode(&key, hex));
            }
        }
        Command::Load {
            db,
            keys,
            seed,
            batch,
        } => {
            let handle = open(&db)?;
            let start = std::time::Instant::now();
            lightning_db::workload::load(&handle, seed, 0, keys, batch)
                .context("while loading the workload")?;
            close(handle)?;
            let secs = start.elapsed().as_secs_f64();
            println!(
                "loaded {keys} keys (seed {seed}) in {secs:.2} s ({:.0} inserts/s)",
                keys as f64 / secs.max(1e-9)
            );
        }
        Command::Scan {
            db,
            from,
            to,
            reverse,
            limit,
            hex,
        } => {
            let from = bound(&from, hex, "--from", true)?;
            let to = bound(&to, hex, "--to", false)?;
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            let mut print = |iter: &mut dyn Iterator<
                Item = lightning_db::Result<(Vec<u8>, Vec<u8>)>,
            >|
             -> Result<()> {
                for entry in iter.take(limit.unwrap_or(usize::MAX)) {
                    let (k, v) = entry.context("while scanning")?;
                    writeln!(out, "{}\t{}", encode(&k, hex), encode(&v, hex))?;
                }
                Ok(())
            };
            if db.read_only {
                let view = crate::recover::open_read_only(&db)?;
                if let Some(note) = crate::recover::pending_note(&view) {
                    eprintln!("{note}");
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
            out.flush()?;
        }
        Command::Stats { db, json } if db.read_only => {
            let view = crate::recover::open_read_only(&db)?;
            let stats = serde_json::json!({
                "path": view.path().display().to_string(),
                "read_only": true,
                "entries": view.entries(),
                "last_commit_lsn": view.last_commit_lsn().0,
                "pending_recovery": view.pending_recovery(),
            });
            if json {
                println!("{}", serde_json::to_string_pretty(&stats)?);
            } else {
                let mut out = String::new();
                flatten("", &stats, &mut out);
                print!("{out}");
            }
        }
        Command::Stats { db, json } => {
            let handle = open(&db)?;
            let stats = handle.stats()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&stats)?);
            } else {
                print!("{}", crate_stats_text(&stats)?);
            }
        }
        Command::Check { db, json, metrics } => {
            let report = if db.read_only {
                let view = crate::recover::open_read_only(&db)?;
                if let Some(note) = crate::recover::pending_note(&view) {
                    eprintln!("{note}");
                }
                view.check().context("while checking")?
            } else {
                open(&db)?.check().context("while checking")?
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
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{report}");
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
                println!("{}", serde_json::to_string_pretty(&catalog)?);
            } else if markdown {
                print!("{}", catalog.to_markdown());
            } else {
                let mut out = String::new();
                flatten("", &serde_json::to_value(&catalog)?, &mut out);
                print!("{out}");
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
        for seed in args.seed..args.seed.saturating_add(args.seeds.max(1)) {
            let cfg = CrashConfig {
                seed,
                commits: args.commits,
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
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
            for v in &report.violations {
                eprintln!("  VIOLATION ({name}) {v}");
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
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(())
}

/// Prints metrics as the metrics JSON document (`json`) or as aligned text lines.
pub fn report_metrics(metrics: &[serde_json::Value], json: bool) -> Result<()> {
    if json {
        print_metrics(metrics)
    } else {
        print_metrics_text(metrics);
        Ok(())
    }
}

/// Prints metrics as aligned `name value unit` lines.
pub fn print_metrics_text(metrics: &[serde_json::Value]) {
    for m in metrics {
        println!(
            "{:<40} {:>14.3} {}",
            m["name"].as_str().unwrap_or(""),
            m["value"].as_f64().unwrap_or(f64::NAN),
            m["unit"].as_str().unwrap_or("")
        );
    }
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
