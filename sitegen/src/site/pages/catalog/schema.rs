//! The schema part of the catalog (`schema` in `ldb catalog DB --json`, catalog format 2): a
//! database's tables — columns in order with type, NOT NULL and default, the primary key,
//! indexes with their columns and uniqueness, row counts — and its migration history, shaped
//! for `catalog.html`; and the schema diff between two catalogs: tables, columns and indexes
//! added, removed or changed, matched by name.

use serde_json::{Value, json};

use crate::util::slug::anchor_id;

fn s(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(x)) => x.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn names(v: &Value, key: &str) -> String {
    list(v, key)
        .iter()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `value` is the schema section: an object with `tables` and `migrations` lists.
pub fn is_schema(value: &Value) -> bool {
    value.get("tables").is_some_and(Value::is_array)
        && value.get("migrations").is_some_and(Value::is_array)
}

/// The template context of the schema section `schema` found under `key`.
pub fn context(key: &str, schema: &Value) -> Value {
    let tables: Vec<Value> = list(schema, "tables")
        .iter()
        .map(|t| {
            let columns: Vec<Value> = list(t, "columns")
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    json!({"position": i + 1, "name": s(c, "name"), "type": s(c, "type"),
                           "not_null": c.get("not_null").and_then(Value::as_bool).unwrap_or(false),
                           "default": c.get("default").and_then(Value::as_str)})
                })
                .collect();
            let indexes: Vec<Value> = list(t, "indexes")
                .iter()
                .map(|i| {
                    json!({"name": s(i, "name"), "columns": names(i, "columns"),
                           "unique": i.get("unique").and_then(Value::as_bool).unwrap_or(false)})
                })
                .collect();
            json!({"name": s(t, "name"), "id": format!("cat-table-{}", anchor_id(&s(t, "name"))),
                   "title": s(t, "name"), "rows": t.get("rows").and_then(Value::as_u64),
                   "primary_key": names(t, "primary_key"), "columns": columns, "indexes": indexes})
        })
        .collect();
    let migrations: Vec<Value> = list(schema, "migrations")
        .iter()
        .map(|m| {
            json!({"version": m.get("version").and_then(Value::as_u64), "name": s(m, "name"),
                   "kind": s(m, "kind"), "applied_at": s(m, "applied_at"),
                   "up_sha256": s(m, "up_sha256"),
                   "down_sha256": m.get("down_sha256").and_then(Value::as_str),
                   "entry_hash": s(m, "entry_hash"),
                   "chain_ok": m.get("chain_ok").and_then(Value::as_bool).unwrap_or(false)})
        })
        .collect();
    json!({"key": key, "id": format!("cat-{}", anchor_id(key)), "title": "Tables",
           "tables": tables, "migrations": migrations,
           "chain_ok": schema.get("chain_ok").and_then(Value::as_bool).unwrap_or(false),
           "chain_findings": list(schema, "chain_findings")})
}

/// What one table, column or index is, as compared: its definition without its name.
fn column_def(c: &Value) -> String {
    let mut d = s(c, "type");
    if c.get("not_null").and_then(Value::as_bool) == Some(true) {
        d.push_str(" NOT NULL");
    }
    if let Some(x) = c.get("default").and_then(Value::as_str) {
        d.push_str(&format!(" DEFAULT {x}"));
    }
    d
}

fn index_def(i: &Value) -> String {
    let unique = if i.get("unique").and_then(Value::as_bool) == Some(true) {
        "UNIQUE "
    } else {
        ""
    };
    format!("{unique}({})", names(i, "columns"))
}

fn change(object: &str, name: String, old: Option<String>, new: Option<String>) -> Option<Value> {
    let what = match (&old, &new) {
        (None, Some(_)) => "added",
        (Some(_), None) => "removed",
        (Some(a), Some(b)) if a != b => "changed",
        _ => return None,
    };
    Some(json!({"object": object, "name": name, "change": what, "old": old, "new": new}))
}

