//! `ldb txn`: run a list of operations as one transaction, at a chosen isolation level.
//!
//! Operations are words: `get:KEY`, `getx:KEY` (a get for update: exclusive lock first),
//! `put:KEY=VALUE`, `del:KEY`, `scan:FROM..TO` (either side may be empty; `FROM` inclusive, `TO`
//! exclusive). With `--hex`, keys and values are hexadecimal.
//! Reads print `KEY<TAB>VALUE` lines (an absent key prints `KEY<TAB>(absent)`); at the end the
//! transaction commits (or rolls back with `--rollback`) and a summary line goes to standard
//! error. Any failing operation rolls the whole transaction back: nothing is written. Once the
//! commit is durable, a failure to close the database is a warning, not a failure (see
//! [`crate::open::close_after`]).

use std::ops::Bound;

use anyhow::{Context, Result, bail};
use clap::Args;
use lightning_db::IsolationLevel;

use crate::args::DbArgs;
use crate::open::{Durable, close_after, open_with, options, warn};
use crate::text::{decode, decode_key, encode};

/// Arguments of `ldb txn`.
#[derive(Args, Debug)]
pub struct TxnArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Isolation level: `repeatable-read` (snapshot isolation) or `serializable`.
    #[arg(long, default_value = "serializable")]
    isolation: IsolationLevel,
    /// Begin a read-only snapshot transaction (no locks; writes are refused).
    #[arg(long, conflicts_with = "isolation")]
    read_only: bool,
    /// Roll back at the end instead of committing (a dry run of the writes).
    #[arg(long)]
    rollback: bool,
    /// Keys and values as hexadecimal.
    #[arg(long)]
    hex: bool,
    /// The operations, in order: `get:KEY`, `getx:KEY` (get for update), `put:KEY=VALUE`,
    /// `del:KEY`, `scan:FROM..TO`.
    #[arg(required = true, value_name = "OP")]
    ops: Vec<String>,
}

/// One parsed operation.
enum TxnOp {
    Get(Vec<u8>),
    GetForUpdate(Vec<u8>),
    Put(Vec<u8>, Vec<u8>),
    Del(Vec<u8>),
    Scan(Option<Vec<u8>>, Option<Vec<u8>>),
}

fn parse(word: &str, hex: bool, n: usize) -> Result<TxnOp> {
    let what = |part: &str| format!("operation {n} ({word:?}): {part}");
    let Some((verb, arg)) = word.split_once(':') else {
        bail!(
            "operation {n} ({word:?}): expected get:KEY, getx:KEY, put:KEY=VALUE, del:KEY or \
             scan:FROM..TO"
        );
    };
    Ok(match verb {
        "get" => TxnOp::Get(decode_key(arg, hex, &what("key"))?),
        "getx" => TxnOp::GetForUpdate(decode_key(arg, hex, &what("key"))?),
        "del" => TxnOp::Del(decode_key(arg, hex, &what("key"))?),
        "put" => {
            let Some((k, v)) = arg.split_once('=') else {
                bail!("operation {n} ({word:?}): expected put:KEY=VALUE");
            };
            TxnOp::Put(
                decode_key(k, hex, &what("key"))?,
                decode(v, hex, &what("value"))?,
            )
        }
        "scan" => {
            let Some((from, to)) = arg.split_once("..") else {
                bail!(
                    "operation {n} ({word:?}): expected scan:FROM..TO (either side may be empty)"
                );
            };
            let side = |s: &str, part: &str| -> Result<Option<Vec<u8>>> {
                if s.is_empty() {
                    Ok(None)
                } else {
                    decode(s, hex, &what(part)).map(Some)
                }
            };
            TxnOp::Scan(side(from, "from")?, side(to, "to")?)
        }
        other => bail!(
            "operation {n} ({word:?}): unknown verb {other:?}; expected get, getx, put, del or scan"
        ),
    })
}

/// Runs `ldb txn`.
pub fn txn_cmd(args: TxnArgs) -> Result<()> {
    let opts = options(&args.db);
    warn(txn(&args, opts)?);
    Ok(())
}

/// `ldb txn` on a database opened with `opts`; returns the warning of a close that failed after
/// the commit was durable.
pub(crate) fn txn(args: &TxnArgs, opts: lightning_db::Options) -> Result<Option<String>> {
    // Parse everything before touching the database: a typo writes nothing.
    let ops = args
        .ops
        .iter()
        .enumerate()
        .map(|(i, w)| parse(w, args.hex, i + 1))
        .collect::<Result<Vec<_>>>()?;
    let handle = open_with(&args.db.db, opts)?;
    let durable = {
        let mut txn = if args.read_only {
            handle.begin_read_only()?
        } else {
            handle.begin(args.isolation)?
        };
        for (i, op) in ops.iter().enumerate() {
            let ctx = || {
                format!(
                    "operation {} ({}) failed; the transaction rolled back",
                    i + 1,
                    args.ops[i]
                )
            };
            match op {
                TxnOp::Get(key) | TxnOp::GetForUpdate(key) => {
                    let value = match op {
                        TxnOp::GetForUpdate(_) => txn.get_for_update(key),
                        _ => txn.get(key),
                    }
                    .with_context(ctx)?;
                    let shown =
                        value.map_or_else(|| "(absent)".to_string(), |v| encode(&v, args.hex));
                    outln!("{}\t{shown}", encode(key, args.hex))?;
                }
                TxnOp::Put(key, value) => txn.put(key, value).with_context(ctx)?,
                TxnOp::Del(key) => txn.delete(key).with_context(ctx)?,
                TxnOp::Scan(from, to) => {
                    let from = from.as_deref().map_or(Bound::Unbounded, Bound::Included);
                    let to = to.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
                    for row in txn.range(from, to, false).with_context(ctx)? {
                        if crate::out::is_closed() {
                            break;
                        }
                        let (k, v) = row.with_context(ctx)?;
                        outln!("{}\t{}", encode(&k, args.hex), encode(&v, args.hex))?;
                    }
                }
            }
        }
        let (id, level) = (txn.id(), txn.isolation());
        if args.rollback {
            txn.rollback();
            errln!("rolled back {id} ({level})");
            Durable::Nothing
        } else {
            let writes = txn.write_count() > 0;
            let info = txn.commit().context("while committing")?;
            errln!("committed {id} ({level}) at {}", info.lsn);
            if writes {
                Durable::Commit(info.lsn)
            } else {
                Durable::Nothing
            }
        }
    };
    close_after(handle, durable)
}
