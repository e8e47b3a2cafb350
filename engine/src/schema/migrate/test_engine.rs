//! A small key-value script engine standing in for SQL in the migrator's tests (one operation
//! per line), so the chain, the planning and the transaction boundaries are tested apart from
//! the SQL layer; and the test fixtures' migration files.

use std::ops::Bound;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::*;
use crate::db::Transaction;
use crate::schema::{SchemaError, TableDef};

/// Script lines: `table NAME`, `drop NAME`, `put KEY VALUE`, `del KEY`, `fail`; `--` comments.
pub(super) struct KvEngine;

pub(super) const CATALOG: [u8; 3] = [0xFF, 0x53, 0x00];
pub(super) const ROWS: [u8; 3] = [0xFF, 0x53, 0x01];

/// A stored key and its value.
type KeyValue = (Vec<u8>, Vec<u8>);

fn key(prefix: [u8; 3], name: &str) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend_from_slice(name.as_bytes());
    k
}

pub(super) fn scan(
    txn: &mut Transaction<'_>,
    prefix: [u8; 3],
) -> Result<Vec<KeyValue>, SchemaError> {
    let mut hi = prefix.to_vec();
    hi[2] += 1;
    let mut out = Vec::new();
    for item in txn.range(
        Bound::Included(&prefix[..]),
        Bound::Excluded(&hi[..]),
        false,
    )? {
        out.push(item?);
    }
    Ok(out)
}

impl Engine for KvEngine {
    fn run_script(&self, txn: &mut Transaction<'_>, sql: &str) -> Result<Vec<Effect>, SchemaError> {
        let mut effects = Vec::new();
        for line in sql.lines().map(str::trim) {
            if line.is_empty() || line.starts_with("--") {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            let (kind, rows) = match words.as_slice() {
                ["table", name] => {
                    txn.put(&key(CATALOG, name), b"")?;
                    ("CREATE TABLE", 0)
                }
                ["drop", name] => {
                    txn.delete(&key(CATALOG, name))?;
                    ("DROP TABLE", 0)
                }
                ["put", k, v] => {
                    txn.put(&key(ROWS, k), v.as_bytes())?;
                    ("INSERT", 1)
                }
                ["del", k] => {
                    txn.delete(&key(ROWS, k))?;
                    ("DELETE", 1)
                }
                _ => {
                    return Err(SchemaError::InvalidDefinition {
                        name: line.to_string(),
                        reason: "not a test script operation".into(),
                    });
                }
            };
            effects.push(Effect {
                statement: line.to_string(),
                kind: kind.to_string(),
                rows,
            });
        }
        Ok(effects)
    }

    fn schema(&self, txn: &mut Transaction<'_>) -> Result<SchemaState, SchemaError> {
        let mut h = Sha256::new();
        let mut tables = Vec::new();
        for (k, _) in scan(txn, CATALOG)? {
            h.update(&k);
            tables.push(TableDef {
                id: 0,
                name: String::from_utf8_lossy(&k[3..]).into_owned(),
                columns: Vec::new(),
                primary_key: Vec::new(),
                indexes: Vec::new(),
                version: 1,
                next_column_id: 1,
                next_index_id: 1,
                storage: crate::schema::def::Storage::Row,
                partition: None,
            });
        }
        Ok(SchemaState {
            digest: h.finalize().into(),
            tables,
        })
    }

    fn data_fingerprint(&self, txn: &mut Transaction<'_>) -> Result<[u8; 32], SchemaError> {
        let mut h = Sha256::new();
        for (k, v) in scan(txn, ROWS)? {
            h.update((k.len() as u64).to_le_bytes());
            h.update(&k);
            h.update((v.len() as u64).to_le_bytes());
            h.update(&v);
        }
        Ok(h.finalize().into())
    }
}

pub(super) fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write a migration file");
}

/// Three migrations: a table with two rows, a third row, a second table.
pub(super) fn three(dir: &Path) {
    write(
        dir,
        "0001_users.up.sql",
        "table users\nput u1 alice\nput u2 bob\n",
    );
    write(dir, "0001_users.down.sql", "del u1\ndel u2\ndrop users\n");
    write(dir, "0002_carol.up.sql", "put u3 carol\n");
    write(dir, "0002_carol.down.sql", "del u3\n");
    write(dir, "0003_orders.up.sql", "table orders\n");
    write(dir, "0003_orders.down.sql", "drop orders\n");
}