/// Entries of `key` in `a` and `b` matched by `name`, in name order: `(name, old, new)`.
fn matched<'a>(
    a: &'a [Value],
    b: &'a [Value],
) -> Vec<(String, Option<&'a Value>, Option<&'a Value>)> {
    let mut keys: Vec<String> = a.iter().chain(b).map(|x| s(x, "name")).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let find = |l: &'a [Value]| l.iter().find(|x| s(x, "name") == k);
            (k.clone(), find(a), find(b))
        })
        .collect()
}

/// The schema diff from `old` (absent: no schema section before) to `new`: one row per
/// table, column or index added, removed or changed (`object`, `name`, `change`, `old`, `new`).
pub fn diff(old: Option<&Value>, new: Option<&Value>) -> Vec<Value> {
    let empty = Value::Null;
    let (old, new) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
    let mut out = Vec::new();
    for (table, a, b) in matched(list(old, "tables"), list(new, "tables")) {
        let pk =
            |t: Option<&Value>| t.map(|t| format!("primary key ({})", names(t, "primary_key")));
        out.extend(change("table", table.clone(), pk(a), pk(b)));
        let (a, b) = (a.unwrap_or(&empty), b.unwrap_or(&empty));
        for (col, x, y) in matched(list(a, "columns"), list(b, "columns")) {
            out.extend(change(
                "column",
                format!("{table}.{col}"),
                x.map(column_def),
                y.map(column_def),
            ));
        }
        for (idx, x, y) in matched(list(a, "indexes"), list(b, "indexes")) {
            out.extend(change(
                "index",
                format!("{table}.{idx}"),
                x.map(index_def),
                y.map(index_def),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(status_default: &str, unique: bool, extra_table: bool) -> Value {
        let mut tables = vec![json!({"name": "accounts", "rows": 4, "primary_key": ["id"],
            "columns": [{"name": "id", "type": "BIGINT", "not_null": true, "default": null},
                        {"name": "status", "type": "TEXT", "not_null": true, "default": status_default}],
            "indexes": [{"name": "by_owner", "columns": ["owner"], "unique": unique}]})];
        if extra_table {
            tables.push(
                json!({"name": "transfers", "rows": 0, "primary_key": ["id"],
                "columns": [{"name": "id", "type": "BIGINT", "not_null": true, "default": null}],
                "indexes": []}),
            );
        }
        json!({"tables": tables, "migrations": [{"version": 1, "name": "create", "kind": "applied",
               "applied_at": "2026-01-01T00:00:00Z", "up_sha256": "ab", "down_sha256": null,
               "entry_hash": "cd", "chain_ok": true}], "chain_ok": true, "chain_findings": []})
    }

    #[test]
    fn context_keeps_column_order_indexes_and_history() {
        let ctx = context("schema", &schema("'open'", true, false));
        let t = &ctx["tables"][0];
        assert_eq!(t["columns"][1]["position"], 2);
        assert_eq!(t["columns"][1]["default"], "'open'");
        assert_eq!(t["columns"][0]["default"], Value::Null);
        assert_eq!(t["primary_key"], "id");
        assert_eq!(t["indexes"][0]["unique"], true);
        assert_eq!(ctx["migrations"][0]["version"], 1);
        assert_eq!(ctx["chain_ok"], true);
        assert!(is_schema(&schema("'x'", false, false)));
        assert!(!is_schema(&json!({"tables": []})));
    }

    #[test]
    fn diff_names_added_removed_and_changed_objects() {
        let old = schema("'open'", true, true);
        let new = schema("'closed'", false, false);
        let d = diff(Some(&old), Some(&new));
        let rows: Vec<(String, String, String)> = d
            .iter()
            .map(|r| (s(r, "object"), s(r, "name"), s(r, "change")))
            .collect();
        assert_eq!(
            rows,
            [
                ("column".into(), "accounts.status".into(), "changed".into()),
                ("index".into(), "accounts.by_owner".into(), "changed".into()),
                ("table".into(), "transfers".into(), "removed".into()),
                ("column".into(), "transfers.id".into(), "removed".into()),
            ]
        );
        assert_eq!(d[0]["new"], "TEXT NOT NULL DEFAULT 'closed'");
        assert!(diff(Some(&new), Some(&new)).is_empty());
        let first = diff(None, Some(&new));
        assert!(first.iter().all(|r| r["change"] == "added"), "{first:?}");
        assert_eq!(first.len(), 4);
    }
}
