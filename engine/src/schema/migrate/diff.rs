//! The schema diff a dry run prints (tables, columns, indexes and primary keys added, removed or
//! changed between two catalogs), and the id-independent schema digest `verify` compares.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::schema::{ColumnDef, IndexDef, TableDef};

use super::files::sha256;

/// One difference between two schemas.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `+` added, `-` removed, `~` changed.
    pub op: char,
    /// `table`, `column`, `index` or `primary key`.
    pub what: &'static str,
    /// `table`, `table.column` or `table.index`.
    pub name: String,
    /// The definition (after, or before for a removal), e.g. `BIGINT NOT NULL DEFAULT 0`.
    pub detail: String,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {} {}", self.op, self.what, self.name, self.detail)
    }
}

fn column_text(c: &ColumnDef) -> String {
    let mut s = c.ty.sql_name().to_string();
    if c.not_null {
        s.push_str(" NOT NULL");
    }
    if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {d}"));
    }
    s
}

fn names(t: &TableDef, ids: &[u32]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            t.position(*id)
                .map_or_else(|| format!("#{id}"), |p| t.columns[p].name.clone())
        })
        .collect()
}

fn index_text(t: &TableDef, i: &IndexDef) -> String {
    format!(
        "{}({})",
        if i.unique { "UNIQUE " } else { "" },
        names(t, &i.columns).join(", ")
    )
}

fn table_text(t: &TableDef) -> String {
    let cols: Vec<String> = t
        .columns
        .iter()
        .map(|c| format!("{} {}", c.name, column_text(c)))
        .collect();
    format!(
        "({}; PRIMARY KEY ({}))",
        cols.join(", "),
        names(t, &t.primary_key).join(", ")
    )
}

fn by_name(tables: &[TableDef]) -> BTreeMap<String, &TableDef> {
    tables
        .iter()
        .map(|t| (t.name.to_ascii_lowercase(), t))
        .collect()
}

/// The differences from `before` to `after`, tables by name, then columns, then indexes.
pub fn diff(before: &[TableDef], after: &[TableDef]) -> Vec<Change> {
    let (b, a) = (by_name(before), by_name(after));
    let mut out = Vec::new();
    let mut push = |op, what, name: String, detail: String| {
        out.push(Change {
            op,
            what,
            name,
            detail,
        })
    };
    for (key, t) in &b {
        if !a.contains_key(key) {
            push('-', "table", t.name.clone(), table_text(t));
        }
    }
    for (key, new) in &a {
        let Some(old) = b.get(key) else {
            push('+', "table", new.name.clone(), table_text(new));
            for i in &new.indexes {
                push(
                    '+',
                    "index",
                    format!("{}.{}", new.name, i.name),
                    index_text(new, i),
                );
            }
            continue;
        };
        for c in &old.columns {
            if new.column(&c.name).is_none() {
                push(
                    '-',
                    "column",
                    format!("{}.{}", new.name, c.name),
                    column_text(c),
                );
            }
        }
        for c in &new.columns {
            match old.column(&c.name) {
                None => push(
                    '+',
                    "column",
                    format!("{}.{}", new.name, c.name),
                    column_text(c),
                ),
                Some((_, oc)) if column_text(oc) != column_text(c) => push(
                    '~',
                    "column",
                    format!("{}.{}", new.name, c.name),
                    format!("{} -> {}", column_text(oc), column_text(c)),
                ),
                Some(_) => {}
            }
        }
        let (old_pk, new_pk) = (names(old, &old.primary_key), names(new, &new.primary_key));
        if old_pk != new_pk {
            push(
                '~',
                "primary key",
                new.name.clone(),
                format!("({}) -> ({})", old_pk.join(", "), new_pk.join(", ")),
            );
        }
        for i in &old.indexes {
            if new.index(&i.name).is_none() {
                push(
                    '-',
                    "index",
                    format!("{}.{}", new.name, i.name),
                    index_text(old, i),
                );
            }
        }
        for i in &new.indexes {
            match old.index(&i.name) {
                None => push(
                    '+',
                    "index",
                    format!("{}.{}", new.name, i.name),
                    index_text(new, i),
                ),
                Some(oi) if index_text(old, oi) != index_text(new, i) => push(
                    '~',
                    "index",
                    format!("{}.{}", new.name, i.name),
                    format!("{} -> {}", index_text(old, oi), index_text(new, i)),
                ),
                Some(_) => {}
            }
        }
    }
    out
}

/// A digest of the schema by names only: tables, their columns (sorted by name: `ADD COLUMN`
/// can only append, so a down that re-adds a dropped column restores everything but its
/// position), primary key and indexes — no ids and no versions, which a drop and re-create
/// legitimately changes.
pub fn logical_digest(tables: &[TableDef]) -> [u8; 32] {
    let mut text = String::new();
    for t in by_name(tables).values() {
        let mut cols: Vec<String> = t
            .columns
            .iter()
            .map(|c| format!("{} {}", c.name.to_ascii_lowercase(), column_text(c)))
            .collect();
        cols.sort();
        let mut idx: Vec<String> = t
            .indexes
            .iter()
            .map(|i| format!("{} {}", i.name.to_ascii_lowercase(), index_text(t, i)))
            .collect();
        idx.sort();
        text.push_str(&format!(
            "table {}\n{}\npk {}\n{}\n",
            t.name.to_ascii_lowercase(),
            cols.join("\n"),
            names(t, &t.primary_key).join(",").to_ascii_lowercase(),
            idx.join("\n")
        ));
    }
    sha256(text.as_bytes())
}
