//! The schema part of the catalog: a database's tables (columns in order with type, NOT NULL
//! and default; primary key; indexes; row counts) and its applied migration history (versions,
//! file hashes, applied-at, kind, entry hashes and whether the hash chain verifies), read in one
//! read-only transaction.

use std::ops::Bound;

use serde::Serialize;

use crate::db::Database;
use crate::schema::Catalog as SchemaCatalog;
use crate::schema::def::TableDef;
use crate::schema::migrate::files::hex;
use crate::schema::migrate::history;
use crate::schema::migrate::plan::timestamp;
use crate::schema::table;

/// The tables and migration history of one database.
#[derive(Clone, Debug, Serialize)]
pub struct Schema {
    /// Every table, by name.
    pub tables: Vec<Table>,
    /// The applied migration history, by version.
    pub migrations: Vec<Migration>,
    /// Whether the whole history chain (entries and head record) verifies.
    pub chain_ok: bool,
    /// What is wrong with the chain (empty when `chain_ok`).
    pub chain_findings: Vec<String>,
}

/// One table.
#[derive(Clone, Debug, Serialize)]
pub struct Table {
    /// Its name.
    pub name: String,
    /// Its columns, in declaration order.
    pub columns: Vec<Column>,
    /// The primary-key column names, in key order.
    pub primary_key: Vec<String>,
    /// Its secondary indexes.
    pub indexes: Vec<Index>,
    /// Rows stored.
    pub rows: u64,
}

/// One column.
#[derive(Clone, Debug, Serialize)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its SQL type name.
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether NULL is refused.
    pub not_null: bool,
    /// The default as a SQL literal, if any.
    pub default: Option<String>,
}

/// One secondary index.
#[derive(Clone, Debug, Serialize)]
pub struct Index {
    /// Its name.
    pub name: String,
    /// The indexed column names, in key order.
    pub columns: Vec<String>,
    /// Whether it enforces uniqueness.
    pub unique: bool,
}

/// One applied-history entry.
#[derive(Clone, Debug, Serialize)]
pub struct Migration {
    /// The version.
    pub version: u64,
    /// The migration's name.
    pub name: String,
    /// SHA-256 of the up file, hex.
    pub up_sha256: String,
    /// SHA-256 of the down file, hex, if there was one.
    pub down_sha256: Option<String>,
    /// When it was applied (UTC, RFC 3339).
    pub applied_at: String,
    /// `applied`, `baseline` or `repaired`.
    pub kind: &'static str,
    /// The entry's own hash, hex.
    pub entry_hash: String,
    /// Whether no chain finding concerns this entry.
    pub chain_ok: bool,
}

fn column_names(def: &TableDef, ids: &[crate::schema::ColumnId]) -> Vec<String> {
    ids.iter()
        .map(|id| match def.position(*id) {
            Some(pos) => def.columns[pos].name.clone(),
            None => format!("#{id}"),
        })
        .collect()
}

/// Reads `db`'s tables and migration history as of its latest commit.
pub fn describe(db: &Database) -> crate::schema::migrate::Result<Schema> {
    let mut txn = db.begin_read_only()?;
    let catalog = SchemaCatalog::load(&mut txn)?;
    let mut tables = Vec::new();
    for def in catalog.tables() {
        let mut rows = 0u64;
        for row in table::scan(&mut txn, def, Bound::Unbounded, Bound::Unbounded, false)? {
            row?;
            rows += 1;
        }
        tables.push(Table {
            name: def.name.clone(),
            columns: def
                .columns
                .iter()
                .map(|c| Column {
                    name: c.name.clone(),
                    ty: c.ty.sql_name().to_string(),
                    not_null: c.not_null,
                    default: c.default.as_ref().map(ToString::to_string),
                })
                .collect(),
            primary_key: column_names(def, &def.primary_key),
            indexes: def
                .indexes
                .iter()
                .map(|i| Index {
                    name: i.name.clone(),
                    columns: column_names(def, &i.columns),
                    unique: i.unique,
                })
                .collect(),
            rows,
        });
    }
    let h = history::load(&mut txn)?;
    let migrations = h
        .entries
        .iter()
        .map(|e| Migration {
            version: e.version,
            name: e.name.clone(),
            up_sha256: hex(&e.up_sha256),
            down_sha256: e.down_sha256.as_ref().map(|d| hex(d)),
            applied_at: timestamp(e.applied_at_us),
            kind: e.kind.name(),
            entry_hash: hex(&e.hash),
            chain_ok: !h.findings.iter().any(|f| f.version == e.version),
        })
        .collect();
    Ok(Schema {
        tables,
        migrations,
        chain_ok: h.findings.is_empty(),
        chain_findings: h.findings.iter().map(ToString::to_string).collect(),
    })
}

impl Schema {
    /// The markdown sections of the tables and the migration history.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("## Tables\n\n");
        if self.tables.is_empty() {
            out.push_str("No tables.\n\n");
        }
        for t in &self.tables {
            out.push_str(&format!(
                "### `{}`\n\n{} row(s) · primary key ({})\n\n| # | column | type | NOT NULL | default |\n|---:|---|---|---|---|\n",
                t.name,
                t.rows,
                t.primary_key.join(", ")
            ));
            for (i, c) in t.columns.iter().enumerate() {
                out.push_str(&format!(
                    "| {} | `{}` | {} | {} | {} |\n",
                    i + 1,
                    c.name,
                    c.ty,
                    if c.not_null { "yes" } else { "no" },
                    c.default.as_deref().map_or_else(
                        || "—".to_string(),
                        |d| format!("`{}`", d.replace('|', "\\|"))
                    )
                ));
            }
            if !t.indexes.is_empty() {
                out.push_str("\n| index | columns | unique |\n|---|---|---|\n");
                for i in &t.indexes {
                    out.push_str(&format!(
                        "| `{}` | {} | {} |\n",
                        i.name,
                        i.columns.join(", "),
                        if i.unique { "yes" } else { "no" }
                    ));
                }
            }
            out.push('\n');
        }
        out.push_str(&format!(
            "## Migration history\n\nHash chain: {}.\n\n",
            if self.chain_ok { "verifies" } else { "BROKEN" }
        ));
        for f in &self.chain_findings {
            out.push_str(&format!("- {f}\n"));
        }
        if self.migrations.is_empty() {
            out.push_str("No migrations applied.\n");
            return out;
        }
        out.push_str("| version | name | kind | applied at | up sha256 | down sha256 | entry hash | chain |\n|---:|---|---|---|---|---|---|---|\n");
        for m in &self.migrations {
            out.push_str(&format!(
                "| {} | `{}` | {} | {} | `{}` | {} | `{}` | {} |\n",
                m.version,
                m.name,
                m.kind,
                m.applied_at,
                short(&m.up_sha256),
                m.down_sha256
                    .as_deref()
                    .map_or_else(|| "—".to_string(), |d| format!("`{}`", short(d))),
                short(&m.entry_hash),
                if m.chain_ok { "ok" } else { "BROKEN" }
            ));
        }
        out
    }
}

/// The first 12 hex digits of a digest (the JSON has the whole).
fn short(hex: &str) -> &str {
    hex.get(..12).unwrap_or(hex)
}
