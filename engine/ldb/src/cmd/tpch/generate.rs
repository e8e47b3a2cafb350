//! `ldb tpch generate --scale SF --out DIR [--table T ...]`: TPC-H tables as CSV files.
//!
//! Rows come from the `tpchgen` crate's generators (deterministic: the same scale factor
//! gives the same bytes) and are written as they are generated, never held in memory, to
//! `DIR/<table>.csv`: a header of the column names in `engine/ldb/tpch/schema.sql`, fields
//! separated by `,` and quoted only where RFC 4180 needs it (the engine's CSV writer), dates as
//! `YYYY-MM-DD`, decimals with two digits after the point. Prints one line per table (rows,
//! seconds, file), or with `--json` one object per table per line.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use clap::{Args, ValueEnum};
use lightning_db::schema::import::write::write_text;
use serde_json::json;
use tpchgen::generators::{LineItemGenerator, OrderGenerator};

/// A TPC-H table this command writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Table {
    /// LINEITEM: about 6 million rows per unit of scale.
    Lineitem,
    /// ORDERS: 1.5 million rows per unit of scale.
    Orders,
}

impl Table {
    /// The table's name (and its file's, without `.csv`).
    pub fn name(self) -> &'static str {
        match self {
            Table::Lineitem => "lineitem",
            Table::Orders => "orders",
        }
    }

    /// The header line's column names, in `schema.sql` order.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Table::Lineitem => &[
                "l_orderkey",
                "l_partkey",
                "l_suppkey",
                "l_linenumber",
                "l_quantity",
                "l_extendedprice",
                "l_discount",
                "l_tax",
                "l_returnflag",
                "l_linestatus",
                "l_shipdate",
                "l_commitdate",
                "l_receiptdate",
                "l_shipinstruct",
                "l_shipmode",
                "l_comment",
            ],
            Table::Orders => &[
                "o_orderkey",
                "o_custkey",
                "o_orderstatus",
                "o_totalprice",
                "o_orderdate",
                "o_orderpriority",
                "o_clerk",
                "o_shippriority",
                "o_comment",
            ],
        }
    }
}

/// Arguments of `ldb tpch generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// TPC-H scale factor (1 is about 1 GB of data; 0.01 a quick test).
    #[arg(long, default_value_t = 0.1)]
    scale: f64,
    /// The directory to write `<table>.csv` into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The tables to write (repeatable) [default: lineitem and orders].
    #[arg(long, value_enum)]
    table: Vec<Table>,
    /// One JSON object per table per line instead of text.
    #[arg(long)]
    json: bool,
}

/// What writing one table did.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The table.
    pub table: Table,
    /// Rows written.
    pub rows: u64,
    /// Seconds (generation and writing together).
    pub seconds: f64,
    /// The file written.
    pub path: PathBuf,
}

/// Runs `ldb tpch generate`.
pub fn generate_cmd(args: GenerateArgs) -> Result<()> {
    let tables = if args.table.is_empty() {
        vec![Table::Lineitem, Table::Orders]
    } else {
        args.table.clone()
    };
    for table in tables {
        let g = generate(table, args.scale, &args.out)?;
        if args.json {
            outln!(
                "{}",
                json!({
                    "table": g.table.name(),
                    "scale": args.scale,
                    "rows": g.rows,
                    "seconds": g.seconds,
                    "path": g.path.display().to_string(),
                })
            )?;
        } else {
            outln!(
                "{}: {} rows in {:.2} s ({})",
                g.table.name(),
                g.rows,
                g.seconds,
                g.path.display()
            )?;
        }
    }
    Ok(())
}

/// Writes `table` at scale factor `scale` to `dir/<table>.csv`.
pub fn generate(table: Table, scale: f64, dir: &Path) -> Result<Generated> {
    ensure!(
        scale.is_finite() && scale > 0.0 && scale <= 1_000.0,
        "--scale must be a number above 0 and at most 1000, got {scale}"
    );
    std::fs::create_dir_all(dir).with_context(|| format!("while creating {}", dir.display()))?;
    let path = dir.join(format!("{}.csv", table.name()));
    let started = Instant::now();
    let file = File::create(&path).with_context(|| format!("while creating {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let rows = write_table(table, scale, &mut out)
        .and_then(|rows| out.flush().map(|()| rows))
        .with_context(|| format!("while writing {}", path.display()))?;
    Ok(Generated {
        table,
        rows,
        seconds: started.elapsed().as_secs_f64(),
        path,
    })
}

/// Writes the header and every row of `table`; returns the row count.
fn write_table<W: Write>(table: Table, scale: f64, out: &mut W) -> std::io::Result<u64> {
    writeln!(out, "{}", table.columns().join(","))?;
    let mut rows = 0u64;
    match table {
        Table::Lineitem => {
            for l in LineItemGenerator::new(scale, 1, 1).iter() {
                write!(
                    out,
                    "{},{},{},{},{},{},{},{},",
                    l.l_orderkey,
                    l.l_partkey,
                    l.l_suppkey,
                    l.l_linenumber,
                    l.l_quantity,
                    l.l_extendedprice,
                    l.l_discount,
                    l.l_tax
                )?;
                write_text(out, l.l_returnflag)?;
                out.write_all(b",")?;
                write_text(out, l.l_linestatus)?;
                write!(
                    out,
                    ",{},{},{},",
                    l.l_shipdate, l.l_commitdate, l.l_receiptdate
                )?;
                write_text(out, l.l_shipinstruct)?;
                out.write_all(b",")?;
                write_text(out, l.l_shipmode)?;
                out.write_all(b",")?;
                write_text(out, l.l_comment)?;
                out.write_all(b"\n")?;
                rows += 1;
            }
        }
        Table::Orders => {
            for o in OrderGenerator::new(scale, 1, 1).iter() {
                write!(
                    out,
                    "{},{},{},{},{},",
                    o.o_orderkey, o.o_custkey, o.o_orderstatus, o.o_totalprice, o.o_orderdate
                )?;
                write_text(out, o.o_orderpriority)?;
                write!(out, ",{},{},", o.o_clerk, o.o_shippriority)?;
                write_text(out, o.o_comment)?;
                out.write_all(b"\n")?;
                rows += 1;
            }
        }
    }
    Ok(rows)
}
