//! Lightning's side of `ldb bench tpch`: the TPC-H tables created from `schema.sql` (columnar),
//! the CSV files imported, the data file's size after a checkpoint, each column's stored and
//! plain bytes, its column statistics verified, the queries run; and the comparison of Lightning's answers with DuckDB's,
//! value for value.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use lightning_db::Options;
use lightning_db::columnar::sizes::{ColumnSize, column_sizes};
use lightning_db::columnar::table_stats::verify::verify;
use lightning_db::schema::import::import_csv;
use lightning_db::schema::sql::SqlDatabase;
use lightning_db::schema::{Catalog, Value};
use serde_json::Value as Json;

/// Lightning with the TPC-H tables loaded.
pub struct Lightning {
    /// The database.
    pub db: SqlDatabase,
    /// Seconds of creating the tables and importing the files.
    pub load_seconds: f64,
}

/// Creates a database in `dir`, runs `schema` and imports `data/<table>.csv` for each table.
pub fn load(dir: &Path, schema: &Path, data: &Path, tables: &[&str]) -> Result<Lightning> {
    let started = Instant::now();
    let db = SqlDatabase::create(dir, Options::default())
        .with_context(|| format!("while creating {}", dir.display()))?;
    let script = std::fs::read_to_string(schema)
        .with_context(|| format!("while reading {}", schema.display()))?;
    db.session()
        .execute_script(&script)
        .with_context(|| format!("while running {}", schema.display()))?;
    for t in tables {
        let file = data.join(format!("{t}.csv"));
        import_csv(db.database(), t, &file, 65_536)
            .with_context(|| format!("while importing {}", file.display()))?;
    }
    db.database().checkpoint().context("while checkpointing")?;
    Ok(Lightning {
        db,
        load_seconds: started.elapsed().as_secs_f64(),
    })
}

impl Lightning {
    /// The data file's size (after the load's checkpoint the log holds nothing it needs).
    pub fn data_bytes(&self) -> Result<u64> {
        Ok(self.db.database().stats()?.storage.file_bytes)
    }

    /// Each column of `table`: stored and plain bytes, encodings.
    pub fn sizes(&self, table: &str) -> Result<Vec<ColumnSize>> {
        let mut txn = self.db.database().begin_read_only()?;
        let def = Catalog::load(&mut txn)?.table(table)?.clone();
        Ok(column_sizes(&mut txn, &def)?)
    }

    /// Columns of `tables` whose stored statistics fail verification against the segments
    /// (`columnar::table_stats::verify`); each failure is printed on standard error.
    pub fn stats_failures(&self, tables: &[&str]) -> Result<u64> {
        let mut txn = self.db.database().begin_read_only()?;
        let catalog = Catalog::load(&mut txn)?;
        let mut failures = 0;
        for t in tables {
            let def = catalog.table(t)?;
            for v in verify(&mut txn, def)? {
                if !v.passes() {
                    errln!("{t}.{}: statistics: {}", v.column, v.problems.join("; "));
                    failures += 1;
                }
            }
        }
        Ok(failures)
    }

    /// Runs `sql`: its seconds and rows.
    pub fn query(&self, sql: &str) -> Result<(f64, Vec<Vec<Value>>)> {
        let started = Instant::now();
        let rows = self.db.query(sql, &[])?;
        Ok((started.elapsed().as_secs_f64(), rows.rows))
    }
}

/// Whether Lightning's `ours` equals DuckDB's `theirs`: numbers within a relative 1e-9 (sums of
/// doubles added in another order), text equal, NULL as null. Returns the first difference.
pub fn compare(ours: &[Vec<Value>], theirs: &[Vec<Json>]) -> Option<String> {
    if ours.len() != theirs.len() {
        return Some(format!(
            "{} rows against DuckDB's {}",
            ours.len(),
            theirs.len()
        ));
    }
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        if a.len() != b.len() {
            return Some(format!("row {i}: {} columns against {}", a.len(), b.len()));
        }
        for (j, (x, y)) in a.iter().zip(b).enumerate() {
            let same = match (x, y) {
                (Value::Null, Json::Null) => true,
                (Value::Int(p), Json::Number(q)) => {
                    q.as_i64() == Some(*p) || q.as_f64() == Some(*p as f64)
                }
                (Value::Double(p), Json::Number(q)) => q
                    .as_f64()
                    .is_some_and(|q| (p - q).abs() <= 1e-9 * p.abs().max(q.abs()).max(1.0)),
                (Value::Text(p), Json::String(q)) => p == q,
                (Value::Bool(p), Json::Bool(q)) => p == q,
                _ => false,
            };
            if !same {
                return Some(format!("row {i} column {j}: {x} against DuckDB's {y}"));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loaded_tables_statistics_verify_and_a_wrong_entry_is_counted() {
        use crate::cmd::tpch::generate::{Table, generate};
        use lightning_db::columnar::table_stats;
        use lightning_db::schema::keys::{ColumnarKey, columnar_key};
        let data = tempfile::tempdir().expect("temp dir");
        for table in [Table::Lineitem, Table::Orders] {
            generate(table, 0.002, data.path()).expect("generates");
        }
        let root = super::super::duckdb::workspace_root().expect("inside the repository");
        let schema = root.join("engine/ldb/tpch/schema.sql");
        let dir = tempfile::tempdir().expect("temp dir");
        let ours = load(
            &dir.path().join("db"),
            &schema,
            data.path(),
            &["lineitem", "orders"],
        )
        .expect("loads");
        assert_eq!(
            ours.stats_failures(&["lineitem", "orders"])
                .expect("verifies"),
            0
        );
        // One column's stored row count off by one.
        let raw = ours.db.database();
        let mut txn = raw.begin_read_only().expect("read");
        let def = Catalog::load(&mut txn)
            .expect("catalog")
            .table("orders")
            .expect("orders")
            .clone();
        let col = def.columns[1].clone();
        let mut stored = table_stats::load(&mut txn, &def, &col)
            .expect("decodes")
            .expect("stored");
        drop(txn);
        stored.stats.rows += 1;
        let key = columnar_key(def.id, ColumnarKey::Stats(col.id));
        raw.put(&key, &stored.encode()).expect("put");
        assert_eq!(
            ours.stats_failures(&["lineitem", "orders"])
                .expect("verifies"),
            1
        );
    }

    #[test]
    fn answers_compare_value_for_value_with_a_tolerance_for_double_sums() {
        let ours = vec![vec![
            Value::Text("A".into()),
            Value::Int(3),
            Value::Double(0.1 + 0.2),
        ]];
        let same = vec![vec![Json::from("A"), Json::from(3), Json::from(0.3)]];
        assert_eq!(compare(&ours, &same), None);
        let off = vec![vec![Json::from("A"), Json::from(3), Json::from(0.31)]];
        assert!(compare(&ours, &off).is_some_and(|d| d.contains("column 2")));
        let short: Vec<Vec<Json>> = Vec::new();
        assert!(compare(&ours, &short).is_some_and(|d| d.contains("1 rows")));
        let text = vec![vec![Json::from("B"), Json::from(3), Json::from(0.3)]];
        assert!(compare(&ours, &text).is_some());
    }
}
