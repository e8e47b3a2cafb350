//! The key-value commands: `ldb init`, `put`, `get`, `del`, `load` and `scan` — open the
//! database, call the library, print.

use std::ops::Bound;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use lightning_db::{Database, Lsn, Options, WriteBatch};

use crate::args::DbArgs;
use crate::open::{
    Durable, close_after, note_pending, open, open_read_only, open_with, options, warn,
};
use crate::text::{decode, decode_key, encode};

/// Arguments of `ldb init`.
#[derive(Args, Debug)]
pub struct InitArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Page size in bytes (a power of two, 1024..=65536).
    #[arg(long, default_value_t = 4096)]
    page_size: usize,
}

/// Arguments of `ldb put`.
#[derive(Args, Debug)]
pub struct PutArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The key.
    key: String,
    /// The value.
    value: String,
    /// Take the key and value as hexadecimal.
    #[arg(long)]
    hex: bool,
}

/// Arguments of `ldb get`.
#[derive(Args, Debug)]
pub struct GetArgs {
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
}

/// Arguments of `ldb del`.
#[derive(Args, Debug)]
pub struct DelArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The key.
    key: String,
    /// Take the key as hexadecimal.
    #[arg(long)]
    hex: bool,
}

/// Arguments of `ldb load`.
#[derive(Args, Debug)]
pub struct LoadArgs {
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
    /// Also create the seeded demo tables (`customers`, `orders`, three secondary indexes)
    /// and load this many rows into each (0: none); the raw workload keys that fall inside
    /// the schema's reserved prefix `FF 53` are then skipped (and counted on standard error).
    #[arg(long, default_value_t = 0)]
    table_rows: u64,
}

/// Arguments of `ldb scan`.
#[derive(Args, Debug)]
pub struct ScanArgs {
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
}

/// Runs `ldb init`.
pub fn init_cmd(args: InitArgs) -> Result<()> {
    let opts = Options {
        page_size: args.page_size,
        ..options(&args.db)
    };
    warn(init(&args.db.db, opts)?);
    outln!(
        "created {} (page size {})",
        args.db.db.display(),
        args.page_size
    )?;
    Ok(())
}

/// Runs `ldb put`.
pub fn put_cmd(args: PutArgs) -> Result<()> {
    let key = decode_key(&args.key, args.hex, "key")?;
    let value = decode(&args.value, args.hex, "value")?;
    let (_, warning) = put(&args.db.db, options(&args.db), &key, &value)?;
    warn(warning);
    Ok(())
}

/// Runs `ldb get`; exit code 1 when the key is absent.
pub fn get_cmd(args: GetArgs) -> Result<ExitCode> {
    let key = decode_key(&args.key, args.hex, "key")?;
    let value = if args.read_only {
        let view = open_read_only(&args.db)?;
        note_pending(&view, false);
        view.get(&key).context("while reading")?
    } else {
        open(&args.db)?.get(&key).context("while reading")?
    };
    match value {
        Some(value) => outln!("{}", encode(&value, args.hex))?,
        None => {
            errln!("ldb: key not found: {}", encode(&key, args.hex));
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `ldb del`.
pub fn del_cmd(args: DelArgs) -> Result<()> {
    let key = decode_key(&args.key, args.hex, "key")?;
    let (existed, warning) = del(&args.db.db, options(&args.db), &key)?;
    warn(warning);
    if !existed {
        errln!("ldb: key was not present: {}", encode(&key, args.hex));
    }
    Ok(())
}

/// Runs `ldb load`.
pub fn load_cmd(args: LoadArgs) -> Result<()> {
    let start = std::time::Instant::now();
    let warning = load(
        &args.db.db,
        options(&args.db),
        args.keys,
        args.seed,
        args.batch,
        args.table_rows,
    )?;
    warn(warning);
    let secs = start.elapsed().as_secs_f64();
    outln!(
        "loaded {} keys (seed {}) in {secs:.2} s ({:.0} inserts/s)",
        args.keys,
        args.seed,
        args.keys as f64 / secs.max(1e-9)
    )?;
    if args.table_rows > 0 {
        outln!(
            "loaded tables customers and orders with {} rows each",
            args.table_rows
        )?;
    }
    Ok(())
}

/// Runs `ldb scan`: `key<TAB>value` lines, buffered; stops early when standard output closes.
pub fn scan_cmd(args: ScanArgs) -> Result<()> {
    let hex = args.hex;
    let from = bound(&args.from, hex, "--from", true)?;
    let to = bound(&args.to, hex, "--to", false)?;
    let mut out = crate::out::Buffered::new();
    let mut print =
        |iter: &mut dyn Iterator<Item = lightning_db::Result<(Vec<u8>, Vec<u8>)>>| -> Result<()> {
            for entry in iter.take(args.limit.unwrap_or(usize::MAX)) {
                if crate::out::is_closed() {
                    break;
                }
                let (k, v) = entry.context("while scanning")?;
                writeln!(out, "{}\t{}", encode(&k, hex), encode(&v, hex))?;
            }
            Ok(())
        };
    if args.read_only {
        let view = open_read_only(&args.db)?;
        note_pending(&view, false);
        let mut iter = view
            .range(as_ref(&from), as_ref(&to), args.reverse)
            .context("while starting the scan")?;
        print(&mut iter)?;
    } else {
        let handle = open(&args.db)?;
        let mut iter = handle
            .range(as_ref(&from), as_ref(&to), args.reverse)
            .context("while starting the scan")?;
        print(&mut iter)?;
    }
    out.finish()?;
    Ok(())
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

/// `ldb load`: the seeded workload in commits of `batch` keys, then (when `table_rows` > 0)
/// the seeded demo tables; returns the close warning.
pub(crate) fn load(
    path: &Path,
    opts: Options,
    keys: u64,
    seed: u64,
    batch: u64,
    table_rows: u64,
) -> Result<Option<String>> {
    let handle = open_with(path, opts)?;
    let before = handle.snapshot().lsn;
    if table_rows == 0 {
        lightning_db::harness::workload::load(&handle, seed, 0, keys, batch)
            .context("while loading the workload")?;
    } else {
        // Beside tables, the raw keys stay out of the schema's reserved prefix.
        let reserved = lightning_db::schema::keys::RESERVED_PREFIX;
        let skipped =
            lightning_db::harness::workload::load_where(&handle, seed, 0, keys, batch, |k| {
                !k.starts_with(&reserved)
            })
            .context("while loading the workload")?;
        if skipped > 0 {
            errln!("ldb: skipped {skipped} workload keys inside the reserved schema prefix FF 53");
        }
        lightning_db::harness::workload::tables::load(&handle, table_rows, seed)
            .context("while loading the demo tables")?;
    }
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
