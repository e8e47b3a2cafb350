//! The catalog as a document: each top-level entry of `ldb catalog --json` sorted into a part
//! of the page by its shape ([`classify`]), then shaped for the template.
//!
//! Parts, in page order ([`PARTS`]): on-disk structures (an object with a `fields` list of
//! `{name, offset, size, encoding, description}`: a byte-layout strip and a table in offset
//! order), codes (a list of `{code, name, description}`), settings (an object of plain values:
//! limits, configuration; sizes in bytes), then anything else, rendered generically. Top-level
//! plain values (`engine_version`, `format_version`, …) are the versions the page opens with.
//! The schema section of a database (tables and migration history, [`super::schema`]) is the
//! first part.

use serde_json::{Map, Value, json};

use crate::site::render::charts::strip::{StripField, strip_svg};
use crate::site::render::format::number;
use crate::util::slug::anchor_id;

/// What a top-level entry is, by shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A database's tables and migration history ([`super::schema::is_schema`]).
    Schema,
    /// A plain top-level value (`engine_version`).
    Version,
    /// An on-disk structure: an object with a `fields` list of fields with offsets.
    Structure,
    /// A list of `{code, name, …}`.
    Codes,
    /// An object of plain values.
    Settings,
    /// Anything else, rendered generically.
    Other,
}

/// The parts of the page after the versions: kind, anchor, heading.
pub const PARTS: &[(Kind, &str, &str)] = &[
    (Kind::Schema, "schema", "Tables and migrations"),
    (Kind::Structure, "structures", "On-disk structures"),
    (Kind::Codes, "codes", "Codes"),
    (Kind::Settings, "settings", "Limits and settings"),
    (Kind::Other, "other", "Other entries"),
];

/// The kind of the entry `value`.
pub fn classify(value: &Value) -> Kind {
    let scalar = |v: &Value| !matches!(v, Value::Object(_) | Value::Array(_));
    match value {
        v if super::schema::is_schema(v) => Kind::Schema,
        Value::Object(m)
            if m.get("fields").and_then(Value::as_array).is_some_and(|f| {
                f.iter()
                    .all(|x| x.get("offset").and_then(Value::as_u64).is_some())
            }) =>
        {
            Kind::Structure
        }
        Value::Object(m) if m.values().all(scalar) => Kind::Settings,
        Value::Array(items)
            if !items.is_empty()
                && items
                    .iter()
                    .all(|i| i.get("code").is_some() && i.get("name").is_some()) =>
        {
            Kind::Codes
        }
        v if scalar(v) => Kind::Version,
        _ => Kind::Other,
    }
}

