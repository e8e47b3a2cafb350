//! The fuzzing corpus: real encodings, made by the engine itself in a scratch directory — the
//! pages and log of a database written with the crash drill's workload, the KV entries of a
//! row table and a columnar table made through SQL, a backup's manifest, columnar chunks of
//! every encoding family, key tuples and SQL text.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;

use crate::columnar::encoding::{EncodeOptions, encode};
use crate::columnar::vector::ColumnVector;
use crate::db::{DATA_FILE, Database, Options, WAL_DIR};
use crate::harness::crashdrill;
use crate::harness::error::{Context, HarnessError, HarnessResult};
use crate::harness::fuzz::Target;
use crate::schema::keys;
use crate::schema::sql::SqlDatabase;
use crate::schema::{ColumnType, TableDef, Value};
use crate::types::Lsn;
use crate::wal::format::{FrameError, read_frame};

/// Inputs per target, and what the targets need to interpret them.
#[derive(Debug, Default)]
pub struct Corpus {
    inputs: BTreeMap<&'static str, Vec<Vec<u8>>>,
    /// The row table the `row` target decodes rows of.
    pub row_table: Option<TableDef>,
    /// The page size of the `page` target's pages.
    pub page_size: usize,
}

impl Corpus {
    /// The inputs for `target` (empty if the corpus has none).
    pub fn inputs(&self, target: Target) -> &[Vec<u8>] {
        self.inputs.get(target.name()).map_or(&[], Vec::as_slice)
    }

    fn add(&mut self, target: Target, input: Vec<u8>) {
        self.inputs.entry(target.name()).or_default().push(input);
    }

    /// Builds the corpus in `dir` (which it leaves holding the databases it made).
    pub fn build(dir: &Path) -> HarnessResult<Corpus> {
        let mut c = Corpus {
            page_size: 4096,
            ..Corpus::default()
        };
        c.storage_and_log(dir)
            .context("while building the storage corpus")?;
        c.tables(dir).map_err(|e| {
            HarnessError::Unexpected(format!("while building the table corpus: {e}"))
        })?;
        c.chunks();
        c.sql();
        Ok(c)
    }

