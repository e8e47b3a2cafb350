//! The schema catalog page: what the engine says about itself (`ldb catalog --json`, recorded
//! by the check [`CATALOG_CHECK`] with `stdout = "json"`, so the whole document is inside its
//! hashed evidence record).
//!
//! Steps: find the newest run whose catalog check passed with its output kept whole → parse it
//! → shape it as a document ([`document`]: versions, on-disk structures with byte-layout
//! strips, codes, settings; entries of no known shape rendered generically by [`render_value`]:
//! objects as sections with a field table, arrays of objects as tables, other arrays as lists;
//! every value escaped; a database's tables and migration history as their own part,
//! [`schema`]) → find the previous run whose catalog differs and list what changed: tables,
//! columns and indexes added / removed / changed ([`schema::diff`]), and every added / removed /
//! changed leaf path. No run with the check: a page that says there is no
//! catalog evidence yet.

pub mod document;
pub mod schema;

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::evidence::record::Status;
use crate::site::context::Shared;
use crate::site::job::PageJob;
use crate::site::load::evidence::Evidence;
use crate::site::render::html::escape_html;
use crate::util::slug::anchor_id;

/// The check id whose standard output is the catalog JSON.
pub const CATALOG_CHECK: &str = "engine-catalog";

/// Deepest heading level used for nested sections.
const MAX_HEADING: usize = 6;

/// A catalog found in a run.
struct Found<'a> {
    run: &'a str,
    sha256: &'a str,
    record: &'a str,
    doc: Value,
}

/// Catalogs recorded by passing runs, oldest first.
fn catalogs(ev: &Evidence) -> Result<Vec<Found<'_>>> {
    let mut out = Vec::new();
    for run in &ev.runs {
        let Some(rec) = run.record(CATALOG_CHECK) else {
            continue;
        };
        if rec.record.status != Status::Pass || rec.record.stdout.truncated {
            continue;
        }
        let doc: Value = serde_json::from_str(&rec.record.stdout.text).with_context(|| {
            format!(
                "{}: the standard output of check `{CATALOG_CHECK}` is not JSON",
                rec.path
            )
        })?;
        out.push(Found {
            run: &run.id,
            sha256: &rec.sha256,
            record: &rec.path,
            doc,
        });
    }
    Ok(out)
}

/// Renders a scalar (or a small nested value) as escaped text.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => escape_html(s),
        Value::Null => "—".to_string(),
        Value::Bool(_) | Value::Number(_) => v.to_string(),
        other => format!("<code>{}</code>", escape_html(&other.to_string())),
    }
}

/// Renders `value` under the heading `title` at `level`, generically.
pub fn render_value(out: &mut String, title: &str, value: &Value, level: usize, anchor: &str) {
    let h = level.min(MAX_HEADING);
    match value {
        Value::Object(map) => {
            out.push_str(&format!(
                "<section><h{h} id=\"{}\">{}</h{h}>\n",
                escape_html(anchor),
                escape_html(title)
            ));
            let (leaves, nested): (Vec<_>, Vec<_>) = map
                .iter()
                .partition(|(_, v)| !matches!(v, Value::Object(_) | Value::Array(_)));
            if !leaves.is_empty() {
                out.push_str("<table class=\"fields\"><tbody>\n");
                for (k, v) in leaves {
                    out.push_str(&format!(
                        "<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n",
                        escape_html(k),
                        scalar(v)
                    ));
                }
                out.push_str("</tbody></table>\n");
            }
            for (k, v) in nested {
                render_value(out, k, v, level + 1, &format!("{anchor}-{}", anchor_id(k)));
            }
            out.push_str("</section>\n");
        }
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            let mut columns: Vec<&str> = Vec::new();
            for item in items.iter().filter_map(Value::as_object) {
                for k in item.keys() {
                    if !columns.contains(&k.as_str()) {
                        columns.push(k);
                    }
                }
            }
            out.push_str(&format!(
                "<section><h{h} id=\"{}\">{}</h{h}>\n<div class=\"table-wrap\" tabindex=\"0\"><table><thead><tr>",
                escape_html(anchor),
                escape_html(title)
            ));
            for c in &columns {
                out.push_str(&format!("<th scope=\"col\">{}</th>", escape_html(c)));
            }
            out.push_str("</tr></thead><tbody>\n");
            for item in items.iter().filter_map(Value::as_object) {
                out.push_str("<tr>");
                for c in &columns {
                    out.push_str(&format!(
                        "<td>{}</td>",
                        item.get(*c).map(scalar).unwrap_or_default()
                    ));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody></table></div></section>\n");
        }
        Value::Array(items) => {
            out.push_str(&format!(
                "<section><h{h} id=\"{}\">{}</h{h}>\n<ul>",
                escape_html(anchor),
                escape_html(title)
            ));
            for item in items {
                out.push_str(&format!("<li>{}</li>", scalar(item)));
            }
            out.push_str("</ul></section>\n");
        }
        leaf => out.push_str(&format!(
            "<p><strong>{}</strong>: {}</p>\n",
            escape_html(title),
            scalar(leaf)
        )),
    }
}

/// Every leaf of `v` by its path (`page_types[2].name`), as compact JSON text.
pub fn flatten(v: &Value, prefix: &str, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(x, &p, out);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                flatten(x, &format!("{prefix}[{i}]"), out);
            }
        }
        leaf => {
            out.insert(prefix.to_string(), leaf.to_string());
        }
    }
}