/// `file_header` → `File header`, `wal_record_types` → `WAL record types`.
pub fn heading(key: &str) -> String {
    const UPPER: &[&str] = &["wal", "crc", "lsn", "id", "kv", "mv", "olap", "oltp"];
    key.split(['_', '-'])
        .filter(|w| !w.is_empty())
        .enumerate()
        .map(|(i, w)| {
            if UPPER.contains(&w) {
                w.to_ascii_uppercase()
            } else if i == 0 {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `n` bytes, grouped, with the binary unit it is a whole multiple of from 1 KiB on:
/// `65536` → `65,536 bytes (64 KiB)`.
pub fn bytes(n: u64) -> String {
    let base = if n == 1 {
        "1 byte".to_string()
    } else {
        format!("{} bytes", number(n as f64))
    };
    let unit = [(1u64 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        .into_iter()
        .find(|(u, _)| n >= *u && n.is_multiple_of(*u));
    match unit {
        Some((u, name)) => format!("{base} ({} {name})", n / u),
        None => base,
    }
}

/// Whether the setting `key` is a size in bytes (`page_size`, `max_key_len`, `max_wal_payload`).
pub fn is_byte_size(key: &str) -> bool {
    key.ends_with("_size") || key.ends_with("_len") || key.ends_with("_payload")
}

/// A plain value as text: strings unquoted, numbers grouped (bytes where `key` is a size).
pub fn shown(key: &str, v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => match n.as_u64() {
            Some(u) if is_byte_size(key) => bytes(u),
            _ => n.as_f64().map(number).unwrap_or_else(|| n.to_string()),
        },
        other => other.to_string(),
    }
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A structure's context: heading, size, strip and its fields in offset order.
fn structure(key: &str, m: &Map<String, Value>) -> Value {
    let mut fields: Vec<StripField> = m
        .get("fields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|f| StripField {
            name: text(f.get("name")),
            offset: f.get("offset").and_then(Value::as_u64).unwrap_or(0),
            size: f.get("size").and_then(Value::as_u64),
            encoding: text(f.get("encoding")),
            description: text(f.get("description")),
        })
        .collect();
    fields.sort_by_key(|f| f.offset);
    let declared = m.get("size").and_then(Value::as_u64);
    let end = fields
        .iter()
        .filter_map(|f| f.size.map(|s| f.offset + s))
        .max()
        .unwrap_or(0);
    let size = declared.unwrap_or(end);
    let rows: Vec<Value> = fields
        .iter()
        .map(|f| {
            json!({"offset": f.offset, "end": f.size.map(|s| f.offset + s),
                   "size": f.size.map(bytes), "name": f.name, "encoding": f.encoding,
                   "description": f.description})
        })
        .collect();
    json!({
        "key": key, "id": format!("cat-{}", anchor_id(key)), "title": heading(key),
        "description": m.get("description").map(|d| text(Some(d))),
        "size": bytes(size),
        "variable": fields.iter().any(|f| f.size.is_none()),
        "strip_svg": strip_svg(&heading(key), size, &fields),
        "fields": rows,
    })
}

/// A code list's context: rows of code, name, meaning in code order.
fn codes(key: &str, items: &[Value]) -> Value {
    let mut rows: Vec<Value> = items
        .iter()
        .map(|i| {
            json!({"code": text(i.get("code")), "name": text(i.get("name")),
                   "description": text(i.get("description")), "sort": i.get("code").and_then(Value::as_u64)})
        })
        .collect();
    rows.sort_by_key(|r| r["sort"].as_u64().unwrap_or(u64::MAX));
    json!({"key": key, "id": format!("cat-{}", anchor_id(key)), "title": heading(key), "rows": rows})
}

/// A settings object's context: rows of key and shown value.
fn settings(key: &str, m: &Map<String, Value>) -> Value {
    let rows: Vec<Value> = m
        .iter()
        .map(|(k, v)| json!({"key": k, "value": shown(k, v)}))
        .collect();
    json!({"key": key, "id": format!("cat-{}", anchor_id(key)), "title": heading(key), "rows": rows})
}

/// The page context of catalog `doc`: `versions` and `parts` (each with `kind`, `id`, `title`
/// and `entries`; entries of kind Other carry `html`, rendered by `render_other`).
pub fn document(doc: &Value, render_other: impl Fn(&str, &Value, &str) -> String) -> Value {
    let empty = Map::new();
    let map = doc.as_object().unwrap_or(&empty);
    let mut versions = Vec::new();
    let mut parts: Vec<(Kind, Vec<Value>)> = PARTS.iter().map(|(k, ..)| (*k, vec![])).collect();
    let mut push = |kind: Kind, v: Value| {
        if let Some((_, list)) = parts.iter_mut().find(|(k, _)| *k == kind) {
            list.push(v);
        }
    };
    for (key, value) in map {
        let id = format!("cat-{}", anchor_id(key));
        match (classify(value), value) {
            (Kind::Version, v) => {
                versions.push(json!({"key": key, "title": heading(key), "value": shown(key, v)}))
            }
            (Kind::Schema, v) => push(Kind::Schema, super::schema::context(key, v)),
            (Kind::Structure, Value::Object(m)) => push(Kind::Structure, structure(key, m)),
            (Kind::Codes, Value::Array(items)) => push(Kind::Codes, codes(key, items)),
            (Kind::Settings, Value::Object(m)) => push(Kind::Settings, settings(key, m)),
            (_, v) => push(
                Kind::Other,
                json!({"key": key, "id": id, "title": heading(key), "html": render_other(key, v, &id)}),
            ),
        }
    }
    if !doc.is_object() {
        push(
            Kind::Other,
            json!({"key": "catalog", "id": "cat", "title": "Catalog", "html": render_other("catalog", doc, "cat")}),
        );
    }
    let parts: Vec<Value> = PARTS
        .iter()
        .zip(parts)
        .filter(|(_, (_, entries))| !entries.is_empty())
        .map(|((kind, id, title), (_, entries))| {
            json!({"kind": format!("{kind:?}").to_ascii_lowercase(), "id": id, "title": title, "entries": entries})
        })
        .collect();
    json!({"versions": versions, "parts": parts})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_classified_by_shape() {
        let structure = json!({"size": 4, "fields": [{"name": "a", "offset": 0, "size": 4}]});
        assert_eq!(classify(&structure), Kind::Structure);
        assert_eq!(classify(&json!([{"code": 1, "name": "x"}])), Kind::Codes);
        assert_eq!(classify(&json!([{"id": 1, "name": "x"}])), Kind::Other);
        assert_eq!(classify(&json!({"page_size": 4096})), Kind::Settings);
        assert_eq!(classify(&json!({"nested": {"a": 1}})), Kind::Other);
        assert_eq!(classify(&json!("0.1.0")), Kind::Version);
        assert_eq!(classify(&json!([])), Kind::Other);
    }

    #[test]
    fn headings_sizes_and_values_read_naturally() {
        assert_eq!(heading("wal_record_header"), "WAL record header");
        assert_eq!(heading("file_header"), "File header");
        assert_eq!(bytes(1), "1 byte");
        assert_eq!(bytes(64), "64 bytes");
        assert_eq!(bytes(65536), "65,536 bytes (64 KiB)");
        assert_eq!(bytes(67_108_864), "67,108,864 bytes (64 MiB)");
        assert_eq!(bytes(1000), "1,000 bytes");
        assert_eq!(shown("max_key_len", &json!(1024)), "1,024 bytes (1 KiB)");
        assert_eq!(shown("entries", &json!(20000)), "20,000");
        assert_eq!(shown("wal_mode", &json!("standard")), "standard");
        assert_eq!(shown("from_database", &json!(false)), "no");
    }

    #[test]
    fn document_orders_parts_and_fields_and_keeps_unknown_entries() {
        let doc = json!({
            "engine_version": "0.1.0",
            "limits": {"max_page_size": 65536},
            "hdr": {"description": "d", "size": 8, "fields": [
                {"name": "b", "offset": 4, "size": 4, "encoding": "u32 le", "description": "\"B\""},
                {"name": "a", "offset": 0, "size": 4, "encoding": "u32 le", "description": "first"}]},
            "types": [{"code": 2, "name": "y"}, {"code": 1, "name": "x"}],
            "tables": [{"name": "t"}],
        });
        let ctx = document(&doc, |k, _, id| format!("<p id=\"{id}\">{k}</p>"));
        assert_eq!(ctx["versions"][0]["value"], "0.1.0");
        let kinds: Vec<&str> = ctx["parts"]
            .as_array()
            .expect("parts")
            .iter()
            .map(|p| p["kind"].as_str().expect("kind"))
            .collect();
        assert_eq!(kinds, ["structure", "codes", "settings", "other"]);
        let hdr = &ctx["parts"][0]["entries"][0];
        assert_eq!(hdr["size"], "8 bytes");
        assert_eq!(hdr["fields"][0]["name"], "a", "fields in offset order");
        assert_eq!(
            hdr["fields"][1]["description"], "\"B\"",
            "text kept as written"
        );
        assert!(hdr["strip_svg"].as_str().expect("svg").starts_with("<svg"));
        assert_eq!(ctx["parts"][1]["entries"][0]["rows"][0]["name"], "x");
        assert_eq!(
            ctx["parts"][2]["entries"][0]["rows"][0]["value"],
            "65,536 bytes (64 KiB)"
        );
        assert_eq!(
            ctx["parts"][3]["entries"][0]["html"],
            "<p id=\"cat-tables\">tables</p>"
        );
    }
}