    fn storage_and_log(&mut self, dir: &Path) -> HarnessResult<()> {
        let path = dir.join("kv");
        let opts = Options {
            wal_segment_size: 64 << 10,
            checkpoint_wal_bytes: 96 << 10,
            ..Options::default()
        };
        let db = Database::create(&path, opts)?;
        for i in 0..60 {
            db.commit(crashdrill::txn_batch(i))?;
        }
        // The log as it stands, before closing recycles it.
        for entry in std::fs::read_dir(path.join(WAL_DIR))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            self.add(Target::WalSegmentName, name.into_bytes());
            let bytes = std::fs::read(entry.path())?;
            if let Some(h) = bytes.get(..64) {
                self.add(Target::WalHeader, h.to_vec());
            }
            let first = bytes
                .get(16..24)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map_or(0, u64::from_le_bytes);
            let mut at = 64usize;
            while let Some(rest) = bytes.get(at..) {
                match read_frame(rest, Lsn(first + (at as u64 - 64))) {
                    Ok(frame) => {
                        let mut input = (first + (at as u64 - 64)).to_le_bytes().to_vec();
                        input.extend_from_slice(rest.get(..frame.len).unwrap_or_default());
                        self.add(Target::WalFrame, input);
                        self.add(Target::WalPayload, frame.payload.to_vec());
                        at += frame.len;
                    }
                    Err(FrameError::End | FrameError::Partial | FrameError::Invalid(_)) => break,
                }
                if self.inputs(Target::WalFrame).len() > 200 {
                    break;
                }
            }
        }
        db.backup(dir.join("backup"))?;
        self.add(
            Target::BackupManifest,
            std::fs::read(dir.join("backup").join("manifest.json"))?,
        );
        db.close()?;
        let data = std::fs::read(path.join(DATA_FILE))?;
        for (i, page) in data.chunks(self.page_size).enumerate() {
            if i == 0 {
                self.add(Target::Page0, page.to_vec());
            } else if i < 400 {
                let mut input = (i as u64).to_le_bytes().to_vec();
                input.extend_from_slice(page);
                self.add(Target::Page, input);
            }
        }
        Ok(())
    }

    fn tables(&mut self, dir: &Path) -> crate::schema::Result<()> {
        let db = SqlDatabase::create(dir.join("sql"), Options::default())?;
        let mut s = db.session();
        s.execute_script(
            "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT NOT NULL, amount DOUBLE, ok BOOLEAN, at TIMESTAMP, raw BYTES DEFAULT NULL);
             CREATE UNIQUE INDEX t_name ON t (name);
             CREATE INDEX t_amount_ok ON t (amount, ok);
             CREATE TABLE f (id BIGINT PRIMARY KEY, region TEXT, qty BIGINT, price DOUBLE) WITH (storage = 'columnar');
             CREATE TABLE p (id BIGINT PRIMARY KEY, at TIMESTAMP, n BIGINT) WITH (storage = 'columnar', partition_interval = 'month') PARTITION BY RANGE (at);
             INSERT INTO p VALUES (1, '2024-01-05', 10), (2, '2024-02-01', 20), (3, '2024-03-09', 30);
             ANALYZE f;",
        )?;
        for i in 0..40i64 {
            db.execute(
                &format!(
                    "INSERT INTO t (id, name, amount, ok, at) VALUES ({i}, 'n{i}', {}.5, {}, '2026-12-0{}T10:00:00Z')",
                    i * 3,
                    i % 2 == 0,
                    1 + i % 9
                ),
                &[],
            )?;
        }
        let rows: Vec<String> = (0..300)
            .map(|i| {
                format!(
                    "({i}, '{}', {}, {}.25)",
                    ["eu", "us", "asia"][i % 3],
                    i % 7,
                    i
                )
            })
            .collect();
        db.execute(&format!("INSERT INTO f VALUES {}", rows.join(", ")), &[])?;
        self.row_table = Some(db.catalog()?.table("t")?.clone());
        let raw = db.database();
        for item in raw.range(Bound::Included(&[0xFF, 0x53][..]), Bound::Unbounded, false)? {
            let (key, value) = item?;
            let target = match key.get(2) {
                Some(&keys::CATALOG_SPACE) => Target::Catalog,
                Some(&keys::ROW_SPACE) => Target::Row,
                Some(&keys::INDEX_SPACE) => Target::KeyTuple,
                Some(&keys::COLUMNAR_SPACE) => Target::SegmentEntry,
                _ => continue,
            };
            let input = match target {
                // The catalog target needs the key to tell the meta entry from a table's:
                // its length (one byte), the key, the value.
                Target::Catalog => {
                    [&[key.len() as u8][..], key.as_slice(), value.as_slice()].concat()
                }
                Target::KeyTuple => key.get(11..).unwrap_or_default().to_vec(),
                Target::SegmentEntry => {
                    [key.get(7..8).unwrap_or_default(), value.as_slice()].concat()
                }
                _ => value,
            };
            self.add(target, input);
        }
        Ok(())
    }

    fn chunks(&mut self) {
        let n = 3000usize;
        let texts: Vec<Value> = (0..n)
            .map(|i| match i % 11 {
                0 => Value::Null,
                k if i % 3 == 0 => Value::Text(format!("value-{}", i * 7919 % 1000 + k)),
                k => Value::Text(["eu", "us", "asia"][k % 3].into()),
            })
            .collect();
        let columns: Vec<(ColumnType, Vec<Value>)> = vec![
            (ColumnType::Int, (0..n as i64).map(Value::Int).collect()),
            (
                ColumnType::Int,
                (0..n as i64).map(|i| Value::Int(i / 100)).collect(),
            ),
            (
                ColumnType::Int,
                (0..n as i64)
                    .map(|i| Value::Int(i * 7919 % 1_000_003 - 500_000))
                    .collect(),
            ),
            (
                ColumnType::Int,
                (0..n as i64)
                    .map(|i| {
                        if i % 5 == 0 {
                            Value::Null
                        } else {
                            Value::Int(i % 9)
                        }
                    })
                    .collect(),
            ),
            (
                ColumnType::Double,
                (0..n).map(|i| Value::Double(i as f64 * 0.01)).collect(),
            ),
            (
                ColumnType::Double,
                (0..n).map(|i| Value::Double((i as f64).sqrt())).collect(),
            ),
            (
                ColumnType::Bool,
                (0..n).map(|i| Value::Bool(i % 3 == 0)).collect(),
            ),
            (ColumnType::Text, texts),
            (
                ColumnType::Timestamp,
                (0..n as i64)
                    .map(|i| Value::Timestamp(1_700_000_000_000_000 + i * 1_000_000))
                    .collect(),
            ),
        ];
        for (ty, values) in columns {
            let Ok(col) = ColumnVector::from_values(ty, &values) else {
                continue;
            };
            for rows in [values.len(), 64, 1] {
                let cut: Vec<Value> = values.iter().take(rows).cloned().collect();
                let Ok(col) = ColumnVector::from_values(ty, &cut) else {
                    continue;
                };
                let chunk = encode(&col, &EncodeOptions::default());
                let mut input = vec![col.values.physical_type().tag()];
                input.extend_from_slice(&(rows as u32).to_le_bytes());
                input.extend_from_slice(&chunk.bytes);
                self.add(Target::Chunk, input);
            }
            let _ = col;
        }
        let mut t = Vec::new();
        keys::encode_tuple(
            &mut t,
            &[
                Value::Text("abc".into()),
                Value::Int(-5),
                Value::Double(2.5),
                Value::Bool(true),
                Value::Bytes(vec![0, 0xFF, 0]),
            ],
        );
        self.add(Target::KeyTuple, t);
    }

    fn sql(&mut self) {
        for s in [
            "SELECT id, name FROM t WHERE id = 1 AND (amount > 2.5 OR name LIKE 'n%') ORDER BY id DESC LIMIT 3",
            "INSERT INTO t (id, name) VALUES (1, 'a'), (2, 'b'); UPDATE t SET amount = amount * 2 WHERE id IN (1, 2)",
            "CREATE TABLE x (a BIGINT PRIMARY KEY, b TEXT NOT NULL DEFAULT 'z', c TIMESTAMP); CREATE INDEX xb ON x (b, a)",
            "SELECT region, COUNT(*), SUM(qty), AVG(price) FROM f WHERE qty BETWEEN 1 AND 5 GROUP BY region HAVING COUNT(*) > 1",
            "EXPLAIN ANALYZE SELECT MIN(price), MAX(price) FROM f WHERE region = 'eu'",
            "BEGIN; DELETE FROM t WHERE name IS NULL OR NOT (id >= $1); COMMIT",
        ] {
            self.add(Target::Sql, s.as_bytes().to_vec());
        }
    }
}
