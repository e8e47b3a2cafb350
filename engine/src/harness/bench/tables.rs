//! The table-layer measurements behind `ldb bench tables`: load a seeded table of `rows` rows
//! (`bench(id BIGINT PRIMARY KEY, a BIGINT NOT NULL, b TEXT NOT NULL)`, no secondary index yet)
//! into a fresh database; time `CREATE INDEX bench_a ON bench (a)` on the populated table
//! `repeat` times (dropping it between builds), then build the unique `bench_b (b)` (timed
//! once), and time the table integrity check of the table with its two indexes `repeat`
//! times. Every check must be clean.

use std::path::Path;
use std::time::Instant;

use crate::db::{Database, Options};
use crate::harness::error::{HarnessError, HarnessResult, ensure};
use crate::harness::workload::tables::{insert_rows, table_def};
use crate::schema::ddl::{self, ColumnSpec, IndexSpec, TableSpec};
use crate::schema::{ColumnType, SchemaError, Value};
use crate::txn::IsolationLevel;
use crate::util::rng::SplitMix64 as Rng;

/// The figures of one run.
#[derive(Clone, Debug)]
pub struct TablesBench {
    /// Rows in the table.
    pub rows: u64,
    /// Seconds to load them (1,000 rows per commit, primary key only).
    pub load_secs: f64,
    /// Seconds of each build of the non-unique index, in order.
    pub create_index_secs: Vec<f64>,
    /// Seconds of the build of the unique index.
    pub create_unique_index_secs: f64,
    /// Seconds of each integrity check of the table and its two indexes, in order.
    pub check_secs: Vec<f64>,
    /// Index entries the last check read.
    pub index_entries: u64,
}

fn schema(e: SchemaError) -> HarnessError {
    match e {
        SchemaError::Engine(e) => HarnessError::Db(e),
        other => HarnessError::Unexpected(other.to_string()),
    }
}

fn create_index(db: &Database, name: &str, column: &str, unique: bool) -> HarnessResult<f64> {
    let t = Instant::now();
    let mut txn = db.begin(IsolationLevel::Serializable)?;
    ddl::create_index(
        &mut txn,
        &IndexSpec {
            name: name.into(),
            table: "bench".into(),
            columns: vec![column.into()],
            unique,
        },
    )
    .map_err(schema)?;
    txn.commit()?;
    Ok(t.elapsed().as_secs_f64().max(1e-9))
}

/// Runs the measurements over `rows` rows of `seed` in `dir`.
pub fn run(rows: u64, seed: u64, repeat: usize, dir: &Path) -> HarnessResult<TablesBench> {
    let db = Database::create(dir.join("db"), Options::default())?;
    let column = |name: &str, ty| ColumnSpec {
        name: name.into(),
        ty,
        not_null: true,
        default: None,
    };
    let mut txn = db.begin(IsolationLevel::Serializable)?;
    ddl::create_table(
        &mut txn,
        &TableSpec {
            name: "bench".into(),
            columns: vec![
                column("id", ColumnType::Int),
                column("a", ColumnType::Int),
                column("b", ColumnType::Text),
            ],
            primary_key: vec!["id".into()],
            storage: Default::default(),
        },
    )
    .map_err(schema)?;
    txn.commit()?;
    let def = table_def(&db, "bench").map_err(schema)?;
    let t = Instant::now();
    insert_rows(&db, &def, rows, |i| {
        let mut rng = Rng::new(seed ^ i.wrapping_mul(0xA24B_AED4_963E_E407));
        vec![
            Value::Int(i64::try_from(i).unwrap_or(i64::MAX)),
            Value::Int((rng.next_u64() % 100_000) as i64),
            Value::Text(format!("{:016x}-{i}", rng.next_u64())),
        ]
    })
    .map_err(schema)?;
    let load_secs = t.elapsed().as_secs_f64();
    let mut create_index_secs = Vec::with_capacity(repeat);
    for r in 0..repeat.max(1) {
        if r > 0 {
            let mut txn = db.begin(IsolationLevel::Serializable)?;
            ddl::drop_index(&mut txn, "bench_a").map_err(schema)?;
            txn.commit()?;
        }
        create_index_secs.push(create_index(&db, "bench_a", "a", false)?);
    }
    let create_unique_index_secs = create_index(&db, "bench_b", "b", true)?;
    let mut check_secs = Vec::with_capacity(repeat);
    let mut index_entries = 0;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let report = crate::integrity::check_tables(&db)?;
        check_secs.push(t.elapsed().as_secs_f64().max(1e-9));
        ensure(report.total() == 0, || {
            format!("the table check found {} problems", report.total())
        })?;
        ensure(
            report.rows == rows && report.index_entries == 2 * rows,
            || {
                format!(
                    "the table check read {} rows and {} index entries, expected {rows} and {}",
                    report.rows,
                    report.index_entries,
                    2 * rows
                )
            },
        )?;
        index_entries = report.index_entries;
    }
    Ok(TablesBench {
        rows,
        load_secs,
        create_index_secs,
        create_unique_index_secs,
        check_secs,
        index_entries,
    })
}