/// What changed between two catalogs: `(path, old, new)`, `None` where absent.
pub fn diff(old: &Value, new: &Value) -> Vec<(String, Option<String>, Option<String>)> {
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    flatten(old, "", &mut a);
    flatten(new, "", &mut b);
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| (k.clone(), a.get(k).cloned(), b.get(k).cloned()))
        .collect()
}

/// A leaf as [`flatten`] writes it, shown: a JSON string without its quotes.
fn unquoted(leaf: String) -> String {
    match serde_json::from_str::<Value>(&leaf) {
        Ok(Value::String(s)) => s,
        _ => leaf,
    }
}

/// The catalog page.
pub fn catalog_page(shared: &Shared, ev: Option<&Evidence>) -> Result<PageJob> {
    let found = match ev {
        Some(ev) => catalogs(ev)?,
        None => Vec::new(),
    };
    let Some(latest) = found.last() else {
        return Ok(shared.job(
            "catalog".into(),
            "catalog.html",
            "catalog",
            json!({"title": "Schema catalog", "check": CATALOG_CHECK, "latest": Value::Null}),
        ));
    };
    let doc = document::document(&latest.doc, |key, value, anchor| {
        let mut html = String::new();
        render_value(&mut html, key, value, 3, anchor);
        html
    });
    let previous = found.iter().rev().skip(1).find(|f| f.doc != latest.doc);
    let changes: Vec<Value> = previous
        .map(|p| diff(&p.doc, &latest.doc))
        .unwrap_or_default()
        .into_iter()
        .map(|(path, old, new)| json!({"path": path, "old": old.map(unquoted), "new": new.map(unquoted)}))
        .collect();
    let schema_changes = previous
        .map(|p| schema::diff(p.doc.get("schema"), latest.doc.get("schema")))
        .unwrap_or_default();
    Ok(shared.job(
        "catalog".into(),
        "catalog.html",
        "catalog",
        json!({
            "title": "Schema catalog",
            "check": CATALOG_CHECK,
            "latest": {"run": latest.run, "sha256": latest.sha256, "record": latest.record,
                       "file": crate::site::urls::evidence_link(latest.record),
                       "check_href": format!("runs/{}/index.html#check-{CATALOG_CHECK}", latest.run)},
            "format_version": latest.doc.get("format_version"),
            "engine_version": latest.doc.get("engine_version"),
            "versions": doc["versions"],
            "parts": doc["parts"],
            "previous": previous.map(|p| json!({"run": p.run, "sha256": p.sha256})),
            "changes": changes,
            "schema_changes": schema_changes,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lists_added_removed_and_changed_leaves() {
        let old = json!({"a": 1, "t": [{"n": "x"}], "gone": true});
        let new = json!({"a": 2, "t": [{"n": "x"}, {"n": "y"}]});
        let d = diff(&old, &new);
        assert_eq!(
            d,
            [
                (
                    "a".to_string(),
                    Some("1".to_string()),
                    Some("2".to_string())
                ),
                ("gone".to_string(), Some("true".to_string()), None),
                ("t[1].n".to_string(), None, Some("\"y\"".to_string())),
            ]
        );
        assert!(diff(&new, &new).is_empty());
    }

    #[test]
    fn generic_rendering_escapes_and_tabulates() {
        let doc = json!({"types": [{"id": 1, "name": "<b>"}, {"id": 2, "extra": [1, 2]}],
                         "cfg": {"size": 4096, "nested": {"deep": "x"}}});
        let mut html = String::new();
        render_value(&mut html, "catalog", &doc, 2, "cat");
        assert!(html.contains(
            "<th scope=\"col\">id</th><th scope=\"col\">name</th><th scope=\"col\">extra</th>"
        ));
        assert!(html.contains("&lt;b&gt;") && !html.contains("<b>"));
        assert!(html.contains("<h3 id=\"cat-cfg\">cfg</h3>"));
        assert!(html.contains("<h4 id=\"cat-cfg-nested\">nested</h4>"));
        assert!(html.contains("<code>[1,2]</code>"));
    }
}
